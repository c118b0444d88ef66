"""One call of the HTTP API from a command, and how its answer or refusal is shown.

Shared by the conversation commands (``cli/talk.py``), the receipt commands (``cli/receipts.py``)
and the key commands (``cli/keys.py``). A refusal is shown as ``field: reason`` (from the error's
JSON pointer) and exits 1.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import orjson
import typer
from rich.console import Console
from rich.markup import escape

from deconfliction.cli.client import connect, err, fail, load_config, refused, unreachable

__all__ = ["AsJson", "Body", "call", "console", "print_raw", "segment"]

Body = dict[str, Any]

AsJson = Annotated[bool, typer.Option("--json", help="print the line's answer as JSON")]
IdsOnly = Annotated[
    bool, typer.Option("--ids", help="print only the whole ids, one a line (for scripts)")
]


def call(
    server: str | None,
    method: str,
    path: str,
    body: Body | list[Body] | None = None,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> Any:
    """The line's JSON answer to one request (a JSON ``body``, or raw ``content`` with its
    content-type in ``headers``); a refusal or an unreachable line exits."""
    cfg = load_config(server)
    try:
        with connect(cfg) as client:
            if content is not None:
                r = client.request(method, path, content=content, headers=headers)
            else:
                r = client.request(method, path, json=body, headers=headers)
    except httpx.TransportError as e:
        raise fail(f"{unreachable(cfg.server)} ({type(e).__name__})", 1) from None
    if not r.is_success:
        raise _refused(r)
    return r.json()


def segment(ident: str) -> str:
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


def console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def print_ids(items: list[Any], ids_only: bool) -> bool:
    """With ``--ids``, print each item's whole id on a line of its own."""
    if ids_only:
        sys.stdout.write("".join(f"{item['id']}\n" for item in items))
    return ids_only


def print_raw(body: Any, as_json: bool) -> bool:
    """With ``--json``, print the line's answer as it came (and say so)."""
    if as_json:
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
    return as_json
