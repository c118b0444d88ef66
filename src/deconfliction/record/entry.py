"""The record's leaf entry: the exact bytes of one event that the Merkle tree hashes.

An entry is the RFC 8785 canonical JSON of the event's record object::

    {"at": "2026-11-25T14:02:00.000000Z", "body": {...}, "kind": "notice.updated",
     "party": "unocha", "seq": 17, "subject": "<notice id>", "told": ["blue", "unocha"]}

``at`` is UTC with exactly six fractional digits; ``told`` is ``"all"`` or the sorted party
slugs; ``body`` is the event's content as the line's JSON forms give it. The keys are in RFC 8785
order (sorted by UTF-16 code units; here plain ASCII). The store keeps each body already
canonical, so the entry is spliced from the stored text rather than re-encoded: re-parsing and
re-encoding a million bodies would cost most of ``record verify``'s time budget.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

import rfc8785

__all__ = [
    "EventTuple",
    "at_text",
    "canonical_entry",
    "entry_bytes",
    "leaf_hashes",
    "parse_entry",
    "told_text",
]

EventTuple = tuple[int, str, int, str, str, str, str]
"""A stored event row as the driver gives it: seq, kind, at_us, subject, party, told, body."""


@lru_cache(maxsize=4096)
def _second(s: int) -> str:
    # events come in bursts: one formatting per second of the log, not one per event
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))


def at_text(at_us: int) -> str:
    """An instant (microseconds since the Unix epoch) as the entry writes it.

    >>> at_text(1_764_079_320_000_001)
    '2025-11-25T14:02:00.000001Z'
    """
    s, us = divmod(at_us, 1_000_000)
    return f"{_second(s)}.{us:06d}Z"


@lru_cache(maxsize=1 << 16)  # audiences repeat: a line has a few thousand distinct ones
def told_text(told: str) -> str:
    """The stored audience (``"all"`` or ``",a,b,"``) as the entry's canonical JSON value."""
    if told == "all":
        return '"all"'
    return "[" + ",".join(_string(p) for p in sorted(p for p in told.split(",") if p)) + "]"


# Python's C string encoder, without ASCII escaping, writes strings exactly as RFC 8785
# (ECMAScript's JSON.stringify) does: the same short escapes, \u00XX in lowercase for the other
# controls, everything else as it is.
_string = encode_basestring


def entry_bytes(
    seq: int, kind: str, at_us: int, subject: str, party: str, told: str, body: str
) -> bytes:
    """The entry of one stored event row (``told`` and ``body`` as the store holds them).

    >>> entry_bytes(3, "thread.opened", 0, "t1", "blue", ",red,blue,", '{"thread":{}}')
    b'{"at":"1970-01-01T00:00:00.000000Z","body":{"thread":{}},"kind":"thread.opened","party":"blue","seq":3,"subject":"t1","told":["blue","red"]}'
    """
    return (
        f'{{"at":"{at_text(at_us)}","body":{body},"kind":{_string(kind)},'
        f'"party":{_string(party)},"seq":{seq},"subject":{_string(subject)},'
        f'"told":{told_text(told)}}}'
    ).encode()


def leaf_hashes(rows: Iterable[EventTuple]) -> list[bytes]:
    """The leaf hash (``tree.leaf_hash``) of each stored event row's entry, in one pass.

    The same bytes as ``leaf_hash(entry_bytes(*row))`` (the tests hold them together), written
    out here with its 0x00 prefix in place: ``advance`` and ``record verify`` hash every event,
    and the calls and copies between those two functions cost a fifth of their time.
    """
    sha, enc, second, told_ = hashlib.sha256, _string, _second, told_text
    out: list[bytes] = []
    add = out.append
    for seq, kind, at_us, subject, party, told, body in rows:
        s, us = divmod(at_us, 1_000_000)
        add(
            sha(
                f'\x00{{"at":"{second(s)}.{us:06d}Z","body":{body},"kind":{enc(kind)},'
                f'"party":{enc(party)},"seq":{seq},"subject":{enc(subject)},'
                f'"told":{told_(told)}}}'.encode()
            ).digest()
        )
    return out


def canonical_entry(record: dict[str, Any]) -> bytes:
    """The same entry encoded from a parsed record object, with the general RFC 8785 encoder
    (what an independent checker would do; the tests hold ``entry_bytes`` to it)."""
    return bytes(rfc8785.dumps(record))


def parse_entry(entry: bytes | str) -> dict[str, Any]:
    """An entry's record object (``seq``, ``kind``, ``at``, ``subject``, ``party``, ``told``,
    ``body``), checked to be one; ``ValueError`` with a sentence when it is not."""
    try:
        record = json.loads(entry)
    except ValueError:
        raise ValueError("the entry is not JSON") from None
    if not isinstance(record, dict):
        raise ValueError("the entry is not a JSON object")
    wanted = {"at", "body", "kind", "party", "seq", "subject", "told"}
    if set(record) != wanted:
        raise ValueError(f"the entry has the members {sorted(record)}, not {sorted(wanted)}")
    if not isinstance(record["seq"], int) or not isinstance(record["body"], dict):
        raise ValueError("the entry's seq is not a number or its body is not an object")
    return record
