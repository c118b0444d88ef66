"""``deconfliction watch`` and ``deconfliction inbox``: a member's events from a running line.

``watch`` follows the Server-Sent Events stream and, after a dropped connection, resumes from the
last event it printed (``Last-Event-ID``), so nothing is lost or printed twice. ``inbox`` shows
what is new since the last look, remembered per server and member in a small state file.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deconfliction.cli.client import (
    ClientConfig,
    ServerOption,
    connect,
    err,
    fail,
    load_config,
    refused,
    state_path,
    unreachable,
)
from deconfliction.cli.names import Names
from deconfliction.cli.sayings import say
from deconfliction.cli.show import clock, severity_rank
from deconfliction.domain import Severity

__all__ = ["Printer", "follow", "inbox", "known_names", "parse_sse", "unreachable", "watch"]

BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 10.0
_PAGE = 1000

Event = dict[str, Any]


# -- reading the line ----------------------------------------------------------------------------


def parse_sse(lines: Iterable[str]) -> Iterator[Event]:
    """The events of a Server-Sent Events stream, decoded from their ``data`` field.

    >>> list(parse_sse([": hello", "id: 3", "event: notice.created", 'data: {"seq": 3}', ""]))
    [{'seq': 3}]
    """
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield orjson.loads("\n".join(data))
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        # comments (keep-alives), id and event repeat what the data says


def _params(kinds: str | None, parties: str | None) -> dict[str, str]:
    return {k: v for k, v in (("kinds", kinds), ("parties", parties)) if v}


def pages(client: httpx.Client, after: int, params: dict[str, str]) -> Iterator[list[Event]]:
    """``GET /v1/events`` page by page from ``after`` until the member has read everything."""
    while True:
        r = client.get("/v1/events", params={**params, "after": after, "limit": _PAGE})
        if r.status_code != 200:
            raise refused(r)
        body = r.json()
        if body["events"]:
            yield body["events"]
        if body["last"] <= after:
            return
        after = body["last"]


def follow(
    client: httpx.Client,
    after: int,
    params: dict[str, str],
    emit: Callable[[Event], None],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Print events as the stream brings them, forever, reconnecting after any drop.

    Each connection resumes after the last event emitted, and an event at or below it is
    skipped, so a reconnect neither loses nor repeats one. Waits between attempts double from
    0.5 s up to 10 s and start again once a connection is accepted. Until the line has answered
    once, each attempt says it cannot be reached, rather than that a connection was lost.
    """
    last = after
    delay = BACKOFF_START_S
    server = str(client.base_url).rstrip("/")
    connected = False
    while True:
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(last)}
        why = "the stream ended"
        try:
            with client.stream("GET", "/v1/events", params=params, headers=headers) as r:
                if r.status_code >= 500:
                    why = f"the line answered {r.status_code}"
                elif r.status_code != 200:
                    raise refused(r)
                else:
                    connected = True
                    delay = BACKOFF_START_S
                    for event in parse_sse(r.iter_lines()):
                        if event["seq"] > last:
                            emit(event)
                            last = event["seq"]
        except httpx.TransportError as e:
            if not connected:
                err.print(f"{unreachable(server)}; trying again in {delay:g} s", style="dim")
                sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
                continue
            why = f"connection lost ({type(e).__name__})"
        err.print(f"{why}; reconnecting in {delay:g} s after #{last}", style="dim")
        sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX_S)


# -- showing events ------------------------------------------------------------------------------

_STYLE = {
    "notice": "cyan",
    "conflict": "bold red",
    "message": "green",
    "escalation": "magenta",
    "probing": "magenta",
    "receipt": "dim",
}


def _kind(event: Event) -> Text:
    kind = str(event.get("kind", "event"))
    return Text(kind, style=_STYLE.get(kind.split(".")[0], ""))


class Printer:
    """One line per event: rich text in words, or the event as a JSON line; ``severity`` lets
    through only conflicts at that level or more urgent."""

    def __init__(
        self, as_json: bool, names: Names | None = None, severity: Severity | None = None
    ) -> None:
        self.as_json = as_json
        self.names = names or Names()
        self.severity = severity
        self.console = Console(highlight=False, soft_wrap=True)

    def admits(self, event: Event) -> bool:
        return self.severity is None or _urgent(event, self.severity)

    def __call__(self, event: Event) -> None:
        self.names.learn(event)
        if not self.admits(event):
            return
        if self.as_json:
            sys.stdout.write(orjson.dumps(event).decode() + "\n")
            sys.stdout.flush()
            return
        line = Text.assemble(
            (clock(event.get("at", "")), "dim"),
            f"  #{event.get('seq')}  ",
            _kind(event),
            "  ",
            say(event, self.names),
        )
        self.console.print(line)


def _urgent(event: Event, level: Severity) -> bool:
    c = event.get("conflict")
    return isinstance(c, dict) and severity_rank(c.get("severity")) <= level.rank


def known_names(client: httpx.Client) -> Names:
    """Titles of the notices and callsigns of the tracks the member may see now, to name them
    in events; whatever the line does not answer is simply not known."""
    names = Names()
    for path, learn in (("/v1/notices", names.learn_notices), ("/v1/tracks", names.learn_tracks)):
        try:
            r = client.get(path, params={"limit": _PAGE})
            if r.status_code == 200:
                learn(r.json()[path.rsplit("/", 1)[1]])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass
    return names


# -- the commands --------------------------------------------------------------------------------

After = Annotated[int, typer.Option(min=0, help="start after this sequence number")]
Kinds = Annotated[
    str | None,
    typer.Option(help="only these event kinds, comma-separated (e.g. conflict.opened)"),
]
Parties = Annotated[
    str | None, typer.Option(help="only changes made by these parties, comma-separated")
]
SeverityOpt = Annotated[
    Severity | None,
    typer.Option(
        "--severity",
        help="only conflicts at this level or more urgent (warning > caution > advisory)",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print each event as a JSON line")]
Once = Annotated[bool, typer.Option("--once", help="print the events there are now, then exit")]


def watch(
    server: ServerOption = None,
    after: After = 0,
    kinds: Kinds = None,
    parties: Parties = None,
    severity: SeverityOpt = None,
    as_json: AsJson = False,
    once: Once = False,
) -> None:
    """Print your events as they happen, one line each in words, resuming by itself after a
    dropped connection; Ctrl-C to stop.

    A line that cannot be reached is tried again (0.5 s, doubling to 10 s) until it answers.
    """
    cfg = load_config(server)
    params = _params(kinds, parties)
    try:
        with connect(cfg) as client:
            names = Names() if as_json else _try_names(client)
            out = Printer(as_json, names, severity)
            if once:
                for page in pages(client, after, params):
                    for event in page:
                        out(event)
                return
            follow(client, after, params, out)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    except BrokenPipeError:  # piped into `head` and the like: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except httpx.TransportError:
        raise fail(unreachable(cfg.server), 1) from None


def _try_names(client: httpx.Client) -> Names:
    try:
        return known_names(client)
    except httpx.TransportError:
        return Names()  # the stream says it cannot reach the line, and keeps trying


def _load_seen(path: Path) -> dict[str, int]:
    try:
        seen = json.loads(path.read_text())["seen"]
        return {str(k): int(v) for k, v in seen.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        err.print(f"the inbox state {path} is unreadable; starting afresh", style="yellow")
        return {}


def _save_seen(path: Path, seen: dict[str, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"seen": seen}, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _inbox_table(events: list[Event], title: str, names: Names) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("at (UTC)", no_wrap=True)
    table.add_column("event")
    table.add_column("what", overflow="fold", ratio=1)
    for e in events:
        table.add_row(str(e.get("seq")), clock(e.get("at", "")), _kind(e), say(e, names))
    return table


def _read_inbox(
    cfg: ClientConfig, after: int, params: dict[str, str], as_json: bool
) -> tuple[list[Event], int, Names]:
    events: list[Event] = []
    with connect(cfg) as client:
        for page in pages(client, after, params):
            events.extend(page)
        names = Names() if as_json else known_names(client)
    for e in events:
        names.learn(e)
    return events, max([after, *(e["seq"] for e in events)]), names


def inbox(
    server: ServerOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="every event you may see, not only the new ones")
    ] = False,
    kinds: Kinds = None,
    severity: SeverityOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='print {"events": [...], "last": N} as JSON')
    ] = False,
) -> None:
    """The events for your party that are new since you last looked (all of them with --all),
    each in words."""
    cfg = load_config(server)
    path = state_path()
    seen = _load_seen(path)
    since = 0 if show_all else seen.get(cfg.member_key, 0)
    try:
        events, newest, names = _read_inbox(cfg, since, _params(kinds, None), as_json)
    except httpx.TransportError:
        raise fail(unreachable(cfg.server), 1) from None
    if severity is not None:
        events = [e for e in events if _urgent(e, severity)]
    if as_json:
        sys.stdout.write(orjson.dumps({"events": events, "last": newest}).decode() + "\n")
    else:
        _print_inbox(events, since, cfg.server, names)
    if newest > seen.get(cfg.member_key, 0):
        seen[cfg.member_key] = newest
        try:
            _save_seen(path, seen)
        except OSError as e:
            err.print(f"could not remember what you have seen in {path}: {e}", style="yellow")


def _print_inbox(events: list[Event], since: int, server: str, names: Names) -> None:
    console = Console(highlight=False)
    if not events:
        console.print(f"nothing new since #{since}" if since else "no events yet")
    else:
        what = f"new since #{since}" if since else "events"
        console.print(_inbox_table(events, f"{len(events)} {what} on {server}", names))
