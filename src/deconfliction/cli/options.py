"""Options shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

from deconfliction.config import Environment

__all__ = ["DbOption", "HBuffer", "TBuffer", "VBuffer", "db_url"]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="database URL (default: the embedded SQLite file, or $DECONFLICTION_DB)",
        show_default=False,
    ),
]
HBuffer = Annotated[float, typer.Option(min=0, help="the line's horizontal buffer, metres")]
VBuffer = Annotated[float, typer.Option(min=0, help="the line's vertical buffer, metres")]
TBuffer = Annotated[float, typer.Option(min=0, help="the line's time buffer, seconds")]


def db_url(db: str | None) -> str:
    """The database a command works on: ``--db``, else ``$DECONFLICTION_DB``, else the default."""
    return Environment.read().db_url(db)
