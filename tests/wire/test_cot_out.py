"""The line's views as CoT, built from what the service really serves (never hand-typed dicts):
a track comes back as the same report, a notice as drawings a TAK client draws and deletes, a
conflict as an alert that tells no more than its JSON view, a message as a GeoChat whose reply
lands on its thread; and every event survives TAK Protocol v1."""

from __future__ import annotations

import dataclasses
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deconfliction import service
from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.domain import MessageDraft, MessageKind, Role
from deconfliction.domain.labels import thread_scope
from deconfliction.service import Line, TrackFilter
from deconfliction.store import open_store
from deconfliction.wire import (
    conflict_feature,
    conflict_json,
    message_json,
    notice_json,
    thread_json,
    track_json,
)
from deconfliction.wire.cot import (
    ProtobufStream,
    XmlStream,
    chat_event,
    chat_message,
    conflict_event,
    encode_stream,
    notice_events,
    notice_source,
    notice_uid,
    parse_event,
    parse_protobuf,
    to_protobuf,
    track_event,
    track_report,
)
from deconfliction.wire.kml import notices_kml
from tests.wire.cot_samples import ATAK_POSITION, CIRCLE, GEOCHAT_ALL, POLYGON, WINTAK_AIR

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class World:
    def __init__(self, line: Line) -> None:
        self.line = line
        self.members = {}
        for slug in ("blue", "red", "aid"):
            service.create_party(line, slug, slug.title())
            token = service.create_member(line, slug, Role.COORDINATOR)[1]
            self.members[slug] = service.authenticate(line, token)

    def notice(self, who: str, body: dict[str, Any]) -> Any:
        return service.create_notice(self.line, self.members[who], draft_from(NoticeIn(**body)))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = open_store(f"sqlite:///{tmp_path / 'line.db'}")
    yield World(Line(store=store, clock=lambda: NOW))
    store.close()


def square(lon: float, lat: float, d: float = 0.1) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


WINDOW = {"start": "2026-11-25T12:00:00Z", "end": "2026-11-25T18:00:00Z"}


def test_a_track_view_comes_back_as_the_same_report(world: World) -> None:
    report = {
        "uid": "hawk-1",
        "domain": "air",
        "lat": 35.331234,
        "lon": 40.140123,
        "alt_m": 1523.4,
        "gs_mps": 61.7,
        "trk_deg": 271.5,
        "vs_mps": 0.0,
        "time": "2026-11-25T11:59:58.250Z",
        "callsign": "HAWK 1",
        "stale_s": 45.0,
    }
    assert not service.report_tracks(world.line, world.members["blue"], [report]).rejected
    (track,) = service.list_tracks(world.line, world.members["blue"], TrackFilter()).items
    view = track_json(track)
    back = track_report(parse_event(track_event(view)))
    assert back is not None
    assert back["uid"] == "blue.hawk-1" and back["domain"] == "air"
    for key in ("lat", "lon", "alt_m", "gs_mps", "trk_deg", "stale_s"):
        assert math.isclose(back[key], report[key], abs_tol=1e-6), key
    assert back["time"] == "2026-11-25T11:59:58.250000Z" and back["callsign"] == "HAWK 1"
    ground = {**report, "uid": "truck", "domain": "ground", "alt_m": None}
    service.report_tracks(world.line, world.members["blue"], [ground])
    tracks = service.list_tracks(world.line, world.members["blue"], TrackFilter()).items
    truck = track_json(next(t for t in tracks if t.uid == "truck"))
    event = parse_event(track_event(truck, stale_s=10))
    assert event.type == "a-n-G" and event.hae_m is None
    assert event.stale - event.time == timedelta(seconds=10)


def test_a_notice_is_one_drawing_per_volume_then_deleted(world: World) -> None:
    body = {
        "kind": "site",
        "title": "MSF <hospital> & clinic",
        "protected": True,
        "audience": "all",
        "volumes": [
            {
                "footprint": square(40.1, 35.3),
                "time": WINDOW,
                "altitude": {"lower_m": 0, "upper_m": 3000},
            },
            {
                "footprint": {"type": "Point", "coordinates": [40.5, 35.5]},
                "radius_m": 2000,
                "time": WINDOW,
            },
            {
                "footprint": {"type": "LineString", "coordinates": [[40.0, 35.0], [40.2, 35.1]]},
                "half_width_m": 300,
                "time": WINDOW,
            },
        ],
    }
    notice = world.notice("aid", body).notice
    view = notice_json(notice)
    events = [parse_event(e) for e in notice_events(view)]
    assert [e.type for e in events] == ["u-d-f", "u-d-c-c", "u-d-f"]
    assert [e.uid for e in events] == [notice_uid(notice.id, i) for i in range(3)]
    poly, circle, corridor = events
    assert poly.detail.closed and len(poly.detail.vertices) == 5
    assert poly.callsign == "MSF <hospital> & clinic"
    assert poly.start == NOW and poly.stale == datetime(2026, 11, 25, 18, tzinfo=UTC)
    assert "PROTECTED" in (poly.detail.remarks or "") and "3000 m" in (poly.detail.remarks or "")
    assert circle.detail.ellipse is not None and circle.detail.ellipse.major_m == 2000.0
    assert (circle.lat, circle.lon) == (35.5, 40.5)
    assert corridor.detail.closed and len(corridor.detail.vertices) > 4
    # the line's own drawings are never read back as a party's notice (no loop)
    assert all(notice_source(e) is None for e in events)
    fewer = notice_events(view | {"volumes": view["volumes"][:1]}, previous_volumes=3)
    assert [parse_event(e).type for e in fewer] == ["u-d-f", "t-x-d-d", "t-x-d-d"]
    withdrawn = service.withdraw_notice(world.line, world.members["aid"], notice.id, None)
    deletes = [parse_event(e) for e in notice_events(notice_json(withdrawn))]
    assert [e.type for e in deletes] == ["t-x-d-d"] * 3
    assert (
        b'<link uid="' + notice_uid(notice.id, 0).encode()
        in notice_events(notice_json(withdrawn))[0]
    )


def test_text_stored_before_the_rule_cannot_break_an_export(world: World) -> None:
    body = {"kind": "site", "title": "Gate", "volumes": [{"footprint": square(40.1, 35.3),
                                                          "time": WINDOW}]}  # fmt: skip
    stored = world.notice("aid", body).notice
    # a title stored before noncharacters, surrogates and controls were refused
    odd = dataclasses.replace(stored, title="Gate \uffff\ufffe\x01\ud800 7")
    (drawing,) = notice_events(notice_json(odd))
    assert parse_event(drawing).callsign == "Gate \ufffd\ufffd\ufffd\ufffd 7"
    kml = ET.fromstring(notices_kml([odd]))
    assert "Gate \ufffd\ufffd\ufffd\ufffd 7" in "".join(kml.itertext())


def _conflict(world: World, audience: str | list[str]) -> tuple[Any, Any]:
    world.notice(
        "red",
        {
            "kind": "operation",
            "title": "Red secret op",
            "audience": audience,
            "volumes": [{"footprint": square(40.1, 35.3), "time": WINDOW}],
        },
    )
    result = world.notice(
        "blue",
        {
            "kind": "operation",
            "title": "Blue op",
            "volumes": [{"footprint": square(40.15, 35.35), "time": WINDOW}],
        },
    )
    (view,) = result.conflicts
    places = service.conflict_places(world.line, world.members["blue"], [view])[0]
    return view, conflict_feature(view, places)


def test_a_redacted_conflict_alert_tells_no_more_than_its_json(world: World) -> None:
    view, feature = _conflict(world, [])
    assert view.redacted
    data = conflict_event(feature)
    event = parse_event(data)
    assert event.type in ("b-a-o-pan", "b-a-g") and event.uid == f"dl-conflict.{view.id}"
    assert b"Red secret op" not in data and b"40.1," not in data
    other_notice = view.other.notice if view.other else None
    assert other_notice is None
    shown = conflict_json(view)
    assert (view.severity.value.upper() + ":").encode() in data and "red" in (event.callsign or "")
    # placed on the party's own volume only: within its square, never on the hidden one's
    assert 35.35 <= event.lat <= 35.45 and 40.15 <= event.lon <= 40.25
    assert shown["redacted"] is True


def test_a_shared_conflict_alert_is_pinned_and_cancelled_when_over(world: World) -> None:
    view, feature = _conflict(world, "all")
    event = parse_event(conflict_event(feature))
    assert "overlap" in (event.detail.remarks or "")
    over = feature | {"properties": feature["properties"] | {"status": "resolved"}}
    cancel = parse_event(conflict_event(over))
    assert cancel.type == "b-a-o-can" and cancel.stale == cancel.time
    nowhere = parse_event(conflict_event(conflict_json(view)))
    assert (nowhere.lat, nowhere.lon, nowhere.ce_m) == (0.0, 0.0, None)


def test_a_message_is_a_geochat_whose_reply_lands_on_its_thread(world: World) -> None:
    blue, red = world.members["blue"], world.members["red"]
    thread = service.open_thread(world.line, blue, ["red"], "Vacate <grid> 38S & keep clear")
    draft = MessageDraft(kind=MessageKind.NOTE, text='Please confirm "by" 0600Z\nover')
    message = service.post_message(world.line, blue, thread.id, draft)
    name = world.line.labels.naming(thread_scope(thread.id), red.party)
    data = chat_event(
        thread_json(thread, name), message_json(message, NOW, name), to_uid="ANDROID-red-1"
    )
    event = parse_event(data)
    chat = event.detail.chat
    assert event.type == "b-t-f" and chat is not None
    assert chat.chatroom == "Vacate <grid> 38S & keep clear" and chat.chat_id == thread.id
    assert chat.text == 'Please confirm "by" 0600Z\nover'
    assert b'<dest uid="ANDROID-red-1"/>' in data
    reply = data.replace(b"Please confirm", b"Wilco").replace(message.id.encode(), b"m-2")
    got = chat_message(parse_event(reply))
    assert got is not None and got.thread_id == thread.id and got.text.startswith("Wilco")


@pytest.mark.parametrize("xml", [ATAK_POSITION, WINTAK_AIR, GEOCHAT_ALL, POLYGON, CIRCLE])
def test_every_event_survives_tak_protocol_v1(xml: bytes) -> None:
    payload = to_protobuf(xml)
    assert parse_protobuf(payload) == parse_event(xml)
    stream = ProtobufStream()
    assert stream.feed(encode_stream(payload) * 3) == [payload] * 3


def test_a_protobuf_with_hostile_xml_detail_is_refused() -> None:
    from takproto.proto import TakMessage

    from deconfliction.errors import InvalidInput

    message = TakMessage.FromString(to_protobuf(ATAK_POSITION))
    message.cotEvent.detail.xmlDetail = '<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]>'
    with pytest.raises(InvalidInput):
        parse_protobuf(message.SerializeToString())
    message.cotEvent.detail.xmlDetail = "</detail><evil/><detail>"
    with pytest.raises(InvalidInput):
        parse_protobuf(message.SerializeToString())
    message.cotEvent.lat = float("nan")
    message.cotEvent.detail.xmlDetail = ""
    with pytest.raises(InvalidInput) as e:
        parse_protobuf(message.SerializeToString())
    assert e.value.pointer == "event/point/@lat"
    with pytest.raises(InvalidInput):
        parse_protobuf(b"\xff\xff\xff garbage")


def test_out_events_frame_back_through_the_xml_stream(world: World) -> None:
    view, feature = _conflict(world, "all")
    events = [
        conflict_event(feature),
        *notice_events(
            notice_json(service.get_notice(world.line, world.members["blue"], view.mine.notice))
        ),
    ]
    assert XmlStream().feed(b"".join(events)) == events


@pytest.mark.parametrize(
    ("geometry", "where"),
    [
        ({"type": "Point", "coordinates": [40.0, 35.0, 100.0]}, (35.0, 40.0)),
        ({"type": "MultiPoint", "coordinates": [[40.0, 35.0], [40.2, 35.2]]}, (35.1, 40.1)),
        (square(40.0, 35.0), (35.05, 40.05)),
        (
            {"type": "MultiPolygon", "coordinates": [square(40.0, 35.0)["coordinates"]]},
            (35.05, 40.05),
        ),
        ({"type": "GeometryCollection", "geometries": [square(40.0, 35.0)]}, (35.05, 40.05)),
    ],
)
def test_an_alert_is_pinned_on_any_geometry_a_conflict_feature_has(
    world: World, geometry: dict[str, Any], where: tuple[float, float]
) -> None:
    view, _ = _conflict(world, "all")
    event = parse_event(conflict_event(conflict_json(view), geometry=geometry))
    assert math.isclose(event.lat, where[0]) and math.isclose(event.lon, where[1])
