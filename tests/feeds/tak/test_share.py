"""Positions from TAK are shared as the host was told (``serve --tak-share``): by default with the
reporting party only, as over HTTP; other parties are told the conflicts, not the positions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deconfliction import service
from deconfliction.config import LineConfig, TakConfig
from tests.feeds.tak.conftest import Door, Scene, event, until_stat


@pytest.mark.parametrize(
    ("share", "coalition_sees"),
    [(None, []), ("all", ["relay-9"]), (("coalition",), ["relay-9"]), (("other",), [])],
)
def test_positions_from_tak_go_only_as_far_as_the_line_shares_them(
    scene: Scene, share: str | tuple[str, ...] | None, coalition_sees: list[str]
) -> None:
    if share == ("other",):
        service.create_party(scene.line, "other", "Another party")
    tak = TakConfig(host="127.0.0.1", port=0, gateway_member=scene.gateway.id, share=share)
    door = Door(scene.line, replace(LineConfig(db_url=scene.db), tak=tak))
    try:
        with door.raw() as s:
            s.sendall(event("relay-9", "a-n-G-U-C", 10.0, 20.0))
            until_stat(door, "positions stored")
    finally:
        door.close()
    coalition = service.get_member(scene.line, scene.coalition.member)
    seen = service.list_tracks(scene.line, coalition, service.TrackFilter())
    assert [t.uid for t in seen.items] == coalition_sees
    own = service.list_tracks(scene.line, scene.gateway, service.TrackFilter())
    assert [t.uid for t in own.items] == ["relay-9"]
