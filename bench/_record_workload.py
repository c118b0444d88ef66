"""Workloads of the record benchmark (bench/record.py): realistic events, lines built in bulk,
a throwaway PostgreSQL schema, and the synthetic leaves of the 10,000,000-entry tree.

Events are what a busy line appends: notice versions (``notice.created`` / ``notice.updated``,
bodies from ``service.wire.notice_json`` with 1-3 circles or corridors) and receipt
batches (``receipt.recorded``, 1-4 receipts): bodies of 160-1,340 bytes, 630 on average. Event
``i`` is the same on every run.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from deconfliction.domain import (
    AltitudeBand,
    Audience,
    Event,
    EventKind,
    Footprint,
    FootprintKind,
    Notice,
    NoticeKind,
    TimeWindow,
    Volume,
)
from deconfliction.domain.receipt import Receipt
from deconfliction.record.tree import leaf_hash
from deconfliction.store.base import Store
from deconfliction.wire import notice_json, receipt_json

__all__ = [
    "PG_URL",
    "append",
    "events",
    "pg_schema",
    "synthetic_entry",
    "synthetic_leaves",
]

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
PARTIES = [f"party-{i:02d}" for i in range(24)]
TITLES = ["Survey flights", "Medical supply drops", "Search and rescue", "Aerial mapping",
          "Firefighting", "Cargo shuttle", "Training area"]  # fmt: skip


def _notice(r: random.Random, i: int) -> tuple[Notice, Audience]:
    lon, lat = 4.0 + r.uniform(-3, 3), 52.0 + r.uniform(-2, 2)
    start = T0 + timedelta(seconds=i * 7)
    volumes = []
    for k in range(r.choice((1, 1, 2, 3))):
        if r.random() < 0.7:
            fp = Footprint(
                FootprintKind.CIRCLE, (((lon + k * 0.05, lat),),), round(r.uniform(500, 20_000), 1)
            )
        else:
            leg = tuple((lon + j * 0.1, lat + r.uniform(-0.05, 0.05)) for j in range(4))
            fp = Footprint(FootprintKind.CORRIDOR, (leg,), 250.0)
        window = TimeWindow(start, start + timedelta(minutes=r.randint(30, 240)))
        volumes.append(Volume(fp, window, AltitudeBand(0.0, float(r.randint(120, 3000)))))
    party = r.choice(PARTIES)
    audience = (
        Audience(everyone=True)
        if r.random() < 0.3
        else Audience(parties=frozenset(r.sample(PARTIES, r.randint(1, 4))))
    )
    notice = Notice(
        id=str(uuid.UUID(int=r.getrandbits(128), version=4)),
        party=party,
        kind=r.choice(list(NoticeKind)),
        volumes=tuple(volumes),
        audience=audience,
        created_at=start - timedelta(minutes=30),
        updated_at=start - timedelta(minutes=r.randint(0, 30)),
        title=r.choice(TITLES),
        version=r.randint(1, 4),
    )
    told = audience if audience.everyone else Audience(parties=audience.parties | {party})
    return notice, told


def event(i: int) -> Event:
    """Event ``i`` of the workload (70 % notice versions, 30 % receipt batches)."""
    r = random.Random(i)
    at = T0 + timedelta(microseconds=i * 7_001)
    notice, told = _notice(r, i)
    if r.random() < 0.7:
        kind = EventKind.NOTICE_CREATED if notice.version == 1 else EventKind.NOTICE_UPDATED
        return Event(0, kind, at, notice.id, notice.party, told, {"notice": notice_json(notice)})
    receipts = [
        Receipt(notice.id, notice.version, p, delivered_at=at - timedelta(seconds=r.randint(1, 90)))
        for p in sorted(r.sample(PARTIES, r.randint(1, 4)))
    ]
    body = {"receipts": [receipt_json(x, _as_is) for x in receipts]}
    owner = Audience(parties=frozenset({notice.party}))
    return Event(0, EventKind.RECEIPT_RECORDED, at, notice.id, notice.party, owner, body)


def events(first: int, n: int) -> list[Event]:
    return [event(i) for i in range(first, first + n)]


def append(
    store: Store, n: int, per_tx: int, tick: Callable[[int], None] | None = None, first: int = 0
) -> float:
    """Append events ``first`` to ``first + n - 1`` in transactions of ``per_tx``; the seconds
    the transactions took (the events are made outside them, in slices of 10,000, untimed)."""
    spent = 0.0
    for lo in range(first, first + n, 10_000):
        made = events(lo, min(10_000, first + n - lo))
        for k in range(0, len(made), per_tx):
            t = time.perf_counter()
            with store.transaction() as tx:
                tx.lock_for_notice_write()
                tx.append_events(made[k : k + per_tx])
            spent += time.perf_counter() - t
            if tick is not None:
                tick(len(made[k : k + per_tx]))
    return spent


def synthetic_entry(i: int) -> bytes:
    """Entry ``i`` of the 10,000,000-entry tree (the peer hashes the same bytes)."""
    return b"deconfliction record bench entry %d" % i


def synthetic_leaves(lo: int, hi: int) -> list[bytes]:
    return [leaf_hash(synthetic_entry(i)) for i in range(lo, hi)]


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh schema on the test server (``search_path`` set in the URL), dropped afterwards;
    raises ``ConnectionError`` saying why when the server cannot be reached."""
    admin = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool)
    schema = f"bench_record_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS cube SCHEMA public"))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any failure to reach the server means: skip
        admin.dispose()
        raise ConnectionError(f"{PG_URL}: {str(exc).splitlines()[0]}") from None
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema},public"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _as_is(_party: str, member: str) -> str:
    """Members named by their ids (the workload's receipts carry none)."""
    return member
