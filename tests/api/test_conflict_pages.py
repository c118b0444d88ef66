"""GET /v1/conflicts a page at a time: both tables as one list, the filters, need-to-know."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from deconfliction.domain import (
    Audience,
    Conflict,
    ConflictAck,
    ConflictKind,
    ConflictStatus,
    Severity,
    TrackConflict,
)
from tests.api.conftest import NOW, Api, notice, square
from tests.api.pages import walk
from tests.conflicts import S, on_tracks, strategic

N_STRATEGIC, N_TRACKS = 1500, 1000


@pytest.fixture
def loaded(api: Api) -> tuple[Api, list[Conflict], list[TrackConflict]]:
    """2,500 conflicts of blue's, in both tables, loaded with the store's bulk inserts; those
    built ``acknowledged`` are stored open with blue's acknowledgement (what blue then sees)."""
    a = [strategic(i) for i in range(N_STRATEGIC)]
    b = [on_tracks(i) for i in range(N_TRACKS)]
    acked = [c for c in [*a, *b] if c.status is ConflictStatus.ACKNOWLEDGED]

    def stored(c: Any) -> Any:
        return replace(c, status=ConflictStatus.OPEN) if c in acked else c

    with api.line.store.transaction() as tx:
        tx.insert_conflicts([stored(c) for c in a])
        tx.insert_track_conflicts([stored(c) for c in b])
        for c in acked:
            tx.put_conflict_ack(c.id, ConflictAck("blue", "m-blue", NOW, c.severity))
    return api, a, b


def _newest_first(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(c["detected_at"], c["id"]) for c in items]


def test_paging_through_2500_conflicts_tells_each_once(
    loaded: tuple[Api, list[Conflict], list[TrackConflict]],
) -> None:
    api, a, b = loaded
    expected = sorted(
        [(c.detected_at, c.id) for c in a] + [(c.detected_at, c.id) for c in b], reverse=True
    )
    for limit in (1000, 333):
        items, pages = walk(api, "blue", "/v1/conflicts", "conflicts", limit=limit)
        assert pages == -(-len(expected) // limit)
        assert [c["id"] for c in items] == [i for _, i in expected]
        keys = _newest_first(items)
        assert keys == sorted(keys, reverse=True)
    first = api.get("blue", "/v1/conflicts").json()  # the default page: 100, and says so
    assert len(first["conflicts"]) == 100 and first["next"]


def test_need_to_know_holds_across_pages(
    loaded: tuple[Api, list[Conflict], list[TrackConflict]],
) -> None:
    api, a, b = loaded
    for party in ("red", "aid"):
        items, _ = walk(api, party, "/v1/conflicts", "conflicts", limit=101)
        told = {c.id for c in a if c.party_b == party} | {c.id for c in b if c.party_b == party}
        told -= {c.id for c in b if c.kind is ConflictKind.DEVIATION}
        assert [c["id"] for c in items if c["id"] in told] == [c["id"] for c in items]
        assert {c["id"] for c in items} == told
        assert all(c["redacted"] for c in items)
        assert all("notice" not in (c.get("other") or {}) for c in items)
    assert walk(api, "admin", "/v1/conflicts", "conflicts")[0] == []


def test_filters_page_too(loaded: tuple[Api, list[Conflict], list[TrackConflict]]) -> None:
    api, a, b = loaded
    both: list[Conflict | TrackConflict] = [*a, *b]

    def ids(**params: Any) -> list[str]:
        items, _ = walk(api, "blue", "/v1/conflicts", "conflicts", limit=250, **params)
        return [c["id"] for c in items]

    def expect(keep: Any) -> list[str]:
        return [
            c.id for c in sorted(both, key=lambda c: (c.detected_at, c.id), reverse=True) if keep(c)
        ]

    assert ids(kind="strategic") == expect(lambda c: c.kind is ConflictKind.STRATEGIC)
    assert ids(kind=["tactical", "intrusion"]) == expect(
        lambda c: c.kind in (ConflictKind.TACTICAL, ConflictKind.INTRUSION)
    )
    assert ids(status="resolved") == expect(lambda c: c.status is ConflictStatus.RESOLVED)
    assert ids(severity=["warning", "caution"]) == expect(
        lambda c: c.severity is not Severity.ADVISORY
    )
    assert ids(live=True) == expect(lambda c: c.status.is_live())
    assert ids(live=True, status="expired") == []
    since = NOW - 100 * S
    assert ids(since="2026-11-25T11:58:20Z") == expect(
        lambda c: (
            c.detected_at >= since
            or getattr(c, "updated_at", since) > since
            or c.status is ConflictStatus.ACKNOWLEDGED
        )  # acknowledged at NOW: a change since
    )
    combined = ids(kind="deviation", status="acknowledged", severity="caution")
    assert combined == expect(
        lambda c: (
            c.kind is ConflictKind.DEVIATION
            and c.status is ConflictStatus.ACKNOWLEDGED
            and c.severity is Severity.CAUTION
        )
    )


def test_notice_filter_names_only_sides_told_in_clear(api: Api) -> None:
    secret = api.post("blue", notice(square(40.0, 35.0), audience=[])).json()["notice"]
    shared = api.post("aid", notice(square(40.05, 35.05), audience="all")).json()["notice"]
    also = api.post("aid", notice(square(41.0, 35.0), audience="all")).json()["notice"]
    api.post("blue", notice(square(41.05, 35.05), audience="all"))

    def ids(who: str, notice_id: str) -> list[str]:
        got = api.get(who, "/v1/conflicts", notice=notice_id)
        assert got.status_code == 200, got.text
        return [c["id"] for c in got.json()["conflicts"]]

    [first] = ids("blue", secret["id"])
    assert ids("blue", shared["id"]) == [first]
    assert len(ids("blue", also["id"])) == 1 and ids("blue", also["id"]) != [first]
    assert ids("aid", shared["id"]) == [first]  # its own side
    # aid is told of the conflict, but not of blue's notice: the filter must not say it is there
    assert ids("aid", secret["id"]) == []
    assert ids("red", shared["id"]) == [] and ids("red", "no-such-notice") == []


def test_a_notice_filter_keeps_full_pages(api: Api) -> None:
    """Conflicts whose matching side is redacted for the reader are skipped, and pages stay
    full: an intrusion keeps the audience its volume had when detected."""
    mine = api.post("blue", notice(square(40.0, 35.0), audience=["aid"])).json()["notice"]
    intrusions = [
        replace(
            on_tracks(3 * i + 1),
            party_a="aid",
            party_b="blue",
            notice_b=mine["id"],
            visible_b=Audience.of(["aid"]) if i % 4 == 0 else Audience(),
        )
        for i in range(40)
    ]
    with api.line.store.transaction() as tx:
        tx.insert_track_conflicts(intrusions)
    blue, pages = walk(api, "blue", "/v1/conflicts", "conflicts", notice=mine["id"], limit=7)
    assert len(blue) == 40 and pages == 6
    aid, pages = walk(api, "aid", "/v1/conflicts", "conflicts", notice=mine["id"], limit=3)
    told = [c for c in intrusions if c.visible_b.includes("aid")]
    assert sorted(c["id"] for c in aid) == sorted(c.id for c in told)
    assert pages == 4 and all(c["other"]["notice"] == mine["id"] for c in aid)


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"kind": "bogus"}, "/query/kind/0"),
        ({"status": "closed"}, "/query/status/0"),
        ({"severity": "high"}, "/query/severity/0"),
        ({"since": "2026-11-25T12:00:00"}, "/query/since"),
        ({"since": "yesterday"}, "/query/since"),
        ({"notice": "a b"}, "/query/notice"),
        ({"limit": 0}, "/query/limit"),
        ({"limit": 1001}, "/query/limit"),
        ({"cursor": "not a cursor"}, "/query/cursor"),
        ({"cursor": "W10"}, "/query/cursor"),  # base64url of []
        ({"cursor": "x" * 600}, "/query/cursor"),
    ],
)
def test_bad_query_input_names_the_field(api: Api, params: dict[str, Any], pointer: str) -> None:
    got = api.get("blue", "/v1/conflicts", **params)
    assert got.status_code == 422, got.text
    assert got.json()["pointer"] == pointer


def test_a_cursor_of_another_list_is_refused(api: Api) -> None:
    for i in range(3):
        api.post("blue", notice(square(40.0 + i, 35.0)))
    cursor = api.get("blue", "/v1/notices", limit=1).json()["next"]
    got = api.get("blue", "/v1/conflicts", cursor=cursor)
    assert got.status_code == 422 and got.json()["pointer"] == "/query/cursor"
    assert "next" in got.json()["message"]


def test_a_notice_filter_reads_past_a_merge_of_short_tables(api: Api) -> None:
    """Both tables short of a full share, the merge longer than a page: the rest is read too."""
    mine = api.post("blue", notice(square(40.0, 35.0), audience=["aid"])).json()["notice"]
    redacted = [
        replace(
            on_tracks(3 * i + 1),
            party_a="aid",
            party_b="blue",
            notice_b=mine["id"],
            detected_at=NOW + (10 + i) * S,
        )
        for i in range(3)
    ]
    clear = [
        replace(strategic(i), notice_a=mine["id"], party_b="aid", notice_b=f"x-{i}")
        for i in range(3)
    ]
    with api.line.store.transaction() as tx:
        tx.insert_track_conflicts(redacted)
        tx.insert_conflicts(clear)
    aid, pages = walk(api, "aid", "/v1/conflicts", "conflicts", notice=mine["id"], limit=3)
    assert [c["id"] for c in aid] == ["s-00002", "s-00001", "s-00000"] and pages == 1
