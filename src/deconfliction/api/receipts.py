"""Receipts over HTTP: acknowledge a notice version; see who has received and acknowledged it."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Body, FastAPI, Path
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from deconfliction.api.auth import Caller
from deconfliction.api.schemas import AckIn, ReceiptList, ReceiptOut
from deconfliction.service import Line
from deconfliction.service.receipts import acknowledge, receipt_json, receipts_of
from deconfliction.service.wire import utc_z

__all__ = ["install"]

NoticeId = Annotated[str, Path(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def install(app: FastAPI) -> None:
    """Add the receipt routes to ``app``."""
    line: Line = app.state.line

    @app.post("/v1/notices/{notice_id}/ack", response_model=ReceiptOut, tags=["receipts"])
    async def ack(
        notice_id: NoticeId, caller: Caller, body: Annotated[AckIn | None, Body()] = None
    ) -> Response:
        """Acknowledge a notice shared with you (its current version, or `version`)."""
        version = None if body is None else body.version
        receipt = await run_in_threadpool(acknowledge, line, caller, notice_id, version)
        return _json(receipt_json(receipt))

    @app.get("/v1/notices/{notice_id}/receipts", response_model=ReceiptList, tags=["receipts"])
    async def receipts(notice_id: NoticeId, caller: Caller) -> Response:
        """Your notice: every party's receipts and the acknowledgements still missing. Another
        party's notice: your own party's receipts."""
        view = await run_in_threadpool(receipts_of, line, caller, notice_id)
        return _json(
            {
                "notice": view.notice,
                "receipts": [receipt_json(r) for r in view.receipts],
                "due": [
                    {
                        "version": d.version,
                        "due": utc_z(d.due),
                        "escalated_at": None if d.escalated_at is None else utc_z(d.escalated_at),
                        "missing": missing,
                    }
                    for d, missing in view.due
                ],
            }
        )
