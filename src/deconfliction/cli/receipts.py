"""Receipts from a terminal: acknowledge a notice shared with your party, or another party's
message on a thread (signed, with ``--sign``), and see who has received and acknowledged them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from deconfliction.cli.calls import AsJson, Body, call, console, print_raw, segment
from deconfliction.cli.client import ServerOption, fail
from deconfliction.cli.keys import SignOpt, signature
from deconfliction.cli.resolve import resolve_message, resolve_notice, resolve_thread
from deconfliction.cli.show import clock as _clock
from deconfliction.record import statement

__all__ = ["ack", "install", "receipts"]


def _receipt_line(r: Body) -> str:
    acked = f"acknowledged {_clock(r['acknowledged_at'])}" if r.get("acknowledged_at") else ""
    got = f"received {_clock(r['delivered_at'])}" if r.get("delivered_at") else ""
    signed = "signed" if r.get("signed") else ""
    return ", ".join(filter(None, (acked, signed, got))) or "not received"


ThreadOpt = Annotated[
    str | None,
    typer.Option(
        "--thread",
        help="the thread: the id is then a message on it, not a notice",
        show_default=False,
    ),
]


def ack(
    notice_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="a notice shared with you (or, with --thread, a message)"
        ),
    ],
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, help="the version (default: current; signed: read now)"),
    ] = None,
    thread: ThreadOpt = None,
    sign: SignOpt = False,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Acknowledge a notice shared with your party, or another party's message on a thread of
    yours (--thread); prints the receipt."""
    if thread is not None:
        _ack_message(thread, notice_id, version, sign, server, as_json)
        return
    notice_id = resolve_notice(server, notice_id)
    body: Body = {} if version is None else {"version": version}
    if sign:  # a signature names its version: by default the current one, read now
        wanted = version or int(call(server, "GET", f"/v1/notices/{segment(notice_id)}")["version"])
        body["version"] = wanted
        body["signature"] = signature(
            server, lambda origin: statement.ack_notice(origin, notice_id, wanted)
        )
    receipt = call(server, "POST", f"/v1/notices/{segment(notice_id)}/ack", body)
    if print_raw(receipt, as_json):
        return
    console().print(
        f"{receipt['party']}: notice {receipt['notice']} v{receipt['version']} "
        + _receipt_line(receipt)
    )


def _message_path(server: str | None, thread: str, message: str) -> tuple[str, str, str]:
    """The thread and message ids, whole, and the message's path."""
    thread = resolve_thread(server, thread)
    message = resolve_message(server, thread, message)
    return thread, message, f"/v1/threads/{segment(thread)}/messages/{segment(message)}"


def _ack_message(
    thread: str, message: str, version: int | None, sign: bool, server: str | None, raw: bool
) -> None:
    if version is not None:
        raise fail("--version is for notices; a message has one version")
    thread, message, path = _message_path(server, thread, message)
    body: Body = {}
    if sign:
        body["signature"] = signature(
            server, lambda origin: statement.ack_message(origin, thread, message)
        )
    receipt = call(server, "POST", f"{path}/ack", body)
    if print_raw(receipt, raw):
        return
    console().print(f"{receipt['party']}: message {receipt['message']} " + _receipt_line(receipt))


def receipts(
    notice_id: Annotated[
        str, typer.Argument(metavar="ID", help="the notice (or, with --thread, the message)")
    ],
    thread: ThreadOpt = None,
    server: ServerOption = None,
    as_json: AsJson = False,
) -> None:
    """Who has received and acknowledged a notice (or a message, with --thread), and the
    acknowledgements still missing.

    For your own notice or message, every party's receipts; for another party's, your own.
    """
    if thread is not None:
        _message_receipts(thread, notice_id, server, as_json)
        return
    notice_id = resolve_notice(server, notice_id)
    body = call(server, "GET", f"/v1/notices/{segment(notice_id)}/receipts")
    if print_raw(body, as_json):
        return
    shown = console()
    table = Table(title=f"receipts of notice {body['notice']}", title_justify="left")
    for column in ("party", "version", "delivered (UTC)", "acknowledged (UTC)", "signed by"):
        table.add_column(column, justify="right" if column == "version" else "left")
    for r in body["receipts"]:
        table.add_row(
            str(r["party"]),
            str(r["version"]),
            _clock(r["delivered_at"]) if r.get("delivered_at") else "-",
            _clock(r["acknowledged_at"]) if r.get("acknowledged_at") else "-",
            str(r["signed"]["member"]) if r.get("signed") else "-",
        )
    shown.print(table if body["receipts"] else "no receipts yet")
    for due in body["due"]:
        missing = ", ".join(due["missing"])
        late = f", escalated {_clock(due['escalated_at'])}" if due.get("escalated_at") else ""
        shown.print(
            f"v{due['version']}, due {_clock(due['due'])}{late}: "
            + (f"still missing {missing}" if missing else "acknowledged by every party")
        )
    if not body["due"]:
        shown.print("no acknowledgement deadline on this notice")


def _message_receipts(thread: str, message: str, server: str | None, raw: bool) -> None:
    body = call(server, "GET", f"{_message_path(server, thread, message)[2]}/receipts")
    if print_raw(body, raw):
        return
    table = Table(title=f"receipts of message {body['message']}", title_justify="left")
    for column in ("party", "delivered (UTC)", "acknowledged (UTC)", "signed by"):
        table.add_column(column)
    for r in body["receipts"]:
        table.add_row(
            str(r["party"]),
            _clock(r["delivered_at"]) if r.get("delivered_at") else "-",
            _clock(r["acknowledged_at"]) if r.get("acknowledged_at") else "-",
            str(r["signed"]["member"]) if r.get("signed") else "-",
        )
    console().print(table if body["receipts"] else "no receipts yet")


def install(app: typer.Typer) -> None:
    """Add the receipt commands to ``app``."""
    for command in (ack, receipts):
        app.command()(command)
