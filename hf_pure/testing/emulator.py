"""The loopback emulator: a real aiohttp server speaking the Hugging Face wire formats.

Written from WIRE.md as an independent peer of the client: it imports nothing from the rest of
``hf_pure``. One server answers the router routes (chat completions, hf-inference text
generation) and the Hub routes. Faults are scripted per route; see :class:`Fault`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections import deque
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from aiohttp import web

from ._answers import Answer, JsonAnswer, SseAnswer, error
from ._catalog import DEFAULT_MODELS, ModelCard
from ._chat import chat_answer, resolve_chat_model
from ._faults import Fault, Recorded
from ._hub import HubIndex
from ._tgi import tgi_answer

__all__ = ["Emulator", "run_emulator"]

_OK = b'{"status":"ok"}'
_UNAUTHORIZED = error(401, "Invalid username or password.")
_CHAT_SUFFIX = "/v1/chat/completions"
_HF_MODELS = "/hf-inference/models/"
_HUB_MODELS = "/api/models/"
_GARBAGE = b"data: this is not json\n\n"
# Write sizes for ``Fault.sse_noise``: small and uneven, so events and lines are split.
_NOISE_SIZES = (1, 2, 9, 3, 16, 5, 64, 11, 33, 4, 27)

_GET = ("GET", "HEAD")
_POST = ("POST",)


class _Target:
    """Where a request goes: a kind of handler plus its path arguments."""

    __slots__ = ("kind", "methods", "provider", "repo", "route")

    def __init__(
        self,
        route: str,
        kind: str,
        methods: tuple[str, ...],
        repo: str = "",
        provider: str | None = None,
    ) -> None:
        self.route = route
        self.kind = kind
        self.methods = methods
        self.repo = repo
        self.provider = provider


class Emulator:
    """A loopback Hugging Face server with scripted faults.

    ``await start()`` binds (``port=0`` picks a free port, kept for later restarts);
    ``await close()`` stops, cancelling requests in flight. Router and Hub routes are served
    by the same server, so ``url == router_url == hub_url``.

    ``requests`` logs every request received; with ``log_limit`` only (at least) the last
    ``log_limit`` are kept, for long-running servers.

    ``events_per_write`` sets how a normal SSE answer goes out: 1 (the default) writes each
    event on its own, as a model generating token by token does; more batches them, as a fast
    provider or a buffering proxy does (the client then reads many events per read).
    """

    def __init__(
        self,
        token: str = "hf_emulator_token",
        host: str = "127.0.0.1",
        port: int = 0,
        reply_tokens: int = 24,
        models: Iterable[ModelCard] | None = None,
        *,
        log_limit: int | None = None,
        events_per_write: int = 1,
    ) -> None:
        if reply_tokens < 1:
            raise ValueError(f"reply_tokens must be >= 1, got {reply_tokens}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {port}")
        if log_limit is not None and log_limit < 1:
            raise ValueError(f"log_limit must be >= 1 or None, got {log_limit}")
        if events_per_write < 1:
            raise ValueError(f"events_per_write must be >= 1, got {events_per_write}")
        self.events_per_write = events_per_write
        self.token = token
        self.host = host
        self.reply_tokens = reply_tokens
        self.models: tuple[ModelCard, ...] = DEFAULT_MODELS if models is None else tuple(models)
        self.requests: list[Recorded] = []
        self.log_limit = log_limit
        self._port = port
        self._hub = HubIndex(self.models)
        self._cards = self._hub.cards
        self._queued: dict[str, deque[Fault]] = {}
        self._always: dict[str, Fault] = {}
        self._counter = 0
        self._runner: web.ServerRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> Emulator:
        """Bind and serve; returns self. Restarting after ``close()`` reuses the same port."""
        if self._runner is not None:
            return self
        server = web.Server(self._handle, access_log=None)
        runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._port = int(runner.addresses[0][1])
        self._runner = runner
        return self

    async def close(self) -> None:
        """Stop serving: close the listener and every connection; requests in flight end."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        self._tasks.clear()
        await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def port(self) -> int:
        if self._port == 0:
            raise RuntimeError("the emulator has not been started yet (port 0 is not bound)")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def router_url(self) -> str:
        return self.url

    @property
    def hub_url(self) -> str:
        return self.url

    def __repr__(self) -> str:
        where = self.url if self._port else "unbound"
        state = "running" if self.running else "stopped"
        return f"<Emulator {where} {state}>"

    # -- faults and log ------------------------------------------------------------------

    def script(self, route: str, *faults: Fault) -> None:
        """Queue faults for ``route``; each request to it consumes the next one, in order."""
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"expected Fault, got {fault!r}")
        self._queued.setdefault(route, deque()).extend(faults)

    def always(self, route: str, fault: Fault) -> None:
        """Apply ``fault`` to every request of ``route`` (after its queue) until ``clear()``."""
        if not isinstance(fault, Fault):
            raise TypeError(f"expected Fault, got {fault!r}")
        self._always[route] = fault

    def clear(self, route: str | None = None) -> None:
        """Drop queued and persistent faults of ``route`` (of every route when None)."""
        if route is None:
            self._queued.clear()
            self._always.clear()
        else:
            self._queued.pop(route, None)
            self._always.pop(route, None)

    def pending(self, route: str) -> int:
        """How many queued faults ``route`` still has."""
        queue = self._queued.get(route)
        return len(queue) if queue else 0

    def reset_log(self) -> None:
        self.requests.clear()

    def _take_fault(self, route: str) -> Fault | None:
        if not self._queued and not self._always:
            return None
        for name in (route, "*"):
            queue = self._queued.get(name)
            if queue:
                return queue.popleft()
            fault = self._always.get(name)
            if fault is not None:
                return fault
        return None

    # -- routing -------------------------------------------------------------------------

    def _target(self, path: str) -> _Target:
        if path == "/":
            return _Target("health", "health", _GET)
        if path == _CHAT_SUFFIX:
            return _Target("chat", "chat", _POST)
        if path.startswith(_HF_MODELS):
            rest = path[len(_HF_MODELS) :]
            if rest.endswith(_CHAT_SUFFIX):
                repo = rest[: -len(_CHAT_SUFFIX)]
                return _Target("chat", "chat_hf", _POST, repo, "hf-inference")
            if "/pipeline/" in rest:
                repo, _, task = rest.partition("/pipeline/")
                return _Target(task or "inference", "task", _POST, repo, task)
            repo = rest.rstrip("/")
            card = self._cards.get(repo)
            tag = card.pipeline_tag if card is not None else "text-generation"
            return _Target(tag, "task", _POST, repo, tag)
        if path in ("/api/models", "/api/models/"):
            return _Target("hub", "hub_list", _GET)
        if path.startswith(_HUB_MODELS):
            repo = path[len(_HUB_MODELS) :].partition("/revision/")[0].rstrip("/")
            return _Target("hub", "hub_model", _GET, repo)
        if path.endswith(_CHAT_SUFFIX) and path.count("/") == 4:
            provider = path[1 : path.index("/", 1)]
            return _Target("chat", "chat", _POST, "", provider)
        return _Target("other", "not_found", ())

    def _authorized(self, header: str | None, required: bool) -> bool:
        if header is None:
            return not required
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and token.strip() == self.token

    def _answer(
        self, request: web.BaseRequest, target: _Target, body: bytes, number: int
    ) -> Answer:
        kind = target.kind
        if kind == "not_found":
            return error(404, f"Not Found: {request.path}")
        if request.method not in target.methods:
            allowed = ", ".join(target.methods)
            return JsonAnswer(405, b'{"error":"Method Not Allowed"}', headers=(("Allow", allowed),))
        if kind == "health":
            return JsonAnswer(200, _OK)
        auth = request.headers.get("Authorization")
        if kind in ("hub_model", "hub_list"):
            if not self._authorized(auth, required=False):
                return _UNAUTHORIZED
            if kind == "hub_list":
                return self._hub.listing(tuple(request.query.items()))
            return self._hub.model(target.repo, tuple(request.query.items()))
        if not self._authorized(auth, required=True):
            return _UNAUTHORIZED
        if kind == "chat":
            return chat_answer(
                body,
                models=self._cards,
                path_model=None,
                path_provider=target.provider,
                reply_id=f"chatcmpl-emu-{number}",
                reply_tokens=self.reply_tokens,
            )
        if kind == "chat_hf":
            card = resolve_chat_model(self._cards, target.repo, "hf-inference")
            if isinstance(card, JsonAnswer):
                return card
            return chat_answer(
                body,
                models=self._cards,
                path_model=card,
                path_provider="hf-inference",
                reply_id="",
                reply_tokens=self.reply_tokens,
            )
        # kind == "task": POST /hf-inference/models/{repo}[/pipeline/{task}]
        found = self._cards.get(target.repo)
        if found is None:
            return error(404, f"Model {target.repo} does not exist")
        if found.mapping("hf-inference") is None:
            return error(400, f"Model {target.repo} is not served by provider hf-inference")
        if target.provider == "text-generation" and found.pipeline_tag == "text-generation":
            return tgi_answer(body, reply_tokens=self.reply_tokens)
        return error(400, "Task not supported by the emulator")

    # -- serving -------------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await self._serve(request)
        except ConnectionError:
            # The client went away mid-answer; nothing left to say.
            return web.Response()
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.content.read()  # no size limit: data URLs can be large
        self._counter += 1
        number = self._counter
        path = request.path
        self.requests.append(
            Recorded(
                request.method,
                path,
                tuple(request.query.items()),
                tuple(request.headers.items()),
                body,
            )
        )
        if self.log_limit is not None and len(self.requests) >= 2 * self.log_limit:
            del self.requests[: -self.log_limit]
        target = self._target(path)
        fault = self._take_fault(target.route)
        request_id = f"emu-{number}"
        if fault is None:
            answer = self._answer(request, target, body, number)
            if isinstance(answer, JsonAnswer):
                return _json_response(answer, request_id, ())
            return await _send_events(request, answer.events, request_id, (), self.events_per_write)

        kind = fault.kind
        if kind == "drop":
            _close_connection(request)
            return web.Response()
        if kind in ("status", "malformed"):
            reply = JsonAnswer(fault.status_code, fault.body, fault.content_type)
            return _json_response(reply, request_id, fault.extra_headers)
        if kind == "delay":
            await asyncio.sleep(fault.seconds)
        answer = self._answer(request, target, body, number)
        extra = fault.extra_headers
        if isinstance(answer, JsonAnswer):
            return await _faulty_json(request, answer, fault, request_id)
        return await _faulty_events(request, answer, fault, request_id, extra)


# -- sending -------------------------------------------------------------------------------


def _close_connection(request: web.BaseRequest) -> None:
    """Close the TCP connection (after flushing what was written) without ending the body."""
    transport = request.transport
    if transport is not None:
        transport.close()


def _set_headers(
    resp: web.StreamResponse,
    request_id: str,
    own: tuple[tuple[str, str], ...],
    extra: tuple[tuple[str, str], ...],
) -> None:
    headers = resp.headers
    headers["X-Request-Id"] = request_id
    for name, value in own:
        headers[name] = value
    for name, value in extra:
        headers[name] = value


def _json_response(
    answer: JsonAnswer, request_id: str, extra: tuple[tuple[str, str], ...]
) -> web.Response:
    resp = web.Response(status=answer.status, body=answer.body)
    resp.headers["Content-Type"] = answer.content_type
    _set_headers(resp, request_id, answer.headers, extra)
    return resp


async def _faulty_json(
    request: web.BaseRequest, answer: JsonAnswer, fault: Fault, request_id: str
) -> web.StreamResponse:
    kind = fault.kind
    if kind == "stream_error":
        return _json_response(JsonAnswer(500, fault.body), request_id, ())
    if kind == "cut":
        part = answer.body[: max(1, len(answer.body) // 2)]
        if fault.clean:
            return _json_response(
                JsonAnswer(answer.status, part, answer.content_type, answer.headers),
                request_id,
                (),
            )
        resp = _prepared_json(answer, request_id)
        await resp.prepare(request)
        await resp.write(part)
        _close_connection(request)
        return resp
    if kind == "stall":
        resp = _prepared_json(answer, request_id)
        await resp.prepare(request)  # StreamResponse sends its headers right away
        await asyncio.sleep(fault.seconds)
        await resp.write(answer.body)
        await resp.write_eof()
        return resp
    # delay (already waited), headers, and SSE-only faults on a non-streaming answer
    return _json_response(answer, request_id, fault.extra_headers)


def _prepared_json(answer: JsonAnswer, request_id: str) -> web.StreamResponse:
    resp = web.StreamResponse(status=answer.status)
    resp.content_type = answer.content_type
    resp.content_length = len(answer.body)
    _set_headers(resp, request_id, answer.headers, ())
    return resp


async def _open_stream(
    request: web.BaseRequest, request_id: str, extra: tuple[tuple[str, str], ...]
) -> web.StreamResponse:
    resp = web.StreamResponse(status=200)
    resp.content_type = "text/event-stream"
    resp.headers["Cache-Control"] = "no-cache"
    _set_headers(resp, request_id, (), extra)
    await resp.prepare(request)
    return resp


async def _send_events(
    request: web.BaseRequest,
    events: list[bytes],
    request_id: str,
    extra: tuple[tuple[str, str], ...],
    per_write: int = 1,
) -> web.StreamResponse:
    resp = await _open_stream(request, request_id, extra)
    if per_write == 1:
        for event in events:
            await resp.write(event)
    else:
        for start in range(0, len(events), per_write):
            await resp.write(b"".join(events[start : start + per_write]))
    await resp.write_eof()
    return resp


async def _faulty_events(
    request: web.BaseRequest,
    answer: SseAnswer,
    fault: Fault,
    request_id: str,
    extra: tuple[tuple[str, str], ...],
) -> web.StreamResponse:
    events = answer.events
    kind = fault.kind
    # Faults that end a stream early never send its last event ([DONE] / final text).
    early = min(fault.after, len(events) - 1)
    if kind == "sse_noise":
        return await _send_events(request, _noisy(events), request_id, extra)
    if kind == "sse_garbage":
        at = min(fault.after, len(events))
        return await _send_events(
            request, [*events[:at], _GARBAGE, *events[at:]], request_id, extra
        )
    if kind == "cut":
        resp = await _open_stream(request, request_id, extra)
        for event in events[:early]:
            await resp.write(event)
        if fault.clean:
            await resp.write_eof()
        else:
            _close_connection(request)
        return resp
    if kind == "stall":
        resp = await _open_stream(request, request_id, extra)
        for event in events[:early]:
            await resp.write(event)
        await asyncio.sleep(fault.seconds)
        await resp.write_eof()
        return resp
    if kind == "stream_error":
        failure = answer.data_prefix + fault.body + b"\n\n"
        return await _send_events(request, [*events[:early], failure], request_id, extra)
    # delay (already waited) and headers
    return await _send_events(request, events, request_id, extra)


def _noisy(events: list[bytes]) -> list[bytes]:
    """The same events as a valid but awkward SSE byte stream, in small uneven pieces."""
    out = bytearray(b": keep-alive\r\n\r\nretry: 3000\r\n\r\n")
    for i, event in enumerate(events):
        payload = event[event.index(b":") + 1 :].rstrip(b"\n")
        if payload.startswith(b" "):
            payload = payload[1:]
        number = str(i).encode()
        if i % 3 == 0:
            out += b"event: message\r\nid: " + number + b"\r\ndata:" + payload + b"\r\n\r\n"
        elif i % 3 == 1:
            out += (
                b": keep-alive\r\n\r\nid: "
                + number
                + b"\r\ndata: "
                + payload
                + b"\r\n: note\r\n\r\n"
            )
        else:
            out += b"data:" + payload + b"\r\n\r\n"
    data = bytes(out)
    cuts = {data.index(b"\r\n") + 1}  # one write ends between \r and \n
    first_data = data.index(b"data:")
    cuts.add(first_data + 3)  # one inside a field name
    cuts.add(first_data + 12)  # one inside the JSON
    position = 0
    step = 0
    while position < len(data):
        position += _NOISE_SIZES[step % len(_NOISE_SIZES)]
        step += 1
        cuts.add(position)
    bounds = sorted(c for c in cuts if 0 < c < len(data))
    pieces: list[bytes] = []
    start = 0
    for bound in bounds:
        pieces.append(data[start:bound])
        start = bound
    pieces.append(data[start:])
    return pieces


# -- command line --------------------------------------------------------------------------


def run_emulator(
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str = "hf_emulator_token",
    reply_tokens: int = 24,
    events_per_write: int = 1,
) -> None:
    """Serve an emulator until Ctrl+C or SIGTERM (blocking)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        emulator = Emulator(
            token=token,
            host=host,
            port=port,
            reply_tokens=reply_tokens,
            log_limit=1000,
            events_per_write=events_per_write,
        )
        try:
            await emulator.start()
        except OSError as exc:
            print(f"hf_pure emulator: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
            raise SystemExit(1) from None
        try:
            print(
                f"hf_pure emulator listening on {emulator.url} (token: {emulator.token})",
                flush=True,
            )
            await stop.wait()
        finally:
            await emulator.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
