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

from ._answers import Answer, JsonAnswer
from ._catalog import DEFAULT_MODELS, ModelCard
from ._faults import Fault, SeenRequest
from ._hub import HubIndex
from ._rate_limits import RateLimits, stamped
from ._routes import Routes, Target, authorized
from ._wire import _noisy as _noisy  # noqa: PLC0414  (the fault tests import it from here)
from ._wire import close_connection, faulty_events, faulty_json, json_response, send_events

__all__ = ["Emulator", "run_emulator"]


class Emulator:
    """A loopback Hugging Face server with scripted faults.

    ``await start()`` binds (``port=0`` picks a free port, kept for later restarts);
    ``await close()`` stops, cancelling requests in flight. Router and Hub routes are served
    by the same server, so ``url == router_url == hub_url``.

    Chat is served where the service serves it: the router's ``/v1/chat/completions``
    (``model:provider``), hf-inference's ``/hf-inference/models/{repo id}/v1/chat/completions``
    (which takes TGI's grammar form of ``response_format``, ``{"type": "json_object", "value":
    <schema>}``, where the others take the OpenAI form), and each provider's own route
    ``/{provider}{route}`` (WIRE.md's table: groq ``/openai/v1/...``, novita
    ``/v3/openai/...``; another provider's route is a 404). Streams are shaped as the serving
    provider sends them (together: ``"tool_calls": null`` in every delta).

    ``requests`` logs every request received, credentials redacted; with ``log_limit`` only
    (at least) the last ``log_limit`` are kept, for long-running servers.

    Successful answers carry rate-limit headers, as the service's do: OpenAI's
    ``x-ratelimit-*`` on the router's chat routes, the IETF ``RateLimit`` /
    ``RateLimit-Policy`` on hf-inference; each request counts against a fixed window
    (:mod:`hf_pure.testing._rate_limits`).

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
        self.requests: list[SeenRequest] = []
        self.log_limit = log_limit
        self._port = port
        self._hub = HubIndex(self.models)
        self._cards = self._hub.cards
        self._routes = Routes(self._hub)
        self._queued: dict[str, deque[Fault]] = {}
        self._always: dict[str, Fault] = {}
        self._counter = 0
        self._rate_limits = RateLimits()
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
            SeenRequest(
                method=request.method,
                path=path,
                query=tuple(request.query.items()),
                headers=tuple(request.headers.items()),  # credentials redacted
                body=body,
                authorized=authorized(request.headers.get("Authorization"), self.token),
            )
        )
        if self.log_limit is not None and len(self.requests) >= 2 * self.log_limit:
            del self.requests[: -self.log_limit]
        target = self._routes.target(path)
        fault = self._take_fault(target.route)
        request_id = f"emu-{number}"
        limits = self._rate_limits.count(target.kind, self.reply_tokens)
        if fault is None:
            answer = stamped(self._answer(request, target, body, number), limits)
            if isinstance(answer, JsonAnswer):
                return json_response(answer, request_id, ())
            return await send_events(
                request, answer.events, request_id, answer.headers, self.events_per_write
            )

        kind = fault.kind
        if kind == "drop":
            close_connection(request)
            return web.Response()
        if kind in ("status", "malformed"):
            reply = JsonAnswer(fault.status_code, fault.body, fault.content_type)
            return json_response(reply, request_id, fault.extra_headers)
        if kind == "delay":
            await asyncio.sleep(fault.seconds)
        answer = self._answer(request, target, body, number, stream=kind != "ignore_stream")
        answer = stamped(answer, limits)
        extra = fault.extra_headers
        if isinstance(answer, JsonAnswer):
            return await faulty_json(request, answer, fault, request_id)
        return await faulty_events(request, answer, fault, request_id, extra)

    def _answer(
        self,
        request: web.BaseRequest,
        target: Target,
        body: bytes,
        number: int,
        *,
        stream: bool = True,
    ) -> Answer:
        """The normal answer; ``stream=False`` answers a streaming request with JSON."""
        return self._routes.answer(
            method=request.method,
            path=request.path,
            query=tuple(request.query.items()),
            auth=request.headers.get("Authorization"),
            target=target,
            body=body,
            number=number,
            token=self.token,
            reply_tokens=self.reply_tokens,
            stream=stream,
            host=request.host,
        )


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
