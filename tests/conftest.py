"""Shared fixtures: stores on both databases.

``store`` is parametrized over ``sqlite`` (a file in ``tmp_path``) and ``postgres`` (a fresh schema
on the server at ``DECONFLICTION_TEST_PG``, dropped afterwards). ``make_store(kind)`` opens more
of them (each one a new, empty, migrated database) for tests that need several or a URL.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa

from deconfliction.api.logs import LOGGERS
from deconfliction.store import SqlStore, open_store

PG_URL = os.environ.get(
    "DECONFLICTION_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
STORE_KINDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]

MakeStore = Callable[[str], SqlStore]


@cache
def _pg_admin() -> sa.Engine | str:
    """An engine on the test server with the cube extension in ``public``, or why there is none."""
    engine = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7)"))
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS cube SCHEMA public"))
    except Exception as exc:  # any failure to reach the server means: skip
        engine.dispose()
        reason = str(exc).splitlines()[0]
        return (
            f"PostgreSQL not reachable at {PG_URL}: {reason}; start it or set DECONFLICTION_TEST_PG"
        )
    return engine


def pg_schema_url(schema: str) -> str:
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema},public"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[MakeStore]:
    """A factory: ``make_store("sqlite" | "postgres")`` opens a new, empty, migrated store."""
    opened: list[SqlStore] = []
    schemas: list[str] = []

    def make(kind: str) -> SqlStore:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'line-{len(opened)}.db'}"
        elif kind == "postgres":
            admin = _pg_admin()
            if isinstance(admin, str):
                pytest.skip(admin)
            schema = f"test_{uuid.uuid4().hex[:16]}"
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            schemas.append(schema)
            url = pg_schema_url(schema)
        else:
            raise ValueError(f"unknown store kind {kind!r}; use 'sqlite' or 'postgres'")
        store = open_store(url)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
    if schemas:
        admin = _pg_admin()
        assert not isinstance(admin, str)
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def store(make_store: MakeStore, store_kind: str) -> SqlStore:
    return make_store(store_kind)


@pytest.fixture(autouse=True)
def _process_log_kept() -> Iterator[None]:
    """``serve`` and ``demo`` set up the whole process's log (``api/logformat.py``): the right
    thing for a process, but run in-process by a test (through ``CliRunner``) that set-up would
    outlive it, writing later tests' library messages into their output, to a stream closed
    with the test that opened it. Put back as it was."""
    root = logging.getLogger()
    level, handlers = root.level, set(root.handlers)
    named = [logging.getLogger(n) for n in (*LOGGERS, "deconfliction.requests")]
    kept = [(lg, lg.handlers[:], lg.propagate, lg.level) for lg in named]
    yield
    for h in root.handlers[:]:
        if h not in handlers and h.get_name() == "deconfliction-log":
            root.removeHandler(h)
    root.setLevel(level)
    for lg, was, propagate, lg_level in kept:
        lg.handlers[:] = was
        lg.propagate = propagate
        lg.setLevel(lg_level)
