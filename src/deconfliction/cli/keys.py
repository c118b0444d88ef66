"""Your member key: make it, register it with the line, and sign with it (``--sign``).

The key file holds one C2SP signer key, readable by its owner only (a file that group or others
can read is refused, as ssh refuses a private key): ``--file``, else ``$DECONFLICTION_MEMBER_KEY``,
else ``~/.config/deconfliction/member.key``. What is signed is a statement naming the line
(``record/statement.py``); the line's name comes from ``GET /v1/record/key``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from deconfliction.cli.calls import AsJson, call, console, print_raw
from deconfliction.cli.client import ServerOption, fail
from deconfliction.config import Environment
from deconfliction.record import RecordError, Signer, load, load_or_create, valid_name

__all__ = ["FileOpt", "SignOpt", "key_app", "member_key_path", "signature"]

FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file",
        help="the member key file (default: $DECONFLICTION_MEMBER_KEY, or "
        "~/.config/deconfliction/member.key)",
        dir_okay=False,
        show_default=False,
    ),
]
SignOpt = Annotated[
    bool,
    typer.Option(
        "--sign",
        help="sign it with your member key (`deconfliction key new`, then `key register`)",
    ),
]

key_app = typer.Typer(
    help="Your member key: make one, register it; then --sign acknowledgements and messages.",
    no_args_is_help=True,
)


def member_key_path(file: Path | None = None) -> Path:
    named = Environment.read().member_key
    return file or Path(named or Path.home() / ".config" / "deconfliction" / "member.key")


def _public(signer: Signer) -> str:
    return base64.b64encode(signer.verifier().public_key).decode("ascii")


def _load(file: Path | None) -> Signer:
    path = member_key_path(file)
    try:
        return load(path)
    except RecordError as e:
        raise fail(f"{e}; make one with `deconfliction key new`") from None


@key_app.command("new")
def new(
    file: FileOpt = None,
    name: Annotated[
        str, typer.Option("--name", help="the key's name: yours, no spaces or '+'")
    ] = "member",
) -> None:
    """Make your member key file (owner-only), unless there is one; prints its public key."""
    if not valid_name(name):
        raise fail(f"--name: {name!r} has a space or '+', or is empty")
    path = member_key_path(file)
    existed = path.exists()
    try:
        signer = load_or_create(path, name)
    except (RecordError, OSError) as e:
        raise fail(str(e)) from None
    shown = console()
    shown.print(f"{'kept the' if existed else 'made a new'} key {signer.name} in {path}")
    shown.print(_public(signer))


@key_app.command("register")
def register(file: FileOpt = None, server: ServerOption = None, as_json: AsJson = False) -> None:
    """Register your key's public half with the line: your signatures are checked with it."""
    signer = _load(file)
    body = call(server, "PUT", "/v1/members/me/key", {"public_key": _public(signer)})
    if print_raw(body, as_json):
        return
    shown = console()
    shown.print(f"registered for member {body['member']} of {body['party']}")
    shown.print(str(body["public_key"]))


def signature(server: str | None, statement: Callable[[str], bytes]) -> str:
    """Your signature, base64, over ``statement(origin)`` for the line at ``server``."""
    signer = _load(None)
    origin = call(server, "GET", "/v1/record/key")["origin"]
    return base64.b64encode(signer.sign(statement(str(origin)))).decode("ascii")
