"""How a member is named to a party: by its id to its own party, by a label to every other.

A label ``<party>#<code>`` tells two members of a party apart within one *scope* — a thread, the
receipts of one notice, one registered key — and says nothing else. ``code`` is the first 30 bits
(six characters of Crockford's base32) of HMAC-SHA256 over the scope and the member's id, keyed
with a secret only the line holds (``Signer.derive``), so:

- the same member has the same label all through a thread: a reader can tell who answered whom;
- its labels in two threads are unrelated: another party cannot follow one person from thread to
  thread, count a party's members, or learn when one was made (an id is a UUIDv7: it tells);
- a label cannot be traced back to an id without the line's key, even by someone who learnt ids
  some other way; the line, holding the key, re-derives any label from its stored member id.

Two members of one party share a label in a scope with odds of about one in 2^30 per pair.

>>> labels = Labels(b"k" * 32)
>>> a = labels.label(thread_scope("t-1"), "red", "m-1")
>>> a == labels.label(thread_scope("t-1"), "red", "m-1"), a.startswith("red#"), len(a)
(True, True, 10)
>>> a == labels.label(thread_scope("t-2"), "red", "m-1")
False
>>> show = labels.naming(thread_scope("t-1"), "red")
>>> show("red", "m-1"), show("blue", "m-9") == labels.label(thread_scope("t-1"), "blue", "m-9")
('m-1', True)
>>> labels.known(thread_scope("t-1"), "red", ["m-1", "m-2"])[a]
'm-1'
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from deconfliction.record.keys import Signer

__all__ = [
    "Labels",
    "Naming",
    "is_label",
    "key_scope",
    "notice_scope",
    "thread_scope",
]

Naming = Callable[[str, str], str]
"""How one reader is shown a member: ``(party, member id) -> what it reads``."""

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
_CODE_CHARS = 6
_SHIFTS = tuple(5 * i for i in reversed(range(_CODE_CHARS)))


def thread_scope(thread_id: str) -> str:
    """The scope of a thread: its opener, its messages and their signed receipts."""
    return f"thread/{thread_id}"


def notice_scope(notice_id: str) -> str:
    """The scope of a notice's receipts (every version): who signed an acknowledgement."""
    return f"notice/{notice_id}"


def key_scope(public_key_b64: str) -> str:
    """The scope of one registered key: its registration names a member no other scope links."""
    return f"key/{public_key_b64}"


def is_label(name: str) -> bool:
    """Whether ``name`` is a label (``red#4kq7m2``) rather than a member id.

    >>> is_label("red#4kq7m2"), is_label("0193a4b2-0000-7000-8000-000000000001")
    (True, False)
    """
    party, hashed, code = name.rpartition("#")
    return bool(hashed and party) and len(code) == _CODE_CHARS and set(code) <= set(_ALPHABET)


@dataclass(frozen=True, slots=True)
class Labels:
    """The line's labels, made with ``key`` (32 secret bytes; never shown, never logged)."""

    key: bytes = field(repr=False)

    @classmethod
    def of(cls, signer: Signer) -> Labels:
        """The labels of the line whose record ``signer`` signs: the same for the record's
        whole life, on every node (and in every audit) that holds its key file."""
        return cls(signer.derive(b"deconfliction member labels/1"))

    def label(self, scope: str, party: str, member: str) -> str:
        """The label of member ``member`` of ``party`` in ``scope``."""
        mac = hmac.digest(self.key, f"{scope}\x00{member}".encode(), "sha256")
        bits = int.from_bytes(mac[:4], "big") >> (32 - 5 * _CODE_CHARS)
        code = [_ALPHABET[(bits >> shift) & 31] for shift in _SHIFTS]
        return f"{party}#{''.join(code)}"

    def naming(self, scope: str, viewer: str | None) -> Naming:
        """How party ``viewer`` is shown members in ``scope``: its own by id, others by label;
        every member by label when ``viewer`` is ``None`` (the record, which every party of
        the event may read)."""

        def name(party: str, member: str) -> str:
            if viewer is not None and party == viewer:
                return member
            return self.label(scope, party, member)

        return name

    def known(self, scope: str, party: str, members: Iterable[str]) -> dict[str, str]:
        """The labels ``party``'s own ``members`` have in ``scope``, mapped to their ids: how a
        party reads its own members' ids back from what the record names by label."""
        return {self.label(scope, party, m): m for m in members}
