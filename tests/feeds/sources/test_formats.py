"""ADS-B and AIS read into track reports: SBS lines merged per aircraft, aircraft.json, NMEA
sentences single and multi-part; bad input refused with a reason; the altitude model's bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pyais.encode import encode_dict

from deconfliction.service.tracks.reports import read_report
from deconfliction.wire.ais import AisTracker
from deconfliction.wire.altitude import GEOID_MAX_M, GEOID_MIN_M, barometric, geometric
from deconfliction.wire.readsb import aircraft_reports
from deconfliction.wire.sbs import SbsTracker

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
CALL = "MSG,1,1,1,4CA2D6,1,2026/12/08,09:00:00.000,2026/12/08,09:00:00.000,RYR4PL  ,,,,,,,,,,,0"
VEL = "MSG,4,1,1,4CA2D6,1,,,,,,,420,88.5,,,-640,,,,,0"
POS = "MSG,3,1,1,4CA2D6,1,,,,,,35000,,,53.35,-6.26,,,0,0,0,0"


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def test_sbs_merges_callsign_velocity_and_position_into_one_report() -> None:
    t = SbsTracker()
    assert t.feed(CALL, at(0)) is None
    assert t.feed(POS, at(0.5)) is None  # a position without a velocity waits for one
    r = t.feed(VEL, at(1))
    assert r is not None
    assert (r["uid"], r["domain"], r["callsign"]) == ("icao:4CA2D6", "air", "RYR4PL")
    assert r["gs_mps"] == pytest.approx(420 * 1852 / 3600)
    assert r["vs_mps"] == pytest.approx(-640 * 0.3048 / 60)
    assert (r["alt_m"], r["alt_unc_m"]) == barometric(35000)
    # what the line reads, as the line reads it
    report = read_report(r, 0, at(1))
    assert report.alt_unc_m == pytest.approx(barometric(35000)[1])
    assert t.feed(VEL, at(1.5)) is None  # the same position is reported once
    nxt = t.feed(POS.replace("53.35", "53.36"), at(2))
    assert nxt is not None and nxt["time"] > r["time"]


def test_sbs_reports_only_fresh_positions_and_waits_briefly_for_velocity() -> None:
    t = SbsTracker()
    t.feed(VEL, at(0))
    # the velocity is 30 s old: not with this position, which is reported as still
    still = t.feed(POS, at(30))
    assert still is not None and still["gs_mps"] == 0.0
    moving = t.feed(VEL, at(30.5))
    assert moving is None  # that position was reported already
    assert t.feed(POS.replace("53.35", "53.36"), at(31))["gs_mps"] > 200  # type: ignore[index]
    # an aircraft heard without any velocity is reported, as still, after two seconds
    t = SbsTracker()
    assert t.feed(POS, at(0)) is None
    assert t.feed(POS.replace("53.35", "53.36"), at(2.5)) is not None


def test_sbs_aircraft_on_the_ground_is_a_ground_track() -> None:
    t = SbsTracker()
    r = t.feed("MSG,2,1,1,ABCDEF,1,,,,,,0,12,270,53.42,-6.27,,,,,,-1", at(0))
    assert r is not None and r["domain"] == "ground" and "alt_m" not in r


@pytest.mark.parametrize("line", [
    "garbage", "", "MSG,3,1,1", "MSG,9,1,1,4CA2D6,1,,,,,,,,,,,,,,,,", "MSG,3,1,1,XYZ,1,,,,,,,,,,,",
    "MSG,3,1,1,4CA2D6,1,,,,,,35000,,,95.0,-6.26,,,0,0,0,0",  # latitude beyond 90
    "MSG,3,1,1,4CA2D6,1,,,,,,35000,,,53.35,,,,0,0,0,0",  # half a position
    "MSG,3,1,1,4CA2D6,1,,,,,,9e9,,,53.35,-6.26,,,0,0,0,0",  # an absurd altitude
    "MSG,4,1,1,4CA2D6,1,,,,,,,99999,88.5,,,0,,,,,0",  # an absurd speed
    "MSG,3,1,1,4CA2D6,1,,,,,,nan,,,53.35,-6.26,,,0,0,0,0",
    "MSG,1,1,1,4CA2D6,1,,,,,<script>,,,,,,,,,,,0",
])  # fmt: skip
def test_sbs_bad_lines_are_refused_with_a_reason(line: str) -> None:
    t = SbsTracker()
    with pytest.raises(ValueError, match=r"\w"):
        t.feed(line, at(0))


def test_barometric_altitude_is_widened_to_cover_weather_and_geoid() -> None:
    for ft in (0.0, 5_000.0, 35_000.0, 60_000.0):
        h, unc = barometric(ft)
        msl = ft * 0.3048
        # the true ellipsoid height: a QNH off by ±35 hPa, ±8 % for temperature, any geoid
        for qnh_m in (-8.3 * 35, 0.0, 8.3 * 35):
            for temp in (-0.08, 0.0, 0.08):
                for n in (GEOID_MIN_M, GEOID_MAX_M):
                    true = msl + qnh_m + temp * msl + n
                    assert h - unc <= true <= h + unc
        assert unc < 2_000  # wide, and still bounded
    assert geometric(1000) == (304.8, 15.0)


def test_aircraft_json_prefers_geometric_altitude_and_skips_bad_aircraft() -> None:
    doc = {"now": 1.0, "aircraft": [
        {"hex": "4ca2d6", "flight": "RYR4PL", "lat": 53.35, "lon": -6.26, "alt_baro": 35000,
         "alt_geom": 35500, "gs": 420, "track": 88.5, "geom_rate": -640, "seen_pos": 0.5},
        {"hex": "3c6444", "lat": 50.0, "lon": 8.5, "alt_baro": 12000, "gs": 300, "track": 10,
         "baro_rate": 1200, "seen_pos": 1.0},
        {"hex": "3c6445", "lat": 50.1, "lon": 8.5, "alt_baro": "ground", "gs": 5, "track": 10,
         "seen_pos": 0.1},
        {"hex": "3c6446", "lat": 50.0, "lon": 8.5, "alt_baro": 12000, "gs": 300, "track": 10,
         "seen_pos": 45.0},  # an old position: not reported
        {"hex": "zzz", "lat": 1, "lon": 1},
        {"hex": "3c6447", "lat": 500, "lon": 8.5, "seen_pos": 0.1, "gs": 1, "alt_baro": 1},
        {"hex": "3c6448", "lat": 50, "lon": 8.5, "seen_pos": 0.1, "gs": 9e9, "track": 1,
         "alt_baro": 1},
        "not an aircraft",
    ]}  # fmt: skip
    reports, bad = aircraft_reports(doc, T0)
    by = {r["uid"]: r for r in reports}
    assert sorted(by) == ["icao:3C6444", "icao:3C6445", "icao:4CA2D6"]
    assert (by["icao:4CA2D6"]["alt_m"], by["icao:4CA2D6"]["alt_unc_m"]) == geometric(35500)
    assert (by["icao:3C6444"]["alt_m"], by["icao:3C6444"]["alt_unc_m"]) == barometric(12000)
    assert by["icao:3C6445"]["domain"] == "ground"
    assert by["icao:4CA2D6"]["time"] == "2026-12-08T08:59:59.500000Z"
    assert len(bad) == 4
    for i, r in enumerate(reports):
        read_report(r, i, T0)  # every report is one the line takes
    with pytest.raises(ValueError, match="aircraft"):
        aircraft_reports({"aircraft": "x"}, T0)


def nmea(fields: dict[str, object]) -> list[str]:
    return list(encode_dict(fields, talker_id="AI", sentence_type="VDM"))


def test_ais_position_then_static_data_names_the_vessel() -> None:
    t = AisTracker()
    pos = {"type": 1, "mmsi": 244670316, "lat": 51.9, "lon": 4.1, "speed": 12.3, "course": 87.0,
           "heading": 90}  # fmt: skip
    r = t.feed(nmea(pos)[0], T0)
    assert r is not None
    assert (r["uid"], r["domain"], r["trk_deg"]) == ("mmsi:244670316", "sea", 87.0)
    assert r["gs_mps"] == pytest.approx(12.3 * 1852 / 3600, abs=0.06)
    assert "callsign" not in r
    static = nmea({"type": 5, "mmsi": 244670316, "shipname": "NOORDERLICHT",
                   "callsign": "PDAB"})  # fmt: skip
    assert len(static) == 2  # type 5 is two sentences
    assert t.feed(static[0], T0) is None
    assert t.feed(static[1], T0) is None
    r = t.feed(nmea(pos)[0], T0)
    assert r is not None and r["callsign"] == "NOORDERLICHT"
    read_report(r, 0, T0)


def test_ais_class_b_and_not_available_values() -> None:
    t = AisTracker()
    b = nmea({"type": 18, "mmsi": 2442001, "lat": 52.1, "lon": 4.2, "speed": 5.5, "course": 90})
    r = t.feed(b[0], T0)
    assert r is not None and r["uid"] == "mmsi:002442001"
    gone = {"type": 1, "mmsi": 244670316, "lat": 91, "lon": 181, "speed": 10, "course": 10}
    assert t.feed(nmea(gone)[0], T0) is None
    fast = {"type": 1, "mmsi": 244670316, "lat": 51, "lon": 4, "speed": 102.3, "course": 10}
    assert t.feed(nmea(fast)[0], T0) is None
    # no course: the heading stands in; neither, moving: nothing to tell
    hdg = {"type": 1, "mmsi": 244670316, "lat": 51, "lon": 4, "speed": 8, "course": 360,
           "heading": 45}  # fmt: skip
    assert t.feed(nmea(hdg)[0], T0)["trk_deg"] == 45.0  # type: ignore[index]
    lost = {**hdg, "heading": 511}
    assert t.feed(nmea(lost)[0], T0) is None


@pytest.mark.parametrize("line", [
    "garbage", "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5D",  # a wrong checksum
    "!AIVDM,1,1,,B", "!AIVDM," + "A" * 500, "$GPGGA,1,2,3*00",
])  # fmt: skip
def test_ais_bad_sentences_are_refused(line: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        AisTracker().feed(line, T0)


def test_ais_half_a_multipart_sentence_is_forgotten() -> None:
    t = AisTracker()
    static = nmea({"type": 5, "mmsi": 244670316, "shipname": "NOORDERLICHT"})
    assert t.feed(static[0], T0) is None
    # the second part never came; a new first part on the same slot starts again
    assert t.feed(static[0], at(20)) is None
    assert t.feed(static[1], at(20.5)) is None
    pos = {"type": 1, "mmsi": 244670316, "lat": 51.9, "lon": 4.1, "speed": 1, "course": 87}
    assert t.feed(nmea(pos)[0], at(21))["callsign"] == "NOORDERLICHT"  # type: ignore[index]
