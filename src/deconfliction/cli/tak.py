"""``deconfliction member tak-package``: a member with a client certificate of the line's TAK CA,
written as the data package a phone imports (docs/interop.md, "Join from ATAK, WinTAK or iTAK")."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from deconfliction import service
from deconfliction.cli.admin import ExpiresOption, _fail, _lifetime, member_app
from deconfliction.cli.client import fail
from deconfliction.cli.options import DbOption
from deconfliction.config import Environment, LineConfig
from deconfliction.domain import Role
from deconfliction.errors import DeconflictionError

__all__ = ["tak_package"]

_err = Console(stderr=True, highlight=False, soft_wrap=True)


@member_app.command("tak-package")
def tak_package(
    party: Annotated[
        str | None,
        typer.Option(help="the party a new member acts for", show_default=False),
    ] = None,
    member_id: Annotated[
        str | None,
        typer.Option(
            "--member",
            help="reissue for this existing member (after `member rotate`, or an old certificate)",
            show_default=False,
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="who holds the phone (its callsign)")] = "",
    out: Annotated[
        Path | None,
        typer.Option(help="the zip to write (default: tak-PARTY-ID.zip here)", show_default=False),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            help="the address phones reach the line at (default: this machine's name)",
            show_default=False,
        ),
    ] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="the TAK TLS port")] = 8089,
    password: Annotated[
        str | None,
        typer.Option(
            help="of the certificate files (default: made up, and printed)", show_default=False
        ),
    ] = None,
    expires: ExpiresOption = None,
    db: DbOption = None,
) -> None:
    """Make a coordinator of PARTY (or take MEMBER) with a client certificate of the line's TAK
    CA, bound to the member's current token, and write the data package that joins it."""
    from deconfliction.feeds.tak import package, pki

    env = Environment.read()
    config = LineConfig(db_url=env.db_url(db), key_path=Path(env.key) if env.key else None)
    ca_path = config.tak_ca_path
    if ca_path is None:
        raise fail("an in-memory line has no TAK certificate authority; use a database file")
    if out is not None and out.exists():
        raise fail(f"{out} exists; a data package never replaces a file")
    if (party is None) == (member_id is None):
        raise fail("give --party for a new member or --member for an existing one")
    line = service.open_line(config)
    try:
        if member_id is not None:
            member = service.get_member(line, member_id)
        else:
            assert party is not None
            member, _token = service.create_member(
                line, party, Role.COORDINATOR, name, _lifetime(expires)
            )
    except DeconflictionError as e:
        raise _fail(e) from None
    now = line.clock()
    refused = member.refusal(now)
    if refused is not None:
        raise fail(f"member {member.id} cannot act: {refused}")
    if not member.token_prefix:
        raise fail(f"member {member.id} has an old token without a prefix; rotate it first")
    party = member.party
    ca = pki.load_or_create(ca_path, line.origin, now)
    cert, key = pki.issue_member(ca, member, now)
    secret = password or secrets.token_urlsafe(12)
    callsign = name or f"{party}-{member.id[-6:]}"
    made = package.data_package(
        package.Package(
            description=f"Deconfliction Line ({party})",
            host=host or socket.getfqdn(),
            port=port,
            password=secret,
            callsign=callsign,
        ),
        pki.trust_pkcs12(ca, secret),
        pki.client_pkcs12(ca, cert, key, secret, callsign),
    )
    dest = out or Path(f"tak-{party}-{member.id[-8:]}.zip")
    fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(made)
    _err.print(
        escape(
            f"member {member.id} of {member.party} ({member.role.value}), certificate until "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%MZ}; package {dest} for "
            f"{host or socket.getfqdn()}:{port}"
        )
    )
    if password is None:
        _err.print("the certificate files' password (the phone may ask for it):")
        typer.echo(secret)
