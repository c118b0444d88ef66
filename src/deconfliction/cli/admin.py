"""``deconfliction party ...`` and ``deconfliction member ...``: the host's administration."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deconfliction import service
from deconfliction.cli.ids import Unresolved, resolve, shorten
from deconfliction.cli.options import DbOption, db_url
from deconfliction.domain import Member, Role
from deconfliction.domain.paging import MAX_LIMIT
from deconfliction.domain.party import DEFAULT_LIFETIME, parse_lifetime
from deconfliction.errors import DeconflictionError
from deconfliction.wire.members import member_state

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


def _lifetime(text: str | None) -> timedelta:
    return DEFAULT_LIFETIME if text is None else parse_lifetime(text, "--expires")


ExpiresOption = Annotated[
    str | None,
    typer.Option(
        "--expires",
        help=f"how long the token lasts: 90d, 12h, 1d12h (default {DEFAULT_LIFETIME.days}d, "
        "at most 366d)",
        show_default=False,
    ),
]


@member_app.command("create")
def member_create(
    party: Annotated[str, typer.Option(help="the party the member acts for")],
    role: Annotated[
        str, typer.Option(help="coordinator or observer; admin only with --party host")
    ] = "coordinator",
    name: Annotated[str, typer.Option(help="who or what holds the token")] = "",
    expires: ExpiresOption = None,
    db: DbOption = None,
) -> None:
    """Make a member and print its bearer token (last line; it is shown only once).

    The host's admins are members of party 'host' (made with its first admin)."""
    line = service.open_line(db_url(db))
    try:
        member, token = service.create_member(
            line, party, Role.parse(role), name, _lifetime(expires)
        )
    except DeconflictionError as e:
        raise _fail(e) from None
    _err.print(
        f"member {member.id} of {member.party} ({member.role.value}), token "
        f"{member.token_prefix}…, expires {_when(member.expires_at)}; token:"
    )
    typer.echo(token)


def _when(at: datetime | None) -> str:
    return "-" if at is None else at.strftime("%Y-%m-%d %H:%MZ")


def _day(at: datetime | None) -> str:
    return "-" if at is None else at.strftime("%Y-%m-%d")


def _all_members(line: service.Line, party: str | None = None) -> list[Member]:
    found: list[Member] = []
    after = None
    while True:
        page = service.list_members(line, party, MAX_LIMIT, after)  # type: ignore[arg-type]
        found += page.items
        if page.after is None:
            return found
        after = page.after


@member_app.command("list")
def member_list(
    party: Annotated[
        str | None, typer.Option(help="only this party's members", show_default=False)
    ] = None,
    db: DbOption = None,
) -> None:
    """List the line's members and their tokens' state (never a token)."""
    line = service.open_line(db_url(db))
    members = _all_members(line, party)
    now = line.clock()
    shown = shorten(m.id for m in members)
    table = Table(title=f"{len(members)} members", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("id", "party", "role"):
        table.add_column(column, no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("token", no_wrap=True, min_width=12)  # whole: what the host looks for
    for column in ("expires", "last used"):  # oldest first: the order says when made
        table.add_column(column, overflow="fold")
    table.add_column("state", no_wrap=True)
    for m in members:
        state = member_state(m, now)
        style = {"revoked": "red", "expired": "yellow"}.get(state, "")
        table.add_row(
            shown[m.id],
            m.party,
            m.role.value,
            Text(m.name),  # as typed: a name is not markup
            f"{m.token_prefix}…" if m.token_prefix else "(old token)",
            _day(m.expires_at),
            "-" if m.last_used_at is None else m.last_used_at.strftime("%m-%d %H:%MZ"),
            f"[{style}]{state}[/{style}]" if style else state,
        )
    Console().print(table)


def _resolve(line: service.Line, who: str) -> Member:
    """The member ``who`` names: its id (or a unique head or tail of it), or its token's
    prefix (``dl_`` and 8 characters)."""
    members = _all_members(line)
    if who.startswith("dl_"):
        found = [m for m in members if m.token_prefix and who.startswith(m.token_prefix)]
        if len(found) == 1:
            return found[0]
        _err.print(f"[red]error:[/red] no member's token begins {who[:11]!r}")
        raise typer.Exit(2)
    try:
        ident = resolve(who, [m.id for m in members], "member")
    except Unresolved as e:
        _err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    return next(m for m in members if m.id == ident)


WhoArgument = Annotated[
    str, typer.Argument(help="the member's id (or a unique head or tail of it), or its token's "
                        "prefix (dl_ and 8 characters)")
]  # fmt: skip


@member_app.command("revoke")
def member_revoke(who: WhoArgument, db: DbOption = None) -> None:
    """Revoke a member's token now: its requests and open streams stop at once."""
    line = service.open_line(db_url(db))
    member = _resolve(line, who)
    try:
        member = service.revoke_member(line, member.id)
    except DeconflictionError as e:
        raise _fail(e) from None
    typer.echo(
        f"member {member.id} of {member.party} ({member.role.value}) revoked at "
        f"{_when(member.revoked_at)}"
    )


@member_app.command("rotate")
def member_rotate(who: WhoArgument, expires: ExpiresOption = None, db: DbOption = None) -> None:
    """Give a member a new token and print it (last line; shown only once); the old one stops
    working at once."""
    line = service.open_line(db_url(db))
    member = _resolve(line, who)
    try:
        member, token = service.rotate_token(line, member.id, _lifetime(expires))
    except DeconflictionError as e:
        raise _fail(e) from None
    _err.print(
        f"member {member.id} of {member.party}: new token {member.token_prefix}…, expires "
        f"{_when(member.expires_at)}; the old one no longer works; token:"
    )
    typer.echo(token)
