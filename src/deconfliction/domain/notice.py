"""Notices: what a party tells the line, with the rules for their state and audience."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from deconfliction.domain.limits import (
    MAX_ACK_WITHIN,
    MAX_H_BUFFER_M,
    MAX_T_BUFFER_S,
    MAX_TITLE,
    MAX_V_BUFFER_M,
    MAX_VOLUMES,
)
from deconfliction.domain.text import check_plain
from deconfliction.domain.volume import Buffers, Volume, check_instant
from deconfliction.errors import InvalidInput

__all__ = ["ALL", "Audience", "Notice", "NoticeDraft", "NoticeKind", "NoticeState"]

ALL = "all"


class NoticeKind(StrEnum):
    OPERATION = "operation"
    SITE = "site"
    MOVEMENT = "movement"

    @classmethod
    def parse(cls, value: str, pointer: str = "/kind") -> NoticeKind:
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(k.value for k in cls)
            raise InvalidInput(
                f"unknown kind {value!r}; valid kinds are {valid}", pointer
            ) from None


class NoticeState(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"

    def accepts_update(self) -> bool:
        """Only an active notice can be changed; a withdrawn or expired one is history."""
        return self is NoticeState.ACTIVE


@dataclass(frozen=True, slots=True)
class Audience:
    """The parties a notice is shared with: a set of slugs, or every party on the line."""

    parties: frozenset[str] = frozenset()
    everyone: bool = False

    @classmethod
    def of(cls, value: str | Iterable[str]) -> Audience:
        if isinstance(value, str):
            if value != ALL:
                raise InvalidInput(
                    f"audience must be {ALL!r} or a list of party slugs", "/audience"
                )
            return cls(everyone=True)
        return cls(parties=frozenset(value))

    def includes(self, party: str) -> bool:
        return self.everyone or party in self.parties

    def to_json(self) -> str | list[str]:
        return ALL if self.everyone else sorted(self.parties)


@dataclass(frozen=True, slots=True)
class Notice:
    """A party's declaration: 1..n volumes of one kind, shared with an audience, versioned."""

    id: str
    party: str
    kind: NoticeKind
    volumes: tuple[Volume, ...]
    audience: Audience
    created_at: datetime
    updated_at: datetime
    title: str = ""
    protected: bool = False
    buffers: Buffers | None = None
    state: NoticeState = NoticeState.ACTIVE
    version: int = 1
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ends_at(self) -> datetime:
        return max(v.time.end for v in self.volumes)

    def state_at(self, now: datetime) -> NoticeState:
        """The state at ``now``: an active notice whose every volume has ended is expired."""
        if self.state is NoticeState.ACTIVE and self.ends_at < now:
            return NoticeState.EXPIRED
        return self.state

    def visible_to(self, party: str) -> bool:
        """Need-to-know: the notice's own party and its audience see it; nobody else."""
        return party == self.party or self.audience.includes(party)


@dataclass(frozen=True, slots=True)
class NoticeDraft:
    """What a coordinator submits to create or replace a notice.

    Its volumes are checked values (windows and bands come from ``check_window`` and
    ``check_band`` where a front door reads them); :meth:`check` holds the draft to every other
    rule that needs no store.
    """

    kind: NoticeKind
    volumes: tuple[Volume, ...]
    audience: Audience = Audience()
    title: str = ""
    protected: bool = False
    buffers: Buffers | None = None
    ack_by: datetime | None = None
    """Every audience party must acknowledge this version by then (protected: 1 h by default)."""

    def check(self, now: datetime) -> None:
        """``InvalidInput`` naming the field, unless the draft may be declared at ``now``."""
        if not 1 <= len(self.volumes) <= MAX_VOLUMES:
            raise InvalidInput(f"a notice has 1 to {MAX_VOLUMES} volumes", "/volumes")
        if len(self.title) > MAX_TITLE:
            raise InvalidInput(f"a title has at most {MAX_TITLE} characters", "/title")
        check_plain(self.title, "/title")
        if max(v.time.end for v in self.volumes) < now:
            raise InvalidInput(
                "every volume has already ended; nothing left to declare", "/volumes"
            )
        if self.buffers is not None:
            limits = {"h_m": MAX_H_BUFFER_M, "v_m": MAX_V_BUFFER_M, "t_s": MAX_T_BUFFER_S}
            for name, limit in limits.items():
                value = getattr(self.buffers, name)
                if not (math.isfinite(value) and 0 <= value <= limit):
                    raise InvalidInput(f"must be between 0 and {limit:g}", f"/buffers/{name}")
        if self.ack_by is not None and not now < check_instant(self.ack_by, "/ack_by") <= (
            now + MAX_ACK_WITHIN
        ):
            raise InvalidInput("ack_by must lie in the future, at most 30 days ahead", "/ack_by")
