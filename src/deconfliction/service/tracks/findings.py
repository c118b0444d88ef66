"""What one scan finds on live tracks: tactical pairs, intrusions, deviations and breaches of
agreements, each a ``Finding`` with a key naming its encounter (``service.tracks.scan`` keeps the
conflicts they become up to date)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from deconfliction.detect import tactical
from deconfliction.detect.conformance import deviations
from deconfliction.detect.intrusion import (
    intrusions,
)
from deconfliction.detect.settings import ScanSettings
from deconfliction.detect.strategic import UNBOUNDED_ALT_M, Candidate, index_boxes
from deconfliction.domain import (
    Audience,
    Buffers,
    ConflictKind,
    Footprint,
    FootprintKind,
    Notice,
    NoticeState,
    Track,
)
from deconfliction.geo import Box4, within
from deconfliction.geo.shape import Shape, prepare
from deconfliction.service.conversation.commitments import Commitment, commitments_in_force
from deconfliction.service.line import Line
from deconfliction.service.notices.strategic import candidate_from_row
from deconfliction.service.tracks.candidates import intrusion_pairs, search
from deconfliction.service.tracks.live import TrackColumns
from deconfliction.store.base import Tx

__all__ = ["Finding", "Found", "NoticeSide", "TacticalFound", "find_all", "notice_breaches"]


@dataclass(frozen=True)
class NoticeSide:
    """Side a when it is a notice's volume (a notice breaching an agreement), not a track."""

    party: str
    notice: str
    volume: int
    audience: Audience


@dataclass(frozen=True)
class Finding:
    kind: ConflictKind
    key: str
    a: Track | NoticeSide
    party_b: str | None = None
    track_b: Track | None = None
    notice_b: str | None = None
    volume_b: int | None = None
    visible_b: Audience = field(default_factory=Audience)
    movement: Notice | None = None
    reason: str | None = None
    agreement: str | None = None
    t_in_s: float = 0.0
    t_out_s: float | None = None
    tcpa_s: float | None = None
    distance_m: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class TacticalFound:
    """A scan's tactical pairs as columns, one row per pair: side ``a`` (the track whose key
    sorts first) and ``b`` as rows of the scan's tracks, the encounter's figures, and its key.
    ``finding(k)`` makes the ``Finding`` of row k, for the rows reconciliation must look into
    (a pair new, or changed); a pair that goes on as it was told is never made into objects."""

    tracks: list[Track]
    a: npt.NDArray[np.int64]
    b: npt.NDArray[np.int64]
    t_in_s: npt.NDArray[np.float64]
    t_out_s: npt.NDArray[np.float64]
    tcpa_s: npt.NDArray[np.float64]
    dcpa_m: npt.NDArray[np.float64]
    keys: list[str]

    def __len__(self) -> int:
        return len(self.keys)

    def finding(self, k: int) -> Finding:
        a, b = self.tracks[int(self.a[k])], self.tracks[int(self.b[k])]
        t_out, dcpa = float(self.t_out_s[k]), float(self.dcpa_m[k])
        return Finding(
            ConflictKind.TACTICAL,
            self.keys[k],
            a,
            party_b=b.party,
            track_b=b,
            visible_b=b.audience,
            t_in_s=float(self.t_in_s[k]),
            t_out_s=t_out if np.isfinite(t_out) else None,
            tcpa_s=float(self.tcpa_s[k]),
            distance_m=dcpa,
            detail=f"closest approach {dcpa:,.0f} m",
        )


@dataclass(frozen=True)
class Found:
    """What one scan finds: the tactical pairs as columns, everything else as ``Finding``s
    (intrusions, deviations, breaches: few beside the pairs)."""

    tactical: TacticalFound
    others: list[Finding]

    def all(self) -> list[Finding]:
        """Every finding as an object, tactical pairs first (as reconciliation takes them)."""
        return [*(self.tactical.finding(k) for k in range(len(self.tactical))), *self.others]


def find_all(
    tx: Tx, line: Line, columns: TrackColumns, now: datetime, settings: ScanSettings
) -> Found:
    """Everything a scan at ``now`` finds on the live tracks ``columns`` (read in ``tx``)."""
    tracks = columns.tracks
    return Found(
        _tactical(columns, now, settings),
        [
            *_intrusions(tx, line, columns, now, settings),
            *_deviations(tx, tracks, now, settings),
            *_breaches(tx, tracks, now, settings),
            *notice_breaches(tx, now),
        ],
    )


def _tactical(columns: TrackColumns, now: datetime, settings: ScanSettings) -> TacticalFound:
    tracks = columns.tracks
    none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    if len(tracks) < 2:
        return TacticalFound(tracks, none_i, none_i, none_f, none_f, none_f, none_f, [])
    states = columns.states.advanced(columns.seconds_since(now))
    found = tactical.detect(states, settings.lookahead_s, settings.minima)
    # side a is the track whose key sorts first (keys are distinct: one per party and uid)
    keys = columns.keys
    a_of, b_of, pair_keys = [], [], []
    for x, y in zip(found.i.tolist(), found.j.tolist(), strict=True):
        kx, ky = keys[x], keys[y]
        if ky < kx:
            x, y, kx, ky = y, x, ky, kx
        a_of.append(x)
        b_of.append(y)
        pair_keys.append(f"tactical:{kx}|{ky}")
    a = np.asarray(a_of, dtype=np.int64)
    b = np.asarray(b_of, dtype=np.int64)
    return TacticalFound(
        tracks, a, b, found.t_in_s, found.t_out_s, found.tcpa_s, found.dcpa_m, pair_keys
    )


def _intrusions(
    tx: Tx, line: Line, columns: TrackColumns, now: datetime, settings: ScanSettings
) -> list[Finding]:
    tracks = columns.tracks
    rows, pairs = intrusion_pairs(tx, line, columns, now, settings)
    if not pairs:
        return []
    candidates = [candidate_from_row(r) for r in rows]
    out = []
    for x in intrusions(tracks, candidates, pairs, now, settings.lookahead_s, line.defaults):
        t, row = tracks[x.track], rows[x.volume]
        out.append(
            Finding(
                ConflictKind.INTRUSION,
                f"intrusion:{t.key}|{row.notice_id}#{row.index}",
                t,
                party_b=row.party,
                notice_b=row.notice_id,
                volume_b=row.index,
                visible_b=row.audience or Audience(),
                t_in_s=x.t_in_s,
                distance_m=x.distance_m,
                detail=("inside the volume" if x.t_in_s <= 0 else "predicted to enter the volume"),
            )
        )
    return out


def _around(t: Track, now: datetime, d_m: float) -> list[Box4]:
    """Conservative boxes around the track's position, ``d_m`` each way, at ``now`` (the index
    boxes of a point widened by ``d_m``: split at the antimeridian, whole near a pole), its
    height widened by its ``alt_unc_m`` so that no volume its true height may meet is left out."""
    point = prepare(Footprint(FootprintKind.CIRCLE, (((t.lon, t.lat),),), 0.0))
    s = now.timestamp()
    if t.alt_m is None:  # a surface track without its height: every altitude
        lo, hi = -UNBOUNDED_ALT_M, UNBOUNDED_ALT_M
    else:
        lo, hi = t.alt_m - t.alt_unc_m, t.alt_m + t.alt_unc_m
    return [Box4(x0, y0, lo, s, x1, y1, hi, s) for x0, y0, x1, y1 in point.boxes(d_m)]


def _movement_candidates(notice: Notice) -> list[Candidate]:
    return [
        Candidate.of(f"{notice.id}#{i}", notice.party, v, prepare(v.footprint), notice.buffers)
        for i, v in enumerate(notice.volumes)
    ]


def _deviations(
    tx: Tx, tracks: Sequence[Track], now: datetime, settings: ScanSettings
) -> list[Finding]:
    following = [t for t in tracks if t.movement is not None]
    if not following:
        return []
    movements: dict[str, Notice | None] = {}
    for t in following:
        assert t.movement is not None
        if t.movement not in movements:
            movements[t.movement] = tx.get_notice(t.movement)
    shapes: dict[str, list[Candidate]] = {}
    d = settings.conformance.near_volume_m
    owners: list[int] = []
    boxes: list[Box4] = []
    for i, t in enumerate(following):
        for b in _around(t, now, d):
            owners.append(i)
            boxes.append(b)
    rows, pairs = search(tx, owners, boxes)
    near: dict[int, list[int]] = defaultdict(list)
    for ti, ri in pairs:
        if rows[ri].party != following[ti].party:
            near[ti].append(ri)
    out = []
    for ti, t in enumerate(following):
        notice = movements[t.movement or ""]
        if (
            notice is None
            or notice.party != t.party
            or notice.state_at(now) is not NoticeState.ACTIVE
        ):
            continue
        if notice.id not in shapes:
            shapes[notice.id] = _movement_candidates(notice)
        others = [candidate_from_row(rows[ri]) for ri in near[ti]]
        for dev in deviations(t, shapes[notice.id], others, now, settings.conformance):
            row = None
            if dev.reason == "near-volume" and dev.volume is not None:
                row = rows[near[ti][dev.volume]]
            key = f"deviation:{t.key}|{dev.reason}"
            if row is not None:
                key += f"|{row.notice_id}#{row.index}"
            out.append(
                Finding(
                    ConflictKind.DEVIATION,
                    key,
                    t,
                    party_b=None if row is None else row.party,
                    notice_b=None if row is None else row.notice_id,
                    volume_b=None if row is None else row.index,
                    visible_b=(row.audience or Audience()) if row is not None else Audience(),
                    movement=notice,
                    reason=str(dev.reason),
                    distance_m=dev.distance_m,
                    detail=dev.detail,
                )
            )
    return out


def _breaches(
    tx: Tx, tracks: Sequence[Track], now: datetime, settings: ScanSettings
) -> list[Finding]:
    """Tracks of a committed party predicted to enter the area it agreed to stay out of."""
    commitments = commitments_in_force(tx, now, settings.lookahead_s)
    if not commitments:
        return []
    candidates: list[Candidate] = []
    owners: list[tuple[Commitment, int]] = []
    for c in commitments:
        for i, v in enumerate(c.volumes):
            key = f"{c.request.id}#{i}"
            candidates.append(Candidate.of(key, c.beneficiary, v, prepare(v.footprint)))
            owners.append((c, i))
    by_party: dict[str, list[int]] = defaultdict(list)
    for k, (c, _) in enumerate(owners):
        by_party[c.party].append(k)
    pairs = [(ti, k) for ti, t in enumerate(tracks) for k in by_party.get(t.party, ())]
    out = []
    # the agreed area itself, with no buffer: what the two parties agreed on
    for x in intrusions(tracks, candidates, pairs, now, settings.lookahead_s, Buffers()):
        (c, i), t = owners[x.volume], tracks[x.track]
        both = Audience(parties=frozenset({c.party, c.beneficiary}))
        out.append(
            Finding(
                ConflictKind.INTRUSION,
                f"breach:{t.key}|{c.request.id}#{i}",
                t,
                party_b=c.beneficiary,
                visible_b=both,
                reason="breach",
                agreement=c.request.id,
                t_in_s=x.t_in_s,
                distance_m=x.distance_m,
                detail=(
                    f"inside the area agreed with {c.beneficiary} to {c.request.request}"
                    if x.t_in_s <= 0
                    else f"predicted to enter the area agreed with {c.beneficiary} to "
                    f"{c.request.request}"
                ),
            )
        )
    return out


def notice_breaches(tx: Tx, now: datetime, notice: Notice | None = None) -> list[Finding]:
    """Active notices of a committed party whose volumes meet the area it agreed to stay out
    of, in time and altitude (closed intervals) and on the ground (distance 0); only those of
    ``notice`` when one is given."""
    out = []
    for c in commitments_in_force(tx, now):
        if notice is not None and c.party != notice.party:
            continue
        for i, v in enumerate(c.volumes):
            shape = prepare(v.footprint)
            agreed = Candidate.of(f"{c.request.id}#{i}", c.beneficiary, v, shape)
            rows = [
                r
                for r in tx.candidates(index_boxes(agreed, Buffers()))
                if r.party == c.party
                and (notice is None or r.notice_id == notice.id)
                and r.time.gap_s(v.time) == 0.0
                and r.altitude.gap_m(v.altitude) == 0.0
            ]
            if not rows:
                continue
            hit, distance = within(shape, [Shape.from_bytes(r.shape) for r in rows], 0.0)
            both = Audience(parties=frozenset({c.party, c.beneficiary}))
            for r, h, d in zip(rows, hit.tolist(), distance.tolist(), strict=True):
                if not h:
                    continue
                side = NoticeSide(c.party, r.notice_id, r.index, r.audience or Audience())
                out.append(
                    Finding(
                        ConflictKind.STRATEGIC,
                        f"breach:{r.notice_id}#{r.index}|{c.request.id}#{i}",
                        side,
                        party_b=c.beneficiary,
                        visible_b=both,
                        reason="breach",
                        agreement=c.request.id,
                        t_in_s=max(0.0, (max(r.time.start, v.time.start) - now).total_seconds()),
                        distance_m=d,
                        detail=f"declared inside the area agreed with {c.beneficiary} to "
                        f"{c.request.request}",
                    )
                )
    return out
