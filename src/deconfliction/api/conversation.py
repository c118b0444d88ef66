"""Threads and messages over HTTP: their shapes, their conversion, and their routes.

``install(app)`` adds ``/v1/threads`` (open, list), ``/v1/threads/{id}`` (read, with the first
page of its messages) and ``/v1/threads/{id}/messages`` (list them a page at a time; send a
request, reply or note). The rules live in
``service.conversation``; here the body becomes a ``MessageDraft``.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Body, FastAPI, Path, Request
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from deconfliction import service
from deconfliction.api import examples
from deconfliction.api.auth import Caller
from deconfliction.api.convert import volume_from
from deconfliction.api.paging import Cursor, Limit, list_responses, page_response
from deconfliction.api.respond import json_response
from deconfliction.api.schemas import (
    MEMBER,
    NEXT,
    Signature,
    SignedOut,
    Slug,
    TimeIn,
    VolumeIn,
    VolumeOut,
    plain_line,
    plain_lines,
)
from deconfliction.domain import (
    Member,
    Message,
    MessageDraft,
    MessageKind,
    ReplyKind,
    RequestKind,
    RequestState,
)
from deconfliction.domain.labels import Naming, thread_scope
from deconfliction.domain.limits import (
    MAX_REFERENCES,
    MAX_SUBJECT,
    MAX_TEXT,
    MAX_THREAD_PARTIES,
)
from deconfliction.domain.paging import DEFAULT_LIMIT
from deconfliction.domain.volume import check_window
from deconfliction.errors import InvalidInput
from deconfliction.service import Line
from deconfliction.wire import message_json, read_cursor, thread_json

__all__ = ["MessageIn", "MessageOut", "ThreadIn", "ThreadOut", "draft_of", "install"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


Id = Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]
Subject = Annotated[str, Field(max_length=MAX_SUBJECT), AfterValidator(plain_line)]
# free text may run over lines; other control characters are refused
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(plain_lines)]
ThreadId = Annotated[str, Path(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


class ThreadIn(_In):
    parties: list[Slug] = Field(
        min_length=1,
        max_length=MAX_THREAD_PARTIES,
        description="the other parties (yours is always in the thread); at most 50 in all",
    )
    subject: Subject = Field(description="1-200 characters, no control characters")


class MessageIn(_In):
    """A request, reply or note; each kind takes only its own fields (422 names a stray one)."""

    kind: MessageKind
    text: Text = Field("", description="free text (a note's content); line breaks allowed")
    request: RequestKind | None = Field(
        None, description="request: vacate, keep-clear (need a volume or notices), hold, confirm"
    )
    to: Slug | None = Field(None, description="request: the party asked (in the thread)")
    notices: list[Id] = Field(
        default_factory=list,
        max_length=MAX_REFERENCES,
        description="request: notices shared with you that it is about",
    )
    conflicts: list[Id] = Field(
        default_factory=list,
        max_length=MAX_REFERENCES,
        description="request: conflicts of your party that it is about",
    )
    volume: VolumeIn | None = Field(
        None, description="request: the area and window; counter: the alternative proposed"
    )
    deadline: AwareDatetime | None = Field(
        None, description="request: reply by then; in the future, at most 7 days ahead"
    )
    in_reply_to: Id | None = Field(
        None,
        description="reply: the request answered; or a counter to your party's request, to "
        "accept it (the agreement is then on the counter's terms)",
    )
    reply: ReplyKind | None = Field(
        None, description="reply: accept, decline, counter (a counter takes only accept)"
    )
    reason: Text = Field("", description="reply: why (required to decline)")
    window: TimeIn | None = Field(None, description="counter: the alternative window")
    signature: Signature | None = Field(
        None,
        description='your signature over {"act":"send","line":<origin>,"message":<this body '
        'without "signature">,"thread":<thread id>} (RFC 8785), with your registered key',
    )


class ThreadOut(BaseModel):
    id: str
    subject: str
    parties: list[str]
    party: str = Field(description="the party that opened it")
    member: str = Field(description=MEMBER)
    created_at: AwareDatetime
    updated_at: AwareDatetime = Field(description="its newest activity")


class WindowOut(BaseModel):
    start: AwareDatetime
    end: AwareDatetime


class MessageOut(BaseModel):
    id: str
    thread: str
    kind: MessageKind
    party: str = Field(description="who sent it")
    member: str = Field(description=MEMBER)
    created_at: AwareDatetime
    text: str
    request: RequestKind | None = None
    to: str | None = None
    notices: list[str] | None = None
    conflicts: list[str] | None = None
    deadline: AwareDatetime | None = None
    state: RequestState | None = Field(
        None,
        description="request: open, accepted (directly, or on the terms of a counter its party "
        "accepted), declined, countered or expired; counter: open, or accepted by the requester",
    )
    escalated_at: AwareDatetime | None = Field(
        None, description="request: when its missed deadline was told to both sides"
    )
    in_reply_to: str | None = None
    reply: ReplyKind | None = None
    reason: str | None = None
    window: WindowOut | None = None
    volume: VolumeOut | None = None
    signed: SignedOut | None = Field(None, description="the sender's verified signature")


class ThreadList(BaseModel):
    threads: list[ThreadOut]
    next: str | None = Field(description=NEXT)


class MessageList(BaseModel):
    messages: list[MessageOut]
    next: str | None = Field(description=NEXT)


class ThreadWithMessages(BaseModel):
    thread: ThreadOut
    messages: list[MessageOut] = Field(description="the first page of its messages, oldest first")
    next: str | None = Field(
        description="the cursor of the next page of messages, at /v1/threads/{id}/messages; "
        "null when this page holds them all"
    )


def draft_of(body: MessageIn) -> MessageDraft:
    window = None
    if body.window is not None:
        window = check_window(body.window.start, body.window.end, "/window")
    return MessageDraft(
        kind=body.kind,
        text=body.text,
        request=body.request,
        to=body.to,
        notices=tuple(body.notices),
        conflicts=tuple(body.conflicts),
        volume=None if body.volume is None else volume_from(body.volume, "/volume"),
        deadline=body.deadline,
        in_reply_to=body.in_reply_to,
        reply=body.reply,
        reason=body.reason,
        window=window,
    )


def _as_sent(raw: bytes) -> dict[str, Any]:
    """The body as the client wrote it, parsed: what a signed message's statement holds."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None  # e.g. an integer too large to read back: no statement can be made of it
    if not isinstance(body, dict):
        raise InvalidInput(
            "the body cannot be read back exactly to check its signature", "/signature"
        )
    return body


def install(app: FastAPI) -> None:
    """Add the thread routes to ``app``."""
    line: Line = app.state.line

    def names(caller: Member, thread_id: str) -> Naming:
        """How the caller is shown the members of a thread: its own party's by id."""
        return line.labels.naming(thread_scope(thread_id), caller.party)

    @app.post("/v1/threads", status_code=201, response_model=ThreadOut, tags=["threads"])
    def open_thread(
        body: Annotated[ThreadIn, Body(openapi_examples=examples.THREAD)], caller: Caller
    ) -> Response:
        """Open a thread between your party and others (coordinators)."""
        thread = service.open_thread(line, caller, body.parties, body.subject)
        shown = thread_json(thread, names(caller, thread.id))
        return json_response(shown, 201, {"Location": f"/v1/threads/{thread.id}"})

    @app.get("/v1/threads", response_model=ThreadList, tags=["threads"], responses=list_responses())
    def threads(
        request: Request, caller: Caller, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Response:
        """Your party's threads, newest activity first; a page at a time (`next`, `Link`).

        A thread with new activity moves to the front: a pass through the pages tells each
        thread once, as it was when its page was read.
        """
        found = service.list_threads(line, caller, limit, read_cursor(cursor, "threads"))
        items = [thread_json(t, names(caller, t.id)) for t in found.items]
        return page_response(request, "threads", items, found.after)

    @app.get(
        "/v1/threads/{thread_id}",
        response_model=ThreadWithMessages,
        tags=["threads"],
        responses=list_responses(),
    )
    def thread(
        request: Request, thread_id: ThreadId, caller: Caller, limit: Limit = DEFAULT_LIMIT
    ) -> Response:
        """A thread of your party and the first page of its messages, oldest first (404 for
        others' threads); `next` and `Link` lead on to `/v1/threads/{id}/messages`."""
        view = service.get_thread(line, caller, thread_id, limit)
        name = names(caller, view.thread.id)
        items = [message_json(m, view.at, name) for m in view.messages]
        return page_response(
            request,
            "messages",
            items,
            view.after,
            body={"thread": thread_json(view.thread, name)},
            link_path=f"/v1/threads/{thread_id}/messages",
        )

    @app.get(
        "/v1/threads/{thread_id}/messages",
        response_model=MessageList,
        tags=["threads"],
        responses=list_responses(),
    )
    def messages(
        request: Request,
        thread_id: ThreadId,
        caller: Caller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response:
        """The messages of a thread of your party, oldest first; a page at a time (`next`,
        `Link`; 404 for others' threads)."""
        after = read_cursor(cursor, "messages")
        view = service.get_thread(line, caller, thread_id, limit, after)
        name = names(caller, view.thread.id)
        items = [message_json(m, view.at, name) for m in view.messages]
        return page_response(request, "messages", items, view.after)

    @app.post(
        "/v1/threads/{thread_id}/messages",
        status_code=201,
        response_model=MessageOut,
        tags=["threads"],
    )
    async def send(
        thread_id: ThreadId,
        body: Annotated[MessageIn, Body(openapi_examples=examples.MESSAGE)],
        caller: Caller,
        request: Request,
    ) -> Response:
        """Send a request, reply or note on a thread of your party (coordinators).

        A reply answers a request addressed to your party, once, before its deadline (409
        otherwise); the requester may `accept` a counter to its request, once, while the
        counter's terms last, and the agreement is then on the counter's terms. Every message
        is one `message.sent` event to the thread's parties. With `signature`, the line checks
        it over this body as sent and records it on the message.
        """
        sent = None if body.signature is None else _as_sent(await request.body())

        def post() -> Message:
            # the use case reads the draft (geometry costs) once the member may write
            return service.post_message(
                line, caller, thread_id, lambda: draft_of(body), body.signature, sent
            )

        message = await run_in_threadpool(post)
        shown = message_json(message, message.created_at, names(caller, message.thread))
        return json_response(shown, 201)
