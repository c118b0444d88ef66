"""Run the HTTP API under uvicorn, with the line's background duties and its other front doors
(TAK, the feeds) on the same event loop, after checking that its files are for its owner's eyes
only."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from rich.console import Console
from rich.markup import escape

from deconfliction import service
from deconfliction.api.app import create_app
from deconfliction.api.serving import server
from deconfliction.cli.client import fail
from deconfliction.service import Line, LineConfig, open_line, warm_strategic

__all__ = ["FrontDoor", "check_files", "front_doors", "run", "serve_line"]

FrontDoor = Callable[[Line, LineConfig], AbstractAsyncContextManager[object]]
"""A front door beside the HTTP API: opened (listening, connecting) on entry, on the server's
event loop, before the API answers; closed on exit, after the API has stopped."""

err = Console(stderr=True, highlight=False, soft_wrap=True)


def check_files(config: LineConfig, allow_readable: bool = False) -> None:
    """Refuse to serve (exit 2) when the database or the key can be read by others on this
    machine; with ``allow_readable``, say so loudly and go on (never for the key)."""
    loose = service.loose_files(config)
    if not loose:
        return
    names = " ".join(str(f.path) for f in loose)
    said = ", ".join(str(f) for f in loose)
    what = (f"{said}: other users of this machine can read the line's "
            "database (every party's notices, the tokens' hashes) or its signing key")  # fmt: skip
    if allow_readable and not any(f.key for f in loose):
        err.print(f"[bold red]WARNING:[/bold red] {escape(what)}; serving anyway, as asked "
                  f"(chmod 600 {escape(names)} to close it)")  # fmt: skip
        return
    hint = "" if any(f.key for f in loose) else " (or serve with --allow-readable-files)"
    raise fail(f"{what}; make them owner-only with: chmod 600 {names}{hint}")


def _more_files() -> None:
    # Each connection is a file descriptor: let the process use what the system allows it.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def run(config: LineConfig, allow_readable_files: bool = False) -> None:
    os.umask(0o077)  # whatever this process makes (database, WAL, key) is its owner's alone
    check_files(config, allow_readable_files)
    _more_files()
    line = open_line(config)
    started = time.perf_counter()
    held = warm_strategic(line)  # the in-memory index of active volumes, before the first write
    Console(stderr=True).print(
        f"{held:,} active volumes held in memory ({time.perf_counter() - started:.1f} s)"
    )
    # The key is made (or loaded) now, at start, and its public half shown for parties to pin.
    Console(stderr=True).print(
        f"The record is signed by [bold]{line.signer.verifier().vkey()}[/bold]", soft_wrap=True
    )
    serve_line(line, config)


def front_doors(config: LineConfig) -> list[FrontDoor]:
    """The front doors ``config`` opens beside the HTTP API."""
    doors: list[FrontDoor] = []
    if config.tak.tls_port is not None or config.tak.port is not None:
        from deconfliction.feeds.tak.hub import tak_door

        doors.append(tak_door)

    if config.feeds:
        from deconfliction.feeds.sources import feeds_door

        doors.append(feeds_door)
    return doors


def serve_line(line: Line, config: LineConfig, doors: list[FrontDoor] | None = None) -> None:
    """Serve ``line``'s HTTP API, with ``doors`` (default: :func:`front_doors`) open while it
    runs, on the event loop uvicorn would choose (uvloop where installed)."""
    http = server(create_app(line, config), config)

    async def serving() -> None:
        async with contextlib.AsyncExitStack() as opened:
            for door in front_doors(config) if doors is None else doors:
                await opened.enter_async_context(door(line, config))
            await http.serve()

    with asyncio.Runner(loop_factory=http.config.get_loop_factory()) as runner:
        runner.run(serving())
