"""Free text one party writes and others read: titles, subjects, messages, reasons, names.

Refused, not escaped: C0 and C1 control characters (line breaks and tabs where the text has
lines), and the Unicode bidirectional embeddings, overrides and isolates (U+202A-U+202E,
U+2066-U+2069), which reorder what a reader sees without being seen themselves ("Trojan
Source"): a title could show one place and say another. Arabic, Hebrew and mixed text need none
of them, since the Unicode bidirectional algorithm orders them by itself, and the console shows
each party's text isolated. The marks (U+200E, U+200F, U+061C) and the joiners (U+200C, U+200D)
reorder nothing beyond a character and are written by ordinary keyboards: they are kept.
Also refused: the Unicode noncharacters (U+FDD0-U+FDEF, U+FFFE and U+FFFF on every plane),
which no text exchange should carry and XML cannot hold (U+FFFE, U+FFFF), and surrogates (half
of a UTF-16 pair, no character at all). Escaping instead would store, sign and serve a string
that is not what the party typed.
"""

from __future__ import annotations

import re
import unicodedata

from deconfliction.errors import InvalidInput

__all__ = ["NONCHARACTERS", "SURROGATES", "check_plain", "unsafe_character"]

_BIDI = "\u202a-\u202e\u2066-\u2069"
NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)
)
"""The 66 Unicode noncharacters, as the inside of a regular expression's character class."""
SURROGATES = "\ud800-\udfff"
"""UTF-16 surrogates (never a character by themselves), as the inside of a character class."""
_ODD = NONCHARACTERS + SURROGATES
_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_ODD}]")
_LINES = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}{_ODD}]")


def unsafe_character(value: str, lines: bool = False) -> str | None:
    """What is wrong with ``value`` as free text, or ``None``.

    >>> unsafe_character("Hospital \u202eKcatta")
    'no bidirectional override, embedding or isolate characters: U+202E at 9'
    >>> unsafe_character("line one\\nline two", lines=True) is None
    True
    >>> unsafe_character("Gate \\uffff")
    'no Unicode noncharacters (U+FDD0-U+FDEF, U+FFFE and U+FFFF on every plane): U+FFFF at 5'
    """
    found = (_LINES if lines else _ONE_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    where = f"U+{ord(char):04X} at {found.start()}"
    if unicodedata.category(char) == "Cs":
        return f"no surrogates (half of a UTF-16 pair, not a character): {where}"
    if unicodedata.category(char) == "Cn":  # of the characters matched, only noncharacters
        every = "U+FDD0-U+FDEF, U+FFFE and U+FFFF on every plane"
        return f"no Unicode noncharacters ({every}): {where}"
    if unicodedata.category(char) == "Cf":
        return f"no bidirectional override, embedding or isolate characters: {where}"
    allowed = " (line breaks and tabs are allowed)" if lines else ""
    return f"no control characters{allowed}: {where}"


def check_plain(value: str, pointer: str, lines: bool = False) -> str:
    """``value``, or an ``InvalidInput`` at ``pointer`` saying which character is refused."""
    problem = unsafe_character(value, lines)
    if problem is not None:
        raise InvalidInput(problem, pointer)
    return value
