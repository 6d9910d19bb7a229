"""``ReliableRunner.stream``: a stream under the policy.

The same admission as ``run`` (breaker, rate limit, failover; never the cache: a cached whole
answer can't be replayed as chunks), and the same retries, but only **before the first
chunk**: an attempt that fails before handing out a chunk is recorded and retried like a
``run`` attempt; once a chunk has been handed out nothing is retried and the stream ends with
its error. The attempt is recorded when the stream ends, with the latency to its end and the
outcome in ``stream.result``. A stream left unfinished (``aclose``, leaving ``async with``,
cancelled, cancelled by its control, dropped) gives its admission back without counting
anything, as a cancelled ``run`` does.

``stream.control()`` drives whichever attempt is current: pausing holds the attempt being
opened (before it sends) or read, and any later one; cancelling ends the attempt read
(keeping what arrived) or stops the opening wherever it waits (to send, to retry, for the
reply), and nothing is retried or recorded.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from returns.result import Failure, Result, Success

from hf_pure.core.errors import HfError, StreamInterrupted
from hf_pure.core.request import StreamingRequest
from hf_pure.reliability.policy import Policy, Send, Wait
from hf_pure.shell.reliable_steps import (
    Cell,
    Clock,
    Sleep,
    admission,
    backoff,
    finish,
    give_back,
)
from hf_pure.shell.runner import Runner
from hf_pure.shell.stream import NOT_KEPT, Stream
from hf_pure.shell.stream_control import Pausable, StreamControl

if TYPE_CHECKING:
    from hf_pure.core.reply_info import ReplyInfo

T = TypeVar("T")
C = TypeVar("C")


class ReliableStream(Pausable, Generic[C, T]):
    """Typed chunks as they arrive, then the whole answer in :attr:`result`, under a policy.

        async with reliable.stream(request) as stream:
            async for chunk in stream:
                print(chunk.text, end="")
        match stream.result: ...

    Iteration never raises for the network, the server or a refusal: it ends, and ``result``
    says how (a ``CircuitOpen`` when the breaker refused it, for instance).
    """

    __slots__ = (
        "_attempt",
        "_cell",
        "_clock",
        "_decision",
        "_inner",
        "_keep",
        "_loop",
        "_opener",
        "_outcome",
        "_policy",
        "_request",
        "_runner",
        "_sent_at",
        "_sleep",
        "_started",
        "_stopping",
        "_wall",
    )

    def __init__(
        self,
        runner: Runner,
        cell: Cell,
        request: StreamingRequest[T, C],
        clock: Clock,
        sleep: Sleep,
        wall: Clock,
        keep_chunks: bool = False,
    ) -> None:
        self._runner = runner
        self._keep = keep_chunks
        self._cell = cell
        self._request = request
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._inner: Stream[C, T] | None = None  # the attempt that handed out a chunk
        self._policy: Policy | None = None
        self._decision: Send | None = None  # the admission held while the stream is read
        self._sent_at = 0.0
        self._outcome: Result[T, HfError] | None = None  # set when the stream has ended
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._control = None  # (Pausable's: the handle, once asked for)
        self._paused = False
        self._resumed = None  # (unused: the attempts hold their readers)
        self._attempt: Stream[C, T] | None = None  # the attempt being opened or read
        self._opener: asyncio.Task[Any] | None = None  # the task opening attempts
        self._stopping: str | None = None  # why the control cancelled the opener

    # -- public ------------------------------------------------------------------------------

    @property
    def chunks(self) -> tuple[C, ...]:
        """Every chunk received so far (of the attempt that handed one out), when the stream
        was opened with ``keep_chunks=True``; otherwise a ``RuntimeError`` saying so."""
        if not self._keep:
            raise RuntimeError(NOT_KEPT)
        return self._inner.chunks if self._inner is not None else ()

    @property
    def done(self) -> bool:
        return self._outcome is not None

    @property
    def result(self) -> Result[T, HfError]:
        """The outcome: the assembled answer, or the error that ended the stream (before the
        end, a ``StreamInterrupted`` saying it was not read to its end)."""
        if self._outcome is not None:
            return self._outcome
        if self._inner is not None:
            return self._inner.result
        return Failure(
            StreamInterrupted("", 0, "the stream was not read (iterate it or await collect())")
        )

    @property
    def reply_info(self) -> ReplyInfo | None:
        """The reply head (status, headers: request id, rate limit) of the attempt whose
        chunks were handed out, else of the attempt under way; None before any head came."""
        attempt = self._inner if self._inner is not None else self._attempt
        return attempt.reply_info if attempt is not None else None

    async def collect(self) -> Result[T, HfError]:
        """Read the rest of the stream and return :attr:`result`."""
        async for _ in self:
            pass
        return self.result

    def control(self) -> StreamControl:
        """The handle to pause, resume or cancel this stream from another task (the same one
        while it lives); dropping it cancels the stream (see ``Stream.control``)."""
        return self._handle(StreamControl)

    async def aclose(self) -> None:
        """Stop reading and release the connection. An attempt that had ended (every chunk
        received, though not all handed out) is recorded; an unfinished one gives its
        admission back."""
        if self._inner is None and self._opener is not None:  # another task is opening it
            self._cancel("closed by the caller before the start")
        inner = self._inner
        if inner is not None and inner.done:
            self._end(inner.result)
        self._give_back()
        if inner is not None:
            await inner.aclose()
        if self._outcome is None:
            self._outcome = (
                inner.result
                if inner is not None
                else Failure(StreamInterrupted("", 0, "closed by the caller before the start"))
            )

    async def __aenter__(self) -> ReliableStream[C, T]:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> ReliableStream[C, T]:
        return self

    async def __anext__(self) -> C:
        if self._outcome is not None:
            raise StopAsyncIteration
        inner = self._inner
        if inner is None:
            return await self._first()
        try:
            return await inner.__anext__()
        except StopAsyncIteration:
            if self._closed_under(inner.result):
                self._give_back()
                self._outcome = inner.result
            else:
                self._end(inner.result)
            raise
        except BaseException:  # cancelled, or a bug below: nothing is counted
            self._give_back()
            self._outcome = inner.result
            raise

    def __del__(self) -> None:
        # dropped unfinished: settle the admission on the loop, between two transitions (a
        # finalizer may run in the middle of one)
        decision, policy, loop, inner = self._decision, self._policy, self._loop, self._inner
        if decision is None or policy is None or loop is None or loop.is_closed():
            return
        cell, now = self._cell, self._clock()
        if inner is not None and inner.done:
            latency = now - self._sent_at
            sizes = (inner.bytes_sent, inner.bytes_received)
            args = (cell, policy, self._request, decision, inner.result, latency, now, *sizes)
            loop.call_soon(finish, *args)
        else:
            loop.call_soon(give_back, cell, policy, decision, now)

    # -- control (its StreamControl's, on the loop) ------------------------------------------

    def _pause(self) -> None:
        self._paused = True
        if self._attempt is not None:
            self._attempt._pause()

    def _resume(self) -> None:
        self._paused = False
        if self._attempt is not None:
            self._attempt._resume()

    def _cancel(self, reason: str) -> None:
        """End the stream now: see the module docstring."""
        inner = self._inner
        if self._outcome is not None or (inner is not None and inner.done):
            self._resume()  # ended by itself: only unpause
        elif inner is not None:  # being read: end it, give the admission back
            inner._cancel(reason)
            self._give_back()
            self._outcome = inner.result
        elif self._opener is None:  # never read: nothing was sent
            self._outcome = Failure(StreamInterrupted("", 0, reason))
        else:  # being opened: stop the opener where it waits (see _first)
            self._stopping = reason
            self._paused = False
            self._opener.cancel()

    # -- machinery ---------------------------------------------------------------------------

    def _give_back(self) -> None:
        decision, policy = self._decision, self._policy
        if decision is not None and policy is not None:
            self._decision = None
            give_back(self._cell, policy, decision, self._clock())

    def _closed_under(self, result: Result[Any, HfError]) -> bool:
        """The attempt failed because its runner was closed (it cut the stream, or sent
        nothing): that says nothing of the endpoint, so it is not counted, and no retry could
        be sent. Unpauses the stream, which is ending."""
        if isinstance(result, Failure) and self._runner._watchdog.closed:
            self._paused = False
            return True
        return False

    def _end(self, result: Result[T, HfError]) -> None:
        """The stream ended by itself: record the attempt with the latency to its end."""
        decision, policy = self._decision, self._policy
        self._decision = None
        self._outcome = result
        if decision is not None and policy is not None:
            done = self._clock()
            finish(
                self._cell,
                policy,
                self._request,
                decision,
                result,
                done - self._sent_at,
                done,
                inner.bytes_sent if (inner := self._inner) is not None else 0,
                inner.bytes_received if inner is not None else 0,
            )

    async def _first(self) -> C:
        if self._started:  # another task is opening it: one reader per stream
            raise RuntimeError("this stream is already being read by another task")
        self._started = True
        self._opener = asyncio.current_task()
        try:
            return await self._open()
        except BaseException as exc:
            stopping = self._stopping
            if stopping is not None and isinstance(exc, asyncio.CancelledError):
                self._stopping = None  # cancelled by the control (the admission went back)
                self._outcome = Failure(StreamInterrupted("", 0, stopping))
                task = asyncio.current_task()
                if task is None or task.uncancel() == 0:  # (else someone else's, too)
                    raise StopAsyncIteration from None
            elif self._outcome is None:  # cancelled while waiting to send or to retry
                reason = "cancelled before the first chunk"
                self._outcome = Failure(StreamInterrupted("", 0, reason))
            raise
        finally:
            self._opener = None

    async def _open(self) -> C:
        """Admit and open attempts until one hands out a chunk, or the stream ends."""
        self._loop = asyncio.get_running_loop()
        cell, clock, request = self._cell, self._clock, self._request
        start = clock()
        attempt = 0
        failed: frozenset[int] = frozenset()
        while True:
            admitted = admission(cell, request, start, clock(), failed, self._wall, True)
            if isinstance(admitted, Wait):
                await self._sleep(admitted.seconds)
                continue
            if not isinstance(admitted, tuple):
                self._outcome = admitted
                raise StopAsyncIteration
            policy, decision = admitted
            sent_at = clock()
            inner = self._runner.stream(request, base_url=decision.endpoint, keep_chunks=self._keep)
            self._attempt = inner
            if self._paused:  # held before it sends
                inner._pause()
            try:
                chunk = await inner.__anext__()
            except StopAsyncIteration:
                result: Result[Any, HfError] = inner.result
            except BaseException:  # cancelled, or a bug below: the admission is given back
                give_back(cell, policy, decision, clock())
                self._outcome = inner.result
                raise
            else:  # the first chunk: from here on the stream is this attempt's
                self._inner, self._policy, self._decision = inner, policy, decision
                self._sent_at = sent_at
                return chunk
            if self._closed_under(result):  # ended before any chunk, by the close
                give_back(cell, policy, decision, clock())
                self._outcome = result
                raise StopAsyncIteration
            done = clock()  # ended before any chunk
            sizes = (inner.bytes_sent, inner.bytes_received)
            finish(cell, policy, request, decision, result, done - sent_at, done, *sizes)
            if isinstance(result, Success):
                self._outcome = result
                raise StopAsyncIteration
            if decision.index is not None:
                failed = failed | {decision.index}
            attempt += 1
            if not await backoff(
                cell, policy, attempt, result.failure(), done - start, self._sleep
            ):
                self._outcome = result
                raise StopAsyncIteration
