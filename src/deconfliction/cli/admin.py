"""``deconfliction party ...`` and ``deconfliction member ...``: the host's administration."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from deconfliction import service
from deconfliction.cli.options import DbOption, db_url
from deconfliction.domain import Role
from deconfliction.errors import DeconflictionError

__all__ = ["member_app", "party_app"]

party_app = typer.Typer(help="Manage the parties on the line.", no_args_is_help=True)
member_app = typer.Typer(help="Manage members and their tokens.", no_args_is_help=True)
_err = Console(stderr=True)


def _fail(e: DeconflictionError) -> typer.Exit:
    _err.print(f"[red]error:[/red] {e.reason}")
    return typer.Exit(2)


@party_app.command("create")
def party_create(
    slug: Annotated[str, typer.Argument(help="short id, e.g. un-ocha")],
    name: Annotated[str, typer.Option(help="the party's full name")],
    db: DbOption = None,
) -> None:
    """Add a party to the line."""
    line = service.open_line(db_url(db))
    try:
        party = service.create_party(line, slug, name)
    except DeconflictionError as e:
        raise _fail(e) from None
    typer.echo(f"party {party.slug} created ({party.name})")


@party_app.command("list")
def party_list(db: DbOption = None) -> None:
    """List the parties on the line."""
    line = service.open_line(db_url(db))
    table = Table("slug", "name", "since")
    for p in service.list_parties(line):
        table.add_row(p.slug, p.name, p.created_at.strftime("%Y-%m-%d %H:%MZ"))
    Console().print(table)


@member_app.command("create")
def member_create(
    party: Annotated[str, typer.Option(help="the party the member acts for")],
    role: Annotated[str, typer.Option(help="coordinator, observer or admin")] = "coordinator",
    name: Annotated[str, typer.Option(help="who or what holds the token")] = "",
    db: DbOption = None,
) -> None:
    """Make a member and print its bearer token (last line; it is shown only once)."""
    line = service.open_line(db_url(db))
    try:
        member, token = service.create_member(line, party, Role.parse(role), name)
    except DeconflictionError as e:
        raise _fail(e) from None
    _err.print(f"member {member.id} of {member.party} ({member.role.value}); token:")
    typer.echo(token)
