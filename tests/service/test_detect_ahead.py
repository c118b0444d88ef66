"""A create decides its conflicts before the notice write lock (``detect_ahead``) and confirms
them under it: whatever other writers did in between, through this line or another on the same
database, it is told exactly the conflicts a detection from scratch under the lock finds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deconfliction import service
from deconfliction.config import LineConfig
from deconfliction.domain import (
    Audience,
    Member,
    Notice,
    NoticeDraft,
    NoticeKind,
    Role,
    TimeWindow,
    Volume,
)
from deconfliction.geo import parse_footprints
from deconfliction.service import Line
from deconfliction.service.notices.strategic import (
    Ahead,
    Detection,
    detect_ahead,
    detect_and_index,
    prepare_volumes,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WINDOW = TimeWindow(NOW + timedelta(hours=2), NOW + timedelta(hours=4))


def _draft(lon: float, lat: float = 10.0, protected: bool = False) -> NoticeDraft:
    [fp] = parse_footprints({"type": "Point", "coordinates": [lon, lat]}, radius_m=2_000.0)
    return NoticeDraft(
        NoticeKind.SITE if protected else NoticeKind.OPERATION,
        (Volume(fp, WINDOW),),
        Audience(everyone=True),
        title="t",
        protected=protected,
    )


def _open(path: Path) -> Line:
    line = service.open_line(LineConfig(db_url=f"sqlite:///{path}", key_path=None))
    return Line(store=line.store, clock=lambda: NOW)


@pytest.fixture
def lines(tmp_path: Path) -> Iterator[tuple[Line, Line]]:
    """Two lines on one database, as two processes or nodes: each its own in-memory index."""
    first, second = _open(tmp_path / "line.db"), _open(tmp_path / "line.db")
    try:
        yield first, second
    finally:
        first.store.close()
        second.store.close()


def _member(line: Line, party: str) -> Member:
    service.create_party(line, party, party.title())
    return service.create_member(line, party, Role.COORDINATOR)[0]


def _unsaved(line: Line, actor: Member, draft: NoticeDraft) -> Notice:
    return Notice(
        id=line.new_id(),
        party=actor.party,
        kind=draft.kind,
        volumes=draft.volumes,
        audience=draft.audience,
        created_at=NOW,
        updated_at=NOW,
        title=draft.title,
        protected=draft.protected,
        buffers=draft.buffers,
    )


def _told(found: Detection) -> list[tuple[str, int, int, str, TimeWindow]]:
    return [
        (c.notice_b, c.volume_b, c.version_b, c.severity.value, c.window) for c in found.conflicts
    ]


def _confirmed(line: Line, notice: Notice, ahead: Ahead) -> tuple[Detection, Detection]:
    """Under the lock, as a create does: with the answer found ahead, and from scratch."""
    prepared = prepare_volumes(notice.volumes)
    with line.store.transaction() as tx:
        tx.lock_for_notice_write()
        return (
            detect_and_index(line, tx, notice, prepared, ahead),
            detect_and_index(line, tx, notice, prepared),
        )


def test_writes_between_the_answer_ahead_and_the_lock_are_told_as_they_stand(
    lines: tuple[Line, Line],
) -> None:
    first, second = lines
    blue, red, green = _member(first, "blue"), _member(second, "red"), _member(second, "green")
    kept = service.create_notice(second, red, _draft(20.0)).notice
    withdrawn = service.create_notice(second, red, _draft(20.01)).notice
    moved_away = service.create_notice(second, green, _draft(20.02)).notice
    moved_onto = service.create_notice(second, green, _draft(25.0)).notice
    made_protected = service.create_notice(second, red, _draft(20.03)).notice
    service.warm_strategic(first)  # the first line's index holds them all

    mine = _unsaved(first, blue, _draft(20.015))
    ahead = detect_ahead(first, mine, prepare_volumes(mine.volumes))
    assert ahead.position is not None
    assert sorted(h.notice_id for h, _ in ahead.found[0]) == sorted(
        [kept.id, withdrawn.id, moved_away.id, made_protected.id]
    )

    # meanwhile, through the other line (another node) and through this one
    service.withdraw_notice(second, red, withdrawn.id, None)
    service.update_notice(second, green, moved_away.id, _draft(30.0), moved_away.version)
    service.update_notice(second, green, moved_onto.id, _draft(20.016), moved_onto.version)
    service.update_notice(
        second, red, made_protected.id, _draft(20.03, protected=True), made_protected.version
    )
    created_here = service.create_notice(first, green, _draft(20.014)).notice
    created_there = service.create_notice(second, red, _draft(20.017)).notice

    found, scratch = _confirmed(first, mine, ahead)
    assert _told(found) == _told(scratch)
    by_notice = {c.notice_b: c for c in found.conflicts}
    assert sorted(by_notice) == sorted(
        [kept.id, moved_onto.id, made_protected.id, created_here.id, created_there.id]
    )
    assert by_notice[moved_onto.id].version_b == 2
    assert by_notice[made_protected.id].severity.value == "caution"  # protected since
    assert by_notice[kept.id].severity.value == "advisory"
    assert set(found.audiences) == set(by_notice)


def test_an_answer_ahead_of_an_unbuilt_index_is_made_under_the_lock(
    lines: tuple[Line, Line],
) -> None:
    first, second = lines
    blue, red = _member(first, "blue"), _member(second, "red")
    theirs = service.create_notice(second, red, _draft(20.0)).notice
    mine = _unsaved(first, blue, _draft(20.01))
    ahead = detect_ahead(first, mine, prepare_volumes(mine.volumes))
    assert ahead == Ahead(None, [])  # the first line has not built its index yet
    found, _ = _confirmed(first, mine, ahead)
    assert [c.notice_b for c in found.conflicts] == [theirs.id]


@pytest.mark.parametrize("seed", range(6))
def test_random_writes_in_between_leave_the_same_conflicts_as_a_detection_from_scratch(
    lines: tuple[Line, Line], seed: int
) -> None:
    rng = random.Random(seed)
    first, second = lines
    members = [_member(first, "blue"), _member(second, "red"), _member(second, "green")]
    service.warm_strategic(first)

    def near() -> NoticeDraft:
        return _draft(20.0 + rng.uniform(-0.05, 0.05), 10.0 + rng.uniform(-0.05, 0.05))

    live: list[tuple[Line, Member, Notice]] = []
    for _ in range(12):
        line, who = rng.choice([first, second]), rng.choice(members[1:])
        live.append((line, who, service.create_notice(line, who, near()).notice))
    mine = _unsaved(first, members[0], near())
    ahead = detect_ahead(first, mine, prepare_volumes(mine.volumes))
    for _ in range(rng.randint(1, 8)):
        k = rng.randrange(len(live))
        line, who, notice = live[k]
        op = rng.choice(["create", "update", "withdraw"])
        if op == "create":
            line = rng.choice([first, second])
            live.append((line, who, service.create_notice(line, who, near()).notice))
        elif op == "update":
            updated = service.update_notice(line, who, notice.id, near(), notice.version)
            live[k] = (line, who, updated.notice)
        else:
            service.withdraw_notice(line, who, notice.id, None)
            del live[k]
    found, scratch = _confirmed(first, mine, ahead)
    assert _told(found) == _told(scratch)
    assert found.audiences == scratch.audiences
