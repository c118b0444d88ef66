"""Who may write over TAK, and how much: an observer's drawings, deletes and chat are refused
before any work and never hold up another member's positions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deconfliction import service
from deconfliction.config import LineConfig
from deconfliction.domain import Role
from deconfliction.feeds.tak import intake
from tests.feeds.tak.conftest import Door, Scene, event, until_stat
from tests.feeds.tak.test_drawings import _rectangle
from tests.waiting import wait_for


def test_an_observers_flood_is_refused_at_once_and_positions_go_on(scene: Scene) -> None:
    observer, _ = service.create_member(scene.line, "coalition", Role.OBSERVER)
    tak = replace(scene.door.server.config, gateway_member=observer.id)
    door = Door(scene.line, replace(LineConfig(db_url=scene.db), tak=tak))
    try:
        with door.raw() as watcher, door.raw(scene.ngo) as bravo:
            flood = b"".join(
                event(f"del-{i}", "t-x-d-d", 0.0, 0.0, f'<link uid="gone-{i}" type="u-d-r"/>')
                + event(f"draw-{i}", "u-d-r", 10.0, 20.0, _rectangle(scene, 10.0, 20.0))
                for i in range(90)
            )
            watcher.sendall(flood)
            bravo.sendall(event("bravo-1", "a-f-G-U-C", 10.0, 20.0))
            ngo = service.current_members(scene.line, [scene.ngo.member])[scene.ngo.member]

            def stored() -> bool:
                tracks = service.list_tracks(scene.line, ngo, service.TrackFilter())
                return [t.uid for t in tracks.items if t.party == "ngo"] == ["bravo-1"]

            wait_for(stored, "the NGO member's position stored")
            until_stat(door, "refused: role", 180)
        stats = door.call(lambda: dict(door.server.stats))
        assert not any(k.startswith("drawings ") for k in stats)
        assert "refused: drawing" not in stats  # never reached the line's use cases
    finally:
        door.close()


def test_a_chat_the_line_fails_to_store_is_counted_and_the_connection_goes_on(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the store is down")

    monkeypatch.setattr(intake.service, "post_message", down)
    ngo = service.current_members(scene.line, [scene.ngo.member])[scene.ngo.member]
    thread = service.open_thread(scene.line, ngo, ["coalition"], "keep clear of the valley")
    chat = (
        f'<__chat chatroom="{thread.id}" id="{thread.id}" senderCallsign="alpha" '
        f'messageId="m-1"><chatgrp uid0="alpha-1" id="{thread.id}"/></__chat>'
        "<remarks>wilco</remarks>"
    )
    with scene.door.raw(scene.coalition) as s:
        s.sendall(event(f"GeoChat.alpha-1.{thread.id}.m-1", "b-t-f", 48.0, 11.0, chat))
        until_stat(scene.door, "failed: write")
    scene.door.answers(scene.coalition)


def test_a_member_found_cut_off_writes_nothing_more(scene: Scene) -> None:
    with scene.door.raw(scene.coalition) as s:
        scene.door.answers(scene.coalition)
        # as the hub's recheck marks a member revoked by another process, before it closes
        scene.door.call(lambda: scene.door.server.intake.cut.add(scene.coalition.member))
        s.sendall(
            event("drawing-9", "u-d-r", 10.0, 20.0, _rectangle(scene, 10.0, 20.0))
            + event("alpha-9", "a-f-G-U-C", 10.0, 20.0)
        )
        until_stat(scene.door, "refused: member", 2)
    coalition = service.current_members(scene.line, [scene.coalition.member])
    member = coalition[scene.coalition.member]
    assert service.list_tracks(scene.line, member, service.TrackFilter()).items == []
    page = service.list_notices(scene.line, member, service.NoticeFilter(party="coalition"))
    assert page.items == []
