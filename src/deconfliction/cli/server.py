"""Run the HTTP API under uvicorn, with the line's background duties and its other front doors
(TAK, the feeds) on the same event loop, after checking that its files are for its owner's eyes
only; the process's log in JSON or text (``api/logformat.py``); the scrape token of
``/metrics`` read from its owner-only file, or made there."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import resource
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from deconfliction import service
from deconfliction.api.app import create_app
from deconfliction.api.logformat import choose_format, configure, get_logger
from deconfliction.api.metrics import new_scrape_token
from deconfliction.api.serving import server
from deconfliction.cli.client import fail
from deconfliction.service import Line, LineConfig, open_line, warm_strategic

__all__ = ["FrontDoor", "check_files", "front_doors", "run", "scrape_token", "serve_line"]

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


def scrape_token(path: Path) -> str:
    """The scrape token of ``/metrics`` in ``path``; made there (owner-only, 256 random bits)
    when the file does not exist. Refused (exit 2) when others may read it, or it holds less
    than 32 characters or any space."""
    if not path.exists() and _make_token_file(path):
        get_logger(__name__).warning(
            "made a scrape token for /metrics: give Prometheus a copy (docs/deploy.md)",
            path=str(path),
        )
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise fail(f"{path} (mode {mode:o}): others on this machine can read the scrape token; "
                   f"make it owner-only with: chmod 600 {path}")  # fmt: skip
    token = path.read_text().strip()
    if len(token) < 32 or any(c.isspace() for c in token) or not token.isprintable():
        raise fail(f"{path}: a scrape token is one line of at least 32 characters, no spaces "
                   "(delete the file and the line makes one)")  # fmt: skip
    return token


def _make_token_file(path: Path) -> bool:
    """Write a new token to ``path`` whole or not at all: written beside it, then linked into
    place, so nodes starting together agree on one token. Whether this call made it."""
    spare = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(new_scrape_token() + "\n")
        os.link(spare, path)
        return True
    except FileExistsError:
        return False  # another node made it first: read theirs
    finally:
        spare.unlink(missing_ok=True)


def _more_files() -> None:
    # Each connection is a file descriptor: let the process use what the system allows it.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def run(
    config: LineConfig,
    allow_readable_files: bool = False,
    log_format: str | None = None,
    metrics_token_file: Path | None = None,
) -> None:
    """``deconfliction serve``: the log set up, the files checked, the line opened, and served
    (with ``/metrics`` for the scrape token in ``metrics_token_file``, when given)."""
    os.umask(0o077)  # whatever this process makes (database, WAL, key) is its owner's alone
    fmt = choose_format(log_format)
    configure(fmt)
    if metrics_token_file is not None:
        config = replace(config, metrics_token=scrape_token(metrics_token_file))
    check_files(config, allow_readable_files)
    _more_files()
    line = open_line(config)
    started = time.perf_counter()
    held = warm_strategic(line)  # the in-memory index of active volumes, before the first write
    took_s = round(time.perf_counter() - started, 1)
    # What start-up built lives as long as the process: out of the collector's sight, a full
    # collection no longer walks every held volume (2 s at a million, stopping every thread).
    gc.freeze()
    # The key is made (or loaded) now, at start, and its public half shown for parties to pin.
    vkey = line.signer.verifier().vkey()
    if fmt == "json":  # every line of a JSON log is JSON
        get_logger(__name__).info("active volumes held in memory", volumes=held, seconds=took_s)
        get_logger(__name__).info("record key", vkey=vkey)
    else:
        err = Console(stderr=True)
        err.print(f"{held:,} active volumes held in memory ({took_s:.1f} s)")
        err.print(f"The record is signed by [bold]{vkey}[/bold]", soft_wrap=True)
    serve_line(line, config, log_format=fmt)


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


def serve_line(
    line: Line,
    config: LineConfig,
    doors: list[FrontDoor] | None = None,
    log_format: str | None = None,
    log_requests: bool = True,
) -> None:
    """Serve ``line``'s HTTP API, with ``doors`` (default: :func:`front_doors`) open while it
    runs, on the event loop uvicorn would choose (uvloop where installed); the log in
    ``log_format`` (default: text on a terminal, else JSON), a line per request unless not
    ``log_requests``."""
    configure(choose_format(log_format))
    logging.getLogger("deconfliction.requests").setLevel(
        logging.NOTSET if log_requests else logging.WARNING
    )
    http = server(create_app(line, config), config)

    async def serving() -> None:
        async with contextlib.AsyncExitStack() as opened:
            for door in front_doors(config) if doors is None else doors:
                await opened.enter_async_context(door(line, config))
            await http.serve()

    with asyncio.Runner(loop_factory=http.config.get_loop_factory()) as runner:
        runner.run(serving())
