"""``/metrics``: read with the line's scrape token and nothing else, routes by their template
(never an id), and counters that move with what the line does: notices created, changed and
withdrawn, conflicts opened by kind and severity, scans, events, streams, the record."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from deconfliction import service
from deconfliction.api.app import create_app
from deconfliction.api.metrics import new_scrape_token
from tests.api.conftest import Api, Clock, make_api, notice, square
from tests.api.test_scan import head_on
from tests.conftest import STORE_KINDS, MakeStore
from tests.waiting import wait_for

SCRAPE = new_scrape_token()
SCRAPER = {"Authorization": f"Bearer {SCRAPE}"}


def metered(made: Api, token: str | None = SCRAPE) -> Api:
    """``made``'s line served by an app whose /metrics answers ``token``."""
    app = create_app(made.line, metrics_token=token)
    return Api(TestClient(app, raise_server_exceptions=False), made.line, made.tokens)


@pytest.fixture(params=STORE_KINDS)
def api(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[tuple[Api, Clock]]:
    clock = Clock()
    made = metered(make_api(make_store(request.param), clock=clock))
    with made.client:
        yield made, clock


def samples(api: Api) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape: (name, labels) -> value."""
    r = api.client.get("/metrics", headers=SCRAPER)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found[(name, frozenset(labels.items()))]


def test_only_the_scrape_token_reads_metrics(api: tuple[Api, Clock]) -> None:
    made, _ = api
    for who in ("blue", "blue-observer", "red", "admin"):
        r = made.get(who, "/metrics")
        assert r.status_code == 401, (who, r.text)
        assert r.json()["pointer"] == "/headers/authorization"
        assert "scrape token" in r.json()["message"] and "# TYPE" not in r.text
    nobody = made.client.get("/metrics")
    assert nobody.status_code == 401 and nobody.headers["www-authenticate"] == "Bearer"
    wrong = made.client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE}x"})
    assert wrong.status_code == 401
    assert "process_cpu_seconds_total" in made.client.get("/metrics", headers=SCRAPER).text


def test_a_line_without_a_scrape_token_serves_metrics_to_nobody(make_store: MakeStore) -> None:
    made = metered(make_api(make_store("sqlite")), token=None)
    with made.client:
        for headers in ({}, SCRAPER, made.headers("admin")):
            r = made.client.get("/metrics", headers=headers)
            assert r.status_code == 401
        assert "to nobody" in r.json()["message"]


def test_requests_are_counted_by_route_template_never_by_id(api: tuple[Api, Clock]) -> None:
    made, _ = api
    created = made.post("blue", notice(square(30.0, 20.0), audience=[]))
    nid = created.json()["notice"]["id"]
    assert made.get("blue", f"/v1/notices/{nid}").status_code == 200
    assert made.get("red", f"/v1/notices/{nid}").status_code == 404
    made.get("red", "/v1/no-such-route/" + nid)
    text = made.client.get("/metrics", headers=SCRAPER).text
    assert nid not in text
    found = samples(made)
    count = "deconfliction_http_request_duration_seconds_count"
    route = "/v1/notices/{notice_id}"
    assert value(found, count, route=route, method="GET", status="2xx") == 1
    assert value(found, count, route=route, method="GET", status="4xx") == 1
    assert value(found, count, route="/v1/notices", method="POST", status="2xx") == 1
    assert value(found, count, route="(unmatched)", method="GET", status="4xx") == 1


def test_creates_and_conflicts_move_the_counters(api: tuple[Api, Clock]) -> None:
    made, clock = api
    before = samples(made)
    assert value(before, "deconfliction_notices_total", change="created") == 0
    blue = made.post("blue", notice(square(30.0, 20.0)))
    red = made.post("red", notice(square(30.05, 20.05)))  # overlaps blue's: one conflict
    [conflict] = red.json()["conflicts"]
    strategic = {"kind": "strategic", "severity": conflict["severity"]}  # caution: within 1 h
    assert value(before, "deconfliction_conflicts_opened_total", **strategic) == 0
    etag = blue.headers["etag"]
    nid = blue.json()["notice"]["id"]
    headers = made.headers("blue", **{"If-Match": etag})
    moved = made.client.put(f"/v1/notices/{nid}", json=notice(square(30.02, 20.0)), headers=headers)
    assert moved.status_code == 200, moved.text
    clock.advance(3600)
    gone = made.client.delete(f"/v1/notices/{nid}", headers=made.headers("blue"))
    assert gone.status_code == 200, gone.text
    after = samples(made)
    assert value(after, "deconfliction_notices_total", change="created") == 2
    assert value(after, "deconfliction_notices_total", change="updated") == 1
    assert value(after, "deconfliction_notices_total", change="withdrawn") == 1
    # the change kept the conflict (same pair of volumes): still one opened, none new
    assert value(after, "deconfliction_conflicts_opened_total", **strategic) == 1
    with made.line.store.read() as tx:
        last = tx.last_event_seq()
    assert value(after, "deconfliction_events_total") == last > 0
    assert value(after, "deconfliction_store_up") == 1


def test_scans_and_what_they_open_are_counted(api: tuple[Api, Clock]) -> None:
    made, clock = api
    head_on(made, clock)
    r = made.client.post("/v1/scan", headers=made.headers("admin"))
    assert r.json()["opened"] == 1
    found = samples(made)
    assert value(found, "deconfliction_scan_duration_seconds_count") == 1
    assert value(found, "deconfliction_scan_tracks") == 2
    tactical = value(
        found, "deconfliction_conflicts_opened_total", kind="tactical", severity="caution"
    )
    warning = value(
        found, "deconfliction_conflicts_opened_total", kind="tactical", severity="warning"
    )
    assert tactical + warning == 1


def test_the_record_size_and_the_age_of_its_newest_checkpoint(api: tuple[Api, Clock]) -> None:
    made, clock = api
    assert ("deconfliction_record_checkpoint_age_seconds", frozenset()) not in samples(made)
    made.post("blue", notice(square(30.0, 20.0)))
    made.post("red", notice(square(30.05, 20.05)))
    assert value(samples(made), "deconfliction_record_unsigned_events") == 3
    assert service.advance(made.line) is not None
    clock.advance(90)
    found = samples(made)
    assert value(found, "deconfliction_record_entries") == 3
    assert value(found, "deconfliction_record_unsigned_events") == 0
    assert value(found, "deconfliction_record_checkpoint_age_seconds") == 90


def test_open_streams_are_counted_while_they_are_open(make_store: MakeStore) -> None:
    made = metered(make_api(make_store("sqlite")))  # about the middleware, not the database
    with made.client:
        _streams_counted(made)


def _streams_counted(made: Api) -> None:
    gauge = "deconfliction_stream_subscribers"
    assert value(samples(made), gauge, transport="websocket") == 0
    with made.client.websocket_connect("/v1/stream", headers=made.headers("blue")):
        assert value(samples(made), gauge, transport="websocket") == 1
    wait_for(
        lambda: value(samples(made), gauge, transport="websocket") == 0, "the stream uncounted"
    )


def test_a_scrape_survives_a_store_that_does_not_answer(make_store: MakeStore) -> None:
    from tests.api.test_readiness import Switch, unreachable

    base = make_api(make_store("sqlite"))
    switch = Switch(base.line.store)
    made = metered(Api(base.client, service.Line(store=switch), base.tokens))
    with made.client:
        switch.to(unreachable())
        found = samples(made)
        assert value(found, "deconfliction_store_up") == 0
        assert ("deconfliction_events_total", frozenset()) not in found
        assert value(found, "deconfliction_notices_total", change="created") == 0
        switch.to(base.line.store)
        assert value(samples(made), "deconfliction_store_up") == 1


def test_a_node_over_nats_says_whether_it_hears_the_others(api: tuple[Api, Clock]) -> None:
    made, _ = api
    assert not any(name.startswith("deconfliction_nats") for name, _ in samples(made))
    stats = service.BridgeStats(connected=False, outages=2, heard=7)
    made.client.app.state.metrics.nodes = stats  # type: ignore[attr-defined]
    found = samples(made)
    assert value(found, "deconfliction_nats_connected") == 0
    assert value(found, "deconfliction_nats_outages_total") == 2
    assert value(found, "deconfliction_nats_hints_heard_total") == 7
    stats.connected = True
    assert value(samples(made), "deconfliction_nats_connected") == 1
