"""``/metrics`` in the Prometheus text format, read with the line's scrape token only.

What it shows (prometheus-client, one registry per app): requests by route template (never a
raw path: an id in a path is another party's business), method and status class, as a latency
histogram; notices created, updated and withdrawn; conflicts opened by kind and severity; each
scan's duration and its live tracks; the event log's length (a counter: its rate is events
appended per second); open event streams; the record's signed size and the age of its newest
checkpoint; and the process's own CPU, memory, file descriptors and garbage collection.

What it costs: counters are bumped where things happen (the use cases through the
``service.Meters`` port, requests in ``api/observe.py``); a scrape adds one read transaction
of two indexed reads (the log's newest sequence number and the newest checkpoint).

Who may read it: counts across parties say when each is busy, so neither a party's member nor
the host's admin may (a member's token is refused with 401); only a request bearing the scrape
token the host configured (``serve --metrics-token-file``), compared in constant time. A line
with no scrape token serves metrics to nobody. Why not loopback: a reverse proxy on the same
machine makes every client loopback, and a local user is not owed the parties' activity
(docs/security.md, "Operations").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Iterator

from fastapi import FastAPI, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.responses import Response

from deconfliction import service
from deconfliction.api.rates import Rates, client_address
from deconfliction.domain import ConflictKind, Severity
from deconfliction.errors import NotAuthenticated, RateLimited
from deconfliction.service import Line

__all__ = ["SCRAPE_TOKEN_PREFIX", "Metrics", "install", "new_scrape_token"]

SCRAPE_TOKEN_PREFIX = "dlm_"
"""A scrape token's head, so the log scrubbing (``api/logs.py``) knows one when it sees it."""

_log = logging.getLogger(__name__)

disable_created_metrics()  # type: ignore[no-untyped-call]  # no ``_created`` series beside each counter: half the text, no use

_REQUEST_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SCAN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
_CHANGES = ("created", "updated", "withdrawn")
TRANSPORTS = ("websocket", "sse")


def new_scrape_token() -> str:
    """A fresh scrape token: 256 random bits."""
    return SCRAPE_TOKEN_PREFIX + secrets.token_urlsafe(32)


class _LineCollector(Collector):
    """The log's length, the record's size and its newest checkpoint's age, read at scrape
    time (one read transaction); left out, with a log line, when the store does not answer."""

    def __init__(self, line: Line) -> None:
        self.line = line

    def describe(self) -> Iterable[Metric]:
        return []  # read only at scrape time: nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "deconfliction_store_up", "1 when the store answered this scrape's read, else 0"
        )
        try:
            state = service.log_state(self.line)
        except Exception as exc:
            _log.warning("metrics: the store did not answer (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield CounterMetricFamily(
            "deconfliction_events",
            "Events in the line's log (its newest sequence number; every node of a line shows "
            "the same log): its rate is events appended per second",
            value=state.events,
        )
        yield GaugeMetricFamily(
            "deconfliction_record_entries",
            "Entries the record's newest signed checkpoint covers",
            value=state.record_size,
        )
        yield GaugeMetricFamily(
            "deconfliction_record_unsigned_events",
            "Events appended but not yet covered by a signed checkpoint",
            value=max(0, state.events - state.record_size),
        )
        if state.checkpoint_at is not None:
            age = (self.line.clock() - state.checkpoint_at).total_seconds()
            yield GaugeMetricFamily(
                "deconfliction_record_checkpoint_age_seconds",
                "Seconds since the record's newest checkpoint was signed",
                value=max(0.0, age),
            )


class _NodesCollector(Collector):
    """This node's link to the others over NATS (``serve --nats``), when it has one."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        stats = self.metrics.nodes
        if stats is None:
            return
        yield GaugeMetricFamily(
            "deconfliction_nats_connected",
            "1 while this node is connected to NATS; 0 while it follows the log's head itself",
            value=int(stats.connected),
        )
        yield CounterMetricFamily(
            "deconfliction_nats_outages", "Times this node lost NATS", value=stats.outages
        )
        yield CounterMetricFamily(
            "deconfliction_nats_hints_heard",
            "Hints of new events heard from other nodes",
            value=stats.heard,
        )
        yield CounterMetricFamily(
            "deconfliction_nats_hints_dropped",
            "This node's hints not sent because NATS was away",
            value=stats.dropped,
        )


class Metrics:
    """One app's metrics: the registry, what the use cases count (a ``service.Meter``), and
    what the request middleware observes."""

    def __init__(self, line: Line) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "deconfliction_http_request_duration_seconds",
            "Time to the answer's first byte (an event stream: to its opening), by route "
            "template, method and status class; its count is the request rate",
            ("route", "method", "status"),
            buckets=_REQUEST_BUCKETS,
            registry=registry,
        )
        self.subscribers = Gauge(
            "deconfliction_stream_subscribers",
            "Event streams open on this node, by transport",
            ("transport",),
            registry=registry,
        )
        self.notices = Counter(
            "deconfliction_notices",
            "Notices changed on this node: created, updated, withdrawn",
            ("change",),
            registry=registry,
        )
        self.conflicts = Counter(
            "deconfliction_conflicts_opened",
            "Conflicts opened on this node, by kind and severity when opened",
            ("kind", "severity"),
            registry=registry,
        )
        self.scan_seconds = Histogram(
            "deconfliction_scan_duration_seconds",
            "Time one scan of every live track took on this node",
            buckets=_SCAN_BUCKETS,
            registry=registry,
        )
        self.scan_tracks = Gauge(
            "deconfliction_scan_tracks",
            "Live tracks in this node's newest scan",
            registry=registry,
        )
        for transport in TRANSPORTS:
            self.subscribers.labels(transport)
        for change in _CHANGES:  # every series from the start: a rate() needs its zero
            self.notices.labels(change)
        for kind in ConflictKind:
            for severity in Severity:
                self.conflicts.labels(kind.value, severity.value)
        self.nodes: service.BridgeStats | None = None
        """The link to the other nodes' counters, set while the app runs with NATS."""
        registry.register(_LineCollector(line))
        registry.register(_NodesCollector(self))
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)

    # -- service.Meter -----------------------------------------------------------------------

    def notice_changed(self, change: str) -> None:
        self.notices.labels(change).inc()

    def conflict_opened(self, kind: str, severity: str) -> None:
        self.conflicts.labels(kind, severity).inc()

    def scanned(self, tracks: int, elapsed_s: float) -> None:
        self.scan_seconds.observe(elapsed_s)
        self.scan_tracks.set(tracks)

    # -- the request middleware ----------------------------------------------------------------

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, f"{status // 100}xx").observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


_NO_TOKEN = (
    "send the line's scrape token: 'Authorization: Bearer <token>' "
    "(the file given to serve --metrics-token-file)"
)
_REFUSED = (
    "this token does not read /metrics: only the line's scrape token does "
    "(serve --metrics-token-file), never a member's token"
)
_NONE_SET = (
    "this line serves /metrics to nobody: the host starts it with --metrics-token-file "
    "and gives the scraper that token"
)


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _check(request: Request, expected: bytes | None) -> None:
    """The request bears the scrape token; else 401 (none sent, or another token: a member's
    token is no credential here, whoever's it is), or 429 once the address has sent too many
    refused tokens."""
    rates: Rates | None = getattr(request.app.state, "rates", None)
    address = client_address(request)
    if rates is not None:
        wait = rates.shut_out(address)
        if wait is not None:
            raise RateLimited(
                "too many requests without a valid token from this address; wait",
                retry_after_s=wait,
            )
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if not header.strip():
        if rates is not None:
            rates.refused(address)
        raise NotAuthenticated(_NO_TOKEN, "/headers/authorization")
    ok = (
        expected is not None
        and scheme.lower() == "bearer"
        and hmac.compare_digest(_digest(given.strip()), expected)
    )
    if not ok:
        if rates is not None:
            rates.refused(address)
        reason = _REFUSED if expected is not None else _NONE_SET
        raise NotAuthenticated(reason, "/headers/authorization")


def install(app: FastAPI, metrics: Metrics, scrape_token: str | None) -> None:
    """``GET /metrics`` on ``app``, for ``scrape_token`` only."""
    expected = None if scrape_token is None else _digest(scrape_token)

    @app.get(
        "/metrics",
        tags=["line"],
        response_class=Response,
        responses={
            200: {
                "description": "The line's metrics in the Prometheus text format",
                "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
            }
        },
    )
    def read_metrics(request: Request) -> Response:
        """The line's metrics in the Prometheus text format (docs/deploy.md). Only for the
        line's scrape token (`serve --metrics-token-file`): a member's token, the host's
        admin's included, is refused (401), as counts across parties say when each is busy."""
        _check(request, expected)
        return Response(
            metrics.render(),
            media_type=CONTENT_TYPE_LATEST,
            headers={"Cache-Control": "no-store"},
        )
