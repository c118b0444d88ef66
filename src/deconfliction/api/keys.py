"""Members' public keys over HTTP: register the key your signatures are checked with, read it.

The rules live in ``service.parties.keys``; the statements signed in ``record.statement``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, FastAPI
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from deconfliction import service
from deconfliction.api import examples
from deconfliction.api.auth import Caller
from deconfliction.api.respond import json_response
from deconfliction.domain import Member
from deconfliction.domain.labels import key_scope
from deconfliction.domain.party import MemberKey
from deconfliction.service import Line
from deconfliction.wire import key_json, key_text

__all__ = ["KeyIn", "KeyOut", "install"]


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_key: str = Field(
        max_length=512,
        description="your Ed25519 public key: standard base64 of its 32 bytes, or a C2SP "
        "verifier key (name+id+base64)",
    )


class KeyOut(BaseModel):
    party: str
    member: str = Field(
        description="your member id; in a `key.registered` event of another party's member, a "
        "label that names no one (each key has its own)"
    )
    public_key: str = Field(description="standard base64 of the 32-byte Ed25519 public key")
    registered_at: AwareDatetime


def install(app: FastAPI) -> None:
    """Add the member key routes to ``app``."""
    line: Line = app.state.line

    def shown(key: MemberKey, caller: Member) -> Response:
        """The caller's own key: its member by id."""
        name = line.labels.naming(key_scope(key_text(key)), caller.party)
        return json_response(key_json(key, name))

    @app.put("/v1/members/me/key", response_model=KeyOut, tags=["members"])
    async def put_key(
        body: Annotated[KeyIn, Body(openapi_examples=examples.KEY)], caller: Caller
    ) -> Response:
        """Register (or replace) the public key your signed acknowledgements and messages are
        checked with. A `key.registered` event tells every party."""
        key = await run_in_threadpool(service.register_key, line, caller, body.public_key)
        return shown(key, caller)

    @app.get("/v1/members/me/key", response_model=KeyOut, tags=["members"])
    async def get_key(caller: Caller) -> Response:
        """Your registered public key (404 if you have none)."""
        key = await run_in_threadpool(service.member_key, line, caller)
        return shown(key, caller)
