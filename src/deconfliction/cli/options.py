"""Options shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

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
    from deconfliction.store import DEFAULT_URL

    return db or DEFAULT_URL
