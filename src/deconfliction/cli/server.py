"""Run the HTTP API under uvicorn."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import uvicorn
from rich.console import Console

from deconfliction.api.app import create_app
from deconfliction.cli.options import db_url
from deconfliction.domain import Buffers
from deconfliction.service import ScanSettings, open_line

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    """What ``deconfliction serve`` was asked for."""

    db: str | None = None
    host: str = "127.0.0.1"
    port: int = 8470
    h_m: float = 0.0
    v_m: float = 0.0
    t_s: float = 0.0
    scan_interval_s: float = 1.0
    lookahead_s: float = 300.0
    key_file: Path | None = None
    name: str | None = None
    record_interval_s: float = 2.0


def run(s: Settings) -> None:
    line = open_line(db_url(s.db), Buffers(s.h_m, s.v_m, s.t_s), s.key_file, s.name)
    # The key is made (or loaded) now, at start, and its public half shown for parties to pin.
    Console(stderr=True).print(
        f"The record is signed by [bold]{line.signer.verifier().vkey()}[/bold]", soft_wrap=True
    )
    app = create_app(
        line,
        scan_settings=ScanSettings(lookahead_s=s.lookahead_s),
        scan_interval_s=s.scan_interval_s or None,
        deadline_interval_s=5.0,
        record_interval_s=s.record_interval_s,
    )
    uvicorn.run(
        app, host=s.host, port=s.port, log_level="info", access_log=False,
        timeout_graceful_shutdown=5,
    )  # fmt: skip
