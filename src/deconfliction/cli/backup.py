"""``deconfliction backup``: a copy of an embedded line's database, made while it serves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from deconfliction.cli.client import fail
from deconfliction.cli.options import DbOption
from deconfliction.config import Environment, LineConfig

__all__ = ["backup"]


def backup(
    dest: Annotated[Path, typer.Argument(help="the new file to write (never replaced)")],
    db: DbOption = None,
    with_key: Annotated[
        bool,
        typer.Option(help="also copy the line's signing key, to DEST with the suffix .key"),
    ] = False,
    key_file: Annotated[
        Path | None,
        typer.Option(help="the line's key file (default: as serve finds it)", show_default=False),
    ] = None,
) -> None:
    """Copy the line's SQLite database to DEST while it runs (SQLite's online backup), readable
    by you only. Restore by putting the copy (and its key) where serve looks; `record verify
    --db` checks it. A PostgreSQL line is backed up with pg_dump (docs/security.md)."""
    from deconfliction import service

    env = Environment.read()
    config = LineConfig(
        db_url=env.db_url(db), key_path=key_file or (Path(env.key) if env.key else None)
    )
    try:
        made = service.backup(config, dest, with_key=with_key)
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None
    said = f"{made.database}: {made.size_bytes:,} bytes"
    if made.key is not None:
        said += f"; the signing key in {made.key}"
    if made.tak_ca is not None:
        said += f"; the TAK certificate authority in {made.tak_ca}"
    Console(highlight=False, soft_wrap=True).print(escape(said))
