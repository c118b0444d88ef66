"""Open streams end when their token stops working: revoked, rotated or expired.

A stream checks at every wake (each batch, and at least every ``stream.WAIT_S``) through one
``MemberGuard`` per app: expiry against the line's clock, costing nothing; revocation and
rotation against the store, in one read for every open stream, made when the line revokes or
rotates a token in this process (``EventSignal.recheck_members`` wakes every stream) and
otherwise at most every ``CHECK_S`` (another process's revocation). A stream therefore ends at
once on a revocation here, and within ``CHECK_S`` plus one wait on one made elsewhere.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.concurrency import run_in_threadpool

from deconfliction import service
from deconfliction.domain import Member
from deconfliction.service import Line

__all__ = ["CHECK_S", "MemberGuard"]

CHECK_S = 5.0
"""How stale the guard's view of open streams' members may be (revocations in other processes)."""

REPLACED = "this token was replaced by a new one (rotated); sign in with the new token"


class MemberGuard:
    """Whether the member behind each open stream may still read."""

    def __init__(self, line: Line) -> None:
        self.line = line
        self._open: Counter[str] = Counter()
        self._current: dict[str, Member] = {}
        self._checked = float("-inf")
        self._seen = line.signal.members
        self._task: asyncio.Task[None] | None = None

    @contextmanager
    def watching(self, member: Member) -> Iterator[None]:
        """While a stream of ``member`` is open."""
        self._open[member.id] += 1
        self._current[member.id] = member  # just authenticated: the newest word on its token
        try:
            yield
        finally:
            self._open[member.id] -= 1
            if self._open[member.id] <= 0:
                del self._open[member.id]
                self._current.pop(member.id, None)

    async def refusal(self, member: Member) -> str | None:
        """Why the stream of ``member`` must end now, or ``None`` while its token works."""
        refused = member.refusal(self.line.clock())
        if refused is not None:
            return refused
        for _ in range(3):  # a read begun before the latest revocation is read again
            stale = time.monotonic() - self._checked >= CHECK_S
            if not stale and self._seen == self.line.signal.members:
                break
            await self._refresh()
        current = self._current.get(member.id)
        if current is None:
            return "this member is no longer on the line"
        if current.token_prefix != member.token_prefix:
            return REPLACED
        return current.refusal(self.line.clock())

    async def _refresh(self) -> None:
        """One read of every open stream's member, shared by the streams that wake together."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._read())
        task = self._task
        await asyncio.shield(task)

    async def _read(self) -> None:
        seen = self.line.signal.members  # a revocation during the read is checked again after
        ids = list(self._open)
        try:
            found = await run_in_threadpool(service.current_members, self.line, ids)
            for member_id in ids:
                if member_id in found and member_id in self._open:
                    self._current[member_id] = found[member_id]
                else:
                    self._current.pop(member_id, None)
            self._checked = time.monotonic()
            self._seen = seen
        finally:
            self._task = None
