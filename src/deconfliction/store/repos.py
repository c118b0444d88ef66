"""The store's contract per capability: one small Protocol for each kind of thing it keeps.

``store.base.Tx`` combines them; ``SqlTx`` implements each with a mixin of its own module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Protocol

from deconfliction.domain import (
    Audience,
    Conflict,
    ConflictAck,
    Event,
    Member,
    Message,
    Notice,
    Party,
    Severity,
    Thread,
    Track,
    TrackConflict,
    TrackDomain,
)
from deconfliction.domain.party import MemberKey
from deconfliction.domain.receipt import AckDue, MessageReceipt, Receipt
from deconfliction.record.entry import EventTuple
from deconfliction.record.statement import Signed
from deconfliction.record.tree import NodeRow
from deconfliction.store.memindex import HeldVolume
from deconfliction.store.values import (
    Box4,
    ConflictQuery,
    EventRow,
    NoticeQuery,
    StoredCheckpoint,
    VolumeRow,
)

__all__ = [
    "ConflictRepo",
    "ConversationRepo",
    "EventRepo",
    "NoticeRepo",
    "PartyRepo",
    "ProbingRepo",
    "ReceiptRepo",
    "RecordRepo",
    "TrackRepo",
]


class PartyRepo(Protocol):
    """Parties, their members, and the public keys members register (``store.parties``,
    ``store.keys``)."""

    def add_party(self, party: Party) -> None: ...
    def get_party(self, slug: str) -> Party | None: ...
    def list_parties(self) -> list[Party]: ...
    def add_member(self, member: Member, token_hash: str) -> None: ...
    def member_for_token(self, token_hash: str) -> Member | None: ...
    def list_members(
        self,
        party: str | None = None,
        limit: int | None = None,
        after: tuple[datetime, str] | None = None,
    ) -> list[Member]:
        """Members (of ``party``), oldest first (created_at, id), after ``after``."""

    def get_members(self, member_ids: Sequence[str]) -> dict[str, Member]:
        """The members of those ids that exist."""

    def revoke_member(self, member_id: str, at: datetime) -> None:
        """Revoke the member's token at ``at`` (kept if revoked already) and drop its stream
        tickets."""

    def replace_token(
        self, member_id: str, token_hash: str, token_prefix: str, expires: datetime
    ) -> None:
        """Give the member a new token (the old one stops working) and drop its tickets."""

    def touch_member(self, member_id: str, at: datetime, unless_since: datetime) -> None:
        """Set the member's last use to ``at`` unless it was seen after ``unless_since``."""

    def put_stream_ticket(
        self, ticket_hash: str, member: str, expires: datetime, now: datetime
    ) -> None:
        """Keep a stream ticket's hash until ``expires`` (and forget those spent by ``now``)."""

    def take_stream_ticket(self, ticket_hash: str, now: datetime) -> Member | None:
        """The member a ticket opens a stream for, once: the ticket is gone after this call;
        ``None`` for one unknown, used or expired."""

    def member_key(self, member_id: str) -> MemberKey | None:
        """The public key the member registered, if it did."""

    def set_member_key(self, member_id: str, public_key: bytes, at: datetime) -> None:
        """Register (or replace) the member's Ed25519 public key (32 raw bytes)."""

    def key_holder(self, public_key: bytes) -> str | None:
        """The member whose registered key ``public_key`` is, if any."""


class NoticeRepo(Protocol):
    """Notices, every version of each, and the indexed volumes of active ones
    (``store.notices``)."""

    def insert_notice(self, notice: Notice, volumes: Sequence[VolumeRow]) -> None: ...
    def insert_notices_bulk(
        self,
        items: Sequence[tuple[Notice, Sequence[VolumeRow]]],
        conflicts: Sequence[Conflict] = (),
    ) -> None:
        """Load many notices, their volumes and conflicts with one executemany per table.

        For seeding and benchmarks: pass a few thousand notices per call, many calls per
        transaction. Raises ``AlreadyExists`` if any notice id is taken.
        """

    def update_notice(self, notice: Notice, volumes: Sequence[VolumeRow] | None) -> None:
        """Store a new version and keep the old one.

        ``volumes=None`` keeps the index rows (they take the new version and state), ``()`` drops
        them (withdrawn: no longer a candidate), a sequence replaces them.
        """

    def get_notice(self, notice_id: str) -> Notice | None: ...
    def get_notices(self, notice_ids: Sequence[str]) -> dict[str, Notice]:
        """The current version of each existing notice among ``notice_ids`` (one query)."""

    def notice_audiences(self, notice_ids: Sequence[str]) -> dict[str, tuple[str, Audience]]:
        """Party and audience of each existing notice among ``notice_ids`` (one query)."""

    def get_notice_versions(self, notice_id: str) -> list[Notice]:
        """Every stored version of the notice, oldest first (withdrawn notices keep theirs)."""

    def list_notices(self, query: NoticeQuery) -> list[Notice]: ...
    def candidates(
        self, boxes: Sequence[Box4], exclude_notice: str | None = None
    ) -> list[VolumeRow]:
        """Volumes of active notices whose index boxes meet any of ``boxes`` (an indexed query)."""

    def nearby(self, boxes: Sequence[Box4], exclude_notice: str | None = None) -> list[HeldVolume]:
        """The same volumes as :meth:`candidates`, from the process's in-memory index
        (``store.memindex``), caught up first with notice writes committed elsewhere; ordered by
        volume. Ask it holding the notice write lock when it decides a write."""


class ConflictRepo(Protocol):
    """Strategic conflicts: between volumes of notices (``store.conflicts``)."""

    def insert_conflicts(self, conflicts: Sequence[Conflict]) -> None: ...
    def resolve_conflicts(self, notice_id: str, at: datetime) -> list[Conflict]:
        """Mark every live conflict involving ``notice_id`` resolved; return them as they were."""

    def live_conflicts_of(self, notice_id: str) -> list[Conflict]:
        """The live conflicts involving ``notice_id``, on either side."""

    def update_conflicts(self, conflicts: Sequence[Conflict], at: datetime) -> None:
        """Store each conflict's status, severity, versions, distance and window (by id); one
        no longer live is resolved ``at``."""

    def conflicts_to_escalate(self, severity: Severity, before: datetime) -> list[Conflict]:
        """Live conflicts still at ``severity`` whose window starts by ``before`` (oldest first,
        at most 1,000 a call)."""

    def set_severity(self, conflicts: Sequence[Conflict], at: datetime) -> None:
        """Store each conflict's severity (by id), changed ``at``."""

    def conflict_acks(self, conflict_ids: Sequence[str]) -> dict[str, list[ConflictAck]]:
        """Every acknowledgement of each conflict (strategic or on tracks), oldest first."""

    def drop_conflict_acks(self, conflict_ids: Sequence[str]) -> None:
        """Forget every acknowledgement of these conflicts (they changed: ask again)."""

    def put_conflict_ack(self, conflict_id: str, ack: ConflictAck) -> None:
        """Record ``ack.party``'s acknowledgement, replacing an earlier one of that party."""

    def get_conflict(self, conflict_id: str) -> Conflict | None: ...
    def list_conflicts(
        self,
        party: str,
        live_only: bool = False,
        limit: int = 1000,
        query: ConflictQuery | None = None,
    ) -> list[Conflict]:
        """Strategic conflicts of ``party`` matching ``query``, newest first (detected_at, id)."""


class TrackRepo(Protocol):
    """Tracks, the latest state of each asset, and the conflicts on them, followed from scan to
    scan (``store.tracks``)."""

    # tracks: the latest state of each asset
    def put_tracks(self, tracks: Sequence[Track]) -> int:
        """Insert or replace each track, unless the stored state is as new or newer; the ``rev``
        written (0 when no row was: ``tracks`` empty, or every one older than the stored)."""

    def track_mark(self) -> int:
        """A mark to read changed tracks from: every write not yet visible to this transaction's
        later reads has a ``rev`` at or above it (read it before the rows it guards)."""

    def tracks_changed(self, mark: int, skip: Sequence[int] = ()) -> list[Track]:
        """Tracks (live or not) whose rows were written at ``rev >= mark``, except those written
        at the revs in ``skip`` (a reader's own writes, already known to it)."""

    def get_tracks(self, party: str, uids: Sequence[str]) -> dict[str, Track]:
        """The stored state of each of ``party``'s tracks among ``uids``, by uid."""

    def live_tracks(self, now: datetime) -> list[Track]:
        """Every track not stale at ``now``, ordered by party and uid."""

    def list_tracks(
        self,
        viewer: str,
        live_at: datetime | None,
        bbox: tuple[float, float, float, float] | None = None,
        domain: TrackDomain | None = None,
        limit: int = 10_000,
        after: tuple[str, str] | None = None,
        received_since: datetime | None = None,
    ) -> list[Track]:
        """Tracks ``viewer`` may see (its own, or shared with it), live at ``live_at`` if given,
        ordered by (party, uid), those after ``after`` only (and received since
        ``received_since``, if given)."""

    # conflicts on tracks, followed from scan to scan
    def live_track_conflicts(self) -> list[TrackConflict]: ...
    def closed_track_conflicts_since(self, since: datetime) -> list[TrackConflict]:
        """Conflicts on tracks closed at or after ``since``, the newest per key."""

    def insert_track_conflicts(self, conflicts: Sequence[TrackConflict]) -> None: ...
    def update_track_conflicts(self, conflicts: Sequence[TrackConflict]) -> None:
        """Store the new state of each conflict (matched by id)."""

    def get_track_conflict(self, conflict_id: str) -> TrackConflict | None: ...
    def list_track_conflicts(
        self,
        party: str,
        live_only: bool = False,
        limit: int = 1000,
        query: ConflictQuery | None = None,
    ) -> list[TrackConflict]:
        """Track conflicts ``party`` is told of (a side, or told as an audience) matching
        ``query``, newest first (detected_at, id)."""


class EventRepo(Protocol):
    """The event log: append only, under the write lock (``Tx.lock_for_notice_write`` first;
    ``store.events``)."""

    def append_events(self, events: Sequence[Event]) -> list[Event]:
        """Append in order with the next sequence numbers; return them numbered."""

    def last_event_seq(self) -> int:
        """The newest sequence number (0 for an empty log)."""

    def events_after(self, after: int, party: str | None, limit: int = 1000) -> list[Event]:
        """Events with ``seq > after``, oldest first: all of them, or those ``party`` is told of."""


class RecordRepo(Protocol):
    """The record: the Merkle tree's stored subtrees, the signed checkpoints, the line's origin and
    key, and the event rows as the tree hashes them; extended under ``lock_record``
    (``store.record``)."""

    def lock_record(self) -> None: ...
    def record_size(self) -> int:
        """The number of events the record's tree holds."""

    def count_record_nodes(self) -> int:
        """How many perfect subtrees are stored, counted by reading every one (``warm_record``
        uses it to bring the tree into the operating system's memory)."""

    def record_nodes(self, ids: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored perfect subtrees among ``ids`` ((level, index)), in one query."""

    def add_record_nodes(self, nodes: Sequence[NodeRow]) -> None:
        """Store new perfect subtrees, each a ``(level, index, hash)`` row."""

    def leaf_hashes(self, start: int, end: int) -> Iterator[tuple[int, bytes]]: ...
    def leaf_rows(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """(index, leaf hash) of the stored leaves in ``[start, end)``, in order."""

    def event_rows(self, after: int, limit: int | None = None) -> Iterator[EventRow]: ...
    def event_row_chunks(self, after: int, size: int = 10_000) -> Iterator[list[EventTuple]]:
        """The stored event rows after ``after``, in order, as lists of ``size`` plain tuples."""

    def event_row_list(self, after: int, limit: int) -> list[EventTuple]:
        """Up to ``limit`` stored event rows after ``after``, in order, as plain tuples."""

    def add_checkpoint(self, size: int, at: datetime, root: bytes, note: str) -> None: ...
    def event_rows_about(
        self, subjects: Sequence[str], containing: Sequence[str] = ()
    ) -> list[EventRow]: ...
    def latest_checkpoint(self) -> StoredCheckpoint | None: ...
    def get_checkpoint(self, size: int) -> StoredCheckpoint | None: ...
    def checkpoints(self) -> Iterator[StoredCheckpoint]: ...
    def record_line(self) -> tuple[str, str] | None:
        """The line's origin and verifier key, as the first checkpoint fixed them."""

    def set_record_line(self, origin: str, vkey: str, at: datetime) -> None: ...


class ReceiptRepo(Protocol):
    """Receipts of notice versions and of messages, and acknowledgements due
    (``store.receipts``)."""

    # receipts of notice versions, and acknowledgements due
    def get_receipts(self, notice_id: str, party: str | None = None) -> list[Receipt]: ...
    def record_deliveries(
        self, items: Sequence[tuple[str, int, str, str]], at: datetime
    ) -> list[Receipt]:
        """Mark (notice, version, party, member) delivered unless already; return the new ones."""

    def acknowledge(
        self,
        notice_id: str,
        version: int,
        party: str,
        member: str,
        at: datetime,
        signed: Signed | None = None,
    ) -> Receipt:
        """Record the acknowledgement (and the delivery it implies) unless already, and
        ``signed`` unless a signature is already recorded (the first one stands)."""

    def add_ack_due(self, due: AckDue) -> None: ...
    def ack_dues(self, notice_id: str) -> list[AckDue]: ...
    def overdue_acks(self, now: datetime) -> list[AckDue]:
        """Acknowledgements due by ``now`` not yet escalated, oldest first."""

    def mark_escalated(self, due: AckDue, at: datetime) -> None: ...

    # receipts of messages, by the parties of the thread but the author's
    def get_message_receipts(
        self, message_id: str, party: str | None = None
    ) -> list[MessageReceipt]: ...
    def record_message_deliveries(
        self, items: Sequence[tuple[str, str, str, str]], at: datetime
    ) -> list[MessageReceipt]:
        """Mark (message, thread, party, member) delivered unless already; return the new ones."""

    def acknowledge_message(
        self,
        message_id: str,
        thread_id: str,
        party: str,
        member: str,
        at: datetime,
        signed: Signed | None = None,
    ) -> MessageReceipt:
        """Record the acknowledgement (and the delivery it implies) unless already, and
        ``signed`` unless a signature is already recorded (the first one stands)."""


class ConversationRepo(Protocol):
    """Threads, their messages, and the commitments accepted requests make; writes under the write
    lock (``Tx.lock_for_notice_write`` first; ``store.conversation``)."""

    def insert_thread(self, thread: Thread) -> None: ...
    def get_thread(self, thread_id: str) -> Thread | None: ...
    def list_threads(
        self, party: str, limit: int = 100, after: tuple[datetime, str] | None = None
    ) -> list[Thread]:
        """Threads ``party`` is in, newest activity first (updated_at, id), those after ``after``
        only."""

    def insert_message(self, message: Message) -> None:
        """Store a message and mark its thread's activity; a reply also becomes its request's
        answer (``StateConflict`` if the request has one already). A reply accepting a counter
        becomes the counter's answer, and its request's (``counter`` becomes ``accept``)."""

    def get_message(self, message_id: str) -> Message | None: ...
    def list_messages(
        self, thread_id: str, limit: int = 1000, after: tuple[datetime, str] | None = None
    ) -> list[Message]:
        """The thread's messages, oldest first (created_at, id), those after ``after`` only."""

    def commitments(self) -> list[Message]:
        """Accepted vacate and keep-clear requests not withdrawn (directly, or on the terms of a
        counter the requester accepted): the agreements in force."""

    def is_committed(self, party: str) -> bool:
        """Whether ``party`` has agreed to keep out of some area (one indexed probe)."""

    def replies_to(self, message_ids: Sequence[str]) -> list[Message]:
        """The replies answering these messages (requests, or counters), at most one each."""

    def withdraw_commitment(self, request_id: str, at: datetime) -> bool:
        """Mark the accepted request withdrawn; False if it was already."""

    def due_requests(self, now: datetime, limit: int = 1000) -> list[Message]:
        """Requests unanswered and not yet escalated whose deadline is at or before ``now``,
        earliest deadline first."""

    def mark_requests_escalated(self, message_ids: Sequence[str], at: datetime) -> None:
        """Mark the requests escalated (each once: a mark already set stays)."""


class ProbingRepo(Protocol):
    """What bounds probing: budgets spent, conflicts opened with one notice, suspicions told
    (``store.probing``)."""

    def budget_spent(self, party: str, pool: str, since: datetime) -> list[tuple[datetime, int]]:
        """What ``party`` spent of ``pool`` after ``since``: (when, units), oldest first."""

    def spend_budget(self, party: str, pool: str, at: datetime, units: int) -> None: ...
    def forget_budget_spent(self, before: datetime) -> None:
        """Drop what every party spent at or before ``before`` (past every budget's window)."""

    def probing_opens(self, party: str, notice_id: str, since: datetime) -> int:
        """Conflicts ``party``'s notices (as the side written) and tracks (intrusions) opened
        with ``notice_id`` at or after ``since``."""

    def probing_told_at(self, party: str, notice_id: str) -> datetime | None:
        """When ``party`` was last suspected of probing ``notice_id``, if ever."""

    def set_probing_told(self, party: str, notice_id: str, at: datetime) -> None: ...
