"""Domain values and rules: plain frozen dataclasses, no I/O."""

from deconfliction.domain.conflict import (
    Conflict,
    ConflictAck,
    ConflictKind,
    ConflictStatus,
    Retell,
    Severity,
    TrackConflict,
)
from deconfliction.domain.conversation import (
    Message,
    MessageDraft,
    MessageKind,
    ReplyKind,
    RequestKind,
    RequestState,
    Thread,
)
from deconfliction.domain.event import Event, EventKind
from deconfliction.domain.notice import ALL, Audience, Notice, NoticeDraft, NoticeKind, NoticeState
from deconfliction.domain.party import HOST_PARTY, Member, Party, Role, check_slug
from deconfliction.domain.severity import AlertLevels
from deconfliction.domain.track import (
    DEFAULT_STALE_S,
    Minima,
    Minimum,
    Track,
    TrackDomain,
    TrackReport,
)
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
    "AlertLevels",
    "DEFAULT_STALE_S",
    "AltitudeBand",
    "Audience",
    "Buffers",
    "Conflict",
    "ConflictAck",
    "ConflictKind",
    "ConflictStatus",
    "Event",
    "EventKind",
    "Footprint",
    "HOST_PARTY",
    "FootprintKind",
    "Member",
    "Message",
    "MessageDraft",
    "MessageKind",
    "Minima",
    "Minimum",
    "Notice",
    "NoticeDraft",
    "NoticeKind",
    "NoticeState",
    "Party",
    "Position",
    "ReplyKind",
    "Retell",
    "RequestKind",
    "RequestState",
    "Role",
    "Severity",
    "Thread",
    "TimeWindow",
    "Track",
    "TrackConflict",
    "TrackDomain",
    "TrackReport",
    "Volume",
    "check_slug",
]
