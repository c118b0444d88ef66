"""The leaf hashes ``advance`` and ``record verify`` compute in one pass are those of the
entries, as an independent RFC 8785 encoder writes them."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.record.canonical import canonical_json
from deconfliction.record.entry import at_text, canonical_entry, entry_bytes, leaf_hashes
from deconfliction.record.tree import leaf_hash

# what a database holds: every code point but lone surrogates (quotes, controls, U+2028, astral)
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_party = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters=","), min_size=1, max_size=8
)
_int = st.integers(-(2**53) + 1, 2**53 - 1)  # RFC 8785's safe integers
_body = st.dictionaries(_text, st.none() | _int | _text | st.lists(_text), max_size=4)


@st.composite
def _rows(draw: Any) -> tuple[int, str, int, str, str, str, str]:
    told = draw(st.just("all") | st.lists(_party, max_size=4).map(lambda ps: f",{','.join(ps)},"))
    return (
        draw(st.integers(1, 2**53 - 1)),
        draw(_text),
        draw(st.integers(0, 4_102_444_800_000_000)),  # up to 2100
        draw(_text),
        draw(_text),
        told,
        canonical_json(draw(_body)),
    )


def _record(row: tuple[int, str, int, str, str, str, str]) -> dict[str, Any]:
    seq, kind, at_us, subject, party, told, body = row
    parties = sorted(p for p in told.split(",") if p) if told != "all" else "all"
    return {
        "at": at_text(at_us), "body": json.loads(body), "kind": kind, "party": party,
        "seq": seq, "subject": subject, "told": parties,
    }  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_rows(), max_size=5))
def test_leaf_hashes_are_those_of_the_entries(
    rows: list[tuple[int, str, int, str, str, str, str]],
) -> None:
    expected = [leaf_hash(canonical_entry(_record(r))) for r in rows]
    assert [leaf_hash(entry_bytes(*r)) for r in rows] == expected
    assert leaf_hashes(rows) == expected
    assert leaf_hashes(iter(rows)) == expected
