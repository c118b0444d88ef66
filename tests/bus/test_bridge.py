"""The NATS bridge believes the log, never a hint: a seq heard past the log's end only makes the
node read the log's head, so it cannot hold every stream awake."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from deconfliction.bus import EventSignal
from deconfliction.bus.bridge import NatsBridge, subject_for
from tests.waiting import wait_for


def test_a_hint_past_the_logs_end_moves_the_signal_only_as_far_as_the_log() -> None:
    signal = EventSignal()
    heads: list[int] = []

    def head() -> int:
        heads.append(5)
        return 5

    # NATS on a port nobody listens on: the bridge reads the head on its timer meanwhile
    bridge = NatsBridge(signal, "nats://127.0.0.1:1", head, fallback_s=30.0, safety_s=30.0)
    bridge.start()
    try:
        wait_for(lambda: signal.last == 5, "the first read of the log's head")
        reads = len(heads)
        loop = bridge._loop
        assert loop is not None
        hint = SimpleNamespace(data=b"9000000")  # from a line that shares this NATS, or a liar
        asyncio.run_coroutine_threadsafe(bridge._on_message(hint), loop).result(10)  # type: ignore[arg-type]
        wait_for(lambda: len(heads) > reads, "the head read again at once, because of the hint")
        assert signal.last == 5
        assert bridge.stats.heard == 1 and bridge.stats.last_heard == 9_000_000
    finally:
        bridge.stop()


def test_each_line_has_its_own_subject() -> None:
    assert subject_for("line-a") != subject_for("line-b")
    assert subject_for("a.b c").count(".") == 2  # a NATS subject of three tokens, whatever the name
