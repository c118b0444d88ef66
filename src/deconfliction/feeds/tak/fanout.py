"""What the line sends each TAK connection: only what its party may see, read once per party and
encoded once per event, then written to every connection of the party as prepared bytes.

Events (notices as drawings, conflicts as alerts, thread messages as GeoChat) come from
``service.events_for`` — the same views the JSON API and its streams give — read once per party
after each commit. The notices in force and live conflicts are kept per party, so a connection
that joins later is sent the current picture at once. Tracks go out in rounds (after positions
are stored, at most every ``tick_s``): one ``service.list_tracks`` read per party, each track
encoded once per round, and to each connection only other parties' tracks inside its area of
interest — a box of ``aoi_radius_m`` around any of its own last reported positions, or all of
them while it has reported none (an observer, a gateway that only listens).

A round reads only the tracks received since ``SLACK_S`` before its previous read (a party is not
read at all when only its own party's TAK positions were stored), and reads all of them every
``FULL_S``, when a connection joins, and after a quiet ``_WAIT_S``: a track another writer took
longer than ``SLACK_S`` to store goes out at most ``FULL_S`` late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import numpy as np

from deconfliction import service
from deconfliction.config import TakConfig
from deconfliction.domain import Member, Track
from deconfliction.domain.paging import MAX_LIMIT
from deconfliction.errors import DeconflictionError
from deconfliction.feeds.tak.session import Prepared, Session
from deconfliction.service import Line, NoticeFilter, TrackFilter
from deconfliction.wire import conflict_feature, conflict_json, cot, notice_json, track_json

__all__ = ["FULL_S", "SLACK_S", "Fanout"]

log = logging.getLogger("deconfliction.tak")
T = TypeVar("T")
_WAIT_S = 5.0
"""Longest a party waits before reading the log again (writes by other processes)."""
SLACK_S = 0.5
"""How far before its previous read a round reads again: a report's receipt time is taken before
its transaction commits (for the door's own positions, the read begins before any batch still
being stored; ``SLACK_S`` is for other writers)."""
FULL_S = 5.0
"""How often a party's whole picture is read, at least."""
_SLACK = timedelta(seconds=SLACK_S)
_M_PER_DEG = 110_574.0
_GONE = frozenset({"withdrawn", "expired", "resolved"})
_WHERE = "_where"
"""Key of an event's conflict place (GeoJSON geometry) added by the fan-out, never sent."""


@dataclass
class _Party:
    slug: str
    sessions: set[Session] = field(default_factory=set)
    current: dict[str, list[Prepared]] = field(default_factory=dict)
    """The notices in force and live conflicts, by id: what a joining connection is sent."""
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: dict[tuple[str, str], datetime] = field(default_factory=dict)
    """The time of each track as last sent to the party's connections."""
    task: asyncio.Task[None] | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    read_at: datetime | None = None
    """When (the line's clock) its tracks were last read, and last read whole."""
    full_at: datetime | None = None

    def reader(self) -> Member | None:
        """A member to read as: any of the party's connected ones (they see the same)."""
        for s in self.sessions:
            return s.member
        return None


class Fanout:
    """The line's events and tracks, out to the connected TAK clients."""

    def __init__(
        self,
        line: Line,
        config: TakConfig,
        stats: Counter[str],
        stored: asyncio.Event,
        changed: set[str] | None = None,
        unfinished: Callable[[], datetime | None] = lambda: None,
    ) -> None:
        self.line = line
        self.config = config
        self.stats = stats
        self.stored = stored
        self.changed = set() if changed is None else changed
        """The parties whose TAK positions were stored since the last round (emptied by it)."""
        self.unfinished = unfinished
        """When the oldest batch of TAK positions still being stored began: a round's next read
        starts there, so that batch is not missed."""
        self.parties: dict[str, _Party] = {}
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tak-fanout")
        self._rounds: asyncio.Task[None] | None = None

    async def _work(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._workers, fn)

    def start(self) -> None:
        self._rounds = asyncio.ensure_future(self._track_rounds())

    async def stop(self) -> None:
        tasks = [p.task for p in self.parties.values() if p.task] + [self._rounds]
        for t in tasks:
            if t is not None:
                t.cancel()
        for t in tasks:
            if t is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
        self._workers.shutdown(wait=True)

    async def join(self, session: Session) -> None:
        """Add a connection: it is sent its party's current picture, then what comes."""
        party = self.parties.get(session.member.party)
        if party is None:
            party = self.parties[session.member.party] = _Party(session.member.party)
            party.sessions.add(session)
            party.task = asyncio.ensure_future(self._follow(party))
        else:
            party.sessions.add(session)
        await party.ready.wait()
        # at the pace it reads, each notice as it is when its turn comes (one changed or gone
        # meanwhile was sent by _follow already): a big picture is not a slow reader
        for key in list(party.current):
            for item in party.current.get(key, ()):
                if session.closed.is_set():
                    return
                session.send(item)
                await session.room()
        self.stored.set()  # a round soon sends it the tracks it may see

    def leave(self, session: Session) -> None:
        party = self.parties.get(session.member.party)
        if party is None:
            return
        party.sessions.discard(session)
        if not party.sessions and party.task is not None:
            party.task.cancel()
            del self.parties[party.slug]

    # -- events ------------------------------------------------------------------------
    def _snapshot(self, member: Member) -> tuple[int, list[dict[str, Any]]]:
        """The log's position, then the notices in force and the live conflicts, as events."""
        after = service.last_event_seq(self.line)
        views: list[dict[str, Any]] = []
        page_after = None
        while True:
            page = service.list_notices(
                self.line,
                member,
                NoticeFilter(limit=MAX_LIMIT, after=page_after),  # type: ignore[arg-type]
            )
            views += [{"notice": notice_json(n)} for n in page.items]
            if page.after is None:
                break
            page_after = page.after
        conflicts = service.list_conflicts(self.line, member, live_only=True, limit=MAX_LIMIT)
        places = service.conflict_places(self.line, member, conflicts.items)
        views += [
            {"conflict": conflict_json(c), _WHERE: conflict_feature(c, p)["geometry"]}
            for c, p in zip(conflicts.items, places, strict=True)
        ]
        return after, views

    def _events(self, member: Member, after: int) -> Any:
        """The party's events after ``after``, each conflict with where the member's party may
        see it (its alert is pinned there; the JSON view carries no place)."""
        got = service.events_for(self.line, member, after, 500)
        told = []
        for event in got.events:
            c = event.get("conflict")
            if not isinstance(c, dict) or str(c.get("status")) in _GONE:
                continue
            try:
                told.append((event, service.get_conflict(self.line, member, str(c["id"]))))
            except DeconflictionError:
                continue  # no longer told to this party: the alert goes out with no place
        if not told:
            return got
        views = [view for _, view in told]
        places = service.conflict_places(self.line, member, views)  # one read for them all
        for (event, view), where in zip(told, places, strict=True):
            event[_WHERE] = conflict_feature(view, where)["geometry"]
        return got

    async def _follow(self, party: _Party) -> None:
        try:
            first = party.reader()
            assert first is not None
            after, views = await self._work(lambda: self._snapshot(first))
            for view in views:
                self._prepare(party, view)
            party.ready.set()
            while party.sessions:
                checked = self.line.signal.members
                member = party.reader()
                if member is None:
                    return
                got = await self._work(lambda m=member, a=after: self._events(m, a))  # type: ignore[misc]
                after = got.last
                if got.events:
                    out = [p for e in got.events for p in self._prepare(party, e)]
                    self._send_all(party, out)
                    continue
                await self.line.signal.wait_async(after, _WAIT_S, checked)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("TAK events of party %s stopped", party.slug)
            party.ready.set()
            for s in list(party.sessions):
                s.close("the line could not read its events")

    def _send_all(self, party: _Party, out: list[Prepared]) -> None:
        """``out`` to each connection of the party: one that fails is closed alone."""
        for s in list(party.sessions):
            try:
                s.send(out)
            except Exception:
                log.exception("TAK events could not be sent to %s", s.member.id)
                s.close("the line could not send it its events")

    def _prepare(self, party: _Party, event: dict[str, Any]) -> list[Prepared]:
        """The event as CoT (kept in the party's picture when it is a notice or conflict)."""
        try:
            if isinstance(n := event.get("notice"), dict):
                key = f"n:{n['id']}"
                before = len(party.current.get(key, ()))
                items = [Prepared(x) for x in cot.notice_events(n, previous_volumes=before)]
                self._keep(party, f"n:{n['id']}", items, str(n.get("state")) in _GONE)
                return items
            if isinstance(c := event.get("conflict"), dict):
                items = [Prepared(cot.conflict_event(c, geometry=event.get(_WHERE)))]
                self._keep(party, f"c:{c['id']}", items, str(c.get("status")) in _GONE)
                return items
            if isinstance(t := event.get("thread"), dict):
                party.threads[str(t["id"])] = t  # told as its first chat: the subject
                opening = {**t, "id": f"{t['id']}-opened", "thread": t["id"], "kind": "note",
                           "text": t.get("subject", "")}  # fmt: skip
                return [Prepared(cot.chat_event(t, opening))]
            if isinstance(m := event.get("message"), dict):
                thread = party.threads.get(str(m["thread"]), {"id": m["thread"], "subject": ""})
                return [Prepared(cot.chat_event(thread, m))]
        except (KeyError, ValueError, TypeError):
            log.exception("TAK could not encode event %s", event.get("seq"))
            self.stats["unsent: encoding"] += 1
        return []

    @staticmethod
    def _keep(party: _Party, key: str, items: list[Prepared], gone: bool) -> None:
        if gone:
            party.current.pop(key, None)
        else:
            party.current[key] = items

    # -- tracks ------------------------------------------------------------------------
    def _visible(self, member: Member, since: datetime | None) -> list[Track]:
        found: list[Track] = []
        after = None
        while True:
            page = service.list_tracks(
                self.line,
                member,
                TrackFilter(limit=MAX_LIMIT, after=after, received_since=since),  # type: ignore[arg-type]
            )
            found += page.items
            if page.after is None:
                return found
            after = page.after

    async def _track_rounds(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            cued = True
            try:
                await asyncio.wait_for(self.stored.wait(), _WAIT_S)
            except TimeoutError:
                cued = False  # others may have written tracks: every party reads
            self.stored.clear()
            changed = set(self.changed) if cued else None
            self.changed.clear()
            began = loop.time()
            try:
                await self._round(changed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("TAK track round failed")
            await asyncio.sleep(max(0.0, self.config.tick_s - (loop.time() - began)))

    async def _round(self, cue: set[str] | None = None) -> None:
        """Send each party's connections what changed; ``cue``: only the TAK positions of these
        parties did (``None``: anything may have)."""
        encoded: dict[tuple[str, str, datetime], Prepared] = {}
        for party in list(self.parties.values()):
            member = party.reader()
            if member is None or not party.ready.is_set():
                continue
            if cue is not None and cue <= {party.slug}:
                if not any(s.fresh for s in party.sessions):
                    continue  # nothing it may be sent: its own tracks are not sent to it
            now, pending = self.line.clock(), self.unfinished()  # before the read: see SLACK_S
            full = (
                cue is None
                or party.read_at is None
                or party.full_at is None
                or (now - party.full_at).total_seconds() >= FULL_S
                or any(s.fresh for s in party.sessions)
            )
            since = None if full or party.read_at is None else party.read_at - _SLACK
            read = lambda m=member, a=since: self._visible(m, a)  # noqa: E731
            tracks = await self._work(read)
            party.read_at = now if pending is None else min(now, pending)
            others = [t for t in tracks if t.party != party.slug]
            if full:
                party.full_at = now
                seen = {(t.party, t.uid) for t in others}  # forget tracks gone stale or hidden
                party.sent = {k: v for k, v in party.sent.items() if k in seen}
            if not others:
                for s in party.sessions:
                    s.fresh = False  # sent all it may see: nothing
                continue
            changed = np.array(
                [party.sent.get((t.party, t.uid)) != t.time for t in others], dtype=bool
            )
            for t in others:
                party.sent[(t.party, t.uid)] = t.time
            lat = np.array([t.lat for t in others])
            lon = np.array([t.lon for t in others])
            plans: list[tuple[Session, list[Track]]] = []
            for s in list(party.sessions):
                wanted = np.ones(len(others), dtype=bool) if s.fresh else changed.copy()
                s.fresh = False
                if s.positions:
                    wanted &= self._near(s, lat, lon)
                picked = [others[i] for i in np.flatnonzero(wanted)]
                if picked:
                    plans.append((s, picked))
            # each track encoded once a round for every party, off the event loop (about 50 µs
            # a track: thousands would hold the HTTP API up for a tick)
            need = {_key(t): t for _, picked in plans for t in picked if _key(t) not in encoded}
            if need:
                encoded.update(await self._work(lambda n=need: _encode(n)))  # type: ignore[misc]
            for s, picked in plans:
                if not s.closed.is_set():
                    s.send([encoded[_key(t)] for t in picked])
                    self.stats["tracks sent"] += len(picked)

    def _near(self, s: Session, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Within the box of ``aoi_radius_m`` around any of the connection's 16 most recently
        reported positions (a box holds the circle: it errs toward sending)."""
        r = self.config.aoi_radius_m / _M_PER_DEG
        near = np.zeros(len(lat), dtype=bool)
        for plat, plon in list(s.positions.values())[-16:]:
            dlon = r / max(math.cos(math.radians(min(89.0, abs(plat) + r))), 1e-3)
            dl = np.abs((lon - plon + 180.0) % 360.0 - 180.0)
            near |= (np.abs(lat - plat) <= r) & (dl <= min(dlon, 180.0))
        return near


def _key(t: Track) -> tuple[str, str, datetime]:
    return (t.party, t.uid, t.time)


def _encode(tracks: dict[tuple[str, str, datetime], Track]) -> dict[Any, Prepared]:
    """Each track's position event, encoded once for every connection that is sent it."""
    return {k: Prepared(cot.track_event(track_json(t))) for k, t in tracks.items()}
