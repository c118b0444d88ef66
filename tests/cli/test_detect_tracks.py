"""``deconfliction detect tracks``: what a coordinator sees on stdout, stderr and the exit code."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Geod
from typer.testing import CliRunner

from deconfliction.cli.detect import read_tracks, tracks_json
from deconfliction.cli.main import app
from deconfliction.detect.tactical import Encounters

runner = CliRunner()
GEOD = Geod(ellps="WGS84")
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tracks.csv"
HEADER = "id,party,lat,lon,alt_m,gs_mps,trk_deg,vs_mps"
R = 9260.0


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "tracks.csv"
    path.write_text(text)
    return invoke(path, *args)


def invoke(path: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["detect", "tracks", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def conflicts(out: str) -> list[dict[str, Any]]:
    doc = json.loads(out)
    assert list(doc) == ["conflicts"]
    found: list[dict[str, Any]] = doc["conflicts"]
    return found


def pairs(out: str) -> list[tuple[str, str]]:
    return [(c["a"], c["b"]) for c in conflicts(out)]


def equator(*rows: tuple[str, str, float, float, float, float]) -> str:
    """CSV of tracks on the equator: (id, party, lon, alt_m, gs_mps, trk_deg)."""
    lines = [HEADER] + [f"{i},{p},0,{lon},{alt},{gs},{trk},0" for i, p, lon, alt, gs, trk in rows]
    return "\n".join(lines) + "\n"


def east(m: float) -> float:
    return math.degrees(m / 6_378_137.0)


def test_the_example_has_a_head_on_and_a_crossing() -> None:
    code, out, err = invoke(EXAMPLE)
    assert code == 0 and err == ""
    found = conflicts(out)
    assert [(c["a"], c["b"]) for c in found] == [("blue-1", "red-1"), ("blue-2", "green-1")]
    head_on = found[0]
    _, _, gap = GEOD.inv(4.0, 52.0, 4.6, 52.0)  # closing at 400 m/s, meeting in the middle
    assert head_on["t_in_s"] == pytest.approx((gap - R) / 400, abs=0.1)
    assert head_on["tcpa_s"] == pytest.approx(gap / 400, abs=0.1)
    assert head_on["t_out_s"] == pytest.approx((gap + R) / 400, abs=0.1)
    assert head_on["dcpa_m"] == 0.0
    crossing = found[1]
    assert 0 < crossing["t_in_s"] < crossing["tcpa_s"] < crossing["t_out_s"] < 300
    assert 0 < crossing["dcpa_m"] < R
    for c in found:  # rounded to tenths
        for key in ("t_in_s", "t_out_s", "tcpa_s", "dcpa_m"):
            assert round(c[key], 1) == c[key]


def test_all_pairs_adds_the_same_party_and_never_separating_is_null() -> None:
    code, out, _ = invoke(EXAMPLE, "--all-pairs")
    assert code == 0
    found = conflicts(out)
    assert [(c["a"], c["b"]) for c in found][-1] == ("blue-3", "blue-4")
    formation = found[-1]  # in trail on one meridian at one speed, 1.1 km apart
    assert formation["t_in_s"] == 0.0 and formation["t_out_s"] is None
    assert formation["dcpa_m"] == pytest.approx(1112.5, abs=1.0)


def test_any_column_order_and_extra_columns(tmp_path: Path) -> None:
    text = (
        "callsign,vs_mps,trk_deg,gs_mps,alt_m,lon,lat,party,id,note\n"
        f"X1,0,270,200,3000,{east(50_000)},0,red,z,hello\n"
        "X2,0,90,200,3000,0,0,blue,a,\n"
    )
    code, out, _ = run(tmp_path, text)
    assert code == 0
    (c,) = conflicts(out)
    assert (c["a"], c["b"]) == ("a", "z")  # a < b as strings, whatever the rows' order
    assert c == {"a": "a", "b": "z", "t_in_s": 101.8, "t_out_s": 148.2, "tcpa_s": 125.0,
                 "dcpa_m": 0.0}  # fmt: skip


def test_sorted_by_a_then_b(tmp_path: Path) -> None:
    rows = [("m", "p1", 0.0), ("b", "p2", east(3000)), ("k", "p3", east(6000)), ("c", "p4", 1.0)]
    text = equator(*[(i, p, lon, 3000.0, 0.0, 0.0) for i, p, lon in rows])
    code, out, _ = run(tmp_path, text)
    assert code == 0
    assert pairs(out) == [("b", "k"), ("b", "m"), ("k", "m")]


def test_options_change_the_minima_and_the_look_ahead(tmp_path: Path) -> None:
    text = equator(
        ("a", "p", 0.0, 3000.0, 200.0, 90.0), ("b", "q", east(130_000), 3400.0, 200.0, 270.0)
    )
    assert pairs(run(tmp_path, text)[1]) == []  # 400 m apart vertically; 302 s away
    assert pairs(run(tmp_path, text, "--v-sep-m", "401")[1]) == []
    assert pairs(run(tmp_path, text, "--v-sep-m", "401", "--lookahead-s", "310")[1]) == [("a", "b")]
    assert pairs(run(tmp_path, text, "--v-sep-m", "401", "--h-sep-m", "10000")[1]) == [("a", "b")]
    _, out, _ = run(tmp_path, text, "--v-sep-m", "401", "--h-sep-m", "10000")
    assert conflicts(out)[0]["t_in_s"] == pytest.approx((130_000 - 10_000) / 400, abs=0.1)


def test_a_header_without_rows_has_no_conflicts(tmp_path: Path) -> None:
    assert run(tmp_path, HEADER + "\n") == (0, '{"conflicts":[]}\n', "")


def test_blank_lines_and_quotes(tmp_path: Path) -> None:
    text = equator(("a", "p", 0.0, 3000.0, 0.0, 0.0), ("b", "q", east(100), 3000.0, 0.0, 0.0))
    text = text.replace("\nb,", '\n\n"b",') + "\n"
    code, out, _ = run(tmp_path, text)
    assert code == 0 and pairs(out) == [("a", "b")]


GOOD = [
    "a,p,0,0,3000,200,90,0",
    "b,q,0,0.2,3000,200,270,0",
]

BAD = [
    ("empty file", "", "the file is empty"),
    ("only blank lines", "\n\n", "the file is empty"),
    ("missing column", "id,party,lat,lon,alt_m,gs_mps,trk_deg\n",
     "line 1: the header has no column 'vs_mps'"),
    ("repeated column", HEADER + ",lat\n", "line 1: the header repeats the column 'lat'"),
    ("not a number", [GOOD[0], "b,q,north,0.2,3000,200,270,0"],
     "row 2 (line 3): lat 'north' is not a number"),
    ("empty number", [GOOD[0], "b,q,0,,3000,200,270,0"], "row 2 (line 3): lon '' is not a number"),
    ("nan", [GOOD[0], "b,q,0,0.2,NaN,200,270,0"],
     "row 2 (line 3): alt_m nan is not a finite number"),
    ("inf", ["a,p,0,0,3000,inf,90,0", GOOD[1]],
     "row 1 (line 2): gs_mps inf is not a finite number"),
    ("latitude", [GOOD[0], "b,q,90.5,0.2,3000,200,270,0"],
     "row 2 (line 3): lat 90.5 is outside -90..90"),
    ("longitude", [GOOD[0], "b,q,0,-181,3000,200,270,0"],
     "row 2 (line 3): lon -181.0 is outside -180..180"),
    ("negative speed", [GOOD[0], "b,q,0,0.2,3000,-1,270,0"],
     "row 2 (line 3): gs_mps -1.0 is negative"),
    ("wild speed", [GOOD[0], "b,q,0,0.2,3000,1e6,270,0"],
     "row 2 (line 3): gs_mps 1000000.0 is above 20000 m/s"),
    ("duplicate id", [GOOD[0], "a,q,0,0.2,3000,200,270,0"],
     "row 2 (line 3): id 'a' is used twice (first on row 1)"),
    ("empty id", [GOOD[0], " ,q,0,0.2,3000,200,270,0"], "row 2 (line 3): id '' is empty"),
    ("empty party", [GOOD[0], "b,,0,0.2,3000,200,270,0"], "row 2 (line 3): party '' is empty"),
    ("short row", [GOOD[0], "", "b,q,0,0.2"], "row 2 (line 4): 4 fields where the header has 8"),
    ("first error wins", ["a,p,0,0,3000,-5,90,0", "b,q,95,0.2,3000,200,270,0"],
     "row 1 (line 2): gs_mps"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "words"), [pytest.param(t, w, id=n) for n, t, w in BAD])
def test_bad_files_exit_2_naming_row_and_column(
    tmp_path: Path, text: str | list[str], words: str
) -> None:
    body = text if isinstance(text, str) else "\n".join([HEADER, *text]) + "\n"
    code, out, err = run(tmp_path, body)
    assert code == 2
    assert words in err
    assert out == ""


def test_a_file_that_is_not_there_or_not_text(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path / "nope.csv")
    assert code == 2 and "cannot read the file" in err
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (HEADER + "\n" + GOOD[0] + "\nb\xe9,q,0,0.2,3000,200,270,0\n").encode("latin-1")
    )
    code, _, err = invoke(path)
    assert code == 2 and "not UTF-8" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--h-sep-m", "-1"], "--h-sep-m must be a non-negative number"),
        (["--v-sep-m", "nan"], "--v-sep-m must be a non-negative number"),
        (["--h-sep-m", "inf"], "--h-sep-m must be a non-negative number"),
        (["--lookahead-s", "0"], "--lookahead-s must be above 0 and at most 3600"),
        (["--lookahead-s", "3601"], "--lookahead-s must be above 0 and at most 3600"),
        (["--lookahead-s", "nan"], "--lookahead-s must be above 0"),
    ],
)
def test_bad_options_exit_2(args: list[str], words: str) -> None:
    code, out, err = invoke(EXAMPLE, *args)
    assert code == 2 and words in err and out == ""


def test_as_a_real_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deconfliction", "detect", "tracks", str(EXAMPLE), "--all-pairs"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert pairs(done.stdout) == [("blue-1", "red-1"), ("blue-2", "green-1"), ("blue-3", "blue-4")]
    assert '"t_out_s":null' in done.stdout


def test_reads_a_hundred_thousand_rows_quickly(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 100_000
    cols = [rng.uniform(-80, 80, n), rng.uniform(-180, 180, n), rng.uniform(0, 12_000, n),
            rng.uniform(0, 260, n), rng.uniform(0, 360, n), rng.uniform(-10, 10, n)]  # fmt: skip
    lines = [HEADER] + [
        f"t{k},p{k % 7},{a:.5f},{b:.5f},{c:.1f},{d:.1f},{e:.1f},{f:.1f}"
        for k, (a, b, c, d, e, f) in enumerate(zip(*cols, strict=True))
    ]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    started = time.thread_time()  # CPU time: what the reading costs, not how busy the machine is
    ids, states = read_tracks(path)
    took = time.thread_time() - started
    assert len(ids) == len(states) == n and ids[-1] == f"t{n - 1}"
    assert states.lat[1] == pytest.approx(cols[0][1], abs=1e-5)
    assert np.array_equal(states.group[:7], np.argsort(np.argsort([f"p{k}" for k in range(7)])))
    assert took < 3.0  # about 0.2 s; the csv module alone takes 0.6 s


def test_many_conflicts_come_out_in_pieces_of_one_document() -> None:
    n = 70_000  # more than one piece of 65,536
    ids = [f"t{k:05d}" for k in range(n + 1)][::-1]  # row k is id t{n-k}: every pair swaps
    i = np.arange(n, dtype=np.int64)
    found = Encounters(i, i + 1, np.full(n, 1.04), np.full(n, np.inf), np.full(n, -0.01),
                       np.arange(n) + 0.25)  # fmt: skip
    pieces = list(tracks_json(ids, found))
    assert len(pieces) == 4
    got = conflicts("".join(pieces))
    assert len(got) == n
    assert got[0] == {"a": "t00000", "b": "t00001", "t_in_s": 1.0, "t_out_s": None,
                      "tcpa_s": 0.0, "dcpa_m": float(round(n - 1 + 0.25, 1))}  # fmt: skip
    assert [c["a"] for c in got] == sorted(c["a"] for c in got)
    assert math.copysign(1.0, got[0]["tcpa_s"]) == 1.0  # no -0.0


def test_surface_rows_may_leave_alt_m_blank(tmp_path: Path) -> None:
    # two convoys 900 m apart head-on, no heights: conflict on horizontal distance alone
    text = (
        "id,party,domain,lat,lon,alt_m,gs_mps,trk_deg,vs_mps\n"
        f"c1,blue,ground,0,0,,10,90,0\n"
        f"c2,red,sea,0,{east(900)},,10,270,0\n"
        f"a1,green,air,0.5,{east(50_000)},3000,200,270,0\n"  # 55 km north: clear
    )
    code, out, err = run(tmp_path, text, "--h-sep-m", "100", "--v-sep-m", "50")
    assert code == 0, err
    [c] = conflicts(out)
    assert (c["a"], c["b"]) == ("c1", "c2") and c["t_in_s"] == pytest.approx(40.0, abs=0.1)
    ids, states = read_tracks(tmp_path / "tracks.csv")
    assert states.domain.tolist() == [1, 2, 0] and np.isnan(states.alt_m[:2]).all()


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ("a,blue,,0,0,,1,0,0\n", "row 1 (line 2): alt_m (blank) is needed for an air track"),
        ("a,blue,air,0,0,,1,0,0\n", "alt_m (blank) is needed for an air track"),
        ("a,blue,ground,0,0,nan,1,0,0\n", "alt_m nan is not a finite number"),
        ("a,blue,boat,0,0,1,1,0,0\n", "row 1 (line 2): domain 'boat' is not air, ground or sea"),
    ],
)
def test_blank_heights_only_on_the_surface(tmp_path: Path, rows: str, words: str) -> None:
    code, out, err = run(tmp_path, "id,party,domain,lat,lon,alt_m,gs_mps,trk_deg,vs_mps\n" + rows)
    assert code == 2 and out == "" and words in err, err


def test_without_a_domain_column_a_blank_height_is_refused(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, HEADER + "\na,blue,0,0,,1,0,0\n")
    assert code == 2 and "alt_m (blank) is needed for an air track" in err
