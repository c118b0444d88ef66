"""The HTTP API: the app factory and its lifespan (the line's background duties, and what
``/readyz`` checks of them); the routes live by resource (``api/notices.py``, ``api/tracks.py``
...), over the use cases in ``service``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.responses import Response

from deconfliction import __version__, service
from deconfliction.api import (
    conflicts,
    console,
    conversation,
    docs,
    errors,
    health,
    keys,
    members,
    metrics,
    notices,
    receipts,
    record,
    stream,
    tracks,
)
from deconfliction.api.auth import Caller
from deconfliction.api.headers import SecurityHeaders
from deconfliction.api.health import Readiness, duty_check, store_check
from deconfliction.api.limits import BodyLimit, HeavyWork
from deconfliction.api.logs import redact_server_logs
from deconfliction.api.metrics import Metrics
from deconfliction.api.observe import Observe
from deconfliction.api.rates import Rates, ShutOut
from deconfliction.api.respond import json_response
from deconfliction.api.schemas import ErrorOut, MeOut, PartyList, TrackIn
from deconfliction.config import NO_RATES
from deconfliction.service import Line, LineConfig
from deconfliction.wire import geojson, opt_utc_z

__all__ = ["QUIET", "create_app"]

QUIET = LineConfig(
    scan_interval_s=None,
    deadline_interval_s=None,
    record_interval_s=None,
    warm_outlines=False,
    limits=NO_RATES,
)
"""An app with no background duties (scans, deadlines and the record only when asked) and no
rate limits (a test that wants them gives ``limits=``)."""

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 412, 413, 422, 428)
}
_ERRORS[429] = {
    "model": ErrorOut,
    "description": "Too many requests: the member's, its party's or the address's rate is spent",
    "headers": {
        "Retry-After": {
            "description": "seconds until the budget has room again",
            "schema": {"type": "integer"},
        }
    },
}


def _duties(line: Line, config: LineConfig) -> list[service.Scanner | service.Deadlines]:
    """The background duties ``config`` asks for, not yet started."""
    out: list[service.Scanner | service.Deadlines] = []
    if config.scan_interval_s:
        out.append(service.Scanner(line, config.scan_interval_s, config.scan))
    if config.deadline_interval_s:
        out.append(service.Deadlines(line, config.deadline_interval_s))
    return out


def _warm(line: Line) -> None:
    """Make the outlines the console will ask for; a failure only leaves them to be made on
    demand, so it is logged, never raised."""
    try:
        made = geojson.warm(service.footprints_in_force(line))
        logging.getLogger(__name__).info("outlines of %d volumes in force made", made)
    except Exception:
        logging.getLogger(__name__).exception(
            "making outlines ahead failed; they are made on demand"
        )


def _guard(app: FastAPI, config: LineConfig) -> None:
    """The rate limits and the guards on what a request may cost. Outermost last: the headers
    go on every answer, the guards' refusals included; an address shut out is refused before
    its body is read; heavy bodies wait for their turn once read."""
    limits = config.limits
    rates = Rates(limits)
    app.state.rates = rates if rates.any else None  # counted where tokens resolve (api/auth.py)
    if limits.heavy_at_once:
        app.add_middleware(
            HeavyWork,
            heavy_bytes=limits.heavy_bytes,
            at_once=limits.heavy_at_once,
            wait_s=limits.heavy_wait_s,
        )
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes, timeout_s=limits.body_timeout_s)
    if rates.anonymous is not None:
        app.add_middleware(ShutOut, rates=rates)
    app.add_middleware(SecurityHeaders)


def create_app(line: Line, config: LineConfig | None = None, **changes: Any) -> FastAPI:
    """The line's HTTP API over ``line``, configured by ``config`` (default: :data:`QUIET`)
    with ``changes`` to its fields (``scan_interval_s=1.0``, ``max_body_bytes=...``).

    With ``scan_interval_s``, a background scanner looks at live tracks that often while the
    app runs (``POST /v1/scan`` scans on demand either way); with ``deadline_interval_s`` the
    line's deadlines are checked that often; with ``record_interval_s`` the record is extended
    and signed that often, and once more as the app stops.
    """
    config = replace(config or QUIET, **changes)

    readiness = Readiness(config.ready_timeout_s)
    meters = Metrics(line)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        redact_server_logs()  # again: the server has set up its log handlers by now
        link = None
        if config.nats_url:  # one of several nodes: hear the others' commits over NATS
            link = service.link_nodes(line, config.nats_url)
            link.start()
        app.state.nodes = link
        meters.nodes = None if link is None else link.stats
        detach = line.meter.attach(meters)
        checks = [store_check(readiness, line)]  # removed as the app stops
        duties = _duties(line, config)
        for duty in duties:
            duty.start()
            checks.append(readiness.add(duty.name, duty_check(duty)))
        app.state.scanner = next((d for d in duties if isinstance(d, service.Scanner)), None)
        if config.warm_outlines:
            threading.Thread(target=_warm, args=(line,), name="warm-outlines", daemon=True).start()
        recorder = None
        if config.record_interval_s:
            recorder = service.Recorder(line, config.record_interval_s)
            recorder.start()
            checks.append(readiness.add(recorder.name, duty_check(recorder)))
        try:
            yield
        finally:
            for duty in duties:
                duty.stop()
            await app.state.fan_out.stop()  # the push's fan-out (api/fanout.py)
            line.deliveries.flush()
            if recorder is not None:
                recorder.stop()
            if link is not None:
                link.stop()
            detach()
            for remove in checks:
                remove()

    # /docs and /redoc load every script, style and icon from the line: it may have no CDN
    app = docs.documented_app(
        title="Deconfliction Line",
        version=__version__,
        summary="Tell each other where you will be; learn of conflicts before they happen.",
        responses=_ERRORS,
        lifespan=lifespan,
    )
    errors.install(app)
    redact_server_logs()  # no token or ticket in any log line (api/logs.py)
    _guard(app, config)
    # outermost: every answer has its request id, log line and count, the guards' refusals too
    app.add_middleware(Observe, metrics=meters)

    app.state.line = line
    app.state.nodes = None
    """The link to the other nodes (``service.NodeLink``) while the app runs with NATS."""

    app.state.readiness = readiness  # the lifespan's checks; others add theirs (api/health.py)
    app.state.metrics = meters
    health.install(app, readiness)
    metrics.install(app, meters, config.metrics_token)

    @app.get("/v1/parties", response_model=PartyList, tags=["parties"])
    def parties(caller: Caller) -> Response:
        """The parties on the line (their slugs name audiences)."""
        return json_response(
            {"parties": [{"slug": p.slug, "name": p.name} for p in service.list_parties(line)]}
        )

    @app.get("/v1/me", response_model=MeOut, tags=["parties"])
    def me(caller: Caller) -> Response:
        """Who the token is: the member, its role and its party, and when the token expires."""
        party = next((p for p in service.list_parties(line) if p.slug == caller.party), None)
        return json_response(
            {
                "member": caller.id,
                "name": caller.name,
                "role": caller.role.value,
                "party": {"slug": caller.party, "name": party.name if party else caller.party},
                "token": {
                    "prefix": caller.token_prefix,
                    "expires_at": opt_utc_z(caller.expires_at),
                },
            }
        )

    notices.install(app)
    conflicts.install(app, config.scan)
    tracks.install(app)
    stream.install(app)
    conversation.install(app)
    receipts.install(app)
    keys.install(app)
    members.install(app)
    record.install(app)
    console.install(app, config.console)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            # the shape of one report: the route reads its body itself, report by report
            schema["components"]["schemas"]["TrackIn"] = TrackIn.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
