"""``deconfliction conflicts`` and ``deconfliction conflict show|ack``: the conflicts your party
is part of on a running line, most urgent first, each as your party may see it, and your party's
acknowledgement of one.
"""

from __future__ import annotations

from typing import Annotated

import typer
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
from deconfliction.cli.client import ServerOption
from deconfliction.cli.ids import shorten
from deconfliction.cli.listing import LimitOpt, fetch_all
from deconfliction.cli.names import Names
from deconfliction.cli.notice_io import FormatOpt, OutOpt, export
from deconfliction.cli.resolve import resolve_conflict
from deconfliction.cli.sayings import conflict_sides, conflict_when
from deconfliction.cli.show import clock, severity, severity_rank
from deconfliction.cli.units import distance
from deconfliction.domain import ConflictKind, Severity

__all__ = ["conflict_app", "conflicts", "sorted_conflicts"]

conflict_app = typer.Typer(
    help="One conflict your party is part of: show it, acknowledge it.", no_args_is_help=True
)

ConflictIdArg = Annotated[
    str, typer.Argument(metavar="ID", help="the conflict: its id, or a unique prefix or tail")
]
SeverityOpt = Annotated[
    Severity | None,
    typer.Option(
        "--severity",
        help="only this level or more urgent (warning > caution > advisory)",
        show_default=False,
    ),
]


def sorted_conflicts(found: list[Body]) -> list[Body]:
    """Most urgent first; then live before ended; then newest first."""
    newest = sorted(found, key=lambda c: str(c.get("updated_at") or c.get("detected_at")),
                    reverse=True)  # fmt: skip
    live = ("open", "acknowledged")
    return sorted(
        newest, key=lambda c: (severity_rank(c.get("severity")), c.get("status") not in live)
    )


def _names(server: str | None) -> Names:
    """Titles of the notices and callsigns of the tracks you may see, to name sides."""
    names = Names()
    names.learn_notices(fetch_all(server, "/v1/notices", "notices", 10_000).items)
    names.learn_tracks(fetch_all(server, "/v1/tracks", "tracks", 10_000).items)
    return names


def conflicts(
    live: Annotated[bool, typer.Option("--live", help="only open and acknowledged")] = False,
    kind: Annotated[
        ConflictKind | None, typer.Option("--kind", help="only this kind", show_default=False)
    ] = None,
    severity_: SeverityOpt = None,
    limit: LimitOpt = 100,
    server: ServerOption = None,
    as_json: AsJson = False,
    ids_only: IdsOnly = False,
) -> None:
    """The conflicts your party is part of, most urgent first (warning, caution, advisory)."""
    # the line filters, so that --limit counts only the conflicts asked for
    params: dict[str, str | list[str]] = {"live": "true"} if live else {}
    if kind is not None:
        params["kind"] = kind.value
    if severity_ is not None:
        params["severity"] = [s.value for s in Severity if s.rank <= severity_.rank]
    listed = fetch_all(server, "/v1/conflicts", "conflicts", limit, params)
    found = sorted_conflicts(listed.items)
    if print_raw({"conflicts": found}, as_json) or print_ids(found, ids_only):
        return
    out = console()
    if not found:
        out.print("no conflicts" + (" live" if live else "") + " for your party")
        return
    out.print(_table(found, _names(server)))
    if listed.more:
        out.print(f"the line has more than {limit}; see more with --limit")


def _table(found: list[Body], names: Names) -> Table:
    shown = shorten(str(c["id"]) for c in found)
    names.ids |= set(shown)
    table = Table(title=f"{len(found)} conflicts", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("what", overflow="fold", ratio=1)
    table.add_column("when (UTC)", overflow="fold", ratio=1)
    for c in found:
        table.add_row(
            shown[str(c["id"])],
            severity(c.get("severity")),
            str(c.get("kind", "")),
            str(c.get("status", "")),
            conflict_sides(c, names),
            conflict_when(c),
        )
    return table


@conflict_app.command("show")
def show(
    conflict_id: ConflictIdArg,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """One conflict your party is part of, as your party may see it."""
    c = call(server, "GET", f"/v1/conflicts/{segment(resolve_conflict(server, conflict_id))}")
    if print_raw(c, as_json):
        return
    names = _names(server)
    out = console()
    out.print(
        Text.assemble(
            severity(c.get("severity")),
            f" {c.get('kind')} conflict, {c.get('status')}: {conflict_sides(c, names)}",
            style="bold",
        )
    )
    rows: list[tuple[str, str]] = [("id", str(c["id"]))]
    if when := conflict_when(c):
        rows.append(("when", when))
    for label, key in (("loses separation", "t_in"), ("regains it", "t_out"),
                       ("closest approach", "cpa")):  # fmt: skip
        if c.get(key):
            rows.append((label, clock(c[key])))
    if "distance_m" in c:
        label = "distance at closest approach" if c.get("kind") == "tactical" else "distance"
        rows.append((label, distance(c["distance_m"])))
    for label, key in (("reason", "reason"), ("detail", "detail"), ("agreement", "agreement")):
        if c.get(key):
            rows.append((label, str(c[key])))
    for label, side in (("your side", c.get("mine")), ("other side", c.get("other"))):
        if side:
            rows.append((label, _side(side, names)))
    rows.append(("detected", clock(c.get("detected_at"))))
    if c.get("updated_at"):
        rows.append(("updated", clock(c["updated_at"])))
    for a in c.get("acknowledged_by") or []:
        rows.append((f"acknowledged by {a.get('party')}", _acknowledged(a)))
    for label, value in rows:
        out.print(Text.assemble((f"  {label:<28}", "dim"), value))
    if c.get("redacted"):
        out.print("  the other side is not shared with your party: only its party and times")


def _acknowledged(a: Body) -> str:
    who = f" by member {a['member']}" if a.get("member") else ""
    return f"{clock(a.get('at'))} ({a.get('severity')}){who}"


@conflict_app.command("ack")
def ack(
    conflict_id: ConflictIdArg,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Say that your party has seen this conflict and is acting (coordinators): it is then
    acknowledged for your party until it rises above its present severity; both sides are told."""
    cid = resolve_conflict(server, conflict_id)
    c = call(server, "POST", f"/v1/conflicts/{segment(cid)}/ack")
    if print_raw(c, as_json):
        return
    mine = (c.get("mine") or {}).get("party")
    own = [a for a in c.get("acknowledged_by") or [] if a.get("party") == mine]
    when = f" {_acknowledged(own[-1])}" if own else ""
    console().print(
        Text.assemble(
            severity(c.get("severity")),
            f" {c.get('kind')} conflict {shorten([cid])[cid]}: {mine} acknowledged{when}",
        )
    )


def _side(side: Body, names: Names) -> str:
    bits = [str(side.get("party"))]
    if side.get("notice"):
        volume = f", volume {side['volume']}" if side.get("volume") is not None else ""
        version = f" v{side['version']}" if side.get("version") is not None else ""
        bits.append(f"{names.notice(side['notice'])}{version}{volume} ({side['notice']})")
    if side.get("track"):
        bits.append(f"track {names.track(side.get('party'), side['track'])}")
    return ", ".join(bits)


@conflict_app.command("export")
def export_conflicts(
    fmt: FormatOpt = "kml",
    out: OutOpt = None,
    live: Annotated[bool, typer.Option("--live", help="only open and acknowledged")] = False,
    server: ServerOption = None,
) -> None:
    """Every conflict your party is told of, as KML (a Placemark each, styled by severity,
    with its time span) or GeoJSON, as the line shows them to you (redacted sides stay so)."""
    export("conflicts", fmt, out, server, {"live": "true"} if live else {})
