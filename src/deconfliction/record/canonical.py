"""RFC 8785 canonical JSON, fast enough for every event the line appends.

The ``rfc8785`` package is exact but pure Python: 40 µs for a notice's body, nine tenths of an
event append. Python's own C encoder (sorted keys, no spaces, no ASCII escaping) writes the same
bytes as RFC 8785 for strings, integers, ``true``/``false``/``null``, objects whose keys sort the
same by code point as by UTF-16 code unit (none with a character at or above U+E000), and floats
that are integral (written as integers) or lie in [1e-4, 1e16) (the same shortest round-trip
digits, no exponent on either side). Anything else goes to ``rfc8785``, which also raises for
what RFC 8785 cannot spell (NaN, infinities, integers beyond 2**53, lone surrogates). A property
test holds the two to the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

__all__ = ["canonical_json"]

_SAFE = 2**53
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False, check_circular=False
)


class _Unusual(Exception):
    """A value the C encoder would not write as RFC 8785 does."""


def _prepared(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -_SAFE < value < _SAFE:
            return value
        raise _Unusual
    if kind is float:
        if value.is_integer():
            if -_SAFE < value < _SAFE:
                return int(value)  # -0.0 too: RFC 8785 writes it as 0
        elif 1e-4 <= abs(value) < 1e16:
            return value
        raise _Unusual
    if kind is dict:
        out = {}
        for k, v in value.items():
            if type(k) is not str or (k and max(k) >= "\ue000"):
                raise _Unusual
            out[k] = _prepared(v)
        return out
    if kind is list or kind is tuple:
        return [_prepared(v) for v in value]
    raise _Unusual


def canonical_json(value: Any) -> str:
    """``value`` as RFC 8785 canonical JSON text.

    >>> canonical_json({"b": [1.0, 0.5, "é"], "a": None, "c": 1e21})
    '{"a":null,"b":[1,0.5,"é"],"c":1e+21}'
    """
    try:
        text: str = _ENCODER.encode(_prepared(value))
        text.encode()  # a lone surrogate cannot be UTF-8: let rfc8785 say so
        return text
    except (_Unusual, UnicodeEncodeError):
        return bytes(rfc8785.dumps(value)).decode()
