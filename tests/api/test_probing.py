"""The probing attack over HTTP (docs/security.md, "Probing"): create-then-withdraw probes run
into the party's budget (429, ``Retry-After``, a message naming the budget); the party whose
hidden notice is probed, and the host, are told at once by ``probing.suspected`` — nobody else;
the prober's long notice reads the hidden window in quarter hours only, and no distance, while
a party that sees both notices is told both exactly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api, Clock, make_api, notice, square
from tests.conftest import MakeStore

HIDDEN = {"start": "2026-11-25T13:10:00Z", "end": "2026-11-25T14:50:00Z"}
CENTURIES = {"start": "2026-11-25T12:30:00Z", "end": "2199-01-01T00:00:00Z"}


@pytest.fixture
def clocked(make_store: MakeStore) -> Iterator[tuple[Api, Clock]]:
    clock = Clock()
    made = make_api(make_store("sqlite"), clock=clock)
    with made.client:
        yield made, clock


def events(api: Api, who: str, kind: str) -> list[dict[str, Any]]:
    got = api.get(who, "/v1/events", kinds=kind)
    assert got.status_code == 200
    return list(got.json()["events"])


def probe(api: Api, lon: float) -> dict[str, Any]:
    """A private notice for two centuries over a small square, withdrawn at once."""
    volume = square(lon, 35.0, 0.01, **CENTURIES)
    made = api.post("red", notice(volume, audience=[]))
    assert made.status_code == 201, made.text
    gone = api.client.delete(
        f"/v1/notices/{made.json()['notice']['id']}", headers=api.headers("red")
    )
    assert gone.status_code in (200, 429), gone.text
    return {"created": made.json(), "withdrawn": gone}


def test_probes_are_told_to_the_probed_party_and_the_host_then_refused(
    clocked: tuple[Api, Clock],
) -> None:
    api, clock = clocked
    hidden = api.post("blue", notice(square(40.0, 35.0, 0.1, **HIDDEN), audience=["aid"]))
    hidden_id = hidden.json()["notice"]["id"]
    answers = []
    for i in range(13):  # each a yes: inside blue's square
        clock.advance(1)
        answers.append(probe(api, 40.02 + 0.005 * i))
    # the fourth conflict opened with the hidden notice told blue and the host, once
    [to_blue] = events(api, "blue", "probing.suspected")
    assert to_blue["probing"]["party"] == "red"
    assert to_blue["probing"]["notice"] == hidden_id
    assert to_blue["probing"]["opens"] == 4
    assert to_blue["at"] == "2026-11-25T12:00:04Z"  # the fourth probe's second
    [to_host] = events(api, "admin", "probing.suspected")
    assert to_host["probing"]["party"] == "red" and to_host["probing"]["owner"] == "blue"
    assert hidden_id not in str(to_host)
    for other in ("red", "aid"):
        assert events(api, other, "probing.suspected") == []
    # twelve quick withdrawals spent the day's 60 units; the thirteenth is refused
    refused = answers[-1]["withdrawn"]
    assert [a["withdrawn"].status_code for a in answers] == [200] * 12 + [429]
    assert refused.json()["error"] == "budget_exhausted"
    assert "quick and buffer changes" in refused.json()["message"]
    assert int(refused.headers["Retry-After"]) == 24 * 3600 - 12  # the first probe's units
    # each probe read the hidden window in quarter hours only, and no distance
    for a in answers:
        [c] = a["created"]["conflicts"]
        assert c["redacted"] is True and "distance_m" not in c
        assert c["window"] == {"start": "2026-11-25T13:00:00Z", "end": "2026-11-25T15:00:00Z"}


def test_a_party_that_sees_both_notices_is_told_them_exactly(clocked: tuple[Api, Clock]) -> None:
    api, _ = clocked
    api.post("blue", notice(square(40.0, 35.0, 0.1, **HIDDEN), audience=[]))
    shared = api.post("red", notice(square(40.02, 35.02, 0.01, **CENTURIES), audience="all"))
    [to_red] = shared.json()["conflicts"]
    assert to_red["redacted"] is True and "distance_m" not in to_red
    [to_blue] = api.get("blue", "/v1/conflicts").json()["conflicts"]
    assert to_blue["redacted"] is False
    assert to_blue["window"] == HIDDEN
    assert to_blue["distance_m"] == 0
