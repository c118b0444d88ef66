"""A drawing marked for the line, sent from a TAK client, is a notice of the member's party: sent
again (moved on the phone) it is the same notice's next version, and deleted on the phone the
notice is withdrawn. A drawing not marked for the line never reaches it."""

from __future__ import annotations

from datetime import timedelta

from deconfliction import service
from deconfliction.domain import NoticeState
from tests.feeds.tak.conftest import Scene, event, until_stat


def _rectangle(scene: Scene, lat: float, lon: float, marked: bool = True) -> str:
    now = scene.line.clock()
    z = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    corners = [(lat, lon), (lat, lon + 0.1), (lat + 0.1, lon + 0.1), (lat + 0.1, lon), (lat, lon)]
    links = "".join(f'<link point="{a},{b}"/>' for a, b in corners)
    mark = (
        f'<__deconfliction kind="operation" start="{z(now)}" end="{z(now + timedelta(hours=2))}"'
        ' lower="0" upper="3000" audience="all" title="Resupply drop"/>'
        if marked
        else ""
    )
    return links + mark + '<contact callsign="DROP ZONE"/>'


def _mine(scene: Scene) -> list[service.NoticeResult]:
    page = service.list_notices(
        scene.line, scene.gateway, service.NoticeFilter(party="ngo", limit=100)
    )
    return list(page.items)


def test_a_marked_drawing_is_a_notice_moved_and_withdrawn_from_the_phone(scene: Scene) -> None:
    with scene.door.raw() as s:  # the gateway port, as the NGO's member
        s.sendall(event("drawing-1", "u-d-r", 10.0, 20.0, _rectangle(scene, 10.0, 20.0)))
        until_stat(scene.door, "drawings created")
        (made,) = _mine(scene)
        assert made.title.startswith("Resupply drop")
        assert made.version == 1 and made.state is NoticeState.ACTIVE
        (volume,) = made.volumes
        assert (volume.altitude.lower_m, volume.altitude.upper_m) == (0, 3000)

        s.sendall(event("drawing-1", "u-d-r", 10.5, 20.0, _rectangle(scene, 10.5, 20.0)))
        until_stat(scene.door, "drawings updated")
        (moved,) = _mine(scene)
        assert (moved.id, moved.version) == (made.id, 2)

        s.sendall(event("del-1", "t-x-d-d", 0.0, 0.0, '<link uid="drawing-1" type="u-d-r"/>'))
        until_stat(scene.door, "drawings withdrawn")
    (gone,) = _mine(scene)
    assert (gone.id, gone.state) == (made.id, NoticeState.WITHDRAWN)


def test_a_drawing_not_marked_for_the_line_never_reaches_it(scene: Scene) -> None:
    with scene.door.raw() as s:
        s.sendall(event("sketch-1", "u-d-r", 10.0, 20.0, _rectangle(scene, 10.0, 20.0, False)))
        s.sendall(event("drawing-2", "u-d-r", 11.0, 21.0, _rectangle(scene, 11.0, 21.0)))
        until_stat(scene.door, "drawings created")  # sent after the sketch, on one connection
    (only,) = _mine(scene)
    # the marked drawing at 11°N 21°E, not the sketch at 10°N 20°E: positions are (lon, lat)
    assert min(p[1] for p in only.volumes[0].footprint.rings[0]) == 11.0
