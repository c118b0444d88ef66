"""Agreements the line enforces: an accepted ``vacate`` or ``keep-clear`` request commits the
party asked to stay out of its area — the request's own volume, or the volumes of the notices it
names — until the window ends or either party withdraws it (a ``withdraw`` message). When the
party asked countered and the requester accepted the counter, the area is on the counter's
terms (``domain.conversation.on_terms``): its volume, its window.

The running detector (``service.tracks.scan``) holds that party to it: a track predicted to
enter the area within the lookahead, or an active notice whose volume meets it, is a conflict
marked as a breach of the agreement, told to both parties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from deconfliction.domain import NoticeState, Volume
from deconfliction.domain.conversation import Message, ReplyKind, on_terms
from deconfliction.domain.volume import LATEST
from deconfliction.store.base import Tx

__all__ = ["Commitment", "commitments_in_force"]


@dataclass(frozen=True, slots=True)
class Commitment:
    """``request.to`` agreed with ``request.party`` to stay out of ``volumes`` (the request's
    area, or a counter's, as agreed)."""

    request: Message
    volumes: tuple[Volume, ...]

    @property
    def party(self) -> str:
        """The party committed."""
        assert self.request.to is not None
        return self.request.to

    @property
    def beneficiary(self) -> str:
        return self.request.party


def commitments_in_force(tx: Tx, now: datetime, horizon_s: float | None = None) -> list[Commitment]:
    """The agreements with some area in force between ``now`` and ``now + horizon_s`` (or
    later, with no horizon)."""
    until = LATEST if horizon_s is None else now + timedelta(seconds=horizon_s)
    out = []
    requests = tx.commitments()
    countered = {
        r.in_reply_to: r
        for r in tx.replies_to([q.id for q in requests])
        if r.reply is ReplyKind.COUNTER
    }
    for request in requests:
        volumes = [] if request.volume is None else [request.volume]
        counter = countered.get(request.id)
        for notice_id in request.notices if counter is None or counter.volume is None else ():
            notice = tx.get_notice(notice_id)
            if notice is not None and notice.state_at(now) is NoticeState.ACTIVE:
                volumes.extend(notice.volumes)
        agreed = on_terms(volumes, counter)
        live = tuple(v for v in agreed if v.time.end >= now and v.time.start <= until)
        if live:
            out.append(Commitment(request, live))
    return out
