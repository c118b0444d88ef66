"""Live tracks kept in memory between scans, so that a scan does not read every live track from
the store each time; the store stays the record.

One ``LiveTracks`` per store object in this process. The first scan fills it with the store's live
tracks; each later scan catches up on the rows written since the mark it last read (the track
table's ``rev``, which grows in commit order as readers see it: ``store.tracks``), so reports
written by any process (another ``serve`` node on PostgreSQL, the CLI, a feed run on its own) are
seen by the next scan. ``report_tracks`` in this process hands over what it just wrote
(:func:`tracks_written`), and the catch-up skips those revs rather than read them back.

Which version of a track wins is the store's rule: the newer report time. A row read back from the
store also wins a tie (it is what the store holds); a write handed over by this process wins only
when strictly newer (the store kept the older one on a tie). Liveness is the store's too:
``live_until_us >= now`` in whole microseconds. Tracks stale at a scan's ``now`` are dropped; a
scan at an earlier instant than one already pruned at (a clock set back) fills the cache again.
A restart starts empty and fills at its first scan; so does a cache that was handed more than
``_MAX_OWN`` writes without a scan between (a process that is no longer the scanner). Track rows
are never deleted by the line; a change that deleted them would have to empty these caches too.

A scan reads the tracks as numpy columns (:class:`TrackColumns`), one row (slot) per held track,
rewritten only for the tracks reported or gone stale since the scan before: a scan after a few
reports touches those few rows, whatever the number of live tracks.

Written by hand: this is the line's own cache of its own table, with its own catch-up rule; no
library keeps a table's rows in step across processes this way.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from deconfliction.detect import tactical
from deconfliction.domain import Track
from deconfliction.service.line import Line
from deconfliction.store.base import Tx
from deconfliction.store.codec import dt_to_us

__all__ = ["LiveTracks", "TrackColumns", "live_columns", "live_tracks", "tracks_written"]

_Key = tuple[str, str]
_MAX_OWN = 10_000
"""Writes handed over since the last scan beyond which the cache empties itself: a process that
stopped scanning (another node took the scanner's turn) keeps no growing memory of them."""


def _live_until_us(t: Track) -> int:
    """As the store computes the row's ``live_until_us``."""
    return dt_to_us(t.time) + round(t.stale_s * 1e6)


@dataclass(frozen=True)
class TrackColumns:
    """Live tracks as columns for a scan: ``tracks[k]`` is row k of every column.

    ``keys``: each track's ``party/uid``; ``time_us``: report times in whole microseconds;
    ``states``: the tracks as reported, for ``detect.tactical`` (a group per party)."""

    tracks: list[Track]
    keys: list[str]
    time_us: npt.NDArray[np.int64]
    states: tactical.States

    @classmethod
    def of(cls, tracks: Sequence[Track]) -> TrackColumns:
        """The columns of ``tracks``, in their order."""
        slots = _Slots()
        held = {(t.party, t.uid): (t, 0) for t in tracks}
        slots.dirty.update(held)
        cols = slots.columns(held, order=[(t.party, t.uid) for t in tracks])
        return cols

    def seconds_since(self, now: datetime) -> npt.NDArray[np.float64]:
        """Each track's age at ``now`` in seconds, as ``(now - t.time).total_seconds()``."""
        age: npt.NDArray[np.float64] = (dt_to_us(now) - self.time_us) / 10**6
        return age


_FIGURES = 7  # lat, lon, alt_m (NaN: unknown), gs_mps, trk_deg, vs_mps, alt_unc_m


class _Slots:
    """The held tracks' figures in numpy columns, one slot (row) per track, rewritten only for
    the tracks that changed (``dirty``) since the columns were last asked for: a scan after a
    few reports writes those few rows and makes no object for the others."""

    def __init__(self) -> None:
        self.slot: dict[_Key, int] = {}
        self.free: list[int] = []
        self.track: list[Track | None] = []
        self.key: list[str] = []
        self.figures = np.zeros((0, _FIGURES), dtype=np.float64)
        self.time_us = np.zeros(0, dtype=np.int64)
        self.group = np.zeros(0, dtype=np.int64)
        self.domain = np.zeros(0, dtype=np.int64)
        self.used = np.zeros(0, dtype=bool)
        self.parties: dict[str, int] = {}
        self.dirty: set[_Key] = set()
        self.cols: TrackColumns | None = None

    def _grow(self) -> None:
        size = max(1024, 2 * len(self.used))
        more = size - len(self.used)
        self.figures = np.concatenate([self.figures, np.zeros((more, _FIGURES))])
        self.time_us = np.concatenate([self.time_us, np.zeros(more, dtype=np.int64)])
        self.group = np.concatenate([self.group, np.zeros(more, dtype=np.int64)])
        self.domain = np.concatenate([self.domain, np.zeros(more, dtype=np.int64)])
        self.used = np.concatenate([self.used, np.zeros(more, dtype=bool)])

    def _new(self, key: _Key) -> int:
        if self.free:
            s = self.free.pop()
        else:
            s = len(self.track)
            self.track.append(None)
            self.key.append("")
            if s >= len(self.used):
                self._grow()
        self.slot[key] = s
        self.used[s] = True
        return s

    def columns(
        self, held: dict[_Key, tuple[Track, int]], order: Sequence[_Key] | None = None
    ) -> TrackColumns:
        """The columns of ``held`` once the dirty slots are rewritten; rows in slot order (or
        in ``order``, every held key once, for a cache of one answer)."""
        if self.cols is not None and not self.dirty:
            return self.cols
        written: list[int] = []
        tracks: list[Track] = []
        for key in sorted(self.dirty):
            s = self.slot.get(key)
            entry = held.get(key)
            if entry is None:
                if s is not None:
                    del self.slot[key]
                    self.free.append(s)
                    self.used[s] = False
                    self.track[s] = None
                continue
            if s is None:
                s = self._new(key)
            t = entry[0]
            self.track[s] = t
            self.key[s] = f"{t.party}/{t.uid}"
            written.append(s)
            tracks.append(t)
        if written:
            at = np.asarray(written, dtype=np.int64)
            self.figures[at] = np.array(
                [
                    (t.lat, t.lon, math.nan if t.alt_m is None else t.alt_m, t.gs_mps,
                     t.trk_deg, t.vs_mps, t.alt_unc_m)
                    for t in tracks
                ],
                dtype=np.float64,
            ).reshape(-1, _FIGURES)  # fmt: skip
            self.time_us[at] = [dt_to_us(t.time) for t in tracks]
            self.group[at] = [self.parties.setdefault(t.party, len(self.parties)) for t in tracks]
            self.domain[at] = [t.domain.code for t in tracks]
        rows = (
            np.flatnonzero(self.used)
            if order is None
            else np.asarray([self.slot[k] for k in order], dtype=np.int64)
        )
        row_list = rows.tolist()
        f = self.figures[rows]
        states = tactical.States.of(
            f[:, 0], f[:, 1], f[:, 2], f[:, 3], f[:, 4], f[:, 5],
            group=self.group[rows], domain=self.domain[rows], alt_unc_m=f[:, 6],
        )  # fmt: skip
        self.cols = TrackColumns(
            [t for t in (self.track[s] for s in row_list) if t is not None],
            [self.key[s] for s in row_list],
            self.time_us[rows],
            states,
        )
        self.dirty.clear()  # only now: a row States.of refuses is refused again next time
        return self.cols


class LiveTracks:
    """The tracks of one store, kept in step with it (see the module's docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tracks: dict[_Key, tuple[Track, int]] = {}
        self._mark: int | None = None  # None: not filled yet
        self._own: set[int] = set()  # revs this process wrote and already holds, >= _mark
        self._floor_us = 0  # every track live at any instant >= this is held
        self._live: list[Track] | None = None  # the last answer, while nothing changed
        self._live_at_us = 0
        self._slots = _Slots()  # the held tracks as columns, for scans
        self.filled = 0
        """How many times the cache was filled from the store (1 after the first scan)."""

    def read(self, tx: Tx, now: datetime) -> list[Track]:
        """Every track live at ``now`` ordered by (party, uid), as ``tx.live_tracks(now)``."""
        now_us = dt_to_us(now)
        with self._lock:
            self._sync(tx, now, now_us)
            if self._live is None:
                self._prune(now_us)
                self._live = [t for _, (t, _u) in sorted(self._tracks.items())]
            elif now_us != self._live_at_us and self._prune(now_us):
                self._live = [t for t in self._live if (t.party, t.uid) in self._tracks]
            self._live_at_us = now_us
            return list(self._live)

    def columns(self, tx: Tx, now: datetime) -> TrackColumns:
        """The tracks :meth:`read` answers, as columns, in no particular order (the order of
        the slots they hold): only the rows of tracks that changed are written."""
        now_us = dt_to_us(now)
        with self._lock:
            self._sync(tx, now, now_us)
            if self._prune(now_us):
                self._live = None
            return self._slots.columns(self._tracks)

    def _sync(self, tx: Tx, now: datetime, now_us: int) -> None:
        if self._mark is None or now_us < self._floor_us:
            self._fill(tx, now, now_us)
        else:
            self._catch_up(tx)

    def written(self, tracks: Sequence[Track], rev: int) -> None:
        """Tracks this process just committed at ``rev`` (``report_tracks``)."""
        if not tracks:
            return
        with self._lock:
            if self._mark is None:
                return  # not filled: the fill reads them
            if rev >= self._mark:
                self._own.add(rev)
                if len(self._own) > _MAX_OWN:  # no scan for a long while (not the scanner)
                    self._forget()
                    return
            for t in tracks:
                key = (t.party, t.uid)
                held = self._tracks.get(key)
                if held is None or t.time > held[0].time:
                    self._put(key, t)

    def _forget(self) -> None:
        """Empty the cache: the next scan fills it from the store."""
        self._tracks = {}
        self._mark = None
        self._own = set()
        self._live = None
        self._slots = _Slots()

    def _put(self, key: _Key, t: Track) -> None:
        until = _live_until_us(t)
        if until < self._floor_us:
            self._tracks.pop(key, None)  # already stale for every scan this cache answers
        else:
            self._tracks[key] = (t, until)
        self._slots.dirty.add(key)
        self._live = None

    def _fill(self, tx: Tx, now: datetime, now_us: int) -> None:
        mark = tx.track_mark()  # before the rows: a write it misses is at or above the mark
        self._tracks = {(t.party, t.uid): (t, _live_until_us(t)) for t in tx.live_tracks(now)}
        self._slots = _Slots()
        self._slots.dirty.update(self._tracks)
        self._mark = mark
        self._own.clear()
        self._floor_us = now_us
        self._live = None
        self.filled += 1

    def _catch_up(self, tx: Tx) -> None:
        assert self._mark is not None
        mark = tx.track_mark()
        for t in tx.tracks_changed(self._mark, sorted(self._own)):
            key = (t.party, t.uid)
            held = self._tracks.get(key)
            if held is None or t.time >= held[0].time:
                self._put(key, t)
        self._mark = mark
        self._own = {r for r in self._own if r >= mark}

    def _prune(self, now_us: int) -> bool:
        """Drop the tracks stale at ``now_us``; whether any were."""
        if now_us <= self._floor_us:
            return False
        stale = [k for k, (_, until) in self._tracks.items() if until < now_us]
        for k in stale:
            del self._tracks[k]
        self._slots.dirty.update(stale)
        self._floor_us = now_us
        return bool(stale)


_CACHES: weakref.WeakKeyDictionary[object, LiveTracks] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_of(line: Line) -> LiveTracks:
    """The cache of ``line``'s store (one per store object in this process)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(line.store)
        if cache is None:
            cache = _CACHES[line.store] = LiveTracks()
        return cache


def live_tracks(line: Line, tx: Tx, now: datetime) -> list[Track]:
    """Every track live at ``now``, ordered by (party, uid): the cache caught up through ``tx``."""
    return cache_of(line).read(tx, now)


def live_columns(line: Line, tx: Tx, now: datetime) -> TrackColumns:
    """:func:`live_tracks` as columns (:class:`TrackColumns`)."""
    return cache_of(line).columns(tx, now)


def tracks_written(line: Line, tracks: Sequence[Track], rev: int) -> None:
    """Hand the tracks ``report_tracks`` just committed at ``rev`` to the cache."""
    cache_of(line).written(tracks, rev)
