"""The reading machinery of a stream: its state, how it opens, reads, folds and ends.

:class:`hf_pure.shell.stream.Stream` is the public face over it (iteration, ``result``,
``control()``); this module holds what the face drives, so each stays small.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import aiohttp
from returns.result import Failure, Result, Success

from hf_pure.core import sse
from hf_pure.core.http import RawReply
from hf_pure.core.request import (
    Broken,
    Done,
    StreamingRequest,
    conclude,
    decode_reply,
    ended_by,
)
from hf_pure.shell.stream_control import Pausable
from hf_pure.shell.transport import RUNNER_CLOSED, transport_error

if TYPE_CHECKING:
    from hf_pure.core.errors import HfError
    from hf_pure.shell.runner import Runner

T = TypeVar("T")
C = TypeVar("C")

_DRAIN_LIMIT: Final = 1 << 16  # bytes read after the end of a stream so the connection is reused

#: Why a stream read after its runner was closed ends interrupted.
CLOSED_BEFORE_END: Final = f"{RUNNER_CLOSED} before the stream was read to its end"

#: The usage error of a second task reading a stream while another one waits for data.
TWO_READERS: Final = (
    "another task is already reading this stream: a stream has one reader "
    "(read it in one task and share stream.result or its chunks, or make one stream per task)"
)

#: The usage error of asking a stream that does not keep its chunks for them.
NOT_KEPT: Final = (
    "this stream does not keep its chunks (it folds them into .result as they arrive): "
    "open it with runner.stream(request, keep_chunks=True) to have them in .chunks, "
    "or keep the ones you need as you iterate"
)


class StreamReader(Pausable, Generic[C, T]):
    """The state and the read loop of one stream (see :class:`hf_pure.shell.stream.Stream`)."""

    __slots__ = (
        "_acc",
        "_base_url",
        "_codec",
        "_complete",
        "_ended",
        "_head",
        "_kept",
        "_last",
        "_opener",
        "_outcome",
        "_reading",
        "_ready",
        "_received",
        "_request",
        "_request_id",
        "_resp",
        "_runner",
        "_sent",
        "_started",
        "_stopping",
        "_tail",
    )

    def __init__(
        self,
        runner: Runner,
        request: StreamingRequest[T, C],
        base_url: str | None,
        keep_chunks: bool = False,
    ) -> None:
        self._runner = runner
        self._request = request
        self._codec = codec = request.codec
        self._base_url = base_url
        self._resp: aiohttp.ClientResponse | None = None
        self._acc: Any = codec.start()  # every chunk read so far, folded
        # the chunks read and not yet handed out, last first (handing one out is a pop)
        self._ready: list[C] = []
        self._last: C | None = None  # the last chunk read
        self._kept: list[C] | None = [] if keep_chunks else None
        self._tail = b""
        self._sent = 0  # bytes of the request body, once sent
        self._received = 0  # bytes of the reply body read so far
        self._request_id: str | None = None
        self._head: tuple[int, Mapping[str, str]] | None = None  # the reply's status, headers
        self._started = False
        self._reading = False  # a task is waiting in _fill
        self._ended = False
        self._complete = False  # ended whole: the answer is finished when first asked for
        self._outcome: Result[T, HfError] | None = None
        self._control = None  # (Pausable's: the handle, once asked for)
        self._paused = False
        self._resumed = None
        self._opener: asyncio.Task[Any] | None = None  # the task sending the request
        self._stopping = False  # the control cancelled the opener

    # -- endings -----------------------------------------------------------------------------

    def _end(self, outcome: Result[T, HfError]) -> None:
        if isinstance(outcome, Failure):
            outcome = Failure(self._runner._fail(outcome.failure()))
        self._outcome = outcome
        self._ended = True
        self._last = None
        self._runner._streams.discard(self)

    def _end_complete(self) -> None:
        self._complete = True
        self._ended = True
        self._last = None
        self._runner._streams.discard(self)

    def _interrupted(self, reason: str) -> None:
        self._end(
            conclude(
                self._codec,
                self._acc,
                complete=False,
                reason=reason,
                request_id=self._request_id,
            )
        )

    def _cut(self, reason: str) -> None:
        """End the stream now, keeping what arrived: the chunks read and not handed out yet
        still are, before the end (its runner's close cuts it so, as a close while it was
        read would; its control's cancel empties them first)."""
        if not self._ended:
            self._interrupted(reason)
            opener = self._opener
            if opener is not None:  # the request is being sent: stop waiting for its reply
                self._opener = None
                self._stopping = True
                opener.cancel()
            self._release(close=True)  # a reader waiting for data wakes (see _broke)
        self._wake()

    # -- machinery ---------------------------------------------------------------------------

    def _cancelled(self) -> None:
        """The reading task was cancelled: release the connection, and end the stream cut
        ("cancelled") unless it had already ended."""
        self._release(close=True)
        if not self._ended:
            self._interrupted("cancelled")

    def _release(self, *, close: bool = False) -> None:
        resp = self._resp
        if resp is not None:
            self._resp = None
            if close:
                resp.close()
            else:
                resp.release()

    def _hand(self, chunks: list[C]) -> None:
        """Fold ``chunks`` (the next ones) and make them the ones to hand out (all of the
        last read's were: this runs only when there are none left)."""
        self._acc = self._codec.fold(self._acc, chunks)
        self._last = chunks[-1]
        kept = self._kept
        if kept is not None:
            kept += chunks
        chunks.reverse()
        self._ready = chunks

    async def _open(self) -> bool:
        """Send the request; False when the stream ended before any event."""
        self._started = True
        runner = self._runner
        problem = self._request.check(runner._config.limits) or runner._token_problem
        if problem is not None:
            self._end(Failure(problem))
            return False
        if runner._session.closed or runner._watchdog.closed:  # (a borrowed session stays open)
            self._interrupted(CLOSED_BEFORE_END)
            return False
        runner._streams.add(self)  # its close cuts the stream
        call = self._request.to_stream_call()
        url = call.url(self._base_url or runner._config.base_url(call.base))
        self._opener = asyncio.current_task()  # what a control's cancel() stops
        try:
            resp = await runner._session.request(
                call.method,
                url,
                data=call.body,
                headers=runner._headers_for(call),
                timeout=runner._timeout_for(call),
                raise_for_status=False,  # a borrowed session's own setting would hide statuses
            )
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            self._stopping = False  # cancelled by the control: the stream has ended
            task = asyncio.current_task()
            if task is not None and task.uncancel() > 0:
                raise  # and by someone else too: theirs propagates
            return False
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            self._end(Failure(transport_error(exc, runner._config, call.timeout)))
            return False
        finally:
            self._opener = None
        if self._ended:  # closed by another task while the request was sent
            resp.close()
            return False
        self._resp = resp
        self._sent = len(call.body) if call.body is not None else 0
        self._request_id = resp.headers.get("x-request-id")
        self._head = (resp.status, resp.headers)
        if resp.status >= 300 or resp.content_type != "text/event-stream":
            try:
                body = await resp.read()
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                self._release(close=True)
                if not self._ended:  # (else cancelled or closed meanwhile: keep that ending)
                    self._end(Failure(transport_error(exc, runner._config, call.timeout)))
                return False
            self._received += len(body)
            self._release()
            # a status error, or a server that ignored "stream" and sent the whole answer
            reply = RawReply(resp.status, resp.headers, body, time.time())
            outcome = decode_reply(self._request, reply)
            if isinstance(outcome, Success):  # the whole answer, handed out as one chunk
                self._hand([self._codec.as_chunk(outcome.unwrap())])
            self._end(outcome)
            return False
        head = getattr(self._codec, "head", None)  # a codec that answers with the reply head
        if head is not None:
            from hf_pure.core.reply_info import reply_info_from_wire  # (the wrapper loaded it)

            self._acc = head(self._acc, reply_info_from_wire(resp.status, resp.headers))
        return True

    def _take(self, events: Sequence[bytes | sse.SseEvent]) -> None:
        """Fold the chunks of ``events``; end the stream when one of them says so."""
        chunks, ending = self._codec.events(events, self._request_id)
        if chunks:
            self._hand(chunks)
        if ending is None:
            return
        if isinstance(ending, Done):
            self._end_complete()
        elif isinstance(ending, Broken):
            self._interrupted(ending.reason)
        else:
            self._end(Failure(ended_by(self._acc, ending)))

    async def _drain(self) -> None:
        """Read what follows the end of the stream so the connection can be reused."""
        resp = self._resp
        if resp is None:
            return
        try:
            seen = 0
            while seen <= _DRAIN_LIMIT:
                data = await resp.content.readany()
                if not data:
                    self._release()
                    return
                seen += len(data)
        except (TimeoutError, aiohttp.ClientError, OSError, RuntimeError):
            pass
        self._release(close=True)

    def _broke(self, exc: BaseException) -> None:
        """End the stream after a read raised ``exc``."""
        self._release(close=True)
        if self._ended:  # closed meanwhile (aclose() from another task): keep that ending
            return
        if self._runner._session.closed:
            self._interrupted(CLOSED_BEFORE_END)
        elif isinstance(exc, RuntimeError):  # aiohttp: the connection is gone
            self._interrupted(f"the connection was closed ({exc})")
        else:
            own = getattr(self._request, "timeout", None)  # a read bound of its own
            self._interrupted(transport_error(exc, self._runner._config, own).message)

    async def _fill(self) -> C:
        """Read until there is a chunk to hand out or the stream has ended."""
        self._reading = True
        try:
            if not self._started:
                if self._paused:  # held before anything is sent
                    await self._hold()
                    if self._ended:
                        raise StopAsyncIteration
                if not await self._open():
                    return self._next_ready()  # the whole answer came as one reply, or nothing
            resp = self._resp
            if resp is None:  # closed by another task while the request was sent
                raise StopAsyncIteration
            content = resp.content
            while True:
                if self._paused:  # the socket is not read: TCP holds the server back
                    await self._hold()
                    if self._resp is None:  # cancelled or closed meanwhile
                        raise StopAsyncIteration
                try:
                    data = await content.readany()
                except (TimeoutError, aiohttp.ClientError, OSError, RuntimeError) as exc:
                    self._broke(exc)
                    raise StopAsyncIteration from None
                if data:
                    self._received += len(data)
                    self._tail, items = sse.feed_lean(self._tail, data)
                    self._take(items)
                else:  # the body ended
                    events, self._tail = sse.flush(self._tail), b""
                    self._take(events)
                    if not self._ended:
                        last = self._last
                        if last is not None and self._codec.final(last):
                            self._end_complete()
                        else:
                            self._interrupted("the body ended before the end of the stream")
                if self._ended:
                    await self._drain()
                elif not self._ready:
                    continue
                if self._paused:  # paused while they were read: hold them
                    await self._hold()
                return self._next_ready()
        except asyncio.CancelledError:
            self._cancelled()
            raise
        finally:
            self._reading = False

    def _next_ready(self) -> C:
        """The next chunk read and not yet handed out; StopAsyncIteration when none is left
        (the stream has ended)."""
        ready = self._ready
        if ready:
            return ready.pop()
        raise StopAsyncIteration
