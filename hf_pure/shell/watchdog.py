"""One timer for all of a runner's calls: the total timeout of each, without a timer each.

aiohttp's ``ClientTimeout(total=...)`` arms a timer per request and enters a timer context
per read (~20 µs a request). The runner instead registers each call here: its task and its
deadline go into a bucket, and one ``loop.call_at`` stays armed for the earliest deadline.
When it fires, every call in the buckets that are due is cancelled, and the timer is armed
again for the next bucket that still holds a call. A deadline ``CEIL_THRESHOLD`` (5 s) or
more away is rounded up to a whole second of the loop's clock, as aiohttp rounds its own
timeouts, so the calls of one second share a bucket and the timer is rarely re-armed; a
shorter timeout keeps its exact deadline.

    watch = watchdog.watch(seconds)           # None once the watchdog is closed
    try:
        ...                                   # the call, in the task that watched
    except asyncio.CancelledError:
        cause = watch.stop()
        if cause is None:                     # cancelled by someone else: theirs to see
            raise
        ...                                   # Cause.DEADLINE: timed out; Cause.CLOSED
    finally:
        watch.stop()                          # always; a second stop() does nothing

A watch the watchdog cancelled restores the task's cancellation count (``Task.uncancel``),
as ``asyncio.timeout`` does, and ``stop()`` answers its cause only when nobody else asked to
cancel the task meanwhile: a caller's own ``task.cancel()``, even one arriving with the
watchdog's, still propagates as ``CancelledError``. :meth:`Watchdog.close` cancels the timer
and every call still watched (their cause is ``Cause.CLOSED``); a closed watchdog watches
nothing more.
"""

from __future__ import annotations

import asyncio
import enum
from heapq import heappop, heappush
from math import inf
from typing import Final

__all__ = ["CEIL_THRESHOLD", "UNWATCHED", "Cause", "Watch", "Watchdog"]

#: Timeouts of at least this many seconds end on a whole second (aiohttp's ceil_threshold).
CEIL_THRESHOLD: Final = 5.0

_Bucket = dict["Watch", None]  # the calls of one deadline, in the order they were watched


class Cause(enum.Enum):
    """Why the watchdog cancelled a call."""

    DEADLINE = "deadline"  # its timeout passed
    CLOSED = "closed"  # the watchdog (its runner) was closed


class Watch:
    """One watched call. Made by :meth:`Watchdog.watch`; :meth:`stop` ends it."""

    __slots__ = ("_bucket", "_cancelling", "_cause", "_task")

    def __init__(self, task: asyncio.Task[object] | None, bucket: _Bucket | None) -> None:
        self._task = task
        self._bucket = bucket  # None once stopped or fired
        self._cancelling = task.cancelling() if task is not None else 0
        self._cause: Cause | None = None  # set when the watchdog cancelled the task

    def stop(self) -> Cause | None:
        """Stop watching. The cause, when the watchdog cancelled the task and nobody else
        did (the caller then turns its ``CancelledError`` into that outcome); else None."""
        bucket = self._bucket
        if bucket is not None:  # the common end: still watched, never fired
            self._bucket = None
            del bucket[self]
            return None
        cause = self._cause
        if cause is None:  # stopped already, or never watched
            return None
        self._cause = None
        task = self._task
        assert task is not None  # only a watch of a task can fire
        if task.uncancel() > self._cancelling:  # someone else asked to cancel the task too
            return None
        return cause

    def _fire(self, cause: Cause) -> None:
        self._bucket = None
        self._cause = cause
        task = self._task
        assert task is not None
        task.cancel()


#: The watch of a call with no deadline: stop() does nothing and answers None.
UNWATCHED: Final = Watch(None, None)


class Watchdog:
    """The total timeouts of many calls on one event loop, with one timer.

    Bound to the loop of its first :meth:`watch`; a watch made from another loop, when no
    call of the first is still watched, moves it there.
    """

    __slots__ = ("_buckets", "_closed", "_handle", "_heap", "_loop", "_when")

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._buckets: dict[float, _Bucket] = {}
        self._heap: list[float] = []  # the buckets' deadlines
        self._handle: asyncio.TimerHandle | None = None
        self._when = inf  # the deadline the timer is armed for
        self._closed = False

    # -- for the runner ----------------------------------------------------------------------

    def watch(self, timeout: float | None) -> Watch | None:
        """Watch the current task for ``timeout`` seconds from now: it is cancelled when they
        pass, unless the watch is stopped first. None when the watchdog is closed. A timeout
        that is None, not positive or not finite sets no deadline (as aiohttp's ``total``
        does), and gives :data:`UNWATCHED`."""
        if self._closed:
            return None
        if timeout is None or not 0 < timeout < inf:
            return UNWATCHED
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._bind(loop)
        task = asyncio.current_task(loop)
        if task is None:  # a coroutine driven by hand, outside any task: nothing to cancel
            return UNWATCHED
        deadline = loop.time() + timeout
        if timeout >= CEIL_THRESHOLD:
            deadline = -(-deadline // 1.0)  # up to the next whole second, still a float
        bucket = self._buckets.get(deadline)
        if bucket is None:
            bucket = self._buckets[deadline] = {}
            heappush(self._heap, deadline)
            if deadline < self._when:
                self._arm(deadline)
        watch = Watch(task, bucket)
        bucket[watch] = None
        return watch

    def close(self) -> None:
        """Cancel the timer and every call still watched (cause ``Cause.CLOSED``); watch
        nothing from now on. Closing again does nothing."""
        self._closed = True
        self._disarm()
        buckets, self._buckets, self._heap = self._buckets, {}, []
        for bucket in buckets.values():
            for watch in tuple(bucket):
                watch._fire(Cause.CLOSED)

    # -- for tests and the curious -----------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        """How many calls are watched now."""
        return sum(len(bucket) for bucket in self._buckets.values())

    @property
    def armed_for(self) -> float | None:
        """The loop time the timer will fire at, or None when it is not armed."""
        return self._when if self._handle is not None else None

    # -- machinery ---------------------------------------------------------------------------

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.pending:
            raise RuntimeError(
                "a runner is used from two event loops at once: make one runner per loop"
            )
        self._disarm()
        self._buckets, self._heap = {}, []
        self._loop = loop

    def _arm(self, when: float) -> None:
        loop = self._loop
        assert loop is not None
        if self._handle is not None:
            self._handle.cancel()
        self._when = when
        self._handle = loop.call_at(when, self._expire)

    def _disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._when = inf

    def _expire(self) -> None:
        """The timer: cancel the calls that are due, then arm for the next one still watched."""
        loop = self._loop
        assert loop is not None
        # the loop may run a timer up to its clock resolution early: what it was armed for is due
        due = max(loop.time(), self._when)
        self._handle = None
        self._when = inf
        heap, buckets = self._heap, self._buckets
        while heap and heap[0] <= due:
            for watch in tuple(buckets.pop(heappop(heap))):
                watch._fire(Cause.DEADLINE)
        while heap and not buckets[heap[0]]:  # buckets whose calls all ended: nothing to fire
            del buckets[heappop(heap)]
        if heap:
            self._arm(heap[0])
