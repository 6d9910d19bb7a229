"""The runner's watchdog: one timer for the total timeouts of many calls.

Most tests run on a loop whose clock moves only when the test moves it (``VirtualLoop``), so
deadlines, rounding, races and re-arming are exact and take no real time. Its timers are
asyncio's own: ``call_at`` handles fire when the virtual clock reaches them.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_pure.shell.watchdog import CEIL_THRESHOLD, UNWATCHED, Cause, Watchdog

T = TypeVar("T")


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock is ``now``, moved by the test; it remembers the timers the
    watchdog armed."""

    def __init__(self, start: float = 1000.0) -> None:
        super().__init__()
        self.now = start
        self.watchdog_timers: list[asyncio.TimerHandle] = []

    def time(self) -> float:
        return self.now

    def call_at(  # type: ignore[override]
        self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        handle = super().call_at(when, callback, *args, context=context)
        if getattr(callback, "__func__", None) is Watchdog._expire:
            self.watchdog_timers.append(handle)
        return handle

    async def settle(self) -> None:
        """Let every callback and task that is due run (a few loop iterations)."""
        for _ in range(6):
            await asyncio.sleep(0)

    async def advance_to(self, when: float) -> None:
        """Let what is due now run, then move the clock to ``when`` and let what is due run."""
        assert when >= self.now
        await self.settle()
        self.now = when
        await self.settle()

    def live_watchdog_timers(self) -> list[asyncio.TimerHandle]:
        """Timers the watchdog armed that are neither cancelled nor run yet."""
        return [h for h in self.watchdog_timers if not h.cancelled() and h.when() > self.now]


def on_virtual_loop(body: Callable[[VirtualLoop], Coroutine[Any, Any, T]]) -> T:
    loop = VirtualLoop()
    try:
        return loop.run_until_complete(body(loop))
    finally:  # a failed test may leave tasks: end them before the loop goes
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.wait(left))
        loop.close()


Outcome = tuple[str, float, Cause | None, int]  # (how it ended, when, stop()'s cause, count)


async def watched(
    loop: VirtualLoop, dog: Watchdog, seconds: float, work: Callable[[], Awaitable[object]]
) -> Outcome:
    """One watched call, as the runner makes it: 'done' or 'cancelled', when, the cause
    stop() gave, and the task's cancellation count once the watch ended."""
    watch = dog.watch(seconds)
    assert watch is not None
    task = asyncio.current_task()
    assert task is not None
    try:
        await work()
        outcome, cause = "done", None
    except asyncio.CancelledError:
        cause = watch.stop()
        if cause is None:
            raise
        outcome = "cancelled"
    finally:
        watch.stop()
    return outcome, loop.time(), cause, task.cancelling()


def sleep_for(seconds: float) -> Callable[[], Awaitable[object]]:
    return lambda: asyncio.sleep(seconds)


def expected_deadline(start: float, timeout: float) -> float:
    """The rule: exact below the threshold, the next whole second from it on (aiohttp's)."""
    end = start + timeout
    return float(math.ceil(end)) if timeout >= CEIL_THRESHOLD else end


# ---------------------------------------------------------------- deadlines and the one timer


def test_long_timeouts_end_on_the_next_whole_second_and_share_one_timer() -> None:
    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        loop.now = 100.3
        tasks = []
        for _ in range(50):  # started over 0.5 s: all end at 221.0
            tasks.append(asyncio.create_task(watched(loop, dog, 120.0, sleep_for(1e6))))
            await loop.advance_to(loop.now + 0.01)
        assert dog.pending == 50
        assert [h.when() for h in loop.watchdog_timers] == [221.0]  # armed once, never again
        await loop.advance_to(220.999)
        assert not any(t.done() for t in tasks)
        await loop.advance_to(221.0)
        outcomes = [t.result() for t in tasks]
        assert outcomes == [("cancelled", 221.0, Cause.DEADLINE, 0)] * 50
        assert dog.pending == 0
        assert dog.armed_for is None
        assert loop.live_watchdog_timers() == []

    on_virtual_loop(body)


@pytest.mark.parametrize(
    ("timeout", "deadline"),
    [(0.25, 10.35), (1.0, 11.1), (4.999, 15.099), (5.0, 16.0), (5.5, 16.0), (300.0, 311.0)],
)
def test_short_timeouts_are_exact_and_long_ones_rounded_up(timeout: float, deadline: float) -> None:
    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        loop.now = 10.1
        task = asyncio.create_task(watched(loop, dog, timeout, sleep_for(1e6)))
        await loop.settle()
        armed = dog.armed_for
        assert armed == pytest.approx(deadline)
        assert armed is not None
        await loop.advance_to(armed - 1e-6)
        assert not task.done()
        await loop.advance_to(armed)
        assert task.result()[:3] == ("cancelled", dog_deadline, Cause.DEADLINE)

    dog_deadline = expected_deadline(10.1, timeout)
    assert dog_deadline == pytest.approx(deadline)
    on_virtual_loop(body)


def test_an_earlier_deadline_rearms_and_ended_calls_leave_no_timer() -> None:
    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        loop.now = 0.0
        long = asyncio.create_task(watched(loop, dog, 60.0, sleep_for(2.0)))
        await loop.settle()
        assert dog.armed_for == 60.0
        short = asyncio.create_task(watched(loop, dog, 0.5, sleep_for(0.1)))
        await loop.settle()
        assert dog.armed_for == 0.5  # the earlier deadline took the timer
        await loop.advance_to(0.1)
        assert short.result()[:2] == ("done", 0.1)
        await loop.advance_to(0.5)  # the timer finds the short call gone, and moves on
        assert dog.armed_for == 60.0
        await loop.advance_to(2.0)
        assert long.result()[:2] == ("done", 2.0)
        assert dog.pending == 0
        await loop.advance_to(60.0)  # fires once more, finds nothing, and stays unarmed
        assert dog.armed_for is None
        assert [h.when() for h in loop.watchdog_timers] == [60.0, 0.5, 60.0]
        assert loop.live_watchdog_timers() == []

    on_virtual_loop(body)


def test_timer_skips_every_emptied_bucket_at_once() -> None:
    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        loop.now = 0.0
        quick = []
        for second in range(10):  # ten buckets, 10 s apart, whose calls all end at once
            quick.append(asyncio.create_task(watched(loop, dog, 10.0 + second, sleep_for(0.5))))
        late = asyncio.create_task(watched(loop, dog, 30.0, sleep_for(1e6)))
        await loop.settle()
        await loop.advance_to(0.5)
        assert all(t.result()[0] == "done" for t in quick)
        await loop.advance_to(10.0)  # the first bucket's timer drops the nine empty ones too
        assert dog.armed_for == 30.0
        await loop.advance_to(30.0)
        assert late.result()[:3] == ("cancelled", 30.0, Cause.DEADLINE)
        assert [h.when() for h in loop.watchdog_timers] == [10.0, 30.0]

    on_virtual_loop(body)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40).map(lambda q: q / 4),  # when the call starts
            st.sampled_from([0.25, 0.5, 1.0, 2.5, 4.75, 5.0, 7.25, 30.0, 60.0]),  # its timeout
            st.one_of(st.none(), st.integers(0, 60).map(lambda q: q / 2)),  # when it would end
        ),
        min_size=1,
        max_size=25,
    )
)
def test_many_calls_each_end_at_their_own_deadline_or_their_own_end(
    calls: list[tuple[float, float, float | None]],
) -> None:
    """Model: a call ends by itself if its work ends strictly before its deadline (exact
    below 5 s, the next whole second from 5 s on); otherwise it is cancelled exactly at the
    deadline, with the cause DEADLINE and its task's cancellation count back at 0."""

    async def call(start: float, seconds: float, work: float) -> Outcome:
        await asyncio.sleep(start)
        return await watched(loop, dog, seconds, sleep_for(work))

    dog = Watchdog()
    loop: VirtualLoop

    async def body(running: VirtualLoop) -> None:
        nonlocal loop
        loop = running
        loop.now = 0.0
        tasks, expected = [], []
        for start, timeout, ends in calls:
            work = 1e6 if ends is None else ends
            tasks.append(asyncio.create_task(call(start, timeout, work)))
            deadline = expected_deadline(start, timeout)
            end = start + work
            expected.append(
                ("done", end, None, 0)
                if end < deadline
                else ("cancelled", deadline, Cause.DEADLINE, 0)
            )
        await loop.settle()
        deadlines = {expected_deadline(s, t) for s, t, _ in calls}
        moments = sorted({e[1] for e in expected} | {s for s, _, _ in calls} | deadlines)
        for moment in moments:
            await loop.advance_to(moment)
            for task, want in zip(tasks, expected, strict=True):
                if want[1] <= moment:
                    assert task.done()
                    assert task.result() == want
                else:
                    assert not task.done()  # never cancelled early
        assert dog.pending == 0
        assert dog.armed_for is None
        assert loop.live_watchdog_timers() == []  # gone once the last deadline passed
        assert len(loop.watchdog_timers) <= 2 * len(deadlines)  # armed per bucket, not per call

    on_virtual_loop(body)


# ---------------------------------------------------------------- races and cancellation state


@pytest.mark.parametrize("result_first", [True, False])
def test_a_call_ending_exactly_at_its_deadline_times_out_cleanly(result_first: bool) -> None:
    """Its reply and its deadline in the same loop iteration, in either order: the call times
    out (the deadline is inclusive, as asyncio.timeout's), and the task is left as it was."""

    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        reply: asyncio.Future[str] = loop.create_future()
        deadline = loop.now + 0.5

        def answer() -> None:
            if not reply.done():
                reply.set_result("reply")

        if result_first:
            loop.call_at(deadline, answer)
        task = asyncio.create_task(watched(loop, dog, 0.5, lambda: reply))
        await loop.settle()
        assert dog.armed_for == deadline
        if not result_first:
            loop.call_at(deadline, answer)
        await loop.advance_to(deadline)
        assert task.result() == ("cancelled", deadline, Cause.DEADLINE, 0)

    on_virtual_loop(body)


def test_a_call_ending_just_before_its_deadline_keeps_its_reply() -> None:
    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        reply: asyncio.Future[str] = loop.create_future()
        deadline = loop.now + 0.5
        loop.call_at(deadline - 1e-6, reply.set_result, "reply")
        task = asyncio.create_task(watched(loop, dog, 0.5, lambda: reply))
        await loop.advance_to(deadline - 1e-6)
        assert task.result()[0] == "done"
        await loop.advance_to(deadline)  # the timer finds nothing to cancel
        assert dog.armed_for is None

    on_virtual_loop(body)


def test_a_callers_cancel_propagates() -> None:
    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        task = asyncio.create_task(watched(loop, dog, 10.0, sleep_for(1e6)))
        await loop.advance_to(loop.now + 1.0)
        task.cancel()
        await loop.settle()
        assert task.cancelled()
        assert dog.pending == 0

    on_virtual_loop(body)


@pytest.mark.parametrize("caller_first", [True, False])
def test_a_callers_cancel_at_the_same_moment_as_the_deadline_propagates(caller_first: bool) -> None:
    """The caller's task.cancel() and the watchdog's in one loop iteration, in either order:
    the caller's cancellation wins (stop() answers None) and the task ends cancelled."""

    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        deadline = loop.now + 0.5
        task = asyncio.create_task(watched(loop, dog, 0.5, sleep_for(1e6)))
        if caller_first:  # scheduled before the task runs, so before the watchdog's timer
            loop.call_at(deadline, task.cancel)
        await loop.settle()
        assert dog.armed_for == deadline
        if not caller_first:
            loop.call_at(deadline, task.cancel)
        await loop.advance_to(deadline)
        assert task.cancelled()

    on_virtual_loop(body)


def test_an_earlier_cancel_request_is_kept_and_does_not_hide_the_deadline() -> None:
    """A task already asked to cancel once (and that carried on) times out as DEADLINE, and
    its count stays what it was before the watch."""

    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()

        async def stubborn() -> Outcome:
            with contextlib.suppress(asyncio.CancelledError):  # no uncancel(): the count stays 1
                await asyncio.sleep(1e6)
            return await watched(loop, dog, 0.5, sleep_for(1e6))

        task = asyncio.create_task(stubborn())
        await loop.settle()
        task.cancel()
        await loop.settle()
        await loop.advance_to(loop.now + 0.5)
        assert task.result()[2:] == (Cause.DEADLINE, 1)

    on_virtual_loop(body)


def test_a_cancellation_swallowed_inside_the_call_still_restores_the_count() -> None:
    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()

        async def swallows() -> None:
            with contextlib.suppress(asyncio.CancelledError):  # as a library might, cleaning up
                await asyncio.sleep(1e6)

        task = asyncio.create_task(watched(loop, dog, 0.5, swallows))
        await loop.advance_to(loop.now + 0.5)
        assert task.result()[0] == "done"
        assert task.result()[3] == 0  # the watchdog's cancel was taken back

    on_virtual_loop(body)


# ---------------------------------------------------------------- closing, and odd timeouts


def test_close_cancels_what_is_watched_and_leaves_no_timer() -> None:
    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        tasks = [
            asyncio.create_task(watched(loop, dog, t, sleep_for(1e6))) for t in (0.5, 8.0, 90.0)
        ]
        await loop.settle()
        assert dog.pending == 3
        dog.close()
        await loop.settle()
        assert [t.result()[::2] for t in tasks] == [("cancelled", Cause.CLOSED)] * 3
        assert [t.result()[3] for t in tasks] == [0, 0, 0]
        assert dog.closed
        assert dog.pending == 0
        assert dog.armed_for is None
        assert loop.live_watchdog_timers() == []
        assert dog.watch(1.0) is None  # a closed watchdog watches nothing more
        dog.close()  # twice is fine
        assert asyncio.all_tasks() == {asyncio.current_task()}

    on_virtual_loop(body)


@pytest.mark.parametrize("timeout", [None, 0.0, -1.0, math.inf, math.nan])
def test_no_deadline_sets_no_timer(timeout: float | None) -> None:
    async def body(loop: VirtualLoop) -> None:
        dog = Watchdog()
        watch = dog.watch(timeout)
        assert watch is UNWATCHED
        assert dog.armed_for is None
        assert watch.stop() is None

    on_virtual_loop(body)


def test_it_moves_to_a_new_loop_only_when_nothing_is_watched() -> None:
    dog = Watchdog()

    async def one_call(loop: VirtualLoop) -> Outcome:
        task = asyncio.create_task(watched(loop, dog, 0.5, sleep_for(1e6)))
        await loop.advance_to(loop.now + 0.5)
        return task.result()

    assert on_virtual_loop(one_call)[2] is Cause.DEADLINE
    assert on_virtual_loop(one_call)[2] is Cause.DEADLINE  # the second loop works as well

    async def leave_one_watched(loop: VirtualLoop) -> None:
        dog.watch(10.0)  # never stopped: still watched when this loop ends

    on_virtual_loop(leave_one_watched)

    async def from_another_loop(loop: VirtualLoop) -> None:
        with pytest.raises(RuntimeError, match="two event loops"):
            dog.watch(1.0)

    on_virtual_loop(from_another_loop)


async def test_on_a_real_loop_a_short_timeout_cancels_on_time() -> None:
    dog = Watchdog()
    loop = asyncio.get_running_loop()
    started = loop.time()
    watch = dog.watch(0.05)
    assert watch is not None
    with pytest.raises(asyncio.CancelledError):
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            assert watch.stop() is Cause.DEADLINE
            raise
    assert 0.05 <= loop.time() - started < 1.0
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    await asyncio.sleep(0.01)  # the task is not left cancelled
    dog.close()
