"""The demo's story: timed beats in which the parties talk and move, played on the line's clock.

Each beat is due at an offset in scenario seconds (``Pace``) and fires once, in order, through
the same use cases a coordinator's request reaches; between beats the scripted assets report.
After the last beat the story rests: nothing more is said, the assets keep to their last routes
(the stopped convoy stays stopped) and the line's own duties go on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from deconfliction import service
from deconfliction.bus import Periodic
from deconfliction.demo.feed import Feed, Pace
from deconfliction.domain import Member, MessageDraft, NoticeDraft
from deconfliction.service import Line

__all__ = [
    "Acknowledge",
    "Action",
    "Advanced",
    "Answer",
    "Ask",
    "Beat",
    "Revise",
    "Route",
    "Stop",
    "Story",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Acknowledge:
    """``party`` acknowledges the current version of the scenario's ``notice`` (its index)."""

    party: str
    notice: int


@dataclass(frozen=True)
class Ask:
    """``party`` opens a thread with ``draft.to`` on ``subject`` and sends the request
    ``draft``; ``name`` is how a later ``Answer`` refers to it."""

    name: str
    party: str
    subject: str
    draft: MessageDraft


@dataclass(frozen=True)
class Answer:
    """``party`` replies ``draft`` (its ``in_reply_to`` filled in) to the request named ``ask``."""

    ask: str
    party: str
    draft: MessageDraft


@dataclass(frozen=True)
class Revise:
    """``party`` replaces the scenario's ``notice`` (its index) with ``draft``: a new version."""

    party: str
    notice: int
    draft: NoticeDraft


@dataclass(frozen=True)
class Route:
    """Asset ``uid`` leaves its route for ``route``: from where it is to the first point, then
    along it, over and over."""

    uid: str
    route: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Stop:
    """Asset ``uid`` stops where it is, and stays stopped."""

    uid: str


Action = Acknowledge | Ask | Answer | Revise | Route | Stop


@dataclass(frozen=True)
class Beat:
    """What happens ``at_s`` scenario seconds after the start; ``say`` tells a newcomer what to
    watch for. A beat with no actions only points at what the line itself does then."""

    at_s: float
    say: str
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Advanced:
    """What one step of the story did: the beats it fired and the reports the line accepted."""

    fired: list[Beat]
    reported: int


@dataclass
class _Said:
    thread: str
    request: str


@dataclass
class Story:
    """The beats, the assets (``feed``) and what the beats fired so far said on the line."""

    line: Line
    members: Mapping[str, Member]
    feed: Feed
    beats: Sequence[Beat]
    notice_ids: Sequence[str]
    fired: int = 0
    said: dict[str, _Said] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.beats = sorted(self.beats, key=lambda b: b.at_s)

    @property
    def pace(self) -> Pace:
        return self.feed.pace

    def when(self, beat: Beat) -> datetime:
        """The line's instant at which ``beat`` is due."""
        return self.pace.instant(beat.at_s)

    def advance(self, now: datetime) -> Advanced:
        """Fire every beat due by ``now`` not yet fired, in order, then report every asset."""
        elapsed = self.pace.elapsed_s(now)
        fired = []
        while self.fired < len(self.beats) and self.beats[self.fired].at_s <= elapsed:
            beat = self.beats[self.fired]
            self.fired += 1  # once, even when an action fails (the log says which)
            for action in beat.actions:
                try:
                    self._do(action, beat.at_s)
                except Exception:
                    _log.exception("the story's beat at +%gs failed: %s", beat.at_s, action)
            fired.append(beat)
        return Advanced(fired, self.feed.report_at(now))

    def step(self) -> Advanced:
        """Advance to the line's clock now."""
        return self.advance(self.line.clock())

    def playing(self, interval_s: float = 2.0) -> Periodic:
        """A thread (not started) that steps the story every ``interval_s`` seconds."""
        return Periodic(interval_s, self.step, "demo-story")

    @property
    def over(self) -> bool:
        """Whether every beat has fired (the story rests)."""
        return self.fired >= len(self.beats)

    def _do(self, action: Action, at_s: float) -> None:
        line = self.line
        if isinstance(action, Acknowledge):
            service.acknowledge(line, self.members[action.party], self.notice_ids[action.notice])
        elif isinstance(action, Ask):
            member = self.members[action.party]
            assert action.draft.to is not None
            thread = service.open_thread(line, member, [action.draft.to], action.subject)
            request = service.post_message(line, member, thread.id, action.draft)
            self.said[action.name] = _Said(thread.id, request.id)
        elif isinstance(action, Answer):
            said = self.said[action.ask]
            draft = replace(action.draft, in_reply_to=said.request)
            service.post_message(line, self.members[action.party], said.thread, draft)
        elif isinstance(action, Revise):
            member, notice_id = self.members[action.party], self.notice_ids[action.notice]
            version = service.get_notice(line, member, notice_id).version
            service.update_notice(line, member, notice_id, action.draft, version)
        elif isinstance(action, Route):
            assets = self.feed.assets
            assets[action.uid] = assets[action.uid].rerouted(action.route, at_s)
        else:
            assets = self.feed.assets
            assets[action.uid] = assets[action.uid].stopped(at_s)
