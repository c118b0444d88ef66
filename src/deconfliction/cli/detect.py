"""``deconfliction detect``: conflict detection on files, offline, by the line's own code path."""

from __future__ import annotations

import typer

detect_app = typer.Typer(help="Detect conflicts in files, offline.", no_args_is_help=True)
