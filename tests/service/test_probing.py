"""Probing bounded and told (docs/security.md, "Probing"), through the use cases every front
door shares, on both databases, with the line's clock moved by hand:

- each party's budgets hold: a write past one is refused (nothing written), saying which budget
  and when to retry; a quick withdrawal and a change of buffers cost more; a day later the
  budget is back; a busy coordinator's day at the default numbers fits;
- a party that keeps opening conflicts with a notice it may not see is told on, once, to that
  notice's party (which is shown the notice) and to the host (which is not) — not to the prober
  nor to a party that may see the notice;
- a party told of a conflict with a notice it may not see gets the window rounded out to
  quarter hours and no distance; a party that sees both notices gets them exact.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from deconfliction import service
from deconfliction.domain import (
    Audience,
    Buffers,
    EventKind,
    Member,
    NoticeDraft,
    NoticeKind,
    Role,
    TimeWindow,
    Volume,
)
from deconfliction.domain.probing import Budgets
from deconfliction.errors import BudgetExhausted
from deconfliction.geo import parse_footprints
from deconfliction.service import Line
from deconfliction.store.base import NoticeQuery, Store

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HIDDEN = TimeWindow(
    datetime(2026, 12, 8, 6, 10, tzinfo=UTC), datetime(2026, 12, 8, 7, 50, tzinfo=UTC)
)
"""The window of blue's hidden notice: not on a quarter hour at either end."""


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def circle(lon: float, lat: float, radius_m: float, window: TimeWindow = HIDDEN) -> Volume:
    [fp] = parse_footprints({"type": "Point", "coordinates": [lon, lat]}, radius_m=radius_m)
    return Volume(fp, window)


def draft(*volumes: Volume, audience: Audience | None = None, **over: Any) -> NoticeDraft:
    return NoticeDraft(
        NoticeKind.OPERATION, tuple(volumes), audience or Audience(), title="probe", **over
    )


LONG = TimeWindow(datetime(2026, 12, 7, 10, 0, tzinfo=UTC), datetime(2199, 1, 1, tzinfo=UTC))


def line_with(store: Store, clock: Clock, **kwargs: Any) -> tuple[Line, dict[str, Member]]:
    line = Line(store=store, clock=clock, **kwargs)
    members = {}
    for slug in ("blue", "red", "aid", "host"):
        service.create_party(line, slug, slug.title())
        role = Role.ADMIN if slug == "host" else Role.COORDINATOR
        members[slug] = service.create_member(line, slug, role)[0]
    return line, members


def told(line: Line, member: Member, kind: EventKind) -> list[dict[str, Any]]:
    got = service.events_for(line, member, 0).events
    line.deliveries.flush()  # what reading delivered is written now, not after the test
    return [e for e in got if e["kind"] == kind.value]


# -- budgets ----------------------------------------------------------------------------------


def test_a_write_past_the_budget_is_refused_naming_it_until_it_ages_out(store: Store) -> None:
    clock = Clock()
    line, m = line_with(store, clock, budgets=Budgets(writes=3, probes=None))
    for _ in range(3):
        service.create_notice(line, m["red"], draft(circle(30.0, 10.0, 1000.0, LONG)))
        clock.advance(hours=1)
    with pytest.raises(BudgetExhausted) as refused:
        service.create_notice(line, m["red"], draft(circle(30.0, 10.0, 1000.0, LONG)))
    assert "budget exhausted" in refused.value.reason
    assert "3 of its 3 units of notice changes" in refused.value.reason
    # the first write ages out 24 h after it was made: 21 h from now
    assert refused.value.retry_after_s == 21 * 3600
    assert "try again at 2026-12-08T09:00:00Z" in refused.value.reason
    with store.read() as tx:
        assert len(tx.list_notices(NoticeQuery(limit=100))) == 3  # the refused one is not there
    # another party's budget is its own
    service.create_notice(line, m["blue"], draft(circle(30.0, 10.0, 1000.0, LONG)))
    clock.advance(hours=21)
    service.create_notice(line, m["red"], draft(circle(30.0, 10.0, 1000.0, LONG)))


def test_a_quick_withdrawal_and_a_buffer_change_cost_more(store: Store) -> None:
    clock = Clock()
    line, m = line_with(store, clock, budgets=Budgets(writes=None, probes=10))
    red = m["red"]
    # a create withdrawn within 10 min: 5 units of the probes budget, twice
    for _ in range(2):
        n = service.create_notice(line, red, draft(circle(30.0, 10.0, 1000.0, LONG))).notice
        clock.advance(minutes=9)
        service.withdraw_notice(line, red, n.id, None)
    n = service.create_notice(line, red, draft(circle(30.0, 10.0, 1000.0, LONG))).notice
    clock.advance(minutes=9)
    with pytest.raises(BudgetExhausted) as refused:
        service.withdraw_notice(line, red, n.id, None)
    assert "10 of its 10 units of quick and buffer changes" in refused.value.reason
    assert "within 10 min of its last version costs 5 units" in refused.value.reason
    # waited past 10 min, it is an ordinary withdrawal
    clock.advance(minutes=1)
    service.withdraw_notice(line, red, n.id, None)
    # a change of buffers costs 5 whenever it comes
    n = service.create_notice(line, red, draft(circle(30.0, 10.0, 1000.0, LONG))).notice
    clock.advance(hours=1)
    again = draft(circle(30.0, 10.0, 1000.0, LONG), buffers=Buffers(h_m=5_000.0))
    with pytest.raises(BudgetExhausted) as refused:
        service.update_notice(line, red, n.id, again, n.version)
    assert "a change of a notice's buffers costs 5 units" in refused.value.reason
    # the same change of geometry without touching the buffers is an ordinary write
    service.update_notice(line, red, n.id, draft(circle(30.0, 10.1, 1000.0, LONG)), n.version)


def test_a_busy_coordinators_day_fits_the_default_budgets(make_store: Any) -> None:
    """300 notices declared through the day, each changed once half an hour later, 50 of them
    withdrawn hours later, and 10 slips put right within minutes: the defaults hold it."""
    clock = Clock()
    line, m = line_with(make_store("sqlite"), clock)
    blue = m["blue"]
    made = []
    for i in range(300):
        volume = circle(
            30.0 + i * 0.01, 10.0, 500.0, TimeWindow(NOW + timedelta(hours=30), LONG.end)
        )
        made.append(service.create_notice(line, blue, draft(volume)).notice)
        clock.advance(minutes=4)
        if i % 30 == 0:  # a slip, put right at once
            n = made[-1]
            made[-1] = service.update_notice(line, blue, n.id, draft(volume), n.version).notice
    clock.advance(minutes=30)
    for i, n in enumerate(made):
        made[i] = service.update_notice(
            line, blue, n.id, replace(draft(*n.volumes), title="moved"), n.version
        ).notice
    clock.advance(hours=2)
    for n in made[:50]:
        service.withdraw_notice(line, blue, n.id, n.version)
    assert clock.now - NOW < timedelta(hours=24)


# -- probing.suspected -------------------------------------------------------------------------


def test_repeated_conflicts_with_a_hidden_notice_are_told_to_its_party_and_the_host(
    store: Store,
) -> None:
    clock = Clock()
    line, m = line_with(store, clock)
    # blue's notice is shared with aid, not with red
    hidden = service.create_notice(
        line, m["blue"], draft(circle(36.3, 33.5, 5_000.0), audience=Audience.of(["aid"]))
    ).notice
    # conflicts with a notice red may see are not probing: they do not count
    shared = service.create_notice(
        line, m["aid"], draft(circle(36.3, 33.5, 5_000.0), audience=Audience.of("all"))
    ).notice
    started = clock.now
    for i in range(4):
        clock.advance(seconds=1)
        probe = circle(36.3 + 0.01 * i, 33.5, 1_000.0, LONG)
        n = service.create_notice(line, m["red"], draft(probe)).notice
        service.withdraw_notice(line, m["red"], n.id, None)
        if i < 3:
            assert told(line, m["blue"], EventKind.PROBING_SUSPECTED) == []
    [to_blue] = told(line, m["blue"], EventKind.PROBING_SUSPECTED)
    assert to_blue["probing"] == {
        "party": "red",
        "notice": hidden.id,
        "owner": "blue",
        "opens": 4,
        "since": "2026-12-06T09:00:04Z",
    }
    assert datetime.fromisoformat(to_blue["at"]) - started <= timedelta(minutes=1)
    [to_host] = told(line, m["host"], EventKind.PROBING_SUSPECTED)
    assert to_host["probing"] == {k: v for k, v in to_blue["probing"].items() if k != "notice"}
    assert hidden.id not in str(to_host)
    # neither the prober, nor aid (which may see the notice), nor the owner of the shared one
    assert told(line, m["red"], EventKind.PROBING_SUSPECTED) == []
    assert told(line, m["aid"], EventKind.PROBING_SUSPECTED) == []
    assert shared.id not in str(to_blue) + str(to_host)
    # once per prober and notice in 24 h; a day later the next opens tell again
    for _ in range(4):
        clock.advance(hours=1)
        service.create_notice(line, m["red"], draft(circle(36.3, 33.5, 1_000.0, LONG)))
    assert len(told(line, m["blue"], EventKind.PROBING_SUSPECTED)) == 1
    clock.advance(hours=21)
    service.create_notice(line, m["red"], draft(circle(36.3, 33.5, 1_000.0, LONG)))
    assert len(told(line, m["blue"], EventKind.PROBING_SUSPECTED)) == 2


# -- what a redacted conflict tells ------------------------------------------------------------


def test_a_hidden_window_is_told_in_quarter_hours_and_no_distance(store: Store) -> None:
    clock = Clock()
    line, m = line_with(store, clock)
    # blue's notice is its own; red's spans two centuries 3.3 km off, asks for 5 km of
    # separation, and is shared with all
    service.create_notice(line, m["blue"], draft(circle(36.3, 33.5, 5_000.0)))
    red = service.create_notice(
        line,
        m["red"],
        draft(
            circle(36.4, 33.5, 1_000.0, LONG),
            audience=Audience.of("all"),
            buffers=Buffers(h_m=5_000.0),
        ),
    )
    [told_red] = red.conflicts
    assert told_red.redacted is True
    assert told_red.distance_m is None
    assert told_red.window == TimeWindow(  # not 06:10-07:50Z
        datetime(2026, 12, 8, 6, 0, tzinfo=UTC), datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    )
    # and so is every event of it red receives
    [opened] = told(line, m["red"], EventKind.CONFLICT_OPENED)
    assert opened["conflict"]["window"] == {
        "start": "2026-12-08T06:00:00Z",
        "end": "2026-12-08T08:00:00Z",
    }
    assert "distance_m" not in opened["conflict"]
    # blue sees both notices: the overlap and the distance, exact
    [told_blue] = service.list_conflicts(line, m["blue"]).items
    assert told_blue.redacted is False
    assert told_blue.window == HIDDEN
    assert told_blue.distance_m == pytest.approx(9_280.0 - 6_000.0, abs=30.0)
