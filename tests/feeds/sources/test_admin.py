"""Only the host adds, lists and removes feeds (a party naming addresses for the host to reach
would be server-side request forgery); a feed reports as its own member, and stops with it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deconfliction import service
from deconfliction.cli.main import app
from deconfliction.domain import Role
from deconfliction.domain.feed import FeedKind
from deconfliction.errors import InvalidInput, NotFound, PermissionDenied
from deconfliction.service import Line
from tests.feeds.sources.conftest import PARTY, track

NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
REPORT = {
    "uid": "icao:ABCDEF",
    "domain": "air",
    "lat": 50.0,
    "lon": 8.0,
    "alt_m": 3000.0,
    "alt_unc_m": 400.0,
    "gs_mps": 200.0,
    "trk_deg": 90.0,
    "vs_mps": 0.0,
    "time": NOW,
}


def test_only_the_host_adds_feeds(line: Line) -> None:
    coordinator, _ = service.create_member(line, PARTY, Role.COORDINATOR)
    admin, _ = service.create_member(line, "host", Role.ADMIN)
    with pytest.raises(PermissionDenied):
        service.add_feed(line, PARTY, FeedKind.ADSB_SBS, "10.0.0.1:30003", actor=coordinator)
    with pytest.raises(PermissionDenied):
        service.list_feeds(line, actor=coordinator)
    view = service.add_feed(line, PARTY, FeedKind.ADSB_SBS, "10.0.0.1:30003", actor=admin)
    with pytest.raises(PermissionDenied):
        service.remove_feed(line, view.feed.id, actor=coordinator)
    assert view.member is not None and view.member.role is Role.COORDINATOR
    assert view.member.party == PARTY and "adsb-sbs 10.0.0.1:30003" in view.member.name


@pytest.mark.parametrize(("kind", "source", "error"), [
    (FeedKind.ADSB_SBS, "10.0.0.1", InvalidInput), (FeedKind.ADSB_SBS, "h:99999", InvalidInput),
    (FeedKind.ADSB_JSON, "file:///etc/passwd", InvalidInput),
    (FeedKind.ADSB_JSON, "http://user:pw@h/aircraft.json", InvalidInput),
    (FeedKind.AIS_TCP, "bad host:1", InvalidInput),
])  # fmt: skip
def test_sources_are_checked(line: Line, kind: FeedKind, source: str, error: type) -> None:
    with pytest.raises(error):
        service.add_feed(line, PARTY, kind, source)


def test_a_feed_reports_as_its_member_until_revoked(line: Line) -> None:
    with pytest.raises(NotFound):
        service.add_feed(line, "nobody", FeedKind.AIS_UDP, "10110")
    view = service.add_feed(line, PARTY, FeedKind.AIS_UDP, "10110")
    assert view.feed.source == "127.0.0.1:10110"  # loopback unless asked
    result = service.feed_report(line, view.feed.id, [REPORT])
    assert result.accepted == 1
    stored = track(line, "icao:ABCDEF")
    assert stored is not None and stored.alt_unc_m == 400.0
    assert [f.id for f in service.running_feeds(line)] == [view.feed.id]
    assert view.member is not None
    service.revoke_member(line, view.member.id)
    assert service.running_feeds(line) == []
    with pytest.raises(PermissionDenied, match="revoked"):
        service.feed_report(line, view.feed.id, [REPORT])


def cli(db: str, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--db", db], catch_exceptions=False)


def test_feed_add_list_remove_on_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'line.db'}"
    assert cli(db, "party", "create", PARTY, "--name", "Civil aviation").exit_code == 0
    added = cli(db, "feed", "add", "adsb", "--party", PARTY, "--sbs", "127.0.0.1:30003")
    assert added.exit_code == 0, added.output
    feed_id = added.output.split()[1]
    assert cli(db, "feed", "add", "ais", "--party", PARTY, "--udp", "10110").exit_code == 0
    both = cli(db, "feed", "add", "ais", "--party", PARTY, "--udp", "1", "--tcp", "h:2")
    assert both.exit_code == 2 and "exactly one" in both.output
    listed = cli(db, "feed", "list")
    assert "adsb-sbs" in listed.output and "ais-udp" in listed.output
    assert listed.output.count("runs") == 2
    removed = cli(db, "feed", "remove", feed_id[-6:])
    assert removed.exit_code == 0 and "revoked" in removed.output
    listed = cli(db, "feed", "list")
    assert "adsb-sbs" not in listed.output and listed.output.count("runs") == 1
    missing = cli(db, "feed", "remove", "nope")
    assert missing.exit_code == 2
