"""Run the HTTP API under uvicorn."""

from __future__ import annotations

import uvicorn

from deconfliction.api.app import create_app
from deconfliction.cli.options import db_url
from deconfliction.domain import Buffers
from deconfliction.service import open_line

__all__ = ["run"]


def run(db: str | None, host: str, port: int, h_m: float, v_m: float, t_s: float) -> None:
    line = open_line(db_url(db), Buffers(h_m, v_m, t_s))
    uvicorn.run(create_app(line), host=host, port=port, log_level="info", access_log=False)
