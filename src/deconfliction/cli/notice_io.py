"""``deconfliction notice import FILE`` and ``export``: notices from Google Earth (KML, KMZ), GIS
tools (GeoJSON) and a USS (ASTM F3548), one per feature, each made or refused in a table; and
the line's notices, conflicts or tracks written out as KML or GeoJSON, every page of them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
import orjson
import typer
from defusedxml.ElementTree import fromstring
from rich.table import Table
from rich.text import Text

from deconfliction.cli.calls import console
from deconfliction.cli.client import ServerOption, connect, fail, load_config, unreachable
from deconfliction.cli.notice_drafts import (
    Defaults,
    Draft,
    from_f3548,
    from_geojson,
    from_kml,
    is_f3548,
)
from deconfliction.cli.notice_files import BadFile
from deconfliction.cli.when import window_option
from deconfliction.errors import DeconflictionError
from deconfliction.wire.geojson import MEDIA_TYPE as GEOJSON
from deconfliction.wire.kml import KML_NS
from deconfliction.wire.kml import MEDIA_TYPE as KML
from deconfliction.wire.kml_read import MAX_KML_BYTES, read_kml

__all__ = ["export", "import_notices"]


def _read(path: str) -> bytes:
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_KML_BYTES + 1)
        else:
            with Path(path).open("rb") as f:
                raw = f.read(MAX_KML_BYTES + 1)
    except OSError as e:
        raise fail(f"{path}: cannot read it ({e.strerror or e})") from None
    if len(raw) > MAX_KML_BYTES:
        raise fail(f"{path}: over {MAX_KML_BYTES // 2**20} MiB; split it")
    return raw


def drafts_of(raw: bytes, name: str, d: Defaults) -> tuple[list[Draft], list[str]]:
    """The notices a file asks for, and what in it is not read (KML NetworkLinks...)."""
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if raw[:4] == b"PK\x03\x04" or head == b"<":
        doc = read_kml(raw)
        return from_kml(doc, d), list(doc.ignored)
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise BadFile(f"{name}: neither KML, KMZ nor JSON ({e})") from None
    if is_f3548(parsed):
        return from_f3548(parsed, d), []
    return from_geojson(parsed, name, d), []


def _post(client: httpx.Client, draft: Draft) -> dict[str, str]:
    assert draft.body is not None
    r = client.post("/v1/notices", json=draft.body)
    if r.status_code == 201:
        made = r.json()
        found = len(made.get("conflicts") or [])
        return {"from": draft.label, "result": "made", "field": "",
                "reason": made["notice"]["id"], "conflicts": str(found)}  # fmt: skip
    try:
        problem = r.json()
        pointer, reason = str(problem.get("pointer") or ""), str(problem.get("message"))
    except ValueError:
        pointer, reason = "", r.reason_phrase
    label, where = draft.where(pointer)
    return {"from": label, "result": f"refused ({r.status_code})", "field": where,
            "reason": reason, "conflicts": ""}  # fmt: skip


def import_notices(
    file: Annotated[str, typer.Argument(metavar="FILE", help="KML, KMZ, GeoJSON or F3548 JSON")],
    kind: Annotated[str | None, typer.Option("--kind", help="every notice's kind")] = None,
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="a party (repeatable), or all")
    ] = None,
    protected: Annotated[bool | None, typer.Option("--protected/--not-protected")] = None,
    window: Annotated[
        str | None, typer.Option("--window", help="START/END for features with no time")
    ] = None,
    radius: Annotated[
        float | None, typer.Option("--radius", min=0.1, help="metres, for Points without one")
    ] = None,
    half_width: Annotated[
        float | None,
        typer.Option("--half-width", min=0.1, help="metres, for LineStrings without one"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="read and check the file; make nothing")
    ] = False,
    server: ServerOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a feature")] = False,
) -> None:
    """Make a notice of each feature of FILE (a KML Placemark, a GeoJSON feature, an F3548
    operational intent); a table says what each made, or why it was refused. Exit 1 if any was."""
    d = Defaults(
        kind=kind,
        audience=None if not audience else ("all" if audience == ["all"] else audience),
        protected=protected,
        window=None if window is None else window_option(window),
        radius_m=radius,
        half_width_m=half_width,
    )
    name = "standard input" if file == "-" else file
    try:
        drafts, ignored = drafts_of(_read(file), name, d)
    except (BadFile, DeconflictionError) as e:
        raise fail(f"{name}: {e.reason if isinstance(e, DeconflictionError) else e}") from None
    rows = [{"from": i, "result": "ignored", "field": "", "reason": "", "conflicts": ""}
            for i in ignored]  # fmt: skip
    client = None if dry_run else connect(load_config(server))
    try:
        for draft in drafts:
            if draft.refusal is not None:
                rows.append({"from": draft.label, "result": "refused", "field": draft.refusal[0],
                             "reason": draft.refusal[1], "conflicts": ""})  # fmt: skip
            elif client is None:
                rows.append({"from": draft.label, "result": "would make", "field": "",
                             "reason": draft.note, "conflicts": ""})  # fmt: skip
            else:
                row = _post(client, draft)
                rows.append({**row, "note": draft.note} if draft.note else row)
    except httpx.TransportError as e:
        raise fail(f"{unreachable(str(client.base_url) if client else '')} ({e})", 1) from None
    finally:
        if client is not None:
            client.close()
    _show(rows, as_json)
    if any(r["result"].startswith("refused") for r in rows):
        raise typer.Exit(1)


def _show(rows: list[dict[str, str]], as_json: bool) -> None:
    if as_json:
        sys.stdout.write("".join(orjson.dumps(r).decode() + "\n" for r in rows))
        return
    table = Table(title=f"{len(rows)} features", title_justify="left")
    for column in ("from", "result", "field", "notice / reason", "conflicts"):
        # a notice id whole on its own line, to be copied: the column is as wide as one
        width = 36 if column == "notice / reason" else None
        table.add_column(column, overflow="fold", min_width=width)
    for r in rows:
        style = "green" if r["result"] == "made" else "red" if "refused" in r["result"] else ""
        reason = r["reason"] + (f"\n({r['note']})" if r.get("note") else "")
        table.add_row(r["from"], Text(r["result"], style=style), r["field"], reason, r["conflicts"])
    console().print(table)


_PATHS = {"notices": "/v1/notices", "conflicts": "/v1/conflicts", "tracks": "/v1/tracks"}


def _pages(server: str | None, what: str, media: str, params: dict[str, str]) -> list[bytes]:
    """Every page of the list, following ``Link: rel="next"`` as the JSON's ``next``."""
    cfg = load_config(server)
    bodies: list[bytes] = []
    url = f"{_PATHS[what]}?{urlencode({**params, 'limit': '1000'})}"
    try:
        with connect(cfg) as client:
            while url:
                r = client.get(url, headers={"Accept": media})
                if not r.is_success:
                    raise fail(f"the line answered {r.status_code}: {r.text[:200]}", 1)
                bodies.append(r.content)
                link = r.links.get("next", {}).get("url")
                url = link or ""
    except httpx.TransportError as e:
        raise fail(f"{unreachable(cfg.server)} ({type(e).__name__})", 1) from None
    return bodies


def _merge_kml(pages: list[bytes]) -> bytes:
    """One KML document of every page: the first page's Document, with the others' Folders and
    Placemarks after its own (the line wrote them: read safely all the same)."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("", KML_NS)
    root = fromstring(pages[0], forbid_dtd=True)
    doc = root[0]
    for page in pages[1:]:
        other = fromstring(page, forbid_dtd=True)[0]
        for item in other:
            if item.tag.rsplit("}", 1)[-1] in ("Folder", "Placemark"):
                doc.append(item)
    for data in doc.findall(f"{{{KML_NS}}}ExtendedData"):
        doc.remove(data)  # the first page's cursor: every page is here
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


def _merge_geojson(pages: list[bytes]) -> bytes:
    features: list[Any] = []
    for page in pages:
        features.extend(orjson.loads(page).get("features") or [])
    collection = {"type": "FeatureCollection", "features": features, "next": None}
    return orjson.dumps(collection, option=orjson.OPT_INDENT_2)


def export(
    what: str,
    fmt: str,
    out: str | None,
    server: str | None,
    params: dict[str, str] | None = None,
) -> None:
    """Write every page of ``what`` in ``fmt`` (kml or geojson) to ``out`` (or standard out)."""
    if fmt not in ("kml", "geojson"):
        raise fail(f"--format is kml or geojson, not {fmt!r}")
    pages = _pages(server, what, KML if fmt == "kml" else GEOJSON, params or {})
    data = _merge_kml(pages) if fmt == "kml" else _merge_geojson(pages)
    if out is None or out == "-":
        sys.stdout.buffer.write(data)
        return
    try:
        Path(out).write_bytes(data)
    except OSError as e:
        raise fail(f"{out}: cannot write it ({e.strerror or e})") from None
    console().print(f"wrote {what} as {fmt} to {out} ({len(data):,} bytes)")


FormatOpt = Annotated[str, typer.Option("--format", help="kml (Google Earth) or geojson")]
OutOpt = Annotated[str | None, typer.Option("--out", help="the file to write (default: stdout)")]
