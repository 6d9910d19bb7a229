"""What the runner needs from a request value, and the pure logic that ends a stream.

A request is any frozen, hashable value that can say what is wrong with it (``check``), turn
itself into an :class:`HttpCall` (``to_call``) and decode a reply (``decode``). A streaming
request also turns itself into a streaming call and names the :class:`StreamCodec` that turns
SSE events into typed chunks and, at the end, the chunks into the whole answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Protocol, TypeVar

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.config import Limits
from hf_pure.core.errors import ErrorEvent, HfError, InvalidInput, StreamInterrupted
from hf_pure.core.failures import error_from_reply
from hf_pure.core.http import HttpCall, RawReply
from hf_pure.core.sse import SseEvent
from hf_pure.core.value import Value

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
C = TypeVar("C")


class Done:
    """The end-of-stream marker a codec returns for ``data: [DONE]``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DONE"


DONE: Final = Done()


@attrs.frozen(repr=False)
class Broken(Value):
    """What a codec returns for an event it cannot read: the stream ends, cut, with ``reason``."""

    reason: str


class Request(Protocol[T_co]):
    """A request value the runner can send; ``T_co`` is what a success decodes to."""

    @property
    def cacheable(self) -> bool: ...

    def check(self, limits: Limits) -> InvalidInput | None:
        """The first thing wrong with this request under ``limits``, or None."""
        ...

    def to_call(self) -> HttpCall: ...

    def decode(self, reply: RawReply) -> Result[T_co, HfError]:
        """Decode a 2xx reply (the runner maps other statuses with ``error_from_reply``)."""
        ...


class StreamCodec(Protocol[C, T_co]):  # type: ignore[misc]  # T_co in as_chunk: see there
    """Turns SSE events into chunks ``C`` and the chunks into the whole answer ``T_co``."""

    def event(self, event: SseEvent, request_id: str | None) -> C | HfError | Done | Broken | None:
        """A chunk, an error that ends the stream, DONE, Broken (unreadable), or None to skip."""
        ...

    def events(
        self, events: Sequence[bytes | SseEvent], request_id: str | None
    ) -> tuple[list[C], HfError | Done | Broken | None]:
        """The chunks of a batch of events, and what ended the stream if one did (events
        after the ending are not read). Plain ``message`` events may come as their data bytes
        alone (see :func:`hf_pure.core.sse.feed_lean`). Implementations may loop with
        :func:`decode_events`."""
        ...

    def final(self, chunk: C) -> bool:
        """True when the stream is complete if the body ends right after ``chunk``."""
        ...

    def text(self, chunks: Sequence[C]) -> str:
        """The text carried by ``chunks`` (kept when a stream is cut)."""
        ...

    def assemble(self, chunks: Sequence[C]) -> T_co:
        """The whole answer from the chunks of a complete stream."""
        ...

    def as_chunk(self, answer: T_co) -> C:  # type: ignore[misc]
        """The whole answer as one chunk, for a server that ignored ``"stream": true`` and
        sent it as one reply (its ``text`` is the answer's text). ``T_co`` stays covariant
        for the requests' sake; the runner only hands a codec what its own request decoded."""
        ...


class StreamingRequest(Request[T_co], Protocol[T_co, C]):
    """A request that can also be streamed over SSE."""

    @property
    def stream(self) -> bool:
        """True when ``runner.run`` should stream on the wire and assemble the answer."""
        ...

    @property
    def codec(self) -> StreamCodec[C, T_co]: ...

    def to_stream_call(self) -> HttpCall: ...


def decode_events(
    decode: Callable[[SseEvent, str | None], C | HfError | Done | Broken | None],
    chunk_type: type[C],
    events: Sequence[bytes | SseEvent],
    request_id: str | None,
) -> tuple[list[C], HfError | Done | Broken | None]:
    """Decode events one by one until one ends the stream (the loop codecs share)."""
    out: list[C] = []
    for event in events:
        item = decode(event if type(event) is SseEvent else SseEvent(event), request_id)  # type: ignore[arg-type]
        if type(item) is chunk_type:
            out.append(item)
        elif item is not None:
            return out, item  # type: ignore[return-value]
    return out, None


def decode_reply(request: Request[T], reply: RawReply) -> Result[T, HfError]:
    """Status first (any non-2xx becomes its HfError), then the request's own decoder."""
    if 200 <= reply.status < 300:
        return request.decode(reply)
    return Failure(error_from_reply(reply))


def conclude(
    codec: StreamCodec[C, T],
    chunks: Sequence[C],
    *,
    complete: bool,
    reason: str,
    request_id: str | None,
) -> Result[T, HfError]:
    """The outcome of a stream that has ended: the whole answer, or what arrived and why not."""
    if complete:
        return Success(codec.assemble(chunks))
    return Failure(StreamInterrupted(codec.text(chunks), len(chunks), reason, request_id))


def ended_by(codec: StreamCodec[C, T], chunks: Sequence[C], error: HfError) -> HfError:
    """The error that ended a stream, with what arrived before it: an :class:`ErrorEvent` keeps
    the text of the chunks received (the codec reads one event and can't know them)."""
    if isinstance(error, ErrorEvent) and chunks:
        return attrs.evolve(error, received=codec.text(chunks), chunks=len(chunks))
    return error
