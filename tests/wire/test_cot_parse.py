"""Reading CoT events: what TAK clients send is read whole; what an adversary sends is refused,
naming the element or attribute, without reading a file or expanding an entity."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.errors import InvalidInput
from deconfliction.wire.cot import MAX_EVENT_BYTES, parse_event
from tests.wire.cot_samples import (
    ATAK_POSITION,
    CIRCLE,
    GEOCHAT_ALL,
    POLYGON,
    POLYLINE,
    RECTANGLE,
    SQUARE,
    WINTAK_AIR,
    T,
)

STALE = "2026-11-25T12:05:30Z"


def event(
    point: str = 'lat="35" lon="40" hae="100"', attrs: str | None = None, detail: str = ""
) -> bytes:
    if attrs is None:
        attrs = f'uid="u-1" type="a-f-G" how="m-g" time="{T}" start="{T}" stale="{STALE}"'
    return f"<event {attrs}><point {point}/><detail>{detail}</detail></event>".encode()


def refused(data: bytes, pointer: str, words: str = "") -> InvalidInput:
    with pytest.raises(InvalidInput) as e:
        parse_event(data)
    assert e.value.pointer == pointer, str(e.value)
    assert words in e.value.reason
    return e.value


def test_an_atak_position_is_read_whole() -> None:
    e = parse_event(ATAK_POSITION)
    assert e.uid == "ANDROID-589520ccfcd20f01" and e.type == "a-f-G-U-C" and e.how == "m-g"
    assert e.time == datetime(2026, 11, 25, 11, 59, 30, tzinfo=UTC)
    assert e.stale == datetime(2026, 11, 25, 12, 5, 30, tzinfo=UTC)
    assert (e.lat, e.lon, e.hae_m, e.ce_m, e.le_m) == (35.3312, 40.1401, 212.6, 4.9, None)
    assert (e.callsign, e.course_deg, e.speed_mps) == ("VIPER 1-1", 271.5, 4.25)
    assert e.detail.group == "Cyan"


def test_an_air_position_keeps_its_height() -> None:
    e = parse_event(WINTAK_AIR)
    assert (e.hae_m, e.ce_m, e.le_m, e.speed_mps) == (650.5, 12.0, 20.0, 61.7)


def test_a_geochat_from_atak_is_read() -> None:
    chat = parse_event(GEOCHAT_ALL).detail.chat
    assert chat is not None
    assert (chat.chatroom, chat.chat_id, chat.sender_callsign) == (
        "All Chat Rooms",
        "All Chat Rooms",
        "VIPER 1-1",
    )
    assert chat.sender_uid == "ANDROID-589520ccfcd20f01"
    assert chat.text == "radio\n check" and chat.message_id == "5f2b7a6c-3e1d"


@pytest.mark.parametrize(
    ("data", "closed", "n"), [(POLYGON, True, 5), (POLYLINE, False, 3), (RECTANGLE, False, 4)]
)
def test_drawings_keep_their_vertices_in_order(data: bytes, closed: bool, n: int) -> None:
    d = parse_event(data).detail
    assert d.closed is closed and len(d.vertices) == n
    assert d.vertices[0] == SQUARE[0] or d.vertices[0] == (35.30, 40.10)


def test_a_circle_keeps_its_ellipse() -> None:
    ellipse = parse_event(CIRCLE).detail.ellipse
    assert ellipse is not None and (ellipse.major_m, ellipse.minor_m) == (2500.0, 2500.0)


def test_unknown_heights_and_errors_are_none() -> None:
    e = parse_event(event('lat="1" lon="2" hae="9999999.0" ce="999999" le="nan"'))
    assert (e.hae_m, e.ce_m, e.le_m) == (None, None, None)


def test_a_time_without_zone_is_utc_as_cot_writes_it() -> None:
    attrs = 'uid="u" type="a-f-G" time="2026-11-25T11:59:30" stale="2026-11-25T12:00:00.5Z"'
    e = parse_event(event(attrs=attrs))
    assert e.time == datetime(2026, 11, 25, 11, 59, 30, tzinfo=UTC) and e.start == e.time


@pytest.mark.parametrize(
    ("point", "pointer"),
    [
        ('lat="91" lon="2"', "event/point/@lat"),
        ('lat="NaN" lon="2"', "event/point/@lat"),
        ('lat="1e999" lon="2"', "event/point/@lat"),
        ('lat="1_0" lon="2"', "event/point/@lat"),
        ('lat="1" lon="-180.5"', "event/point/@lon"),
        ('lat="1" lon="inf"', "event/point/@lon"),
        ('lat="1" lon="2" hae="nan"', "event/point/@hae"),
        ('lat="1" lon="2" ce="-3"', "event/point/@ce"),
        ('lon="2"', "event/point/@lat"),
    ],
)
def test_bad_numbers_are_refused_by_name(point: str, pointer: str) -> None:
    refused(event(point), pointer)


@pytest.mark.parametrize(
    ("attrs", "pointer"),
    [
        (f'type="a-f-G" time="{T}" stale="{STALE}"', "event/@uid"),
        (f'uid="" type="a-f-G" time="{T}" stale="{STALE}"', "event/@uid"),
        (f'uid="u" time="{T}" stale="{STALE}"', "event/@type"),
        (f'uid="u" type="a f G" time="{T}" stale="{STALE}"', "event/@type"),
        (f'uid="u" type="a-f-G" stale="{STALE}"', "event/@time"),
        (f'uid="u" type="a-f-G" time="{T}"', "event/@stale"),
        (f'uid="u" type="a-f-G" time="9999-12-31T23:59:59Z" stale="{STALE}"', "event/@time"),
        (f'uid="u" type="a-f-G" time="yesterday" stale="{STALE}"', "event/@time"),
        (f'uid="u&#x202e;x" type="a-f-G" time="{T}" stale="{STALE}"', "event/@uid"),
    ],
)
def test_bad_event_attributes_are_refused_by_name(attrs: str, pointer: str) -> None:
    refused(event(attrs=attrs), pointer)


def test_a_year_9999_time_says_which_years() -> None:
    attrs = f'uid="u" type="a-f-G" time="{T}" stale="9999-01-01T00:00:00Z"'
    refused(event(attrs=attrs), "event/@stale", "between 1970")


def test_detail_fields_are_refused_by_name() -> None:
    refused(event(detail='<track course="1" speed="-4"/>'), "event/detail/track/@speed")
    refused(event(detail='<link point="95,3"/>'), "event/detail/link/@point")
    refused(event(detail='<contact callsign="a\x1bb"/>'.replace("\x1b", "&#27;")), "event")
    refused(event(detail='<contact callsign="a&#x7f;b"/>'), "event/detail/contact/@callsign")


def test_a_missing_point_or_another_root_is_refused() -> None:
    refused(f'<event uid="u" type="a" time="{T}" stale="{T}"/>'.encode(), "event/point")
    refused(b"<html><point/></html>", "event", "<html>")


def test_xxe_naming_a_local_file_is_refused_and_the_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for doc in (
        f'<!DOCTYPE event [<!ENTITY x SYSTEM "file://{secret}">]>',
        '<!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        f'<!DOCTYPE event SYSTEM "file://{secret}">',
    ):
        data = (doc + event(detail="<remarks>&x;</remarks>").decode()).encode()
        e = refused(data, "event", "refused")
        assert "TOP-SECRET" not in str(e) and "root:" not in str(e)


def test_an_xxe_in_another_encoding_still_goes_through_defusedxml() -> None:
    body = '<!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]><event/>'
    refused(body.encode("utf-16"), "event", "refused")
    prolog = b'<?xml version="1.0" encoding="cp037"?>'
    refused(prolog + body.encode("cp037"), "event")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_an_entity_in_utf16_without_a_byte_order_mark_is_refused(codec: str) -> None:
    # no BOM and no ASCII "<!" in the bytes: expat still reads UTF-16 and its DTD
    dtd = '<!DOCTYPE event [<!ENTITY x "INJECTED">]>'
    doc = dtd + event(detail="<remarks>&x;</remarks>").decode()
    e = refused(doc.encode(codec), "event")
    assert "INJECTED" not in str(e)
    # and a NUL byte anywhere sends a document to defusedxml, whatever it starts with
    refused(event(detail="<remarks>a\x00b</remarks>"), "event")


def test_billion_laughs_is_refused_fast() -> None:
    lol = '<!DOCTYPE event [<!ENTITY a "lollollollollollollollollollol">'
    pairs = zip("abcdefgh", "bcdefghi", strict=True)
    lol += "".join(f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in pairs)
    data = (lol + "]>" + event(detail="<remarks>&i;</remarks>").decode()).encode()
    started = time.process_time()
    refused(data, "event", "refused")
    assert time.process_time() - started < 1.0  # a generous bound: expanded, it is 3 GB


def test_an_event_over_64_kib_is_refused_unread() -> None:
    data = event(detail="<remarks>" + "x" * MAX_EVENT_BYTES + "</remarks>")
    refused(data, "event", "65,536")


def test_elements_nested_10000_deep_are_refused() -> None:
    refused(event(detail="<a>" * 10_000 + "</a>" * 10_000), "event", "65,536")
    data = event(detail="<a>" * 9_000 + "</a>" * 9_000)  # as deep as fits in 64 KiB
    assert len(data) < MAX_EVENT_BYTES
    refused(data, "event", "nest deeper")


@pytest.mark.parametrize(
    "data",
    [b"\x00\xff\xfegarbage", b"", b"<event", b"<event></evnt>", b"GET / HTTP/1.1\r\n\r\n"],
)
def test_garbage_is_refused(data: bytes) -> None:
    refused(data, "event")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_never_crash(data: bytes) -> None:
    try:
        parse_event(data)
    except InvalidInput:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
)
def test_any_position_is_in_range_or_refused(lat: float, lon: float) -> None:
    try:
        e = parse_event(event(f'lat="{lat!r}" lon="{lon!r}"'))
    except InvalidInput as err:
        assert err.pointer in ("event/point/@lat", "event/point/@lon")
    else:
        assert -90 <= e.lat <= 90 and -180 <= e.lon <= 180


def test_comments_and_cdata_go_through_defusedxml_and_are_read() -> None:
    data = event(detail="<!-- relayed --><remarks><![CDATA[a < b]]></remarks>")
    assert parse_event(data).detail.remarks == "a < b"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["", "<!-- c -->"]))
def test_both_parsers_read_the_same_event(text: str, comment: str) -> None:
    """The C parser (no ``<!`` in the bytes) and defusedxml agree on every event they take."""
    from xml.sax.saxutils import escape

    body = f"<remarks>{escape(text)}</remarks>"
    results = []
    for data in (event(detail=body), event(detail=comment + body)):
        try:
            results.append(parse_event(data).detail.remarks)
        except InvalidInput as e:
            results.append(e.pointer)
    assert results[0] == results[1]
