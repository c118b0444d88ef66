"""A party as a witness of the line's record, from a terminal: hold the cosignatures the line
serves to the checkpoint you see, and cosign what you proved consistent (c2sp.org/tlog-cosignature).

``record sync`` does both after proving the new checkpoint consistent with the ones you held;
``record witnesses`` shows each witness's latest cosignature beside your view.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from deconfliction.cli.client import fail, refused
from deconfliction.record import Checkpoint, RecordError, load, verify_consistency
from deconfliction.record.cosignature import Cosigner, cosign, cosigned_at, witness_name

__all__ = ["Seen", "cosign_checkpoint", "hold_witnesses"]

Get = Callable[..., httpx.Response]
"""``get(path, **params)``: the line's 200 answer to a GET (anything else exits)."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One witness's latest cosignature, and what it says of the view the line shows you:
    ``problem`` is ``None`` when it agrees."""

    party: str
    size: int
    cosigned_at: str
    problem: str | None


def hold_witnesses(get: Get, new: Checkpoint, held: dict[str, Any]) -> list[Seen]:
    """Each witness's latest cosignature held to ``new``, the checkpoint the line shows you
    (already proven consistent with the ones you hold): a cosigned size beyond it is a cut log,
    another root at the same size (or one not consistent with yours) a split view."""
    roots = {int(c["size"]): c["root"] for c in held.get("checkpoints", ())}
    out = []
    for c in get("/v1/record/cosignatures").json()["cosignatures"]:
        party, size = str(c["party"]), int(c["size"])
        when = cosigned_at(int(c["time"]))
        out.append(Seen(party, size, when, _problem(get, new, roots, c, party, size, when)))
    return out


def _problem(
    get: Get,
    new: Checkpoint,
    roots: dict[int, str],
    c: dict[str, Any],
    party: str,
    size: int,
    when: str,
) -> str | None:
    try:
        root = base64.b64decode(c["root"], validate=True)
        Cosigner.from_vkey(c["vkey"]).verify(Checkpoint(new.origin, size, root), c["cosignature"])
    except (RecordError, ValueError) as exc:
        return f"the line serves a cosignature by party {party} that does not verify ({exc})"
    seen = f"party {party} cosigned checkpoint {size} at {when}"
    if size > new.size:
        return (
            f"{seen}, but the line's latest checkpoint is {new.size}: its log was cut, or it "
            f"shows you another view than it showed {party}"
        )
    split = f"SPLIT VIEW: {seen} with another root than the line shows you"
    if size == new.size:
        return None if root == new.root else split
    if size in roots:
        return None if roots[size] == c["root"] else split
    proof = get("/v1/record/consistency", old=size, new=new.size).json()["proof"]
    try:
        verify_consistency(size, new.size, root, new.root, [base64.b64decode(h) for h in proof])
    except RecordError:
        return f"{split} (it is not a prefix of checkpoint {new.size})"
    return None


def cosign_checkpoint(
    get: Get,
    post: Callable[[str, dict[str, Any]], httpx.Response],
    new: Checkpoint,
    held: dict[str, Any],
    key_path: Path,
    asked: bool,
) -> str:
    """Cosign ``new`` with your member key and hand it to the line; what was done, in a few
    words. Without a registered key: exit when ``asked`` (``--cosign``), else say so."""
    try:
        signer = load(key_path)
    except RecordError as exc:
        raise fail(f"cannot cosign: {exc}; make one with `deconfliction key new`") from None
    mine = get("/v1/members/me/key", missing_ok=True)
    if mine.status_code == 404:
        hint = "register your key first: deconfliction key register"
        if asked:
            raise fail(f"cannot cosign: {hint}")
        return f"not cosigned ({hint})"
    registered = base64.b64decode(mine.json()["public_key"])
    if registered != signer.verifier().public_key:
        raise fail(f"cannot cosign: the key in {key_path} is not the one you registered")
    cosigned = held.get("cosigned") or {}
    name = witness_name(new.origin, mine.json()["party"])
    if cosigned.get("size") == new.size and cosigned.get("name") == name:
        return f"cosigned as {name} already"
    line = cosign(new, signer, name, int(time.time()))
    r = post("/v1/record/cosignatures", {"size": new.size, "cosignature": line})
    if r.status_code != 201:
        raise refused(r)
    held["cosigned"] = {
        "size": new.size,
        "root": base64.b64encode(new.root).decode(),
        "name": name,
        "cosignature": line,
        "cosigned_at": r.json()["cosigned_at"],
    }
    return f"cosigned as {name}"
