"""What CoT events mean to the line: positions become track reports the service accepts,
drawings marked for the line become notice bodies the API accepts, GeoChat replies become
messages on threads; everything else means nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deconfliction.api.convert import draft_from
from deconfliction.api.schemas import NoticeIn
from deconfliction.domain import FootprintKind, NoticeKind, TrackDomain
from deconfliction.errors import InvalidInput
from deconfliction.service.tracks.reports import read_report
from deconfliction.wire.cot import (
    DEFAULT_HALF_WIDTH_M,
    ChatIn,
    chat_message,
    notice_source,
    parse_event,
    track_report,
)
from tests.wire.cot_samples import (
    ATAK_POSITION,
    CIRCLE,
    GEOCHAT_ALL,
    POLYGON,
    POLYLINE,
    RECTANGLE,
    SQUARE,
    WINTAK_AIR,
    drawing,
    geochat_reply,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MARK = '<__deconfliction kind="site" start="2026-11-25T12:00:00Z" end="2026-11-26T12:00:00Z" '


def test_an_atak_position_is_a_ground_report_the_service_accepts() -> None:
    report = track_report(parse_event(ATAK_POSITION))
    assert report is not None
    r = read_report(report, 0, NOW)
    assert (r.uid, r.domain, r.callsign) == (
        "ANDROID-589520ccfcd20f01",
        TrackDomain.GROUND,
        "VIPER 1-1",
    )
    assert (r.lat, r.lon, r.alt_m, r.gs_mps, r.trk_deg, r.vs_mps) == (
        35.3312,
        40.1401,
        212.6,
        4.25,
        271.5,
        0.0,
    )
    assert r.time == datetime(2026, 11, 25, 11, 59, 30, tzinfo=UTC) and r.stale_s == 360.0


def test_an_air_position_is_an_air_report() -> None:
    report = track_report(parse_event(WINTAK_AIR))
    assert report is not None and report["domain"] == "air" and report["alt_m"] == 650.5
    assert read_report(report, 0, NOW).gs_mps == 61.7


@pytest.mark.parametrize(
    ("type_", "domain"),
    [
        ("a-h-S-X-M", "sea"),
        ("a-n-G", "ground"),
        ("a-u-A-C-F", "air"),
        ("a-f-U", None),
        ("a-f-P", None),
        ("a-f", None),
        ("b-t-f", None),
        ("t-x-c-t", None),
        ("u-d-f", None),
    ],
)
def test_the_third_atom_gives_the_domain(type_: str, domain: str | None) -> None:
    e = parse_event(ATAK_POSITION.replace(b"a-f-G-U-C", type_.encode()))
    report = track_report(e)
    assert (report and report["domain"]) == domain


def test_a_surface_position_without_height_has_no_alt_but_an_air_one_is_refused() -> None:
    ground = parse_event(ATAK_POSITION.replace(b"hae='212.6'", b"hae='9999999.0'"))
    report = track_report(ground)
    assert report is not None and "alt_m" not in report
    read_report(report, 0, NOW)
    air = track_report(parse_event(WINTAK_AIR.replace(b'hae="650.5"', b'hae="9999999"')))
    with pytest.raises(InvalidInput) as e:
        read_report(air, 0, NOW)
    assert e.value.pointer == "/0/alt_m"


def _notice(body: dict[str, object]) -> object:
    return draft_from(NoticeIn.model_validate(body))


def test_unmarked_drawings_never_reach_the_line() -> None:
    for data in (POLYGON, POLYLINE, RECTANGLE, CIRCLE):
        assert notice_source(parse_event(data)) is None


def test_a_marked_closed_polygon_is_a_site_notice() -> None:
    extra = (
        MARK + 'lower="0" upper="3000" audience="red,aid" protected="true" title="MSF hospital"/>'
    )
    body = notice_source(parse_event(drawing("u-d-f", [*SQUARE, SQUARE[0]], extra)))
    assert body is not None
    draft = draft_from(NoticeIn.model_validate(body))
    assert draft.kind is NoticeKind.SITE and draft.protected and draft.title == "MSF hospital"
    assert draft.audience.parties == frozenset({"red", "aid"})
    (v,) = draft.volumes
    assert v.footprint.kind is FootprintKind.POLYGON
    assert (v.altitude.lower_m, v.altitude.upper_m) == (0.0, 3000.0)
    assert v.time.start == NOW and (v.time.end - v.time.start).days == 1


def test_a_rectangle_circle_and_open_line_by_the_naming_rule() -> None:
    rect = notice_source(parse_event(drawing("u-d-r", SQUARE, cs="DL: OBJ GOLD")))
    assert rect is not None and rect["kind"] == "operation" and rect["title"] == "OBJ GOLD"
    assert rect["audience"] == []
    (v,) = draft_from(NoticeIn.model_validate(rect)).volumes
    assert v.footprint.kind is FootprintKind.POLYGON
    assert v.time.start == datetime(2026, 11, 25, 11, 59, 30, tzinfo=UTC)
    assert v.time.end == datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    circle = notice_source(parse_event(CIRCLE.replace(b'callsign="OBJ"', b'callsign="DL:ring"')))
    assert circle is not None
    (c,) = draft_from(NoticeIn.model_validate(circle)).volumes
    assert c.footprint.kind is FootprintKind.CIRCLE and c.footprint.radius_m == 2500.0
    line = notice_source(parse_event(POLYLINE.replace(b'callsign="OBJ"', b'callsign="DL:MSR"')))
    assert line is not None
    (ln,) = draft_from(NoticeIn.model_validate(line)).volumes
    assert ln.footprint.kind is FootprintKind.CORRIDOR
    assert ln.footprint.radius_m == DEFAULT_HALF_WIDTH_M


@pytest.mark.parametrize(
    ("extra", "pointer"),
    [
        ('<__deconfliction kind="strike"/>', "event/detail/__deconfliction/@kind"),
        ('<__deconfliction colour="red"/>', "event/detail/__deconfliction/@colour"),
        ('<__deconfliction audience="Red Team"/>', "event/detail/__deconfliction/@audience"),
        ('<__deconfliction protected="yes"/>', "event/detail/__deconfliction/@protected"),
        ('<__deconfliction upper="1e999"/>', "event/detail/__deconfliction/@upper"),
        ('<__deconfliction start="soon"/>', "event/detail/__deconfliction/@start"),
    ],
)
def test_a_bad_marking_is_refused_by_name(extra: str, pointer: str) -> None:
    with pytest.raises(InvalidInput) as e:
        notice_source(parse_event(drawing("u-d-r", SQUARE, extra)))
    assert e.value.pointer == pointer


def test_a_marked_area_of_two_points_is_refused() -> None:
    with pytest.raises(InvalidInput) as e:
        notice_source(parse_event(drawing("u-d-r", SQUARE[:2], cs="DL:x")))
    assert e.value.pointer == "event/detail/link"


def test_a_geochat_reply_in_a_line_room_is_a_message_on_its_thread() -> None:
    thread = "0193a5b2-7c1d-7e3f-8a9b-0c1d2e3f4a5b"
    got = chat_message(
        parse_event(geochat_reply("Vacate grid 38S", thread, "Wilco, clear by 0600"))
    )
    assert got == ChatIn(thread, "Wilco, clear by 0600", "VIPER 1-1", "m-77")


def test_chats_elsewhere_are_not_the_lines() -> None:
    assert chat_message(parse_event(GEOCHAT_ALL)) is None
    assert chat_message(parse_event(ATAK_POSITION)) is None
    assert chat_message(parse_event(geochat_reply("x", "All Chat Rooms", "hi"))) is None


def test_the_heights_linear_error_le_is_its_uncertainty() -> None:
    # WinTAK's helicopter says its height is good to 20 m: detection widens it by that much
    report = track_report(parse_event(WINTAK_AIR))
    assert report is not None and read_report(report, 0, NOW).alt_unc_m == 20.0
    # ATAK's le of 9999999 is unknown: the height as reported
    report = track_report(parse_event(ATAK_POSITION))
    assert report is not None and read_report(report, 0, NOW).alt_unc_m == 0.0
    # an le past 5 km says the height is all but unknown: a ground track goes without it (every
    # band), an air track, which must have one, is widened by the most a report may give
    vague = ATAK_POSITION.replace(b"le='9999999.0'", b"le='80000'")
    report = track_report(parse_event(vague))
    assert report is not None and read_report(report, 0, NOW).alt_m is None
    report = track_report(parse_event(WINTAK_AIR.replace(b'le="20"', b'le="80000"')))
    assert report is not None and read_report(report, 0, NOW).alt_unc_m == 5000.0
