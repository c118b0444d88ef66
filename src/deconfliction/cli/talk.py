"""Taking part in the line's conversation from a terminal: threads, requests, replies, notes,
withdrawals, acknowledgements and receipts, each one call of the HTTP API on a running line.

Server and token come as for ``watch`` (``cli/client.py``). ``--json`` prints what the line
answered; a command that creates something prints its id on the last line. A refusal is shown
as ``field: reason`` (from the error's JSON pointer) and exits 1; a usage error exits 2.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from deconfliction.cli.client import ServerOption, connect, err, fail, load_config, refused
from deconfliction.cli.watch import _clock, _span, summary
from deconfliction.domain import RequestKind

__all__ = [
    "ack",
    "install",
    "note",
    "parse_time",
    "receipts",
    "reply",
    "request",
    "thread_app",
    "withdraw",
]

Body = dict[str, Any]

_RELATIVE = re.compile(r"\+(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _utcnow() -> datetime:
    return datetime.now(UTC)


# -- reading what the person typed -----------------------------------------------------------


def parse_time(text: str, now: datetime) -> datetime:
    """An instant from RFC 3339 (with ``Z`` or an offset) or ``+30m``, ``+2h``, ``+1h30m``,
    ``+1d`` after ``now``; in UTC. ``ValueError`` says what was expected.

    >>> now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    >>> parse_time("+30m", now).isoformat()
    '2026-11-25T12:30:00+00:00'
    >>> parse_time("2026-11-25T15:00:00+02:00", now).isoformat()
    '2026-11-25T13:00:00+00:00'
    >>> parse_time("tomorrow", now)
    Traceback (most recent call last):
    ...
    ValueError: 'tomorrow' is neither RFC 3339 (2026-12-01T05:00:00Z) nor relative (+30m, +2h)
    """
    relative = _RELATIVE.fullmatch(text.strip())
    if relative and any(relative.groups()):
        d, h, m, s = (int(g or 0) for g in relative.groups())
        return now.astimezone(UTC) + timedelta(days=d, hours=h, minutes=m, seconds=s)
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither RFC 3339 (2026-12-01T05:00:00Z) nor relative (+30m, +2h)"
        ) from None
    if at.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: end it with Z or +hh:mm")
    return at.astimezone(UTC)


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(option: str, text: str) -> str:
    try:
        return _z(parse_time(text, _utcnow()))
    except ValueError as e:
        raise fail(f"{option}: {e}") from None


def _window(text: str) -> Body:
    start, sep, end = text.partition("/")
    if not sep:
        raise fail(f"--window: {text!r} is not START/END (e.g. 2026-12-01T13:00Z/+6h)")
    return {"start": _time("--window", start), "end": _time("--window", end)}


def _volume(path: Path) -> Body:
    """One volume from a JSON file, in the API's shape (a notice's ``volumes[i]``)."""
    try:
        value = orjson.loads(path.read_bytes())
    except OSError as e:
        raise fail(f"--volume: cannot read {path}: {e.strerror or e}") from None
    except orjson.JSONDecodeError as e:
        raise fail(f"--volume: {path} is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise fail(
            f"--volume: {path} holds a JSON {type(value).__name__}, not one volume "
            "(an object with footprint and time, as in a notice's volumes[i])"
        )
    return value


# -- talking to the line ---------------------------------------------------------------------


def _call(server: str | None, method: str, path: str, body: Body | None = None) -> Any:
    cfg = load_config(server)
    try:
        with connect(cfg) as client:
            r = client.request(method, path, json=body)
    except httpx.TransportError as e:
        raise fail(f"cannot reach the line at {cfg.server} ({type(e).__name__})", 1) from None
    if not r.is_success:
        raise _refused(r)
    return r.json()


def _q(ident: str) -> str:
    """An id as one path segment, whatever was typed."""
    return quote(ident, safe="")


def _said(problem: Body) -> str:
    where = str(problem.get("pointer") or "").lstrip("/")
    reason = str(problem.get("message") or "refused")
    return f"{where}: {reason}" if where else reason


def _refused(r: httpx.Response) -> typer.Exit:
    """The line's refusal as ``field: reason`` (and any further problems), exit 1."""
    try:
        body = r.json()
        first = _said(body)
    except (ValueError, AttributeError):
        return refused(r)
    if r.status_code == 401:
        return refused(r)
    done = fail(first, 1)
    for problem in body.get("errors") or []:
        if isinstance(problem, dict) and _said(problem) != first:
            err.print(f"  also {escape(_said(problem))}")
    return done


# -- showing what the line answered ----------------------------------------------------------


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _raw(body: Any, as_json: bool) -> bool:
    """With ``--json``, print the line's answer as it came (and say so)."""
    if as_json:
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
    return as_json


def _area(v: Body) -> str:
    shape = (v.get("footprint") or {}).get("type", "area")
    if v.get("radius_m"):
        shape += f" + {v['radius_m']:,.0f} m"
    t = v.get("time") or {}
    return f"{shape}, {_span(t.get('start', '?'), t.get('end', '?'))}"


def _details(m: Body) -> str:
    """What a message's one line leaves out: a request's state and commitment, what it is about."""
    bits: list[str] = []
    if m.get("kind") == "request":
        bits.append(str(m.get("state", "?")))
        if m.get("escalated_at"):
            bits.append(f"escalated {_clock(m['escalated_at'])}")
        if m.get("commitment") == "withdrawn":
            bits.append(f"commitment withdrawn {_clock(m.get('withdrawn_at'))}")
        elif m.get("commitment"):
            bits.append(f"commitment {m['commitment']}")
    if m.get("in_reply_to"):
        bits.append(f"re {m['in_reply_to']}")
    if m.get("window"):
        bits.append(f"window {_span(m['window']['start'], m['window']['end'])}")
    if m.get("volume"):
        bits.append(f"area {_area(m['volume'])}")
    for ref in ("notices", "conflicts"):
        if m.get(ref):
            bits.append(f"{ref} {', '.join(map(str, m[ref]))}")
    return " · ".join(bits)


def _print_message(console: Console, m: Body) -> None:
    console.print(
        Text.assemble((_clock(m.get("created_at")), "dim"), "  ", summary({"message": m}))
    )
    details = _details(m)
    console.print(Text.assemble("    ", (str(m.get("id")), "dim"), f"  {details}".rstrip()))


def _sent(body: Body, as_json: bool) -> None:
    """A message the line stored: the message as it reads, then its id alone on the last line."""
    if _raw(body, as_json):
        return
    console = _console()
    console.print(Text.assemble("sent  ", summary({"message": body})))
    if details := _details(body):
        console.print(Text("    " + details))
    console.print(str(body["id"]))


# -- the commands ----------------------------------------------------------------------------

AsJson = Annotated[bool, typer.Option("--json", help="print the line's answer as JSON")]
ThreadOpt = Annotated[str, typer.Option("--thread", help="the thread the request is on")]
TextOpt = Annotated[str, typer.Option("--text", help="free text")]
VolumeOpt = Annotated[
    Path | None,
    typer.Option(
        "--volume",
        help="a JSON file holding one volume, in the shape of one of a notice's volumes",
        dir_okay=False,
    ),
]


class _ThreadGroup(TyperGroup):
    """``thread ID`` is short for ``thread show ID``."""

    # ctx is typer's own (vendored, private) click Context
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


thread_app = typer.Typer(
    cls=_ThreadGroup,
    help="Threads with other parties: list yours, open one, show one (`thread ID`) with messages.",
    no_args_is_help=True,
)


@thread_app.command("list")
def threads(
    server: ServerOption = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="at most this many")] = 100,
    as_json: AsJson = False,
) -> None:
    """Your party's threads, newest activity first."""
    body = _call(server, "GET", f"/v1/threads?limit={limit}")
    if _raw(body, as_json):
        return
    console = _console()
    if not body["threads"]:
        console.print("no threads yet; open one with `deconfliction thread open PARTY --subject`")
        return
    table = Table(title=f"{len(body['threads'])} threads", title_justify="left")
    for column in ("id", "subject", "parties", "opened by", "last activity (UTC)"):
        table.add_column(column, overflow="fold")
    for t in body["threads"]:
        table.add_row(
            str(t["id"]),
            str(t["subject"]),
            ", ".join(t["parties"]),
            str(t["party"]),
            _clock(t["updated_at"]),
        )
    console.print(table)


@thread_app.command("show")
def show(
    thread_id: Annotated[str, typer.Argument(metavar="ID", help="the thread")],
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """A thread and its messages, oldest first; each request with its state and commitment."""
    body = _call(server, "GET", f"/v1/threads/{_q(thread_id)}")
    if _raw(body, as_json):
        return
    t = body["thread"]
    console = _console()
    console.print(Text(f'"{t["subject"]}" between {", ".join(t["parties"])}', style="bold"))
    console.print(
        Text(f"thread {t['id']}, opened by {t['party']} at {_clock(t['created_at'])}", "dim")
    )
    for m in body["messages"]:
        _print_message(console, m)
    if not body["messages"]:
        console.print("no messages yet")


@thread_app.command("open")
def open_thread(
    parties: Annotated[list[str], typer.Argument(metavar="PARTY...", help="the other parties")],
    subject: Annotated[str, typer.Option("--subject", help="what the thread is about")],
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Open a thread between your party and others; prints its id last."""
    body = _call(server, "POST", "/v1/threads", {"parties": parties, "subject": subject})
    if _raw(body, as_json):
        return
    console = _console()
    console.print(f'opened "{escape(body["subject"])}" with {", ".join(body["parties"])}')
    console.print(str(body["id"]))


def request(
    thread: Annotated[str, typer.Argument(metavar="THREAD", help="the thread to ask on")],
    to: Annotated[str, typer.Option("--to", help="the party asked (in the thread)")],
    kind: Annotated[RequestKind, typer.Option("--kind", help="what you ask of them")],
    deadline: Annotated[
        str, typer.Option("--deadline", help="reply by: RFC 3339, or +30m / +2h from now (UTC)")
    ],
    volume: VolumeOpt = None,
    notices: Annotated[
        list[str] | None, typer.Option("--notice", help="a notice it is about (repeatable)")
    ] = None,
    conflicts: Annotated[
        list[str] | None, typer.Option("--conflict", help="a conflict it is about (repeatable)")
    ] = None,
    text: TextOpt = "",
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Ask a party on a thread to vacate, keep clear, hold or confirm; prints the request id."""
    body: Body = {
        "kind": "request",
        "request": kind.value,
        "to": to,
        "deadline": _time("--deadline", deadline),
        "notices": notices or [],
        "conflicts": conflicts or [],
        "text": text,
    }
    if volume is not None:
        body["volume"] = _volume(volume)
    _sent(_call(server, "POST", f"/v1/threads/{_q(thread)}/messages", body), as_json)


def reply(
    request_id: Annotated[str, typer.Argument(metavar="REQUEST_ID", help="the request answered")],
    thread: ThreadOpt,
    accept: Annotated[bool, typer.Option("--accept", help="agree to it")] = False,
    decline: Annotated[bool, typer.Option("--decline", help="refuse it (with --reason)")] = False,
    counter: Annotated[
        bool, typer.Option("--counter", help="propose another --volume and/or --window")
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="why")] = "",
    volume: VolumeOpt = None,
    window: Annotated[
        str | None, typer.Option("--window", help="counter: START/END, RFC 3339 or +2h")
    ] = None,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Answer a request to your party: --accept, --decline --reason, or --counter."""
    picked = (("accept", accept), ("decline", decline), ("counter", counter))
    chosen = [name for name, on in picked if on]
    if len(chosen) != 1:
        raise fail("give one of --accept, --decline or --counter")
    if decline and not reason.strip():
        raise fail("--reason: a decline needs a reason the other side can act on")
    if not counter and (volume is not None or window is not None):
        raise fail("--volume and --window go with --counter")
    if counter and volume is None and window is None:
        raise fail("--counter: propose a --volume, a --window or both")
    body: Body = {"kind": "reply", "in_reply_to": request_id, "reply": chosen[0]}
    if reason:
        body["reason"] = reason
    if window is not None:
        body["window"] = _window(window)
    if volume is not None:
        body["volume"] = _volume(volume)
    _sent(_call(server, "POST", f"/v1/threads/{_q(thread)}/messages", body), as_json)


def withdraw(
    request_id: Annotated[
        str, typer.Argument(metavar="REQUEST_ID", help="the accepted request to end")
    ],
    thread: ThreadOpt,
    text: TextOpt = "",
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """End the commitment an accepted vacate or keep-clear request made (either side may)."""
    body = {"kind": "withdraw", "in_reply_to": request_id, "text": text}
    _sent(_call(server, "POST", f"/v1/threads/{_q(thread)}/messages", body), as_json)


def note(
    thread: Annotated[str, typer.Argument(metavar="THREAD", help="the thread")],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="what to say")],
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Say something on a thread."""
    body = {"kind": "note", "text": text}
    _sent(_call(server, "POST", f"/v1/threads/{_q(thread)}/messages", body), as_json)


def _receipt_line(r: Body) -> str:
    acked = f"acknowledged {_clock(r['acknowledged_at'])}" if r.get("acknowledged_at") else ""
    got = f"received {_clock(r['delivered_at'])}" if r.get("delivered_at") else ""
    return ", ".join(filter(None, (acked, got))) or "not received"


def ack(
    notice_id: Annotated[str, typer.Argument(metavar="NOTICE_ID", help="a notice shared with you")],
    version: Annotated[
        int | None, typer.Option("--version", min=1, help="the version (default: current)")
    ] = None,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Acknowledge a notice shared with your party; prints the receipt."""
    body = {} if version is None else {"version": version}
    receipt = _call(server, "POST", f"/v1/notices/{_q(notice_id)}/ack", body)
    if _raw(receipt, as_json):
        return
    _console().print(
        f"{receipt['party']}: notice {receipt['notice']} v{receipt['version']} "
        + _receipt_line(receipt)
    )


def receipts(
    notice_id: Annotated[str, typer.Argument(metavar="NOTICE_ID", help="the notice")],
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Who has received and acknowledged a notice, and the acknowledgements still missing.

    For your own notice, every party's receipts; for another party's, your party's own.
    """
    body = _call(server, "GET", f"/v1/notices/{_q(notice_id)}/receipts")
    if _raw(body, as_json):
        return
    console = _console()
    table = Table(title=f"receipts of notice {body['notice']}", title_justify="left")
    for column in ("party", "version", "delivered (UTC)", "acknowledged (UTC)"):
        table.add_column(column, justify="right" if column == "version" else "left")
    for r in body["receipts"]:
        table.add_row(
            str(r["party"]),
            str(r["version"]),
            _clock(r["delivered_at"]) if r.get("delivered_at") else "-",
            _clock(r["acknowledged_at"]) if r.get("acknowledged_at") else "-",
        )
    console.print(table if body["receipts"] else "no receipts yet")
    for due in body["due"]:
        missing = ", ".join(due["missing"])
        late = f", escalated {_clock(due['escalated_at'])}" if due.get("escalated_at") else ""
        console.print(
            f"v{due['version']}, due {_clock(due['due'])}{late}: "
            + (f"still missing {missing}" if missing else "acknowledged by every party")
        )
    if not body["due"]:
        console.print("no acknowledgement deadline on this notice")


def install(app: typer.Typer) -> None:
    """Add the conversation commands to ``app``."""
    app.add_typer(thread_app, name="thread")
    for command in (threads, request, reply, withdraw, note, ack, receipts):
        app.command()(command)
