"""Many nodes over one PostgreSQL database: what each ``serve`` process starts so that its
streams hear the other nodes' commits.

The event log stays the one sequence (seqs are taken under the notice write lock, a transaction
advisory lock every node takes), so all a node needs from the others is "the log now goes up to
seq N": ``bus.bridge`` carries that over NATS, and reads the log's head itself when NATS is away.
"""

from __future__ import annotations

import os
import socket

from deconfliction.bus.bridge import FALLBACK_S, SAFETY_S, BridgeStats, NatsBridge, subject_for
from deconfliction.service.line import Line

__all__ = ["BridgeStats", "NodeLink", "link_nodes"]

NodeLink = NatsBridge
"""A running link to the other nodes (``start()``, ``stop()``, ``stats``)."""


def link_nodes(
    line: Line,
    nats_url: str,
    fallback_s: float = FALLBACK_S,
    safety_s: float = SAFETY_S,
) -> NodeLink:
    """A link (not yet started) between ``line``'s signal and the other nodes over NATS at
    ``nats_url``; while NATS is away the log's head is read every ``fallback_s``."""

    def head() -> int:
        with line.store.read() as tx:
            return tx.last_event_seq()

    return NatsBridge(
        line.signal,
        nats_url,
        head,
        subject=subject_for(line.origin),
        name=f"deconfliction {socket.gethostname()}:{os.getpid()}",
        fallback_s=fallback_s,
        safety_s=safety_s,
    )
