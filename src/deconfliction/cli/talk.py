"""Taking part in the line's conversation from a terminal: threads, requests, replies, notes and
withdrawals, each one call of the HTTP API on a running line (acknowledgements and receipts:
``cli/receipts.py``).

Server and token come as for ``watch`` (``cli/client.py``). ``--json`` prints what the line
answered; a command that creates something prints its id on the last line. A refusal is shown
as ``field: reason`` (from the error's JSON pointer) and exits 1; a usage error exits 2.
``--sign`` signs a message with your member key (``cli/keys.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from deconfliction.cli import receipts as receipt_commands
from deconfliction.cli.calls import AsJson, Body, call, console, print_raw, segment
from deconfliction.cli.client import ServerOption, fail
from deconfliction.cli.ids import shorten
from deconfliction.cli.keys import SignOpt, signature
from deconfliction.cli.places import footprint_text
from deconfliction.cli.resolve import resolve_message, resolve_thread
from deconfliction.cli.sayings import summary
from deconfliction.cli.show import clock as _clock
from deconfliction.cli.show import span as _span
from deconfliction.cli.units import band, distance
from deconfliction.cli.when import time_option, window_option
from deconfliction.domain import RequestKind
from deconfliction.domain.labels import is_label
from deconfliction.record import statement

__all__ = [
    "install",
    "note",
    "reply",
    "request",
    "thread_app",
    "withdraw",
]


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


def _send(server: str | None, thread: str, body: Body, sign: bool, as_json: bool) -> None:
    """Post a message on a thread (signed over the body, with ``sign``) and show it."""
    thread = resolve_thread(server, thread)
    if body.get("in_reply_to"):
        body = {**body, "in_reply_to": resolve_message(server, thread, body["in_reply_to"])}
    if sign:
        unsigned = body
        said = signature(server, lambda origin: statement.send(origin, thread, unsigned))
        body = {**unsigned, "signature": said}
    _sent(call(server, "POST", f"/v1/threads/{segment(thread)}/messages", body), as_json)


# -- showing what the line answered ----------------------------------------------------------


def _area(v: Body) -> str:
    shape = footprint_text(v.get("footprint"))
    if v.get("radius_m"):
        shape += f" + {distance(v['radius_m'])}"
    elif v.get("half_width_m"):
        shape += f" ± {distance(v['half_width_m'])}"
    out = [shape]
    if v.get("altitude"):
        out.append(band(v["altitude"].get("lower_m"), v["altitude"].get("upper_m")))
    t = v.get("time") or {}
    if t.get("start") and t.get("end"):
        out.append(_span(t["start"], t["end"]))
    return ", ".join(out)


def _details(m: Body, shown: dict[str, str] | None = None) -> str:
    """What a message's one line leaves out: a request's state and commitment, what it is about."""
    bits: list[str] = []
    if m.get("kind") == "request":
        bits.append(str(m.get("state") or "open"))
        if m.get("escalated_at"):
            bits.append(f"escalated {_clock(m['escalated_at'])}")
        if m.get("commitment") == "withdrawn":
            bits.append(f"commitment withdrawn {_clock(m.get('withdrawn_at'))}")
        elif m.get("commitment"):
            bits.append(f"commitment {m['commitment']}")
    elif m.get("reply") == "counter":
        bits.append(str(m.get("state", "?")))  # open, or accepted by the requester
    if m.get("in_reply_to"):
        bits.append(f"re {(shown or {}).get(m['in_reply_to'], m['in_reply_to'])}")
    if m.get("window"):
        bits.append(f"window {_span(m['window']['start'], m['window']['end'])}")
    if m.get("volume"):
        bits.append(f"area {_area(m['volume'])}")
    for ref in ("notices", "conflicts"):
        if m.get(ref):
            bits.append(f"{ref} {', '.join(map(str, m[ref]))}")
    if is_label(str(m.get("member") or "")):
        # another party's writer, by its label on this thread: it tells two of them apart
        bits.append(f"by {m['member']}")
    if m.get("signed"):
        bits.append(f"signed by {m['signed']['member']}")
    return " · ".join(bits)


def _print_message(out: Console, m: Body, shown: dict[str, str]) -> None:
    out.print(Text.assemble((_clock(m.get("created_at")), "dim"), "  ", summary({"message": m})))
    details = _details(m, shown)
    out.print(Text.assemble("    ", (shown[str(m["id"])], "dim"), f"  {details}".rstrip()))


def _sent(body: Body, as_json: bool) -> None:
    """A message the line stored: the message as it reads, then its id alone on the last line."""
    if print_raw(body, as_json):
        return
    out = console()
    out.print(Text.assemble("sent  ", summary({"message": body})))
    if details := _details(body):
        out.print(Text("    " + details))
    out.print(str(body["id"]))


# -- the commands ----------------------------------------------------------------------------

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
    body = call(server, "GET", f"/v1/threads?limit={limit}")
    if print_raw(body, as_json):
        return
    out = console()
    if not body["threads"]:
        out.print("no threads yet; open one with `deconfliction thread open PARTY --subject`")
        return
    table = Table(title=f"{len(body['threads'])} threads", title_justify="left")
    table.add_column("id", no_wrap=True)
    for column in ("subject", "parties", "opened by", "last activity (UTC)"):
        table.add_column(column, overflow="fold")
    shown = shorten(str(t["id"]) for t in body["threads"])
    for t in body["threads"]:
        table.add_row(
            shown[str(t["id"])],
            str(t["subject"]),
            ", ".join(t["parties"]),
            str(t["party"]),
            _clock(t["updated_at"]),
        )
    out.print(table)


@thread_app.command("show")
def show(
    thread_id: Annotated[str, typer.Argument(metavar="ID", help="the thread")],
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """A thread and its messages, oldest first; each request with its state and commitment."""
    path = f"/v1/threads/{segment(resolve_thread(server, thread_id))}"
    body = call(server, "GET", f"{path}?limit=1000")
    while body.get("next"):  # every message: the answer holds one page of them
        more = call(server, "GET", f"{path}/messages?limit=1000&cursor={body['next']}")
        body = {**body, "messages": body["messages"] + more["messages"], "next": more["next"]}
    if print_raw(body, as_json):
        return
    shown = shorten(str(m["id"]) for m in body["messages"])
    t = body["thread"]
    out = console()
    out.print(Text(f'"{t["subject"]}" between {", ".join(t["parties"])}', style="bold"))
    out.print(Text(f"thread {t['id']}, opened by {t['party']} at {_clock(t['created_at'])}", "dim"))
    for m in body["messages"]:
        _print_message(out, m, shown)
    if not body["messages"]:
        out.print("no messages yet")


@thread_app.command("open")
def open_thread(
    parties: Annotated[list[str], typer.Argument(metavar="PARTY...", help="the other parties")],
    subject: Annotated[str, typer.Option("--subject", help="what the thread is about")],
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Open a thread between your party and others; prints its id last."""
    body = call(server, "POST", "/v1/threads", {"parties": parties, "subject": subject})
    if print_raw(body, as_json):
        return
    out = console()
    out.print(f'opened "{escape(body["subject"])}" with {", ".join(body["parties"])}')
    out.print(str(body["id"]))


def request(
    thread: Annotated[str, typer.Argument(metavar="THREAD", help="the thread to ask on")],
    to: Annotated[str, typer.Option("--to", help="the party asked (in the thread)")],
    kind: Annotated[RequestKind, typer.Option("--kind", help="what you ask of them")],
    deadline: Annotated[
        str, typer.Option("--deadline", help="reply by: RFC 3339, or +30m / +2h from now (UTC)")
    ],
    volume: VolumeOpt = None,
    window: Annotated[
        str | None,
        typer.Option(
            "--window",
            help="the area's time: START/END, RFC 3339 or relative (+1h/+7h); "
            "replaces the --volume file's",
            show_default=False,
        ),
    ] = None,
    notices: Annotated[
        list[str] | None, typer.Option("--notice", help="a notice it is about (repeatable)")
    ] = None,
    conflicts: Annotated[
        list[str] | None, typer.Option("--conflict", help="a conflict it is about (repeatable)")
    ] = None,
    text: TextOpt = "",
    sign: SignOpt = False,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Ask a party on a thread to vacate, keep clear, hold or confirm; prints the request id."""
    body: Body = {
        "kind": "request",
        "request": kind.value,
        "to": to,
        "deadline": time_option("--deadline", deadline),
        "notices": notices or [],
        "conflicts": conflicts or [],
        "text": text,
    }
    if window is not None and volume is None:
        raise fail("--window gives the time of the area: it goes with --volume")
    if volume is not None:
        body["volume"] = _volume(volume)
        if window is not None:
            body["volume"]["time"] = window_option(window)
    _send(server, thread, body, sign, as_json)


def reply(
    request_id: Annotated[
        str,
        typer.Argument(
            metavar="REQUEST_ID", help="the request answered, or a counter to your request"
        ),
    ],
    thread: ThreadOpt,
    accept: Annotated[
        bool, typer.Option("--accept", help="agree to it (to a counter: on its terms)")
    ] = False,
    decline: Annotated[bool, typer.Option("--decline", help="refuse it (with --reason)")] = False,
    counter: Annotated[
        bool, typer.Option("--counter", help="propose another --volume and/or --window")
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="why")] = "",
    volume: VolumeOpt = None,
    window: Annotated[
        str | None, typer.Option("--window", help="counter: START/END, RFC 3339 or +2h")
    ] = None,
    sign: SignOpt = False,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Answer a request to your party: --accept, --decline --reason, or --counter; or accept
    the counter to your own request (--accept): the agreement is then on the counter's terms."""
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
        body["window"] = window_option(window)
    if volume is not None:
        body["volume"] = _volume(volume)
    _send(server, thread, body, sign, as_json)


def withdraw(
    request_id: Annotated[
        str, typer.Argument(metavar="REQUEST_ID", help="the accepted request to end")
    ],
    thread: ThreadOpt,
    text: TextOpt = "",
    sign: SignOpt = False,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """End the commitment an accepted vacate or keep-clear request made (either side may)."""
    body = {"kind": "withdraw", "in_reply_to": request_id, "text": text}
    _send(server, thread, body, sign, as_json)


def note(
    thread: Annotated[str, typer.Argument(metavar="THREAD", help="the thread")],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="what to say")],
    sign: SignOpt = False,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Say something on a thread."""
    body = {"kind": "note", "text": text}
    _send(server, thread, body, sign, as_json)


def install(app: typer.Typer) -> None:
    """Add the conversation commands to ``app``."""
    app.add_typer(thread_app, name="thread")
    for command in (threads, request, reply, withdraw, note):
        app.command()(command)
    receipt_commands.install(app)
