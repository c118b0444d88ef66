"""Tactical detection: our detector against BlueSky's, in one process and one run.

    .venv/bin/python bench/tactical.py                      # both cases
    .venv/bin/python bench/tactical.py --case uniform --n 2000 --skip-numpy   # a quick look

What it measures (docs/benchmarks.md has the figures and the targets):

1. ``uniform``: N = 5,000 tracks uniform over a 500 km box at 52 N 4 E
   (bench/_tactical_workload.py), R = 5 NM, H = 1,000 ft, T = 300 s, all pairs. BlueSky's
   compiled detector (``bluesky.traffic.asas.cstatebased.detect``), its numpy one
   (``StateBased.detect``) and ours (``States.of`` + ``detect``) on the same states; best of
   ``--repeats`` for ours and BlueSky C, the numpy one once. The conflicting pair sets are
   compared: every pair in the symmetric difference is judged under two earth models (BlueSky's
   flat one and WGS84 geodesics) and is within tolerance only when it lies within 1 % of a
   threshold under either model (distance, height, or the end of the look-ahead). A pair that is
   a conflict under one model and clear under the other (the flat and geodesic paths drift apart
   by a few hundred metres over 300 s) is listed apart, and is no fault when ours answers as the
   WGS84 geodesics of the definition do; any other is printed as a disagreement and the script
   exits 1. Then an oracle: ours against WGS84
   geodesics (pyproj) on every pair BlueSky C finds with R widened by 15 %, which must show no
   conflict missed and no false alarm by more than 1 % (``--skip-oracle`` leaves it out).
2. ``world``: N = 100,000 tracks clustered around a few hundred hubs; ours timed (best of
   ``--repeats``), peak memory from a fresh subprocess running only this case (``ru_maxrss``) and
   tracemalloc's peak inside the detector. BlueSky C is run on it only when its time, estimated
   from its measured rate per pair, is under ``--peer-max-s``.

The detector is timed on one core (``sched_setaffinity(0, {0})``, BLAS/OpenMP threads 1).

BlueSky is a benchmark-only peer, never a dependency of the project: the first run makes
``bench/.venv-peer`` (git-ignored) with the same Python and installs ``bluesky-simulator==1.1.1``
there (its wheel ships the compiled ``cstatebased``), then this process appends that venv's
site-packages to ``sys.path`` (after ours, so both sides use our numpy) and imports
``bluesky.traffic.asas``. No ``bs.init()`` is needed: the modules register their settings'
defaults on import, and neither detector reads a setting. The numpy detector runs with
``prefer_compiled = False`` (the settings default without ``bs.init``), because the compiled
``_cgeo.kwikqdrdist_matrix`` that BlueSky's own default.cfg selects returns the same bearing for
(i, j) and (j, i), which makes ``StateBased`` report wrong pairs; the run checks and says so.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType, SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table  # noqa: E402

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _tactical_workload import FT, NM, Tracks, min_separation, uniform, world  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 130)

SEED = 20_260_615
R_M = 5 * NM  # 9,260 m
H_M = 1_000 * FT  # 304.8 m
T_S = 300.0
TOL = 0.01  # "within 1 % of a threshold"
PEER_DIR = BENCH / ".venv-peer"
PEER_SPEC = "bluesky-simulator==1.1.1"
TARGET_RATIO = 10.0  # ours >= 10x BlueSky C, uniform case
TARGET_WORLD_S = 1.0  # ours <= 1 s at N = 100,000 on one core
TARGET_WORLD_MB = 300.0  # peak memory


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
    )


# --------------------------------------------------------------------------------------------
# the peer: BlueSky in its own venv, imported into this process


@dataclass
class Peer:
    version: str
    cstatebased: ModuleType  # bluesky.traffic.asas.cstatebased (compiled)
    statebased_detect: Callable[..., Any]  # StateBased.detect (numpy)
    site: Path
    note: str = ""


def _peer_python() -> Path:
    return PEER_DIR / "bin" / "python"


def _peer_query(code: str) -> str | None:
    py = _peer_python()
    if not py.exists():
        return None
    done = subprocess.run([str(py), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_peer() -> Path:
    """bench/.venv-peer with bluesky-simulator installed (made once); its site-packages."""
    want = PEER_SPEC.split("==")[1]
    ours = f"{sys.version_info.major}.{sys.version_info.minor}"
    check = (
        "import sys, importlib.metadata as m; "
        "print(f'{sys.version_info.major}.{sys.version_info.minor}', "
        "m.version('bluesky-simulator'))"
    )
    got = _peer_query(check)
    if got != f"{ours} {want}":
        log = BENCH / ".venv-peer.install.log"
        with console.status(f"installing {PEER_SPEC} into {PEER_DIR} (once; log {log.name})"):
            with log.open("w") as out:
                if got is None or got.split()[0] != ours:
                    subprocess.run(
                        [sys.executable, "-m", "venv", "--clear", str(PEER_DIR)],
                        stdout=out, stderr=subprocess.STDOUT, check=True,
                    )  # fmt: skip
                subprocess.run(
                    [str(_peer_python()), "-m", "pip", "install", "--disable-pip-version-check",
                     PEER_SPEC],
                    stdout=out, stderr=subprocess.STDOUT, check=True,
                )  # fmt: skip
        if _peer_query(check) != f"{ours} {want}":
            raise RuntimeError(f"{PEER_SPEC} did not install into {PEER_DIR}; see {log}")
    site = _peer_query("import sysconfig; print(sysconfig.get_paths()['platlib'])")
    assert site is not None
    return Path(site)


def import_peer(site: Path) -> Peer:
    """Import BlueSky's two state-based detectors without starting the simulator."""
    if str(site) not in sys.path:
        sys.path.append(str(site))  # after ours: numpy is the project's
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        from bluesky import settings

        settings.set_variable_defaults(prefer_compiled=False)
        from bluesky.tools import geo
        from bluesky.tools.geo import _cgeo
        from bluesky.traffic.asas import cstatebased
        from bluesky.traffic.asas.statebased import StateBased
    import importlib.metadata

    version = importlib.metadata.version("bluesky-simulator")
    if not cstatebased.__file__ or not cstatebased.__file__.endswith(".so"):
        raise RuntimeError(f"cstatebased is not the compiled module: {cstatebased.__file__}")
    assert geo.kwikqdrdist_matrix.__module__ == "bluesky.tools.geo._geo"
    # BlueSky's own default.cfg sets prefer_compiled = True; its compiled matrix gives the same
    # bearing both ways, which StateBased reads as j relative to i for every (i, j).
    a = np.asmatrix([52.0, 52.1])
    b = np.asmatrix([4.0, 4.2])
    qdr, _ = _cgeo.kwikqdrdist_matrix(a, b, a, b)
    note = ""
    if abs(float(qdr[0, 1]) - float(qdr[1, 0])) < 1.0:
        note = (
            f"bluesky {version}: _cgeo.kwikqdrdist_matrix gives qdr[0,1] = {float(qdr[0, 1]):.2f} "
            f"and qdr[1,0] = {float(qdr[1, 0]):.2f} (should differ by 180); StateBased is run with "
            "the Python geo (prefer_compiled=False), as it must be to be right"
        )

    def statebased_detect(own: Any, intruder: Any, rpz: Any, hpz: Any, dtlook: Any) -> Any:
        # a plain function of its arguments: ``self`` is never read
        return StateBased.detect(None, own, intruder, rpz, hpz, dtlook)  # type: ignore[arg-type]

    return Peer(version, cstatebased, statebased_detect, site, note)


def bluesky_traffic(tr: Tracks) -> tuple[SimpleNamespace, Any, Any, Any]:
    """What BlueSky's detectors read from ``bs.traf``: degrees, metres, m/s; per-aircraft
    protected zone radius and half-height (m) and look-ahead (s)."""
    n = len(tr)
    f = np.ascontiguousarray
    traf = SimpleNamespace(
        ntraf=n, id=list(range(n)),
        lat=f(tr.lat, dtype=np.float64), lon=f(tr.lon, dtype=np.float64),
        trk=f(tr.trk_deg, dtype=np.float64), gs=f(tr.gs_mps, dtype=np.float64),
        alt=f(tr.alt_m, dtype=np.float64), vs=f(tr.vs_mps, dtype=np.float64),
    )  # fmt: skip
    return traf, np.full(n, R_M), np.full(n, H_M), np.full(n, T_S)


@dataclass
class PairSet:
    """Conflicting pairs as sorted keys i * n + j (i < j), with per-pair figures when known."""

    keys: np.ndarray
    tcpa: np.ndarray | None = None
    dcpa: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.keys)


def _peer_pairs(result: Any, n: int) -> PairSet:
    """BlueSky reports each conflict twice, (i, j) and (j, i): keep i < j."""
    confpairs, _los, _inconf, _tcpamax, _qdr, _dist, dcpa, tcpa, _tin = result
    if not confpairs:
        return PairSet(np.empty(0, np.int64), np.empty(0), np.empty(0))
    p = np.asarray(confpairs, dtype=np.int64).reshape(-1, 2)
    fwd = p[:, 0] < p[:, 1]
    keys = np.unique(np.concatenate([p[fwd, 0] * n + p[fwd, 1], p[~fwd, 1] * n + p[~fwd, 0]]))
    kf = p[fwd, 0] * n + p[fwd, 1]
    order = np.argsort(kf)
    kf = kf[order]
    pos = np.clip(np.searchsorted(kf, keys), 0, max(len(kf) - 1, 0))
    have = kf[pos] == keys if len(kf) else np.zeros(len(keys), bool)
    tc = np.where(have, np.asarray(tcpa, float)[fwd][order][pos], np.nan)
    dc = np.where(have, np.asarray(dcpa, float)[fwd][order][pos], np.nan)
    return PairSet(keys, tc, dc)


# --------------------------------------------------------------------------------------------
# ours


def ours_detect(tr: Tracks) -> tuple[Any, float, float]:
    """States.of + detect, all pairs; returns the encounters and both stages' wall times."""
    from deconfliction.detect.tactical import States, detect
    from deconfliction.domain import Minima

    minima = Minima.uniform(R_M, H_M)
    t0 = time.perf_counter()
    states = States.of(tr.lat, tr.lon, tr.alt_m, tr.gs_mps, tr.trk_deg, tr.vs_mps)
    t1 = time.perf_counter()
    enc = detect(states, lookahead_s=T_S, minima=minima, all_pairs=True)
    t2 = time.perf_counter()
    return enc, t1 - t0, t2 - t1


def _our_pairs(enc: Any, n: int) -> PairSet:
    i = np.asarray(enc.i, dtype=np.int64)
    j = np.asarray(enc.j, dtype=np.int64)
    keys = i * n + j
    order = np.argsort(keys)
    return PairSet(keys[order], np.asarray(enc.tcpa_s)[order], np.asarray(enc.dcpa_m)[order])


# --------------------------------------------------------------------------------------------
# timing


@dataclass
class Timing:
    name: str
    runs: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=dict)
    pairs: PairSet | None = None
    note: str = ""

    @property
    def best(self) -> float:
        return min(self.runs) if self.runs else float("nan")

    @property
    def median(self) -> float:
        return float(np.median(self.runs)) if self.runs else float("nan")

    def stage_best(self, name: str) -> float:
        v = self.stages.get(name)
        return min(v) if v else float("nan")


def time_ours(tr: Tracks, repeats: int, progress: Progress, label: str) -> Timing:
    tm = Timing(label)
    task = progress.add_task(label, total=repeats + 1, last="warm-up")
    enc, _, _ = ours_detect(tr)  # warm-up: imports, first-touch allocations
    progress.update(task, advance=1)
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        enc, t_of, t_det = ours_detect(tr)
        tm.runs.append(time.perf_counter() - t0)
        tm.stages.setdefault("States.of", []).append(t_of)
        tm.stages.setdefault("detect", []).append(t_det)
        progress.update(task, advance=1, last=f"{tm.runs[-1] * 1e3:,.1f} ms")
    tm.pairs = _our_pairs(enc, len(tr))
    return tm


def time_peer(
    fn: Callable[..., Any], tr: Tracks, repeats: int, progress: Progress, label: str
) -> Timing:
    traf, rpz, hpz, dtl = bluesky_traffic(tr)
    tm = Timing(label)
    task = progress.add_task(label, total=repeats, last="")
    result = None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn(traf, traf, rpz, hpz, dtl)
        tm.runs.append(time.perf_counter() - t0)
        progress.update(task, advance=1, last=f"{tm.runs[-1] * 1e3:,.1f} ms")
        gc.collect()
    tm.pairs = _peer_pairs(result, len(tr))
    return tm


# --------------------------------------------------------------------------------------------
# judging the pairs the two sides disagree on


@dataclass
class Verdict:
    i: int
    j: int
    found_by: str
    m: dict[str, tuple[float, float, float]]  # model -> min separation over 0.99T, T, 1.01T
    tau: dict[str, float]  # model -> where the minimum over [0, T] is
    state: dict[str, str]  # model -> conflict / clear / near
    ok: bool
    why: str
    model_diff: bool = False
    """The two earth models differ by more than 1 % and ours follows WGS84 geodesics."""


def judge(tr: Tracks, keys: np.ndarray, found_by: str, missing_from: str) -> list[Verdict]:
    """Classify each pair under both models: ``conflict`` when the minimum of
    max(d_h/R, d_v/H) over [0, 0.99 T] is below 0.99, ``clear`` when over [0, 1.01 T] it is
    above 1.01, ``near`` otherwise. Near under either model: within tolerance. Conflict under one
    model and clear under the other: the models differ by more than 1 %; that is no fault of ours
    when ours answers as WGS84 geodesics do (the definition's earth), and it is listed apart."""
    n = len(tr)
    if len(keys) == 0:
        return []
    i, j = keys // n, keys % n
    ms: dict[str, list[np.ndarray]] = {}
    taus: dict[str, np.ndarray] = {}
    for model in ("flat", "wgs84"):
        lo, tau_lo = min_separation(model, tr, i, j, (1 - TOL) * T_S, R_M, H_M)
        mid, tau_mid = min_separation(model, tr, i, j, T_S, R_M, H_M)
        hi, _ = min_separation(model, tr, i, j, (1 + TOL) * T_S, R_M, H_M)
        ms[model] = [lo, mid, hi]
        taus[model] = tau_mid
    out: list[Verdict] = []
    for k in range(len(keys)):
        m = {mod: (float(v[0][k]), float(v[1][k]), float(v[2][k])) for mod, v in ms.items()}
        state = {
            mod: "conflict" if lo < 1 - TOL else "clear" if hi > 1 + TOL else "near"
            for mod, (lo, _, hi) in m.items()
        }
        states = set(state.values())
        if "near" in states:
            ok, why = True, "within 1 % of a threshold"
        elif states == {"conflict"}:
            ok, why = False, f"MISSED by {missing_from}: a conflict under both models"
        elif states == {"clear"}:
            ok, why = False, f"FALSE ALARM by {found_by}: clear under both models"
        else:
            agrees = {
                found_by: next(mo for mo, st in state.items() if st == "conflict"),
                missing_from: next(mo for mo, st in state.items() if st == "clear"),
            }
            why = "models differ by more than 1 %: " + ", ".join(
                f"{side} as {mod}" for side, mod in agrees.items()
            )
            ok = agrees.get("ours") == "wgs84"
            if not ok:
                why = "WRONG: " + why
            tau = {mod: float(t[k]) for mod, t in taus.items()}
            out.append(Verdict(int(i[k]), int(j[k]), found_by, m, tau, state, ok, why, ok))
            continue
        tau = {mod: float(t[k]) for mod, t in taus.items()}
        out.append(Verdict(int(i[k]), int(j[k]), found_by, m, tau, state, ok, why))
    return out


def compare(
    tr: Tracks, ours: PairSet, peer: PairSet, peer_name: str
) -> tuple[list[str], list[Verdict]]:
    only_ours = np.setdiff1d(ours.keys, peer.keys, assume_unique=True)
    only_peer = np.setdiff1d(peer.keys, ours.keys, assume_unique=True)
    both = len(ours) - len(only_ours)
    with console.status(f"judging {len(only_ours) + len(only_peer)} pairs under both earth models"):
        verdicts = judge(tr, only_ours, "ours", peer_name) + judge(tr, only_peer, peer_name, "ours")
    bad = [v for v in verdicts if not v.ok]
    models = [v for v in verdicts if v.model_diff]
    lines = [
        f"pair sets: ours {len(ours):,}, {peer_name} {len(peer):,}, both {both:,}; "
        f"only ours {len(only_ours)}, only {peer_name} {len(only_peer)}; "
        f"{len(verdicts) - len(bad) - len(models)} of them within 1 % of a threshold under "
        f"either earth model, {len(models)} where the flat and WGS84 models differ by more than "
        f"1 % and ours answers as WGS84 geodesics do, {len(bad)} wrong"
    ]
    for v in models:
        lines.append(
            f"  earth model: ({v.i}, {v.j}) found by {v.found_by}; min separation over [0, T] "
            f"{v.m['flat'][1]:.4f} flat, {v.m['wgs84'][1]:.4f} wgs84"
        )
    if bad:
        # how far from the threshold the nearer model puts each pair outside tolerance
        margin = [min(abs(m[1] - 1.0) for m in v.m.values()) for v in bad]
        w = bad[int(np.argmax(margin))]
        lines.append(
            f"the {len(bad)} outside are within {100 * max(margin):.2f} % of a threshold under the "
            f"nearer model (worst: ({w.i}, {w.j}), min separation over [0, T] "
            f"{w.m['flat'][1]:.4f} flat, {w.m['wgs84'][1]:.4f} wgs84)"
        )
    # the per-pair figures where both found the pair: ours clips tcpa to [0, T], BlueSky does
    # not, so only pairs whose BlueSky tcpa lies in [0, T] are compared
    common, io_, ip = np.intersect1d(ours.keys, peer.keys, assume_unique=True, return_indices=True)
    if len(common) and ours.dcpa is not None and peer.dcpa is not None and peer.tcpa is not None:
        inside = (peer.tcpa[ip] >= 0) & (peer.tcpa[ip] <= T_S)
        dd = np.abs(ours.dcpa[io_] - peer.dcpa[ip])[inside]
        dt = np.abs(ours.tcpa[io_] - peer.tcpa[ip])[inside] if ours.tcpa is not None else dd
        if len(dd):
            lines.append(
                f"on the {len(dd):,} of {len(common):,} common pairs whose {peer_name} tcpa is in "
                f"[0, T]: |dcpa ours - {peer_name}| median {np.median(dd):.1f} m, p99 "
                f"{np.percentile(dd, 99):.1f} m, max {dd.max():.1f} m; |tcpa| difference median "
                f"{np.median(dt):.2f} s, p99 {np.percentile(dt, 99):.2f} s, max {dt.max():.2f} s"
            )
    return lines, verdicts


WIDEN = 1.15  # BlueSky's R widened this much gives a superset of the geodesic conflicts


def oracle(tr: Tracks, ours: PairSet, peer: Peer) -> tuple[list[str], int]:
    """Ours against the WGS84-geodesic reference on every pair that could matter.

    Candidates: BlueSky C run again with R widened by 15 % (the flat and geodesic models differ
    by a few per cent of R over 300 s, so this holds every geodesic conflict). Missed: a
    candidate ours did not report whose minimum separation over [0, 0.99 T] is below 0.99.
    False alarm: a pair ours reported whose minimum over [0, 1.01 T] is above 1.01."""
    n = len(tr)
    traf, rpz, hpz, dtl = bluesky_traffic(tr)
    wide = _peer_pairs(peer.cstatebased.detect(traf, traf, rpz * WIDEN, hpz, dtl), n).keys
    outside = np.setdiff1d(ours.keys, wide, assume_unique=True)
    unreported = np.setdiff1d(wide, ours.keys, assume_unique=True)
    with console.status(
        f"oracle: {len(unreported):,} + {len(ours):,} pairs along WGS84 geodesics (pyproj)"
    ):
        lo, _ = min_separation("wgs84", tr, unreported // n, unreported % n,
                               (1 - TOL) * T_S, R_M, H_M)  # fmt: skip
        hi, _ = min_separation("wgs84", tr, ours.keys // n, ours.keys % n,
                               (1 + TOL) * T_S, R_M, H_M)  # fmt: skip
    missed = unreported[lo < 1 - TOL]
    false = ours.keys[hi > 1 + TOL]
    near_miss = int(((lo < 1) & (lo >= 1 - TOL)).sum())
    lines = [
        f"oracle (WGS84 geodesics, pyproj): {len(wide):,} candidates from BlueSky C at "
        f"{WIDEN:.2f} R; ours reported {len(outside)} pair(s) outside them; of the "
        f"{len(unreported):,} candidates ours did not report, {len(missed)} are conflicts by more "
        f"than 1 % ({near_miss} within 1 %); of ours' {len(ours):,} pairs, {len(false)} are "
        f"clear by more than 1 % (the largest of their minimum separations over [0, 1.01 T]: "
        f"{float(hi.max(initial=0)):.4f})"
    ]
    for k in missed:
        lines.append(f"  MISSED by ours: ({k // n}, {k % n})")
    for k in false:
        lines.append(f"  FALSE ALARM by ours: ({k // n}, {k % n})")
    return lines, len(missed) + len(false) + len(outside)


def _verdict_table(verdicts: Sequence[Verdict], title: str) -> Table:
    t = Table(title=title)
    for col in ("i", "j", "found by", "flat m(.99T) m(T) m(1.01T)", "tau*", "wgs84 m(.99T) m(T) "
                "m(1.01T)", "tau*", "verdict"):  # fmt: skip
        t.add_column(col, justify="left" if col in ("found by", "verdict") else "right")
    for v in verdicts:
        t.add_row(
            str(v.i), str(v.j), v.found_by,
            " ".join(f"{x:.4f}" for x in v.m["flat"]), f"{v.tau['flat']:.1f}",
            " ".join(f"{x:.4f}" for x in v.m["wgs84"]), f"{v.tau['wgs84']:.1f}",
            v.why if not v.ok else "ok: " + ", ".join(f"{k} {s}" for k, s in v.state.items()),
            style=None if v.ok else "bold red",
        )  # fmt: skip
    return t


# --------------------------------------------------------------------------------------------
# memory: a fresh process that runs only the world case


def child_world(n: int, seed: int) -> int:
    """Run by the parent as a subprocess: one detection at N, then its memory as JSON."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {0})
    tr = world(np.random.default_rng(seed), n)
    import deconfliction.detect.tactical  # noqa: F401
    import deconfliction.domain  # noqa: F401

    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    enc, _, _ = ours_detect(tr)
    wall = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    count = len(enc)
    del enc
    gc.collect()
    tracemalloc.start()
    ours_detect(tr)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    hwm = float("nan")
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    print(json.dumps({
        "rss_before_mb": rss_before, "rss_peak_mb": rss_after, "vmhwm_mb": hwm,
        "tracemalloc_peak_mb": peak / 2**20, "wall_s": wall, "pairs": count,
    }))  # fmt: skip
    return 0


def measure_memory(n: int, seed: int) -> dict[str, float]:
    """Run :func:`child_world` in a fresh process and read what it measured.

    Linux carries the peak RSS over fork and exec (the child's ``ru_maxrss`` starts at the
    parent's peak at the fork), so the child is started through ``sh`` that forks it in turn:
    its ``ru_maxrss`` then counts only itself. It also reports ``VmHWM`` as a cross-check."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--child-world",
            "--world-n", str(n), "--seed", str(seed)]  # fmt: skip
    script = " ".join(shlex.quote(a) for a in argv) + "; exit $?"  # no exec: sh forks python
    with console.status(f"memory: a fresh process runs only the world case (N = {n:,})"):
        done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the memory subprocess failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------------------------
# report


def _machine(peer: Peer | None) -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024**2:.0f} GiB"
    try:
        cores = f"{len(os.sched_getaffinity(0))} usable of {os.cpu_count()}"
    except AttributeError:
        cores = str(os.cpu_count())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCH, capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    watched = ["src/deconfliction/detect", "src/deconfliction/domain"]
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *watched], cwd=BENCH.parent,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    load = ""
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return [
        ("cpu", f"{cpu}, {cores} cores; load average {load} at the start"),
        ("memory", mem),
        ("python / numpy", f"{platform.python_version()} / {np.__version__}"),
        ("peer", f"bluesky-simulator {peer.version} ({peer.site})" if peer else "-"),
        ("commit", commit + (" (with uncommitted changes in detect/ or domain/)" if dirty else "")),
        ("threads", ", ".join(f"{v}={os.environ.get(v)}" for v in ("OMP_NUM_THREADS",
                                                                    "OPENBLAS_NUM_THREADS"))),
    ]  # fmt: skip


def _ms(s: float) -> str:
    return "-" if s != s else f"{s * 1e3:,.1f}"


def _profile(tr: Tracks, top: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    ours_detect(tr)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


@dataclass
class Row:
    case: str
    name: str
    n: int
    pairs: str
    best_ms: str
    median_ms: str
    ratio: str = ""
    target: str = ""
    met: str = ""


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", choices=("uniform", "world", "all"), default="all")
    ap.add_argument("--n", type=int, default=5_000, help="tracks in the uniform case")
    ap.add_argument("--world-n", type=int, default=100_000, help="tracks in the world case")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--repeats", type=int, default=7, help="timed runs of ours and BlueSky C")
    ap.add_argument("--numpy-repeats", type=int, default=1)
    ap.add_argument("--skip-numpy", action="store_true", help="do not run BlueSky's numpy one")
    ap.add_argument("--skip-oracle", action="store_true",
                    help="do not check ours against the WGS84-geodesic reference")  # fmt: skip
    ap.add_argument("--peer-max-s", type=float, default=60.0,
                    help="run BlueSky C on the world case when estimated under this")  # fmt: skip
    ap.add_argument("--profile", action="store_true", help="cProfile one run of ours per case")
    ap.add_argument("--child-world", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_world:
        return child_world(args.world_n, args.seed)

    console.rule("Tactical detection: ours against BlueSky")
    site = ensure_peer()
    peer = import_peer(site)
    info = Table(show_header=False, box=None)
    for k, v in _machine(peer):
        info.add_row(k, v)
    console.print(info)
    if peer.note:
        console.print(f"[yellow]note: {peer.note}[/yellow]")
    console.print(
        f"R = {R_M:,.1f} m (5 NM), H = {H_M} m (1,000 ft), T = {T_S:.0f} s, all pairs; "
        f"seed {args.seed}; ours = States.of + detect; times are wall, one core"
    )
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {0})

    rows: list[Row] = []
    failures: list[str] = []

    # ---- case 1: uniform ----------------------------------------------------------------
    if args.case in ("uniform", "all"):
        n = args.n
        tr = uniform(np.random.default_rng(args.seed), n)
        console.rule(f"1. uniform: N = {n:,} in a 500 km box at 52 N 4 E")
        with _progress() as progress:
            ours = time_ours(tr, args.repeats, progress, "ours: States.of + detect")
            c = time_peer(peer.cstatebased.detect, tr, args.repeats, progress,
                          "BlueSky C: cstatebased.detect")  # fmt: skip
            npy = None
            if not args.skip_numpy:
                npy = time_peer(peer.statebased_detect, tr, args.numpy_repeats, progress,
                                "BlueSky numpy: StateBased.detect")  # fmt: skip
        assert ours.pairs is not None and c.pairs is not None
        ratio = c.best / ours.best
        rows.append(Row("uniform", "ours", n, f"{len(ours.pairs):,}", _ms(ours.best),
                        _ms(ours.median), f"{ratio:.1f}x", f">= {TARGET_RATIO:.0f}x C",
                        "yes" if ratio >= TARGET_RATIO else "NO"))  # fmt: skip
        rows.append(Row("uniform", "  States.of", n, "", _ms(ours.stage_best("States.of")), ""))
        rows.append(Row("uniform", "  detect", n, "", _ms(ours.stage_best("detect")), ""))
        rows.append(Row("uniform", "BlueSky C", n, f"{len(c.pairs):,}", _ms(c.best),
                        _ms(c.median), "1.0x"))  # fmt: skip
        if npy is not None:
            assert npy.pairs is not None
            rows.append(Row("uniform", "BlueSky numpy", n, f"{len(npy.pairs):,}", _ms(npy.best),
                            _ms(npy.median), f"{c.best / npy.best:.2f}x"))  # fmt: skip
            same = np.array_equal(npy.pairs.keys, c.pairs.keys)
            console.print(
                f"BlueSky numpy and C: {'the same' if same else 'DIFFERENT'} pair sets "
                f"({len(npy.pairs):,} and {len(c.pairs):,})",
                style=None if same else "bold red",
            )
        lines, verdicts = compare(tr, ours.pairs, c.pairs, "BlueSky")
        for line in lines:
            console.print(line)
        if verdicts:
            console.print(_verdict_table(verdicts, "pairs found by one side only"))
        bad = [v for v in verdicts if not v.ok]
        if bad:
            failures.append(f"uniform: {len(bad)} pair(s) outside tolerance")
            console.print(
                f"[bold red]DISAGREEMENT: {len(bad)} pair(s) where ours is wrong under WGS84 "
                "geodesics by more than 1 % of a threshold[/bold red]"
            )
            for v in bad:
                console.print(f"[bold red]  ({v.i}, {v.j}): {v.why}[/bold red]")
        if not args.skip_oracle:
            lines, wrong = oracle(tr, ours.pairs, peer)
            for line in lines:
                console.print(line, style="bold red" if "by ours:" in line else None)
            if wrong:
                failures.append(f"uniform: {wrong} pair(s) wrong against the WGS84 oracle")
        if args.profile:
            console.rule(f"profile: ours, uniform N = {n:,}")
            sys.stdout.write(_profile(tr, 25))
            sys.stdout.flush()

    # ---- case 2: world --------------------------------------------------------------------
    if args.case in ("world", "all"):
        n = args.world_n
        tr = world(np.random.default_rng(args.seed), n)
        console.rule(f"2. world: N = {n:,} around hubs")
        console.print(
            f"{int((tr.kind == 0).sum()):,} near hubs (climbing/descending), "
            f"{int((tr.kind == 1).sum()):,} en route; {int((np.abs(tr.lon) > 170).sum()):,} "
            f"within 10 degrees of the antimeridian, {int((tr.lat > 66.5).sum()):,} above 66.5 N"
        )
        with _progress() as progress:
            ours = time_ours(tr, args.repeats, progress, "ours: States.of + detect")
        assert ours.pairs is not None
        ours_row = Row("world", "ours", n, f"{len(ours.pairs):,}", _ms(ours.best),
                       _ms(ours.median), "", f"<= {TARGET_WORLD_S * 1e3:,.0f} ms",
                       "yes" if ours.best <= TARGET_WORLD_S else "NO")  # fmt: skip
        rows.append(ours_row)
        rows.append(Row("world", "  States.of", n, "", _ms(ours.stage_best("States.of")), ""))
        rows.append(Row("world", "  detect", n, "", _ms(ours.stage_best("detect")), ""))
        per = len(ours.pairs) / n
        console.print(f"ours: {len(ours.pairs):,} encounters ({2 * per:.2f} per track)")
        mem = measure_memory(n, args.seed)
        mem_ok = mem["rss_peak_mb"] <= TARGET_WORLD_MB
        rows.append(Row("world", "ours, peak RSS (MB)", n, f"{int(mem['pairs']):,}",
                        f"{mem['rss_peak_mb']:,.0f}", "", "",
                        f"<= {TARGET_WORLD_MB:.0f} MB", "yes" if mem_ok else "NO"))  # fmt: skip
        rows.append(Row("world", "ours, tracemalloc peak (MB)", n, "",
                        f"{mem['tracemalloc_peak_mb']:,.0f}", ""))  # fmt: skip
        console.print(
            f"memory (fresh process, world case only): peak RSS {mem['rss_peak_mb']:,.1f} MB "
            f"(ru_maxrss; VmHWM at exit {mem['vmhwm_mb']:,.1f} MB) "
            f"(of which {mem['rss_before_mb']:,.1f} MB before detection: interpreter, numpy, "
            f"the package, the workload); tracemalloc peak inside States.of + detect "
            f"{mem['tracemalloc_peak_mb']:,.1f} MB; that run took {mem['wall_s'] * 1e3:,.0f} ms"
        )
        # BlueSky C's time per ordered pair on these tracks (the vertical test comes first, so
        # the rate depends on the traffic): from a sample of them
        m = min(n, 5_000)
        with _progress() as progress:
            c0 = time_peer(peer.cstatebased.detect, tr.head(m), 2, progress,
                           f"BlueSky C on {m:,} of them (its rate)")  # fmt: skip
        peer_rate = c0.best / (m * (m - 1))
        estimate = peer_rate * n * (n - 1)
        if estimate <= args.peer_max_s:
            with _progress() as progress:
                c = time_peer(peer.cstatebased.detect, tr, 1, progress, "BlueSky C")
            assert c.pairs is not None
            rows.append(Row("world", "BlueSky C", n, f"{len(c.pairs):,}", _ms(c.best), "",
                            "1.0x"))  # fmt: skip
            ours_row.ratio = f"{c.best / ours.best:.1f}x"
            lines, verdicts = compare(tr, ours.pairs, c.pairs, "BlueSky")
            for line in lines:
                console.print(line)
            console.print(
                "(informational: BlueSky C does not wrap longitude differences, so it misses "
                "pairs across the antimeridian; its flat earth drifts at high latitude)"
            )
            if verdicts:
                console.print(_verdict_table(verdicts[:200], "world: pairs found by one side only"
                                             " (first 200)"))  # fmt: skip
        else:
            reason = (
                f"skipped: {n:,} x {n - 1:,} = {n * (n - 1):.2e} ordered pairs at BlueSky C's "
                f"{peer_rate * 1e9:.1f} ns per pair (measured on {m:,} of these tracks) is about "
                f"{estimate:,.0f} s "
                f"(over --peer-max-s {args.peer_max_s:.0f} s)"
            )
            rows.append(Row("world", "BlueSky C (estimate)", n, "-", f"~{estimate * 1e3:,.0f}",
                            "", "1.0x"))  # fmt: skip
            ours_row.ratio = f"~{estimate / ours.best:,.0f}x"
            console.print(f"BlueSky C {reason}")
        if args.profile or ours.best > TARGET_WORLD_S:
            console.rule(f"profile: ours, world N = {n:,}")
            sys.stdout.write(_profile(tr, 25))
            sys.stdout.flush()

    # ---- figures ----------------------------------------------------------------------------
    console.rule("Figures")
    table = Table(title="Tactical detection, one core (best and median of the timed runs)")
    for col in ("case", "", "N", "pairs", "best ms", "median ms", "C time / this", "target",
                "met"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("case", "", "target", "met") else "right")
    for r in rows:
        table.add_row(r.case, r.name, f"{r.n:,}", r.pairs, r.best_ms, r.median_ms, r.ratio,
                      r.target, r.met)  # fmt: skip
    console.print(table)
    if failures:
        console.print("[bold red]FAILED: " + "; ".join(failures) + "[/bold red]")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
