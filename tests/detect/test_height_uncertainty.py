"""A track's vertical uncertainty (``alt_unc_m``, a barometric altitude converted to an ellipsoid
height): a pair's vertical minimum grows by both tracks' uncertainties, and a volume's band by the
track's, erring toward reporting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from deconfliction.detect import Candidate
from deconfliction.detect.intrusion import intrusions, swept_boxes, swept_boxes_many
from deconfliction.detect.tactical import States, detect
from deconfliction.domain import (
    ALL,
    AltitudeBand,
    Audience,
    Buffers,
    Footprint,
    FootprintKind,
    TimeWindow,
    Track,
    TrackDomain,
)
from deconfliction.geo import prepare

# two airliners head-on at 10,000 m, 40 km apart; the air-air minimum is 304.8 m vertically
ROWS = ([0.0, 0.0], [0.0, 0.36], [10_000.0, 10_700.0], [230.0, 230.0], [90.0, 270.0], [0.0, 0.0])


def two(unc: list[float] | None) -> States:
    return States.of(*ROWS, alt_unc_m=unc)


def test_700_m_apart_are_separated_with_heights_as_reported() -> None:
    assert len(detect(two(None))) == 0
    assert len(detect(two([0.0, 0.0]))) == 0


@pytest.mark.parametrize(("unc", "found"), [([200.0, 190.0], 0), ([200.0, 200.0], 1),
                                            ([0.0, 400.0], 1), ([396.0, 0.0], 1)])  # fmt: skip
def test_uncertainties_add_to_the_vertical_minimum(unc: list[float], found: int) -> None:
    # 700 m apart: in conflict once 304.8 + u_i + u_j exceeds 700 (395.2 m of uncertainty)
    assert len(detect(two(unc))) == found


def test_uncertainty_survives_advancing_and_is_checked() -> None:
    s = two([400.0, 0.0]).advanced(10.0)
    assert s.alt_unc_m.tolist() == [400.0, 0.0]
    assert len(detect(s)) == 1
    for bad in ([-1.0, 0.0], [np.nan, 0.0], [0.0]):
        with pytest.raises(ValueError, match="alt_unc_m"):
            two(bad)


def test_an_uncertain_height_just_above_a_band_intrudes() -> None:
    now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    site = prepare(Footprint(FootprintKind.CIRCLE, (((10.1, 50.0),),), 1000.0))
    band = AltitudeBand(0.0, 3000.0)
    c = Candidate("n#0", "red", TimeWindow(now, now + timedelta(hours=1)), band, site, None)

    def jet(unc: float) -> Track:  # an ADS-B aircraft at 3,190 m flying straight over the site
        return Track("blue", "adsb", TrackDomain.AIR, 50.0, 10.0, 3190.0, 100.0, 90.0, 0.0, now,
                     30.0, Audience.of(ALL), alt_unc_m=unc)  # fmt: skip

    assert intrusions([jet(0.0)], [c], [(0, 0)], now, 300.0, Buffers()) == []
    [hit] = intrusions([jet(647.0)], [c], [(0, 0)], now, 300.0, Buffers())
    assert 0 < hit.t_in_s < 300
    # and the index search finds the site first: the boxes reach 647 m below the track
    (box,) = swept_boxes(jet(647.0), now, 300.0, Buffers())
    assert box.alt_min <= 3190.0 - 647.0 and box.alt_max >= 3190.0 + 647.0
    _, boxes = swept_boxes_many([jet(647.0)], now, 300.0, Buffers())
    assert boxes[0].alt_min < 3000.0 < boxes[0].alt_max
