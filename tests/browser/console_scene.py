"""What the console's browser tests put on a served line and do in the page: notices and tracks
through the service layer (as a party's own system would), signing in as a user does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.domain import Member
from tests.api.conftest import NOW, square
from tests.browser.conftest import Served

__all__ = ["NOTICE_PATHS", "TIMEOUT_MS", "declare", "member", "report", "sign_in"]

TIMEOUT_MS = 20_000
NOTICE_PATHS = ".leaflet-overlay-pane path"
"""Every notice volume (and conflict area) Leaflet draws is an SVG path in its overlay pane."""


def member(served: Served, party: str) -> Member:
    return service.authenticate(served.line, served.tokens[party])


def declare(
    served: Served,
    party: str,
    title: str,
    lon: float,
    lat: float,
    *,
    audience: Any = "all",
    start: datetime = NOW - timedelta(hours=1),
    end: datetime = NOW + timedelta(hours=24),
) -> str:
    """A party's operation over a 0.2° square from (lon, lat); its id."""
    volume = square(lon, lat, 0.2, start=start.isoformat(), end=end.isoformat())
    body = {"kind": "operation", "title": title, "audience": audience, "volumes": [volume]}
    made = service.create_notice(
        served.line, member(served, party), draft_from(NoticeIn.model_validate(body))
    )
    return made.notice.id


def report(served: Served, party: str, *tracks: tuple[str, float, float]) -> None:
    """Ground tracks ``(callsign, lon, lat)`` of a party, seen at the line's now."""
    batch = [
        {
            "uid": callsign.lower(),
            "callsign": callsign,
            "domain": "ground",
            "lat": lat,
            "lon": lon,
            "gs_mps": 8.0,
            "trk_deg": 90.0,
            "vs_mps": 0.0,
            "time": NOW.isoformat(),
            "audience": "all",
        }
        for callsign, lon, lat in tracks
    ]
    result = service.report_tracks(served.line, member(served, party), batch)
    assert not result.rejected, result.rejected


def sign_in(page: Any, served: Served, party: str, *, token: str | None = None) -> None:
    """Open the console at the line's own clock (``NOW``) and sign in with the Token field."""
    page.clock.install(time=NOW)
    page.goto(served.origin + "/")
    page.get_by_label("Token").fill(token or served.tokens[party])
    page.get_by_role("button", name="Sign in").click()
    if token is None:
        page.locator("body[data-ready=true]").wait_for(timeout=TIMEOUT_MS)
