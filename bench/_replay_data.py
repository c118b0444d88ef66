"""Write traffic's ``quickstart`` sample to an .npz for bench/replay.py (plain numpy arrays).

Run with bench/.venv-traffic's python (bench/_replay_sample.py does it), never the project's:

    bench/.venv-traffic/bin/python bench/_replay_data.py OUT.npz

``from traffic.data.samples import quickstart`` is the way in; when the package will not import
(traffic 2.13 imports ``pandas.core.internals.blocks.DatetimeTZBlock``, gone in pandas 3), the
same file shipped in the wheel (``traffic/data/samples/collections/quickstart.json.gz``) is read
with pandas directly, as traffic itself reads it. The .npz says which way was taken.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SAMPLE = "data/samples/collections/quickstart.json.gz"


def _wheel_file() -> Path:
    spec = importlib.util.find_spec("traffic")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("traffic is not installed in this interpreter")
    return Path(next(iter(spec.submodule_search_locations))) / SAMPLE


def _load() -> tuple[pd.DataFrame, str]:
    try:
        from traffic.data.samples import quickstart

        return quickstart.data, "traffic.data.samples.quickstart"
    except ImportError as e:  # a pandas traffic does not support: read its file as it would
        df = pd.read_json(_wheel_file(), dtype={"icao24": str})
        return df, f"{SAMPLE} read with pandas.read_json (traffic did not import: {e})"


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return df[name].astype("float64").to_numpy(na_value=np.nan)


def main(out: Path) -> None:
    df, how = _load()
    ts = pd.to_datetime(df["timestamp"], utc=True)
    df = df.assign(timestamp=ts).sort_values(["timestamp", "icao24"], kind="stable")
    ts = df["timestamp"]
    callsign = df["callsign"].astype("string").fillna("").str.strip()
    arrays = {
        "t_ns": ts.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype("int64"),
        "icao24": df["icao24"].astype("string").str.lower().to_numpy(dtype="U6"),
        "callsign": callsign.to_numpy(dtype="U8"),
        "lat": _column(df, "latitude"),
        "lon": _column(df, "longitude"),
        "altitude_ft": _column(df, "altitude"),
        "geoaltitude_ft": _column(df, "geoaltitude"),
        "groundspeed_kt": _column(df, "groundspeed"),
        "track_deg": _column(df, "track"),
        "vertical_rate_fpm": _column(df, "vertical_rate"),
        "onground": df["onground"].fillna(False).astype(bool).to_numpy()
        if "onground" in df.columns
        else np.zeros(len(df), bool),
    }
    wheel = _wheel_file()
    meta = {
        "source": how,
        "traffic": importlib.metadata.version("traffic"),
        "pandas": pd.__version__,
        "file": str(wheel.relative_to(wheel.parents[3])),
        "file_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "columns": [str(c) for c in df.columns],
        "has_geoaltitude": "geoaltitude" in df.columns,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(out)
    print(json.dumps(meta))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
