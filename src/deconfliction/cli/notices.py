"""``deconfliction notice``: declare, list, show, update and withdraw your party's notices on a
running line (files: ``cli/notice_files.py``). Ids may be typed short (``cli/ids.py``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deconfliction.cli.calls import (
    AsJson,
    Body,
    IdsOnly,
    call,
    console,
    print_ids,
    print_raw,
    segment,
)
from deconfliction.cli.client import ServerOption, fail
from deconfliction.cli.ids import shorten
from deconfliction.cli.listing import LimitOpt, fetch_all
from deconfliction.cli.notice_files import BadFile, notice_body, read_json
from deconfliction.cli.notice_io import FormatOpt, OutOpt, export, import_notices
from deconfliction.cli.resolve import resolve_notice
from deconfliction.cli.show import audience, span, volumes_span
from deconfliction.cli.units import band, distance
from deconfliction.cli.when import window_option
from deconfliction.domain import NoticeKind

__all__ = ["notice_app"]

notice_app = typer.Typer(
    help="Your notices on the line: create, list, show, update, withdraw; import from KML, "
    "GeoJSON or F3548, export as KML or GeoJSON.",
    no_args_is_help=True,
)
notice_app.command("import")(import_notices)

FileArg = Annotated[
    str,
    typer.Argument(
        metavar="FILE",
        help="GeoJSON FeatureCollection (one volume a feature, as `detect notices` reads) or "
        "the API's notice JSON; - for standard input",
    ),
]
IdArg = Annotated[
    str, typer.Argument(metavar="ID", help="the notice: its id, or a unique prefix or tail")
]
KindOpt = Annotated[NoticeKind | None, typer.Option("--kind", help="default: operation")]
TitleOpt = Annotated[str | None, typer.Option("--title", help="what people will read")]
AudienceOpt = Annotated[
    list[str] | None,
    typer.Option("--audience", help="a party to share it with (repeatable), or all"),
]
ProtectedOpt = Annotated[
    bool | None,
    typer.Option("--protected/--not-protected", help="a humanitarian or medical site or movement"),
]
WindowOpt = Annotated[
    str | None,
    typer.Option(
        "--window",
        help="every volume's time: START/END, RFC 3339 or relative to now (+2h/+8h); the "
        "file's features then need no start and end",
        show_default=False,
    ),
]
IfVersionOpt = Annotated[
    int | None,
    typer.Option(
        "--if-version",
        min=1,
        help="refuse unless the notice is still at this version (default: the current one)",
        show_default=False,
    ),
]


def _read(file: str, window: str | None = None) -> Body:
    times = None if window is None else window_option(window)
    try:
        return notice_body(read_json(file), "standard input" if file == "-" else file, times)
    except BadFile as e:
        raise fail(str(e)) from None


def _overrides(
    body: Body,
    kind: NoticeKind | None,
    title: str | None,
    audience_: list[str] | None,
    protected: bool | None,
) -> Body:
    if kind is not None:
        body["kind"] = kind.value
    if title is not None:
        body["title"] = title
    if audience_:
        body["audience"] = "all" if audience_ == ["all"] else audience_
    if protected is not None:
        body["protected"] = protected
    return body


def _one_line(n: Body, shown: str) -> str:
    protected = ", protected" if n.get("protected") else ""
    return (
        f'{n["party"]}: "{n.get("title") or "(untitled)"}" ({n["kind"]}{protected}, '
        f"{n['state']}, v{n['version']}, {audience(n.get('audience'))}) {shown}"
    )


def _written(body: Body, verb: str, as_json: bool) -> None:
    """A notice the line stored, the conflicts it raises, then its id alone on the last line."""
    if print_raw(body, as_json):
        return
    n, found = body["notice"], body.get("conflicts") or []
    out = console()
    out.print(f"{verb} " + _one_line(n, ""))
    for c in found:
        other = c.get("other") or {}
        where = f", {distance(c['distance_m'])} apart" if "distance_m" in c else ""
        when = f", {span(c['window']['start'], c['window']['end'])}" if "window" in c else ""
        out.print(
            Text.assemble(
                "  conflict with ",
                str(other.get("party", "another party")),
                when,
                where,
                f" ({c.get('severity', 'advisory')})",
            )
        )
    if not found:
        out.print("  no conflicts")
    out.print(str(n["id"]))


@notice_app.command("create")
def create(
    file: FileArg,
    kind: KindOpt = None,
    title: TitleOpt = None,
    audience_: AudienceOpt = None,
    protected: ProtectedOpt = None,
    window: WindowOpt = None,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Declare a notice from FILE; prints the conflicts it raises, then its id last."""
    body = _overrides(_read(file, window), kind, title, audience_, protected)
    body.setdefault("kind", NoticeKind.OPERATION.value)
    _written(call(server, "POST", "/v1/notices", body), "declared", as_json)


@notice_app.command("list")
def list_notices(
    kind: Annotated[NoticeKind | None, typer.Option("--kind", help="only this kind")] = None,
    party: Annotated[str | None, typer.Option("--party", help="only this party's")] = None,
    limit: LimitOpt = 100,
    server: ServerOption = None,
    as_json: AsJson = False,
    ids_only: IdsOnly = False,
) -> None:
    """Notices you may see: your party's and those shared with you."""
    params = {k: v for k, v in (("kind", kind and kind.value), ("party", party)) if v}
    listed = fetch_all(server, "/v1/notices", "notices", limit, params)
    if print_raw({"notices": listed.items}, as_json) or print_ids(listed.items, ids_only):
        return
    out = console()
    if not listed.items:
        out.print("no notices you may see; declare one with `deconfliction notice create FILE`")
        return
    out.print(_notice_table(listed.items))
    if listed.more:
        out.print(f"the line has more than {limit}; see more with --limit")


def _notice_table(notices: list[Body]) -> Table:
    shown = shorten(str(n["id"]) for n in notices)
    table = Table(title=f"{len(notices)} notices", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("party", overflow="fold")
    table.add_column("kind")
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("state")
    table.add_column("v", justify="right")
    table.add_column("window (UTC)", no_wrap=True)
    for n in notices:
        table.add_row(
            shown[str(n["id"])],
            str(n["party"]),
            str(n["kind"]) + (" ✚" if n.get("protected") else ""),
            str(n.get("title") or ""),
            str(n["state"]),
            str(n["version"]),
            volumes_span(n.get("volumes")) or "-",
        )
    return table


@notice_app.command("show")
def show(notice_id: IdArg, server: ServerOption = None, as_json: AsJson = False) -> None:
    """A notice and its volumes; its version is what `update` and `withdraw` send as If-Match."""
    n = call(server, "GET", f"/v1/notices/{segment(resolve_notice(server, notice_id))}")
    if print_raw(n, as_json):
        return
    out = console()
    out.print(Text(_one_line(n, ""), style="bold"))
    out.print(Text(f'notice {n["id"]}, version {n["version"]} (If-Match: "{n["version"]}")'))
    _print_volumes(out, n.get("volumes") or [])


def _print_volumes(out: Console, volumes: list[Body]) -> None:
    title = "1 volume" if len(volumes) == 1 else f"{len(volumes)} volumes"
    table = Table(title=title, title_justify="left")
    for column in ("#", "footprint", "altitude", "window (UTC)"):
        table.add_column(column, overflow="fold")
    for i, v in enumerate(volumes):
        table.add_row(str(i), _footprint(v), _altitude(v), span(*_times(v)))
    out.print(table)


def _footprint(v: Body) -> str:
    shape = str((v.get("footprint") or {}).get("type", "?"))
    if v.get("radius_m"):
        return f"{shape}, radius {distance(v['radius_m'])}"
    if v.get("half_width_m"):
        return f"{shape}, half-width {distance(v['half_width_m'])}"
    return shape


def _altitude(v: Body) -> str:
    a = v.get("altitude") or {}
    return band(a.get("lower_m"), a.get("upper_m"))


def _times(v: Body) -> tuple[Any, Any]:
    t = v.get("time") or {}
    return t.get("start"), t.get("end")


def _current(
    server: str | None, notice_id: str, if_version: int | None
) -> tuple[str, Body, dict[str, str]]:
    """The notice's id, the notice as it is now, and the If-Match header for a write to it."""
    ident = resolve_notice(server, notice_id)
    n = call(server, "GET", f"/v1/notices/{segment(ident)}")
    return ident, n, {"If-Match": f'"{if_version or n["version"]}"'}


@notice_app.command("update")
def update(
    notice_id: IdArg,
    file: FileArg,
    kind: KindOpt = None,
    title: TitleOpt = None,
    audience_: AudienceOpt = None,
    protected: ProtectedOpt = None,
    window: WindowOpt = None,
    if_version: IfVersionOpt = None,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Replace your notice with FILE as a new version (sending If-Match); kind, title,
    audience and protection stay as they were unless FILE or an option changes them."""
    ident, was, held = _current(server, notice_id, if_version)
    body: Body = {k: was[k] for k in ("kind", "title", "protected", "audience") if k in was}
    body |= _read(file, window)
    body = _overrides(body, kind, title, audience_, protected)
    answer = call(server, "PUT", f"/v1/notices/{segment(ident)}", body, headers=held)
    _written(answer, "updated", as_json)


@notice_app.command("withdraw")
def withdraw(
    notice_id: IdArg,
    if_version: IfVersionOpt = None,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Withdraw your notice (sending If-Match); its conflicts resolve, its history stays."""
    ident, _, held = _current(server, notice_id, if_version)
    n = call(server, "DELETE", f"/v1/notices/{segment(ident)}", headers=held)
    if print_raw(n, as_json):
        return
    console().print("withdrew " + _one_line(n, ""))


@notice_app.command("export")
def export_notices(
    fmt: FormatOpt = "kml",
    out: OutOpt = None,
    kind: Annotated[NoticeKind | None, typer.Option("--kind", help="only this kind")] = None,
    party: Annotated[str | None, typer.Option("--party", help="only this party's")] = None,
    server: ServerOption = None,
) -> None:
    """Every notice you may see as KML (Google Earth: a Placemark per volume, with its time
    span) or GeoJSON, all pages of them."""
    params = {k: v for k, v in (("kind", kind and kind.value), ("party", party)) if v}
    export("notices", fmt, out, server, params)
