"""Evidence bundles: every version of a notice, every receipt, request, reply and escalation
about it, the key registrations behind any signatures among them, each with its inclusion proof
against one signed checkpoint — one file a board of inquiry can check without the line
(``record.evidence``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deconfliction.domain import Event, EventKind, Member
from deconfliction.errors import NotFound
from deconfliction.record.evidence import FORMAT
from deconfliction.record.tree import assemble, inclusion_plan, plan_ids
from deconfliction.service.events import clear_to
from deconfliction.service.line import Line
from deconfliction.service.record.record import NO_CHECKPOINT, advance, b64, row_entry
from deconfliction.store.base import EventRow, Tx
from deconfliction.store.events import event_from_row
from deconfliction.wire import utc_z

__all__ = ["evidence_bundle"]

_NOTICE_KINDS = {EventKind.NOTICE_CREATED, EventKind.NOTICE_UPDATED, EventKind.NOTICE_WITHDRAWN}


_Read = tuple[EventRow, Event]
"""An event as stored (what the record hashes) and as read (its body parsed), parsed once."""


def _read(rows: Iterable[EventRow]) -> list[_Read]:
    return [(row, event_from_row(row)) for row in rows]


def _about(tx: Tx, notice_id: str, party: str | None) -> list[_Read]:
    """The events about a notice: its versions, receipts and escalations; requests naming it,
    the replies and withdrawals answering them (and the requester's acceptance of a counter),
    and their receipts and escalations."""
    keep: dict[int, _Read] = {}
    requests: list[str] = []
    for row, e in _read(tx.event_rows_about([notice_id], [f'"{notice_id}"'])):
        body = e.body
        if e.subject == notice_id and (e.kind in _NOTICE_KINDS or "receipts" in body):
            keep[e.seq] = (row, e)
        elif (
            e.kind is EventKind.ESCALATION_RAISED and body["escalation"].get("notice") == notice_id
        ):
            keep[e.seq] = (row, e)
        elif e.kind is EventKind.MESSAGE_SENT and notice_id in body["message"].get("notices", ()):
            m = body["message"]
            if party is None or party in (m["party"], m["to"]):
                keep[e.seq] = (row, e)
                requests.append(m["id"])
    answer_ids: list[str] = []
    asked = requests
    while asked:  # the answers to the requests; then the answers to a counter among them
        countered = []
        rows = tx.event_rows_about(asked, [f'"in_reply_to":"{r}"' for r in asked])
        for row, e in _read(rows):
            message = e.body.get("message")
            if isinstance(message, dict) and message.get("in_reply_to") in asked:
                keep[e.seq] = (row, e)
                answer_ids.append(message["id"])
                if message.get("reply") == "counter":
                    countered.append(message["id"])
            elif e.subject in asked and ("receipts" in e.body or "escalation" in e.body):
                keep[e.seq] = (row, e)
        asked = countered
    for row, e in _read(tx.event_rows_about(answer_ids)) if answer_ids else ():
        if e.kind is EventKind.RECEIPT_RECORDED:
            keep[e.seq] = (row, e)
    return [keep[s] for s in sorted(keep)]


def _signers(events: Iterable[Event]) -> set[str]:
    """The keys the events' signatures verify with (the subjects of their registrations); a
    signature recorded before keys were named names its member, then the subject."""
    keys = set()
    for e in events:
        for item in e.body.get("receipts") or [e.body.get("message")]:
            if isinstance(item, dict) and isinstance(signed := item.get("signed"), dict):
                keys.add(signed.get("key") or signed["member"])
    return keys


def evidence_bundle(
    line: Line, actor: Member, notice_id: str, party: str | None = None
) -> dict[str, Any]:
    """The evidence about a notice the actor's party may see (a party's own entries in clear;
    the host's admins, all), optionally narrowed to what concerns ``party``."""
    advance(line)
    with line.store.read() as tx:
        notice = tx.get_notice(notice_id)
        host = actor.is_host_admin
        if notice is None or not (host or notice.visible_to(actor.party)):
            raise NotFound(f"no notice {notice_id!r}", "/notice")
        checkpoint = tx.latest_checkpoint()
        if checkpoint is None:
            raise NotFound(NO_CHECKPOINT)
        read = [(r, e) for r, e in _about(tx, notice_id, party) if r.seq <= checkpoint.size]
        signers = _signers(e for _, e in read)
        if signers:
            keys = _read(tx.event_rows_about(sorted(signers)))
            read += [
                (r, e)
                for r, e in keys
                if e.kind is EventKind.KEY_REGISTERED and r.seq <= checkpoint.size
            ]
            read.sort(key=lambda pair: pair[0].seq)
        shown = [r for r, e in read if host or clear_to(tx, e, actor.party)]
        plans = {r.seq: inclusion_plan(r.seq - 1, checkpoint.size) for r in shown}
        nodes = tx.record_nodes(set().union(*(plan_ids(p) for p in plans.values())))
    return {
        "format": FORMAT,
        "origin": line.origin,
        "notice": notice_id,
        "party": party,
        "made_at": utc_z(line.clock()),
        "made_for": actor.party,
        "checkpoint": checkpoint.note,
        "entries": [
            {
                "seq": r.seq,
                "entry": row_entry(r).decode(),
                "proof": [b64(h) for h in assemble(plans[r.seq], nodes)],
            }
            for r in shown
        ],
        "withheld": len(read) - len(shown),
    }
