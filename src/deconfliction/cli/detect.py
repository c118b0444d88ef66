"""``deconfliction detect``: conflict detection on files, offline, by the line's own code path."""

from __future__ import annotations

import csv
import json
import math
import warnings
from collections.abc import Iterator
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import orjson
import typer

from deconfliction.detect import Candidate, detect_all, tactical
from deconfliction.domain import AltitudeBand, Buffers, Minima, TimeWindow, Volume
from deconfliction.domain.volume import parse_instant
from deconfliction.errors import DeconflictionError, InvalidInput
from deconfliction.geo import parse_footprints, prepare

detect_app = typer.Typer(help="Detect conflicts in files, offline.", no_args_is_help=True)


class BadFeature(Exception):
    """A feature the file cannot be read past; the message names it and the field."""


@detect_app.command("notices")
def notices(
    file: Annotated[
        Path, typer.Argument(help="A GeoJSON FeatureCollection, one volume a feature.")
    ],
    h_buffer_m: Annotated[float, typer.Option(help="Horizontal buffer, metres.")] = 0.0,
    v_buffer_m: Annotated[float, typer.Option(help="Vertical buffer, metres.")] = 0.0,
    t_buffer_s: Annotated[float, typer.Option(help="Time buffer, seconds.")] = 0.0,
    all_pairs: Annotated[bool, typer.Option(help="Also pairs of the same party.")] = False,
) -> None:
    """Print the strategic conflicts between the volumes in FILE as JSON.

    Each feature's properties: id, party, start, end (RFC 3339 with a timezone), optional
    alt_lower_m, alt_upper_m, and radius_m (Point) or half_width_m (LineString).
    """
    for name, value in (("--h-buffer-m", h_buffer_m), ("--v-buffer-m", v_buffer_m),
                        ("--t-buffer-s", t_buffer_s)):  # fmt: skip
        if not math.isfinite(value) or value < 0:
            typer.echo(f"{name} must be a non-negative number", err=True)
            raise typer.Exit(2)
    try:
        candidates = read_candidates(file)
    except BadFeature as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    found = detect_all(candidates, Buffers(h_buffer_m, v_buffer_m, t_buffer_s), all_pairs=all_pairs)
    out = [{"a": f.a, "b": f.b, "distance_m": round(f.distance_m, 1)} for f in found]
    typer.echo(json.dumps({"conflicts": out}))


TRACK_COLUMNS = ("id", "party", "lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps")
MAX_LOOKAHEAD_S = 3600.0


class BadRow(Exception):
    """A row (or the header) the file cannot be read past; the message names it and the column."""


@detect_app.command("tracks")
def tracks(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with a header naming id, party, lat, lon, alt_m, gs_mps, trk_deg, vs_mps "
            "and optionally domain (any order; other columns are ignored)."
        ),
    ],
    h_sep_m: Annotated[float, typer.Option(help="Horizontal separation R, metres.")] = 9260.0,
    v_sep_m: Annotated[float, typer.Option(help="Vertical separation H, metres.")] = 304.8,
    lookahead_s: Annotated[
        float, typer.Option(help="Look-ahead T, seconds (at most 3600).")
    ] = 300.0,
    all_pairs: Annotated[bool, typer.Option(help="Also pairs of the same party.")] = False,
) -> None:
    """Print the tactical conflicts between the tracks in FILE as JSON.

    Units: lat/lon degrees (WGS84), alt_m metres above the ellipsoid, gs_mps m/s over ground.

    domain is air (the default), ground or sea; a ground or sea row may leave alt_m blank (on
    the surface, height unknown: its vertical distance to any track is taken as within H).

    trk_deg is the true track (0 north, 90 east), vs_mps the vertical speed (up positive).

    Tracks go on along their geodesics: a pair conflicts if within R and H at once.

    Times are seconds from now; t_out_s is null when the pair never separates.
    """
    for name, value in (("--h-sep-m", h_sep_m), ("--v-sep-m", v_sep_m)):
        if not math.isfinite(value) or value < 0:
            typer.echo(f"{name} must be a non-negative number", err=True)
            raise typer.Exit(2)
    if not (math.isfinite(lookahead_s) and 0 < lookahead_s <= MAX_LOOKAHEAD_S):
        typer.echo(f"--lookahead-s must be above 0 and at most {MAX_LOOKAHEAD_S:g}", err=True)
        raise typer.Exit(2)
    try:
        ids, states = read_tracks(file)
    except BadRow as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    found = tactical.detect(states, lookahead_s, Minima.uniform(h_sep_m, v_sep_m), all_pairs)
    for piece in tracks_json(ids, found):
        typer.echo(piece, nl=False)
    typer.echo()


def read_tracks(path: Path) -> tuple[list[str], tactical.States]:
    """Read a CSV of tracks (see :func:`tracks`); parties become the groups detection skips.

    Raises BadRow naming the data row (1-based, with its line in the file) and the column.
    """
    names, header_lines = _header(path)
    columns = TRACK_COLUMNS + (("domain",) if "domain" in names else ())
    where = [names.index(c) for c in columns]
    try:  # numpy's C reader; anything it cannot take is read again, slowly, to name the row
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a header without rows is no tracks, not a warning
            table = np.loadtxt(
                path, dtype=_dtype(columns), delimiter=",", skiprows=header_lines, usecols=where,
                comments=None, quotechar='"', encoding="utf-8-sig", ndmin=1,
            )  # fmt: skip
        ids: list[str] = [v.strip() for v in table["id"].tolist()]
        parties: list[str] = [v.strip() for v in table["party"].tolist()]
        nums = [np.ascontiguousarray(table[c]) for c in TRACK_COLUMNS[2:]]
        kinds = [v.strip() for v in table["domain"].tolist()] if len(columns) > 8 else []
        blank = np.zeros(len(ids), bool)
    except (ValueError, UnicodeDecodeError):
        ids, parties, nums, kinds, blank = _read_slowly(path, names, where)
    domain = _domains(path, kinds, len(ids))
    lat, lon, alt, gs, trk, vs = nums
    limit = tactical.MAX_SPEED_MPS
    checks: list[tuple[int, str, npt.NDArray[np.bool_], str]] = [
        (0, "id", np.array([not v for v in ids], bool), "is empty"),
        (1, "party", np.array([not v for v in parties], bool), "is empty"),
    ]
    checks += [(2 + c, TRACK_COLUMNS[2 + c], ~np.isfinite(v) & ~(blank & (c == 2)),
                "is not a finite number") for c, v in enumerate(nums)]  # fmt: skip
    checks += [
        (
            4,
            "alt_m",
            blank & (domain == 0),
            "is needed for an air track: only a ground or sea "
            "track may leave it blank (say which in a domain column)",
        ),
        (2, "lat", np.abs(lat) > 90, "is outside -90..90"),
        (3, "lon", np.abs(lon) > 180, "is outside -180..180"),
        (4, "alt_m", np.abs(alt) > tactical.MAX_ALT_M, f"is beyond ±{tactical.MAX_ALT_M:g} m"),
        (5, "gs_mps", gs < 0, "is negative: a ground speed is a magnitude"),
        (5, "gs_mps", gs > limit, f"is above {limit:g} m/s"),
        (7, "vs_mps", np.abs(vs) > limit, f"is beyond ±{limit:g} m/s"),
    ]
    firsts = [(int(np.argmax(m)), c, n) for n, (c, _, m, _) in enumerate(checks) if m.any()]
    if firsts:
        k, c, n = min(firsts)  # the first row, then the first column, then the first check
        value = repr((ids, parties)[c][k]) if c < 2 else str(float(nums[c - 2][k]))
        value = "(blank)" if c == 4 and blank[k] else value
        raise BadRow(f"{_row(path, k)}: {checks[n][1]} {value} {checks[n][3]}")
    if len(set(ids)) != len(ids):
        seen: dict[str, int] = {}
        for k, v in enumerate(ids):
            if v in seen:
                raise BadRow(
                    f"{_row(path, k)}: id {v!r} is used twice (first on row {seen[v] + 1})"
                )
            seen[v] = k
    group = np.unique(np.array(parties, dtype=str), return_inverse=True)[1].reshape(-1)
    return ids, tactical.States.of(lat, lon, alt, gs, trk, vs, group=group, domain=domain)


def _dtype(columns: tuple[str, ...]) -> np.dtype[np.void]:
    kinds = {"id": object, "party": object, "domain": object}
    return np.dtype([(c, kinds.get(c, "f8")) for c in columns])


_DOMAIN_CODES = {"": 0, "air": 0, "ground": 1, "sea": 2}


def _domains(path: Path, kinds: list[str], n: int) -> npt.NDArray[np.int8]:
    """Each row's domain code (air when the file has no domain column or leaves it blank)."""
    codes = np.zeros(n, np.int8)
    for k, v in enumerate(kinds):
        if v.lower() not in _DOMAIN_CODES:
            raise BadRow(f"{_row(path, k)}: domain {v!r} is not air, ground or sea")
        codes[k] = _DOMAIN_CODES[v.lower()]
    return codes


def _header(path: Path) -> tuple[list[str], int]:
    """The column names, and how many lines the header takes."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, skipinitialspace=True)
            header = next(reader, None)
            lines = reader.line_num
    except OSError as e:
        raise BadRow(f"{path}: cannot read the file ({e.strerror})") from None
    except UnicodeDecodeError:
        raise BadRow(f"{path}: line 1: not UTF-8 text") from None
    except csv.Error as e:
        raise BadRow(f"{path}: line 1: not CSV ({e})") from None
    names = [h.strip() for h in header or []]
    if not any(names):
        raise BadRow(f"{path}: the file is empty; it needs a header: {','.join(TRACK_COLUMNS)}")
    for c in TRACK_COLUMNS:
        if names.count(c) != 1:
            how = "has no" if c not in names else "repeats the"
            raise BadRow(
                f"{path}: line 1: the header {how} column {c!r} "
                f"(it needs {', '.join(TRACK_COLUMNS)}, in any order)"
            )
    return names, lines


def _read_slowly(
    path: Path, names: list[str], where: list[int]
) -> tuple[list[str], list[str], list[npt.NDArray[np.float64]], list[str], npt.NDArray[np.bool_]]:
    """The csv module's reading, which can say which row and column is wrong; also each row's
    domain (if the file has the column) and which rows leave alt_m blank."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, skipinitialspace=True)
            next(reader)
            rows = [r for r in reader if r]
    except UnicodeDecodeError as e:
        raise BadRow(f"{path}: byte {e.start}: not UTF-8 text") from None
    except csv.Error as e:
        raise BadRow(f"{path}: not CSV ({e})") from None
    widths = np.fromiter(map(len, rows), np.int64, len(rows))
    bad = np.flatnonzero(widths < len(names))
    if len(bad):
        k = int(bad[0])
        raise BadRow(f"{_row(path, k)}: {len(rows[k])} fields where the header has {len(names)}")
    cols = list(zip(*map(itemgetter(*where), rows), strict=True)) or [()] * len(where)
    blank = np.array([not v.strip() for v in cols[4]], dtype=bool)
    cols[4] = tuple("nan" if b else v for v, b in zip(cols[4], blank.tolist(), strict=True))
    nums = [
        _numbers(path, name, col) for name, col in zip(TRACK_COLUMNS[2:], cols[2:8], strict=True)
    ]
    kinds = [v.strip() for v in cols[8]] if len(cols) > 8 else []
    return [v.strip() for v in cols[0]], [v.strip() for v in cols[1]], nums, kinds, blank


def _numbers(path: Path, name: str, col: tuple[str, ...]) -> npt.NDArray[np.float64]:
    try:
        return np.array(col, dtype=np.float64).reshape(-1)
    except ValueError:
        for k, v in enumerate(col):
            try:
                float(v)
            except ValueError:
                raise BadRow(f"{_row(path, k)}: {name} {v!r} is not a number") from None
        raise BadRow(f"{path}: column {name!r} holds something that is not a number") from None


def _row(path: Path, k: int) -> str:
    """``path: row k+1 (line L)``: the data row counted from 1, and where it ends in the file."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, skipinitialspace=True)
        next(reader)
        seen = -1
        for r in reader:
            seen += bool(r)
            if seen == k:
                break
        return f"{path}: row {k + 1} (line {reader.line_num})"


def tracks_json(ids: list[str], found: tactical.Encounters) -> Iterator[str]:
    """``{"conflicts": [...]}`` in pieces, a < b as strings, sorted; seconds and metres to 0.1.

    Pieces of 65,536 conflicts keep memory flat however many conflicts a file holds.
    """
    rank = np.empty(len(ids), np.int64)
    rank[np.argsort(np.array(ids, dtype=str), kind="stable")] = np.arange(len(ids))
    swap = rank[found.i] > rank[found.j]
    a, b = np.where(swap, found.j, found.i), np.where(swap, found.i, found.j)
    order = np.lexsort((rank[b], rank[a]))
    yield '{"conflicts":['
    for k in range(0, len(order), 1 << 16):
        o = order[k : k + (1 << 16)]

        def tenths(x: npt.NDArray[np.float64], o: npt.NDArray[np.intp] = o) -> list[float]:
            out: list[float] = (np.round(x[o], 1) + 0.0).tolist()  # + 0.0: no -0.0
            return out

        t_out = [None if math.isinf(x) else x for x in tenths(found.t_out_s)]
        piece = [
            {"a": ids[p], "b": ids[q], "t_in_s": t_in, "t_out_s": t_o, "tcpa_s": tc, "dcpa_m": d}
            for p, q, t_in, t_o, tc, d in zip(
                a[o].tolist(),
                b[o].tolist(),
                tenths(found.t_in_s),
                t_out,
                tenths(found.tcpa_s),
                tenths(found.dcpa_m),
                strict=True,
            )  # fmt: skip
        ]
        yield ("," if k else "") + orjson.dumps(piece).decode()[1:-1]
    yield "]}"


def read_candidates(path: Path) -> list[Candidate]:
    """Read a FeatureCollection of volumes; raise BadFeature naming the feature and field."""
    try:
        doc = json.loads(path.read_bytes())
    except OSError as e:
        raise BadFeature(f"{path}: cannot read the file ({e.strerror})") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise BadFeature(f"{path}: not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise BadFeature(f"{path}: not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise BadFeature(f"{path}: /features must be an array of features")
    seen: set[str] = set()
    out: list[Candidate] = []
    for i, feature in enumerate(features):
        fid = feature.get("properties", {}).get("id") if isinstance(feature, dict) else None
        name = f"feature {i}" + (f" (id {fid!r})" if isinstance(fid, str) else "")
        try:
            c = _candidate(feature, f"/features/{i}")
        except DeconflictionError as e:
            raise BadFeature(f"{path}: {name}: {e.pointer}: {e.reason}") from None
        if c.key in seen:
            raise BadFeature(
                f"{path}: {name}: /features/{i}/properties/id: id {c.key!r} is used twice"
            )
        seen.add(c.key)
        out.append(c)
    return out


def _candidate(feature: object, ptr: str) -> Candidate:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput("not a GeoJSON Feature", ptr)
    props = feature.get("properties")
    pp = ptr + "/properties"
    if not isinstance(props, dict):
        raise InvalidInput("the feature needs properties (id, party, start, end)", pp)
    fid = _text(props, "id", pp)
    party = _text(props, "party", pp)
    start = _instant(props, "start", pp)
    end = _instant(props, "end", pp)
    if end < start:
        raise InvalidInput("end is before start", pp + "/end")
    lower = _altitude(props, "alt_lower_m", pp)
    upper = _altitude(props, "alt_upper_m", pp)
    if lower is not None and upper is not None and lower > upper:
        raise InvalidInput("alt_lower_m is above alt_upper_m", pp + "/alt_lower_m")
    geometry = feature.get("geometry")
    gtype = geometry.get("type") if isinstance(geometry, dict) else None
    if gtype == "MultiPolygon":
        raise InvalidInput("one feature is one volume: use Polygon, Point or LineString", ptr)
    footprint = parse_footprints(
        geometry,
        radius_m=props.get("radius_m"),
        half_width_m=props.get("half_width_m"),
        pointer=ptr + "/geometry",
        fields_pointer=pp,
    )[0]
    volume = Volume(footprint, TimeWindow(start, end), AltitudeBand(lower, upper))
    return Candidate.of(fid, party, volume, prepare(footprint))


def _text(props: dict[str, Any], key: str, pp: str) -> str:
    value = props.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{key} must be a non-empty string", f"{pp}/{key}")
    return value


def _instant(props: dict[str, Any], key: str, pp: str) -> datetime:
    value = props.get(key)
    return parse_instant(value, key, f"{pp}/{key}")


def _altitude(props: dict[str, Any], key: str, pp: str) -> float | None:
    value = props.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{key} must be a number of metres", f"{pp}/{key}")
    return float(value)
