"""Modifiers for any request: :func:`with_reply_info` and :func:`with_timeout`.

Each wraps a request (any value the runner can send: chat, an hf-inference task, a Hub call,
streaming or not) in another frozen request value that delegates to it, so they work with
every runner (``run``, ``stream``, the reliable and the sync runner), ``as_curl`` and the cache
without knowing the task. They go last in a ``pipe``, after the task's own modifiers (which
change the task's request, not the wrapper)::

    request = pipe(
        hf.chat(model, [hf.user("Hi")]),
        hf.max_tokens(64),
        hf.with_timeout(10),      # this request's total timeout, instead of the runner's
        hf.with_reply_info(),     # succeed with Replied: the answer, its headers, rate limit
    )

The wrapped request is still a value: equal wrappers of equal requests are equal, and a
wrapper is a different cache key from the request it wraps. Its inner request is
``wrapper.request`` (``hf.evolve(wrapper, request=...)`` changes it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, NoReturn, Protocol, TypeVar, overload

import attrs
from returns.result import Result, Success

from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.http import HttpCall, RawReply
from hf_pure.core.reply_info import Replied, ReplyInfo
from hf_pure.core.request import Broken, Done, Folded, Request, StreamCodec, StreamingRequest
from hf_pure.core.sse import SseEvent
from hf_pure.core.value import Value

__all__ = [
    "UNKNOWN_REPLY",
    "RepliedCodec",
    "ReplyInfoModifier",
    "StreamingWithReplyInfo",
    "StreamingWithTimeout",
    "TimeoutModifier",
    "WithReplyInfo",
    "WithTimeout",
    "with_reply_info",
    "with_timeout",
]

T = TypeVar("T")
C = TypeVar("C")

#: The reply of a stream folded without its reply head (only outside the runner).
UNKNOWN_REPLY: Final = ReplyInfo(0, ())


class _Wrapper(Value):
    """What every wrapper delegates to the request it wraps."""

    __slots__ = ()
    request: Request[Any]

    @property
    def cacheable(self) -> bool:
        return self.request.cacheable

    @property
    def model(self) -> object:
        """The wrapped request's model ("" when it has none), for the per-model breakers and
        metrics of the reliable runner."""
        return getattr(self.request, "model", "")

    @property
    def timeout(self) -> float | None:
        """This request's own total timeout (None: the runner's ``total_timeout``)."""
        found: float | None = getattr(self.request, "timeout", None)
        return found

    def check(self, limits: Limits) -> InvalidInput | None:
        """The wrapped request's check."""
        return self.request.check(limits)

    def to_call(self) -> HttpCall:
        return self.request.to_call()

    if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute name

        def __getattr__(self, name: str) -> NoReturn:
            """Only reached for a name the wrapper lacks: say where the request went."""
            kind = type(self).__name__
            made_by = "with_reply_info()" if kind.endswith("ReplyInfo") else "with_timeout()"
            raise AttributeError(
                f"{kind!r} object has no attribute {name!r}: it wraps a request "
                f"(wrapper.request); apply {made_by} last in pipe(...), after the request's "
                "own modifiers"
            )


# ---------------------------------------------------------------- reply info


def _replied(request: Request[T], reply: RawReply) -> Result[Replied[T], HfError]:
    decoded = request.decode(reply)
    if isinstance(decoded, Success):
        return Success(Replied(decoded.unwrap(), ReplyInfo(reply.status, reply.headers)))
    return decoded  # type: ignore[return-value]  # a Failure holds no value


@attrs.frozen(repr=False)
class WithReplyInfo(_Wrapper, Generic[T]):
    """``request``, answering :class:`Replied` (the answer and its reply's headers). Made by
    :func:`with_reply_info`; errors are the request's own (each carries its request id)."""

    request: Request[T]

    def decode(self, reply: RawReply) -> Result[Replied[T], HfError]:
        return _replied(self.request, reply)


@attrs.frozen(repr=False)
class StreamingWithReplyInfo(_Wrapper, Generic[T, C]):
    """:class:`WithReplyInfo` of a request that can stream: the stream's chunks are the
    request's own, its answer (``stream.result``, or ``runner.run`` of a streamed request)
    is :class:`Replied` with the stream's reply headers."""

    request: StreamingRequest[T, C]

    @property
    def stream(self) -> bool:
        return self.request.stream

    @property
    def codec(self) -> RepliedCodec[C, T]:
        return RepliedCodec(self.request.codec)

    def to_stream_call(self) -> HttpCall:
        return self.request.to_stream_call()

    def decode(self, reply: RawReply) -> Result[Replied[T], HfError]:
        return _replied(self.request, reply)


class _Headed:
    """A :class:`RepliedCodec`'s accumulator: the wrapped codec's, and the reply head."""

    __slots__ = ("info", "inner")

    def __init__(self, inner: Folded, info: ReplyInfo | None) -> None:
        self.inner = inner
        self.info = info

    @property
    def text(self) -> str:
        return self.inner.text

    @property
    def count(self) -> int:
        return self.inner.count


@attrs.frozen(repr=False)
class RepliedCodec(Value, Generic[C, T]):
    """A stream codec whose answer is :class:`Replied`: ``inner`` reads the events and folds
    the chunks; the stream hands it the reply head (:meth:`head`) once that has arrived."""

    inner: StreamCodec[C, Any, T]

    def event(self, event: SseEvent, request_id: str | None) -> C | HfError | Done | Broken | None:
        return self.inner.event(event, request_id)

    def events(
        self, events: Sequence[bytes | SseEvent], request_id: str | None
    ) -> tuple[list[C], HfError | Done | Broken | None]:
        return self.inner.events(events, request_id)

    def final(self, chunk: C) -> bool:
        return self.inner.final(chunk)

    def start(self) -> _Headed:
        return _Headed(self.inner.start(), None)

    def head(self, acc: _Headed, info: ReplyInfo) -> _Headed:
        """``acc`` with the reply head: what :meth:`finish` puts in the answer."""
        return _Headed(acc.inner, info)

    def fold(self, acc: _Headed, chunks: Sequence[C]) -> _Headed:
        return _Headed(self.inner.fold(acc.inner, chunks), acc.info)

    def finish(self, acc: _Headed) -> Replied[T]:
        return Replied(self.inner.finish(acc.inner), acc.info or UNKNOWN_REPLY)

    def as_chunk(self, answer: Replied[T]) -> C:
        return self.inner.as_chunk(answer.value)


class ReplyInfoModifier(Protocol):
    """What :func:`with_reply_info` returns: request -> the request answering Replied."""

    @overload
    def __call__(  # type: ignore[overload-overlap]  # a streaming request is a request too
        self, request: StreamingRequest[T, C], /
    ) -> StreamingWithReplyInfo[T, C]: ...
    @overload
    def __call__(self, request: Request[T], /) -> WithReplyInfo[T]: ...


def _reply_info(request: Any) -> Any:
    if hasattr(request, "to_stream_call"):
        return StreamingWithReplyInfo(request)
    return WithReplyInfo(request)


def with_reply_info() -> ReplyInfoModifier:
    """Make a request succeed with :class:`~hf_pure.core.reply_info.Replied`: the answer
    (``.value``) and the reply it came in (``.request_id``, ``.headers``, ``.rate_limit``,
    ``.status``). For a stream, ``stream.result`` is Replied and ``stream.reply_info`` has the
    head as soon as it arrived. Errors are unchanged. A cache hit of the reliable runner
    answers the Replied that was cached: the headers of the reply that filled the cache."""
    modifier: ReplyInfoModifier = _reply_info
    return modifier


# ---------------------------------------------------------------- timeout


def _timeout_problem(seconds: float) -> InvalidInput | None:
    if math.isfinite(seconds) and seconds > 0:
        return None
    return InvalidInput("timeout", f"must be a positive, finite number of seconds, got {seconds!r}")


@attrs.frozen(repr=False)
class WithTimeout(_Wrapper, Generic[T]):
    """``request`` with its own total timeout. Made by :func:`with_timeout`."""

    request: Request[T]
    seconds: float

    @property
    def timeout(self) -> float:
        return self.seconds

    def check(self, limits: Limits) -> InvalidInput | None:
        return _timeout_problem(self.seconds) or self.request.check(limits)

    def to_call(self) -> HttpCall:
        return attrs.evolve(self.request.to_call(), timeout=self.seconds)

    def decode(self, reply: RawReply) -> Result[T, HfError]:
        return self.request.decode(reply)


@attrs.frozen(repr=False)
class StreamingWithTimeout(_Wrapper, Generic[T, C]):
    """:class:`WithTimeout` of a request that can stream. A streamed ``runner.run`` ends
    within ``seconds`` as a whole; ``runner.stream`` waits at most ``seconds`` for each
    piece of data (an iterated stream has no total: the caller says when to stop)."""

    request: StreamingRequest[T, C]
    seconds: float

    @property
    def timeout(self) -> float:
        return self.seconds

    @property
    def stream(self) -> bool:
        return self.request.stream

    @property
    def codec(self) -> StreamCodec[C, Any, T]:
        return self.request.codec

    def check(self, limits: Limits) -> InvalidInput | None:
        return _timeout_problem(self.seconds) or self.request.check(limits)

    def to_call(self) -> HttpCall:
        return attrs.evolve(self.request.to_call(), timeout=self.seconds)

    def to_stream_call(self) -> HttpCall:
        return attrs.evolve(self.request.to_stream_call(), timeout=self.seconds)

    def decode(self, reply: RawReply) -> Result[T, HfError]:
        return self.request.decode(reply)


class TimeoutModifier(Protocol):
    """What :func:`with_timeout` returns: request -> the request with its own timeout."""

    @overload
    def __call__(  # type: ignore[overload-overlap]  # a streaming request is a request too
        self, request: StreamingRequest[T, C], /
    ) -> StreamingWithTimeout[T, C]: ...
    @overload
    def __call__(self, request: Request[T], /) -> WithTimeout[T]: ...


def with_timeout(seconds: float) -> TimeoutModifier:
    """Give a request its own timeout, in seconds, instead of the runner's: a whole call (and
    a streamed ``runner.run``) must end within it, else ``Timeout("total", seconds)``; a
    stream read with ``runner.stream`` waits at most ``seconds`` for each piece of data.
    ``seconds`` must be positive and finite (``check`` reports another number as
    ``InvalidInput("timeout", ...)``); a value that is not a number is a TypeError."""
    if type(seconds) is bool or not isinstance(seconds, int | float):
        raise TypeError(
            f"with_timeout(): seconds must be a number (int or float), got {type(seconds).__name__}"
        )
    try:
        given = float(seconds)
    except OverflowError:  # an int too large for a float: check() reports it
        given = math.inf

    def apply(request: Any) -> Any:
        if hasattr(request, "to_stream_call"):
            return StreamingWithTimeout(request, given)
        return WithTimeout(request, given)

    modifier: TimeoutModifier = apply
    return modifier
