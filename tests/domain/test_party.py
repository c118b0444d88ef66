"""Party slugs and member roles: what an admin may name a party, and who may write."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from deconfliction.domain import Member, Role, check_slug
from deconfliction.domain.party import parse_lifetime
from deconfliction.errors import InvalidInput, PermissionDenied

T = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

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


def test_an_admin_exists_only_in_the_host_party() -> None:
    Role.ADMIN.check_party("host")  # no error
    Role.COORDINATOR.check_party("blue")
    with pytest.raises(InvalidInput) as e:
        Role.ADMIN.check_party("blue")
    assert e.value.pointer == "/role"
    assert "only in the host's own party 'host'" in e.value.reason and "'blue'" in e.value.reason


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OBSERVER])
def test_the_host_party_holds_admins_only(role: Role) -> None:
    with pytest.raises(InvalidInput) as e:
        role.check_party("host")
    assert e.value.pointer == "/role" and "holds admins only" in e.value.reason


def test_only_an_admin_of_the_host_is_the_host_admin() -> None:
    assert Member("m", "host", Role.ADMIN, T).is_host_admin
    assert not Member("m", "blue", Role.ADMIN, T).is_host_admin  # as an old line might hold
    assert not Member("m", "host", Role.OBSERVER, T).is_host_admin


def test_a_token_works_until_it_expires_or_is_revoked() -> None:
    member = Member("m", "blue", Role.OBSERVER, T, expires_at=T + timedelta(days=1))
    assert member.refusal(T) is None
    assert member.refusal(T + timedelta(hours=23, minutes=59)) is None
    expired = member.refusal(T + timedelta(days=1))
    assert expired is not None and "expired at" in expired
    revoked = replace(member, revoked_at=T).refusal(T)
    assert revoked is not None and "revoked" in revoked


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("+30m", timedelta(minutes=30)),
        ("366d", timedelta(days=366)),
    ],
)
def test_a_lifetime_reads_as_typed(text: str, lifetime: timedelta) -> None:
    assert parse_lifetime(text) == lifetime


@pytest.mark.parametrize("text", ["", "90", "3 months", "0d", "367d", "-1d", "1y"])
def test_a_lifetime_out_of_shape_or_range_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_lifetime(text, "/expires_in")
    assert e.value.pointer == "/expires_in"
