"""Domain values and rules: plain frozen dataclasses, no I/O."""

from deconfliction.domain.conflict import Conflict, ConflictKind, ConflictStatus
from deconfliction.domain.notice import ALL, Audience, Notice, NoticeKind, NoticeState
from deconfliction.domain.party import Member, Party, Role, check_slug
from deconfliction.domain.volume import (
    AltitudeBand,
    Buffers,
    Footprint,
    FootprintKind,
    Position,
    TimeWindow,
    Volume,
)

__all__ = [
    "ALL",
    "AltitudeBand",
    "Audience",
    "Buffers",
    "Conflict",
    "ConflictKind",
    "ConflictStatus",
    "Footprint",
    "FootprintKind",
    "Member",
    "Notice",
    "NoticeKind",
    "NoticeState",
    "Party",
    "Position",
    "Role",
    "TimeWindow",
    "Volume",
    "check_slug",
]
