"""Write-behind batches: what many threads hand in is written together, the first value for a
key stands, and nothing is lost when a write fails."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest

from deconfliction.bus import Batch
from tests.waiting import WAIT_S

LONG = 3600.0  # an interval the test never reaches: only an explicit flush writes


class Store:
    """A stand-in for the store's write: records every call, optionally failing some."""

    def __init__(self, fail: Callable[[int], bool] = lambda call: False) -> None:
        self.calls: list[dict[str, int]] = []
        self.attempts = 0
        self.fail = fail
        self.lock = threading.Lock()
        self.written = threading.Event()

    def write(self, items: dict[str, int]) -> int:
        with self.lock:
            self.attempts += 1
            if self.fail(self.attempts):
                raise OSError("database is locked")
            self.calls.append(dict(items))
        self.written.set()
        return len(items)


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def test_items_from_many_threads_are_written_in_one_call() -> None:
    store = Store()
    batch: Batch[str, int] = Batch(store.write, LONG, "receipts-test")
    start = threading.Barrier(8)

    def deliver(t: int) -> None:
        start.wait()
        for i in range(50):
            batch.add([(f"t{t}-{i}", t)])

    threads = [threading.Thread(target=deliver, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert store.calls == []  # nothing written until asked (or the interval passes)
    assert batch.flush() == 400
    assert len(store.calls) == 1
    assert store.calls[0] == {f"t{t}-{i}": t for t in range(8) for i in range(50)}
    assert batch.flush() == 0  # nothing pending: no empty write
    assert len(store.calls) == 1


def test_the_first_value_for_a_key_stands() -> None:
    store = Store()
    batch: Batch[str, int] = Batch(store.write, LONG, "receipts-test")
    batch.add([("n-1/un-ocha", 1), ("n-2/un-ocha", 5)])  # first delivered at 1
    batch.add([("n-1/un-ocha", 2), ("n-1/un-ocha", 3)])  # seen again later
    assert batch.flush() == 2
    assert store.calls == [{"n-1/un-ocha": 1, "n-2/un-ocha": 5}]


def test_a_failed_write_keeps_the_items_for_the_next_flush() -> None:
    store = Store(fail=lambda call: call == 1)
    batch: Batch[str, int] = Batch(store.write, LONG, "receipts-test")
    batch.add([("a", 1), ("b", 2)])
    with pytest.raises(OSError, match="database is locked"):
        batch.flush()
    assert store.calls == []
    batch.add([("a", 9), ("c", 3)])  # "a" is still pending with its first value
    assert batch.flush() == 3
    assert store.calls == [{"a": 1, "b": 2, "c": 3}]


def test_the_first_value_stands_even_when_a_write_fails_midway() -> None:
    batch: Batch[str, int]

    def write(items: dict[str, int]) -> int:
        if not written:
            batch.add([("a", 2)])  # another thread sees the same thing while this write runs
            written.append(items)
            raise OSError("database is locked")
        written.append(items)
        return len(items)

    written: list[dict[str, int]] = []
    batch = Batch(write, LONG, "receipts-test")
    batch.add([("a", 1)])
    with pytest.raises(OSError):
        batch.flush()
    batch.flush()
    assert written[-1] == {"a": 1}


def test_the_background_thread_writes_without_a_flush() -> None:
    store = Store()
    batch: Batch[str, int] = Batch(store.write, 0.01, "receipts-test")
    batch.add([("a", 1), ("b", 2)])
    assert store.written.wait(10.0), "the batch was not written within 10 s"
    assert wait_for(lambda: sum(len(c) for c in store.calls) == 2)
    assert {k: v for c in store.calls for k, v in c.items()} == {"a": 1, "b": 2}


def test_the_background_thread_outlives_a_failed_write(caplog: pytest.LogCaptureFixture) -> None:
    store = Store(fail=lambda call: call <= 2)
    batch: Batch[str, int] = Batch(store.write, 0.01, "receipts-test")
    with caplog.at_level(logging.ERROR, logger="deconfliction.bus.batch"):
        batch.add([("a", 1)])
        assert store.written.wait(10.0), "the batch was not written within 10 s"
    assert store.calls == [{"a": 1}]  # written once it could be, not lost
    failures = [r for r in caplog.records if r.name == "deconfliction.bus.batch"]
    assert len(failures) == 2
    assert all("receipts-test" in r.getMessage() for r in failures)  # the log says which batch


def test_flush_returns_only_once_a_write_under_way_has_ended() -> None:
    # a line that stops flushes its deliveries: they must be written when flush returns, even
    # when the batch's own thread took them a moment before
    started, release, done = threading.Event(), threading.Event(), threading.Event()
    written: list[dict[str, int]] = []

    def write(items: dict[str, int]) -> int:
        started.set()
        release.wait(WAIT_S)
        written.append(items)
        return len(items)

    batch: Batch[str, int] = Batch(write, 0.01, "test")
    batch.add([("a", 1)])
    assert started.wait(WAIT_S)  # the batch's thread is writing {"a": 1}
    flusher = threading.Thread(target=lambda: (batch.flush(), done.set()))
    flusher.start()
    assert not done.wait(0.2)  # still being written: flush waits for it
    release.set()
    assert done.wait(WAIT_S)
    flusher.join(WAIT_S)
    assert written == [{"a": 1}]
