"""Receipts (of notice versions and of messages) and acknowledgements due, for ``SqlTx`` (a mixin:
same connection, same tx)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa

from deconfliction.domain.receipt import AckDue, MessageReceipt, Receipt
from deconfliction.record.statement import Signed
from deconfliction.store import schema
from deconfliction.store.codec import dt_from_us, dt_to_us, opt_from_us

__all__ = ["ReceiptRows"]

_R = schema.receipt
_D = schema.ack_due
_MR = schema.message_receipt
_M = schema.message


def signed_to_text(signed: Signed | None) -> str | None:
    return None if signed is None else orjson.dumps(signed.to_json()).decode()


def signed_from_text(text: str | None) -> Signed | None:
    return None if text is None else Signed.from_json(orjson.loads(text))


def receipt_from_row(r: Any) -> Receipt:
    return Receipt(
        notice=r.notice_id,
        version=r.version,
        party=r.party,
        delivered_at=opt_from_us(r.delivered_us),
        delivered_by=r.delivered_by,
        acknowledged_at=opt_from_us(r.acknowledged_us),
        acknowledged_by=r.acknowledged_by,
        signed=signed_from_text(r.ack_signed),
    )


def message_receipt_from_row(r: Any) -> MessageReceipt:
    """A row of ``message_receipt`` joined with its message's ``thread_id``."""
    return MessageReceipt(
        r.message_id,
        r.thread_id,
        r.party,
        opt_from_us(r.delivered_us),
        r.delivered_by,
        opt_from_us(r.acknowledged_us),
        r.acknowledged_by,
        signed_from_text(r.ack_signed),
    )  # fmt: skip


class ReceiptRows:
    """The receipt methods of ``store.repos.ReceiptRepo``; mixed into ``SqlTx``."""

    _conn: sa.Connection

    def get_receipts(self, notice_id: str, party: str | None = None) -> list[Receipt]:
        query = sa.select(_R).where(_R.c.notice_id == notice_id)
        if party is not None:
            query = query.where(_R.c.party == party)
        rows = self._conn.execute(query.order_by(_R.c.version, _R.c.party))
        return [receipt_from_row(r) for r in rows]

    def record_deliveries(
        self, items: Sequence[tuple[str, int, str, str]], at: datetime
    ) -> list[Receipt]:
        """Mark (notice, version, party, member) delivered unless already; return the new ones."""
        if not items:
            return []
        wanted = {(n, v, p): m for n, v, p, m in items}
        delivered: dict[tuple[str, int, str], bool] = {}  # the rows there are: delivered yet?
        notices = sorted({n for n, _, _ in wanted})
        for i in range(0, len(notices), 500):
            rows = self._conn.execute(
                sa.select(_R.c.notice_id, _R.c.version, _R.c.party, _R.c.delivered_us).where(
                    _R.c.notice_id.in_(notices[i : i + 500])
                )
            )
            delivered.update(
                ((r.notice_id, r.version, r.party), r.delivered_us is not None) for r in rows
            )
        fresh = [(k, m) for k, m in wanted.items() if not delivered.get(k, False)]
        us = dt_to_us(at)
        # one statement each for all of them (executemany), not one per receipt
        updates = [
            {"n": n, "v": v, "p": p, "us": us, "m": m}
            for (n, v, p), m in fresh
            if (n, v, p) in delivered
        ]
        if updates:
            self._conn.execute(
                _R.update()
                .where(
                    _R.c.notice_id == sa.bindparam("n"),
                    _R.c.version == sa.bindparam("v"),
                    _R.c.party == sa.bindparam("p"),
                )
                .values(delivered_us=sa.bindparam("us"), delivered_by=sa.bindparam("m")),
                updates,
            )
        inserts = [
            {"notice_id": n, "version": v, "party": p, "delivered_us": us, "delivered_by": m}
            for (n, v, p), m in fresh
            if (n, v, p) not in delivered
        ]
        if inserts:
            self._conn.execute(_R.insert(), inserts)
        return [Receipt(n, v, p, at, m) for (n, v, p), m in fresh]

    def acknowledge(
        self,
        notice_id: str,
        version: int,
        party: str,
        member: str,
        at: datetime,
        signed: Signed | None = None,
    ) -> Receipt:
        """Record the acknowledgement (and the delivery it implies) unless already, and its
        signature unless one is already recorded; the receipt."""
        row = self._conn.execute(
            sa.select(_R).where(
                _R.c.notice_id == notice_id, _R.c.version == version, _R.c.party == party
            )
        ).first()
        us = dt_to_us(at)
        if row is None:
            self._conn.execute(
                _R.insert().values(
                    notice_id=notice_id, version=version, party=party, delivered_us=us,
                    delivered_by=member, acknowledged_us=us, acknowledged_by=member,
                    ack_signed=signed_to_text(signed),
                )
            )  # fmt: skip
            return Receipt(notice_id, version, party, at, member, at, member, signed)
        current = receipt_from_row(row)
        values: dict[str, Any] = {}
        if current.acknowledged_at is None:
            values.update(acknowledged_us=us, acknowledged_by=member)
            current = replace(current, acknowledged_at=at, acknowledged_by=member)
        if current.delivered_at is None:
            values.update(delivered_us=us, delivered_by=member)
            current = replace(current, delivered_at=at, delivered_by=member)
        if signed is not None and current.signed is None:
            values.update(ack_signed=signed_to_text(signed))
            current = replace(current, signed=signed)
        if values:
            self._conn.execute(
                _R.update()
                .where(_R.c.notice_id == notice_id, _R.c.version == version, _R.c.party == party)
                .values(**values)
            )
        return current

    def add_ack_due(self, due: AckDue) -> None:
        self._conn.execute(
            _D.insert().values(notice_id=due.notice, version=due.version, due_us=dt_to_us(due.due))
        )

    def ack_dues(self, notice_id: str) -> list[AckDue]:
        rows = self._conn.execute(sa.select(_D).where(_D.c.notice_id == notice_id))
        return [
            AckDue(r.notice_id, r.version, dt_from_us(r.due_us), opt_from_us(r.escalated_us))
            for r in rows
        ]

    def overdue_acks(self, now: datetime) -> list[AckDue]:
        """Acknowledgements due by ``now`` not yet escalated, oldest first."""
        rows = self._conn.execute(
            sa.select(_D)
            .where(_D.c.escalated_us.is_(None), _D.c.due_us <= dt_to_us(now))
            .order_by(_D.c.due_us)
        )
        return [AckDue(r.notice_id, r.version, dt_from_us(r.due_us)) for r in rows]

    def mark_escalated(self, due: AckDue, at: datetime) -> None:
        self._conn.execute(
            _D.update()
            .where(_D.c.notice_id == due.notice, _D.c.version == due.version)
            .values(escalated_us=dt_to_us(at))
        )

    # receipts of messages: the thread is the message's own, read by a join

    def get_message_receipts(
        self, message_id: str, party: str | None = None
    ) -> list[MessageReceipt]:
        query = (
            sa.select(_MR, _M.c.thread_id)
            .join(_M, _M.c.id == _MR.c.message_id)
            .where(_MR.c.message_id == message_id)
        )
        if party is not None:
            query = query.where(_MR.c.party == party)
        return [
            message_receipt_from_row(r) for r in self._conn.execute(query.order_by(_MR.c.party))
        ]

    def record_message_deliveries(
        self, items: Sequence[tuple[str, str, str, str]], at: datetime
    ) -> list[MessageReceipt]:
        """Mark (message, thread, party, member) delivered unless already; return the new ones."""
        if not items:
            return []
        wanted = {(m, p): (t, who) for m, t, p, who in items}
        have: set[tuple[str, str]] = set()
        messages = sorted({m for m, _ in wanted})
        for i in range(0, len(messages), 500):
            rows = self._conn.execute(
                sa.select(_MR.c.message_id, _MR.c.party).where(
                    _MR.c.message_id.in_(messages[i : i + 500])
                )
            )
            have.update((r.message_id, r.party) for r in rows)
        # a row exists only once delivered (an acknowledgement implies the delivery)
        fresh = [(k, v) for k, v in wanted.items() if k not in have]
        us = dt_to_us(at)
        for (m, p), (_, who) in fresh:
            self._conn.execute(
                _MR.insert().values(message_id=m, party=p, delivered_us=us, delivered_by=who)
            )
        return [MessageReceipt(m, t, p, at, who) for (m, p), (t, who) in fresh]

    def acknowledge_message(
        self,
        message_id: str,
        thread_id: str,
        party: str,
        member: str,
        at: datetime,
        signed: Signed | None = None,
    ) -> MessageReceipt:
        """Record the acknowledgement (and the delivery it implies) unless already, and its
        signature unless one is already recorded; the receipt."""
        row = self._conn.execute(
            sa.select(_MR).where(_MR.c.message_id == message_id, _MR.c.party == party)
        ).first()
        us = dt_to_us(at)
        if row is None:
            self._conn.execute(
                _MR.insert().values(
                    message_id=message_id, party=party, delivered_us=us, delivered_by=member,
                    acknowledged_us=us, acknowledged_by=member, ack_signed=signed_to_text(signed),
                )
            )  # fmt: skip
            return MessageReceipt(message_id, thread_id, party, at, member, at, member, signed)
        current = MessageReceipt(
            message_id, thread_id, party, opt_from_us(row.delivered_us) or at,
            row.delivered_by or member, opt_from_us(row.acknowledged_us), row.acknowledged_by,
            signed_from_text(row.ack_signed),
        )  # fmt: skip
        values: dict[str, Any] = {}
        if current.acknowledged_at is None:
            values.update(
                delivered_us=dt_to_us(current.delivered_at or at),
                delivered_by=current.delivered_by,
                acknowledged_us=us,
                acknowledged_by=member,
            )
            current = replace(current, acknowledged_at=at, acknowledged_by=member)
        if signed is not None and current.signed is None:
            values.update(ack_signed=signed_to_text(signed))
            current = replace(current, signed=signed)
        if values:
            self._conn.execute(
                _MR.update()
                .where(_MR.c.message_id == message_id, _MR.c.party == party)
                .values(**values)
            )
        return current
