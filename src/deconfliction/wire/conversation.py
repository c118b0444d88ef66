"""Threads and messages as the line's JSON: what the API answers and message events carry.

A member is named for the reader (``domain.labels``: its id to its own party, a label to the
others); the caller passes the ``Naming``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deconfliction.domain import Message, MessageKind, Thread
from deconfliction.domain.labels import Naming
from deconfliction.wire.keys import signed_json
from deconfliction.wire.notices import volume_json
from deconfliction.wire.time import utc_z

__all__ = ["message_json", "thread_json"]


def thread_json(t: Thread, name: Naming) -> dict[str, Any]:
    return {
        "id": t.id,
        "subject": t.subject,
        "parties": sorted(t.parties),
        "party": t.party,
        "member": name(t.party, t.member),
        "created_at": utc_z(t.created_at),
        "updated_at": utc_z(t.updated_at),
    }


def message_json(m: Message, now: datetime, name: Naming) -> dict[str, Any]:
    """A message as the API shows it; a request with its state at ``now``."""
    out: dict[str, Any] = {
        "id": m.id,
        "thread": m.thread,
        "kind": m.kind.value,
        "party": m.party,
        "member": name(m.party, m.member),
        "created_at": utc_z(m.created_at),
        "text": m.text,
    }
    if m.kind is MessageKind.REQUEST:
        assert m.request is not None and m.deadline is not None
        state = m.state_at(now)
        assert state is not None
        out |= {
            "request": m.request.value,
            "to": m.to,
            "notices": list(m.notices),
            "conflicts": list(m.conflicts),
            "deadline": utc_z(m.deadline),
            "state": state.value,
        }
        if m.escalated_at is not None:
            out["escalated_at"] = utc_z(m.escalated_at)
        if m.commits():
            out["commitment"] = "in force"
        elif m.withdrawn_at is not None:
            out["commitment"] = "withdrawn"
            out["withdrawn_at"] = utc_z(m.withdrawn_at)
    elif m.kind is MessageKind.WITHDRAW:
        out["in_reply_to"] = m.in_reply_to
    elif m.kind is MessageKind.REPLY:
        assert m.reply is not None
        out |= {"in_reply_to": m.in_reply_to, "reply": m.reply.value}
        if (state := m.state_at(now)) is not None:  # a counter: open, or accepted by the requester
            out["state"] = state.value
        if m.reason:
            out["reason"] = m.reason
        if m.window is not None:
            out["window"] = {"start": utc_z(m.window.start), "end": utc_z(m.window.end)}
    if m.volume is not None:
        out["volume"] = volume_json(m.volume)
    if m.signed is not None:
        out["signed"] = signed_json(m.signed, m.party, name)
    return out
