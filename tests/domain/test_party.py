"""Party slugs and member roles: what an admin may name a party, and who may write."""

from __future__ import annotations

import pytest

from deconfliction.domain import Role, check_slug
from deconfliction.errors import InvalidInput, PermissionDenied

GOOD_SLUGS = ["coalition", "un-ocha", "a", "7", "icrc-2", "a-b-c", "x" * 64, "a--b"]
BAD_SLUGS = [
    "",
    "all",  # reserved: an audience of "all" means every party
    "Coalition",
    "un_ocha",
    "un ocha",
    "-coalition",
    "coalition-",
    "-",
    "x" * 65,
    "coalition/red",
    "ünhcr",
]


@pytest.mark.parametrize("slug", GOOD_SLUGS)
def test_good_slugs_pass_unchanged(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", BAD_SLUGS)
def test_bad_slugs_are_refused_with_the_rule(slug: str) -> None:
    with pytest.raises(InvalidInput) as e:
        check_slug(slug, "/parties/2")
    assert e.value.pointer == "/parties/2"
    assert repr(slug) in e.value.reason  # the coordinator sees what was wrong
    assert "lower-case letters, digits and inner hyphens" in e.value.reason
    assert "'all' is reserved" in e.value.reason


def test_slug_pointer_defaults_to_slug() -> None:
    with pytest.raises(InvalidInput) as e:
        check_slug("all")
    assert e.value.pointer == "/slug"


def test_a_slug_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(InvalidInput):
        check_slug("coalition\n")


@pytest.mark.parametrize("role", list(Role))
def test_role_parse_reads_each_role(role: Role) -> None:
    assert Role.parse(role.value) is role


@pytest.mark.parametrize("value", ["Coordinator", "writer", "", "coordinator "])
def test_unknown_role_lists_the_valid_ones(value: str) -> None:
    with pytest.raises(InvalidInput) as e:
        Role.parse(value, "/members/0/role")
    assert e.value.pointer == "/members/0/role"
    assert repr(value) in e.value.reason
    assert "valid roles are coordinator, observer, admin" in e.value.reason


def test_a_coordinator_writes() -> None:
    Role.COORDINATOR.require_writer("notices")  # no error


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.ADMIN])
@pytest.mark.parametrize("what", ["notices", "tracks", "threads"])
def test_observer_and_admin_are_told_who_can_write(role: Role, what: str) -> None:
    with pytest.raises(PermissionDenied) as e:
        role.require_writer(what)
    assert (
        e.value.reason
        == f"a member with role {role.value!r} cannot write {what}; a coordinator can"
    )
