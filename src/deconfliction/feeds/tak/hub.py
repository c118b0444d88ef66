"""The TAK server: its listeners (TLS with members' certificates; plain TCP for one gateway
member), who may connect, and what becomes of each event a connection sends.

A certificate names its member (``pki.member_of``); the member is read from the line on every
connection and must be current (not revoked, not expired), of the party the certificate names,
and hold the token the certificate was issued under (a rotation cuts it off). Open connections
are checked again whenever the line revokes or rotates a member (``EventSignal.recheck_members``)
and every ``CHECK_S`` otherwise, and closed at once when their member may no longer act.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from deconfliction import service
from deconfliction.config import LineConfig, TakConfig
from deconfliction.domain import Member
from deconfliction.errors import DeconflictionError
from deconfliction.feeds.tak import control, pki
from deconfliction.feeds.tak.fanout import Fanout
from deconfliction.feeds.tak.intake import Intake
from deconfliction.feeds.tak.session import Bucket, Prepared, Session
from deconfliction.service import Line
from deconfliction.wire import cot

__all__ = ["BACKLOG", "CHECK_S", "WRITE_BURST", "WRITE_RATE", "TakServer", "tak_door"]

log = logging.getLogger("deconfliction.tak")

_HANDSHAKE_S = 10.0
"""Longest a TLS handshake may take."""
CHECK_S = 5.0
"""How stale the view of connected members may be (revocations made by other processes)."""
BACKLOG = 32
"""Drawings, deletes and chat of one member under way at most; more are refused."""
WRITE_RATE = 2.0
"""Drawings, deletes and chat one member may send a second on average (``WRITE_BURST`` at
once); notices also spend the party's probing budgets, as over HTTP."""
WRITE_BURST = 20
_DRAWINGS = ("u-d-",)
_DELETE = "t-x-d-d"
_CHAT = "b-t-f"


class TakServer:
    """The listeners and every open connection."""

    def __init__(self, line: Line, config: TakConfig) -> None:
        self.line = line
        self.config = config
        self.stats: Counter[str] = Counter()
        self.sessions: set[Session] = set()
        self.intake = Intake(line, self.stats, config.share)
        self.fanout = Fanout(
            line,
            config,
            self.stats,
            self.intake.stored,
            self.intake.parties,
            self.intake.unfinished_since,
        )
        self.tls_port: int | None = None
        self.port: int | None = None
        self._servers: list[asyncio.Server] = []
        self._guard: asyncio.Task[None] | None = None
        self._gateway: Member | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self._backlog: Counter[str] = Counter()
        self._accepted: Counter[str] = Counter()
        """Connections by address, from accept (TLS: from its handshake done) to close."""
        self._ctx: ssl.SSLContext | None = None
        self._writes: dict[str, Bucket] = {}
        self._tokens: dict[Session, str] = {}
        """The token prefix each TLS session's certificate was issued under."""

    async def start(self, ca: pki.Authority | None) -> None:
        c = self.config
        if c.port is not None:
            if c.gateway_member is None:
                raise ValueError("the plain TAK port serves one member: give its id")
            self._gateway = await asyncio.to_thread(service.get_member, self.line, c.gateway_member)
            refused = self._gateway.refusal(self.line.clock())
            if refused is not None:
                raise ValueError(f"the TAK gateway member cannot act: {refused}")
            plain = await asyncio.start_server(self._plain, c.gateway_host, c.port, limit=1 << 17)
            self._servers.append(plain)
            self.port = plain.sockets[0].getsockname()[1]
        if c.tls_port is not None:
            if ca is None:
                raise ValueError("the TAK TLS port needs the line's TAK CA")
            self._ctx = await asyncio.to_thread(
                pki.server_context, ca, c.server_names, self.line.clock()
            )
            # The server does the handshake (bounded by _HANDSHAKE_S), before the connection is
            # counted: starting TLS on a stream already accepted loses the ClientHello whenever
            # the stream has read it first (under uvloop, one connection in three)
            tls = await asyncio.start_server(
                self._tls,
                c.host,
                c.tls_port,
                ssl=self._ctx,
                ssl_handshake_timeout=_HANDSHAKE_S,
                limit=1 << 17,
            )
            self._servers.append(tls)
            self.tls_port = tls.sockets[0].getsockname()[1]
        self.fanout.start()
        self._guard = asyncio.ensure_future(self._watch_members())

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for s in list(self.sessions):
            s.close("the line is stopping")
        if self._handlers:
            await asyncio.gather(*list(self._handlers), return_exceptions=True)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        if self._guard is not None:
            self._guard.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._guard
        await self.intake.drain()
        await self.fanout.stop()
        self.intake.close()

    # -- connections -------------------------------------------------------------------
    def _reserve(self, writer: asyncio.StreamWriter) -> str | None:
        """Count a connection as it is taken on (no await between the check and the count, so
        parallel connects cannot all pass); its address, or ``None`` when refused (closed)."""
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        refused = None
        if sum(self._accepted.values()) >= self.config.connections:
            refused = "refused: connections in all"
        elif self._accepted[address] >= self.config.per_address:
            refused = "refused: connections per address"
        if refused is not None:
            self.stats[refused] += 1
            writer.transport.abort()
            return None
        self._accepted[address] += 1
        return address

    def _release(self, address: str) -> None:
        self._accepted[address] -= 1
        if self._accepted[address] <= 0:
            del self._accepted[address]

    async def _tls(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = self._reserve(writer)
        if address is None:
            return
        try:
            named = pki.member_of(writer.get_extra_info("peercert"))
            if named is None:
                self.stats["refused: certificate names no member"] += 1
                writer.close()
                return
            await self._serve(reader, writer, named.member, named.party, address, named)
        finally:
            self._release(address)
            if not writer.transport.is_closing():
                writer.transport.abort()

    async def _plain(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._gateway is not None
        address = self._reserve(writer)
        if address is None:
            return
        try:
            await self._serve(reader, writer, self._gateway.id, self._gateway.party, address)
        finally:
            self._release(address)

    async def _serve(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        member_id: str,
        party: str,
        address: str,
        certificate: pki.Named | None = None,
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            member = await self._admit(member_id, party, address, certificate)
            # counted with no await between the check and the session's adding
            if member is not None and (
                sum(s.member.id == member_id for s in self.sessions) >= self.config.per_member
            ):
                self.stats["refused: connections per member"] += 1
                member = None
            if member is None:
                writer.close()
                return
            session = Session(self, reader, writer, member, address)
            self.sessions.add(session)
            if certificate is not None and certificate.token is not None:
                self._tokens[session] = certificate.token
            self.stats["connections"] += 1
            joining: asyncio.Task[None] | None = None
            try:
                session.send(Prepared(control.offer(self.line.clock())))
                # the picture goes out at the pace the connection reads: while it is served
                joining = asyncio.ensure_future(self.fanout.join(session))
                await session.run()
            finally:
                if joining is not None:
                    joining.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await joining
                self.sessions.discard(session)
                self._tokens.pop(session, None)
                self.fanout.leave(session)
        finally:
            self._handlers.discard(task)

    async def _admit(
        self, member_id: str, party: str, address: str, certificate: pki.Named | None
    ) -> Member | None:
        """The member a connection acts as, or ``None`` (logged) when it may not: a TLS
        connection's certificate must also carry the member's current token prefix."""
        found = await asyncio.to_thread(service.current_members, self.line, [member_id])
        member = found.get(member_id)
        refused = "no such member" if member is None else member.refusal(self.line.clock())
        if member is not None and member.party != party:
            refused = "the certificate names another party"
        elif member is not None and refused is None and certificate is not None:
            refused = _stale(certificate.token, member)
        if member is None or refused is not None:
            self.stats["refused: member"] += 1
            log.info("TAK connection refused for %s from %s: %s", member_id, address, refused)
            return None
        return member

    async def _watch_members(self) -> None:
        seen = self.line.signal.members
        checked = time.monotonic()
        while True:
            await self.line.signal.wait_async(self.line.signal.last, CHECK_S, seen)
            if seen == self.line.signal.members and time.monotonic() - checked < CHECK_S:
                continue
            seen = self.line.signal.members
            checked = time.monotonic()
            ids = list({s.member.id for s in self.sessions})
            if not ids:
                continue
            try:
                found = await asyncio.to_thread(service.current_members, self.line, ids)
            except Exception:
                log.exception("TAK could not check its members")
                continue
            now = self.line.clock()
            for s in list(self.sessions):
                current = found.get(s.member.id)
                refused = "no longer on the line" if current is None else current.refusal(now)
                if refused is None and current is not None and s in self._tokens:
                    refused = _stale(self._tokens[s], current)
                if refused is not None:
                    self.intake.cut.add(s.member.id)  # what it queued is not written
                    s.close(f"member: {refused}")

    # -- events in ---------------------------------------------------------------------
    def take(self, session: Session, event: cot.CotEvent) -> None:
        """One checked event from ``session``."""
        kind = event.type
        now = self.line.clock()
        if kind == control.PING:
            session.send(Prepared(control.pong(now)))
        elif kind == control.NEGOTIATE:
            session.send(Prepared(control.response(now, True)))
            session.protobuf = True
        elif kind.startswith(("a-", *_DRAWINGS, _CHAT)) or kind == _DELETE:
            self._write(session, event)
        else:
            self.stats["ignored: " + kind[:16]] += 1

    def _write(self, session: Session, event: cot.CotEvent) -> None:
        """A position, drawing, delete or chat: refused at once, before any work, from a
        member whose role writes nothing, and past the member's rate of drawings and chat."""
        member, kind = session.member, event.type
        if not member.role.writes_notices():
            self.stats["refused: role"] += 1
            return
        if member.id in self.intake.cut:
            self.stats["refused: member"] += 1
            return
        if kind.startswith("a-"):
            if self.intake.position(member, event):
                session.positions.pop(event.uid, None)  # the most recent last
                session.positions[event.uid] = (event.lat, event.lon)
                if len(session.positions) > 64:  # a gateway relays many: keep the newest
                    session.positions.pop(next(iter(session.positions)))
            else:
                self.stats["refused: not a position"] += 1
            return
        bucket = self._writes.get(member.id)
        if bucket is None:
            bucket = self._writes[member.id] = Bucket(WRITE_RATE, WRITE_BURST)
        if not bucket.take():
            self.stats["refused: write rate"] += 1
            return
        if kind.startswith(_DRAWINGS):
            self._spawn(member, self.intake.drawing(member, event))
        elif kind == _DELETE:
            deleted = _deleted_uid(event)
            if deleted is not None:
                self._spawn(member, self.intake.delete(member, deleted))
        else:
            self._spawn(member, self.intake.chat(member, event))

    def _spawn(self, member: Member, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` for ``member``, unless it has ``BACKLOG`` such tasks under way."""
        if self._backlog[member.id] >= BACKLOG:
            work.close()
            self.stats["refused: backlog"] += 1
            return
        self._backlog[member.id] += 1
        task = asyncio.ensure_future(self._guarded(member, work))
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
        task.add_done_callback(lambda _: self._done(member.id))

    async def _guarded(self, member: Member, work: Coroutine[Any, Any, Any]) -> None:
        """``work``, whose failure (a store error, a refusal not the line's) is logged with the
        member's id and counted, never left in an unretrieved task."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.stats["failed: write"] += 1
            log.error("TAK write of member %s failed: %s", member.id, type(e).__name__, exc_info=e)

    def _done(self, member_id: str) -> None:
        self._backlog[member_id] -= 1
        if self._backlog[member_id] <= 0:
            del self._backlog[member_id]


def _stale(token: str | None, member: Member) -> str | None:
    """Why a certificate issued under ``token`` no longer admits ``member``, or ``None``."""
    if token is None:
        return (
            "the certificate predates token-bound certificates; reissue it with "
            f"`deconfliction member tak-package --member {member.id}`"
        )
    if token != member.token_prefix:
        return "the member's token was rotated since the certificate was issued"
    return None


def _deleted_uid(event: cot.CotEvent) -> str | None:
    """The uid a ``t-x-d-d`` event deletes: its ``<link uid>``."""
    return event.detail.link_uid or None


@asynccontextmanager
async def tak_door(line: Line, config: LineConfig) -> AsyncIterator[TakServer]:
    """The TAK listeners of ``config.tak``, open while the context is (a ``FrontDoor``)."""
    ca = None
    if config.tak.tls_port is not None:
        path = config.tak_ca_path
        if path is None:
            raise ValueError("an in-memory line has no TAK certificate authority")
        ca = await asyncio.to_thread(pki.load_or_create, path, line.origin, line.clock())
    server = TakServer(line, config.tak)
    try:
        await server.start(ca)
    except (OSError, ValueError, DeconflictionError):
        await server.stop()
        raise
    log.info("TAK listening: TLS %s, plain %s", server.tls_port, server.port)
    try:
        yield server
    finally:
        await server.stop()
