"""``deconfliction feed ...``: the host's feeds on the local database (``add``, ``list``,
``remove``, like ``member create``), and ``feed run``, one feed in its own process sending to a
running line over HTTP with a member's token (for a receiver far from the host)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import httpx
import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deconfliction import service
from deconfliction.cli.client import ServerOption, fail, load_config
from deconfliction.cli.ids import Unresolved, resolve, shorten
from deconfliction.cli.options import DbOption, db_url
from deconfliction.domain.feed import Feed, FeedKind, check_source
from deconfliction.errors import DeconflictionError
from deconfliction.feeds.sources import run_feed
from deconfliction.feeds.sources.remote import http_sink
from deconfliction.service.line import utc_now
from deconfliction.wire.members import member_state

__all__ = ["feed_app"]

feed_app = typer.Typer(help="A party's feeds: ADS-B receivers and AIS.", no_args_is_help=True)
add_app = typer.Typer(help="Add a feed the line runs (inside serve).", no_args_is_help=True)
run_app = typer.Typer(help="Run one feed here, sending to a line over HTTP.",
                      no_args_is_help=True)  # fmt: skip
feed_app.add_typer(add_app, name="add")
feed_app.add_typer(run_app, name="run")

PartyOption = Annotated[str, typer.Option(help="the party whose tracks it reports")]
SbsOption = Annotated[str | None, typer.Option(
    "--sbs", metavar="HOST:PORT", help="SBS-1 BaseStation text (dump1090/readsb port 30003)",
    show_default=False)]  # fmt: skip
JsonOption = Annotated[str | None, typer.Option(
    "--aircraft-json", metavar="URL", help="readsb/tar1090 aircraft.json, read every second",
    show_default=False)]  # fmt: skip
TcpOption = Annotated[str | None, typer.Option(
    "--tcp", metavar="HOST:PORT", help="NMEA !AIVDM sentences read from a TCP server",
    show_default=False)]  # fmt: skip
UdpOption = Annotated[str | None, typer.Option(
    "--udp", metavar="[HOST:]PORT", help="NMEA !AIVDM datagrams received on this address",
    show_default=False)]  # fmt: skip


def _one(flags: dict[FeedKind, str | None], names: str) -> tuple[FeedKind, str]:
    given = [(k, v) for k, v in flags.items() if v is not None]
    if len(given) != 1:
        raise fail(f"give exactly one of {names}")
    return given[0]


def _add(party: str, kind: FeedKind, source: str, db: str | None) -> None:
    line = service.open_line(db_url(db))
    try:
        view = service.add_feed(line, party, kind, source)
    except DeconflictionError as e:
        raise fail(e.reason) from None
    member = view.member
    typer.echo(f"feed {view.feed.id} of {view.feed.party}: {view.feed.kind.value} "
               f"{view.feed.source}, reporting as member {member.id if member else '?'}; "
               "serve runs it (revoke the member or `feed remove` to stop it)")  # fmt: skip


@add_app.command("adsb")
def add_adsb(party: PartyOption, sbs: SbsOption = None, aircraft_json: JsonOption = None,
             db: DbOption = None) -> None:  # fmt: skip
    """An ADS-B receiver: its aircraft become air tracks of the party (uid icao:XXXXXX)."""
    kind, source = _one({FeedKind.ADSB_SBS: sbs, FeedKind.ADSB_JSON: aircraft_json},
                        "--sbs or --aircraft-json")  # fmt: skip
    _add(party, kind, source, db)


@add_app.command("ais")
def add_ais(party: PartyOption, tcp: TcpOption = None, udp: UdpOption = None,
            db: DbOption = None) -> None:  # fmt: skip
    """An AIS source: its vessels become sea tracks of the party (uid mmsi:NNNNNNNNN)."""
    kind, source = _one({FeedKind.AIS_TCP: tcp, FeedKind.AIS_UDP: udp}, "--tcp or --udp")
    _add(party, kind, source, db)


@feed_app.command("list")
def feed_list(db: DbOption = None) -> None:
    """List the line's feeds and whether each runs (its member's state)."""
    line = service.open_line(db_url(db))
    views = service.list_feeds(line)
    now = line.clock()
    shown = shorten(v.feed.id for v in views)
    title = f"{len(views)} feed" + ("" if len(views) == 1 else "s")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("id", "party", "kind", "source", "member", "since", "state"):
        table.add_column(column, overflow="fold")
    for v in views:
        state = "runs" if v.member and member_state(v.member, now) == "active" else "stopped"
        table.add_row(shown[v.feed.id], v.feed.party, v.feed.kind.value, Text(v.feed.source),
                      v.feed.member, v.feed.created_at.strftime("%Y-%m-%d %H:%MZ"),
                      state)  # fmt: skip
    Console().print(table)


@feed_app.command("remove")
def feed_remove(
    feed_id: Annotated[
        str, typer.Argument(metavar="ID", help="the feed's id (or a unique head or tail of it)")
    ],  # fmt: skip
    db: DbOption = None,
) -> None:
    """Remove a feed and revoke its member: serve stops it within seconds."""
    line = service.open_line(db_url(db))
    try:
        ident = resolve(feed_id, [v.feed.id for v in service.list_feeds(line)], "feed")
        view = service.remove_feed(line, ident)
    except Unresolved as e:
        raise fail(str(e)) from None
    except DeconflictionError as e:
        raise fail(e.reason) from None
    typer.echo(f"feed {view.feed.id} ({view.feed.kind.value} {view.feed.source}) removed; "
               f"member {view.feed.member} revoked")  # fmt: skip


def _run(kind: FeedKind, source: str, server: str | None) -> None:
    try:
        source = check_source(kind, source)
    except DeconflictionError as e:
        raise fail(e.reason) from None
    cfg = load_config(server)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    feed = Feed(id="local", party="-", kind=kind, source=source, member="-",
                created_at=utc_now())  # fmt: skip

    async def running() -> None:
        headers = {"Authorization": f"Bearer {cfg.token}"}
        async with httpx.AsyncClient(base_url=cfg.server, headers=headers,
                                     timeout=httpx.Timeout(30.0)) as http:  # fmt: skip
            await run_feed(feed, http_sink(http), utc_now)

    try:
        asyncio.run(running())
    except KeyboardInterrupt:
        pass


@run_app.command("adsb")
def run_adsb(sbs: SbsOption = None, aircraft_json: JsonOption = None,
             server: ServerOption = None) -> None:  # fmt: skip
    """Read an ADS-B receiver here and report to the line as the member whose token is
    $DECONFLICTION_TOKEN (a coordinator of the party), at $DECONFLICTION_URL or --server."""
    kind, source = _one({FeedKind.ADSB_SBS: sbs, FeedKind.ADSB_JSON: aircraft_json},
                        "--sbs or --aircraft-json")  # fmt: skip
    _run(kind, source, server)


@run_app.command("ais")
def run_ais(tcp: TcpOption = None, udp: UdpOption = None, server: ServerOption = None) -> None:
    """Read an AIS source here and report to the line as the member whose token is
    $DECONFLICTION_TOKEN, at $DECONFLICTION_URL or --server."""
    kind, source = _one({FeedKind.AIS_TCP: tcp, FeedKind.AIS_UDP: udp}, "--tcp or --udp")
    _run(kind, source, server)
