"""The fast canonical encoder writes exactly what the rfc8785 package writes, or raises where it
raises."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.record.canonical import canonical_json

_text = st.text(max_size=8)  # every code point, lone surrogates and U+E000.. included
_json: Any = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | _text
    | st.floats(allow_nan=True, allow_infinity=True),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=16,
)  # fmt: skip


def _reference(value: Any) -> str | type[Exception]:
    try:
        return bytes(rfc8785.dumps(value)).decode()
    except Exception as exc:  # whatever it refuses, ours must refuse too
        return type(exc)


@settings(max_examples=3000, deadline=None)
@given(_json)
def test_the_same_bytes_as_rfc8785(value: Any) -> None:
    expected = _reference(value)
    if isinstance(expected, str):
        assert canonical_json(value) == expected
    else:
        with pytest.raises(expected):
            canonical_json(value)


@pytest.mark.parametrize(
    "value",
    [
        0.1, 1e-4, 9.999e-5, 1e-7, 1e15 + 0.5, 1e16, 1e21, 5e-324, 2.0**53, -0.0, 123456.789,
        {"\ue000": 1, "\U0001f600": 2, "z": 3}, {"é": 1, "e": 2}, [1, [2, [3]]], "\u2028\x7f\x1f",
    ],
)  # fmt: skip
def test_edges_of_the_fast_path(value: Any) -> None:
    assert canonical_json(value) == _reference(value)
