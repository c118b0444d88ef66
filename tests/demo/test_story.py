"""The demo's story, played on a stepped clock as ``deconfliction demo --serve`` plays it: the
story steps every 2 s, the line scans every second and runs its deadline duties; what a
newcomer watching the console would notice is checked through the use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyproj import Geod

from deconfliction import service
from deconfliction.cli.scenario import Loaded, load_scenario, read_scenario
from deconfliction.domain import ConflictKind, MessageKind
from deconfliction.domain.view import ConflictView
from deconfliction.service import Line, TrackFilter
from deconfliction.store import open_store

START = datetime(2027, 1, 12, 6, 20, 7, tzinfo=UTC)
VACATE = (40.2, 35.36, 5000.0)  # the scenario's vacate area: centre lon, lat and radius
_GEOD = Geod(ellps="WGS84")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Played:
    line: Line
    clock: Clock
    loaded: Loaded
    fired: list[tuple[float, float]] = field(default_factory=list)
    """(beat's offset, scenario seconds when it fired), in the order fired."""
    stopped: list[list[ConflictView]] = field(default_factory=list)
    """The convoy's live 'stopped' deviations as UN OCHA sees them, after each scan from +310."""


def play(tmp_path: Path, speed: float, until_s: float, step_s: float = 2.0) -> Played:
    clock = Clock(START)
    line = Line(store=open_store(f"sqlite:///{tmp_path}/line.db"), clock=clock)
    loaded = load_scenario(line, speed)
    played = Played(line, clock, loaded)
    story, pace = loaded.story, loaded.story.pace
    un = loaded.members["un-ocha"]
    scans = 0
    while pace.elapsed_s(clock.now) < until_s:
        clock.now += timedelta(seconds=1)  # the line scans every second, the story steps every 2
        scans += 1
        if scans % 2 == 0:
            for beat in story.advance(clock.now).fired:
                played.fired.append((beat.at_s, pace.elapsed_s(clock.now)))
        service.scan(line, loaded.scan)
        service.deadline_duties(line)
        if pace.elapsed_s(clock.now) >= 310:
            live = service.list_conflicts(line, un, live_only=True).items
            played.stopped.append([c for c in live if c.reason == "stopped"])
    return played


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    """The whole story at speed 1, and two minutes of rest after its last beat."""
    return play(tmp_path_factory.mktemp("story"), 1.0, 420.0)


def _conflicts(p: Played, party: str) -> list[ConflictView]:
    return service.list_conflicts(p.line, p.loaded.members[party], limit=1000).items


def _from_vacate_m(lon: float, lat: float) -> float:
    return float(_GEOD.inv(VACATE[0], VACATE[1], lon, lat)[2])


def test_beats_fire_once_in_order_at_their_times(played: Played) -> None:
    offsets = [b["at_s"] for b in read_scenario()["story"]["beats"]]
    assert [at for at, _ in played.fired] == offsets
    # each at the first step of the story at or after its time (it steps every 2 s)
    assert all(at <= when < at + 2.0 for at, when in played.fired)
    assert played.loaded.story.over
    assert played.loaded.story.advance(played.clock.now).fired == []


def test_the_counterpart_asks_the_coalition_to_vacate_and_it_accepts(played: Played) -> None:
    coalition = played.loaded.members["coalition"]
    threads = service.list_threads(played.line, coalition).items
    [thread] = [t for t in threads if t.parties == {"coalition", "counterpart"}]
    messages = service.get_thread(played.line, coalition, thread.id).messages
    request, reply = messages
    assert request.party == "counterpart" and request.to == "coalition"
    assert request.request is not None and request.request.value == "vacate"
    assert reply.kind is MessageKind.REPLY and reply.in_reply_to == request.id
    assert reply.reply is not None and reply.reply.value == "accept"
    assert request.commits()  # an agreement the line enforces
    # the coalition revised its air tasking around the area: no breach by its notice
    air = service.get_notice(played.line, coalition, played.loaded.notice_ids[0])
    assert air.version == 2 and len(air.volumes[0].footprint.rings) == 2
    breaches = [c for c in _conflicts(played, "coalition") if c.agreement == request.id]
    assert breaches and all(c.kind is ConflictKind.INTRUSION for c in breaches)


def test_one_jet_breaches_the_agreement_and_the_others_left_the_area(played: Played) -> None:
    breaches = [c for c in _conflicts(played, "coalition") if c.agreement is not None]
    assert {c.mine.track for c in breaches if c.mine is not None} == {"viper-4"}
    # the counterpart is told of it too
    told = [c for c in _conflicts(played, "counterpart") if c.agreement is not None]
    assert {c.id for c in told} == {c.id for c in breaches}
    tracks = service.list_tracks(
        played.line, played.loaded.members["coalition"], TrackFilter()
    ).items
    where = {t.uid: _from_vacate_m(t.lon, t.lat) for t in tracks if t.party == "coalition"}
    assert all(where[f"viper-{n}"] > VACATE[2] + 5000 for n in (1, 2, 3)), where


def test_the_convoy_stops_and_its_deviation_stays_open(played: Played) -> None:
    # stopped at +180 and allowed two minutes: from just after +300 on, one open conflict
    assert played.stopped and all(len(s) == 1 for s in played.stopped)
    assert len({s[0].id for s in played.stopped}) == 1
    assert {s[0].status.value for s in played.stopped} == {"open"}
    later = played.stopped
    assert "stopped since" in (later[-1][0].detail or "")
    convoy = service.list_tracks(played.line, played.loaded.members["un-ocha"], TrackFilter()).items
    [lead] = [t for t in convoy if t.uid == "convoy-lead"]
    assert lead.gs_mps == 0.0 and lead.stopped_since is not None


def test_the_unacknowledged_field_hospital_escalates(played: Played) -> None:
    un = played.loaded.members["un-ocha"]
    events = service.events_for(played.line, un, 0).events
    [raised] = [e for e in events if e["kind"] == "escalation.raised"]
    escalation = raised["escalation"]
    assert escalation["notice"] == played.loaded.notice_ids[4]
    assert escalation["missing"] == ["coalition"]  # the counterpart acknowledged it
    due = datetime.fromisoformat(escalation["due"].replace("Z", "+00:00"))
    assert due == START + timedelta(seconds=300)


def test_aircraft_of_both_sides_come_into_tactical_conflict(played: Played) -> None:
    tactical = [c for c in _conflicts(played, "coalition") if c.kind is ConflictKind.TACTICAL]
    pairs = {(c.mine.track, c.other.track) for c in tactical if c.mine and c.other}
    assert ("viper-1", "falcon-2") in pairs and len(pairs) >= 2


def test_faster_the_story_keeps_its_shape(tmp_path: Path) -> None:
    p = play(tmp_path, 8.0, 330.0)
    pace = p.loaded.story.pace
    assert [at for at, _ in p.fired] == [b.at_s for b in p.loaded.story.beats]
    assert pace.instant(300) == START + timedelta(seconds=37.5)
    # aircraft report eight times their speed, so the line predicts where they are drawn next
    tracks = service.list_tracks(p.line, p.loaded.members["coalition"], TrackFilter()).items
    assert {t.gs_mps for t in tracks if t.uid.startswith("viper")} == {220.0 * 8}
    events = service.events_for(p.line, p.loaded.members["coalition"], 0).events
    assert any(e["kind"] == "escalation.raised" for e in events)
    breaches = [c for c in _conflicts(p, "coalition") if c.agreement is not None]
    assert {c.mine.track for c in breaches if c.mine is not None} == {"viper-4"}
    stopped = [c for c in _conflicts(p, "un-ocha") if c.reason == "stopped"]
    assert [c.status.value for c in stopped] == ["open"]
