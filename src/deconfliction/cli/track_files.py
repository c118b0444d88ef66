"""Track reports from a file, as ``POST /v1/tracks`` takes them.

CSV as ``deconfliction detect tracks`` reads it: a header naming ``id`` (the asset's uid),
``lat``, ``lon``, ``alt_m``, ``gs_mps``, ``trk_deg``, ``vs_mps``, in any order, and optionally
``callsign``, ``domain``, ``time`` (RFC 3339; default: now) and ``movement``; ``party`` and other
columns are ignored (reports are your party's). Or NDJSON (one report per line) or a JSON array
of reports in the API's own shape. ``-`` reads standard input.
"""

from __future__ import annotations

import csv
import io
import math
import sys
from pathlib import Path
from typing import Any

import orjson

__all__ = ["BadReports", "read_reports"]

Report = dict[str, Any]

NUMBERS = ("lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps")
TEXTS = ("callsign", "domain", "time", "movement")


class BadReports(ValueError):
    """A file that is not track reports; the message names the row or line and the field."""


def read_reports(path: str, defaults: Report) -> list[Report]:
    """The reports in ``path``, each completed with ``defaults`` (a report's own fields win)."""
    name = "standard input" if path == "-" else path
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as e:
        raise BadReports(f"{name}: cannot read it ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise BadReports(f"{name}: byte {e.start}: not UTF-8 text") from None
    head = text.lstrip()[:1]
    if head == "[":
        reports = _array(text, name)
    elif head == "{":
        reports = _ndjson(text, name)
    else:
        reports = _csv(text, name)
    return [{**defaults, **r} for r in reports]


def _array(text: str, name: str) -> list[Report]:
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise BadReports(f"{name}: not JSON ({e})") from None
    if not all(isinstance(r, dict) for r in doc):
        raise BadReports(f"{name}: a JSON array of reports holds objects only")
    return list(doc)


def _ndjson(text: str, name: str) -> list[Report]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            report = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            raise BadReports(f"{name}: line {n}: not JSON ({e})") from None
        if not isinstance(report, dict):
            raise BadReports(f"{name}: line {n}: a report is a JSON object")
        out.append(report)
    return out


def _csv(text: str, name: str) -> list[Report]:
    rows = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = [h.strip() for h in next(rows, [])]
    needed = ("id", *NUMBERS)
    missing = [c for c in needed if c not in header]
    if missing:
        raise BadReports(
            f"{name}: line 1: the header has no {', '.join(missing)} "
            f"(it needs {', '.join(needed)}, in any order)"
        )
    out = []
    for row in rows:
        if not any(v.strip() for v in row):
            continue
        where = f"{name}: line {rows.line_num}"
        if len(row) < len(header):
            raise BadReports(f"{where}: {len(row)} fields where the header has {len(header)}")
        cells = {h: v.strip() for h, v in zip(header, row, strict=False)}
        if not cells["id"]:
            raise BadReports(f"{where}: id is empty")
        report: Report = {"uid": cells["id"]}
        for c in NUMBERS:
            try:
                report[c] = float(cells[c])
            except ValueError:
                raise BadReports(f"{where}: {c} {cells[c]!r} is not a number") from None
            if not math.isfinite(report[c]):
                raise BadReports(f"{where}: {c} {cells[c]!r} is not a finite number")
        report |= {c: cells[c] for c in TEXTS if cells.get(c)}
        out.append(report)
    return out
