"""Two writers at once never both miss each other: the check and the write are one transaction."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from deconfliction import service
from deconfliction.domain import (
    Audience,
    Footprint,
    FootprintKind,
    NoticeKind,
    Role,
    TimeWindow,
    Volume,
)
from deconfliction.service import Line, NoticeDraft
from tests.conftest import STORE_KINDS, MakeStore


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_concurrent_overlapping_creates_find_each_other(kind: str, make_store: MakeStore) -> None:
    store = make_store(kind)
    line = Line(store=store)
    start = datetime.now(UTC) + timedelta(hours=1)
    circle = Footprint(FootprintKind.CIRCLE, (((40.0, 35.0),),), 5_000.0)
    draft = NoticeDraft(
        kind=NoticeKind.OPERATION,
        volumes=(Volume(circle, TimeWindow(start, start + timedelta(hours=2))),),
        audience=Audience(everyone=True),
    )
    actors = []
    for i in range(6):
        service.create_party(line, f"party-{i}", f"Party {i}")
        actors.append(service.create_member(line, f"party-{i}", Role.COORDINATOR)[0])
    barrier = threading.Barrier(len(actors))
    results: list[int] = []
    failures: list[BaseException] = []

    def create(actor: object) -> None:
        try:
            barrier.wait()
            found = service.create_notice(line, actor, draft)  # type: ignore[arg-type]
            results.append(len(found.conflicts))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=create, args=(a,)) for a in actors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    # serialised writers: the k-th to commit sees the k-1 before it, so 0 + 1 + ... + 5
    assert sorted(results) == [0, 1, 2, 3, 4, 5]
    views = service.list_conflicts(line, actors[0]).items
    assert len(views) == 5
