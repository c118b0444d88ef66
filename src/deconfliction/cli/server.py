"""Run the HTTP API under uvicorn."""

from __future__ import annotations

import uvicorn

from deconfliction.api.app import create_app
from deconfliction.cli.options import db_url
from deconfliction.domain import Buffers
from deconfliction.service import ScanSettings, open_line

__all__ = ["run"]


def run(
    db: str | None,
    host: str,
    port: int,
    h_m: float,
    v_m: float,
    t_s: float,
    scan_interval_s: float = 1.0,
    lookahead_s: float = 300.0,
) -> None:
    line = open_line(db_url(db), Buffers(h_m, v_m, t_s))
    app = create_app(
        line,
        scan_settings=ScanSettings(lookahead_s=lookahead_s),
        scan_interval_s=scan_interval_s or None,
        deadline_interval_s=5.0,
    )
    uvicorn.run(
        app, host=host, port=port, log_level="info", access_log=False, timeout_graceful_shutdown=5
    )
