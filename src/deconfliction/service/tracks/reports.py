"""Track use cases: a party reports its assets' states in batches, and reads what it may see.

Batches are read report by report, so one bad report names its own index and field and costs
only itself: the good reports of the batch are stored (the policy the API documents). A report
older than the stored state of its track is ignored, so late or replayed reports never move a
track backwards; within one batch the newest report of each track wins. A report that would move
a live track faster than anything moves (300 m/s vertically, 2,000 m/s horizontally, plus 100 m
of noise) is rejected as corrupt, naming the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pyproj import Geod

from deconfliction.detect.conformance import Conformance, stopped_since
from deconfliction.domain import (
    DEFAULT_STALE_S,
    Audience,
    Member,
    Notice,
    NoticeKind,
    NoticeState,
    Track,
    TrackDomain,
    TrackReport,
    check_slug,
)
from deconfliction.domain.limits import (
    ALT_RANGE_M,
    MAX_ALT_UNC_M,
    MAX_FUTURE,
    MAX_GS_MPS,
    MAX_REPORTS,
    MAX_STALE_S,
    MAX_VS_MPS,
)
from deconfliction.domain.paging import DEFAULT_LIMIT, Page, page_of
from deconfliction.domain.volume import parse_instant
from deconfliction.errors import DeconflictionError, InvalidInput, PayloadTooLarge
from deconfliction.service.line import Line
from deconfliction.service.tracks.live import tracks_written

__all__ = [
    "ReportResult",
    "TrackFilter",
    "list_tracks",
    "read_report",
    "report_tracks",
]

_JUMP_SLACK_M = 100.0  # position and altitude noise allowed on top of the fastest motion
_GEOD = Geod(ellps="WGS84")
_UID = re.compile(r"[A-Za-z0-9._:~@+-]{1,128}")
_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_NUMBERS = {
    "lat": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "alt_m": ALT_RANGE_M,
    "gs_mps": (0.0, MAX_GS_MPS),
    "trk_deg": (0.0, 360.0),
    "vs_mps": (-MAX_VS_MPS, MAX_VS_MPS),
}
_FIELDS = frozenset(
    {*_NUMBERS, "uid", "domain", "time", "callsign", "stale_s", "movement", "audience",
     "alt_unc_m"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportResult:
    """What became of a batch: stored, ignored as older than the stored state, and rejected."""

    accepted: int
    ignored: int
    rejected: list[InvalidInput]


@dataclass(frozen=True, slots=True)
class TrackFilter:
    bbox: tuple[float, float, float, float] | None = None
    domain: TrackDomain | None = None
    include_stale: bool = False
    limit: int = DEFAULT_LIMIT
    after: tuple[str, str] | None = None
    """Start after this (party, uid): the key the previous page ended at."""
    received_since: datetime | None = None
    """Only tracks whose latest report the line received at or after this (its clock)."""


def _height(item: Mapping[str, object], domain: TrackDomain, ptr: str) -> float | None:
    """``alt_m``, which a ground or sea report may omit (or send as null): on the surface."""
    if item.get("alt_m") is not None:
        return _number(item, "alt_m", ptr)
    if domain.on_surface:
        return None
    raise InvalidInput(
        "an air track needs alt_m, metres above the WGS84 ellipsoid (only ground and sea "
        "reports may omit it)",
        f"{ptr}/alt_m",
    )


def _number(item: Mapping[str, object], key: str, ptr: str) -> float:
    value = item.get(key)
    lo, hi = _NUMBERS[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{key} must be a number", f"{ptr}/{key}")
    v = float(value)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise InvalidInput(f"{key} must lie between {lo:g} and {hi:g}", f"{ptr}/{key}")
    return v


def _time(value: object, now: datetime, ptr: str) -> datetime:
    when = parse_instant(value, "time", ptr)
    if when - now > MAX_FUTURE:
        raise InvalidInput(
            f"time is {(when - now).total_seconds():.0f} s in the future (at most 60 s allowed)",
            ptr,
        )
    return when


def _audience(value: object, ptr: str) -> Audience:
    if value == "all":
        return Audience(everyone=True)
    if not isinstance(value, list) or len(value) > 1000:
        raise InvalidInput("audience must be 'all' or a list of party slugs", ptr)
    for i, slug in enumerate(value):
        if not isinstance(slug, str):
            raise InvalidInput("a party slug is a string", f"{ptr}/{i}")
        check_slug(slug, f"{ptr}/{i}")
    return Audience(parties=frozenset(value))


def read_report(item: object, index: int, now: datetime) -> TrackReport:
    """One report of a batch, checked; errors point at ``/{index}/{field}``."""
    ptr = f"/{index}"
    if not isinstance(item, dict):
        raise InvalidInput("a report is a JSON object", ptr)
    unknown = sorted(k for k in item if k not in _FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", f"{ptr}/{unknown[0]}")
    uid = item.get("uid")
    if not isinstance(uid, str) or not _UID.fullmatch(uid):
        raise InvalidInput("uid must be 1-128 letters, digits or ._:~@+-", f"{ptr}/uid")
    try:
        domain = TrackDomain(str(item.get("domain")))
    except ValueError:
        raise InvalidInput("domain must be air, ground or sea", f"{ptr}/domain") from None
    lat, lon, gs, trk, vs = (_number(item, k, ptr) for k in _NUMBERS if k != "alt_m")
    alt = _height(item, domain, ptr)
    time = _time(item.get("time"), now, f"{ptr}/time")
    callsign = item.get("callsign")
    if callsign is not None and (
        not isinstance(callsign, str) or not 0 < len(callsign) <= 64 or not callsign.isprintable()
    ):
        raise InvalidInput("callsign must be 1-64 printable characters", f"{ptr}/callsign")
    stale = item.get("stale_s")
    if stale is not None and (
        isinstance(stale, bool)
        or not isinstance(stale, int | float)
        or not 1.0 <= stale <= MAX_STALE_S
    ):
        raise InvalidInput("stale_s must be between 1 and 86400 seconds", f"{ptr}/stale_s")
    movement = item.get("movement")
    if movement is not None and (not isinstance(movement, str) or not _ID.fullmatch(movement)):
        raise InvalidInput("movement must be the id of your movement notice", f"{ptr}/movement")
    audience = item.get("audience")
    unc = item.get("alt_unc_m", 0.0)
    if (
        isinstance(unc, bool)
        or not isinstance(unc, int | float)
        or not 0.0 <= unc <= MAX_ALT_UNC_M  # NaN fails this too
    ):
        raise InvalidInput(
            f"alt_unc_m must be between 0 and {MAX_ALT_UNC_M:g} metres", f"{ptr}/alt_unc_m"
        )
    return TrackReport(
        uid=uid,
        domain=domain,
        lat=lat,
        lon=lon,
        alt_m=alt,
        gs_mps=gs,
        trk_deg=trk % 360.0,
        vs_mps=vs,
        time=time,
        callsign=callsign,
        stale_s=None if stale is None else float(stale),
        movement=movement,
        audience=None if audience is None else _audience(audience, f"{ptr}/audience"),
        alt_unc_m=float(unc),
    )


def report_tracks(
    line: Line,
    actor: Member,
    source: Sequence[object] | Callable[[], Sequence[object]],
    conformance: Conformance | None = None,
) -> ReportResult:
    """Store the newest state of each reported track of the actor's party.

    Raises ``PayloadTooLarge`` (nothing stored) for more than ``MAX_REPORTS`` reports; otherwise
    every good report is kept and each bad one is returned with its pointer. ``source`` is the
    batch, or how to read it (once the member may write).
    """
    actor.role.require_writer("notices")
    items = source() if callable(source) else source
    if len(items) > MAX_REPORTS:
        raise PayloadTooLarge(
            f"{len(items)} reports in one batch; send at most {MAX_REPORTS} per request", ""
        )
    settings = conformance or Conformance()
    now = line.clock()
    rejected: list[InvalidInput] = []
    newest: dict[str, tuple[int, TrackReport]] = {}
    for i, item in enumerate(items):
        try:
            report = read_report(item, i, now)
        except DeconflictionError as e:
            rejected.append(e if isinstance(e, InvalidInput) else InvalidInput(e.reason, e.pointer))
            continue
        held = newest.get(report.uid)
        if held is None or report.time > held[1].time:
            newest[report.uid] = (i, report)
    ignored = len(items) - len(rejected) - len(newest)
    with line.store.transaction() as tx:
        previous = tx.get_tracks(actor.party, list(newest))
        movements = {r.movement for _, r in newest.values() if r.movement is not None}
        bad_movement = {m: _movement_problem(tx.get_notice(m), actor.party) for m in movements}
        tracks: list[Track] = []
        for i, report in sorted(newest.values(), key=lambda x: x[0]):
            problem = bad_movement.get(report.movement or "")
            if problem:
                rejected.append(InvalidInput(problem, f"/{i}/movement"))
                continue
            before = previous.get(report.uid)
            if before is not None and before.time >= report.time:
                ignored += 1
                continue
            jump = _implausible(before, report)
            if jump is not None:
                rejected.append(InvalidInput(jump[1], f"/{i}/{jump[0]}"))
                continue
            tracks.append(_track(actor.party, report, before, now, settings))
        rev = tx.put_tracks(tracks)
    tracks_written(line, tracks, rev)
    rejected.sort(key=lambda e: int(e.pointer.split("/")[1]) if e.pointer else -1)
    return ReportResult(accepted=len(tracks), ignored=ignored, rejected=rejected)


def _implausible(before: Track | None, r: TrackReport) -> tuple[str, str] | None:
    """A report that moves its live track faster than anything can: (field, reason), or None.

    A corrupt report (an altitude read as 38,000 ft three seconds after 600 ft) would otherwise
    become the track every detector trusts until the next report replaces it.
    """
    if before is None or not before.is_live(r.time):
        return None
    dt = (r.time - before.time).total_seconds()
    climb = 0.0  # a surface track without its height: no climb to judge
    if r.alt_m is not None and before.alt_m is not None:
        climb = abs(r.alt_m - before.alt_m)
    if climb > MAX_VS_MPS * dt + _JUMP_SLACK_M:
        return "alt_m", (
            f"alt_m moves {climb:,.0f} m in {dt:g} s from the track's last report "
            f"(faster than {MAX_VS_MPS:g} m/s)"
        )
    _, _, moved = _GEOD.inv(before.lon, before.lat, r.lon, r.lat)
    if moved > MAX_GS_MPS * dt + _JUMP_SLACK_M:
        return "lat", (
            f"the position moves {moved:,.0f} m in {dt:g} s from the track's last report "
            f"(faster than {MAX_GS_MPS:g} m/s)"
        )
    return None


def _movement_problem(notice: Notice | None, party: str) -> str:
    if notice is None or notice.party != party:
        return "no movement notice of your party has this id"
    if notice.kind is not NoticeKind.MOVEMENT:
        return f"notice is a {notice.kind.value}, not a movement"
    if notice.state is not NoticeState.ACTIVE:
        return f"the movement notice is {notice.state.value}"
    return ""


def _track(
    party: str, r: TrackReport, before: Track | None, now: datetime, settings: Conformance
) -> Track:
    audience = r.audience or (before.audience if before else Audience())
    return Track(
        party=party,
        uid=r.uid,
        domain=r.domain,
        lat=r.lat,
        lon=r.lon,
        alt_m=r.alt_m,
        gs_mps=r.gs_mps,
        trk_deg=r.trk_deg,
        vs_mps=r.vs_mps,
        time=r.time,
        stale_s=r.stale_s or DEFAULT_STALE_S[r.domain],
        audience=audience,
        callsign=r.callsign,
        movement=r.movement,
        stopped_since=stopped_since(before, r.time, r.gs_mps, settings),
        received_at=now,
        alt_unc_m=r.alt_unc_m,
    )


def _track_key(t: Track) -> tuple[str, str]:
    return (t.party, t.uid)


def list_tracks(line: Line, actor: Member, query: TrackFilter) -> Page[Track]:
    """A page of the tracks the actor's party may see, by (party, uid): its own and those shared
    with it; live unless asked."""
    now = line.clock()
    with line.store.read() as tx:
        found = tx.list_tracks(
            actor.party,
            None if query.include_stale else now,
            bbox=query.bbox,
            domain=query.domain,
            limit=query.limit + 1,
            after=query.after,
            received_since=query.received_since,
        )
    return page_of(found, query.limit, _track_key)
