"""The sync runner's engine: one event loop on a background thread, and the calls other
threads hand to it (see :mod:`hf_pure.shell.sync`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Final, Generic, TypeVar

from hf_pure.core.config import ClientConfig
from hf_pure.core.secret import Secret
from hf_pure.shell.runner import Runner, _Unset, open_runner

__all__ = ["CANCEL_WAIT", "MAIN_TASK", "ON_LOOP", "SYNC_CLOSED", "Call", "Closed", "LoopThread"]

T = TypeVar("T")

#: Seconds an interrupted call (Ctrl-C) waits for its cancellation to finish on the loop
#: before the ``KeyboardInterrupt`` propagates (a cancelled call releases its connection at
#: once; this only bounds the wait if the loop is stuck in someone's callback).
CANCEL_WAIT: Final = 5.0

#: Why a call to a closed sync runner fails (``ConnectionFailed.reason``, or the message of
#: the ``RuntimeError`` of a call that has no ``Result`` to say it in).
SYNC_CLOSED: Final = (
    "the sync runner was closed (its `with open_sync_runner()` block ended or close() was called)"
)

#: The name of the task that holds the runner open on the loop (the only one left when no
#: call is running).
MAIN_TASK: Final = "hf_pure sync runner"

ON_LOOP: Final = (
    "a sync runner was called from its own event loop thread (an on_change callback, for "
    "instance): it would wait for itself forever; use the async runner there"
)


class Closed(RuntimeError):
    """Raised by :meth:`LoopThread.call` when the runner is closed: the calls that return a
    ``Result`` map it to ``ConnectionFailed``; the others let it out, saying why."""

    def __init__(self) -> None:
        super().__init__(SYNC_CLOSED)


class Call(Generic[T]):
    """One coroutine handed to the loop, and the future its caller waits on.

    The loop starts it with :meth:`LoopThread._start` and settles ``future`` from the task's
    end (:meth:`done`); ``cancel`` (on the loop) reaches it whether it has started or not.
    """

    __slots__ = ("calls", "cancelled", "future", "make", "task")

    def __init__(self, make: Callable[[], Coroutine[Any, Any, T]], calls: set[Call[Any]]) -> None:
        self.make = make
        self.calls = calls  # the loop's running calls, which this one joins while it runs
        self.future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self.task: asyncio.Task[T] | None = None
        self.cancelled = False

    def cancel(self) -> None:  # on the loop
        if self.task is not None:
            self.task.cancel()
        else:  # not started yet: it won't be
            self.cancelled = True

    def done(self, task: asyncio.Task[T]) -> None:  # on the loop, when the task has ended
        self.calls.discard(self)
        future = self.future
        if task.cancelled():
            future.cancel()
            return
        problem = task.exception()
        if problem is None:
            future.set_result(task.result())
        else:
            future.set_exception(problem)


class LoopThread:
    """The background thread, its event loop and the async runner living in it.

    Holds no reference to the :class:`SyncRunner` (whose finalizer closes it)."""

    __slots__ = (
        "__weakref__",
        "calls",
        "closing",
        "dead",
        "lock",
        "loop",
        "runner",
        "stop",
        "thread",
    )

    def __init__(self, config: ClientConfig, token: str | Secret | _Unset | None) -> None:
        self.loop = asyncio.new_event_loop()
        self.calls: set[Call[Any]] = set()  # the calls running on the loop (touched there only)
        self.closing = False  # close() was asked for: no new call starts
        self.dead = False  # the loop takes no more callbacks (under ``lock``)
        self.lock = threading.Lock()
        self.runner: Runner | None = None
        self.stop: asyncio.Event | None = None
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.thread = threading.Thread(
            target=self._serve, args=(config, token, ready), name="hf_pure sync runner", daemon=True
        )
        self.thread.start()
        try:
            ready.result()
        except BaseException:
            self.shutdown()
            raise

    # -- the thread -------------------------------------------------------------------------

    def _serve(
        self,
        config: ClientConfig,
        token: str | Secret | _Unset | None,
        ready: concurrent.futures.Future[None],
    ) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            main = loop.create_task(self._main(config, token, ready), name=MAIN_TASK)
            loop.run_until_complete(main)
        except BaseException as exc:  # opening failed (a token of the wrong type...)
            if ready.done():
                raise
            ready.set_exception(exc)
        finally:
            with self.lock:  # from here on, a call is refused instead of queued forever
                self.dead = True
            try:
                loop.run_until_complete(asyncio.sleep(0))  # start what was handed over
                _cancel_all(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    async def _main(
        self,
        config: ClientConfig,
        token: str | Secret | _Unset | None,
        ready: concurrent.futures.Future[None],
    ) -> None:
        self.stop = stop = asyncio.Event()
        async with open_runner(config, token=token) as runner:
            self.runner = runner
            ready.set_result(None)
            if not self.closing:
                await stop.wait()
            running = [call.task for call in self.calls if call.task is not None]
            if running:  # cancelled by _begin_stop: let them release their connections
                await asyncio.wait(running)
        await asyncio.sleep(0)  # the closed connections' transports finish closing

    def _begin_stop(self) -> None:  # on the loop
        self.closing = True
        for call in list(self.calls):
            call.cancel()
        if self.stop is not None:
            self.stop.set()

    # -- calls from other threads -----------------------------------------------------------

    def _start(self, call: Call[Any]) -> None:  # on the loop
        if call.cancelled or self.closing or self.dead:
            call.future.cancel()
            return
        try:
            task = self.loop.create_task(call.make())
        except Exception as exc:  # make() itself failed: the caller gets the exception
            call.future.set_exception(exc)
            return
        call.task = task
        self.calls.add(call)
        task.add_done_callback(call.done)

    def submit(self, make: Callable[[], Coroutine[Any, Any, T]]) -> Call[T]:
        """Start ``make()`` on the loop; raises :class:`Closed` if the runner is closed.

        ``make`` is called on the loop, so no coroutine exists before the call starts (a call
        cancelled first leaves nothing un-awaited). Not ``run_coroutine_threadsafe``: that
        wraps the task in one more chained future, and a call cancelled before its task
        starts could not be waited for; this is one callback and one future (measured: 33
        against 38 us per round trip)."""
        if threading.get_ident() == self.thread.ident:
            raise RuntimeError(ON_LOOP)
        call = Call(make, self.calls)
        with self.lock:
            if self.dead or self.closing:
                raise Closed
            self.loop.call_soon_threadsafe(self._start, call)
        return call

    def call(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run ``make()`` on the loop and wait for its value (or exception).

        :class:`Closed` when the runner is (or gets) closed; on ``KeyboardInterrupt`` the call
        is cancelled on the loop before the interrupt propagates."""
        call = self.submit(make)
        try:
            return call.future.result()
        except concurrent.futures.CancelledError:
            if self.closing or self.dead:
                raise Closed from None
            raise
        except KeyboardInterrupt:
            self.cancel(call)
            raise

    def cancel(self, call: Call[Any]) -> None:
        """Cancel a call on the loop and wait (bounded) until it has ended."""
        if self.cancel_soon(call):
            # not concurrent.futures.wait(): it misses a future cancelled with cancel()
            with contextlib.suppress(concurrent.futures.CancelledError, TimeoutError):
                call.future.exception(timeout=CANCEL_WAIT)

    def cancel_soon(self, call: Call[Any]) -> bool:
        """Ask the loop to cancel ``call``, without waiting (False: the loop is gone)."""
        with self.lock:
            if self.dead:
                return False
            self.loop.call_soon_threadsafe(call.cancel)
        return True

    def shutdown(self) -> None:
        """Cancel the calls, close the runner, end the thread (idempotent)."""
        with self.lock:
            if not self.dead:
                self.loop.call_soon_threadsafe(self._begin_stop)
        if threading.current_thread() is not self.thread:
            self.thread.join()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every task left on the loop and let them finish (as ``asyncio.run`` does)."""
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
