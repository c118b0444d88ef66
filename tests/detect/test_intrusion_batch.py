"""The batched intrusion decision (every track and volume of a scan at once) against the per-track
one it replaced and against the sampling oracle of ``test_intrusion``: several tracks and several
volumes in one call, each pair judged as if alone. A true intrusion is never missed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.detect import Candidate
from deconfliction.detect.intrusion import (
    RESOLUTION_S,
    intrusions,
    intrusions_per_track,
    reach_boxes,
    swept_box_array,
)
from deconfliction.domain import AltitudeBand, Buffers, TimeWindow
from deconfliction.geo import prepare
from tests.detect.test_intrusion import NOW, Case, cases, circle, oracle, track


def _candidate(case: Case, k: int) -> Candidate:
    return Candidate(
        f"n{k}#0",
        "q",
        TimeWindow(NOW + timedelta(seconds=case.start_s), NOW + timedelta(seconds=case.end_s)),
        AltitudeBand(case.lower, case.upper),
        prepare(circle(*case.centre, case.radius_m)),
        None,
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=5), st.integers(0, 4))
def test_many_tracks_and_volumes_at_once_as_each_pair_alone(cases: list[Case], near: int) -> None:
    # the tracks of every case, and each case's volume; a few tracks also put beside another's
    # volume (the case's own path, shifted onto it), so that volumes face several tracks
    base = cases[0]
    tracks = [replace(c.track, uid=f"t{k}", party=f"p{k}") for k, c in enumerate(cases)]
    for k in range(min(near, len(cases) - 1)):
        tracks.append(replace(cases[k + 1].track, uid=f"n{k}", party=f"r{k}"))
    volumes = [_candidate(c, k) for k, c in enumerate(cases)]
    pairs = [(i, j) for i in range(len(tracks)) for j in range(len(volumes))]
    args = (NOW, base.lookahead_s, base.buffers)
    batched = {(x.track, x.volume): x for x in intrusions(tracks, volumes, pairs, *args)}
    alone = {(x.track, x.volume): x for x in intrusions_per_track(tracks, volumes, pairs, *args)}
    for i, t in enumerate(tracks):
        for j, c in enumerate(cases):
            pair = replace(c, track=t, buffers=base.buffers, lookahead_s=base.lookahead_s)
            strict, d0 = oracle(pair, loose=False)
            loose, _ = oracle(pair, loose=True)
            got = batched.get((i, j))
            if strict is not None:
                assert got is not None, f"missed: track {i} is within volume {j} at {strict} s"
                assert got.t_in_s <= strict + 1e-6
            if got is not None:
                assert loose is not None, "reported, but the oracle finds no sample near"
                assert got.t_in_s >= loose - 2 * RESOLUTION_S - 1e-6
                assert abs(got.distance_m - d0) <= max(10.0, 0.005 * d0) + 1.0
            if (got is None) != ((i, j) not in alone):
                # the two may differ only where the Safety rule's tolerance allows either answer
                assert strict is None and loose is not None, (i, j, got, alone.get((i, j)))


@settings(max_examples=500, deadline=None)
@given(
    st.floats(-89.99, 89.99),
    st.floats(-180.0, 180.0),
    st.floats(0.0, 600.0),
    st.floats(0.0, 360.0),
    st.floats(-600.0, 600.0),
    st.floats(0.0, 50_000.0),
)
def test_a_reach_box_holds_the_swept_box(
    lat: float, lon: float, gs: float, trk: float, age_s: float, h_m: float
) -> None:
    """The scan's first cut (``reach_boxes``, one geodesic point a track) never leaves out a
    part of a track's swept box: a track it drops meets no volume its swept box would have met."""
    t = track(lon, lat, trk, gs, ago_s=age_s)
    defaults = Buffers(h_m, 100.0, 60.0)
    _, swept = swept_box_array([t], NOW, 300.0, defaults)
    dt = np.array([(NOW - t.time).total_seconds()])
    reach, whole = reach_boxes(
        np.array([lon]), np.array([lat]), np.array([trk]), np.array([gs]), dt, 300.0, defaults
    )
    if whole[0]:
        return  # kept whatever its swept box
    x0, y0, x1, y1 = reach[0]
    assert len(swept) == 1  # not split at the antimeridian
    assert x0 <= swept[0, 0] and swept[0, 4] <= x1
    assert y0 <= swept[0, 1] and swept[0, 5] <= y1
