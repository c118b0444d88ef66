"""The record over HTTP: the line's public key, signed checkpoints, inclusion and consistency
proofs, the entries (in clear only where the caller may read them), evidence bundles, and the
witnesses' cosignatures of checkpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from deconfliction.api import examples
from deconfliction.api.auth import Caller
from deconfliction.api.respond import json_response
from deconfliction.domain.limits import MAX_ENTRIES
from deconfliction.service import (
    Line,
    b64,
    consistency,
    entries_for,
    evidence_bundle,
    inclusion,
    latest_checkpoint,
)
from deconfliction.service.record import add_cosignature, cosignature_json, cosignatures

__all__ = ["install"]

Seq = Annotated[int, Query(ge=1, le=2**62, description="an event's sequence number")]
OptSize = Annotated[
    int | None,
    Query(ge=1, le=2**62, description="a tree size (default: the latest checkpoint's)"),
]


class LineKey(BaseModel):
    origin: str = Field(description="the line's name: the first line of every checkpoint")
    vkey: str = Field(description="the C2SP signed-note verifier key the checkpoints verify with")
    public_key: str = Field(description="the raw Ed25519 public key, base64")


class InclusionOut(BaseModel):
    seq: int
    index: int = Field(description="the leaf's index in the tree: seq - 1")
    size: int
    leaf: str = Field(description="the leaf hash, SHA-256(0x00 || entry), base64")
    proof: list[str] = Field(description="RFC 9162 inclusion proof, base64 hashes, leaf upward")


class ConsistencyOut(BaseModel):
    old: int
    new: int
    proof: list[str] = Field(description="RFC 9162 consistency proof, base64 hashes")


class EntryOut(BaseModel):
    seq: int
    entry: str | None = Field(None, description="the entry in clear (RFC 8785 JSON)")
    leaf: str | None = Field(None, description="only the leaf hash: not yours to read")


class EntryList(BaseModel):
    entries: list[EntryOut]


class ProvenEntry(BaseModel):
    seq: int
    entry: str = Field(description="the entry (RFC 8785 JSON of the event's record)")
    proof: list[str] = Field(description="its inclusion proof against the bundle's checkpoint")


class Evidence(BaseModel):
    format: str = Field(description="deconfliction-evidence/1")
    origin: str
    notice: str
    party: str | None = Field(description="the party the bundle was narrowed to, if any")
    made_at: str
    made_for: str = Field(description="the party that asked for it (what it may read)")
    checkpoint: str = Field(description="the signed checkpoint every proof leads to")
    entries: list[ProvenEntry]
    withheld: int = Field(description="entries about the notice the asking party may not read")


class CosignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: int = Field(ge=1, le=2**62, description="the size of the checkpoint you cosigned")
    cosignature: str = Field(
        max_length=1024,
        description="your C2SP tlog-cosignature of it, as a signature line: `— <name> "
        "base64(key id || time || signature)`, the name `<origin>/witness/<your party>`, the "
        "key the one you registered (PUT /v1/members/me/key)",
    )


class CosignatureOut(BaseModel):
    party: str = Field(description="the party whose member cosigned")
    size: int
    root: str = Field(description="the root hash it cosigned, base64")
    time: int = Field(description="when it cosigned, by its own clock (POSIX seconds)")
    cosigned_at: str = Field(description="the same time, UTC")
    vkey: str = Field(description="the cosigner's verifier key (C2SP vkey, type 0x04)")
    cosignature: str = Field(description="the signature line, to append to the checkpoint")


class CosignatureList(BaseModel):
    cosignatures: list[CosignatureOut]


def install(app: FastAPI) -> None:
    """Add the record's routes to ``app``."""
    line: Line = app.state.line

    @app.get("/v1/record/key", response_model=LineKey, tags=["record"])
    async def key(caller: Caller) -> Response:
        """The line's name and the public key its checkpoints are signed with."""
        verifier = line.signer.verifier()
        return json_response(
            {"origin": line.origin, "vkey": verifier.vkey(), "public_key": b64(verifier.public_key)}
        )

    @app.get(
        "/v1/record/checkpoint",
        tags=["record"],
        responses={200: {"content": {"text/plain": {}}, "description": "a C2SP signed note"}},
    )
    async def checkpoint(caller: Caller, size: OptSize = None) -> Response:
        """The latest signed checkpoint (or the one over exactly `size` events), as a C2SP
        tlog-checkpoint signed note."""
        found = await run_in_threadpool(latest_checkpoint, line, size)
        return Response(found.note, media_type="text/plain; charset=utf-8")

    @app.get("/v1/record/inclusion", response_model=InclusionOut, tags=["record"])
    async def prove_inclusion(caller: Caller, seq: Seq, size: OptSize = None) -> Response:
        """Proof that event `seq` is in the tree of `size` events (RFC 9162 §2.1.3)."""
        proof = await run_in_threadpool(inclusion, line, seq, size)
        return json_response(proof.to_json())

    @app.get("/v1/record/consistency", response_model=ConsistencyOut, tags=["record"])
    async def prove_consistency(
        caller: Caller,
        old: Annotated[int, Query(ge=1, le=2**62, description="the older tree size")],
        new: OptSize = None,
    ) -> Response:
        """Proof that the tree of `old` events is a prefix of the tree of `new` (RFC 9162
        §2.1.4): nothing the line recorded was changed or removed in between."""
        return json_response(await run_in_threadpool(consistency, line, old, new))

    @app.get("/v1/record/entries", response_model=EntryList, tags=["record"])
    async def entries(
        caller: Caller,
        start: Seq,
        end: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    ) -> Response:
        """Entries `start` to `end` (at most 1000): in clear where your party may read the event
        in full, else as leaf hashes, so the tree can be rebuilt either way."""
        last = start + MAX_ENTRIES - 1 if end is None else end
        found = await run_in_threadpool(entries_for, line, caller, start, last)
        return json_response({"entries": found})

    @app.get("/v1/record/evidence", response_model=Evidence, tags=["record"])
    async def evidence(
        caller: Caller,
        notice: Annotated[str, Query(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")],
        party: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        """An evidence bundle: every version of a notice, every receipt and reply about it,
        each with its inclusion proof, and a signed checkpoint; `deconfliction record check`
        verifies it offline."""
        bundle = await run_in_threadpool(evidence_bundle, line, caller, notice, party)
        return json_response(bundle)

    @app.post(
        "/v1/record/cosignatures",
        response_model=CosignatureOut,
        status_code=201,
        tags=["record"],
    )
    async def cosign(
        caller: Caller, body: Annotated[CosignatureIn, Body(openapi_examples=examples.COSIGNATURE)]
    ) -> Response:
        """Hand the line your cosignature of one of its checkpoints, once `record sync` (or your
        own witness) has proven it consistent with the ones you held. The line checks it with
        your registered key and serves it to every party; a cosignature that does not verify is
        refused, naming what does not hold."""
        kept = await run_in_threadpool(add_cosignature, line, caller, body.size, body.cosignature)
        return json_response(cosignature_json(kept), status=201)

    @app.get("/v1/record/cosignatures", response_model=CosignatureList, tags=["record"])
    async def list_cosignatures(caller: Caller, size: OptSize = None) -> Response:
        """The cosignatures of the checkpoint over `size` events; without `size`, each
        witness's latest. Compare their roots with yours: another root at the same size is a
        split view; a size larger than the line's latest checkpoint, a cut log."""
        found = await run_in_threadpool(cosignatures, line, size)
        return json_response({"cosignatures": [cosignature_json(c) for c in found]})
