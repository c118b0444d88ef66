"""``deconfliction demo``: load the seed scenario, print how to sign in and what to watch for,
and with ``--serve`` play its story live on the served line.

The scenario and its story are read in ``cli.scenario``; the story plays in ``demo.story``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from deconfliction import service
from deconfliction.cli.scenario import Loaded, load_scenario, read_scenario, top_speed
from deconfliction.config import TakConfig
from deconfliction.domain import Role
from deconfliction.domain.limits import MAX_GS_MPS

__all__ = ["Loaded", "demo", "load_scenario"]

DEMO_DB = "deconfliction-demo.db"


def _speed(value: float) -> float:
    """``--speed``, checked: more than 0, and no faster than the line takes the reports."""
    if not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(
            f"must be a number more than 0 (2 plays the story twice as fast), not {value:g}",
            param_hint="--speed",
        )
    top, callsign, mps = top_speed(read_scenario())
    if value > top:
        raise typer.BadParameter(
            f"must be at most {top:.1f}: at {value:g} times as fast, {callsign} ({mps:g} m/s) "
            f"would report more than the line's {MAX_GS_MPS:,.0f} m/s",
            param_hint="--speed",
        )
    return value


def _clock(at: datetime) -> str:
    return f"{at.astimezone(UTC):%H:%M:%S}Z"


def _print_sign_in(console: Console, loaded: Loaded, names: dict[str, str], url: str) -> None:
    console.print(f"The console: [bold]{url}[/bold]", soft_wrap=True)
    table = Table(
        title="Sign in as a party: open the console, paste its token in the Token field and "
        "press Sign in",
    )
    table.add_column("party", no_wrap=True)
    table.add_column("name")
    table.add_column("token", no_wrap=True)  # whole, or it cannot be pasted
    for slug, token in loaded.tokens.items():
        table.add_row(slug, names.get(slug, ""), token)
    console.print(table)


def _print_story(console: Console, loaded: Loaded, serve: bool) -> None:
    story = loaded.story
    speed = story.pace.speed
    title = (
        f"What happens (at {speed:g} times as fast as written)"
        if serve
        else ("What happens with --serve (not playing now)")
    )
    table = Table("at (UTC)", "in", "beat", title=title)
    for beat in story.beats:
        wait = beat.at_s / speed
        table.add_row(
            _clock(story.when(beat)), f"+{int(wait // 60)}:{int(wait % 60):02d}", beat.say
        )
    console.print(table)
    console.print(
        "Then the story rests: aircraft keep their last routes, the convoy stays stopped."
    )


def _tak(
    console: Console, line: service.Line, db: str, host: str, port: int, tls_port: int
) -> TakConfig:
    """The demo's TAK ports, and how to reach them: the plain one as a gateway member of the
    coalition (anything on this machine may send it CoT), TLS for a phone's data package."""
    gateway = None
    if port:
        gateway, _ = service.create_member(line, "coalition", Role.COORDINATOR, "TAK gateway")
        console.print(
            f"TAK: CoT sent over plain TCP to 127.0.0.1:{port} (a gateway, pytak, or "
            f"[bold]nc 127.0.0.1 {port}[/bold]) reports as the coalition",
            soft_wrap=True,
        )
    if tls_port:
        console.print(
            f"TAK over TLS on {host}:{tls_port}: make a phone's data package with "
            f"[bold]deconfliction member tak-package --party coalition --db {db} "
            f"--host {host}[/bold] and import it in ATAK, iTAK or WinTAK (docs/interop.md)",
            soft_wrap=True,
        )
    return TakConfig(
        host=host,
        tls_port=tls_port or None,
        port=port or None,
        gateway_member=None if gateway is None else gateway.id,
    )


def demo(
    db: Annotated[str, typer.Option(help="database URL for the demo")] = f"sqlite:///{DEMO_DB}",
    serve: Annotated[
        bool, typer.Option("--serve", help="serve the line and play the story live")
    ] = False,
    host: Annotated[str, typer.Option(help="address to listen on with --serve")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port with --serve")] = 8470,
    tak_port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65535,
            help="with --serve, plain CoT on this port as the coalition's "
            "TAK gateway, on loopback (0: shut)",
        ),  # fmt: skip
    ] = 8087,
    tak_tls_port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65535,
            help="with --serve, TAK over TLS for members' certificates "
            "(`member tak-package`) on --host (0: shut)",
        ),  # fmt: skip
    ] = 8089,
    speed: Annotated[
        float,
        typer.Option(
            callback=_speed,
            help="play the story this many times as fast (more than 0; aircraft report their "
            "ground speed times this, so at most about 9)",
        ),
    ] = 1.0,
) -> None:
    """Load the demo scenario (three parties around Deir ez-Zor) into a fresh database; with
    --serve, serve it and play its story live."""
    if db == f"sqlite:///{DEMO_DB}":
        for suffix in ("", "-wal", "-shm"):
            Path(DEMO_DB + suffix).unlink(missing_ok=True)
    line = service.open_line(db)
    loaded = load_scenario(line, speed)
    tokens = loaded.tokens
    names = {p["slug"]: p["name"] for p in read_scenario()["parties"]}
    console = Console()
    base = f"http://{host}:{port}"
    _print_sign_in(console, loaded, names, f"{base}/")
    _print_story(console, loaded, serve)
    un = tokens["un-ocha"]
    coalition = f"DECONFLICTION_URL={base} DECONFLICTION_TOKEN={tokens['coalition']}"
    console.print("Or from a shell, once the line is up:")
    console.print(f"  curl -s -H 'Authorization: Bearer {un}' {base}/v1/conflicts", soft_wrap=True)
    console.print(
        f"  {coalition} deconfliction watch   # every change, as it happens", soft_wrap=True
    )
    console.print(
        f"  DECONFLICTION_URL={base} DECONFLICTION_TOKEN={un} deconfliction record evidence "
        f"--notice {loaded.notice_ids[2]}   # the convoy: versions, receipts, signatures",
        soft_wrap=True,
    )
    console.print(f"The record is signed by {line.signer.verifier().vkey()}", soft_wrap=True)
    console.print(f"API docs: {base}/docs   loaded {datetime.now(UTC):%H:%MZ}")
    if serve:
        from deconfliction.cli.server import serve_line

        console.print("Assets report every 2 s; the line scans live tracks every second.")
        tak = _tak(console, line, db, host, tak_port, tak_tls_port)
        playing = loaded.story.playing()
        playing.start()
        try:
            config = service.LineConfig(db_url=db, host=host, port=port, scan=loaded.scan, tak=tak)
            serve_line(line, config, log_requests=False)  # assets report every 2 s
        finally:
            playing.stop()
