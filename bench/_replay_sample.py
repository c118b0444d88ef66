"""The real traffic bench/replay.py feeds the line: traffic's ``quickstart`` sample, made once.

``traffic`` (Xavier Olive) is a benchmark-only peer, never a dependency of the project: the first
run makes ``bench/.venv-traffic`` (git-ignored) with the same Python, installs ``traffic==2.13``
with ``pandas<3`` there (traffic 2.13 imports ``DatetimeTZBlock`` from pandas' internals, which
pandas 3 removed, and does not cap pandas), and runs bench/_replay_data.py with that venv's
python to write ``bench/.cache/quickstart.npz`` (git-ignored). This module then reads the .npz
with numpy alone, in the project's venv.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console

__all__ = ["CACHE", "FT", "KT", "Sample", "ensure_sample", "load"]

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-traffic"
CACHE = BENCH / ".cache" / "quickstart.npz"
SPECS = ("traffic==2.13", "pandas<3")
FT = 0.3048  # m
KT = 1852.0 / 3600.0  # m/s
FPM = FT / 60.0  # m/s
_AIRLINE = re.compile(r"^([A-Z]{3})[0-9]")


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _versions() -> str | None:
    py = _venv_python()
    if not py.exists():
        return None
    code = (
        "import sys, importlib.metadata as m; "
        "print(f'{sys.version_info.major}.{sys.version_info.minor}', m.version('traffic'))"
    )
    done = subprocess.run([str(py), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_sample(console: Console, refresh: bool = False) -> Path:
    """``bench/.cache/quickstart.npz``, made through bench/.venv-traffic when missing."""
    if CACHE.exists() and not refresh:
        return CACHE
    ours = f"{sys.version_info.major}.{sys.version_info.minor}"
    want = f"{ours} {SPECS[0].split('==')[1]}"
    log = BENCH / ".venv-traffic.install.log"
    if _versions() != want:
        with console.status(f"installing {' '.join(SPECS)} into {VENV} (once; log {log.name})"):
            with log.open("w") as out:
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)],
                               stdout=out, stderr=subprocess.STDOUT, check=True)  # fmt: skip
                subprocess.run([str(_venv_python()), "-m", "pip", "install",
                                "--disable-pip-version-check", *SPECS],
                               stdout=out, stderr=subprocess.STDOUT, check=True)  # fmt: skip
        if _versions() != want:
            raise RuntimeError(f"{SPECS[0]} did not install into {VENV}; see {log}")
    with console.status("extracting the quickstart sample with traffic"):
        done = subprocess.run(
            [str(_venv_python()), str(BENCH / "_replay_data.py"), str(CACHE)],
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(f"bench/_replay_data.py failed:\n{done.stderr[-3000:]}")
    return CACHE


@dataclass(frozen=True)
class Sample:
    """Usable reports in time order (SI units), and what was left out."""

    meta: dict[str, object]
    rows_all: int  # in the sample
    rows: int  # in the part replayed
    skipped: int  # rows with a missing value
    alt_source: str
    t_s: np.ndarray  # Unix seconds
    icao24: np.ndarray
    callsign: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    alt_m: np.ndarray
    gs_mps: np.ndarray
    trk_deg: np.ndarray
    vs_mps: np.ndarray
    onground: np.ndarray
    aircraft_all: int
    span_all_s: tuple[float, float]

    def __len__(self) -> int:
        return len(self.t_s)

    def party_of(self, per: str) -> np.ndarray:
        """A party slug per report: the airline (ICAO prefix of an airline-style callsign such
        as AFR1234 -> ``afr``, anything else -> ``other``), or one party per aircraft."""
        if per == "aircraft":
            return np.char.add("a-", self.icao24.astype("U6"))
        slugs = {c: (m.group(1).lower() if (m := _AIRLINE.match(c)) else "other")
                 for c in np.unique(self.callsign).tolist()}  # fmt: skip
        return np.array([slugs[c] for c in self.callsign.tolist()])

    def where(self, uid: str, t_s: float, strict: bool = False) -> int | None:
        """Index of the newest report of ``uid`` at or before ``t_s`` (else its first, unless
        ``strict``)."""
        idx = np.flatnonzero(self.icao24 == uid)
        k = int(np.searchsorted(self.t_s[idx], t_s, side="right")) - 1
        if not len(idx) or (strict and k < 0):
            return None
        return int(idx[max(k, 0)])


def load(path: Path, minutes: float | None = None) -> Sample:
    z = np.load(path, allow_pickle=False)
    meta = json.loads(str(z["meta"]))
    t_s = z["t_ns"].astype(np.float64) / 1e9
    geo = z["geoaltitude_ft"]
    alt_ft = np.where(np.isfinite(geo), geo, z["altitude_ft"])
    alt_source = (
        "geoaltitude (GNSS), barometric altitude where it is missing"
        if np.isfinite(geo).any()
        else "altitude (barometric; the sample has no geoaltitude)"
    )
    cols = [z["lat"], z["lon"], alt_ft, z["groundspeed_kt"], z["track_deg"],
            z["vertical_rate_fpm"]]  # fmt: skip
    ok = np.logical_and.reduce([np.isfinite(c) for c in cols])
    span_all = (float(t_s.min()), float(t_s.max()))
    aircraft_all = len(np.unique(z["icao24"]))
    if minutes is not None:
        inside = t_s <= span_all[0] + minutes * 60.0
        rows = int(inside.sum())
        ok &= inside
    else:
        rows = len(t_s)
    order = np.flatnonzero(ok)[np.argsort(t_s[ok], kind="stable")]
    return Sample(
        meta=meta,
        rows_all=len(t_s),
        rows=rows,
        skipped=rows - len(order),
        alt_source=alt_source,
        t_s=t_s[order],
        icao24=z["icao24"][order],
        callsign=z["callsign"][order],
        lat=z["lat"][order],
        lon=z["lon"][order],
        alt_m=alt_ft[order] * FT,
        gs_mps=z["groundspeed_kt"][order] * KT,
        trk_deg=z["track_deg"][order],
        vs_mps=z["vertical_rate_fpm"][order] * FPM,
        onground=z["onground"][order],
        aircraft_all=aircraft_all,
        span_all_s=span_all,
    )
