"""Micro-benchmark of the Cursor on Target codec: events per second, one core, for what the TAK
door does with each event (parse and map a position; frame a stream; write a track, a notice
and a conflict; TAK Protocol v1 both ways), and the XML parsers it chose between.

Run: ``python bench/cot_codec.py`` (a few seconds). Figures in docs/benchmarks.md.
"""

from __future__ import annotations

import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import defusedxml.ElementTree as SafeET

from deconfliction.wire.cot import (
    XmlStream,
    encode_stream,
    parse_event,
    parse_protobuf,
    to_protobuf,
    track_event,
    track_report,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.wire.cot_samples import ATAK_POSITION, POLYGON  # noqa: E402

TRACK = {
    "party": "blue", "uid": "hawk-1", "domain": "air", "lat": 35.331234, "lon": 40.140123,
    "alt_m": 1523.4, "gs_mps": 61.7, "trk_deg": 271.5, "vs_mps": 0.0,
    "time": "2026-11-25T11:59:58.250Z", "stale_s": 45.0, "audience": "all", "callsign": "HAWK 1",
}  # fmt: skip
PLAIN = ATAK_POSITION.split(b"?>", 1)[1].strip()  # as most clients send it: no prolog
COMMENTED = PLAIN.replace(b"<detail>", b"<detail><!-- via gateway -->")


def rate(name: str, fn: Callable[[], object], n: int = 20_000) -> float:
    fn()
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, time.process_time() - started)
    per_s = n / best
    print(f"{name:<58} {per_s:>10,.0f} /s {best / n * 1e6:>7.1f} µs")
    return per_s


def main() -> None:
    print(f"ATAK position: {len(PLAIN)} bytes; polygon drawing: {len(POLYGON)} bytes\n")
    print("XML parsers alone (the tree, unchecked)")
    rate("  xml.etree C parser (unsafe alone: DTDs allowed)", lambda: ET.fromstring(PLAIN))
    rate(
        "  defusedxml.ElementTree, forbid_dtd",
        lambda: SafeET.fromstring(PLAIN, forbid_dtd=True),
    )
    print("In")
    rate("  parse_event, ATAK position (C parser: no '<!')", lambda: parse_event(PLAIN))
    rate("  parse_event, with prolog", lambda: parse_event(ATAK_POSITION))
    rate("  parse_event, with a comment (defusedxml)", lambda: parse_event(COMMENTED))
    rate("  parse_event + track_report", lambda: track_report(parse_event(PLAIN)))
    rate("  parse_event, polygon drawing", lambda: parse_event(POLYGON))
    chunk = PLAIN * 100

    def frame() -> None:
        XmlStream().feed(chunk)

    per = rate("  XmlStream.feed, 100 positions a chunk (per chunk)", frame, 2_000)
    print(f"{'    = positions framed':<58} {per * 100:>10,.0f} /s")
    payload = to_protobuf(PLAIN)
    rate("  parse_protobuf, ATAK position", lambda: parse_protobuf(payload))
    print("Out")
    rate("  track_event", lambda: track_event(TRACK))
    xml = track_event(TRACK)
    rate("  to_protobuf(track_event) + encode_stream", lambda: encode_stream(to_protobuf(xml)))


if __name__ == "__main__":
    main()
