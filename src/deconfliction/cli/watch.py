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
from datetime import datetime
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
)

__all__ = ["follow", "inbox", "parse_sse", "summary", "watch"]

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
    0.5 s up to 10 s and start again once a connection is accepted.
    """
    last = after
    delay = BACKOFF_START_S
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
                    delay = BACKOFF_START_S
                    for event in parse_sse(r.iter_lines()):
                        if event["seq"] > last:
                            emit(event)
                            last = event["seq"]
        except httpx.TransportError as e:
            why = f"connection lost ({type(e).__name__})"
        err.print(f"{why}; reconnecting in {delay:g} s after #{last}", style="dim")
        sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX_S)


# -- showing events ------------------------------------------------------------------------------


def _clock(text: Any) -> str:
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%SZ")
    except (TypeError, ValueError):
        return str(text)


def _span(start: str, end: str) -> str:
    """A window as ``11-25 13:00Z to 15:00Z`` (the end's date only when it differs)."""
    try:
        a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except (TypeError, ValueError):
        return f"{start} to {end}"
    tail = "%H:%MZ" if a.date() == b.date() else "%m-%d %H:%MZ"
    return f"{a.strftime('%m-%d %H:%MZ')} to {b.strftime(tail)}"


def _audience(value: Any) -> str:
    if value == "all":
        return "shared with all"
    if not value:
        return "not shared"
    return "shared with " + ", ".join(map(str, value))


def _notice(n: Event) -> str:
    kind = n.get("kind", "notice") + (", protected" if n.get("protected") else "")
    title = n.get("title") or "(untitled)"
    return (
        f'{n.get("party", "?")}: "{title}" ({kind}, {n.get("state", "?")}, '
        f"v{n.get('version', '?')}, {_audience(n.get('audience'))})"
    )


def _conflict(c: Event) -> str:
    other = (c.get("other") or {}).get("party", "?")
    out = f"{c.get('kind', '?')} {c.get('status', '?')} with {other}"
    if "t_in" in c:
        out += f", in at {_clock(c['t_in'])}"
    elif "window" in c:
        out += f", {_span(c['window']['start'], c['window']['end'])}"
    if "distance_m" in c:
        out += f", {c['distance_m']:,.0f} m apart"
    if c.get("reason"):
        out += f" ({c['reason']})"
    return out


def _short_id(value: Any) -> str:
    return str(value)[:8]


def _message(m: Event) -> str:
    kind = str(m.get("kind", "message"))
    what = m.get("request") or m.get("reply")
    out = f"{m.get('party', '?')}: {kind}" + (f" {what}" if what else "")
    if m.get("to"):
        out += f" to {m['to']}"
    if kind == "request" and m.get("deadline"):
        out += f", answer by {_clock(m['deadline'])}"
    if m.get("reason"):
        out += f" ({m['reason']})"
    return out + (f': "{m["text"]}"' if m.get("text") else "")


def _escalation(e: Event) -> str:
    if e.get("about") == "acknowledgement":
        missing = ", ".join(map(str, e.get("missing") or [])) or "?"
        return (
            f'{e.get("party", "?")}: "{e.get("title") or _short_id(e.get("notice"))}" '
            f"v{e.get('version', '?')} not acknowledged by {missing}, due {_clock(e.get('due'))}"
        )
    if e.get("about") == "request":
        return (
            f"request {_short_id(e.get('message'))} from {e.get('from', '?')} to "
            f"{e.get('to', '?')} unanswered, due {_clock(e.get('deadline'))}"
        )
    return f"{e.get('about', 'a deadline')} passed"


def _receipt(r: Event) -> str:
    state = "acknowledged" if r.get("acknowledged_at") else "received"
    return f"{r.get('party', '?')} {state} notice {_short_id(r.get('notice'))} v{r.get('version')}"


def _receipts(rs: list[Any]) -> str:
    """Receipts of one notice version: who has received it, who has acknowledged it."""
    rs = [r for r in rs if isinstance(r, dict)]
    if not rs:
        return "receipts"
    acked = [str(r.get("party")) for r in rs if r.get("acknowledged_at")]
    got = [str(r.get("party")) for r in rs if not r.get("acknowledged_at")]
    what = f"notice {_short_id(rs[0].get('notice'))} v{rs[0].get('version')}"
    parts = []
    if got:
        parts.append(f"{', '.join(got)} received")
    if acked:
        parts.append(f"{', '.join(acked)} acknowledged")
    return " and ".join(parts) + f" {what}"


def summary(event: Event) -> str:
    """A short human line for an event: what happened and between whom."""
    if isinstance(event.get("notice"), dict):
        return _notice(event["notice"])
    if isinstance(event.get("conflict"), dict):
        return _conflict(event["conflict"])
    if isinstance(event.get("message"), dict):
        return _message(event["message"])
    if isinstance(event.get("escalation"), dict):
        return _escalation(event["escalation"])
    if isinstance(event.get("receipts"), list):
        return _receipts(event["receipts"])
    if isinstance(event.get("receipt"), dict):
        return _receipt(event["receipt"])
    rest = {k: v for k, v in event.items() if k not in ("seq", "kind", "at", "subject", "party")}
    text = orjson.dumps(rest).decode()
    return text if len(text) <= 120 else text[:119] + "…"


_STYLE = {
    "notice": "cyan",
    "conflict": "bold red",
    "message": "green",
    "escalation": "magenta",
    "receipt": "dim",
}


def _kind(event: Event) -> Text:
    kind = str(event.get("kind", "?"))
    return Text(kind, style=_STYLE.get(kind.split(".")[0], ""))


class Printer:
    """One line per event: rich text, or the event as a JSON line."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.console = Console(highlight=False, soft_wrap=True)

    def __call__(self, event: Event) -> None:
        if self.as_json:
            sys.stdout.write(orjson.dumps(event).decode() + "\n")
            sys.stdout.flush()
            return
        line = Text.assemble(
            (_clock(event.get("at", "")), "dim"),
            f"  #{event.get('seq')}  ",
            _kind(event),
            "  ",
            summary(event),
        )
        self.console.print(line)


# -- the commands --------------------------------------------------------------------------------

After = Annotated[int, typer.Option(min=0, help="start after this sequence number")]
Kinds = Annotated[
    str | None,
    typer.Option(help="only these event kinds, comma-separated (e.g. conflict.opened)"),
]
Parties = Annotated[
    str | None, typer.Option(help="only changes made by these parties, comma-separated")
]
AsJson = Annotated[bool, typer.Option("--json", help="print each event as a JSON line")]
Once = Annotated[bool, typer.Option("--once", help="print the events there are now, then exit")]


def watch(
    server: ServerOption = None,
    after: After = 0,
    kinds: Kinds = None,
    parties: Parties = None,
    as_json: AsJson = False,
    once: Once = False,
) -> None:
    """Print your events as they happen (one a line), resuming by itself after a dropped
    connection; Ctrl-C to stop."""
    cfg = load_config(server)
    out = Printer(as_json)
    params = _params(kinds, parties)
    try:
        with connect(cfg) as client:
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
    except httpx.TransportError as e:
        raise fail(f"cannot reach the line at {cfg.server} ({type(e).__name__})", 1) from None


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


def _inbox_table(events: list[Event], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("at (UTC)")
    table.add_column("event")
    table.add_column("by")
    table.add_column("what", overflow="fold")
    for e in events:
        table.add_row(
            str(e.get("seq")),
            _clock(e.get("at", "")),
            _kind(e),
            str(e.get("party", "")),
            summary(e),
        )
    return table


def _read_inbox(cfg: ClientConfig, after: int) -> tuple[list[Event], int]:
    events: list[Event] = []
    with connect(cfg) as client:
        for page in pages(client, after, {}):
            events.extend(page)
    return events, max([after, *(e["seq"] for e in events)])


def inbox(
    server: ServerOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="every event you may see, not only the new ones")
    ] = False,
) -> None:
    """The events for your party that are new since you last looked (all of them with --all)."""
    cfg = load_config(server)
    path = state_path()
    seen = _load_seen(path)
    since = 0 if show_all else seen.get(cfg.member_key, 0)
    try:
        events, newest = _read_inbox(cfg, since)
    except httpx.TransportError as e:
        raise fail(f"cannot reach the line at {cfg.server} ({type(e).__name__})", 1) from None
    console = Console(highlight=False)
    if not events:
        console.print(f"nothing new since #{since}" if since else "no events yet")
    else:
        what = f"new since #{since}" if since else "events"
        console.print(_inbox_table(events, f"{len(events)} {what} on {cfg.server}"))
    if newest > seen.get(cfg.member_key, 0):
        seen[cfg.member_key] = newest
        try:
            _save_seen(path, seen)
        except OSError as e:
            err.print(f"could not remember what you have seen in {path}: {e}", style="yellow")
