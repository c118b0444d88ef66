"""The exact test against the brute-force oracle, on every named pair of tests/common.py."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from deconfliction.geo import prepare, within
from tests.common import PAIRS, footprint
from tests.geo.oracle import region_distance


@cache
def oracle(a: str, b: str) -> float:
    return region_distance(footprint(a), footprint(b))


def allowed_false_alarm(h: float) -> float:
    return max(10.0, 0.005 * h)


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_distance_matches_oracle(a: str, b: str) -> None:
    expected = oracle(a, b)
    _, dist = within(prepare(footprint(a)), [prepare(footprint(b))], 0.0)
    assert abs(float(dist[0]) - expected) <= max(10.0, 0.001 * expected)


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.parametrize("slack", [0.5, 1.0, 25.0, 0.01])
def test_never_misses_a_conflict(a: str, b: str, slack: float) -> None:
    """A buffer just above the true distance (by 0.5 m, 1 m, 25 m, 1 %) is always a conflict."""
    d = oracle(a, b)
    h = d + (slack if slack >= 0.5 else slack * d + 0.5)
    hit, _ = within(prepare(footprint(a)), [prepare(footprint(b))], h)
    assert hit[0], f"{a} and {b} are {d:.1f} m apart, yet not within {h:.1f} m"


@pytest.mark.parametrize(("a", "b"), [p for p in PAIRS if oracle(*p) > 0])
@pytest.mark.parametrize("frac", [0.0, 0.5, 0.98])
def test_false_alarms_only_near_the_threshold(a: str, b: str, frac: float) -> None:
    d = oracle(a, b)
    h = frac * d
    hit, _ = within(prepare(footprint(a)), [prepare(footprint(b))], h)
    if hit[0]:
        assert d <= h + allowed_false_alarm(h), f"false alarm: {d:.1f} m apart, buffer {h:.1f} m"


def test_vectorized_over_candidates_with_per_candidate_buffers() -> None:
    names = [b for _, b in PAIRS[:8]]
    a = prepare(footprint("square_left"))
    bs = [prepare(footprint(n)) for n in names]
    dist = np.array([oracle("square_left", n) for n in names])
    hit, got = within(a, bs, dist + 1.0)
    assert hit.all()
    clear = (dist - 11.0) / 1.006  # beyond what the Safety rule lets a false alarm reach
    hit, _ = within(a, bs, np.maximum(0.0, clear))
    assert not hit[clear > 0].any()
    assert np.allclose(got, dist, atol=10.0, rtol=0.001)


def test_no_candidates() -> None:
    hit, dist = within(prepare(footprint("triangle")), [], 10.0)
    assert hit.shape == (0,) and dist.shape == (0,)


def test_nested_regions_are_at_distance_zero() -> None:
    big = prepare(footprint("square_10km"))
    small = prepare(footprint("tiny_in_square"))
    far = prepare(footprint("circle_5km"))
    hit, dist = within(big, [big, far, small], 0.0)
    assert hit.tolist() == [True, False, True]
    assert dist[0] == 0.0 and dist[2] == 0.0
    hit, dist = within(small, [big], 0.0)
    assert hit[0] and dist[0] == 0.0


def test_inside_a_hole_is_outside_the_region() -> None:
    hit, dist = within(prepare(footprint("in_hole")), [prepare(footprint("holed"))], 9_000.0)
    assert not hit[0]
    assert dist[0] > 9_000.0
