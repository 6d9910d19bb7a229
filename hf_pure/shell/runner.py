"""The runner: the one place that turns request values into HTTP with aiohttp.

    async with hf.open_runner() as runner:
        result = await runner.run(request)          # Result[T, HfError], never raises
        async for chunk in runner.stream(request):  # typed chunks
            ...

One ``aiohttp.ClientSession`` per runner (or a borrowed one, which the runner then leaves
open). Every aiohttp, timeout and connection failure becomes an :class:`HfError`. Cancellation
is not an error: it propagates, after the connection is released.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Final, Generic, TypeVar, cast

import aiohttp
import attrs
from returns.result import Failure, Result, Success

from hf_pure.core import sse
from hf_pure.core.config import ClientConfig
from hf_pure.core.errors import (
    ConnectionFailed,
    HfError,
    InvalidInput,
    MalformedResponse,
    MissingToken,
    StreamInterrupted,
    Timeout,
    Unauthorized,
)
from hf_pure.core.http import HttpCall, RawReply
from hf_pure.core.request import (
    Broken,
    Done,
    Request,
    StreamingRequest,
    conclude,
    decode_reply,
    ended_by,
)
from hf_pure.core.secret import Secret

T = TypeVar("T")
C = TypeVar("C")

_DRAIN_LIMIT: Final = 1 << 16  # bytes read after the end of a stream so the connection is reused


class _Unset:
    __slots__ = ()


UNSET: Final = _Unset()


def transport_error(
    exc: BaseException, config: ClientConfig, call_timeout: float | None
) -> HfError:
    """The HfError for an exception raised by aiohttp or the socket layer."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Timeout("connect", config.connect_timeout)
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return Timeout("read", config.read_timeout)
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return Timeout("total", call_timeout or config.total_timeout)
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        return ConnectionFailed(f"could not connect to {exc.host}:{exc.port} ({reason})")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ConnectionFailed("the server closed the connection before a complete reply")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ConnectionFailed("the reply body was cut off before its end")
    if isinstance(exc, aiohttp.InvalidURL):
        return InvalidInput("url", f"not a valid URL: {exc.url}")
    if isinstance(exc, aiohttp.ClientResponseError):
        return MalformedResponse(exc.status, exc.message or type(exc).__name__)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return ConnectionFailed(str(exc) or type(exc).__name__)
    if isinstance(exc, ValueError):  # e.g. a header aiohttp refuses
        return InvalidInput("request", str(exc))
    raise exc  # a bug, not a network condition: let it be seen


def _scrub_text(value: str, secret: str) -> str:
    return value.replace(secret, "********")


def scrub(error: HfError, secret: str | None) -> HfError:
    """The error with every occurrence of the token (e.g. echoed by a server) masked."""
    if not secret or secret not in repr(error):
        return error
    changes = {
        f.name: _scrub_text(v, secret)
        for f in attrs.fields(type(error))
        if isinstance(v := getattr(error, f.name), str)
    }
    changes.update(
        {
            f.name: tuple(_scrub_text(x, secret) for x in v)
            for f in attrs.fields(type(error))
            if isinstance(v := getattr(error, f.name), tuple)
        }
    )
    scrubbed: HfError = attrs.evolve(cast(Any, error), **changes)
    return scrubbed


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
        # No sock_read on whole requests: ``total`` bounds them, and a read timer would be
        # re-armed on every packet. Streams have no total, only the idle-read bound.
        self._timeout = aiohttp.ClientTimeout(
            total=config.total_timeout, sock_connect=config.connect_timeout
        )
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=config.connect_timeout, sock_read=config.read_timeout
        )

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
        if call.timeout is None:
            return self._stream_timeout if call.stream else self._timeout
        if call.stream:  # for a stream, the call's timeout bounds each wait for data
            return aiohttp.ClientTimeout(
                total=None, sock_connect=self._config.connect_timeout, sock_read=call.timeout
            )
        return aiohttp.ClientTimeout(total=call.timeout, sock_connect=self._config.connect_timeout)

    def _fail(self, error: HfError) -> HfError:
        """Scrub the token from an error and add the 'no token found' hint to a 401."""
        if self._secret is not None:
            return scrub(error, self._secret)
        if isinstance(error, Unauthorized) and self._token_hint is not None:
            hint = f"no token was sent: {self._token_hint.message}"
            return attrs.evolve(error, detail=f"{error.detail}; {hint}" if error.detail else hint)
        return error

    # -- the two verbs -----------------------------------------------------------------------

    async def send(
        self, call: HttpCall, *, base_url: str | None = None
    ) -> Result[RawReply, HfError]:
        """Perform one HTTP exchange and return the whole reply, whatever its status."""
        if self._token_problem is not None:
            return Failure(self._token_problem)
        url = call.url(base_url or self._config.base_url(call.base))
        try:
            async with self._session.request(
                call.method,
                url,
                data=call.body,
                headers=self._headers_for(call),
                timeout=self._timeout_for(call),
            ) as resp:
                body = await resp.read()
                return Success(RawReply(resp.status, resp.headers, body, time.time()))
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            return Failure(self._fail(transport_error(exc, self._config, call.timeout)))

    async def run(self, request: Request[T], *, base_url: str | None = None) -> Result[T, HfError]:
        """Check, send and decode one request. Never raises for input, network or server.

        A request marked ``stream=True`` travels as SSE and the assembled answer is returned.
        ``base_url`` overrides the configured router/Hub URL (failover uses it).
        """
        problem = request.check(self._config.limits)
        if problem is not None:
            return Failure(problem)
        if getattr(request, "stream", False):
            return await self.stream(
                cast("StreamingRequest[T, Any]", request), base_url=base_url
            ).collect()
        sent = await self.send(request.to_call(), base_url=base_url)
        if isinstance(sent, Failure):
            return Failure(sent.failure())
        decoded = decode_reply(request, sent.unwrap())
        if isinstance(decoded, Failure):
            return Failure(self._fail(decoded.failure()))
        return decoded

    def stream(
        self, request: StreamingRequest[T, C], *, base_url: str | None = None
    ) -> Stream[C, T]:
        """Stream a request over SSE: an async iterator of typed chunks with a ``result``."""
        return Stream(self, request, base_url)


class Stream(Generic[C, T]):
    """Typed chunks as they arrive, then the whole answer in :attr:`result`.

        stream = runner.stream(request)
        async for chunk in stream:
            print(chunk.text, end="")
        match stream.result:
            case Success(answer): ...
            case Failure(hf.StreamInterrupted(received=text)): ...

    Iteration never raises for the network or the server: it just ends, and ``result`` says
    how. Leaving an ``async with`` block, ``aclose()``, breaking out of the loop and dropping
    the stream, or cancelling the task all release the connection.
    """

    __slots__ = (
        "_base_url",
        "_chunks",
        "_codec",
        "_complete",
        "_ended",
        "_outcome",
        "_pos",
        "_request",
        "_request_id",
        "_resp",
        "_runner",
        "_started",
        "_tail",
    )

    def __init__(
        self, runner: Runner, request: StreamingRequest[T, C], base_url: str | None
    ) -> None:
        self._runner = runner
        self._request = request
        self._codec = request.codec
        self._base_url = base_url
        self._resp: aiohttp.ClientResponse | None = None
        self._chunks: list[C] = []
        self._pos = 0  # chunks before this index have been handed out
        self._tail = b""
        self._request_id: str | None = None
        self._started = False
        self._ended = False
        self._complete = False  # ended whole: the answer is assembled when first asked for
        self._outcome: Result[T, HfError] | None = None

    # -- public ------------------------------------------------------------------------------

    @property
    def chunks(self) -> tuple[C, ...]:
        """Every chunk received so far."""
        return tuple(self._chunks)

    @property
    def done(self) -> bool:
        return self._ended

    @property
    def result(self) -> Result[T, HfError]:
        """The outcome: the assembled answer, or the error that ended the stream. Before the
        end it is a ``StreamInterrupted`` saying the stream was not read to its end."""
        if self._outcome is None:
            if self._complete:
                self._outcome = conclude(
                    self._codec,
                    self._chunks,
                    complete=True,
                    reason="",
                    request_id=self._request_id,
                )
            else:
                return Failure(
                    StreamInterrupted(
                        self._codec.text(self._chunks),
                        len(self._chunks),
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

    async def aclose(self) -> None:
        """Stop reading and release the connection; an unfinished stream ends interrupted."""
        if not self._ended:
            self._interrupted("closed by the caller before the end")
        self._release(close=True)

    async def __aenter__(self) -> Stream[C, T]:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Stream[C, T]:
        return self

    async def __anext__(self) -> C:
        chunks = self._chunks
        pos = self._pos
        if pos < len(chunks):  # chunks already read, not yet handed out
            self._pos = pos + 1
            return chunks[pos]
        if self._ended:
            raise StopAsyncIteration
        return await self._fill()

    def __del__(self) -> None:
        resp = self._resp
        if resp is not None and not resp.closed:
            resp.close()

    # -- endings -----------------------------------------------------------------------------

    def _end(self, outcome: Result[T, HfError]) -> None:
        if isinstance(outcome, Failure):
            outcome = Failure(self._runner._fail(outcome.failure()))
        self._outcome = outcome
        self._ended = True

    def _end_complete(self) -> None:
        self._complete = True
        self._ended = True

    def _interrupted(self, reason: str) -> None:
        self._end(
            conclude(
                self._codec,
                self._chunks,
                complete=False,
                reason=reason,
                request_id=self._request_id,
            )
        )

    # -- machinery ---------------------------------------------------------------------------

    def _release(self, *, close: bool = False) -> None:
        resp = self._resp
        if resp is not None:
            self._resp = None
            if close:
                resp.close()
            else:
                resp.release()

    async def _open(self) -> bool:
        """Send the request; False when the stream ended before any event."""
        self._started = True
        runner = self._runner
        problem = self._request.check(runner._config.limits) or runner._token_problem
        if problem is not None:
            self._end(Failure(problem))
            return False
        call = self._request.to_stream_call()
        url = call.url(self._base_url or runner._config.base_url(call.base))
        try:
            resp = await runner._session.request(
                call.method,
                url,
                data=call.body,
                headers=runner._headers_for(call),
                timeout=runner._timeout_for(call),
            )
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            self._end(Failure(transport_error(exc, runner._config, call.timeout)))
            return False
        self._resp = resp
        self._request_id = resp.headers.get("x-request-id")
        if resp.status >= 300 or resp.content_type != "text/event-stream":
            try:
                body = await resp.read()
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                self._release(close=True)
                self._end(Failure(transport_error(exc, runner._config, call.timeout)))
                return False
            self._release()
            # a status error, or a server that ignored "stream" and sent the whole answer
            reply = RawReply(resp.status, resp.headers, body, time.time())
            self._end(decode_reply(self._request, reply))
            return False
        return True

    def _take(self, events: Sequence[bytes | sse.SseEvent]) -> None:
        """Add the chunks of ``events``; end the stream when one of them says so."""
        chunks, ending = self._codec.events(events, self._request_id)
        self._chunks += chunks
        if ending is None:
            return
        if isinstance(ending, Done):
            self._end_complete()
        elif isinstance(ending, Broken):
            self._interrupted(ending.reason)
        else:
            self._end(Failure(ended_by(self._codec, self._chunks, ending)))

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
        except (TimeoutError, aiohttp.ClientError, OSError):
            pass
        self._release(close=True)

    async def _fill(self) -> C:
        """Read until there is a chunk to hand out or the stream has ended."""
        try:
            if not self._started and not await self._open():
                raise StopAsyncIteration
            resp = self._resp
            assert resp is not None
            content = resp.content
            while True:
                try:
                    data = await content.readany()
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    self._release(close=True)
                    self._interrupted(transport_error(exc, self._runner._config, None).message)
                    raise StopAsyncIteration from None
                if data:
                    self._tail, items = sse.feed_lean(self._tail, data)
                    self._take(items)
                else:  # the body ended
                    events, self._tail = sse.flush(self._tail), b""
                    self._take(events)
                    if not self._ended:
                        if self._chunks and self._codec.final(self._chunks[-1]):
                            self._end_complete()
                        else:
                            self._interrupted("the body ended before the end of the stream")
                if self._ended:
                    await self._drain()
                pos = self._pos
                if pos < len(self._chunks):
                    self._pos = pos + 1
                    return self._chunks[pos]
                if self._ended:
                    raise StopAsyncIteration
        except asyncio.CancelledError:
            self._release(close=True)
            if not self._ended:
                self._interrupted("cancelled")
            raise


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
            if isinstance(missing, MissingToken):
                hint = missing
            else:
                problem = missing
    owned = session is None
    if session is None:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=config.max_connections),
            raise_for_status=False,
        )
    try:
        yield Runner(config, session, token_problem=problem, token_hint=hint)
    finally:
        if owned:
            await session.close()
