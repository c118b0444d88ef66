"""What TAK clients send, made into the line's use cases: positions into tracks (batched, one
``report_tracks`` per member per batch), marked drawings into notices (created, then updated by
the drawing's uid, withdrawn on delete), GeoChat replies into messages on the thread.

Positions are the flood: they are gathered for ``WINDOW_S`` (or ``BATCH`` reports) per member and
stored in one transaction in a worker thread of their own, never on the event loop, batch after
batch in the order they came (a later report is never overtaken by an earlier one). A member with
``HELD`` positions not yet stored is not read from until they are (``room``): a flood waits in
the senders' sockets, not in the server's memory. Drawings and chat are rare and are handled one
by one in another worker, so they never hold positions up; a drawing uid looked for and not found
is remembered (``MISSING`` per party), so deletes of unknown uids do not scan the party's notices
again and again (the hub refuses observers' writes and bounds each member's rate and backlog).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.domain import Member, MessageDraft, MessageKind
from deconfliction.domain.limits import MAX_TITLE
from deconfliction.errors import DeconflictionError, PermissionDenied
from deconfliction.service import Line, NoticeFilter
from deconfliction.wire import cot

__all__ = ["BATCH", "HELD", "MISSING", "WINDOW_S", "Intake"]

log = logging.getLogger("deconfliction.tak")

WINDOW_S = 0.05
"""How long positions are gathered before they are stored."""
BATCH = 5_000
"""Positions of one member stored at once at most (the use case takes up to 10,000)."""
HELD = 2 * BATCH
"""Positions of one member gathered or being stored at most before its connections wait."""
_DRAWING_TAG = "tak:"
"""A notice made from a drawing carries ``[tak:UID]`` at the end of its title: the line keeps
the drawing's uid on the notice itself, so an update finds it after a restart too."""
MISSING = 4096
"""Drawing uids not found a party's intake remembers, the most recently asked kept."""
T = TypeVar("T")


class Intake:
    """Positions, drawings and chat of every connection, into the line."""

    def __init__(
        self, line: Line, stats: Counter[str], share: str | tuple[str, ...] | None
    ) -> None:
        self.line = line
        self.stats = stats
        self.share = share
        self.stored = asyncio.Event()
        """Set after each batch of positions is stored (the fan-out's cue)."""
        self.parties: set[str] = set()
        """The parties whose positions were stored since the fan-out last looked."""
        self._pending: dict[str, tuple[Member, list[dict[str, Any]]]] = {}
        self._held: Counter[str] = Counter()
        self._unfinished: Counter[datetime] = Counter()
        self._room: dict[str, asyncio.Event] = {}
        self._flushing: set[asyncio.Task[None]] = set()
        self._positions = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tak-positions")
        self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tak-intake")
        self._drawings: dict[tuple[str, str], str] = {}
        self.cut: set[str] = set()
        """Members the hub found may no longer act (revoked, expired): their queued writes are
        refused in the worker, just before they would land."""
        self._missing: dict[str, OrderedDict[str, None]] = {}
        """Per party, drawing uids lately looked for and not found (``MISSING`` at most)."""

    async def _work(self, member: Member, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._workers, lambda: self._checked(member, fn)
        )

    def _checked(self, member: Member, fn: Callable[[], T]) -> T:
        """``fn()``, unless the member was cut off since its event came (in the worker, just
        before the write: a revocation made by another process stops what is queued)."""
        if member.id in self.cut:
            raise PermissionDenied(f"member {member.id} may no longer act")
        return fn()

    # -- positions ---------------------------------------------------------------------
    def position(self, member: Member, event: cot.CotEvent) -> bool:
        """Queue the event's position report; ``False`` when it is not one."""
        report = cot.track_report(event)
        if report is None:
            return False
        if self.share is not None and "audience" not in report:
            report["audience"] = self.share if isinstance(self.share, str) else list(self.share)
        self._held[member.id] += 1
        held = self._pending.get(member.id)
        if held is None:
            self._pending[member.id] = (member, [report])
            asyncio.get_running_loop().call_later(WINDOW_S, self._flush, member.id)
        else:
            held[1].append(report)
            if len(held[1]) >= BATCH:
                self._flush(member.id)
        return True

    def _flush(self, member_id: str) -> None:
        held = self._pending.pop(member_id, None)
        if held is None:
            return
        task = asyncio.ensure_future(self._store(*held))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def room(self, member_id: str) -> None:
        """Return once the member has fewer than ``HELD`` positions not yet stored."""
        while self._held[member_id] >= HELD:
            room = self._room.setdefault(member_id, asyncio.Event())
            room.clear()
            await room.wait()

    def unfinished_since(self) -> datetime | None:
        """The line's time when the oldest batch of positions not yet stored was handed to the
        worker (its tracks are received no earlier), or ``None``."""
        return min(self._unfinished) if self._unfinished else None

    async def _store(self, member: Member, reports: list[dict[str, Any]]) -> None:
        loop = asyncio.get_running_loop()
        began = self.line.clock()
        self._unfinished[began] += 1
        try:
            done = await loop.run_in_executor(
                self._positions,
                lambda: self._checked(
                    member, lambda: service.report_tracks(self.line, member, reports)
                ),
            )
        except DeconflictionError as e:
            self.stats["refused: positions"] += len(reports)
            log.info("TAK positions of %s refused: %s", member.id, e.reason)
            return
        finally:
            self._unfinished[began] -= 1
            if self._unfinished[began] <= 0:
                del self._unfinished[began]
            self._held[member.id] -= len(reports)
            if self._held[member.id] <= 0:
                del self._held[member.id]
            if self._held[member.id] < HELD and (room := self._room.pop(member.id, None)):
                room.set()
        self.parties.add(member.party)
        self.stats["positions stored"] += done.accepted
        self.stats["positions ignored"] += done.ignored
        if done.rejected:
            self.stats["refused: position"] += len(done.rejected)
            first = done.rejected[0]
            log.info("TAK position of %s refused: %s at %s", member.id, first.reason, first.pointer)
        self.stored.set()

    async def drain(self) -> None:
        """Store what is gathered now, and wait for every batch under way."""
        for member_id in list(self._pending):
            self._flush(member_id)
        while self._flushing:
            await asyncio.gather(*list(self._flushing), return_exceptions=True)

    def close(self) -> None:
        self._positions.shutdown(wait=True)
        self._workers.shutdown(wait=True)

    # -- drawings ----------------------------------------------------------------------
    async def drawing(self, member: Member, event: cot.CotEvent) -> bool:
        """A drawing marked for the line, as a notice of the member's party (made or updated);
        ``False`` when the event is no such drawing."""
        body = cot.notice_source(event)
        if body is None:
            return False
        title = str(body.get("title") or event.callsign or "TAK drawing")
        tag = f" [{_DRAWING_TAG}{event.uid}]"
        body = {**body, "title": title[: MAX_TITLE - len(tag)] + tag}
        try:
            made = await self._work(member, lambda: self._put_notice(member, event.uid, body))
        except DeconflictionError as e:
            self.stats["refused: drawing"] += 1
            log.info(
                "TAK drawing %s of %s refused: %s at %s", event.uid, member.id, e.reason, e.pointer
            )
            return True
        self.stats[f"drawings {made}"] += 1
        return True

    def _find(self, member: Member, uid: str) -> str | None:
        key = (member.party, uid)
        if key in self._drawings:
            return self._drawings[key]
        missing = self._missing.setdefault(member.party, OrderedDict())
        if uid in missing:  # looked for lately and not there: no scan of the party again
            missing.move_to_end(uid)
            return None
        found = self._scan(member, uid)
        if found is None:
            missing[uid] = None
            if len(missing) > MISSING:
                missing.popitem(last=False)
        return found

    def _scan(self, member: Member, uid: str) -> str | None:
        key = (member.party, uid)
        tag = f"[{_DRAWING_TAG}{uid}]"
        after = None
        while True:  # once per drawing uid per process: then it is remembered
            page = service.list_notices(
                self.line,
                member,
                NoticeFilter(party=member.party, limit=1000, after=after),  # type: ignore[arg-type]
            )
            for n in page.items:
                if n.title.endswith(tag):
                    self._drawings[key] = n.id
            if page.after is None:
                return self._drawings.get(key)
            after = page.after

    def _put_notice(self, member: Member, uid: str, body: dict[str, Any]) -> str:
        found = self._find(member, uid)
        draft = lambda: draft_from(NoticeIn.model_validate(body))  # noqa: E731
        if found is None:
            made = service.create_notice(self.line, member, draft)
            self._drawings[(member.party, uid)] = made.notice.id
            self._missing.get(member.party, OrderedDict()).pop(uid, None)
            return "created"
        # the phone's drawing is the party's word on its notice: it changes whatever version is
        # current (If-Match: * over HTTP), as a phone knows no versions
        current = service.get_notice(self.line, member, found).version
        service.update_notice(self.line, member, found, draft, current)
        return "updated"

    async def delete(self, member: Member, uid: str) -> None:
        """The drawing ``uid`` was deleted on the phone: withdraw its notice, if it has one."""

        def withdraw() -> bool:
            found = self._find(member, uid)
            if found is None:
                return False
            current = service.get_notice(self.line, member, found).version
            service.withdraw_notice(self.line, member, found, current)
            return True

        try:
            if await self._work(member, withdraw):
                self.stats["drawings withdrawn"] += 1
        except DeconflictionError as e:
            log.info("TAK delete of %s by %s refused: %s", uid, member.id, e.reason)

    # -- chat --------------------------------------------------------------------------
    async def chat(self, member: Member, event: cot.CotEvent) -> bool:
        """A GeoChat message in one of the line's threads, as a note on it from the member;
        ``False`` when the event is no such message."""
        said = cot.chat_message(event)
        if said is None:
            return False
        try:
            draft = MessageDraft(kind=MessageKind.NOTE, text=said.text)
            await self._work(
                member, lambda: service.post_message(self.line, member, said.thread_id, draft)
            )
        except DeconflictionError as e:
            self.stats["refused: chat"] += 1
            log.info("TAK chat of %s refused: %s at %s", member.id, e.reason, e.pointer)
            return True
        self.stats["chat posted"] += 1
        return True
