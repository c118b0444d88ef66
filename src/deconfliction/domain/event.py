"""Events: every change on the line, in one append-only log with a gap-free sequence number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from deconfliction.domain.notice import Audience

__all__ = ["Event", "EventKind"]


class EventKind(StrEnum):
    NOTICE_CREATED = "notice.created"
    NOTICE_UPDATED = "notice.updated"
    NOTICE_WITHDRAWN = "notice.withdrawn"
    CONFLICT_OPENED = "conflict.opened"
    CONFLICT_UPDATED = "conflict.updated"
    CONFLICT_CLOSED = "conflict.closed"
    """Resolved (the encounter or overlap ended) or expired (a track went stale)."""
    THREAD_OPENED = "thread.opened"
    MESSAGE_SENT = "message.sent"
    """A request, reply or note on a thread."""
    RECEIPT_RECORDED = "receipt.recorded"
    """A party has received (delivered) or acknowledged a notice version or a message."""
    ESCALATION_RAISED = "escalation.raised"
    """A deadline passed without the answer or acknowledgement it asked for."""
    KEY_REGISTERED = "key.registered"
    """A member registered (or replaced) the public key its signatures are checked with."""
    PROBING_SUSPECTED = "probing.suspected"
    """A party's notices or tracks kept opening conflicts with one notice it may not see: told
    to that notice's party (with the notice) and to the host (``domain.probing``)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One change: ``seq`` is its place in the log (1, 2, 3, ... with no gap), ``subject`` the
    notice or conflict it is about, ``party`` whose change it is, ``told`` the parties that may
    receive it in some form, ``body`` its content in full (the line's JSON forms).

    Each party receives its own view of an event: a notice only within its audience, a conflict
    redacted past need-to-know (``service.events``). ``seq`` is 0 until the store appends it.
    """

    seq: int
    kind: EventKind
    at: datetime
    subject: str
    party: str
    told: Audience
    body: dict[str, Any]
