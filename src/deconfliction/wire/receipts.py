"""Receipts as the line's JSON: who received and acknowledged a notice version or a message."""

from __future__ import annotations

from typing import Any

from deconfliction.domain.labels import Naming
from deconfliction.domain.receipt import AckDue, MessageReceipt, Receipt
from deconfliction.wire.keys import signed_json
from deconfliction.wire.time import opt_utc_z, utc_z

__all__ = ["ack_due_json", "message_receipt_json", "receipt_json"]


def _received(r: Receipt | MessageReceipt, name: Naming) -> dict[str, Any]:
    """When the party received and acknowledged it, and its signature if it signed (its signer
    named for the reader: ``name``)."""
    out: dict[str, Any] = {
        "party": r.party,
        "delivered_at": opt_utc_z(r.delivered_at),
        "acknowledged_at": opt_utc_z(r.acknowledged_at),
    }
    if r.signed is not None:
        out["signed"] = signed_json(r.signed, r.party, name)
    return out


def receipt_json(r: Receipt, name: Naming) -> dict[str, Any]:
    return {"notice": r.notice, "version": r.version, **_received(r, name)}


def message_receipt_json(r: MessageReceipt, name: Naming) -> dict[str, Any]:
    return {"message": r.message, "thread": r.thread, **_received(r, name)}


def ack_due_json(d: AckDue, missing: list[str]) -> dict[str, Any]:
    """An acknowledgement deadline of a version, with the parties still missing."""
    return {
        "version": d.version,
        "due": utc_z(d.due),
        "escalated_at": opt_utc_z(d.escalated_at),
        "missing": missing,
    }
