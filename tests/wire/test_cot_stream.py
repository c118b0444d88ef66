"""Cutting a TAK TCP stream into events: several in one chunk, one over many chunks, half an
event held until the rest comes, and a hostile stream refused at the first bad frame."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.errors import InvalidInput
from deconfliction.wire.cot import (
    MAX_EVENT_BYTES,
    ProtobufStream,
    XmlStream,
    encode_stream,
    mesh_payload,
    parse_event,
)
from tests.wire.cot_samples import ATAK_POSITION, CIRCLE, GEOCHAT_ALL, WINTAK_AIR

EVENTS = [ATAK_POSITION, WINTAK_AIR, GEOCHAT_ALL, CIRCLE]


def test_several_events_in_one_chunk_come_out_in_order() -> None:
    stream = XmlStream()
    frames = stream.feed(b"\n".join(EVENTS) + b"\n")
    assert [parse_event(f).uid for f in frames] == [parse_event(e).uid for e in EVENTS]
    assert stream.pending == 0


def test_one_event_split_over_many_chunks() -> None:
    stream = XmlStream()
    out: list[bytes] = []
    for i in range(len(ATAK_POSITION)):
        out += stream.feed(ATAK_POSITION[i : i + 1])
    assert out == [ATAK_POSITION.strip()]


def test_half_an_event_is_held_until_the_rest_comes() -> None:
    stream = XmlStream()
    half = len(WINTAK_AIR) // 2
    assert stream.feed(WINTAK_AIR[:half]) == []
    assert stream.pending == half
    assert stream.feed(WINTAK_AIR[half:] + ATAK_POSITION[:10]) == [WINTAK_AIR]
    assert stream.rest() == ATAK_POSITION[:10]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(b"".join(EVENTS))), max_size=20))
def test_any_split_of_a_stream_gives_the_same_events(cuts: list[int]) -> None:
    data = b"".join(EVENTS)
    stream = XmlStream()
    out: list[bytes] = []
    last = 0
    for cut in [*sorted(cuts), len(data)]:
        out += stream.feed(data[last:cut])
        last = max(last, cut)
    assert out == [e.strip() for e in EVENTS]


def test_an_event_growing_past_64_kib_is_refused() -> None:
    stream = XmlStream()
    stream.feed(b"<event uid='u'><detail><remarks>")
    with pytest.raises(InvalidInput, match="65,536"):
        for _ in range(100):
            stream.feed(b"x" * 1024)


def test_a_complete_event_over_64_kib_is_refused() -> None:
    with pytest.raises(InvalidInput, match="65,536"):
        XmlStream().feed(b"<event>" + b"x" * MAX_EVENT_BYTES + b"</event>")


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02garbage",
        b"GET / HTTP/1.1\r\n",
        b"<html>",
        b"<eventually/>",
        b'<!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        b"<?xml version='1.0'?><!DOCTYPE lolz>",
        b"\xbf\x05hello",
    ],
)
def test_bytes_that_cannot_start_an_event_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        XmlStream().feed(data)


def test_protobuf_frames_are_cut_by_their_length() -> None:
    payloads = [b"a" * n for n in (1, 127, 128, 300, 20_000)]
    wire = b"".join(encode_stream(p) for p in payloads)
    stream = ProtobufStream()
    assert stream.feed(wire) == payloads
    out: list[bytes] = []
    for i in range(0, len(wire), 7):
        out += stream.feed(wire[i : i + 7])
    assert out == payloads and stream.pending == 0


def test_protobuf_garbage_and_huge_lengths_are_refused() -> None:
    with pytest.raises(InvalidInput, match="0xbf"):
        ProtobufStream().feed(b"<event>")
    with pytest.raises(InvalidInput, match="at most"):
        ProtobufStream().feed(b"\xbf" + b"\xff" * 9 + b"\x01")
    with pytest.raises(InvalidInput, match="at most"):
        ProtobufStream().feed(encode_stream(b"x" * (MAX_EVENT_BYTES + 1))[:8])


def test_a_mesh_datagram_gives_its_payload() -> None:
    assert mesh_payload(b"\xbf\x01\xbfabc") == b"abc"
    with pytest.raises(InvalidInput):
        mesh_payload(b"\xbf\x02\xbfabc")
