"""Probing: the adversarial test of 2026-12-06 replayed against a fresh line, over HTTP, on the
line's own clock moved by hand (a day passes in seconds; the figures do not depend on the
machine).

    .venv/bin/python bench/probe.py                  # both attackers, then tracks alone
    .venv/bin/python bench/probe.py --seed 7         # another hidden place and window

Blue declares a private 5 km circle somewhere within 300 km of a point everyone knows (the
theatre's centre), in force from 08:10Z to 19:50Z. Red, with its own token and its own private
notices only, runs the attack as it was reported, within one day (24 h of the line's clock from
its first probe), each request 0.5 s after the last:

1. **window**: one notice spanning 2026-2199 over the whole theatre; the conflict it raises
   gives the overlap: blue's window, as red may see it;
2. **centre**: from three points 600 km out, circles whose radius bisects the distance to blue's
   edge (yes: a conflict opens), 20 steps each, taken in turn: 60 probes for a metre;
3. **distance**: one notice at the first point, its ``buffers.h_m`` bisected 20 times;
4. **tracks** (a run of their own, while blue's circle is in force): an aircraft reported from
   each of three points 200 km out, aimed at the centre red found (swept 2 degrees at a time
   until one is told an intrusion), then a slow one from 1 km short of where the first met the
   edge: the edge's distance is ``(t_in - time) * gs``; the circle through three edges.

Two attackers: **as reported** withdraws each probe notice at once (a quick withdrawal: 5 units
of 60 a day) and, refused, waits what ``Retry-After`` says; **patient** keeps its probes (a
create costs 1 of 1,000 a day) and bisects buffers with new notices instead of changes. A third
run sends **tracks alone**, aimed at the centre the first attacker found, which also shows that
intrusions feed ``probing.suspected``. Blue and the host read their events after every request:
the time until ``probing.suspected`` reaches them is on the line's clock from red's first call.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from pyproj import Geod, Transformer
from rich.console import Console
from rich.table import Table

from deconfliction import service
from deconfliction.api.app import create_app
from deconfliction.domain import Role
from deconfliction.service import Line
from deconfliction.store import open_store

console = Console(width=None if sys.stdout.isatty() else 110)
GEOD = Geod(ellps="WGS84")
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HIDDEN = (datetime(2026, 12, 7, 8, 10, tzinfo=UTC), datetime(2026, 12, 7, 19, 50, tzinfo=UTC))
CENTRE = (38.0, 35.0)  # lon, lat: the theatre's centre, known to every party
RADIUS_M = 5_000.0  # blue's circle; red is told it (a stronger attacker than the one reported)
REFS = [GEOD.fwd(*CENTRE, az, 600_000.0)[:2] for az in (0.0, 120.0, 240.0)]
PACE = timedelta(seconds=0.5)
STEPS = 20
DAY = timedelta(hours=24)
ALL_TIME = {"start": "2026-01-01T00:00:00Z", "end": "2199-01-01T00:00:00Z"}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def circle(lon: float, lat: float, radius_m: float, **extra: Any) -> dict[str, Any]:
    volume = {
        "footprint": {"type": "Point", "coordinates": [lon, lat]},
        "radius_m": radius_m,
        "time": ALL_TIME,
    }
    return {"kind": "operation", "title": "exercise", "audience": [], "volumes": [volume], **extra}


@dataclass
class Run:
    """One attack on a fresh line: what red spent and learnt, and when blue was told."""

    name: str
    answers: int = 0
    quick: int = 0
    buffer_changes: int = 0
    refused: int = 0
    tracks: int = 0
    intrusions: int = 0
    first_probe: datetime | None = None
    told: dict[str, datetime] = field(default_factory=dict)
    location_m: float | None = None
    known_m: float | None = None
    distance_m: float | None = None
    window_min: tuple[float, float] | None = None
    window_error_min: tuple[float, float] | None = None
    tracks_location_m: float | None = None
    seen: dict[str, int] = field(default_factory=dict)
    estimate: tuple[float, float] | None = None


class Attack:
    """A fresh line with blue's hidden circle, and red's calls to it over HTTP."""

    def __init__(self, run: Run, hidden: tuple[float, float], patient: bool) -> None:
        self.run, self.hidden, self.patient = run, hidden, patient
        self.clock = Clock()
        db = Path(tempfile.mkdtemp(prefix="probe-")) / "line.db"
        self.line = Line(store=open_store(f"sqlite:///{db}"), clock=self.clock)
        self.tokens: dict[str, str] = {}
        for slug in ("blue", "red", "host"):
            service.create_party(self.line, slug, slug.title())
            role = Role.ADMIN if slug == "host" else Role.COORDINATOR
            self.tokens[slug] = service.create_member(self.line, slug, role)[1]
        self.client = TestClient(create_app(self.line), raise_server_exceptions=True)
        window = {"start": _z(HIDDEN[0]), "end": _z(HIDDEN[1])}
        hidden_notice = circle(*hidden, RADIUS_M)
        hidden_notice["volumes"][0]["time"] = window
        assert self._call("blue", "POST", "/v1/notices", hidden_notice).status_code == 201
        self.kept: list[str] = []

    # -- calls ---------------------------------------------------------------------------------

    def _call(self, who: str, method: str, path: str, body: Any = None, **headers: str) -> Any:
        got = self.client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )
        return got

    def red(self, method: str, path: str, body: Any = None) -> Any:
        """One call by red, 0.5 s after the last; then blue and the host look at their events."""
        self.clock.now += PACE
        if self.run.first_probe is None:
            self.run.first_probe = self.clock.now
        got = self._call("red", method, path, body)
        for who in ("blue", "host"):
            if who not in self.run.told:
                seen = self._call(who, "GET", "/v1/events?kinds=probing.suspected").json()
                if seen["events"]:
                    self.run.told[who] = self.clock.now
        return got

    def day_left(self) -> bool:
        return self.run.first_probe is None or self.clock.now - self.run.first_probe < DAY

    def _wait(self, got: Any) -> bool:
        """Refused: wait what Retry-After says, if the day has that long left."""
        self.run.refused += 1
        self.clock.now += timedelta(seconds=int(got.headers["Retry-After"]))
        return self.day_left()

    def ask(self, notice: dict[str, Any]) -> bool | None:
        """Declare a probe notice: does it conflict with blue's? ``None``: no answer today."""
        while self.day_left():
            got = self.red("POST", "/v1/notices", notice)
            if got.status_code == 429:
                if not self._wait(got):
                    return None
                continue
            assert got.status_code == 201, got.text
            self.run.answers += 1
            body = got.json()
            answer = any(c["other"]["party"] == "blue" for c in body["conflicts"])
            self._dispose(body["notice"]["id"])
            return answer
        return None

    def _dispose(self, notice_id: str) -> None:
        if self.patient:
            self.kept.append(notice_id)
            return
        while self.day_left():  # as reported: withdrawn at once, which costs a quick withdrawal
            got = self.red("DELETE", f"/v1/notices/{notice_id}")
            if got.status_code == 200:
                self.run.quick += 1
                return
            if not self._wait(got):
                return

    def ask_buffer(self, notice_id: str | None, base: dict[str, Any], h_m: float) -> Any:
        """With a buffer of ``h_m`` on a notice at ``base``: (notice id, does it conflict?)."""
        body = {**base, "buffers": {"h_m": h_m}}
        if self.patient or notice_id is None:
            return None, self.ask(body)
        while self.day_left():
            got = self.red("GET", f"/v1/notices/{notice_id}")
            etag = got.headers["ETag"]
            self.clock.now += PACE
            put = self.client.put(
                f"/v1/notices/{notice_id}",
                json=body,
                headers={"Authorization": f"Bearer {self.tokens['red']}", "If-Match": etag},
            )
            if put.status_code == 429:
                if not self._wait(put):
                    return notice_id, None
                continue
            assert put.status_code == 200, put.text
            self.run.buffer_changes += 1
            return notice_id, any(c["other"]["party"] == "blue" for c in put.json()["conflicts"])
        return notice_id, None

    def track(self, start: tuple[float, float], az: float, gs: float) -> float | None:
        """An aircraft at ``start`` heading ``az`` at ``gs``: metres to blue's edge, if told."""
        self.run.tracks += 1
        uid = f"probe-{self.run.tracks}"
        at = self.clock.now + PACE
        report: dict[str, Any] = {
            "uid": uid, "domain": "air", "lat": start[1], "lon": start[0], "alt_m": 3000.0,
            "gs_mps": gs, "trk_deg": az % 360.0, "vs_mps": 0.0, "time": _z(at),
            "stale_s": 1,
        }  # fmt: skip
        assert self.red("POST", "/v1/tracks", [report]).status_code == 200
        self.red("POST", "/v1/scan")
        got = self.red("GET", "/v1/conflicts?kind=intrusion&status=open").json()["conflicts"]
        mine = [c for c in got if c["mine"].get("track") == uid]
        # stale a second after it was reported: the next track is the next question
        self.clock.now += timedelta(seconds=1)
        if not mine:
            return None
        self.run.intrusions += 1
        return (_at(mine[0]["t_in"]) - at).total_seconds() * gs

    def finish(self) -> None:
        self.clock.now = max(self.clock.now, (self.run.first_probe or T0) + timedelta(minutes=11))
        for n in self.kept:  # the patient attacker's probes, withdrawn when no longer quick
            self.red("DELETE", f"/v1/notices/{n}")
        for who in ("blue", "red"):
            events = self._call(who, "GET", "/v1/events?limit=1000").json()["events"]
            self.run.seen[who] = sum(e["kind"] == "conflict.opened" for e in events)


# -- the attacker's arithmetic ---------------------------------------------------------------

_PLANE = Transformer.from_crs(
    "EPSG:4326", f"+proj=aeqd +lat_0={CENTRE[1]} +lon_0={CENTRE[0]} +datum=WGS84", always_xy=True
)


def _xy(lon: float, lat: float) -> np.ndarray:
    return np.array(_PLANE.transform(lon, lat))


def _lonlat(xy: np.ndarray) -> tuple[float, float]:
    lon, lat = _PLANE.transform(xy[0], xy[1], direction="INVERSE")
    return float(lon), float(lat)


def trilaterate(points: list[tuple[float, float]], ranges: list[float]) -> tuple[float, float]:
    """The point whose geodesic distances to ``points`` best match ``ranges``: Gauss-Newton
    with the residuals on the ellipsoid and the directions from a plane centred on the theatre
    (which only steers the steps, so its distortion does not bias the answer)."""
    p = np.array([_xy(*q) for q in points])
    r = np.array(ranges)
    x = np.zeros(2)
    for _ in range(50):
        here = _lonlat(x)
        d = np.array([metres(q, here) for q in points])
        jac = (x - p) / np.linalg.norm(x - p, axis=1)[:, None]
        step = np.linalg.lstsq(jac, r - d, rcond=None)[0]
        x = x + step
        if np.linalg.norm(step) < 1e-4:
            break
    return _lonlat(x)


def circumcentre(points: list[tuple[float, float]]) -> tuple[float, float]:
    (ax, ay), (bx, by), (cx, cy) = (_xy(*q) for q in points)
    d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
    ux = (ax**2 + ay**2) * (by - cy) + (bx**2 + by**2) * (cy - ay) + (cx**2 + cy**2) * (ay - by)
    uy = (ax**2 + ay**2) * (cx - bx) + (bx**2 + by**2) * (ax - cx) + (cx**2 + cy**2) * (bx - ax)
    return _lonlat(np.array([ux / d, uy / d]))


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def attack(name: str, hidden: tuple[float, float], patient: bool) -> Run:
    run = Run(name)
    a = Attack(run, hidden, patient)
    # 1. the window, from one notice over the whole theatre for two centuries
    got = a.red("POST", "/v1/notices", circle(*CENTRE, 1_000_000.0))
    run.answers += 1
    [seen] = [c for c in got.json()["conflicts"] if c["other"]["party"] == "blue"]
    start, end = _at(seen["window"]["start"]), _at(seen["window"]["end"])
    a._dispose(got.json()["notice"]["id"])
    # red knows blue's start lies in [start, start + 15 min) if the window was rounded, or is it
    rounded = start.minute % 15 == 0 and start.second == 0 and start.microsecond == 0
    width = 15.0 if rounded else 0.0
    run.window_min = (width, width)
    guess = (start + timedelta(minutes=width / 2), end - timedelta(minutes=width / 2))
    run.window_error_min = (
        abs((guess[0] - HIDDEN[0]).total_seconds()) / 60,
        abs((guess[1] - HIDDEN[1]).total_seconds()) / 60,
    )
    # 2. the centre: three distances to the edge, bisected in turn
    lo, hi = [0.0] * 3, [1_000_000.0] * 3
    for _ in range(STEPS):
        for i, ref in enumerate(REFS):
            r = (lo[i] + hi[i]) / 2
            answer = a.ask(circle(*ref, r))
            if answer is None:
                break
            lo[i], hi[i] = (lo[i], r) if answer else (r, hi[i])
        else:
            continue
        break
    estimate = trilaterate(REFS, [(lo[i] + hi[i]) / 2 + RADIUS_M for i in range(3)])
    run.location_m = metres(estimate, hidden)
    run.known_m = max(hi[i] - lo[i] for i in range(3)) / 2
    run.estimate = estimate
    # 3. the distance from the first point: a buffer bisected on one notice just short of it
    base_r = max(lo[0], 1.0)
    base = circle(*REFS[0], base_r)
    notice_id = None
    if not patient and a.day_left():
        made = a.red("POST", "/v1/notices", base)
        if made.status_code == 201:
            run.answers += 1
            notice_id = made.json()["notice"]["id"]
    b_lo, b_hi = 0.0, min(hi[0] - base_r, 100_000.0)
    for _ in range(STEPS):
        notice_id, answer = a.ask_buffer(notice_id, base, (b_lo + b_hi) / 2)
        if answer is None:
            break
        b_lo, b_hi = (b_lo, (b_lo + b_hi) / 2) if answer else ((b_lo + b_hi) / 2, b_hi)
    true_edge = metres(REFS[0], hidden) - RADIUS_M
    run.distance_m = abs(base_r + (b_lo + b_hi) / 2 - true_edge)
    a.finish()
    return run


def by_tracks(a: Attack, estimate: tuple[float, float]) -> float | None:
    """Three aircraft aimed at ``estimate`` from 200 km at 1,000 m/s, swept until told an
    intrusion, then a slow one (4 m/s) from 1 km short of each edge found: the circle through
    the three edges."""
    edges = []
    for az0 in (0.0, 120.0, 240.0):
        start = GEOD.fwd(*estimate, az0, 200_000.0)[:2]
        heading = GEOD.inv(*start, *estimate)[0]
        found = None
        for k in range(60):  # 0, +2, -2, +4, -4 ... degrees
            az = heading + (k + 1) // 2 * 2.0 * (1 if k % 2 else -1)
            metres_to = a.track(start, az, 1_000.0)
            if metres_to is not None:
                found = (az, metres_to)
                break
        if found is None:
            return None
        az, far = found
        near = GEOD.fwd(*start, az, far - 1_000.0)[:2]
        az_near = GEOD.inv(*start, *near)[1] + 180.0
        slow = a.track(near, az_near, 4.0)
        if slow is None:
            return None
        edges.append(GEOD.fwd(*near, az_near, slow)[:2])
    return metres(circumcentre(edges), a.hidden)


def tracks_alone(hidden: tuple[float, float], estimate: tuple[float, float]) -> Run:
    run = Run("tracks alone")
    a = Attack(run, hidden, patient=True)
    run.tracks_location_m = by_tracks(a, estimate)
    a.finish()
    return run


# -- report ----------------------------------------------------------------------------------


def _km(m: float | None) -> str:
    if m is None:
        return "—"
    return f"{m / 1000:,.1f} km" if m >= 1000 else f"{m:,.2f} m"


def _minutes(pair: tuple[float, float] | None, fmt: str) -> str:
    return "—" if pair is None else f"{pair[0]:{fmt}}, {pair[1]:{fmt}} min"


def _told(run: Run, who: str) -> str:
    if who not in run.told or run.first_probe is None:
        return "never"
    return f"{(run.told[who] - run.first_probe).total_seconds():,.1f} s"


def report(runs: list[Run]) -> None:
    table = Table(title="Probing a hidden 5 km circle for a day (line clock)")
    table.add_column("")
    for r in runs:
        table.add_column(r.name, justify="right")
    rows: list[tuple[str, Callable[[Run], str]]] = [
        ("notices declared (answers)", lambda r: f"{r.answers}"),
        ("quick withdrawals", lambda r: f"{r.quick}"),
        ("buffer changes", lambda r: f"{r.buffer_changes}"),
        ("refused (429)", lambda r: f"{r.refused}"),
        ("distances to the edge known to ±", lambda r: _km(r.known_m)),
        ("location error, notices", lambda r: _km(r.location_m)),
        ("distance to the edge from A, error", lambda r: _km(r.distance_m)),
        ("window: start, end known to within", lambda r: _minutes(r.window_min, "g")),
        ("window: the best guess off by", lambda r: _minutes(r.window_error_min, ".1f")),
        ("tracks reported / told an intrusion", lambda r: f"{r.tracks} / {r.intrusions}"),
        ("location error, tracks", lambda r: _km(r.tracks_location_m)),
        ("probing.suspected to blue after", lambda r: _told(r, "blue")),
        ("probing.suspected to the host after", lambda r: _told(r, "host")),
        ("conflicts opened told to blue", lambda r: f"{r.seen.get('blue', 0)}"),
    ]  # fmt: skip
    for label, cell in rows:
        table.add_row(label, *(cell(r) for r in runs))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=13, help="where blue's circle is")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    az, dist = rng.uniform(0.0, 360.0), 300_000.0 * math.sqrt(rng.random())
    hidden = GEOD.fwd(*CENTRE, az, dist)[:2]
    console.print(
        f"blue's circle: {hidden[1]:.4f}N {hidden[0]:.4f}E, 5 km, "
        f"{HIDDEN[0]:%H:%M}Z-{HIDDEN[1]:%H:%M}Z; red starts at {T0:%Y-%m-%d %H:%M}Z"
    )
    reported = attack("as reported", hidden, patient=False)
    patient = attack("keeps its probes", hidden, patient=True)
    alone = tracks_alone(hidden, reported.estimate or CENTRE)
    report([reported, patient, alone])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
