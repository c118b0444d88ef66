"""Run the HTTP API under uvicorn, with the line's background duties."""

from __future__ import annotations

import uvicorn
from rich.console import Console

from deconfliction.api.app import create_app
from deconfliction.service import LineConfig, open_line

__all__ = ["run"]


def run(config: LineConfig) -> None:
    line = open_line(config)
    # The key is made (or loaded) now, at start, and its public half shown for parties to pin.
    Console(stderr=True).print(
        f"The record is signed by [bold]{line.signer.verifier().vkey()}[/bold]", soft_wrap=True
    )
    uvicorn.run(
        create_app(line, config), host=config.host, port=config.port, log_level="info",
        access_log=False, timeout_graceful_shutdown=5,
    )  # fmt: skip
