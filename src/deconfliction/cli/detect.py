"""``deconfliction detect``: conflict detection on files, offline, by the line's own code path."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from deconfliction.detect import Candidate, detect_all
from deconfliction.domain import AltitudeBand, Buffers, TimeWindow, Volume
from deconfliction.domain.volume import check_instant
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
    try:
        if not isinstance(value, str):
            raise ValueError
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{key} must be an RFC 3339 time such as 2025-01-01T06:00:00Z", f"{pp}/{key}"
        ) from None
    if when.tzinfo is None:
        raise InvalidInput(f"{key} needs a timezone (Z or +hh:mm)", f"{pp}/{key}")
    return check_instant(when, f"{pp}/{key}")


def _altitude(props: dict[str, Any], key: str, pp: str) -> float | None:
    value = props.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{key} must be a number of metres", f"{pp}/{key}")
    return float(value)
