"""Duties on a clock: called again and again until stopped, and never stopped by one failure."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest

from deconfliction.bus import Periodic


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def alive(name: str) -> bool:
    return any(t.name == name and t.is_alive() for t in threading.enumerate())


def test_a_duty_runs_repeatedly_until_stopped() -> None:
    calls: list[str] = []
    p = Periodic(0.01, lambda: calls.append(threading.current_thread().name), "escalate-test")
    p.start()
    try:
        assert wait_for(lambda: len(calls) >= 3), f"only {len(calls)} runs in 10 s"
    finally:
        p.stop()
    assert not alive("escalate-test")  # stop() returns once the thread has ended: no more runs
    assert set(calls) == {"escalate-test"}  # in its own, named thread
    assert p.failures == 0


def test_a_failing_duty_is_counted_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    def duty() -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise RuntimeError("store unreachable")

    p = Periodic(0.01, duty, "scan-test")
    with caplog.at_level(logging.ERROR, logger="deconfliction.bus.periodic"):
        p.start()
        try:
            assert wait_for(lambda: calls >= 4), f"only {calls} runs in 10 s"
        finally:
            p.stop()
    assert p.failures == 2
    logged = [r for r in caplog.records if r.name == "deconfliction.bus.periodic"]
    assert [r.getMessage() for r in logged] == ["scan-test failed"] * 2
    assert all(r.exc_info and "store unreachable" in str(r.exc_info[1]) for r in logged)


def test_stop_before_start_and_twice_is_harmless() -> None:
    p = Periodic(0.01, lambda: None, "idle-test")
    p.stop()
    p.stop()
    assert not alive("idle-test") and p.failures == 0


def test_the_interval_is_kept_between_runs() -> None:
    times: list[float] = []
    p = Periodic(0.2, lambda: times.append(time.monotonic()), "slow-test")
    p.start()
    try:
        assert wait_for(lambda: len(times) >= 2)
    finally:
        p.stop()
    # the second run waits out the interval: not a busy loop
    assert times[1] - times[0] >= 0.19
