"""A stream: typed chunks read from one SSE reply, folded as they arrive into the whole answer.

Made by :meth:`hf_pure.shell.runner.Runner.stream`; it sends nothing until it is first read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from returns.result import Failure, Result

from hf_pure.core.request import (
    conclude,
)
from hf_pure.shell.stream_control import StreamControl
from hf_pure.shell.stream_read import CLOSED_BEFORE_END, NOT_KEPT, TWO_READERS, StreamReader

if TYPE_CHECKING:
    from hf_pure.core.errors import HfError
    from hf_pure.core.reply_info import ReplyInfo

T = TypeVar("T")
C = TypeVar("C")

__all__ = ["CLOSED_BEFORE_END", "NOT_KEPT", "TWO_READERS", "Stream"]


class Stream(StreamReader[C, T]):
    """Typed chunks as they arrive, then the whole answer in :attr:`result`.

        stream = runner.stream(request)
        async for chunk in stream:
            print(chunk.text, end="")
        match stream.result:
            case Success(answer): ...
            case Failure(hf.StreamInterrupted(received=text)): ...

    Iteration never raises for the network or the server: it just ends, and ``result`` says
    how. A server that ignores ``stream`` and sends the whole answer gives it as one chunk.
    The chunks are folded into the answer as they arrive and not kept, unless the stream was
    opened with ``keep_chunks=True`` (then :attr:`chunks` has them all).
    Leaving an ``async with`` block, ``aclose()``, breaking out of the loop and dropping the
    stream, or cancelling the task all release the connection. A stream has one reader: a
    second task asking for a chunk while the first waits for data gets a ``RuntimeError``.
    :meth:`control` gives a handle to pause, resume or cancel it from another task.
    """

    __slots__ = ()

    # -- public ------------------------------------------------------------------------------

    @property
    def chunks(self) -> tuple[C, ...]:
        """Every chunk received so far, when the stream was opened with ``keep_chunks=True``;
        otherwise a ``RuntimeError`` saying so (the chunks were folded, not kept)."""
        kept = self._kept
        if kept is None:
            raise RuntimeError(NOT_KEPT)
        return tuple(kept)

    @property
    def done(self) -> bool:
        return self._ended

    @property
    def bytes_sent(self) -> int:
        """The size of the request body (0 until it is sent)."""
        return self._sent

    @property
    def bytes_received(self) -> int:
        """The bytes of the reply body read so far (what the metrics count)."""
        return self._received

    @property
    def reply_info(self) -> ReplyInfo | None:
        """The reply's status and headers (request id, rate limit) once its head has
        arrived; None before, or when no reply came."""
        head = self._head
        if head is None:
            return None
        from hf_pure.core.reply_info import reply_info_from_wire  # loaded when asked for

        return reply_info_from_wire(*head)

    @property
    def result(self) -> Result[T, HfError]:
        """The outcome: the whole answer, or the error that ended the stream. Before the end
        it is a ``StreamInterrupted`` saying the stream was not read to its end."""
        if self._outcome is None:
            acc = self._acc
            if self._complete:
                self._outcome = conclude(
                    self._codec, acc, complete=True, reason="", request_id=self._request_id
                )
            else:
                from hf_pure.core.errors import StreamInterrupted  # loads with the first error

                return Failure(
                    StreamInterrupted(
                        acc.text,
                        acc.count,
                        "the stream was not read to its end (iterate it or await collect())",
                        self._request_id,
                    )
                )
        return self._outcome

    async def collect(self) -> Result[T, HfError]:
        """Read the rest of the stream and return :attr:`result`."""
        async for _ in self:
            pass
        return self.result

    def control(self) -> StreamControl:
        """The handle to pause, resume or cancel this stream from another task (the same one
        while it lives). Keep it while the stream should live: dropping it cancels the
        stream; a stream whose handle is never asked for has none to drop."""
        return self._handle(StreamControl)

    async def aclose(self) -> None:
        """Stop reading and release the connection; an unfinished stream ends interrupted."""
        if not self._ended:
            self._interrupted("closed by the caller before the end")
        self._wake()
        self._release(close=True)

    async def __aenter__(self) -> Stream[C, T]:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[C]:
        return self._each()

    async def _each(self) -> AsyncIterator[C]:
        """What ``async for`` reads: ``__anext__`` as a generator, so that a chunk already read
        is handed out by a resumed frame, not a new coroutine per chunk. Both pop from the
        stream's own list, so ``anext(stream)`` and loops can take turns."""
        while True:
            ready = self._ready
            while ready:
                if self._paused:  # held by its control (a cancel empties ``ready``)
                    await self._hold_reader()
                    continue
                yield ready.pop()
            if self._ended:
                return
            if self._reading:
                raise RuntimeError(TWO_READERS)
            try:
                chunk = await self._fill()
            except StopAsyncIteration:
                return
            yield chunk

    async def __anext__(self) -> C:
        while self._paused and self._ready:  # held by its control (a cancel empties ``ready``)
            await self._hold_reader()
        ready = self._ready
        if ready:  # chunks already read, not yet handed out
            return ready.pop()
        if self._ended:
            raise StopAsyncIteration
        if self._reading:
            raise RuntimeError(TWO_READERS)
        return await self._fill()

    def __del__(self) -> None:
        resp = self._resp
        if resp is not None and not resp.closed:
            resp.close()

    # -- control (its StreamControl's, on the loop) ------------------------------------------

    def _pause(self) -> None:
        """Hold the stream, known to its runner, whose close ends it; a closed runner holds
        none (nothing would wake its reader)."""
        runner = self._runner
        if not runner._watchdog.closed:
            self._paused = True
            runner._streams.add(self)  # (left at its end: StreamReader._end)

    def _cancel(self, reason: str) -> None:
        """End the stream now, keeping what arrived; an ended stream is only unpaused."""
        if not self._ended:
            self._ready.clear()
        self._cut(reason)

    async def _hold_reader(self) -> None:
        """:meth:`_hold` for a reader outside :meth:`_fill` (chunks already read)."""
        if self._reading:
            raise RuntimeError(TWO_READERS)
        self._reading = True
        try:
            await self._hold()
        except asyncio.CancelledError:
            self._cancelled()
            raise
        finally:
            self._reading = False
