"""An API over a fresh embedded line with three parties and a member of each role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconfliction import service
from deconfliction.api.app import create_app
from deconfliction.domain import Role
from deconfliction.service import Line
from deconfliction.store.base import Store
from tests.conftest import STORE_KINDS, MakeStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class Api:
    client: TestClient
    line: Line
    tokens: dict[str, str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    def post(self, who: str, body: Any) -> Any:
        return self.client.post("/v1/notices", json=body, headers=self.headers(who))

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.headers(who), params=params)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_api(
    store: Store, max_body_bytes: int | None = None, clock: Callable[[], datetime] | None = None
) -> Api:
    line = Line(store=store, clock=clock or (lambda: NOW))
    tokens: dict[str, str] = {}
    for slug in ("blue", "red", "aid"):
        service.create_party(line, slug, slug.title())
        tokens[slug] = service.create_member(line, slug, Role.COORDINATOR)[1]
    tokens["blue-observer"] = service.create_member(line, "blue", Role.OBSERVER)[1]
    service.create_party(line, "host", "The host")
    tokens["admin"] = service.create_member(line, "host", Role.ADMIN)[1]
    kwargs = {} if max_body_bytes is None else {"max_body_bytes": max_body_bytes}
    client = TestClient(create_app(line, **kwargs), raise_server_exceptions=False)
    return Api(client, line, tokens)


@pytest.fixture(params=STORE_KINDS)
def api(request: pytest.FixtureRequest, make_store: MakeStore) -> Iterator[Api]:
    """The API over a fresh line on each database (stores close with ``make_store``)."""
    made = make_api(make_store(request.param))
    with made.client:
        yield made


def square(
    lon: float,
    lat: float,
    size_deg: float = 0.1,
    *,
    start: str = "2026-11-25T13:00:00Z",
    end: str = "2026-11-25T15:00:00Z",
    lower_m: float | None = None,
    upper_m: float | None = None,
) -> dict[str, Any]:
    """A volume over a square footprint with its south-west corner at (lon, lat)."""
    ring = [
        [lon, lat],
        [lon + size_deg, lat],
        [lon + size_deg, lat + size_deg],
        [lon, lat + size_deg],
        [lon, lat],
    ]
    volume: dict[str, Any] = {
        "footprint": {"type": "Polygon", "coordinates": [ring]},
        "time": {"start": start, "end": end},
    }
    if lower_m is not None or upper_m is not None:
        volume["altitude"] = {"lower_m": lower_m, "upper_m": upper_m}
    return volume


def notice(
    *volumes: dict[str, Any], audience: Any = "all", kind: str = "operation"
) -> dict[str, Any]:
    return {"kind": kind, "title": "test", "audience": audience, "volumes": list(volumes)}
