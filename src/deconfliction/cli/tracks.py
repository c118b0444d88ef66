"""``deconfliction tracks``: report your assets' states to a running line from a file, and list
the live tracks you may see (``cli/track_files.py`` reads the files)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from deconfliction.cli.calls import AsJson, Body, call, console, print_raw
from deconfliction.cli.client import ServerOption, fail
from deconfliction.cli.listing import LimitOpt, fetch_all
from deconfliction.cli.notice_io import FormatOpt, OutOpt, export
from deconfliction.cli.show import hhmm
from deconfliction.cli.track_files import BadReports, read_reports
from deconfliction.cli.units import altitude, speed
from deconfliction.domain import TrackDomain
from deconfliction.domain.limits import MAX_REPORTS

__all__ = ["tracks_app"]

tracks_app = typer.Typer(
    help="Live tracks: report your assets' states, list the tracks you may see.",
    no_args_is_help=True,
)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@tracks_app.command("post")
def post(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="CSV (as `detect tracks` reads: id, lat, lon, alt_m, gs_mps, trk_deg, vs_mps; "
            "optional callsign, domain, time, movement), NDJSON or a JSON array; - for stdin",
        ),
    ],
    domain: Annotated[
        TrackDomain, typer.Option("--domain", help="for reports that do not say")
    ] = TrackDomain.AIR,
    audience_: Annotated[
        list[str] | None,
        typer.Option(
            "--audience",
            help="a party to share them with (repeatable), or all; "
            "default: as before, else only your party",
        ),
    ] = None,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Report your assets' states (reports without a time are stamped now); the line scans
    them every second for conflicts."""
    defaults: Body = {"domain": domain.value, "time": _now()}
    if audience_:
        defaults["audience"] = "all" if audience_ == ["all"] else audience_
    try:
        reports = read_reports(file, defaults)
    except BadReports as e:
        raise fail(str(e)) from None
    total = {"accepted": 0, "ignored": 0, "rejected": 0}
    for start in range(0, len(reports), MAX_REPORTS):
        answer = call(server, "POST", "/v1/tracks", reports[start : start + MAX_REPORTS])
        for k in total:
            total[k] += int(answer.get(k, 0))
    if print_raw(total, as_json):
        return
    console().print(
        f"{len(reports)} reports: {total['accepted']} accepted, {total['ignored']} ignored "
        "(older than the track's latest)"
    )


@tracks_app.command("list")
def list_tracks(
    domain: Annotated[
        TrackDomain | None, typer.Option("--domain", help="only this domain", show_default=False)
    ] = None,
    stale: Annotated[bool, typer.Option("--stale", help="also tracks gone stale")] = False,
    limit: LimitOpt = 100,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Tracks you may see: your party's and those shared with you; live ones unless --stale."""
    params = {k: v for k, v in (("domain", domain and domain.value), ("stale", stale and "true"))
              if v}  # fmt: skip
    listed = fetch_all(server, "/v1/tracks", "tracks", limit, params)
    if print_raw({"tracks": listed.items}, as_json):
        return
    out = console()
    if not listed.items:
        out.print("no live tracks you may see")
        return
    table = Table(title=f"{len(listed.items)} tracks", title_justify="left")
    table.add_column("asset", overflow="fold")
    table.add_column("party", overflow="fold")
    table.add_column("position", no_wrap=True)
    table.add_column("altitude", overflow="fold")
    table.add_column("speed, track", overflow="fold")
    table.add_column("at (UTC)", no_wrap=True)
    for t in listed.items:
        asset = f"{t['callsign']} ({t['uid']})" if t.get("callsign") else str(t["uid"])
        table.add_row(
            f"{asset}, {t.get('domain')}",
            str(t["party"]),
            f"{t['lat']:.4f}, {t['lon']:.4f}",
            altitude(t["alt_m"]) + (f", {_climb(t['vs_mps'])}" if t.get("vs_mps") else ""),
            f"{speed(t['gs_mps'])} {t['trk_deg']:03.0f}°",
            hhmm(t["time"]),
        )
    out.print(table)
    if listed.more:
        out.print(f"the line has more than {limit}; see more with --limit")


def _climb(vs_mps: float) -> str:
    return ("climbing " if vs_mps > 0 else "descending ") + speed(abs(vs_mps))


@tracks_app.command("export")
def export_tracks(
    fmt: FormatOpt = "kml",
    out: OutOpt = None,
    server: ServerOption = None,
) -> None:
    """The live tracks you may see as KML (a Point each, valid until stale) or GeoJSON."""
    export("tracks", fmt, out, server)
