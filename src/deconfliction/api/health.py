"""``/healthz`` and ``/readyz``: is the process alive, and should it be sent traffic.

``/healthz`` answers as long as the process's event loop does (a service manager restarts a
process that stops answering it); it reads nothing, so a database outage does not get every
node restarted at once. ``/readyz`` runs the readiness checks (a reverse proxy or a load
balancer stops sending requests to a node that fails them): the store answers a trivial query
within ``ready_timeout_s`` and holds the schema this code expects, and each background duty
(scans, deadlines, the record) runs and has not been failing. Others register theirs on
``app.state.readiness`` (:meth:`Readiness.add`) while the app starts: a bridge to other nodes,
say, ready when connected or when falling back to reading the log.

A check is a plain function, run in a thread of its own so a hung database cannot hold the
event loop or the server's worker threads: at most one run of each check is under way, and a
check still running from an earlier probe is reported as not ready without starting another.
Answers name each check and say why, in the line's own words (an exception's class, never its
message: ``/readyz`` is open to anyone who can reach the port, like ``/healthz``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.responses import Response

from deconfliction import service
from deconfliction.api.respond import json_response
from deconfliction.service import Line

__all__ = ["Check", "Readiness", "duty_check", "install", "store_check"]

Check = Callable[[], str | None]
"""A readiness check: ``None`` when ready, else a short reason (raising counts as not ready)."""

_log = logging.getLogger(__name__)

_Run = tuple[float, concurrent.futures.Future[str | None]]
"""A check's run under way: when it started, and its answer to come."""


class ReadyOut(BaseModel):
    status: str
    """``ready`` or ``not ready``."""
    checks: dict[str, str]
    """Each check's name: ``ok``, or why not."""


class Readiness:
    """The checks ``/readyz`` runs, by name; each bounded by ``timeout_s``."""

    def __init__(self, timeout_s: float = 2.0) -> None:
        self.timeout_s = timeout_s
        self._checks: dict[str, Check] = {}
        self._running: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def add(self, name: str, check: Check) -> Callable[[], None]:
        """Run ``check`` as ``name`` from now on; the function returned removes it."""
        with self._lock:
            self._checks[name] = check

        def remove() -> None:
            with self._lock:
                if self._checks.get(name) is check:
                    del self._checks[name]

        return remove

    @property
    def names(self) -> list[str]:
        with self._lock:
            return list(self._checks)

    def _start(self, name: str, check: Check) -> _Run:
        with self._lock:
            running = self._running.get(name)
            if running is not None and not running[1].done():
                return running
            future: concurrent.futures.Future[str | None] = concurrent.futures.Future()

            def run() -> None:
                try:
                    future.set_result(check())
                except Exception as exc:
                    _log.warning("readiness check %s failed", name, exc_info=True)
                    future.set_result(f"failed: {type(exc).__name__}")

            started = (time.monotonic(), future)
            self._running[name] = started
        threading.Thread(target=run, name=f"ready-{name}", daemon=True).start()
        return started

    async def run(self) -> dict[str, str]:
        """Every check's answer: ``ok``, or why not."""
        with self._lock:
            checks = dict(self._checks)
        started = {name: self._start(name, check) for name, check in checks.items()}

        async def answer(name: str) -> str:
            since, future = started[name]
            left = self.timeout_s - (time.monotonic() - since)
            try:
                reason = await asyncio.wait_for(
                    asyncio.shield(asyncio.wrap_future(future)), max(0.0, left)
                )
            except TimeoutError:
                waited = time.monotonic() - since
                return f"no answer within {self.timeout_s:g} s (waiting {waited:.0f} s)"
            return "ok" if reason is None else reason

        answers = await asyncio.gather(*(answer(n) for n in started))
        return dict(zip(started, answers, strict=True))


def store_check(readiness: Readiness, line: Line) -> Callable[[], None]:
    """``store``: the store answers a trivial query, and holds the schema this code expects;
    the function returned removes the check."""
    return readiness.add("store", lambda: service.store_ready(line))


class _Duty(Protocol):
    interval_s: float
    failures: int

    @property
    def alive(self) -> bool: ...
    @property
    def last_ok(self) -> float | None: ...


def duty_check(duty: _Duty, stale_after_s: float | None = None) -> Check:
    """A background duty runs, and has run without failing within ``stale_after_s`` (default:
    ten of its intervals, and at least a minute)."""
    stale = stale_after_s if stale_after_s is not None else max(60.0, 10 * duty.interval_s)

    def check() -> str | None:
        if not duty.alive:
            return "not running"
        last = duty.last_ok
        if last is not None and time.monotonic() - last > stale:
            return (
                f"no run without failure for {time.monotonic() - last:.0f} s "
                f"({duty.failures} failures since start; the log says why)"
            )
        return None

    return check


def install(app: FastAPI, readiness: Readiness) -> None:
    """``/healthz`` and ``/readyz`` on ``app``."""

    @app.get("/healthz", tags=["line"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers (it reads nothing: see `/readyz`)."""
        return {"status": "ok"}

    responses: dict[int | str, dict[str, Any]] = {
        503: {"model": ReadyOut, "description": "Not ready: the checks that failed say why"}
    }

    @app.get("/readyz", tags=["line"], response_model=ReadyOut, responses=responses)
    async def readyz() -> Response:
        """Readiness: the store answers within a bound, its schema is current, and the
        background duties run; 503 naming each check that is not ready."""
        checks = await readiness.run()
        ready = all(v == "ok" for v in checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return json_response(body, status=200 if ready else 503)
