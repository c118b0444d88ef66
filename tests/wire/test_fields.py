"""One field table, two encodings: a conflict written to the event log (JSON) or to a row
(integer microseconds, audiences as text) comes back as the same value, under the names each
format uses, and a record written before a field existed still reads."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from deconfliction.domain import Conflict, TrackConflict
from deconfliction.store import schema
from deconfliction.wire.conflicts import JSON
from deconfliction.wire.fields import decode, encode
from tests.wire.samples import (
    BREACH,
    DEVIATION,
    INTRUSION,
    STORE,
    STRATEGIC,
    TACTICAL,
    TRACK_CONFLICTS,
    to_us,
)

ENCODINGS = {"json": JSON, "store": STORE}
RECORDS: dict[str, Conflict | TrackConflict] = {"strategic": STRATEGIC, **TRACK_CONFLICTS}


@pytest.mark.parametrize("enc_name", sorted(ENCODINGS))
@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_conflict_round_trips(name: str, enc_name: str) -> None:
    record, enc = RECORDS[name], ENCODINGS[enc_name]
    written = encode(record, enc)
    # what is written is plain data: it survives JSON text (the event log) unchanged
    assert json.loads(json.dumps(written, allow_nan=False)) == written
    assert decode(type(record), written, enc) == record


def test_json_instants_come_back_in_utc() -> None:
    back = decode(Conflict, encode(STRATEGIC, JSON), JSON)
    assert back.detected_at == STRATEGIC.detected_at
    assert back.detected_at.utcoffset() == timedelta(0)


def test_store_encoding_names_a_strategic_conflicts_columns() -> None:
    row = encode(STRATEGIC, STORE)
    assert set(row) == {
        "id", "kind", "status",
        "party_a", "notice_a", "volume_a", "version_a",
        "party_b", "notice_b", "volume_b", "version_b",
        "distance_m", "window_start_us", "window_end_us", "detected_us", "severity",
    }  # fmt: skip
    assert row["window_start_us"] == to_us(STRATEGIC.window.start)
    assert row["window_end_us"] - row["window_start_us"] == 3000 * 1_000_000
    assert row["detected_us"] == 1_795_586_400_000_000  # 2026-11-25T06:00:00Z, given at +02:00
    assert (row["kind"], row["status"]) == ("strategic", "open")  # enums by value


def test_store_encoding_names_a_track_conflicts_instants() -> None:
    row = encode(INTRUSION, STORE)
    instants = {k: v for k, v in row.items() if k.endswith("_us")}
    assert set(instants) == {
        "t_in_us", "t_out_us", "cpa_us", "detected_us", "updated_us", "resolved_us",
    }  # fmt: skip
    assert not {"t_in", "detected_at", "updated_at", "resolved_at"} & set(row)
    assert instants["t_in_us"] == to_us(INTRUSION.t_in)
    assert instants["t_in_us"] % 1_000_000 == 250_000  # microseconds kept exactly
    assert instants["resolved_us"] == to_us(INTRUSION.resolved_at)  # type: ignore[arg-type]
    # an instant not (yet) known stays None, under its column's name
    assert instants["t_out_us"] is None and instants["cpa_us"] is None
    assert (row["visible_a"], row["visible_b"], row["told"]) == ("", "all", "")


def test_store_encoding_matches_the_track_conflict_table() -> None:
    # the field table is the store's too: a field added to TrackConflict needs its column
    assert set(encode(TACTICAL, STORE)) == set(schema.track_conflict.c.keys())


@pytest.mark.parametrize("enc_name", sorted(ENCODINGS))
def test_none_stays_none(enc_name: str) -> None:
    enc = ENCODINGS[enc_name]
    written = encode(DEVIATION, enc)
    t_out = enc.instant_name("t_out")
    assert written[t_out] is None and written["party_b"] is None
    assert written["distance_m"] is None and written["agreement"] is None
    back = decode(TrackConflict, written, enc)
    assert (back.party_b, back.t_out, back.cpa, back.distance_m, back.resolved_at) == (None,) * 5


@pytest.mark.parametrize("enc_name", sorted(ENCODINGS))
def test_a_record_from_before_the_defaulted_fields_reads_with_defaults(enc_name: str) -> None:
    enc = ENCODINGS[enc_name]
    old: dict[str, Any] = encode(TACTICAL, enc)
    for key in ("agreement", "notice_a", "volume_a"):
        del old[key]
    assert decode(TrackConflict, old, enc) == TACTICAL
    del old[enc.instant_name("resolved_at")]
    assert decode(TrackConflict, old, enc).resolved_at is None


@pytest.mark.parametrize("enc_name", sorted(ENCODINGS))
def test_a_breach_keeps_its_agreement_and_notice_side(enc_name: str) -> None:
    enc = ENCODINGS[enc_name]
    written = encode(BREACH, enc)
    assert (written["agreement"], written["notice_a"], written["volume_a"]) == ("m-9", "n-op", 1)
    assert written["track_a"] is None
    assert decode(TrackConflict, written, enc) == BREACH


@pytest.mark.parametrize("enc_name", sorted(ENCODINGS))
@pytest.mark.parametrize("field", ["t_in", "key", "visible_a"])
def test_a_record_missing_a_field_without_default_is_refused(enc_name: str, field: str) -> None:
    enc = ENCODINGS[enc_name]
    broken = encode(TACTICAL, enc)
    key = enc.instant_name(field) if field == "t_in" else field
    del broken[key]
    with pytest.raises(KeyError):
        decode(TrackConflict, broken, enc)


def test_instant_names_follow_the_suffix() -> None:
    assert [STORE.instant_name(n) for n in ("detected_at", "t_in", "window_start")] == [
        "detected_us",
        "t_in_us",
        "window_start_us",
    ]
    assert [JSON.instant_name(n) for n in ("detected_at", "t_in")] == ["detected_at", "t_in"]
