"""The sync runner's engine: one event loop, owned by a background thread, and the calls
other threads hand to it (see :mod:`hf_pure.shell.sync`).

Who runs the loop. Only one thread runs it at a time: ``running`` says who (a caller, or
the background thread). The background thread runs it whenever there is work no caller is
running it for (a call handed over from another thread, a stream being read, a health
monitor); otherwise it waits, and it is woken only when the loop is free and there is work
(never to find a caller running the loop). A caller that finds the loop free and is not
itself inside a running loop runs its own call on it, in its own thread (``_drive``): no
hand-over between threads, so a call costs what the async call costs. A caller that finds
the loop busy (another thread's call, a stream, a monitor), or that is inside a running loop
(Jupyter, an ``async def``), hands the call over (``submit``) and waits: the background
thread, or the thread running the loop, runs it. Calls handed over before the loop takes
them share one ``call_soon_threadsafe``.

Measured on the 2-core benchmark machine (``benchmarks/sync.py``): handing every call over to
a loop thread cost 1.2x-1.7x the async call's CPU, from the two wake-ups per call, while
running it in the calling thread cost 0.9x-1.0x. A call is settled in its task's last step
(:meth:`Call.run`), not by a done callback an iteration later.

Ctrl-C. A caller waiting for a handed-over call gets the ``KeyboardInterrupt`` in its wait
and cancels the call on the loop. A caller running the loop itself in the main thread swaps
in a SIGINT handler for the duration (as ``asyncio.Runner`` does) that cancels its call, so
the interrupt never lands in the middle of aiohttp's code; once the call has released its
connection the ``KeyboardInterrupt`` is raised. A second Ctrl-C raises at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Final, TypeVar

from hf_pure.core.config import ClientConfig
from hf_pure.core.secret import Secret
from hf_pure.shell.runner import Runner, _Unset, open_runner
from hf_pure.shell.sync_call import (
    CANCEL_WAIT,
    MAIN_TASK,
    ON_LOOP,
    SYNC_CLOSED,
    SYNC_CLOSED_BEFORE_END,
    Call,
    Cancelled,
    Closed,
    Interrupt,
    catch_sigint,
    set_sigint,
)

__all__ = [
    "CANCEL_WAIT",
    "MAIN_TASK",
    "ON_LOOP",
    "READ_SIZE",
    "SYNC_CLOSED",
    "Call",
    "Cancelled",
    "Closed",
    "LoopThread",
]

T = TypeVar("T")


#: Bytes a socket is read at a time on the sync runner's loop. asyncio's selector transport
#: reads 256 KiB at a time, into a fresh buffer over glibc's 128 KiB mmap threshold: every
#: read maps, shrinks and unmaps memory (3 system calls and 2 page faults a request, and with
#: threads a TLB flush on the other cores), about 15% of a request's CPU one at a time on the
#: benchmark machine. 64 KiB (aiohttp's own read buffer) comes from the heap.
READ_SIZE: Final = 64 * 1024


class _Loop(asyncio.SelectorEventLoop):
    """The sync runner's loop: asyncio's own, reading sockets :data:`READ_SIZE` at a time."""

    def _make_socket_transport(self, *args: Any, **kwargs: Any) -> asyncio.Transport:
        transport: asyncio.Transport = super()._make_socket_transport(*args, **kwargs)  # type: ignore[misc]
        if isinstance(getattr(transport, "max_size", None), int):  # (asyncio's, as it is)
            transport.max_size = READ_SIZE  # type: ignore[attr-defined]
        return transport


#: Who runs the loop (``LoopThread.running``): a caller, for its own call (``_drive``), the
#: background thread while there is demand, or the background thread for good (opening the
#: runner, and closing it: less() and _begin_stop() must not stop the loop then).
_CALLER: Final = "caller"
_THREAD: Final = "thread"
_FOR_GOOD: Final = "for good"


class LoopThread:
    """The event loop, the async runner on it, and the background thread that owns it.

    ``cond`` guards ``running`` (who runs the loop: None, :data:`_CALLER`, :data:`_THREAD`
    or :data:`_FOR_GOOD`), ``demand`` (handed-over calls not yet settled, plus holds), ``inbox``
    and ``taking`` (calls handed over and not yet started on the loop; a ``_take_inbox``
    scheduled there for them), ``closing`` and ``dead``. Only the background thread waits on
    ``cond``; it is notified only when the loop is free and there is work, or when the caller
    running the loop leaves it with work left. Holds no reference to the
    :class:`SyncRunner` (whose finalizer closes it).
    """

    __slots__ = (
        "__weakref__",
        "calls",
        "closing",
        "cond",
        "dead",
        "demand",
        "inbox",
        "lock",
        "loop",
        "runner",
        "running",
        "stop",
        "taking",
        "thread",
    )

    def __init__(self, config: ClientConfig, token: str | Secret | _Unset | None) -> None:
        # (Windows keeps its default, proactor, loop)
        self.loop = asyncio.new_event_loop() if sys.platform == "win32" else _Loop()
        self.calls: set[Call[Any]] = set()  # the calls running on the loop (touched there only)
        self.lock = threading.Lock()  # cond's lock, taken directly where nothing waits
        self.cond = threading.Condition(self.lock)
        self.running: str | None = _FOR_GOOD  # until the runner is open
        self.demand = 0  # reasons for the background thread to run the loop
        self.inbox: list[Call[Any]] = []
        self.taking = False
        self.closing = False  # close() was asked for: no new call starts
        self.dead = False  # the loop takes no more callbacks
        self.runner: Runner | None = None
        self.stop = asyncio.Event()
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

    # -- the background thread --------------------------------------------------------------

    def _serve(
        self,
        config: ClientConfig,
        token: str | Secret | _Unset | None,
        ready: concurrent.futures.Future[None],
    ) -> None:
        loop = self.loop
        started: asyncio.Future[None] = loop.create_future()
        main = loop.create_task(self._main(config, token, started), name=MAIN_TASK)
        try:
            loop.run_until_complete(started)
        except BaseException as exc:  # opening failed (a token of the wrong type...)
            ready.set_exception(exc)
        else:
            ready.set_result(None)
            self._run_on_demand()  # returns running the loop for good: close() was called
        try:
            loop.run_until_complete(main)  # close(): _begin_stop lets it end
        finally:
            with self.cond:  # from here on, a call is refused instead of queued forever
                self.dead = True
            try:
                loop.run_until_complete(asyncio.sleep(0))  # start what was handed over
                _cancel_all(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                for call in tuple(self.calls):  # a task cancelled before its first step by
                    call.settle()  # _cancel_all (none are: the main task waited for them)

    def _run_on_demand(self) -> None:
        """Run the loop while there is demand and no caller runs it, until close()."""
        cond, loop = self.cond, self.loop
        with cond:
            self.running = None
        while True:
            with cond:
                while self.running is not None or not (self.demand or self.closing):
                    cond.wait()
                if self.closing:
                    self.running = _FOR_GOOD
                    return
                self.running = _THREAD  # callers hand over now
            try:
                loop.run_forever()  # until less() finds no demand left, or close()
            finally:
                with cond:
                    self.running = None

    async def _main(
        self,
        config: ClientConfig,
        token: str | Secret | _Unset | None,
        started: asyncio.Future[None],
    ) -> None:
        try:
            async with open_runner(config, token=token) as runner:
                self.runner = runner
                started.set_result(None)
                await self.stop.wait()
                running = [call.task for call in self.calls if call.task is not None]
                if running:  # cancelled by _begin_stop: let them release their connections
                    await asyncio.wait(running)
        except BaseException as exc:
            if started.done():
                raise
            started.set_exception(exc)
            return
        await asyncio.sleep(0)  # the closed connections' transports finish closing

    def _begin_stop(self) -> None:  # on the loop
        if self.runner is not None:  # the streams say why they end, not "cancelled"
            self.runner._cut_streams(SYNC_CLOSED_BEFORE_END)
        for call in list(self.calls):
            call.cancel()
        self.stop.set()
        if self.running is _THREAD:  # (a caller running it stops when its call is settled)
            self.loop.stop()  # the background thread then runs _main to its end

    def less(self) -> None:  # on the loop: one reason to run it less
        with self.lock:
            self.demand -= 1
            if not self.demand and self.running is _THREAD:
                self.loop.stop()

    # -- holds: background work that is not a call (a health monitor's probe task) -------------

    def hold(self) -> None:
        """Keep the loop running in the background until :meth:`release`."""
        with self.cond:
            if self.dead or self.closing:
                raise Closed
            self.demand += 1
            if self.running is None:
                self.cond.notify()

    def release(self) -> None:
        with self.cond:
            if not self.dead:
                self.loop.call_soon_threadsafe(self.less)

    # -- calls from other threads -----------------------------------------------------------

    def _start(self, call: Call[Any]) -> None:  # on the loop
        if call.cancelled or self.closing or self.dead:
            call.settle()
            return
        task = self.loop.create_task(call.run())  # make() is called in the task
        call.task = task
        self.calls.add(call)

    def _take_inbox(self) -> None:  # on the loop
        with self.lock:
            calls, self.inbox = self.inbox, []
            self.taking = False
        for call in calls:
            self._start(call)

    def _refuse_on_loop(self) -> None:
        if asyncio._get_running_loop() is self.loop:
            raise RuntimeError(ON_LOOP)

    def submit(
        self,
        make: Callable[[], Coroutine[Any, Any, T]],
        on_settled: Callable[[], None] | None = None,
    ) -> Call[T]:
        """Hand ``make()`` over to the loop without waiting; :class:`Closed` if the runner is
        closed. ``make`` is called on the loop, so no coroutine exists before the call starts
        (a call cancelled first leaves nothing un-awaited); ``on_settled`` is called once the
        call is settled, whether ``make`` ran or not.

        Calls handed over before the loop takes them share one ``call_soon_threadsafe`` (one
        write to the loop's self-pipe), and the background thread is woken only if nobody
        runs the loop: whoever does will start the call."""
        self._refuse_on_loop()
        call = Call(self, make, handed_over=True, on_settled=on_settled)
        with self.lock:
            if self.dead or self.closing:
                raise Closed
            self.demand += 1
            self.inbox.append(call)
            if not self.taking:
                self.taking = True
                self.loop.call_soon_threadsafe(self._take_inbox)
            if self.running is None:
                self.cond.notify()
        return call

    def call(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run ``make()`` on the loop and return its value (or raise its exception): in this
        thread when the loop is free, else handed over.

        :class:`Closed` when the runner is (or gets) closed; on ``KeyboardInterrupt`` the call
        is cancelled on the loop before the interrupt propagates."""
        running_loop = asyncio._get_running_loop()
        if running_loop is self.loop:
            raise RuntimeError(ON_LOOP)
        if running_loop is None:
            lock = self.lock
            with lock:
                free = self.running is None
                if free:
                    self.running = _CALLER
            if free:
                try:
                    return self._drive(make)
                finally:
                    with lock:
                        self.running = None
                        if self.demand or self.closing:  # work handed over meanwhile, or
                            self.cond.notify()  # close() waits: the background thread's turn
        call = self.submit(make)
        try:
            call.wait()
        except KeyboardInterrupt:
            self.cancel(call)
            raise
        if call.cancelled and (self.closing or self.dead):
            raise Closed
        return call.outcome()

    def _drive(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run one call on the loop in this thread (``running`` is :data:`_CALLER`)."""
        if self.closing or self.dead:
            raise Closed
        loop = self.loop
        call = Call(self, make, handed_over=False)
        interrupted = Interrupt(call, loop) if catch_sigint() else None
        previous = set_sigint(interrupted) if interrupted else None
        try:
            # started by a callback, not before the loop runs: the loop first reads what the
            # sockets say, so a pooled connection the server closed while nobody ran the
            # loop is seen closed before the call picks one (and scheduled only once the
            # handler is in place: an interrupt before it leaves nothing behind)
            loop.call_soon(self._start, call)
            loop.run_forever()  # until the call is settled (Call._finish stops it)
        except BaseException:  # an interrupt raised inside the loop: cancel, then out
            self._cancel_here(call)
            raise
        finally:
            if interrupted is not None:
                set_sigint(previous)
        if not call.settled:  # stopped for another reason (close()): keep running it
            self._cancel_here(call)
        if interrupted is not None and interrupted.count:  # even if the call ended first
            raise KeyboardInterrupt
        if call.cancelled and (self.closing or self.dead):
            raise Closed
        return call.outcome()

    def _cancel_here(self, call: Call[Any]) -> None:
        """Cancel ``call`` and run the loop until it has ended (this thread runs it)."""
        call.cancel()
        loop = self.loop
        while not call.settled and not loop.is_closed():
            loop.run_forever()  # Call._finish stops it again

    def cancel(self, call: Call[Any]) -> None:
        """Cancel a handed-over call on the loop and wait (bounded) until it has ended."""
        if self.cancel_soon(call):
            call.wait(CANCEL_WAIT)

    def cancel_soon(self, call: Call[Any]) -> bool:
        """Ask the loop to cancel ``call``, without waiting (False: the loop is gone)."""
        with self.cond:
            if self.dead:
                return False
            self.loop.call_soon_threadsafe(call.cancel)
        return True

    def shutdown(self) -> None:
        """Cancel the calls, close the runner, end the thread (idempotent)."""
        with self.cond:
            if not self.dead and not self.closing:
                self.closing = True
                self.loop.call_soon_threadsafe(self._begin_stop)
            self.cond.notify_all()
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
