"""Deconfliction Line: parties that share airspace and ground tell each other where they will be.

The public surface is deliberately small; see ``__all__``.
"""

from deconfliction.domain import (
    AltitudeBand,
    Audience,
    Buffers,
    Conflict,
    ConflictKind,
    ConflictStatus,
    Footprint,
    FootprintKind,
    Member,
    Notice,
    NoticeKind,
    NoticeState,
    Party,
    Role,
    TimeWindow,
    Volume,
)
from deconfliction.errors import (
    AlreadyExists,
    DeconflictionError,
    InvalidGeometry,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PreconditionRequired,
    StateConflict,
    VersionMismatch,
)

__version__ = "0.1.0"

__all__ = [
    "AlreadyExists",
    "AltitudeBand",
    "Audience",
    "Buffers",
    "Conflict",
    "ConflictKind",
    "ConflictStatus",
    "DeconflictionError",
    "Footprint",
    "FootprintKind",
    "InvalidGeometry",
    "InvalidInput",
    "Member",
    "NotAuthenticated",
    "NotFound",
    "Notice",
    "NoticeKind",
    "NoticeState",
    "Party",
    "PayloadTooLarge",
    "PermissionDenied",
    "PreconditionRequired",
    "Role",
    "StateConflict",
    "TimeWindow",
    "VersionMismatch",
    "Volume",
    "__version__",
]
