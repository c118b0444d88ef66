"""``deconfliction parties``: who is on the line (their slugs name audiences), over HTTP."""

from __future__ import annotations

from rich.table import Table

from deconfliction.cli.calls import AsJson, call, console, print_raw
from deconfliction.cli.client import ServerOption

__all__ = ["parties"]


def parties(server: ServerOption = None, as_json: AsJson = False) -> None:
    """The parties on the line: their slugs name audiences (--audience)."""
    body = call(server, "GET", "/v1/parties")
    if print_raw(body, as_json):
        return
    table = Table(title=f"{len(body['parties'])} parties", title_justify="left")
    table.add_column("slug", no_wrap=True)
    table.add_column("name", overflow="fold")
    for p in body["parties"]:
        table.add_row(str(p["slug"]), str(p.get("name") or ""))
    console().print(table)
