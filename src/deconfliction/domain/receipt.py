"""Receipts: that a party has seen a given version of a notice or a message (delivered), and said
so (acked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deconfliction.record.statement import Signed

__all__ = ["AckDue", "MessageReceipt", "Receipt"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the line knows of one party's receipt of version ``version`` of notice ``notice``.

    ``delivered_at``: when a member of ``party`` first fetched it or was pushed it.
    ``acknowledged_at``: when a member of ``party`` first said, explicitly, that it has it.
    ``signed``: the first signed acknowledgement, verified against its member's key.
    """

    notice: str
    version: int
    party: str
    delivered_at: datetime | None = None
    delivered_by: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    signed: Signed | None = None


@dataclass(frozen=True, slots=True)
class AckDue:
    """Version ``version`` of ``notice`` must be acknowledged by every audience party by ``due``."""

    notice: str
    version: int
    due: datetime
    escalated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MessageReceipt:
    """What the line knows of one party's receipt of message ``message`` on thread ``thread``;
    the times as in ``Receipt``."""

    message: str
    thread: str
    party: str
    delivered_at: datetime | None = None
    delivered_by: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    signed: Signed | None = None
