"""What the runner needs from a request value, and the pure logic that ends a stream.

A request is any frozen, hashable value that can say what is wrong with it (``check``), turn
itself into an :class:`HttpCall` (``to_call``) and decode a reply (``decode``). A streaming
request also turns itself into a streaming call and names the :class:`StreamCodec` that turns
SSE events into typed chunks and folds the chunks, as they arrive, into a small accumulator
that gives the whole answer at the end (the chunks themselves need not be kept).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.config import Limits
from hf_pure.core.http import HttpCall, RawReply
from hf_pure.core.value import ValueEq

if TYPE_CHECKING:  # the error values load with the first error (hf_pure.core.error_base)
    from hf_pure.core.error_base import InvalidInput
    from hf_pure.core.errors import HfError
    from hf_pure.core.sse import SseEvent  # (loads with the first stream)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
C = TypeVar("C")


class Folded(Protocol):
    """What every stream accumulator tells, whatever else it folds: the text received so far
    (what a cut stream keeps) and how many chunks were folded into it."""

    @property
    def text(self) -> str: ...

    @property
    def count(self) -> int: ...


A = TypeVar("A", bound=Folded)


class Done:
    """The end-of-stream marker a codec returns for ``data: [DONE]``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DONE"


DONE: Final = Done()


@attrs.frozen(repr=False, eq=False)
class Broken(ValueEq):
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


class StreamCodec(Protocol[C, A, T_co]):  # type: ignore[misc]  # T_co in as_chunk: see there
    """Turns SSE events into chunks ``C``, folds chunks into an accumulator ``A`` as they
    arrive, and the accumulator into the whole answer ``T_co``.

    The fold is pure and associative over the order of the chunks: folding a stream's chunks
    in any split into batches gives the accumulator of folding them all at once, so the runner
    folds each read's chunks and keeps none (``assemble`` below is that fold in one go)."""

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

    def start(self) -> A:
        """The accumulator of a stream with no chunk yet."""
        ...

    def fold(self, acc: A, chunks: Sequence[C]) -> A:
        """``acc`` with ``chunks`` (the next ones, in order) folded in; ``acc`` is unchanged."""
        ...

    def finish(self, acc: A) -> T_co:
        """The whole answer of a complete stream, from its accumulator."""
        ...

    def as_chunk(self, answer: T_co) -> C:  # type: ignore[misc]
        """The whole answer as one chunk, for a server that ignored ``"stream": true`` and
        sent it as one reply (folded, its ``text`` is the answer's text). ``T_co`` stays
        covariant for the requests' sake; the runner only hands a codec what its own request
        decoded."""
        ...


class StreamingRequest(Request[T_co], Protocol[T_co, C]):
    """A request that can also be streamed over SSE."""

    @property
    def stream(self) -> bool:
        """True when ``runner.run`` should stream on the wire and assemble the answer."""
        ...

    @property
    def codec(self) -> StreamCodec[C, Any, T_co]: ...

    def to_stream_call(self) -> HttpCall: ...


def decode_events(
    decode: Callable[[SseEvent, str | None], C | HfError | Done | Broken | None],
    chunk_type: type[C],
    events: Sequence[bytes | SseEvent],
    request_id: str | None,
) -> tuple[list[C], HfError | Done | Broken | None]:
    """Decode events one by one until one ends the stream (the loop codecs share)."""
    from hf_pure.core.sse import SseEvent  # (loaded by the stream that reads them)

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
    from hf_pure.core.failures import error_from_reply

    return Failure(error_from_reply(reply))


def assemble(codec: StreamCodec[C, Any, T], chunks: Sequence[C]) -> T:
    """The whole answer from all the chunks of a complete stream at once."""
    return codec.finish(codec.fold(codec.start(), chunks))


def conclude(
    codec: StreamCodec[C, A, T],
    acc: A,
    *,
    complete: bool,
    reason: str,
    request_id: str | None,
) -> Result[T, HfError]:
    """The outcome of a stream that has ended, from what was folded: the whole answer, or the
    text that arrived, how many chunks, and why it is not whole."""
    if complete:
        return Success(codec.finish(acc))
    from hf_pure.core.errors import StreamInterrupted

    return Failure(StreamInterrupted(acc.text, acc.count, reason, request_id))


def ended_by(acc: Folded, error: HfError) -> HfError:
    """The error that ended a stream, with what arrived before it: an :class:`ErrorEvent` keeps
    the text of the chunks folded before it (the codec reads one event and can't know them)."""
    from hf_pure.core.errors import ErrorEvent

    if isinstance(error, ErrorEvent) and acc.count:
        return attrs.evolve(error, received=acc.text, chunks=acc.count)
    return error
