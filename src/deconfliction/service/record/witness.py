"""Witnesses: a party that has proven a checkpoint consistent with the ones it held cosigns it
(c2sp.org/tlog-cosignature, ``record.cosignature``) and hands the cosignature back; the line
checks it with the member's registered key, keeps it and serves it to every party.

What it buys: a host that cuts the tail of its log, even with its checkpoints and tree nodes,
still holds a cosignature over the larger size (``record verify`` names it), and the party that
cosigned keeps its own copy (``record sync`` refuses a line behind it); a party comparing the
roots others cosigned with its own sees a split view.
"""

from __future__ import annotations

import base64
from typing import Any

from deconfliction.domain import Member, Role
from deconfliction.errors import InvalidInput, NotFound, PermissionDenied
from deconfliction.record import Checkpoint, RecordError
from deconfliction.record.cosignature import (
    Cosigner,
    cosigned_at,
    parse_cosignature,
    witness_name,
)
from deconfliction.service.line import Line
from deconfliction.service.parties.keys import REGISTER_FIRST
from deconfliction.store.base import StoredCosignature

__all__ = ["add_cosignature", "cosignature_json", "cosignatures"]


def add_cosignature(line: Line, actor: Member, size: int, cosignature: str) -> StoredCosignature:
    """Keep the actor's cosignature of the line's checkpoint over ``size`` events, once it
    verifies with the actor's registered key under the cosigner name of its party
    (``record.cosignature.witness_name``). ``InvalidInput`` at ``/cosignature`` says what does
    not hold; the host does not witness its own record."""
    if actor.role is Role.ADMIN:
        raise PermissionDenied("the host does not witness its own record; a party's member does")
    try:
        parsed = parse_cosignature(cosignature)
    except RecordError as exc:
        raise InvalidInput(str(exc), "/cosignature") from None
    name = witness_name(line.origin, actor.party)
    if parsed.name != name:
        raise InvalidInput(
            f"the cosigner name is {parsed.name!r}; a member of {actor.party} cosigns as {name!r}",
            "/cosignature",
        )
    with line.store.transaction() as tx:
        key = tx.member_key(actor.id)
        if key is None:
            raise InvalidInput(REGISTER_FIRST, "/cosignature")
        checkpoint = tx.get_checkpoint(size)
        if checkpoint is None:
            raise NotFound(f"this line signed no checkpoint over {size} events", "/size")
        cosigner = Cosigner.from_public_key(name, key.public_key)
        body = Checkpoint(line.origin, size, checkpoint.root)
        try:
            cosigner.verify(body, cosignature)
        except RecordError as exc:
            raise InvalidInput(
                f"{exc}: sign the checkpoint this line serves at ?size={size}, with the key you "
                "registered",
                "/cosignature",
            ) from None
        kept = StoredCosignature(
            member=actor.id,
            party=actor.party,
            size=size,
            root=checkpoint.root,
            vkey=cosigner.vkey(),
            time_s=parsed.timestamp,
            signature=cosignature.removesuffix("\n"),
            received_at=line.clock(),
        )
        tx.put_cosignature(kept)
    return kept


def cosignatures(line: Line, size: int | None = None) -> list[StoredCosignature]:
    """Every cosignature of the checkpoint over ``size`` events; without ``size``, each
    cosigner's latest (the largest checkpoint it cosigned)."""
    with line.store.read() as tx:
        return tx.latest_cosignatures() if size is None else tx.cosignatures_of_size(size)


def cosignature_json(c: StoredCosignature) -> dict[str, Any]:
    """A cosignature as any party is shown it: the party, never the member (a party's members
    are its own business)."""
    return {
        "party": c.party,
        "size": c.size,
        "root": base64.b64encode(c.root).decode("ascii"),
        "time": c.time_s,
        "cosigned_at": cosigned_at(c.time_s),
        "vkey": c.vkey,
        "cosignature": c.signature,
    }
