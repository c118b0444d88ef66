"""Evidence bundles: every version of a notice, every receipt, request, reply and escalation
about it, the key registrations behind any signatures among them, each with its inclusion proof
against one signed checkpoint — one file a board of inquiry can check without the line
(``record.evidence``).
"""

from __future__ import annotations

from typing import Any

import orjson

from deconfliction.domain import EventKind, Member, Role
from deconfliction.errors import NotFound
from deconfliction.record.evidence import FORMAT
from deconfliction.record.tree import assemble, inclusion_plan, plan_ids
from deconfliction.service.events import clear_to
from deconfliction.service.line import Line
from deconfliction.service.record import advance, b64, row_entry
from deconfliction.service.wire import utc_z
from deconfliction.store.base import EventRow, Tx
from deconfliction.store.events import event_from_row

__all__ = ["evidence_bundle"]

_NOTICE_KINDS = {EventKind.NOTICE_CREATED, EventKind.NOTICE_UPDATED, EventKind.NOTICE_WITHDRAWN}


def _about(tx: Tx, notice_id: str, party: str | None) -> list[EventRow]:
    """The events about a notice: its versions, receipts and escalations; requests naming it,
    the replies and withdrawals answering them, and their receipts and escalations."""
    rows = tx.event_rows_about([notice_id], [f'"{notice_id}"'])
    keep: dict[int, EventRow] = {}
    requests: list[str] = []
    for row in rows:
        body = orjson.loads(row.body)
        kind = EventKind(row.kind)
        if row.subject == notice_id and (kind in _NOTICE_KINDS or "receipts" in body):
            keep[row.seq] = row
        elif kind is EventKind.ESCALATION_RAISED and body["escalation"].get("notice") == notice_id:
            keep[row.seq] = row
        elif kind is EventKind.MESSAGE_SENT and notice_id in body["message"].get("notices", ()):
            m = body["message"]
            if party is None or party in (m["party"], m["to"]):
                keep[row.seq] = row
                requests.append(m["id"])
    if requests:
        answers = tx.event_rows_about(
            requests, [f'"in_reply_to":"{r}"' for r in requests]
        )  # fmt: skip
        answer_ids = []
        for row in answers:
            body = orjson.loads(row.body)
            message = body.get("message")
            if isinstance(message, dict) and message.get("in_reply_to") in requests:
                keep[row.seq] = row
                answer_ids.append(message["id"])
            elif row.subject in requests and ("receipts" in body or "escalation" in body):
                keep[row.seq] = row
        for row in tx.event_rows_about(answer_ids) if answer_ids else ():
            if row.kind == EventKind.RECEIPT_RECORDED:
                keep[row.seq] = row
    return [keep[s] for s in sorted(keep)]


def _signers(rows: list[EventRow]) -> set[str]:
    """Members whose signatures the events carry."""
    members = set()
    for row in rows:
        body = orjson.loads(row.body)
        items = body.get("receipts") or [body.get("message")]
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("signed"), dict):
                members.add(item["signed"]["member"])
    return members


def evidence_bundle(
    line: Line, actor: Member, notice_id: str, party: str | None = None
) -> dict[str, Any]:
    """The evidence about a notice the actor's party may see (a party's own entries in clear;
    the host's, all), optionally narrowed to what concerns ``party``."""
    advance(line)
    with line.store.read() as tx:
        notice = tx.get_notice(notice_id)
        host = actor.role is Role.ADMIN
        if notice is None or not (host or notice.visible_to(actor.party)):
            raise NotFound(f"no notice {notice_id!r}", "/notice")
        checkpoint = tx.latest_checkpoint()
        if checkpoint is None:
            raise NotFound("the line has signed no checkpoint yet")
        rows = [r for r in _about(tx, notice_id, party) if r.seq <= checkpoint.size]
        signers = _signers(rows)
        if signers:
            keys = tx.event_rows_about(sorted(signers))
            rows += [r for r in keys if r.kind == "key.registered" and r.seq <= checkpoint.size]
            rows.sort(key=lambda r: r.seq)
        shown = [r for r in rows if host or clear_to(tx, event_from_row(r), actor.party)]
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
        "withheld": len(rows) - len(shown),
    }
