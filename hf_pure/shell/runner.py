"""The runner: the one place that turns request values into HTTP with aiohttp.

    async with hf.open_runner() as runner:
        result = await runner.run(request)          # Result[T, HfError], never raises
        async for chunk in runner.stream(request):  # typed chunks
            ...

One ``aiohttp.ClientSession`` per runner (or a borrowed one, which the runner then leaves
open, and whose ``raise_for_status`` it overrides). Every aiohttp, timeout and connection
failure becomes an :class:`HfError` (:mod:`hf_pure.shell.transport`); streams are
:class:`hf_pure.shell.stream.Stream` (its machinery loads with the first stream: a program that
never streams does not pay for it). Cancellation is not an error: it propagates, after the
connection is released.

The total timeout of a whole call (and of ``run`` on a streaming request) is kept by one
:class:`~hf_pure.shell.watchdog.Watchdog` per runner, not by aiohttp's per-request
``ClientTimeout(total=...)``; aiohttp keeps the connect bound, and the per-read bound of
streams. Inside, an exchange answers the reply or the error itself; the one ``Result`` of a
call is made at the edge (``send``, ``run``, ``run_measured``). Closing the runner ends the
calls still under way as ``ConnectionFailed`` (the runner was closed), and fails later ones
the same way.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import aiohttp
import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.config import ClientConfig
from hf_pure.core.error_base import InvalidInput
from hf_pure.core.http import HttpCall, RawReply, reply_from_wire
from hf_pure.core.request import Request, StreamingRequest
from hf_pure.core.secret import Secret
from hf_pure.shell.transport import RUNNER_CLOSED, scrub, transport_error
from hf_pure.shell.watchdog import Cause, Watchdog

if TYPE_CHECKING:  # the error values load with the first error (hf_pure.core.error_base)
    from hf_pure.core.errors import ConnectionFailed, HfError, MissingToken
    from hf_pure.shell.stream import Stream as Stream  # noqa: PLC0414  (see __getattr__)
    from hf_pure.shell.stream_read import StreamReader

__all__ = ["UNSET", "Runner", "open_runner"]

T = TypeVar("T")
C = TypeVar("C")


def __getattr__(name: str) -> object:
    """``Stream``, which this module exported before it loaded lazily (the stream machinery
    loads with the first stream, or here)."""
    if name == "Stream":
        from hf_pure.shell.stream import Stream

        return Stream
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Unset:
    __slots__ = ()


UNSET: Final = _Unset()


class Runner:
    """Sends request values; owns (or borrows) one aiohttp session. Make it with
    :func:`open_runner`."""

    def __init__(
        self,
        config: ClientConfig,
        session: aiohttp.ClientSession,
        *,
        token_problem: HfError | None = None,
        token_hint: MissingToken | None = None,
    ) -> None:
        self._config = config
        self._session = session
        self._token_problem = token_problem
        self._token_hint = token_hint
        token = config.token
        self._secret = token.reveal() if token is not None else None
        base = {"User-Agent": config.user_agent}
        if self._secret is not None:
            base["Authorization"] = f"Bearer {self._secret}"
        self._headers: dict[tuple[bool, str | None], dict[str, str]] = {}
        for stream in (False, True):
            accept = "text/event-stream" if stream else "application/json"
            plain = {**base, "Accept": accept}
            self._headers[stream, None] = plain
            self._headers[stream, "application/json"] = {
                **plain,
                "Content-Type": "application/json",
            }
        # Whole requests: aiohttp bounds the connect only; the watchdog bounds the total (a
        # timer per request and a timer context per read is what aiohttp's total costs), and
        # no sock_read, whose timer would be re-armed on every packet. Streams have no total,
        # only the idle-read bound.
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=config.connect_timeout)
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=config.connect_timeout, sock_read=config.read_timeout
        )
        self._total = config.total_timeout
        self._watchdog = Watchdog()
        # the streams sent and not ended, and the paused ones (held weakly): closing the
        # runner cuts them, else a reader would wait on a connection nothing closes (a
        # borrowed session's, or one aiohttp's session close leaves to its reader) or on a
        # resume that can't come
        self._streams: weakref.WeakSet[StreamReader[Any, Any]] = weakref.WeakSet()

    @property
    def config(self) -> ClientConfig:
        return self._config

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._session

    # -- helpers ---------------------------------------------------------------------------

    def _headers_for(self, call: HttpCall) -> Mapping[str, str]:
        found = self._headers.get((call.stream, call.content_type))
        if found is not None:
            return found
        plain = self._headers[call.stream, None]
        return {**plain, "Content-Type": call.content_type} if call.content_type else plain

    def _timeout_for(self, call: HttpCall) -> aiohttp.ClientTimeout:
        """aiohttp's bounds for ``call``: the connect, and for a stream each wait for data
        (the call's own timeout, else ``read_timeout``). A whole call's total is the
        watchdog's (:meth:`_exchange`)."""
        if not call.stream:
            return self._timeout
        if call.timeout is None:
            return self._stream_timeout
        return aiohttp.ClientTimeout(
            total=None, sock_connect=self._config.connect_timeout, sock_read=call.timeout
        )

    def _fail(self, error: HfError) -> HfError:
        """Scrub the token from an error and add the 'no token found' hint to a 401."""
        if self._secret is not None:
            return scrub(error, self._secret)
        from hf_pure.core.errors import Unauthorized  # loads with the first error

        if isinstance(error, Unauthorized) and self._token_hint is not None:
            hint = f"no token was sent: {self._token_hint.message}"
            return attrs.evolve(error, detail=f"{error.detail}; {hint}" if error.detail else hint)
        return error

    def _close(self) -> None:
        """End the calls under way (as ``ConnectionFailed``: the runner was closed) and fail
        later ones the same way; end the streams under way and the paused ones as streams
        cut by the close (:data:`CLOSED_BEFORE_END`: their readers wake, their connections
        close); leave no timer behind. ``open_runner`` calls it on exit."""
        self._watchdog.close()
        if self._streams:  # only a runner that has streamed has any: the module is loaded
            from hf_pure.shell.stream_read import CLOSED_BEFORE_END

            self._cut_streams(CLOSED_BEFORE_END)

    def _cut_streams(self, reason: str) -> None:
        """End the streams under way and the paused ones as cut, with ``reason`` (the sync
        runner's close gives its own, before it cancels its calls)."""
        for stream in tuple(self._streams):
            stream._cut(reason)

    # -- the two verbs -----------------------------------------------------------------------

    async def send(
        self, call: HttpCall, *, base_url: str | None = None
    ) -> Result[RawReply, HfError]:
        """Perform one HTTP exchange and return the whole reply, whatever its status."""
        reply = await self._exchange(call, base_url)
        if isinstance(reply, RawReply):
            return Success(reply)
        return Failure(reply)

    async def _exchange(self, call: HttpCall, base_url: str | None) -> RawReply | HfError:
        """:meth:`send` without the Result: the reply, or the error that stopped the call.
        A whole call is bounded by the watchdog (its own ``timeout``, else ``total_timeout``);
        a streaming call sent whole only by aiohttp's connect and per-read bounds."""
        if self._token_problem is not None:
            return self._token_problem
        timeout = self._total if call.timeout is None else call.timeout
        watch = self._watchdog.watch(None if call.stream else timeout)
        if watch is None:
            return _closed()
        url = call.url(base_url or self._config.base_url(call.base))
        try:
            async with self._session.request(
                call.method,
                url,
                data=call.body,
                headers=self._headers_for(call),
                timeout=self._timeout_for(call),
                raise_for_status=False,  # a borrowed session's own setting would hide statuses
            ) as resp:
                body = await resp.read()
                return reply_from_wire(resp.status, resp.headers, body, time.time())
        except asyncio.CancelledError:
            cause = watch.stop()
            if cause is None:  # the caller's own cancellation: theirs, connection released
                raise
            if cause is Cause.DEADLINE:
                from hf_pure.core.errors import Timeout  # loads with the first error

                return Timeout("total", timeout)
            return _closed()
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            return self._fail(transport_error(exc, self._config, call.timeout))
        except RuntimeError:
            if not self._session.closed:
                raise
            return _closed()
        finally:
            watch.stop()

    async def run(self, request: Request[T], *, base_url: str | None = None) -> Result[T, HfError]:
        """Check, send and decode one request. Never raises for input, network or server.

        A request marked ``stream=True`` travels as SSE and the assembled answer is returned;
        ``total_timeout`` bounds the whole of it, as it bounds a plain call.
        ``base_url`` overrides the configured router/Hub URL (failover uses it).
        """
        return (await self.run_measured(request, base_url=base_url))[0]

    async def run_measured(
        self, request: Request[T], *, base_url: str | None = None
    ) -> tuple[Result[T, HfError], int, int]:
        """:meth:`run`, with the size of the exchange: ``(result, bytes_sent,
        bytes_received)``, the lengths of the request body and of the reply body (0 and 0
        when no reply came back; for a request streamed over SSE, the bytes of the stream
        read before it ended)."""
        problem = request.check(self._config.limits)
        if problem is not None:
            return Failure(problem), 0, 0
        if getattr(request, "stream", False):
            return await self._collect(cast("StreamingRequest[T, Any]", request), base_url)
        call = request.to_call()
        reply = await self._exchange(call, base_url)
        if not isinstance(reply, RawReply):
            return Failure(reply), 0, 0
        body = call.body
        sent = len(body) if body is not None else 0
        received = len(reply.body)
        if 200 <= reply.status < 300:
            decoded = request.decode(reply)  # the one Result of the call
            if isinstance(decoded, Failure):
                return Failure(self._fail(decoded.failure())), sent, received
            return decoded, sent, received
        from hf_pure.core.failures import error_from_reply  # loads with the first error

        return Failure(self._fail(error_from_reply(reply))), sent, received

    def stream(
        self,
        request: StreamingRequest[T, C],
        *,
        base_url: str | None = None,
        keep_chunks: bool = False,
    ) -> Stream[C, T]:
        """Stream a request over SSE: an async iterator of typed chunks with a ``result``
        (``keep_chunks=True``: the stream also keeps every chunk, in ``stream.chunks``)."""
        from hf_pure.shell.stream import Stream  # loads with the first stream

        return Stream(self, request, base_url, keep_chunks)

    async def _collect(
        self, request: StreamingRequest[T, Any], base_url: str | None
    ) -> tuple[Result[T, HfError], int, int]:
        """``run_measured`` of a streaming request: the assembled answer within the request's
        own ``timeout`` (:func:`hf_pure.with_timeout`), else ``total_timeout``, and the bytes
        the stream sent and read."""
        own: float | None = getattr(request, "timeout", None)
        total = self._total if own is None else own
        watch = self._watchdog.watch(total)
        if watch is None:  # as a stream of a closed runner ends, having sent nothing
            from hf_pure.core.errors import StreamInterrupted  # loads with the first error
            from hf_pure.shell.stream_read import CLOSED_BEFORE_END

            return Failure(StreamInterrupted("", 0, CLOSED_BEFORE_END)), 0, 0
        stream = self.stream(request, base_url=base_url)
        try:
            result = await stream.collect()
        except asyncio.CancelledError:  # the stream released its connection
            cause = watch.stop()
            if cause is None:  # the caller's own cancellation
                raise
            if cause is Cause.DEADLINE:
                from hf_pure.core.errors import Timeout  # loads with the first error

                result = Failure(self._fail(Timeout("total", total, stream._request_id)))
            else:
                result = _closed_stream(stream.result)
        finally:
            watch.stop()
        return result, stream.bytes_sent, stream.bytes_received


def _closed() -> ConnectionFailed:
    from hf_pure.core.errors import ConnectionFailed  # loads with the first error

    return ConnectionFailed(RUNNER_CLOSED)


def _closed_stream(ended: Result[Any, HfError]) -> Result[Any, HfError]:
    """The outcome of a streamed ``run`` ended by its runner closing: a cut stream keeps what
    arrived and says why, as a stream read after its runner closed does; a stream that had
    already ended (its answer, or its own error) keeps that."""
    from hf_pure.core.errors import StreamInterrupted  # loads with the first error
    from hf_pure.shell.stream_read import CLOSED_BEFORE_END

    error = ended.failure() if isinstance(ended, Failure) else None
    if isinstance(error, StreamInterrupted):
        return Failure(attrs.evolve(error, reason=CLOSED_BEFORE_END))
    return ended


@asynccontextmanager
async def open_runner(
    config: ClientConfig | None = None,
    *,
    token: str | Secret | _Unset | None = UNSET,
    session: aiohttp.ClientSession | None = None,
) -> AsyncIterator[Runner]:
    """A runner for the block's duration; its session is closed on exit unless borrowed.

    The token comes from ``token=`` if given (None: send none), else from ``config.token``,
    else from the environment (``HUGGINGFACE_API_KEY``, ``HF_TOKEN``, the workspace file
    ``secret/-secrets.sh``, the huggingface_hub token file). A token that is found but broken
    makes every call fail with ``InvalidInput``; none found means calls go without one (a 401
    then says where the runner looked).
    """
    if not (token is UNSET or token is None or isinstance(token, str | Secret)):
        # never fall back to another account's token because this one has the wrong type
        raise TypeError(
            f"open_runner(token=...) must be a str, a Secret or None, got {type(token).__name__}"
        )
    config = config or ClientConfig()
    problem: HfError | None = None
    hint: MissingToken | None = None
    if isinstance(token, Secret) or token is None:
        config = attrs.evolve(config, token=token)
    elif isinstance(token, str):
        parsed = Secret.parse(token, source="token")
        if isinstance(parsed, Failure):
            problem = parsed.failure()
        else:
            config = attrs.evolve(config, token=parsed.unwrap())
    elif config.token is None:
        from hf_pure.shell.env import load_token

        found = load_token()
        if isinstance(found, Success):
            config = attrs.evolve(config, token=found.unwrap())
        else:
            missing = found.failure()
            if not isinstance(missing, InvalidInput):  # MissingToken: no token found
                hint = missing
            else:
                problem = missing
    owned = session is None
    if session is None:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=config.max_connections),
            raise_for_status=False,
        )
    runner = Runner(config, session, token_problem=problem, token_hint=hint)
    try:
        yield runner
    finally:
        runner._close()
        if owned:
            await session.close()
