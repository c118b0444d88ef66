"""Threads and messages: the conversation between parties, and what a request's state is.

A thread is between two or more parties. Its messages are requests (with a reply deadline),
replies (one per request, from the party asked) and notes. A request's state is derived: from its
answer if it has one, otherwise from its deadline. A counter is itself answered once, by the
requester's ``accept``: the request is then accepted on the counter's terms (``on_terms``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from deconfliction.domain.limits import (
    MAX_DEADLINE,
    MAX_REFERENCES,
    MAX_TEXT,
)
from deconfliction.domain.text import check_plain
from deconfliction.domain.volume import TimeWindow, Volume, check_instant
from deconfliction.errors import InvalidInput

if TYPE_CHECKING:
    from deconfliction.record.statement import Signed

__all__ = [
    "Message",
    "MessageDraft",
    "MessageKind",
    "ReplyKind",
    "RequestKind",
    "RequestState",
    "Thread",
    "check_text",
    "on_terms",
]

"""How far ahead a reply deadline may lie: a request is for something about to happen."""


def _parse(cls: Any, value: str, pointer: str, what: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        valid = ", ".join(k.value for k in cls)
        raise InvalidInput(f"unknown {what} {value!r}; valid ones are {valid}", pointer) from None


class MessageKind(StrEnum):
    REQUEST = "request"
    REPLY = "reply"
    NOTE = "note"
    WITHDRAW = "withdraw"
    """Ends the commitment an accepted vacate or keep-clear request made (either side may)."""

    @classmethod
    def parse(cls, value: str, pointer: str = "/kind") -> MessageKind:
        result: MessageKind = _parse(cls, value, pointer, "kind")
        return result


class RequestState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COUNTERED = "countered"
    EXPIRED = "expired"
    """The deadline passed with no answer."""


class RequestKind(StrEnum):
    VACATE = "vacate"
    """Keep out of a volume during a window."""
    KEEP_CLEAR = "keep-clear"
    """Do not enter a volume."""
    HOLD = "hold"
    """Pause an operation."""
    CONFIRM = "confirm"
    """Confirm receipt or intent."""

    @classmethod
    def parse(cls, value: str, pointer: str = "/request") -> RequestKind:
        result: RequestKind = _parse(cls, value, pointer, "request")
        return result

    def needs_area(self) -> bool:
        """Vacate and keep-clear name a place: a volume of their own or a referenced notice."""
        return self in (RequestKind.VACATE, RequestKind.KEEP_CLEAR)


class ReplyKind(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    COUNTER = "counter"

    @classmethod
    def parse(cls, value: str, pointer: str = "/reply") -> ReplyKind:
        result: ReplyKind = _parse(cls, value, pointer, "reply")
        return result

    @property
    def state(self) -> RequestState:
        """The state a request takes once answered so."""
        return {
            ReplyKind.ACCEPT: RequestState.ACCEPTED,
            ReplyKind.DECLINE: RequestState.DECLINED,
            ReplyKind.COUNTER: RequestState.COUNTERED,
        }[self]


def check_text(value: str, limit: int, pointer: str, lines: bool = False) -> str:
    """Free text of at most ``limit`` characters and nothing ``domain.text`` refuses (control
    characters but line breaks and tabs when ``lines``; bidirectional overrides)."""
    if len(value) > limit:
        raise InvalidInput(f"at most {limit} characters, not {len(value)}", pointer)
    return check_plain(value, pointer, lines)


@dataclass(frozen=True, slots=True)
class Thread:
    """A conversation between ``parties`` (slugs, the opener's ``party`` among them).

    ``updated_at`` is its newest activity: when it was opened or its last message sent.
    """

    id: str
    subject: str
    parties: frozenset[str]
    party: str
    member: str
    created_at: datetime
    updated_at: datetime

    def includes(self, party: str) -> bool:
        return party in self.parties


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """What a coordinator sends on a thread; which fields a kind takes is checked by ``check``.

    ``volume`` is a request's area, or a counter's alternative (with or instead of ``window``).
    """

    kind: MessageKind
    text: str = ""
    request: RequestKind | None = None
    to: str | None = None
    notices: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    volume: Volume | None = None
    deadline: datetime | None = None
    in_reply_to: str | None = None
    reply: ReplyKind | None = None
    reason: str = ""
    window: TimeWindow | None = None

    def check(self, now: datetime) -> None:
        """Raise ``InvalidInput`` at the first field this kind of message does not take, lacks,
        or holds out of range (references to the thread, notices and conflicts are the use
        case's to check)."""
        allowed = _FIELDS[self.kind]
        for f in fields(self):
            if f.name not in allowed and f.name != "kind" and getattr(self, f.name):
                raise InvalidInput(f"a {self.kind.value} has no {f.name}", f"/{f.name}")
        check_text(self.text, MAX_TEXT, "/text", lines=True)
        check_text(self.reason, MAX_TEXT, "/reason", lines=True)
        for name in ("notices", "conflicts"):
            if len(getattr(self, name)) > MAX_REFERENCES:
                raise InvalidInput(f"at most {MAX_REFERENCES} references", f"/{name}")
        if self.kind is MessageKind.NOTE and not self.text.strip():
            raise InvalidInput("a note needs text", "/text")
        if self.kind is MessageKind.REQUEST:
            self._check_request(now)
        if self.kind is MessageKind.REPLY:
            self._check_reply(now)
        if self.kind is MessageKind.WITHDRAW and self.in_reply_to is None:
            raise InvalidInput("a withdrawal names the accepted request", "/in_reply_to")

    def _check_request(self, now: datetime) -> None:
        for name in ("request", "to", "deadline"):
            if getattr(self, name) is None:
                raise InvalidInput(f"a request needs {name}", f"/{name}")
        assert self.request is not None and self.deadline is not None
        deadline = check_instant(self.deadline, "/deadline")
        if deadline <= now:
            raise InvalidInput("the deadline to reply must lie in the future", "/deadline")
        if deadline > now + MAX_DEADLINE:
            raise InvalidInput("the deadline to reply lies at most 7 days ahead", "/deadline")
        if self.request.needs_area() and self.volume is None and not self.notices:
            raise InvalidInput(
                f"a {self.request.value} request names its area: a volume, or notices", "/volume"
            )
        _not_over(self.volume, now, "/volume/time/end")

    def _check_reply(self, now: datetime) -> None:
        for name in ("in_reply_to", "reply"):
            if getattr(self, name) is None:
                raise InvalidInput(f"a reply needs {name}", f"/{name}")
        if self.reply is ReplyKind.DECLINE and not self.reason.strip():
            raise InvalidInput("a decline gives its reason", "/reason")
        if self.reply is ReplyKind.ACCEPT:
            for name in ("reason", "volume", "window"):
                if getattr(self, name):
                    raise InvalidInput(
                        f"an accept has no {name} (a counter proposes an alternative)", f"/{name}"
                    )
        if self.reply is ReplyKind.COUNTER and self.volume is None and self.window is None:
            raise InvalidInput(
                "a counter proposes an alternative: a volume, a window or both", "/volume"
            )
        _not_over(self.volume, now, "/volume/time/end")
        if self.window is not None and self.window.end < now:
            raise InvalidInput("the window has already ended", "/window/end")


def _not_over(volume: Volume | None, now: datetime, pointer: str) -> None:
    if volume is not None and volume.time.end < now:
        raise InvalidInput("the volume has already ended", pointer)


_FIELDS = {
    MessageKind.NOTE: {"text"},
    MessageKind.REQUEST: {"text", "request", "to", "notices", "conflicts", "volume", "deadline"},
    MessageKind.REPLY: {"text", "in_reply_to", "reply", "reason", "volume", "window"},
    MessageKind.WITHDRAW: {"text", "in_reply_to"},
}


@dataclass(frozen=True, slots=True)
class Message:
    """One entry on a thread, by member ``member`` of ``party``; see ``MessageDraft``.

    A request carries ``answer`` once its reply is stored (``accept`` too once the requester
    accepted a counter to it), and ``escalated_at`` once its deadline passed unanswered and the
    line told both sides. A counter carries ``answer`` once the requester accepted it.
    """

    id: str
    thread: str
    kind: MessageKind
    party: str
    member: str
    created_at: datetime
    text: str = ""
    request: RequestKind | None = None
    to: str | None = None
    notices: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    volume: Volume | None = None
    deadline: datetime | None = None
    answer: ReplyKind | None = None
    escalated_at: datetime | None = None
    in_reply_to: str | None = None
    reply: ReplyKind | None = None
    reason: str = ""
    window: TimeWindow | None = None
    withdrawn_at: datetime | None = None
    """An accepted vacate or keep-clear request: when its commitment was withdrawn."""
    signed: Signed | None = None
    """The sender's signature over the body it posted, verified against its registered key."""

    def terms_end(self) -> datetime | None:
        """A counter's terms end: its window's end, else its volume's (``None`` for others)."""
        if self.reply is not ReplyKind.COUNTER:
            return None
        if self.window is not None:
            return self.window.end
        return None if self.volume is None else self.volume.time.end

    def commits(self) -> bool:
        """Whether this request is an agreement the line enforces: an accepted vacate or
        keep-clear, not withdrawn. ``to`` is then committed to stay out of its area."""
        return (
            self.kind is MessageKind.REQUEST
            and self.request is not None
            and self.request.needs_area()
            and self.answer is ReplyKind.ACCEPT
            and self.withdrawn_at is None
        )

    def state_at(self, now: datetime) -> RequestState | None:
        """A request's state at ``now``; a counter's (``open`` until the requester accepts it);
        ``None`` for other replies and notes."""
        if self.reply is ReplyKind.COUNTER:
            return RequestState.OPEN if self.answer is None else self.answer.state
        if self.kind is not MessageKind.REQUEST:
            return None
        if self.answer is not None:
            return self.answer.state
        if self.deadline is not None and now >= self.deadline:
            return RequestState.EXPIRED
        return RequestState.OPEN


def on_terms(area: Sequence[Volume], counter: Message | None) -> tuple[Volume, ...]:
    """The area an agreement holds: the request's ``area`` as asked, or on the terms of the
    ``counter`` the requester accepted — its volume in place of the area, and its window, when
    it gives one, as the time of every volume.

    >>> from datetime import UTC, datetime as dt
    >>> from deconfliction.domain.volume import Footprint, FootprintKind
    >>> def w(h): return TimeWindow(dt(2026, 12, 1, h, tzinfo=UTC), dt(2026, 12, 1, h + 5,
    ...                                                                 tzinfo=UTC))
    >>> point = Footprint(FootprintKind.CIRCLE, (((40.14, 35.33),),), 20_000.0)
    >>> asked = Volume(point, w(6))
    >>> counter = Message("c", "t", MessageKind.REPLY, "red", "m", dt(2026, 12, 1, tzinfo=UTC),
    ...                   reply=ReplyKind.COUNTER, window=w(13))
    >>> [v.time.start.hour for v in on_terms([asked], None)]
    [6]
    >>> [v.time.start.hour for v in on_terms([asked], counter)]
    [13]
    """
    if counter is None:
        return tuple(area)
    volumes = list(area) if counter.volume is None else [counter.volume]
    if counter.window is not None:
        volumes = [replace(v, time=counter.window) for v in volumes]
    return tuple(volumes)
