"""The seed scenario read onto a line: parties, notices, a thread, receipts, assets and the story.

The scenario file speaks the API's own notice and message formats, so it goes through the same
conversion and the same use cases as a coordinator's POST. Notices' times are hours from the top
of the hour; the story's count scenario seconds from the load (``demo.feed.Pace``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from deconfliction import service
from deconfliction.demo.feed import Feed, Pace, assets_from
from deconfliction.demo.story import (
    Acknowledge,
    Action,
    Answer,
    Ask,
    Beat,
    Revise,
    Route,
    Stop,
    Story,
)
from deconfliction.detect.conformance import Conformance
from deconfliction.domain import Member, MessageDraft, NoticeDraft, Role
from deconfliction.domain.limits import MAX_GS_MPS

__all__ = ["Loaded", "load_scenario", "read_scenario", "top_speed"]


def read_scenario() -> dict[str, Any]:
    """The scenario file, parsed."""
    text = resources.files("deconfliction.demo").joinpath("scenario.json").read_text()
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def top_speed(scenario: Mapping[str, Any]) -> tuple[float, str, float]:
    """The fastest ``--speed`` the line accepts the scenario's reports at, the callsign of the
    asset that sets it and that asset's own speed (reports give ground speed times ``--speed``,
    and the line refuses more than ``MAX_GS_MPS``)."""
    fastest = max(scenario["tracks"], key=lambda t: float(t["speed_mps"]))
    mps = float(fastest["speed_mps"])
    return MAX_GS_MPS / mps, str(fastest.get("callsign", fastest["uid"])), mps


@dataclass(frozen=True)
class Loaded:
    """What the scenario put on the line: a coordinator (and token) per party, its assets, its
    story (not yet played) and the scan settings the demo's line runs with."""

    tokens: dict[str, str]
    members: dict[str, Member]
    feed: Feed
    notice_ids: list[str]
    story: Story
    scan: service.ScanSettings


class _Times:
    """The scenario's two kinds of time on the line's clock."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self.base = pace.start.replace(minute=0, second=0, microsecond=0)

    def volume(self, volume: Mapping[str, Any]) -> dict[str, Any]:
        """A volume in the API's format: ``start_h``/``end_h`` from the top of the hour, or
        ``start_s``/``end_s`` scenario seconds from the load."""
        t = volume["time"]
        if "start_s" in t:
            start, end = self.pace.instant(t["start_s"]), self.pace.instant(t["end_s"])
        else:
            start = self.base + timedelta(hours=t["start_h"])
            end = self.base + timedelta(hours=t["end_h"])
        return {**volume, "time": {"start": start.isoformat(), "end": end.isoformat()}}

    def notice(self, n: Mapping[str, Any]) -> NoticeDraft:
        body = {k: v for k, v in n.items() if k not in ("party", "ack_by_s")}
        body["volumes"] = [self.volume(v) for v in n["volumes"]]
        if "ack_by_s" in n:
            body["ack_by"] = self.pace.instant(n["ack_by_s"]).isoformat()
        from deconfliction.api.convert import draft_from  # the web layer only when a story plays
        from deconfliction.api.schemas import NoticeIn

        return draft_from(NoticeIn.model_validate(body))

    def request(self, ask: Mapping[str, Any], notice_ids: list[str], now: datetime) -> MessageDraft:
        """A request of a thread (``deadline_min`` from now) or of a beat (``deadline_s``)."""
        body: dict[str, Any] = {"kind": "request", "request": ask["request"], "to": ask["to"]}
        body["text"] = ask["text"]
        if "volume" in ask:
            body["volume"] = self.volume(ask["volume"])
        body["notices"] = [notice_ids[i] for i in ask.get("notices", ())]
        if "deadline_s" in ask:
            body["deadline"] = self.pace.instant(ask["deadline_s"]).isoformat()
        else:
            body["deadline"] = (now + timedelta(minutes=ask["deadline_min"])).isoformat()
        return _message(body)


def _reply(r: Mapping[str, Any]) -> MessageDraft:
    body = {"kind": "reply", **{k: v for k, v in r.items() if k in ("reply", "text", "reason")}}
    return _message(body)


def _message(body: dict[str, Any]) -> MessageDraft:
    """A message as the API would take it. The web layer is imported here, when a story plays,
    so that every other command starts without FastAPI (~0.2-0.5 s)."""
    from deconfliction.api.conversation import MessageIn, draft_of

    return draft_of(MessageIn.model_validate(body))


def _action(kind: str, a: Mapping[str, Any], times: _Times, notice_ids: list[str]) -> Action:
    if kind == "acknowledge":
        return Acknowledge(a["party"], a["notice"])
    if kind == "ask":
        draft = times.request(a, notice_ids, times.pace.start)
        return Ask(a["name"], a["from"], a["subject"], draft)
    if kind == "answer":
        return Answer(a["ask"], a["party"], _reply(a))
    if kind == "revise":
        return Revise(a["party"], a["notice"], times.notice(a["body"]))
    if kind == "route":
        return Route(a["asset"], tuple((float(x), float(y)) for x, y in a["route"]))
    if kind == "stop":
        return Stop(a["asset"])
    raise ValueError(f"the scenario's story has no action {kind!r}")


def _beats(story: Mapping[str, Any], times: _Times, notice_ids: list[str]) -> list[Beat]:
    out = []
    for b in story.get("beats", []):
        actions = tuple(
            _action(kind, args, times, notice_ids)
            for step in b.get("do", [])
            for kind, args in step.items()
        )
        out.append(Beat(float(b["at_s"]), b["say"], actions))
    return out


def load_scenario(line: service.Line, speed: float = 1.0) -> Loaded:
    """Load the scenario's parties, notices, thread and receipts into ``line``, report its
    assets once, and ready its story to play ``speed`` times as fast as written."""
    scenario = read_scenario()
    now = line.clock()
    times = _Times(Pace(now, speed))
    tokens: dict[str, str] = {}
    members = {}
    for p in scenario["parties"]:
        service.create_party(line, p["slug"], p["name"])
        member, tokens[p["slug"]] = service.create_member(line, p["slug"], Role.COORDINATOR, "demo")
        members[p["slug"]] = member
    notice_ids = []
    for n in scenario["notices"]:
        made = service.create_notice(line, members[n["party"]], times.notice(n))
        notice_ids.append(made.notice.id)
    for t in scenario.get("threads", []):
        _converse(line, members, t, times.request(t["request"], notice_ids, now))
    for a in scenario.get("acknowledgements", []):
        _acknowledge(line, members[a["party"]], notice_ids[a["notice"]], a["signed"])
    for a in scenario.get("conflicts_acknowledged", []):
        member = members[a["party"]]
        for c in service.list_conflicts(line, member, live_only=True, limit=1000).items:
            if c.mine is not None and c.mine.notice == notice_ids[a["notice"]]:
                service.acknowledge_conflict(line, member, c.id)
    feed = Feed(line, assets_from(scenario["tracks"], notice_ids), members, pace=times.pace)
    feed.report_once()
    told = scenario.get("story", {})
    story = Story(line, members, feed, _beats(told, times, notice_ids), notice_ids)
    stopped_after_s = float(told.get("stopped_after_s", Conformance().stopped_after_s))
    conformance = replace(Conformance(), stopped_after_s=stopped_after_s / speed)
    scan = service.ScanSettings(conformance=conformance)
    return Loaded(tokens, members, feed, notice_ids, story, scan)


def _acknowledge(line: service.Line, member: Member, notice_id: str, signed: bool) -> None:
    """A party acknowledges version 1 of a notice; signed, with a member key made for the demo
    and registered first (a real member keeps its key in ``deconfliction key new``'s file)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from deconfliction.record import statement

    signature = None
    if signed:
        key = Ed25519PrivateKey.generate()
        service.register_key(
            line, member, base64.b64encode(key.public_key().public_bytes_raw()).decode()
        )
        said = statement.ack_notice(line.origin, notice_id, 1)
        signature = base64.b64encode(key.sign(said)).decode()
    service.acknowledge(line, member, notice_id, 1, signature)


def _converse(
    line: service.Line, members: dict[str, Member], t: Mapping[str, Any], request: MessageDraft
) -> None:
    """A thread of the scenario: a request and its reply (an accepted one is an agreement)."""
    ask = t["request"]
    thread = service.open_thread(line, members[ask["from"]], [ask["to"]], t["subject"])
    sent = service.post_message(line, members[ask["from"]], thread.id, request)
    reply = replace(_reply(t["reply"]), in_reply_to=sent.id)
    service.post_message(line, members[ask["to"]], thread.id, reply)
