"""Wake-ups for streams: a waiter behind the log returns at once, is woken by a commit on any
thread, and otherwise returns what it knows when its timeout ends."""

from __future__ import annotations

import asyncio
import threading
import time

from deconfliction.bus import EventSignal


def test_a_waiter_behind_the_signal_returns_at_once() -> None:
    signal = EventSignal()
    signal.notify(5)

    async def main() -> tuple[int, float]:
        started = time.monotonic()
        seq = await signal.wait_async(after=3, timeout_s=10.0)
        return seq, time.monotonic() - started

    seq, took = asyncio.run(main())
    assert seq == 5
    assert took < 5.0  # not the timeout


def test_a_waiter_is_woken_by_notify_from_another_thread() -> None:
    signal = EventSignal()
    signal.notify(3)

    async def main() -> tuple[int, float]:
        started = time.monotonic()
        waiter = asyncio.create_task(signal.wait_async(after=3, timeout_s=10.0))
        await asyncio.sleep(0)  # let it start waiting
        assert not waiter.done()
        notifier = threading.Thread(target=signal.notify, args=(7,))
        notifier.start()
        seq = await asyncio.wait_for(waiter, 10.0)
        notifier.join()
        return seq, time.monotonic() - started

    seq, took = asyncio.run(main())
    assert seq == 7
    assert took < 5.0  # woken, not timed out


def test_every_waiter_on_every_loop_is_woken() -> None:
    signal = EventSignal()
    waiting = threading.Barrier(3)
    results: list[int] = []

    def stream() -> None:
        async def main() -> int:
            task = asyncio.create_task(signal.wait_async(after=0, timeout_s=10.0))
            await asyncio.sleep(0)
            await asyncio.to_thread(waiting.wait, 10.0)  # both streams are waiting
            return await task

        results.append(asyncio.run(main()))

    streams = [threading.Thread(target=stream) for _ in range(2)]
    for s in streams:
        s.start()
    waiting.wait(10.0)
    signal.notify(1)
    for s in streams:
        s.join(10.0)
    assert results == [1, 1]


def test_a_waiter_returns_the_last_known_value_at_timeout() -> None:
    signal = EventSignal()
    signal.notify(4)

    async def main() -> int:
        return await signal.wait_async(after=9, timeout_s=0.05)

    assert asyncio.run(main()) == 4  # nothing newer than 9: what it knows


def test_a_fresh_signal_times_out_at_zero() -> None:
    async def main() -> int:
        return await EventSignal().wait_async(after=0, timeout_s=0.02)

    assert asyncio.run(main()) == 0


def test_an_older_notify_does_not_move_the_signal_back() -> None:
    signal = EventSignal()
    signal.notify(8)
    signal.notify(6)  # a slower commit reporting late

    async def main() -> int:
        return await signal.wait_async(after=7, timeout_s=0.02)

    assert signal.last == 8
    assert asyncio.run(main()) == 8


def test_a_member_recheck_wakes_every_waiter_and_one_that_missed_it() -> None:
    signal = EventSignal()
    signal.notify(3)
    seen = signal.members

    async def main() -> tuple[int, float, float]:
        started = time.monotonic()
        waiter = asyncio.create_task(signal.wait_async(after=3, timeout_s=10.0))
        await asyncio.sleep(0)
        assert not waiter.done()
        signal.recheck_members()  # no new event: the waiter still wakes, with what it had
        seq = await asyncio.wait_for(waiter, 10.0)
        woken = time.monotonic() - started
        # a stream busy reading when the re-check came does not wait for its timeout after
        late = time.monotonic()
        await signal.wait_async(after=3, timeout_s=10.0, members=seen)
        return seq, woken, time.monotonic() - late

    seq, woken, late = asyncio.run(main())
    assert seq == 3 and woken < 5.0 and late < 5.0


def test_a_commit_here_is_forwarded_to_the_other_nodes_and_what_they_say_is_not() -> None:
    signal = EventSignal()
    told: list[int] = []
    signal.forward_to(told.append)
    signal.notify(4)  # committed in this process
    assert signal.heard(6)  # another node's commit: news
    assert not signal.heard(5)  # older than what is known: not news
    assert told == [4]
    assert signal.last == 6
    signal.forward_to(None)
    signal.notify(7)
    assert told == [4]
