"""Ids as people type and read them: the shortest unique tail, and any unique prefix or tail.

The line's ids are UUIDv7 strings. Their head is a timestamp: notices made in the same minute
share their first eight hex digits, so a head says nothing. The tail is random, so a command
shows the shortest **tail** (at least ``MIN_SHOWN`` characters) that no other id it knows ends
with, and accepts an id, any prefix of one, or any tail of one, when exactly one id matches.

>>> ids = ["0193a1b2-0000-7000-8000-0000004c5aa1", "0193a1b2-0001-7000-8000-0000014c5aa1"]
>>> [short(i, ids) for i in ids]
['04c5aa1', '14c5aa1']
>>> resolve("14c5aa1", ids, "notice")
'0193a1b2-0001-7000-8000-0000014c5aa1'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["MIN_SHOWN", "Unresolved", "matches", "resolve", "short", "shorten"]

MIN_SHOWN = 6
"""Six hex digits of a random tail: 16.7 million values, so a few thousand ids rarely need a
seventh."""

_LISTED = 10


class Unresolved(ValueError):
    """What was typed names no id, or more than one; the message says which, for a person."""


def shorten(ids: Iterable[str], minimum: int = MIN_SHOWN) -> dict[str, str]:
    """Each id's shortest tail, at least ``minimum`` long, that no other of ``ids`` ends with.

    >>> shorten(["a-123456", "b-923456", "c-000001"])
    {'a-123456': '123456', 'b-923456': '923456', 'c-000001': '000001'}
    >>> shorten(["x-1234567", "y-9234567"])["x-1234567"]
    '1234567'
    """
    given = list(dict.fromkeys(ids))
    known = sorted(given, key=lambda i: i[::-1])  # by reversed id: shared tails are neighbours
    found: dict[str, str] = {}
    for k, ident in enumerate(known):
        need = minimum
        for other in (known[k - 1] if k else None, known[k + 1] if k + 1 < len(known) else None):
            if other is not None:
                need = max(need, _common_tail(ident, other) + 1)
        found[ident] = ident[-need:] if need < len(ident) else ident
    return {ident: found[ident] for ident in given}


def short(ident: str, among: Iterable[str] = ()) -> str:
    """One id's short form among ``among`` (it need not be in it)."""
    return shorten([ident, *among])[ident]


def _common_tail(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def matches(typed: str, ids: Iterable[str]) -> list[str]:
    """The ids that ``typed`` names: itself, or ids it begins or ends (case ignored)."""
    t = typed.strip().lower()
    if not t:
        return []
    known = list(dict.fromkeys(ids))
    exact = [i for i in known if i.lower() == t]
    if exact:
        return exact
    return [i for i in known if i.lower().startswith(t) or i.lower().endswith(t)]


def resolve(typed: str, ids: Sequence[str], what: str, label: dict[str, str] | None = None) -> str:
    """The one id of ``ids`` that ``typed`` names; ``Unresolved`` says why not, listing the
    candidates (with ``label``, e.g. a notice's title) when there are several."""
    found = matches(typed, ids)
    if len(found) == 1:
        return found[0]
    if not found:
        raise Unresolved(f"no {what} you may see has an id beginning or ending {typed.strip()!r}")
    shown = shorten(ids)
    lines = [f"  {shown[i]}  {i}" + (f"  {label[i]}" if label and label.get(i) else "")
             for i in found[:_LISTED]]  # fmt: skip
    more = len(found) - _LISTED
    if more > 0:
        lines.append(f"  … and {more} more")
    raise Unresolved(
        f"{typed.strip()!r} names {len(found)} {what}s; type more of one:\n" + "\n".join(lines)
    )
