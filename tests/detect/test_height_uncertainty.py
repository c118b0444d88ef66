"""A track's vertical uncertainty (``alt_unc_m``, a barometric altitude converted to an ellipsoid
height): a pair's vertical minimum grows by both tracks' uncertainties, erring toward reporting."""

from __future__ import annotations

import numpy as np
import pytest

from deconfliction.detect.tactical import States, detect

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
