"""What a sync runner's caller hands to the loop (:class:`Call`), the errors that say how a
call ended, and the SIGINT handler used while a caller runs the loop itself (see
:mod:`hf_pure.shell.sync_loop`)."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

if TYPE_CHECKING:
    from hf_pure.shell.sync_loop import LoopThread

__all__ = [
    "CANCEL_WAIT",
    "MAIN_TASK",
    "ON_LOOP",
    "SYNC_CLOSED",
    "SYNC_CLOSED_BEFORE_END",
    "Call",
    "Cancelled",
    "Closed",
    "Interrupt",
    "catch_sigint",
    "set_sigint",
]

T = TypeVar("T")

# The C functions under signal's enum wrappers: a handler swap costs 0.6 us with these, 12
# with the wrappers (every call a caller runs on the loop in the main thread swaps twice).
try:
    import _signal  # type: ignore[import-not-found]

    _getsignal: Callable[[int], object] = _signal.getsignal
    _setsignal: Callable[[int, Any], object] = _signal.signal
except ImportError:  # pragma: no cover  (a Python without it: the plain ones)
    _getsignal = signal.getsignal
    _setsignal = signal.signal

_SIGINT: Final = int(signal.SIGINT)
_DEFAULT_SIGINT: Final = signal.default_int_handler

#: Seconds an interrupted call (Ctrl-C) waits for its cancellation to finish on the loop
#: before the ``KeyboardInterrupt`` propagates (a cancelled call releases its connection at
#: once; this only bounds the wait if the loop is stuck in someone's callback).
CANCEL_WAIT: Final = 5.0

#: Why a call to a closed sync runner fails (``ConnectionFailed.reason``, or the message of
#: the ``RuntimeError`` of a call that has no ``Result`` to say it in).
SYNC_CLOSED: Final = (
    "the sync runner was closed (its `with open_sync_runner()` block ended or close() was called)"
)

#: Why a stream being read when its sync runner closed ended (``StreamInterrupted.reason``;
#: what arrived is kept, as for any cut stream).
SYNC_CLOSED_BEFORE_END: Final = (
    "the sync runner was closed (its `with open_sync_runner()` block ended or close() was "
    "called) before the stream was read to its end"
)

#: The name of the task that holds the runner open on the loop (the only one left when no
#: call is running).
MAIN_TASK: Final = "hf_pure sync runner"

ON_LOOP: Final = (
    "a sync runner was called from code running on its own event loop (an on_change "
    "callback, or a coroutine on it): it would wait for itself forever; use the async "
    "runner there"
)


class Closed(RuntimeError):
    """Raised by :meth:`LoopThread.call` when the runner is closed: the calls that return a
    ``Result`` map it to ``ConnectionFailed``; the others let it out, saying why."""

    def __init__(self) -> None:
        super().__init__(SYNC_CLOSED)


class Cancelled(Exception):
    """A call ended cancelled (by closing the runner, or an interrupt)."""


class Call(Generic[T]):
    """One coroutine to run on the loop, and the outcome its caller waits for.

    The loop starts it (:meth:`LoopThread._start`): its task runs :meth:`run`, which settles
    the call in the task's last step, so the caller is woken (or the loop it drives stopped)
    in the loop iteration the call ends in. (A done callback runs one iteration later: an
    ``epoll_wait`` and a pass of the loop more per call, 5-6 us on the benchmark machine,
    and for a handed-over call one more release of the GIL to the threads waiting for it.)
    ``cancel`` (on the loop) reaches it whether it has started or not: a call whose task has
    not taken its first step is only marked, and that step settles it, so ``run`` always
    runs and always settles the call. The waiting side of a handed-over call is one lock,
    taken when the call is made and released when it is settled (a
    ``concurrent.futures.Future`` in its place, with its condition variable, cost 40-60 us
    more per handed-over call on the benchmark machine); a call its caller runs on the loop
    itself needs none: the loop stops when it is settled.
    """

    __slots__ = (
        "_waker",
        "cancelled",
        "error",
        "make",
        "on_settled",
        "owner",
        "settled",
        "started",
        "task",
        "value",
    )

    def __init__(
        self,
        owner: LoopThread,
        make: Callable[[], Coroutine[Any, Any, T]],
        handed_over: bool,
        on_settled: Callable[[], None] | None = None,
    ) -> None:
        self.owner = owner
        self.make = make
        # called once it is settled, whether make() ran or not (a stream's pump that a close
        # cancelled before it started must still tell its reader it has ended)
        self.on_settled = on_settled
        self.task: asyncio.Task[None] | None = None
        self.started = False  # its task is running make()'s coroutine
        self.cancelled = False  # cancelled (before it started, or its task was)
        self.settled = False
        self.value: T | None = None
        self.error: BaseException | None = None
        # a handed-over call (counted in owner.demand until settled): released when settled
        self._waker: threading.Lock | None = None
        if handed_over:
            self._waker = threading.Lock()
            self._waker.acquire()

    # -- on the loop ------------------------------------------------------------------------

    def cancel(self) -> None:
        if self.started:
            assert self.task is not None
            self.task.cancel()
        else:  # not started yet: it won't be (its task's first step settles it)
            self.cancelled = True

    async def run(self) -> None:
        """The call's task: ``make()``'s coroutine, then settle the call with its outcome
        (its own ``CancelledError`` included: the call ends cancelled; a
        ``KeyboardInterrupt`` or ``SystemExit`` raised in it goes to the caller, as any
        exception does)."""
        if not self.cancelled:
            self.started = True
            try:
                value = await self.make()
            except asyncio.CancelledError:
                self.cancelled = True
            except GeneratorExit:  # pragma: no cover  (closed unfinished: never, see _serve)
                raise
            except BaseException as exc:
                self.error = exc
            else:
                self.value = value
        self._finish()

    def settle(self) -> None:
        """End a call that never started: cancelled (or refused: the runner is closing)."""
        self.cancelled = True
        self._finish()

    def _finish(self) -> None:
        owner = self.owner
        owner.calls.discard(self)
        self.settled = True
        on_settled = self.on_settled
        if on_settled is not None:
            on_settled()
        waker = self._waker
        if waker is not None:
            owner.less()
            waker.release()
        else:  # the caller is running the loop for this call: it is done
            owner.loop.stop()

    # -- from any thread ----------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until it is settled (True), or ``timeout`` seconds (False)."""
        waker = self._waker
        if waker is None:  # its caller runs the loop until it is settled
            return self.settled
        if not waker.acquire(timeout=-1 if timeout is None else timeout):
            return False
        waker.release()  # settled for good: every later wait returns at once
        return True

    def outcome(self) -> T:
        """The value, once settled; raises its exception, or :class:`Cancelled`."""
        if self.error is not None:
            raise self.error
        if self.cancelled:
            raise Cancelled
        return self.value  # type: ignore[return-value]  # settled without error: a T


def catch_sigint() -> bool:
    """True when this thread may swap in a SIGINT handler: the main thread, with Python's
    own handler in place (a program's own handler is left alone)."""
    return (
        threading.current_thread() is threading.main_thread()
        and _getsignal(_SIGINT) is _DEFAULT_SIGINT
    )


class Interrupt:
    """The SIGINT handler while a caller runs the loop: the first Ctrl-C cancels the call
    (it ends, releasing its connection, and then KeyboardInterrupt is raised, even if the
    call had just ended); a second one raises at once."""

    __slots__ = ("call", "count", "loop")

    def __init__(self, call: Call[Any], loop: asyncio.AbstractEventLoop) -> None:
        self.call = call
        self.loop = loop
        self.count = 0

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.count > 1:
            raise KeyboardInterrupt
        if not self.call.settled:
            self.call.cancel()
            self.loop.call_soon_threadsafe(_nothing)  # wake the loop if it waits in select()


def _nothing() -> None:
    pass


def set_sigint(handler: Any) -> Any:
    """Install ``handler`` for SIGINT; the previous one."""
    return _setsignal(_SIGINT, handler)
