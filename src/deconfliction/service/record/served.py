"""The served state held to the event log: what the line answers (notices and their versions,
conflicts and their acknowledgements, threads, their parties and messages, receipts, members'
keys) re-derived from the events, row by row, and the volumes detection reads held to their
notices.

Every change to those tables is made in the transaction that appends its event, and each event
carries the row in full, in the line's JSON form (``wire``). So the event that last told a row
says what the row must be: ``ServedFold`` follows the log in sequence order and keeps, for each
row, only the sequence number of that event (and the few values a row derives from later events:
a thread's last activity, a request's answer, withdrawal and escalation); ``check_served`` then
reads each table in primary-key order, page by page, reads the bodies of just those events, and
compares the row, written in the same JSON form, field by field — where the event carries the
field. Rows with no event, and events whose row is gone, are findings too.

The volumes strategic detection reads (``volume``) and their index boxes (``volume_box``) carry
no event of their own: detection never reads a notice row, so each is held to the notice it
belongs to, a page of notices at a time, and made again from it as the line makes it (the shape
from the footprint: ``service.record.volumes``).

What is not compared: columns no event carries (a notice's ``extra``, which member delivered or
acknowledged a receipt, an acknowledgement deadline's escalation) and tracks (reports are not
events).

The log names members by label (``domain.labels``), which only the line's key makes. Given the
``Labels`` (the host, with the key file), a row's member is held to its label, and each
registered key to the member whose label its event carries; without them (an auditor with the
public key alone), members are not compared, and a member's key is held only to a registration
of that key by its party at that time.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from deconfliction.domain import ConflictAck, Notice, Severity
from deconfliction.domain.labels import (
    Labels,
    Naming,
    is_label,
    key_scope,
    notice_scope,
    thread_scope,
)
from deconfliction.domain.party import MemberKey
from deconfliction.service.record.fold import ServedFold
from deconfliction.service.record.volumes import VolumeCheck
from deconfliction.store import codec
from deconfliction.store.audit import SERVED
from deconfliction.store.base import Tx
from deconfliction.store.conversation import message_from_row, thread_from_row
from deconfliction.store.receipts import message_receipt_from_row, receipt_from_row
from deconfliction.wire import (
    ack_record,
    conflict_record,
    key_json,
    message_json,
    message_receipt_json,
    notice_json,
    opt_utc_z,
    receipt_json,
    thread_json,
    track_conflict_record,
)

__all__ = ["Report", "ServedFold", "check_served"]

PAGE = 1_000
"""Rows read per query, and event bodies fetched for them in one more."""

Report = Callable[[str, str, int, str], None]
"""``report(table, row key, seq, what)``: a row that differs; ``seq`` the event it differs from
(0: none)."""

_MESSAGE_DERIVED = ("state", "commitment", "withdrawn_at", "escalated_at")
"""A message's fields that later events change (checked against those events instead)."""
_MISSING = object()
_VOLUMES_FROM = frozenset({"party", "version", "state", "audience", "buffers", "volumes"})
"""A notice's fields its volume rows are made from (``service.record.volumes``)."""


def _plain(value: Any) -> Any:
    """``value`` as the event log would hold it once read back: JSON types only."""
    return orjson.loads(orjson.dumps(value))


def _differing(
    rendered: Mapping[str, Any], told: Mapping[str, Any], skip: tuple[str, ...] = ()
) -> list[str]:
    """The fields the event carries whose value the row does not have."""
    return [k for k, v in told.items() if k not in skip and rendered.get(k, _MISSING) != v]


def _unnamed(value: Any) -> Any:
    """A row or event body without the members it names (``member``, and a signature's)."""
    if not isinstance(value, dict):
        return value
    out = {k: v for k, v in value.items() if k != "member"}
    if isinstance(out.get("signed"), dict):
        out["signed"] = _unnamed(out["signed"])
    return out


def _as_is(party: str, member: str) -> str:
    return member


def _key(row: Any, table: str) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in SERVED[table][1])


def _pages(tx: Tx, table: str) -> Iterator[list[Any]]:
    after = None
    while rows := tx.served_page(table, after, PAGE):
        yield rows
        after = _key(rows[-1], table)


def _groups(tx: Tx, table: str, column: str) -> Iterator[dict[Any, list[Any]]]:
    """The rows of ``table`` grouped by ``column`` (the first of its primary key), about a page
    at a time, a group never split between two."""
    held: list[Any] = []
    for rows in _pages(tx, table):
        batch: dict[Any, list[Any]] = {}
        for r in rows:
            if held and getattr(held[-1], column) != getattr(r, column):
                batch[getattr(held[0], column)] = held
                held = []
            held.append(r)
        if batch:
            yield batch
    if held:
        yield {getattr(held[0], column): held}


def _shown(key: tuple[Any, ...]) -> str:
    return "/".join(str(k) for k in key)


@dataclass
class _Check:
    tx: Tx
    fold: ServedFold
    report: Report
    labels: Labels | None = None

    def naming(self, scope: str) -> Naming:
        """How the log names members in ``scope`` (as they are, when members are not held)."""
        return _as_is if self.labels is None else self.labels.naming(scope, None)

    def bodies(self, seqs: Iterator[int] | list[int]) -> dict[int, dict[str, Any]]:
        out = {}
        for seq, row in self.tx.events_at(s for s in seqs if s).items():
            try:
                out[seq] = orjson.loads(row.body)
            except ValueError:
                out[seq] = {}
        return out

    def differs(
        self, table: str, key: str, seq: int, rendered: Any, told: Any, skip: tuple[str, ...] = ()
    ) -> list[str] | None:
        """Report the fields of the row that differ from the event; which (``None``: the event
        does not carry the row)."""
        if not isinstance(told, dict):
            self.report(table, key, seq, f"event {seq} does not carry this row")
            return None
        rendered = _plain(rendered)
        if self.labels is None:
            rendered, told = _unnamed(rendered), _unnamed(told)
        fields = _differing(rendered, told, skip)
        if fields:
            verb = "differs" if len(fields) == 1 else "differ"
            said = f"{', '.join(fields)} {verb} from the event log (seq {seq})"
            self.report(table, key, seq, said)
        return fields

    def unreadable(self, table: str, key: str, seq: int, exc: Exception) -> None:
        self.report(table, key, seq, f"the row cannot be read ({type(exc).__name__}: {exc})")

    def no_event(self, table: str, key: str) -> None:
        self.report(table, key, 0, "is in the store, but no event of the log tells of it")

    def gone(self, table: str, key: str, seq: int) -> None:
        said = f"is told by the event log (seq {seq}) but missing from the store"
        self.report(table, key, seq, said)


def check_served(tx: Tx, fold: ServedFold, report: Report, labels: Labels | None = None) -> None:
    """Hold every served table to ``fold`` (the whole log, folded), in ``tx``'s snapshot; the
    members rows name to their labels when ``labels`` are given."""
    for seq, what in fold.unreadable:
        report("event", str(seq), seq, what)
    c = _Check(tx, fold, report, labels)
    _notices(c)
    _versions(c)
    seen = _conflicts(c, "conflict", codec.conflict_from_row, conflict_record)
    seen |= _conflicts(c, "track_conflict", codec.track_conflict_from_row, track_conflict_record)
    _gone_conflicts(c, seen)
    _acks(c)
    _threads(c)
    _thread_parties(c)
    _messages(c)
    _receipts(c)
    _keys(c)


def _notices(c: _Check) -> None:
    """The notices, and the volumes of each (``service.record.volumes``)."""
    seen: set[str] = set()
    volumes = VolumeCheck(c.tx, c.report, c.fold.notices)
    for rows in _pages(c.tx, "notice"):
        seqs = {r.id: c.fold.notices[r.id][-1] for r in rows if r.id in c.fold.notices}
        bodies = c.bodies(list(seqs.values()))
        read: dict[str, tuple[Notice | None, int | None]] = {}
        for r in rows:
            seen.add(r.id)
            seq = seqs.get(r.id)
            read[r.id] = (None, seq)
            if seq is None:
                c.no_event("notice", r.id)
                continue
            try:
                notice = codec.notice_from_row(r)
                read[r.id] = (notice, seq)
                rendered = notice_json(notice)
                span = (
                    min(codec.dt_to_us(v.time.start) for v in notice.volumes),
                    max(codec.dt_to_us(v.time.end) for v in notice.volumes),
                )
            except Exception as exc:  # a row too broken to read is itself the finding
                c.unreadable("notice", r.id, seq, exc)
                read[r.id] = (None, seq)
                continue
            fields = c.differs("notice", r.id, seq, rendered, bodies.get(seq, {}).get("notice"))
            if fields is None or _VOLUMES_FROM.intersection(fields):
                read[r.id] = (None, seq)  # named above; its volumes are held once it is right
            if span != (r.t_start_us, r.t_end_us):
                c.report("notice", r.id, seq, "its time index (t_start_us, t_end_us) does not "
                         "span its volumes")  # fmt: skip
        volumes.page(read)
    volumes.finish()
    for notice_id, told in c.fold.notices.items():
        if notice_id not in seen:
            c.gone("notice", notice_id, told[-1])


def _versions(c: _Check) -> None:
    seen: set[tuple[str, int]] = set()
    for rows in _pages(c.tx, "notice_version"):
        at: dict[tuple[str, int], int] = {}
        for r in rows:
            told = c.fold.notices.get(r.notice_id, [])
            if 1 <= r.version <= len(told):
                at[r.notice_id, r.version] = told[r.version - 1]
        bodies = c.bodies(list(at.values()))
        for r in rows:
            key = (r.notice_id, r.version)
            seen.add(key)
            shown = _shown(key)
            seq = at.get(key)
            if seq is None:
                c.no_event("notice_version", shown)
                continue
            try:
                rendered = notice_json(codec.notice_from_stored_json(r.body))
            except Exception as exc:
                c.unreadable("notice_version", shown, seq, exc)
                continue
            c.differs("notice_version", shown, seq, rendered, bodies.get(seq, {}).get("notice"))
    for notice_id, versions in c.fold.notices.items():
        for version, seq in enumerate(versions, 1):
            if (notice_id, version) not in seen:
                c.gone("notice_version", f"{notice_id}/{version}", seq)


def _conflicts(
    c: _Check,
    table: str,
    read: Callable[[Any], Any],
    render: Callable[[Any], dict[str, Any]],
) -> set[str]:
    """Strategic conflicts (``conflict``) or conflicts on tracks (``track_conflict``): the ids
    seen. The event's body names which it is."""
    seen: set[str] = set()
    for rows in _pages(c.tx, table):
        bodies = c.bodies([c.fold.conflicts.get(r.id, 0) for r in rows])
        for r in rows:
            seen.add(r.id)
            seq = c.fold.conflicts.get(r.id)
            if seq is None:
                c.no_event(table, r.id)
                continue
            try:
                rendered = render(read(r))
            except Exception as exc:
                c.unreadable(table, r.id, seq, exc)
                continue
            c.differs(table, r.id, seq, rendered, bodies.get(seq, {}).get(table))
    return seen


def _gone_conflicts(c: _Check, seen: set[str]) -> None:
    missing = [(i, s) for i, s in c.fold.conflicts.items() if i not in seen]
    for start in range(0, len(missing), PAGE):
        chunk = missing[start : start + PAGE]
        bodies = c.bodies([seq for _, seq in chunk])
        for conflict_id, seq in chunk:
            table = "track_conflict" if "track_conflict" in bodies.get(seq, {}) else "conflict"
            c.gone(table, conflict_id, seq)


def _acks(c: _Check) -> None:
    """Who acknowledged each conflict, when and at which severity (never which member: the
    events do not say)."""
    seen: set[str] = set()
    for groups in _groups(c.tx, "conflict_ack", "conflict_id"):
        bodies = c.bodies([c.fold.acks.get(i, (0, False))[0] for i in groups])
        for conflict_id, acks in groups.items():
            seen.add(conflict_id)
            seq = c.fold.acks.get(conflict_id, (0, False))[0]
            told = {a.get("party"): a for a in bodies.get(seq, {}).get("acks", [])}
            for r in acks:
                key = f"{conflict_id}/{r.party}"
                if not seq:
                    c.no_event("conflict_ack", key)
                elif r.party not in told:
                    c.report("conflict_ack", key, seq, f"the event log (seq {seq}) has no "
                             "acknowledgement by this party")  # fmt: skip
                else:
                    try:
                        rendered = ack_record(_ack(r))
                    except Exception as exc:
                        c.unreadable("conflict_ack", key, seq, exc)
                        continue
                    c.differs("conflict_ack", key, seq, rendered, told[r.party])
            for party in sorted(told.keys() - {r.party for r in acks}):
                c.gone("conflict_ack", f"{conflict_id}/{party}", seq)
    for conflict_id, (seq, carried) in c.fold.acks.items():
        if carried and conflict_id not in seen:
            for ack in c.bodies([seq]).get(seq, {}).get("acks", []):
                c.gone("conflict_ack", f"{conflict_id}/{ack.get('party')}", seq)


def _ack(r: Any) -> ConflictAck:
    return ConflictAck(r.party, r.member, codec.dt_from_us(r.at_us), Severity(r.severity))


def _utc(us: int | None) -> str | None:
    return opt_utc_z(None if us is None else codec.dt_from_us(us))


def _threads(c: _Check) -> None:
    seen: set[str] = set()
    for rows in _pages(c.tx, "thread"):
        bodies = c.bodies([c.fold.threads.get(r.id, 0) for r in rows])
        for r in rows:
            seen.add(r.id)
            seq = c.fold.threads.get(r.id)
            if seq is None:
                c.no_event("thread", r.id)
                continue
            try:
                rendered = thread_json(thread_from_row(r), c.naming(thread_scope(r.id)))
            except Exception as exc:
                c.unreadable("thread", r.id, seq, exc)
                continue
            told = bodies.get(seq, {}).get("thread")
            if isinstance(told, dict) and r.id in c.fold.activity:
                told = told | {"updated_at": c.fold.activity[r.id]}
            c.differs("thread", r.id, seq, rendered, told)
    for thread_id, seq in c.fold.threads.items():
        if thread_id not in seen:
            c.gone("thread", thread_id, seq)


def _thread_parties(c: _Check) -> None:
    """``thread_party``: who may read each thread (its parties, as the thread's event says)."""
    seen: set[str] = set()
    for groups in _groups(c.tx, "thread_party", "thread_id"):
        bodies = c.bodies([c.fold.threads.get(t, 0) for t in groups])
        for thread_id, rows in groups.items():
            seen.add(thread_id)
            seq = c.fold.threads.get(thread_id, 0)
            parties = {r.party for r in rows}
            thread = bodies.get(seq, {}).get("thread")
            told = set(thread.get("parties", ())) if isinstance(thread, dict) else set()
            for party in sorted(parties - told):
                key = f"{thread_id}/{party}"
                if seq:
                    c.report("thread_party", key, seq, "the party is not one of the thread's in "
                             f"the event log (seq {seq})")  # fmt: skip
                else:
                    c.no_event("thread_party", key)
            for party in sorted(told - parties):
                c.gone("thread_party", f"{thread_id}/{party}", seq)
    for thread_id, seq in c.fold.threads.items():
        if thread_id not in seen:
            c.gone("thread_party", f"{thread_id}/*", seq)


def _messages(c: _Check) -> None:
    seen: set[str] = set()
    fold = c.fold
    for rows in _pages(c.tx, "message"):
        bodies = c.bodies([fold.messages.get(r.id, 0) for r in rows])
        for r in rows:
            seen.add(r.id)
            seq = fold.messages.get(r.id)
            if seq is None:
                c.no_event("message", r.id)
                continue
            try:
                m = message_from_row(r)
                rendered = message_json(m, m.created_at, c.naming(thread_scope(m.thread)))
            except Exception as exc:
                c.unreadable("message", r.id, seq, exc)
                continue
            c.differs("message", r.id, seq, rendered, bodies.get(seq, {}).get("message"),
                      _MESSAGE_DERIVED)  # fmt: skip
            answer = fold.answers.get(r.id)
            if r.answer != (answer[0] if answer else None):
                c.report("message", r.id, answer[1] if answer else seq,
                         _said("answer", answer))  # fmt: skip
            withdrawn = fold.withdrawn.get(r.id)
            if _utc(r.withdrawn_us) != (withdrawn[0] if withdrawn else None):
                c.report("message", r.id, withdrawn[1] if withdrawn else seq,
                         _said("withdrawn_at", withdrawn))  # fmt: skip
            escalated = fold.escalated.get(r.id)
            if r.escalated_us != (escalated[0] if escalated else None):
                c.report("message", r.id, escalated[1] if escalated else seq,
                         _said("escalated_at", escalated))  # fmt: skip
    for message_id, seq in fold.messages.items():
        if message_id not in seen:
            c.gone("message", message_id, seq)


def _said(name: str, told: tuple[Any, int] | None) -> str:
    if told is None:
        return f"{name} is set, but no event of the log sets it"
    return f"{name} differs from the event log (seq {told[1]})"


def _receipts(c: _Check) -> None:
    def receipt(row: Any) -> dict[str, Any]:
        r = receipt_from_row(row)
        return receipt_json(r, c.naming(notice_scope(r.notice)))

    def message_receipt(row: Any) -> dict[str, Any]:
        r = message_receipt_from_row(row)
        return message_receipt_json(r, c.naming(thread_scope(r.thread)))

    _receipt_table(c, "receipt", c.fold.receipts, receipt)
    _receipt_table(c, "message_receipt", c.fold.message_receipts, message_receipt)


def _receipt_table(
    c: _Check,
    table: str,
    expected: dict[tuple[Any, ...], int],
    render: Callable[[Any], dict[str, Any]],
) -> None:
    seen: set[tuple[Any, ...]] = set()
    for rows in _pages(c.tx, table):
        keys = {_key(r, table): r for r in rows}
        bodies = c.bodies([expected.get(k, 0) for k in keys])
        for key, r in keys.items():
            seen.add(key)
            shown = _shown(key)
            seq = expected.get(key)
            if seq is None:
                c.no_event(table, shown)
                continue
            try:
                rendered = render(r)
            except Exception as exc:
                c.unreadable(table, shown, seq, exc)
                continue
            told = [t for t in bodies.get(seq, {}).get("receipts", ()) if _same_receipt(t, key)]
            c.differs(table, shown, seq, rendered, told[0] if told else None)
    for key, seq in expected.items():
        if key not in seen:
            c.gone(table, _shown(key), seq)


def _same_receipt(told: dict[str, Any], key: tuple[Any, ...]) -> bool:
    if len(key) == 3:
        return (told.get("notice"), told.get("version"), told.get("party")) == key
    return (told.get("message"), told.get("party")) == key


def _keys(c: _Check) -> None:
    """Members' registered public keys, which signatures are checked with.

    A ``key.registered`` event's subject is the key, and it names its member by a label of that
    key alone (an older log: by id). Each member's key is held to the registration of that key;
    with the labels, that registration must name the member, and every other registration (a
    key replaced since) must be of a member whose key is a later one. Without the labels, a
    member's key is held to a registration of that key by its party, at that time.
    """
    regs = c.bodies(iter(c.fold.keys.values()))
    claimed: dict[int, str] = {}  # registration -> the member whose current key it is
    current: dict[str, int] = {}  # member -> the registration of its current key
    keyless: set[str] = set()
    unmatched: dict[str, str] = {}  # member -> its key, which no registration tells of
    members: dict[str, list[str]] = {}
    for rows in _pages(c.tx, "member"):
        for r in rows:
            members.setdefault(r.party, []).append(r.id)
            if r.public_key is None:
                keyless.add(r.id)
                continue
            seq = c.fold.keys.get(r.public_key) or c.fold.keys.get(r.id)  # an older log: by id
            if seq is None:
                unmatched[r.id] = r.public_key
                continue
            claimed[seq], current[r.id] = r.id, seq
            try:
                key = MemberKey(r.id, r.party, base64.b64decode(r.public_key),
                                codec.dt_from_us(r.key_registered_us))  # fmt: skip
                rendered = key_json(key, c.naming(key_scope(r.public_key)))
            except Exception as exc:
                c.unreadable("member", r.id, seq, exc)
                continue
            c.differs("member", r.id, seq, rendered, regs.get(seq, {}).get("key"))
    for seq in sorted(set(regs) - set(claimed)):  # keys replaced since, or rows tampered with
        told = regs[seq].get("key")
        if not isinstance(told, dict):
            c.report("member", str(seq), seq, f"event {seq} registers no key")
            continue
        owner = _key_owner(c, told, members)
        if owner is None:
            if c.labels is not None or not is_label(str(told.get("member"))):
                c.gone("member", f"{told.get('party')}/{told.get('member')}", seq)
        elif owner in unmatched:
            c.report("member", owner, seq, f"public_key differs from the event log (seq {seq})")
            del unmatched[owner]
        elif owner in keyless:
            c.report("member", owner, seq, f"has no registered key, but the event log (seq "
                     f"{seq}) registered one")  # fmt: skip
        elif current.get(owner, 0) < seq:
            c.report("member", owner, seq, f"public_key differs from the event log (seq {seq}), "
                     "which registered a later key")  # fmt: skip
    for member in unmatched:
        c.report("member", member, 0, "has a registered key, but no key.registered event of "
                 "the log tells of it")  # fmt: skip


def _key_owner(c: _Check, told: dict[str, Any], members: dict[str, list[str]]) -> str | None:
    """The member a registration names: by id in an older log; by its label, which only the
    labels can read (a pass over its party's members: rare, for replaced keys only)."""
    named, party = str(told.get("member")), str(told.get("party"))
    if not is_label(named):
        return named if named in members.get(party, ()) else None
    if c.labels is None:
        return None
    known = c.labels.known(key_scope(str(told.get("public_key"))), party, members.get(party, ()))
    return known.get(named)
