"""The lane tree never misses a box that meets a query box in all four dimensions: windows of
every length (an instant to years), on lane edges, far from now, or not finite; queries as
narrow as an instant or as wide as all time."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.store.lanes import LEVELS_S, LaneTree

_NOW = 1_796_000_000.0  # late 2026, seconds
_EDGES = [float(_NOW // w * w) for w in LEVELS_S]  # instants on a lane's edge at each level
# where lane numbers reach 2**40 at each level (past it, boxes go to the plain tree and a query's
# lanes are clipped), either side of the epoch, and times no lane could number
_FAR = [s * 2.0**40 * float(w) for w in LEVELS_S for s in (1.0, -1.0)]
_FAR += [1e300, -1e300, float("inf"), float("-inf")]

instants = st.one_of(
    # near a lane's edge, where a box sits in two lanes and a query may meet it in either
    st.tuples(st.sampled_from(_EDGES), st.floats(-4 * 3600.0, 4 * 3600.0)).map(sum),
    st.tuples(st.sampled_from(_EDGES), st.floats(-4 * 3600.0, 4 * 3600.0)).map(sum),
    st.sampled_from(_EDGES),
    st.floats(_NOW - 40 * 86_400, _NOW + 40 * 86_400),
    st.floats(-1e12, 1e12),
    st.tuples(st.sampled_from(_FAR), st.sampled_from([0.0, -1.0, 1.0, -1e5, 1e5])).map(
        lambda p: p[0] * (1 + p[1] * 2.0**-52)
    ),
)
durations = st.one_of(
    st.just(0.0),
    st.sampled_from([float(w) for w in LEVELS_S]),  # exactly a lane's width
    st.floats(0.0, 3 * 86_400.0),
    st.floats(0.0, 4e9),
)


@st.composite
def boxes(draw: st.DrawFn) -> list[float]:
    # most boxes near each other, so that many pairs meet in longitude and latitude
    lon = draw(st.one_of(st.floats(0.0, 2.0), st.floats(0.0, 2.0), st.floats(-180.0, 179.0)))
    lat = draw(st.one_of(st.floats(0.0, 2.0), st.floats(0.0, 2.0), st.floats(-90.0, 89.0)))
    width = draw(st.floats(0.0, 1.5))
    alt = draw(st.floats(0.0, 200.0))
    start = draw(instants)
    end = draw(st.one_of(*[durations.map(lambda d: start + d)] * 4, st.just(float("inf"))))
    return [lon, lat, alt, start, lon + width, lat + width, alt + 100.0, end]


def _meets(a: np.ndarray, b: np.ndarray) -> bool:
    return all(a[k] <= b[k + 4] and b[k] <= a[k + 4] for k in range(4))


def _assert_answers_every_meeting_pair(held: list[list[float]], asked: list[list[float]]) -> None:
    """Every (query, box) pair that meets in four dimensions, by brute force, is in the
    lane tree's answer."""
    coords = np.array(held, dtype=np.float64)
    q = np.array(asked, dtype=np.float64)
    qi, ti = LaneTree(coords).query(q)
    answered = set(zip(qi.tolist(), ti.tolist(), strict=True))
    for i in range(len(q)):
        for j in range(len(coords)):
            if _meets(coords[j], q[i]):
                assert (i, j) in answered, (q[i].tolist(), coords[j].tolist())


@settings(max_examples=300, deadline=None)
@given(
    held=st.lists(boxes(), min_size=1, max_size=40),
    asked=st.lists(boxes(), min_size=1, max_size=6),
)
def test_every_box_meeting_a_query_in_four_dimensions_is_answered(
    held: list[list[float]], asked: list[list[float]]
) -> None:
    _assert_answers_every_meeting_pair(held, asked)


def test_a_question_about_some_hours_does_not_get_the_other_days_back() -> None:
    """A month of 2-hour boxes all over one square: a 6-hour question gets a few days' worth."""
    days = 30
    starts = _NOW + np.arange(days * 12) * 7_200.0  # one box every two hours
    coords = np.zeros((len(starts), 8))
    coords[:, [0, 1]] = 10.0
    coords[:, [4, 5]] = 11.0
    coords[:, 2], coords[:, 6] = -1e4, 1e4
    coords[:, 3], coords[:, 7] = starts, starts + 7_200.0
    q = np.array([[10.5, 10.5, 0.0, _NOW + 86_400.0, 10.6, 10.6, 1.0, _NOW + 86_400.0 + 6 * 3600]])
    qi, ti = LaneTree(coords).query(q)
    meeting = {j for j in range(len(coords)) if _meets(coords[j], q[0])}
    assert meeting <= set(ti.tolist())
    assert len(set(ti.tolist())) < 3 * len(meeting) + 12  # not the month's 360 boxes


@settings(max_examples=200, deadline=None)
@given(
    level=st.integers(0, len(LEVELS_S) - 1),
    before=st.floats(0.0, 1.0),
    length=st.floats(0.0, 1.0),
    after=st.floats(0.0, 1.0),
    lanes_asked=st.sampled_from([0.0, 0.5, 3.0, 20.0]),
)
def test_a_box_across_a_lane_edge_is_found_on_either_side(
    level: int, before: float, length: float, after: float, lanes_asked: float
) -> None:
    """A box of the level's width or less that starts before a lane's edge and ends after it,
    asked about from an instant after the edge, over up to twenty lanes."""
    width = float(LEVELS_S[level])
    edge = _EDGES[level]
    start = edge - before * width
    end = start + max(length * width, before * width)  # at most one width long, past the edge
    asked_from = edge + after * (end - edge)
    coords = np.array([[0.0, 0.0, 0.0, start, 1.0, 1.0, 1.0, end]])
    q = np.array([[0.5, 0.5, 0.5, asked_from, 0.6, 0.6, 0.6, asked_from + lanes_asked * width]])
    qi, ti = LaneTree(coords).query(q)
    assert 0 in ti.tolist()


def test_a_long_question_finds_a_short_box_in_its_middle() -> None:
    """A question over a year (hundreds of lanes at every level but the last two)."""
    coords = np.array([[0.0, 0.0, 0.0, _NOW + 100 * 86_400, 1.0, 1.0, 1.0, _NOW + 100 * 86_400]])
    q = np.array([[0.5, 0.5, 0.5, _NOW, 0.6, 0.6, 0.6, _NOW + 365 * 86_400]])
    assert LaneTree(coords).query(q)[1].tolist() == [0]


@settings(max_examples=200, deadline=None)
@given(
    held=st.lists(boxes(), min_size=1, max_size=20),
    asked=st.lists(boxes(), min_size=1, max_size=4),
    flip_held=st.lists(st.booleans(), min_size=20, max_size=20),
    flip_asked=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_windows_that_end_before_they_start_neither_raise_nor_miss(
    held: list[list[float]],
    asked: list[list[float]],
    flip_held: list[bool],
    flip_asked: list[bool],
) -> None:
    """No path makes such a window, but one bad row must not stop the index: a box meets as
    memindex._meet compares the bounds, whichever end comes first."""
    for boxes_, flips in ((held, flip_held), (asked, flip_asked)):
        for b, flip in zip(boxes_, flips, strict=False):
            if flip:
                b[3], b[7] = b[7], b[3]
    _assert_answers_every_meeting_pair(held, asked)


def test_a_box_exactly_a_level_long_stays_in_that_level() -> None:
    """512 days is the last level's width: such a box is laned, and found."""
    long = 512 * 86_400.0
    coords = np.array([[0.0, 0.0, 0.0, _NOW, 1.0, 1.0, 1.0, _NOW + long]])
    tree = LaneTree(coords)
    assert len(tree) == 2  # two lanes of the last level, not the plain tree
    q = np.array([[0.5, 0.5, 0.5, _NOW + long, 0.6, 0.6, 0.6, _NOW + long]])
    assert tree.query(q)[1].tolist() == [0]
