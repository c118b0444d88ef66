"""Two line objects on one database (two processes, or two nodes): a notice declared through one
is told as a conflict to a create through the other, though each keeps its own in-memory index;
a withdrawal through one stops the other from telling it; a third line opened later (a restart)
tells the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from deconfliction import service
from deconfliction.config import LineConfig
from deconfliction.domain import Audience, Member, NoticeDraft, NoticeKind, Role, TimeWindow, Volume
from deconfliction.geo import parse_footprints
from deconfliction.service import Line

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WINDOW = TimeWindow(NOW + timedelta(hours=2), NOW + timedelta(hours=4))


def _draft(lon: float, lat: float) -> NoticeDraft:
    [fp] = parse_footprints({"type": "Point", "coordinates": [lon, lat]}, radius_m=2_000.0)
    return NoticeDraft(
        NoticeKind.OPERATION, (Volume(fp, WINDOW),), Audience(everyone=True), title="t"
    )


def _open(path: Path) -> Line:
    line = service.open_line(LineConfig(db_url=f"sqlite:///{path}", key_path=None))
    return Line(store=line.store, clock=lambda: NOW)


def _member(line: Line, party: str) -> Member:
    service.create_party(line, party, party.title())
    return service.create_member(line, party, Role.COORDINATOR)[0]


def test_a_notice_declared_through_another_line_is_told(tmp_path: Path) -> None:
    first, second = _open(tmp_path / "line.db"), _open(tmp_path / "line.db")
    try:
        blue, red = _member(first, "blue"), _member(second, "red")
        # the first line's index is built (and empty) before the other line writes
        assert service.create_notice(first, blue, _draft(30.0, 10.0)).conflicts == []
        theirs = service.create_notice(second, red, _draft(20.0, 10.0)).notice
        mine = service.create_notice(first, blue, _draft(20.01, 10.0))
        assert [c.other.notice for c in mine.conflicts] == [theirs.id]

        service.withdraw_notice(second, red, theirs.id, None)
        again = service.create_notice(first, blue, _draft(20.02, 10.0))
        assert again.conflicts == []  # red's is withdrawn; blue's own are not conflicts

        restarted = _open(tmp_path / "line.db")
        try:
            late = service.create_notice(restarted, red, _draft(20.0, 10.0))
            assert sorted(c.other.notice for c in late.conflicts) == sorted(
                [mine.notice.id, again.notice.id]
            )
        finally:
            restarted.store.close()
    finally:
        first.store.close()
        second.store.close()
