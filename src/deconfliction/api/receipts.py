"""Receipts over HTTP: acknowledge a notice version or a message; see who has received and
acknowledged it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, FastAPI, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from deconfliction.api import examples
from deconfliction.api.auth import Caller
from deconfliction.api.respond import json_response
from deconfliction.api.schemas import AckIn, ReceiptList, ReceiptOut, Signature, SignedOut
from deconfliction.domain.labels import notice_scope, thread_scope
from deconfliction.service import (
    Line,
    acknowledge,
    acknowledge_message,
    message_receipts_of,
    receipts_of,
)
from deconfliction.wire import ack_due_json, message_receipt_json, receipt_json

__all__ = ["install"]

NoticeId = Annotated[str, Path(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]
ThreadId = Annotated[str, Path(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]
MessageId = Annotated[str, Path(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


class MessageReceiptOut(BaseModel):
    message: str
    thread: str
    party: str
    delivered_at: AwareDatetime | None = Field(None, description="first fetched or pushed")
    acknowledged_at: AwareDatetime | None = Field(None, description="first acknowledged")
    signed: SignedOut | None = Field(None, description="the first signed acknowledgement")


class MessageAckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signature: Signature | None = None


class MessageReceiptList(BaseModel):
    message: str
    receipts: list[MessageReceiptOut]


def install(app: FastAPI) -> None:
    """Add the receipt routes to ``app``."""
    line: Line = app.state.line

    @app.post("/v1/notices/{notice_id}/ack", response_model=ReceiptOut, tags=["receipts"])
    async def ack(
        notice_id: NoticeId,
        caller: Caller,
        body: Annotated[AckIn | None, Body(openapi_examples=examples.ACK)] = None,
    ) -> Response:
        """Acknowledge a notice shared with you (its current version, or `version`).

        With `signature` (and `version`), signed over the statement
        `{"act":"acknowledge","line":<origin>,"notice":<id>,"version":<version>}`; a version
        acknowledged before without a signature takes it then.
        """
        version = None if body is None else body.version
        signature = None if body is None else body.signature
        receipt = await run_in_threadpool(acknowledge, line, caller, notice_id, version, signature)
        name = line.labels.naming(notice_scope(receipt.notice), caller.party)
        return json_response(receipt_json(receipt, name))

    @app.get("/v1/notices/{notice_id}/receipts", response_model=ReceiptList, tags=["receipts"])
    async def receipts(notice_id: NoticeId, caller: Caller) -> Response:
        """Your notice: every party's receipts and the acknowledgements still missing. Another
        party's notice: your own party's receipts, and the deadlines you are asked to meet."""
        view = await run_in_threadpool(receipts_of, line, caller, notice_id)
        name = line.labels.naming(notice_scope(view.notice), caller.party)
        return json_response(
            {
                "notice": view.notice,
                "receipts": [receipt_json(r, name) for r in view.receipts],
                "due": [ack_due_json(d, missing) for d, missing in view.due],
            }
        )

    @app.post(
        "/v1/threads/{thread_id}/messages/{message_id}/ack",
        response_model=MessageReceiptOut,
        tags=["receipts"],
    )
    async def ack_message(
        thread_id: ThreadId,
        message_id: MessageId,
        caller: Caller,
        body: Annotated[MessageAckIn | None, Body(openapi_examples=examples.MESSAGE_ACK)] = None,
    ) -> Response:
        """Acknowledge a message another party sent on a thread of yours (409 for your own).

        With `signature`, signed over the statement
        `{"act":"acknowledge","line":<origin>,"message":<id>,"thread":<thread id>}`.
        """
        signature = None if body is None else body.signature
        receipt = await run_in_threadpool(
            acknowledge_message, line, caller, thread_id, message_id, signature
        )
        name = line.labels.naming(thread_scope(receipt.thread), caller.party)
        return json_response(message_receipt_json(receipt, name))

    @app.get(
        "/v1/threads/{thread_id}/messages/{message_id}/receipts",
        response_model=MessageReceiptList,
        tags=["receipts"],
    )
    async def message_receipts(
        thread_id: ThreadId, message_id: MessageId, caller: Caller
    ) -> Response:
        """Your party's message: every party's receipts. Another party's: your own party's."""
        found = await run_in_threadpool(message_receipts_of, line, caller, thread_id, message_id)
        name = line.labels.naming(thread_scope(thread_id), caller.party)
        return json_response(
            {"message": message_id, "receipts": [message_receipt_json(r, name) for r in found]}
        )
