"""Keeping conflicts on tracks up to date when another writer opened one meanwhile: a scan that
read the line before a breach was answered to the call that declared its notice must not close it
(it could not have found it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from deconfliction.domain import Retell
from deconfliction.service import Line
from deconfliction.service.tracks.scan import _reconcile
from tests.conftest import MakeStore
from tests.wire.samples import BREACH, T


def test_a_scan_does_not_close_what_was_opened_after_it_read(make_store: MakeStore) -> None:
    line = Line(store=make_store("sqlite"), clock=lambda: T)
    opened_after = replace(BREACH, detected_at=T + timedelta(seconds=1), updated_at=T)
    opened_before = replace(BREACH, id="t-5", key="other", detected_at=T - timedelta(seconds=1))
    with line.store.transaction() as tx:
        tx.insert_track_conflicts([opened_after, opened_before])
    with line.store.transaction() as tx:
        _, _, closed, _ = _reconcile(tx, line, [], set(), T, Retell())
    assert [c.id for c in closed] == ["t-5"]  # found by nobody since: resolved
    with line.store.read() as tx:
        assert [c.id for c in tx.live_track_conflicts()] == [opened_after.id]
