"""The store's contract: what the use cases ask of persistence, whatever the database.

SQLite (embedded, the default) and PostgreSQL both implement it and pass one contract suite
(``tests/store/``). Every use case runs inside one ``Store.transaction()``; writes that a conflict
check guards take the write lock first (``Tx.lock_for_notice_write``), so two concurrent writers
can never both miss each other.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from deconfliction.store.audit import AuditRepo
from deconfliction.store.cosignatures import CosignatureRepo, StoredCosignature
from deconfliction.store.feeds import FeedRepo
from deconfliction.store.lease import Lease
from deconfliction.store.memindex import HeldVolume
from deconfliction.store.repos import (
    ConflictRepo,
    ConversationRepo,
    EventRepo,
    NoticeRepo,
    PartyRepo,
    ProbingRepo,
    ReceiptRepo,
    RecordRepo,
    TrackRepo,
)
from deconfliction.store.values import (
    Box4,
    ConflictQuery,
    EventRow,
    NoticeQuery,
    StoredCheckpoint,
    VolumeRow,
)

__all__ = [
    "AuditRepo",
    "Box4",
    "ConflictQuery",
    "ConflictRepo",
    "ConversationRepo",
    "CosignatureRepo",
    "EventRepo",
    "EventRow",
    "FeedRepo",
    "Lease",
    "HeldVolume",
    "NoticeQuery",
    "NoticeRepo",
    "PartyRepo",
    "ProbingRepo",
    "ReceiptRepo",
    "RecordRepo",
    "Store",
    "StoredCheckpoint",
    "StoredCosignature",
    "TrackRepo",
    "Tx",
    "VolumeRow",
]


class Tx(
    PartyRepo,
    NoticeRepo,
    ConflictRepo,
    TrackRepo,
    EventRepo,
    RecordRepo,
    ReceiptRepo,
    ConversationRepo,
    CosignatureRepo,
    FeedRepo,
    AuditRepo,
    ProbingRepo,
    Protocol,
):
    """One transaction; its methods see and write the same snapshot.

    Each capability is a Protocol of ``store.repos``; a function that needs only some of them
    may take only those.
    """

    def lock_for_notice_write(self) -> None:
        """Serialise writers whose conflict checks must see each other (no-op if already held)."""

    def schema_revision(self) -> str | None:
        """The migration the database is at (``None``: none applied)."""


class Store(Protocol):
    url: str

    def transaction(self) -> AbstractContextManager[Tx]: ...
    def read(self) -> AbstractContextManager[Tx]:
        """A transaction for reading only (on SQLite a deferred BEGIN: it takes no write lock)."""

    def lease(self, name: str) -> Lease:
        """What one process at a time holds (the scanner's), among nodes on one database."""

    def warm(self) -> int:
        """Build the in-memory index of active volumes now; how many volumes it holds."""

    def close(self) -> None: ...
