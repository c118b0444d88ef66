"""Ids shown by their shortest unique random tail, and typed as any unique prefix or tail."""

from __future__ import annotations

import uuid

import pytest

from deconfliction.cli.ids import MIN_SHOWN, Unresolved, matches, resolve, short, shorten
from deconfliction.service.line import new_id


def test_ids_made_in_the_same_minute_show_apart() -> None:
    made = [new_id() for _ in range(3)]
    assert len({m[:8] for m in made}) == 1  # the time-ordered head says nothing
    shown = shorten(made)
    assert len(set(shown.values())) == 3
    assert all(len(s) == MIN_SHOWN and m.endswith(s) for m, s in shown.items())


def test_a_shared_tail_makes_the_short_form_longer_just_enough() -> None:
    a = "01a2495b-0000-7000-8000-0000001234ab"
    b = "01a2495b-0001-7000-8000-0000009234ab"
    c = "01a2495b-0002-7000-8000-000000000001"
    assert shorten([a, b, c]) == {a: "1234ab", b: "9234ab", c: "000001"}
    d = "01a2495b-0003-7000-8000-0000007234ab"
    assert shorten([a, d])[a] == "1234ab"
    e = "01a2495b-0004-7000-8000-000000f234ab"
    assert shorten([a, e, "01a2495b-0005-7000-8000-00000f1234ab"])[a] == "01234ab"
    assert short(a) == "1234ab" and short(a, [a]) == "1234ab"


def test_many_ids_each_unique_and_a_tail_of_its_own() -> None:
    made = [str(uuid.uuid4()) for _ in range(5000)]
    shown = shorten(made)
    assert len(set(shown.values())) == len(made)
    for m, s in shown.items():
        assert m.endswith(s) and len(s) >= MIN_SHOWN
        assert [x for x in made if x.endswith(s)] == [m]


def test_typed_as_prefix_tail_or_whole_case_ignored() -> None:
    ids = ["01a2495b-0000-7000-8000-0000001234ab", "01a2495c-0001-7000-8000-0000009234cd"]
    assert resolve("1234AB", ids, "notice") == ids[0]
    assert resolve("01a2495c", ids, "notice") == ids[1]
    assert resolve(ids[0], ids, "notice") == ids[0]
    assert matches("", ids) == []


def test_several_match_lists_them_none_says_so() -> None:
    ids = ["01a2495b-0000-7000-8000-0000001234ab", "01a2495b-0001-7000-8000-0000009234ab"]
    with pytest.raises(Unresolved) as many:
        resolve("01a2495b", ids, "notice", {ids[0]: '"Convoy"'})
    text = str(many.value)
    assert "names 2 notices" in text and "1234ab" in text and "9234ab" in text
    assert '"Convoy"' in text
    with pytest.raises(Unresolved, match="no conflict you may see has an id beginning or end"):
        resolve("ffff", ids, "conflict")
