"""The ``deconfliction`` command: serve the line, manage parties and members, detect offline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from deconfliction.cli.admin import member_app, party_app
from deconfliction.cli.backup import backup
from deconfliction.cli.conflicts import conflict_app, conflicts
from deconfliction.cli.demo import demo
from deconfliction.cli.detect import detect_app
from deconfliction.cli.feeds import feed_app
from deconfliction.cli.keys import key_app
from deconfliction.cli.notices import notice_app
from deconfliction.cli.options import DbOption, HBuffer, TBuffer, VBuffer
from deconfliction.cli.parties import parties
from deconfliction.cli.record import record_app
from deconfliction.cli.tak import tak_package  # noqa: F401  (member tak-package)
from deconfliction.cli.talk import install as install_talk
from deconfliction.cli.tracks import tracks_app
from deconfliction.cli.watch import inbox, watch
from deconfliction.config import Limits, TakConfig

_LIMITS = Limits()
_TAK = TakConfig()
"""What ``serve`` limits by default."""

app = typer.Typer(
    help="Deconfliction Line: tell each other where you will be; learn of conflicts early.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(detect_app, name="detect")
app.add_typer(party_app, name="party")
app.add_typer(member_app, name="member")
app.add_typer(key_app, name="key")
app.add_typer(record_app, name="record")
app.add_typer(notice_app, name="notice")
app.add_typer(conflict_app, name="conflict")
app.add_typer(tracks_app, name="tracks")
app.add_typer(feed_app, name="feed")
app.command()(conflicts)
app.command()(parties)
app.command()(demo)
app.command()(backup)
app.command()(watch)
app.command()(inbox)
install_talk(app)  # thread, threads, request, reply, withdraw, note, ack, receipts


@app.command()
def serve(
    db: DbOption = None,
    sqlite_sync: Annotated[
        str | None,
        typer.Option(
            help="SQLite only: full (default) syncs each commit to disk before answering, so an "
            "acknowledged write survives a power cut; normal is faster but a power cut may lose "
            "writes already acknowledged (default: $DECONFLICTION_SQLITE_SYNC, else full)",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8470,
    h_buffer_m: HBuffer = 0.0,
    v_buffer_m: VBuffer = 0.0,
    t_buffer_s: TBuffer = 0.0,
    scan_interval_s: Annotated[
        float,
        typer.Option(min=0.0, max=3600.0, help="scan live tracks this often (0: only on demand)"),
    ] = 1.0,
    lookahead_s: Annotated[
        float, typer.Option(min=1.0, max=3600.0, help="how far ahead scans look, seconds")
    ] = 300.0,
    key_file: Annotated[
        Path | None,
        typer.Option(
            help="the record's signing key, made owner-only at first start (default: "
            "$DECONFLICTION_KEY, or beside the SQLite file, or ./deconfliction.key)",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="the line's name, fixed when its key is made", show_default=False),
    ] = None,
    record_interval_s: Annotated[
        float,
        typer.Option(min=0.1, max=3600.0, help="sign a checkpoint over new events this often"),
    ] = 2.0,
    warning_s: Annotated[
        float,
        typer.Option(min=0.0, max=3600.0, help="warning: separation lost within this, seconds"),
    ] = 60.0,
    caution_s: Annotated[
        float,
        typer.Option(min=0.0, max=3600.0, help="caution: separation lost within this, seconds"),
    ] = 180.0,
    strategic_caution_s: Annotated[
        float,
        typer.Option(
            min=0.0, max=30 * 86400.0, help="caution: two volumes overlap within this, seconds"
        ),
    ] = 3600.0,
    budget_writes: Annotated[
        int,
        typer.Option(
            min=1, help="notice creates, updates and withdrawals one party may make in any 24 h"
        ),
    ] = 1000,
    budget_probes: Annotated[
        int,
        typer.Option(
            min=1,
            help="units one party may spend in any 24 h on changing or withdrawing a notice "
            "within 10 min of its last version, or changing its buffers (5 each)",
        ),
    ] = 60,
    no_budgets: Annotated[
        bool, typer.Option("--no-budgets", help="no budgets on notice changes (a trusted line)")
    ] = False,
    tiles: Annotated[
        str | None,
        typer.Option(
            help="the console's detailed map: an operator's raster tile URL template, "
            "http(s)://host/{z}/{x}/{y}.png",
            show_default=False,
        ),
    ] = None,
    pmtiles: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            readable=True,
            help="the console's detailed map: a local raster PMTiles file the line serves",
            show_default=False,
        ),
    ] = None,
    tiles_attribution: Annotated[
        str, typer.Option(help="credit shown on the console's map for --tiles or --pmtiles")
    ] = "",
    tls_cert: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="serve HTTPS with this certificate chain (PEM), and send HSTS",
            show_default=False,
        ),  # fmt: skip
    ] = None,
    tls_key: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="the private key of --tls-cert (PEM)",
            show_default=False,
        ),  # fmt: skip
    ] = None,
    rate_member: Annotated[
        str, typer.Option(help="requests one member may make (off: no limit)")
    ] = _LIMITS.member or "off",
    rate_party: Annotated[
        str, typer.Option(help="requests all members of one party may make")
    ] = _LIMITS.party or "off",
    rate_anonymous: Annotated[
        str, typer.Option(help="requests with a missing or refused token, per client address")
    ] = _LIMITS.anonymous or "off",
    rate_upload_kib: Annotated[
        str, typer.Option(help="KiB of request bodies one party may send")
    ] = _LIMITS.upload or "off",
    heavy_at_once: Annotated[
        int,
        typer.Option(
            min=0,
            max=64,
            help=f"requests with bodies of {_LIMITS.heavy_bytes // 1024} "
            "KiB or more worked on at once; the rest wait (0: no cap)",
        ),  # fmt: skip
    ] = _LIMITS.heavy_at_once or 0,
    header_timeout_s: Annotated[
        float, typer.Option(min=0.1, max=3600.0, help="time for a request's headers to arrive")
    ] = _LIMITS.header_timeout_s or 10.0,
    body_timeout_s: Annotated[
        float, typer.Option(min=0.1, max=86400.0, help="time for a request's body to arrive")
    ] = _LIMITS.body_timeout_s or 60.0,
    connections_per_client: Annotated[
        int,
        typer.Option(
            min=0,
            max=1_000_000,
            help="connections one client address may hold "
            "(0: no cap; behind a proxy, cap at the proxy)",
        ),  # fmt: skip
    ] = _LIMITS.connections_per_client or 0,
    tak_tls_port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65535,
            help="TAK over TLS (members' certificates); opens once the line "
            "has a TAK CA (`member tak-package` makes it)",
        ),  # fmt: skip
    ] = 8089,
    tak_host: Annotated[str, typer.Option(help="address the TAK TLS port listens on")] = "0.0.0.0",
    tak_port: Annotated[
        int, typer.Option(min=0, max=65535, help="plain TAK for --tak-gateway-member, loopback")
    ] = 8087,
    tak_gateway_member: Annotated[
        str | None,
        typer.Option(
            help="open the plain TAK port (loopback) as this member: any process on this "
            "machine may then speak as it",
            show_default=False,
        ),  # fmt: skip
    ] = None,
    tak_rate: Annotated[
        float,
        typer.Option(min=0, help="events a second one TAK connection may send (0: no limit)"),
    ] = _TAK.rate or 0.0,
    tak_connections_per_member: Annotated[
        int, typer.Option(min=1, help="open TAK connections one member may hold")
    ] = _TAK.per_member,
    tak_connections_per_address: Annotated[
        int, typer.Option(min=1, help="open TAK connections one client address may hold")
    ] = _TAK.per_address,
    no_tak: Annotated[bool, typer.Option("--no-tak", help="open no TAK port")] = False,
    tak_share: Annotated[
        str | None,
        typer.Option(
            help="share positions reported over TAK with: all, or parties (a,b); "
            "default: the reporting party's own (others are told the conflicts)",
            show_default=False,
        ),  # fmt: skip
    ] = None,
    no_feeds: Annotated[
        bool, typer.Option("--no-feeds", help="do not run the line's ADS-B and AIS feeds")
    ] = False,
    nats: Annotated[
        str | None,
        typer.Option(
            help="one of several nodes over one PostgreSQL database: tell each other of new "
            "events through this NATS server, nats://host:4222 (default: $DECONFLICTION_NATS)",
            show_default=False,
        ),  # fmt: skip
    ] = None,
    allow_readable_files: Annotated[
        bool,
        typer.Option(
            help="serve even when others on this machine can read the database "
            "(warn instead of refusing; never for the key)"
        ),  # fmt: skip
    ] = False,
    log_format: Annotated[
        str | None,
        typer.Option(
            help="the log: json (one object a line) or text; default: text on a terminal, "
            "json otherwise",
            show_default=False,
        ),  # fmt: skip
    ] = None,
    metrics_token_file: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="serve /metrics to whoever sends the scrape token in this owner-only file "
            "(made with a new token if missing); without it, to nobody",
            show_default=False,
        ),  # fmt: skip
    ] = None,
) -> None:
    """Serve the HTTP API and the console at / (migrating the store first), scan live tracks
    every second and sign the record every two seconds. Rates are counts per period:
    600/minute, 10/second."""
    from deconfliction.api.logformat import choose_format
    from deconfliction.api.rates import rate
    from deconfliction.cli.server import run
    from deconfliction.config import ConsoleConfig, Environment, LineConfig
    from deconfliction.detect.settings import ScanSettings
    from deconfliction.domain import AlertLevels, Buffers
    from deconfliction.domain.probing import Budgets

    env = Environment.read()
    sync = (sqlite_sync or env.sqlite_sync or "full").lower()
    if sync not in ("full", "normal"):
        raise typer.BadParameter(f"full or normal, not {sync!r}", param_hint="--sqlite-sync")
    try:
        alerts = AlertLevels(warning_s, caution_s, strategic_caution_s)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--warning-s") from exc
    if tiles is not None and not _tile_template(tiles):
        raise typer.BadParameter(
            "an http(s) URL with {z}, {x} and {y} in it, e.g. https://tiles.example/{z}/{x}/{y}.png",
            param_hint="--tiles",
        )
    if tiles is not None and pmtiles is not None:
        raise typer.BadParameter("give --tiles or --pmtiles, not both", param_hint="--pmtiles")
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give --tls-cert and --tls-key together", param_hint="--tls-key")
    try:
        choose_format(log_format)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--log-format") from None
    limits = replace(
        _LIMITS,
        member=rate_member,
        party=rate_party,
        anonymous=rate_anonymous,
        upload=rate_upload_kib,
        heavy_at_once=heavy_at_once or None,
        header_timeout_s=header_timeout_s,
        body_timeout_s=body_timeout_s,
        connections_per_client=connections_per_client or None,
    )
    rates = {
        "--rate-member": rate_member,
        "--rate-party": rate_party,
        "--rate-anonymous": rate_anonymous,
        "--rate-upload-kib": rate_upload_kib,
    }
    for flag, text in rates.items():
        try:
            rate(text, flag)
        except ValueError as exc:
            raise typer.BadParameter(str(exc).partition(": ")[2], param_hint=flag) from None
    key_path = key_file or (Path(env.key) if env.key else None)
    ca = LineConfig(db_url=env.db_url(db), key_path=key_path).tak_ca_path
    tak = TakConfig(
        host=tak_host,
        tls_port=None if no_tak or ca is None or not ca.exists() else tak_tls_port,
        port=None if no_tak or tak_gateway_member is None else tak_port,
        gateway_member=tak_gateway_member,
        rate=tak_rate or None,
        per_member=tak_connections_per_member,
        per_address=tak_connections_per_address,
        share=_share(tak_share),
    )
    run(
        LineConfig(
            db_url=env.db_url(db),
            sqlite_sync=sync,
            key_path=key_path,
            tak=tak,
            name=name,
            buffers=Buffers(h_buffer_m, v_buffer_m, t_buffer_s),
            alerts=alerts,
            budgets=(
                Budgets(writes=None, probes=None)
                if no_budgets
                else Budgets(writes=budget_writes, probes=budget_probes)
            ),
            scan=ScanSettings(lookahead_s=lookahead_s),
            scan_interval_s=scan_interval_s or None,
            record_interval_s=record_interval_s,
            host=host,
            port=port,
            console=ConsoleConfig(tiles=tiles, pmtiles=pmtiles, attribution=tiles_attribution),
            limits=limits,
            tls_cert=tls_cert,
            tls_key=tls_key,
            feeds=not no_feeds,
            nats_url=nats or env.nats,
        ),
        allow_readable_files,
        log_format,
        metrics_token_file,
    )


def _share(text: str | None) -> str | tuple[str, ...] | None:
    """``--tak-share``: ``all``, or party slugs joined by commas."""
    if text is None or text.strip() == "all":
        return None if text is None else "all"
    from deconfliction.domain import check_slug
    from deconfliction.errors import InvalidInput

    try:
        return tuple(check_slug(p.strip(), "--tak-share") for p in text.split(","))
    except InvalidInput as exc:
        raise typer.BadParameter(exc.reason, param_hint="--tak-share") from None


def _tile_template(url: str) -> bool:
    """An http(s) tile URL template naming {z}, {x} and {y}."""
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and all(p in url for p in ("{z}", "{x}", "{y}"))
    )
