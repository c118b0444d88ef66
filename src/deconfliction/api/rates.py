"""Rate limits: requests per member and per party, KiB of bodies per party, and requests whose
token was missing or refused per client address (a token guesser is slowed, then shut out).

Budgets are the ``limits`` library's, kept in memory by this process. Counting happens where the
token is resolved (``api/auth.py``), so the key is the member and its party; a client address
whose anonymous budget is spent is refused before its body is read (:class:`ShutOut`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import cached_property

import orjson
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from deconfliction.config import Limits
from deconfliction.domain import Member
from deconfliction.errors import NotAuthenticated, RateLimited

__all__ = ["BODY_BYTES", "PARTY", "Rates", "ShutOut", "admit", "client_address", "rate"]

BODY_BYTES = "body_bytes"
"""Where ``api/limits.BodyLimit`` leaves the size of the body it read, in the request's state."""

PARTY = "log_party"
"""Where :func:`admit` leaves the party of the member a request authenticated as, in the
request's state: the request's log line names it (``api/observe.py``)."""


def rate(text: str | None, name: str) -> RateLimitItem | None:
    """``text`` (``"600/minute"``) as a rate, ``None`` for none; a ``ValueError`` naming ``name``
    when it is not one."""
    if text is None or text.strip().lower() in ("", "off", "none", "0"):
        return None
    try:
        return parse(text)
    except ValueError:
        raise ValueError(
            f"{name}: {text!r} is not a rate; write it as a count per period, "
            "e.g. 600/minute, 10/second or 20000/hour (or off)"
        ) from None


def client_address(conn: HTTPConnection | Scope) -> str:
    """The client's address as the server saw it (behind a trusted proxy, the one it names)."""
    client = conn.client if isinstance(conn, HTTPConnection) else conn.get("client")
    return client[0] if client else "unknown"


class Rates:
    """The line's budgets. Requests are counted in a moving window (exact, so ``Retry-After``
    is too); KiB of bodies with a sliding window counter (one counter, however many KiB)."""

    def __init__(self, limits: Limits) -> None:
        self.member = rate(limits.member, "member")
        self.party = rate(limits.party, "party")
        self.anonymous = rate(limits.anonymous, "anonymous")
        self.upload = rate(limits.upload, "upload")

    @property
    def any(self) -> bool:
        return any(r is not None for r in (self.member, self.party, self.anonymous, self.upload))

    @cached_property
    def _storage(self) -> MemoryStorage:
        return MemoryStorage()  # made on first use: an app with no rates keeps no counters

    @cached_property
    def _requests(self) -> MovingWindowRateLimiter:
        return MovingWindowRateLimiter(self._storage)

    @cached_property
    def _bytes(self) -> SlidingWindowCounterRateLimiter:
        return SlidingWindowCounterRateLimiter(self._storage)

    def _retry_after(self, limiter: MovingWindowRateLimiter | SlidingWindowCounterRateLimiter,
                     item: RateLimitItem, *keys: str) -> float:  # fmt: skip
        reset = limiter.get_window_stats(item, *keys).reset_time
        return max(1.0, reset - time.time())

    def shut_out(self, address: str) -> float | None:
        """Seconds until ``address`` may try a token again; ``None`` if it may now."""
        if self.anonymous is None or self._requests.test(self.anonymous, "address", address):
            return None
        return self._retry_after(self._requests, self.anonymous, "address", address)

    def refused(self, address: str) -> None:
        """Count a request from ``address`` whose token was missing or refused."""
        if self.anonymous is not None:
            self._requests.hit(self.anonymous, "address", address)

    def charge(self, member: Member, body_bytes: int) -> None:
        """Count one request of ``member`` (and its party) with a body of ``body_bytes``;
        :class:`RateLimited` when a budget has no room, and then nothing is counted."""
        kib = math.ceil(body_bytes / 1024)
        checks = [
            (self.member, ("member", member.id), f"{member.party}'s member {member.id}"),
            (self.party, ("party", member.party), f"party {member.party}"),
        ]
        for item, keys, who in checks:
            if item is not None and not self._requests.test(item, *keys):
                raise RateLimited(
                    f"too many requests: {who} may make {item}; slow down",
                    retry_after_s=self._retry_after(self._requests, item, *keys),
                )
        upload = self.upload
        if (
            upload is not None
            and kib
            and not self._bytes.test(upload, "upload", member.party, cost=kib)
        ):
            if kib > upload.amount:
                reason = (f"this body ({kib} KiB) is larger than party {member.party} may send "
                          f"in one period ({upload} KiB); send it in parts")  # fmt: skip
            else:
                reason = (f"party {member.party} has sent its budget of request bodies "
                          f"({upload} KiB); slow down")  # fmt: skip
            raise RateLimited(
                reason, retry_after_s=self._retry_after(self._bytes, upload, "upload", member.party)
            )
        for item, keys, _ in checks:
            if item is not None:
                self._requests.hit(item, *keys)
        if upload is not None and kib:
            self._bytes.hit(upload, "upload", member.party, cost=kib)


def admit(conn: HTTPConnection, authenticate: Callable[[], Member]) -> Member:
    """The member ``authenticate`` resolves, once the line's rates allow it.

    An address past its anonymous budget is refused before its token is looked at (a guesser
    learns nothing more from it); a refused token counts against its address; a member's
    request counts against it and its party.
    """
    rates: Rates | None = getattr(conn.app.state, "rates", None)
    if rates is None:
        member = authenticate()
        conn.scope.setdefault("state", {})[PARTY] = member.party
        return member
    address = client_address(conn)
    wait = rates.shut_out(address)
    if wait is not None:
        raise RateLimited(_SHUT_OUT, retry_after_s=wait)
    try:
        member = authenticate()
    except NotAuthenticated:
        rates.refused(address)
        raise
    conn.scope.setdefault("state", {})[PARTY] = member.party
    rates.charge(member, int(conn.scope.get("state", {}).get(BODY_BYTES, 0)))
    return member


_SHUT_OUT = "too many requests without a valid token from this address; wait before trying again"


class ShutOut:
    """ASGI middleware: a request under ``/v1`` from an address whose anonymous budget is
    spent gets its 429 before its body is read or its token looked up."""

    def __init__(self, app: ASGIApp, rates: Rates) -> None:
        self.app = app
        self.rates = rates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        wait = self.rates.shut_out(client_address(scope))
        if wait is None:
            await self.app(scope, receive, send)
            return
        body = orjson.dumps(
            {"error": "rate_limited", "message": _SHUT_OUT, "pointer": "", "errors": []}
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(math.ceil(wait)).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
