"""The ``deconfliction`` command."""

from __future__ import annotations

import typer

from deconfliction.cli.detect import detect_app

app = typer.Typer(help="Deconfliction Line: tell each other where you will be.", no_args_is_help=True)
app.add_typer(detect_app, name="detect")
