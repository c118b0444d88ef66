"""Strategic detection: buffers, filters, boxes that never lose a conflict, detect_all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconfliction.detect import (
    Candidate,
    conflicts_with,
    detect_all,
    effective_buffers,
    index_boxes,
    search_boxes,
)
from deconfliction.domain import Buffers, TimeWindow
from deconfliction.geo import prepare
from deconfliction.geo.box import Box4
from tests.common import GEOMETRIES, PAIRS, T0, footprint, volume
from tests.geo.oracle import region_distance


def cand(
    key: str,
    name: str,
    party: str = "p",
    buffers: Buffers | None = None,
    **kw: float | None,
) -> Candidate:
    return Candidate.of(key, party, volume(name, **kw), prepare(footprint(name)), buffers)  # type: ignore[arg-type]


def meet(a: Box4, b: Box4) -> bool:
    return (
        a.lon_min <= b.lon_max and b.lon_min <= a.lon_max
        and a.lat_min <= b.lat_max and b.lat_min <= a.lat_max
        and a.alt_min <= b.alt_max and b.alt_min <= a.alt_max
        and a.t_min <= b.t_max and b.t_min <= a.t_max
    )  # fmt: skip


def test_effective_buffers_take_the_largest() -> None:
    got = effective_buffers(Buffers(100, 50, 60), Buffers(500, 0, 0), Buffers(0, 80, 600))
    assert got == Buffers(500, 80, 600)
    assert effective_buffers(Buffers(1, 2, 3), None, None) == Buffers(1, 2, 3)


def test_same_party_and_same_key_are_skipped() -> None:
    a = cand("a#0", "square_left", "p")
    twin = cand("b#0", "square_touching", "p")
    other = cand("c#0", "square_touching", "q")
    assert [f.b for f in conflicts_with(a, [a, twin, other], Buffers())] == ["c#0"]
    got = conflicts_with(a, [a, twin, other], Buffers(), all_pairs=True)
    assert [f.b for f in got] == ["b#0", "c#0"]


def test_time_gap_needs_the_time_buffer() -> None:
    a = cand("a", "square_left", "p")
    later = cand("b", "square_touching", "q", start_h=3.0)  # one hour after a ends
    assert conflicts_with(a, [later], Buffers()) == []
    assert conflicts_with(a, [later], Buffers(t_s=3599)) == []
    (found,) = conflicts_with(a, [later], Buffers(t_s=3600))
    assert found.window == TimeWindow(T0 + timedelta(hours=3), T0 + timedelta(hours=3))
    # a notice may ask for more than the line's default
    asks = cand("b", "square_touching", "q", Buffers(t_s=7200), start_h=3.0)
    (found,) = conflicts_with(a, [asks], Buffers())
    assert found.window == TimeWindow(T0 + timedelta(hours=3), T0 + timedelta(hours=4))


def test_altitude_gap_needs_the_vertical_buffer() -> None:
    a = cand("a", "square_left", "p", lower=0.0, upper=1000.0)
    above = cand("b", "square_touching", "q", lower=1300.0, upper=2000.0)
    unbounded = cand("c", "square_touching", "q")
    assert [f.b for f in conflicts_with(a, [above, unbounded], Buffers())] == ["c"]
    assert len(conflicts_with(a, [above], Buffers(v_m=300))) == 1


def test_horizontal_buffer_and_distance() -> None:
    a = cand("a", "triangle", "p")
    b = cand("b", "circle_5km", "q")
    d = region_distance(footprint("triangle"), footprint("circle_5km"))
    assert conflicts_with(a, [b], Buffers(h_m=d - 20)) == []
    (found,) = conflicts_with(a, [b], Buffers(h_m=d + 1))
    assert found.distance_m == pytest.approx(d, abs=10)


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.parametrize("who", ["defaults", "a", "b"])
def test_search_boxes_meet_index_boxes_of_every_conflict(a: str, b: str, who: str) -> None:
    d = region_distance(footprint(a), footprint(b))
    want = Buffers(h_m=d + 1.0, v_m=200.0, t_s=600.0)
    defaults = want if who == "defaults" else Buffers()
    ca = cand("a", a, "p", want if who == "a" else None, lower=0.0, upper=100.0)
    cb = cand("b", b, "q", want if who == "b" else None, start_h=2.1, lower=300.0, upper=400.0)
    assert conflicts_with(ca, [cb], defaults), "the pair is meant to conflict"
    for x, y in ((ca, cb), (cb, ca)):
        search, index = search_boxes(x, defaults), index_boxes(y, defaults)
        assert any(meet(s, i) for s in search for i in index)


def test_unbounded_altitude_in_boxes() -> None:
    (box,) = index_boxes(cand("a", "square_left"), Buffers())
    assert (box.alt_min, box.alt_max) == (-1e9, 1e9)
    assert box.t_min == T0.timestamp() and box.t_max == (T0 + timedelta(hours=2)).timestamp()


def test_detect_all_finds_each_conflict_once_like_brute_force() -> None:
    names = sorted(GEOMETRIES)
    cands = [cand(f"{n}#{k}", n, party=f"p{k % 2}", start_h=k * 1.5) for k, n in enumerate(names)]
    defaults = Buffers(h_m=20_000, t_s=1800)
    got = detect_all(cands, defaults)
    brute = sorted(
        (f for i, c in enumerate(cands) for f in conflicts_with(c, cands[i + 1 :], defaults)),
        key=lambda f: (f.a, f.b),
    )
    brute = [f if f.a < f.b else type(f)(f.b, f.a, f.distance_m, f.window) for f in brute]
    assert [(f.a, f.b) for f in got] == sorted((f.a, f.b) for f in brute)
    assert all(f.a < f.b for f in got)
    assert got, "the scene is meant to have conflicts"


def test_detect_all_same_party_only_with_all_pairs() -> None:
    cands = [cand("x", "square_left", "p"), cand("y", "square_touching", "p")]
    assert detect_all(cands, Buffers()) == []
    (found,) = detect_all(cands, Buffers(), all_pairs=True)
    assert (found.a, found.b, found.distance_m) == ("x", "y", 0.0)
