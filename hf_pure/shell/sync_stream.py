"""A stream read from another thread: the async stream runs on the sync runner's loop, a
plain iterator hands its chunks to the caller.

The first ``next()`` starts a *pump* on the loop: one task that reads the async stream
(``Runner.stream`` or ``ReliableRunner.stream``) and appends each chunk to a small buffer the
two threads share; ``next()`` takes chunks from it, waiting only when it is empty. So a chunk
costs the async stream's own work plus a lock, not a round trip between the threads. The
pump reads at most :data:`READ_AHEAD` chunks ahead of the reader, then pauses (the socket is
not read meanwhile) until the reader has taken all but :data:`RESUME_AT` of them.

Ending early releases the connection: ``close()``, leaving a ``with`` block, or dropping the
iterator unfinished cancel the pump (the async stream then ends interrupted, as on
cancellation); so does Ctrl-C while ``next()`` waits, before the ``KeyboardInterrupt``
propagates. Like the async stream, a sync stream has one reader.

``stream.control()`` gives a :class:`~hf_pure.shell.stream_control.SyncStreamControl`, usable
from any thread: pausing holds the reader before its next chunk (chunks read ahead stay
buffered, at most :data:`READ_AHEAD`) and pauses the async stream on the loop, which stops
reading its socket; cancelling drops the chunks read ahead, ends the async stream on the loop
and wakes the reader, whose loop ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar

from returns.result import Failure, Result

from hf_pure.core.errors import HfError, StreamInterrupted
from hf_pure.shell.stream_control import Controllable, Pausable, SyncStreamControl
from hf_pure.shell.sync_loop import CANCEL_WAIT, Call, Closed, LoopThread

if TYPE_CHECKING:
    from hf_pure.core.reply_info import ReplyInfo

T = TypeVar("T")
C = TypeVar("C")
C_co = TypeVar("C_co", covariant=True)
T_co = TypeVar("T_co", covariant=True)

#: Chunks the pump reads ahead of the reader before it pauses.
READ_AHEAD: Final = 256
#: The pump resumes once the reader has left no more than this many chunks unread.
RESUME_AT: Final = 64

#: Why a stream of a closed sync runner ended (its ``StreamInterrupted.reason``).
SYNC_STREAM_CLOSED: Final = "the sync runner was closed before the stream was read"


class AsyncChunks(Controllable, Protocol[C_co, T_co]):
    """What the pump reads: ``Stream`` and ``ReliableStream`` both are this."""

    def __aiter__(self) -> AsyncIterator[C_co]: ...

    async def aclose(self) -> None: ...

    @property
    def done(self) -> bool: ...

    @property
    def chunks(self) -> tuple[C_co, ...]: ...

    @property
    def result(self) -> Result[T_co, HfError]: ...

    @property
    def reply_info(self) -> ReplyInfo | None: ...


class _Pipe(Generic[C]):
    """The chunks read and not yet taken, and the flags both threads look at (``cond``
    guards ``waiting``, ``paused``, ``ended``, ``held`` and ``cut``; the deque itself is
    thread-safe)."""

    __slots__ = ("buffer", "cond", "cut", "ended", "held", "loop", "paused", "resume", "waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.buffer: deque[C] = deque()
        self.cond = threading.Condition(threading.Lock())
        self.loop = loop
        self.ended = False  # the pump has stopped: nothing more will be added
        self.waiting = False  # the reader waits on ``cond``
        self.paused = False  # the pump waits for ``resume``
        self.resume: asyncio.Event | None = None  # made on the loop by the pump
        self.held = False  # the reader takes nothing now: paused or cut by the control
        self.cut: str | None = None  # why the control cancelled the stream

    def end(self) -> None:
        """Nothing more will be added: the pump has stopped, or never started (a reader
        waiting for it wakes)."""
        with self.cond:
            self.ended = True
            self.cond.notify_all()

    def wake(self) -> None:
        """Let a paused pump read on (reader side)."""
        with self.cond:
            self.unpause()

    def unpause(self) -> None:
        """:meth:`wake`, with ``cond`` held."""
        resume = self.resume
        if not self.paused or resume is None:
            return
        self.paused = False
        with contextlib.suppress(RuntimeError):  # the loop is closed: the pump went with it
            self.loop.call_soon_threadsafe(resume.set)


async def _pump(inner: AsyncChunks[C, Any], pipe: _Pipe[C]) -> None:
    """Read ``inner`` into ``pipe`` (on the loop) until it ends or the pump is cancelled."""
    buffer, cond = pipe.buffer, pipe.cond
    resume = pipe.resume = asyncio.Event()
    cut: str | None = None
    try:
        async for chunk in inner:
            with cond:
                cut = pipe.cut
                if cut is not None:  # cancelled by the control while this step read on
                    break
                buffer.append(chunk)
                if pipe.waiting:
                    cond.notify()
                if len(buffer) >= READ_AHEAD:
                    resume.clear()
                    pipe.paused = True
            if pipe.paused:
                await resume.wait()
        if cut is not None:  # end it here, as the control's own call (queued) would
            inner._cancel(cut)
    finally:
        try:
            if not inner.done:  # cancelled while paused, or a bug below: release it now
                await inner.aclose()
        finally:
            pipe.end()


class SyncStream(Pausable, Generic[C, T]):
    """Typed chunks as they arrive, then the whole answer in :attr:`result`, without await.

        with runner.stream(request) as stream:
            for chunk in stream:
                print(chunk.text, end="")
        match stream.result: ...

    Iteration never raises for the network or the server: it ends, and ``result`` says how
    (the same values as the async stream's). ``chunks`` is the async stream's.
    """

    __slots__ = ("_call", "_closed", "_inner", "_pipe", "_thread")

    def __init__(self, thread: LoopThread, inner: AsyncChunks[C, T]) -> None:
        self._thread = thread
        self._inner = inner
        self._pipe: _Pipe[C] = _Pipe(thread.loop)
        self._call: Call[None] | None = None
        self._closed = False  # ended without being read: the runner was closed, or close()
        self._control = None  # (Pausable's: the handle, once asked for)
        self._paused = False
        self._resumed = None  # (unused: the reader waits on the pipe's condition)

    # -- public ------------------------------------------------------------------------------

    @property
    def chunks(self) -> tuple[C, ...]:
        """Every chunk received so far (as the async stream keeps them)."""
        return self._inner.chunks

    @property
    def done(self) -> bool:
        """True once the stream has ended (every chunk received, or cut, closed, cancelled)."""
        pipe = self._pipe
        return pipe.ended or pipe.cut is not None or self._inner.done

    @property
    def result(self) -> Result[T, HfError]:
        """The outcome: the assembled answer, or the error that ended the stream (before the
        end, a ``StreamInterrupted`` saying it was not read to its end)."""
        if self._call is None and not self._inner.done:  # never read: nothing arrived
            if self._closed:
                return Failure(StreamInterrupted("", 0, SYNC_STREAM_CLOSED))
            if self._pipe.cut is not None:  # (the loop ends the async stream soon)
                return Failure(StreamInterrupted("", 0, self._pipe.cut))
        return self._inner.result

    @property
    def reply_info(self) -> ReplyInfo | None:
        """The reply head (status, headers: request id, rate limit) once it has arrived;
        None before (or when no reply came)."""
        return self._inner.reply_info

    def collect(self) -> Result[T, HfError]:
        """Read the rest of the stream and return :attr:`result`."""
        for _ in self:
            pass
        return self.result

    def close(self) -> None:
        """Stop reading and release the connection (an unfinished stream ends interrupted);
        iteration ends, chunks read ahead but not taken are dropped."""
        pipe = self._pipe
        call = self._call
        if call is not None:
            if not call.settled:
                self._thread.cancel(call)
        elif not self._closed:
            with contextlib.suppress(Closed):  # never started: nothing was sent; it ends closed
                self._thread.call(self._inner.aclose)
        self._closed = True
        with pipe.cond:
            pipe.ended = True
            pipe.buffer.clear()

    def __enter__(self) -> SyncStream[C, T]:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> SyncStream[C, T]:
        return self

    def control(self) -> SyncStreamControl:
        """The handle to pause, resume or cancel this stream from any thread (the same one
        while it lives). Keep it while the stream should live: dropping it cancels the
        stream; a stream whose handle is never asked for has none to drop."""
        return self._handle(SyncStreamControl)

    def __next__(self) -> C:
        pipe = self._pipe
        if pipe.held:  # paused or cancelled by the control
            return self._wait()
        try:
            chunk = pipe.buffer.popleft()
        except IndexError:
            return self._wait()
        if pipe.paused and len(pipe.buffer) <= RESUME_AT:
            pipe.wake()
        return chunk

    def __del__(self) -> None:
        # dropped unfinished: cancel the pump (the async stream releases its connection)
        call = self._call
        if call is not None and not self._pipe.ended:
            self._thread.cancel_soon(call)

    # -- control (its SyncStreamControl's, from any thread) -----------------------------------

    def _pause(self) -> None:
        pipe = self._pipe
        with pipe.cond:
            if pipe.cut is not None:
                return
            self._paused = pipe.held = True
        self._on_loop(self._inner._pause)

    def _resume(self) -> None:
        pipe = self._pipe
        with pipe.cond:
            self._paused = False
            pipe.held = pipe.cut is not None
            pipe.cond.notify_all()
        self._on_loop(self._inner._resume)

    def _cancel(self, reason: str) -> None:
        pipe = self._pipe
        with pipe.cond:
            if pipe.cut is not None or self._inner.done:
                self._paused = pipe.held = pipe.cut is not None  # ended by itself: unpause
                pipe.cond.notify_all()
                return
            self._paused = False
            pipe.held = True
            pipe.cut = reason
            pipe.buffer.clear()
            pipe.unpause()  # a pump waiting for the reader to catch up goes on, and ends
            pipe.cond.notify_all()
        self._on_loop(self._inner._cancel, reason)

    def _cancel_soon(self, reason: str) -> None:
        """:meth:`_cancel` from a finalizer, which may run while this thread holds ``cond``:
        on the loop."""
        self._on_loop(self._cancel, reason)

    def _on_loop(self, step: Callable[..., None], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the stream went with it
            self._thread.loop.call_soon_threadsafe(step, *args)

    # -- machinery ---------------------------------------------------------------------------

    def _start(self) -> None:
        inner, pipe = self._inner, self._pipe
        try:
            # (a close may cancel the pump before it starts: the pipe then ends all the same)
            self._call = self._thread.submit(lambda: _pump(inner, pipe), on_settled=pipe.end)
        except Closed:
            self._closed = True
            pipe.ended = True

    def _wait(self) -> C:
        """The buffer is empty: start the pump if needed and wait for a chunk or the end."""
        pipe = self._pipe
        if self._call is None and not self._closed and pipe.cut is None:
            self._start()
        cond = pipe.cond
        try:
            with cond:
                while True:
                    if pipe.cut is not None:  # cancelled: take nothing, wait for the pump's end
                        pipe.buffer.clear()
                        if pipe.ended or self._call is None:
                            break
                    elif pipe.held and pipe.ended and self._thread.closing:
                        # paused as its runner closed (nothing would resume it): it goes on
                        # as an unpaused one does, with the chunks read, then the end
                        self._paused = pipe.held = False
                        continue
                    elif not pipe.buffer:
                        if pipe.ended:
                            break
                        pipe.unpause()  # (a no-op in practice: it pauses with a full buffer)
                    elif not pipe.held:
                        return pipe.buffer.popleft()
                    pipe.waiting = True  # (for a chunk, the end, or a resume)
                    try:
                        cond.wait()
                    finally:
                        pipe.waiting = False
        except KeyboardInterrupt:
            if self._call is not None:
                self._thread.cancel(self._call)
            raise
        self._raise_if_broken()
        raise StopIteration

    def _raise_if_broken(self) -> None:
        """Re-raise what made the pump fail (a bug below: the network never raises here)."""
        call = self._call
        if call is None or self._closed:
            return
        # the pump has ended: its task is finishing; cancelled means closed or interrupted
        if call.wait(CANCEL_WAIT) and call.error is not None:
            raise call.error
