"""The blocking facade: the same runner, on its own event loop in a background thread.

    with hf.open_sync_runner(config) as runner:
        match runner.run(request):                 # the same Result as ``await runner.run``
            case Success(answer): print(answer.text)
            case Failure(error): print(error.message)
        for chunk in runner.stream(request):       # a plain iterator of the same chunks
            print(chunk.text, end="")

One runner owns one event loop and, on it, one async :class:`Runner` (one aiohttp session),
and a background thread that owns the loop. A call runs on that loop and the caller gets its
value: run by the calling thread itself when the loop is free (no hand-over, so it costs what
the async call costs), handed over to the thread running the loop otherwise (see
:mod:`hf_pure.shell.sync_loop`). So:

- it never touches the caller's event loop: it works where one is running (Jupyter, inside an
  ``async def`` run by ``asyncio.run``), where ``asyncio.run(runner.run(...))`` fails with
  "cannot be called from a running event loop" (there it blocks that loop while it waits, as
  any blocking call does: an async program is better served by the async runner);
- any number of threads may call it at once; their calls run concurrently on the loop;
- Ctrl-C cancels the call on the loop, waits (up to :data:`CANCEL_WAIT` seconds) until it
  has released its connection, and then raises ``KeyboardInterrupt``; the runner stays
  usable (a second Ctrl-C raises at once);
- ``close()`` (or leaving the ``with`` block) cancels the calls still running (they return
  ``ConnectionFailed`` saying the runner was closed; a stream being read or paused ends
  ``StreamInterrupted`` with what arrived, saying the same), closes the session and its
  connections, ends the thread and closes the loop. A call made afterwards returns the same
  failure without sending anything. A runner that is garbage-collected unclosed is closed then.

Streams are :class:`hf_pure.shell.sync_stream.SyncStream`; the reliable runner and the health
monitor have their sync counterparts in :mod:`hf_pure.shell.sync_reliable`.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Iterable
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

from returns.result import Failure, Result

from hf_pure.core.config import ClientConfig
from hf_pure.core.errors import ConnectionFailed, HfError
from hf_pure.core.http import HttpCall, RawReply
from hf_pure.core.request import Request, StreamingRequest
from hf_pure.core.secret import Secret
from hf_pure.shell.runner import UNSET, Runner, _Unset
from hf_pure.shell.sync_loop import CANCEL_WAIT, ON_LOOP, SYNC_CLOSED, Closed, LoopThread
from hf_pure.shell.sync_stream import SyncStream

__all__ = ["CANCEL_WAIT", "SYNC_CLOSED", "SyncRunner", "SyncStream", "open_sync_runner"]

T = TypeVar("T")
C = TypeVar("C")


def closed_failure() -> Failure[HfError]:
    return Failure(ConnectionFailed(SYNC_CLOSED))


class SyncRunner:
    """The runner's blocking twin; make it with :func:`open_sync_runner`.

    Every method takes the same values as :class:`~hf_pure.shell.runner.Runner`'s and gives
    the same answers, without ``await``. See the module documentation for threads, Ctrl-C
    and closing.
    """

    __slots__ = ("__weakref__", "_finalizer", "_runner", "_thread")

    def __init__(
        self, config: ClientConfig | None = None, *, token: str | Secret | _Unset | None = UNSET
    ) -> None:
        if config is not None and not isinstance(config, ClientConfig):
            raise TypeError(
                f"open_sync_runner(config=...) must be a ClientConfig, got {type(config).__name__}"
            )
        thread = LoopThread(config or ClientConfig(), token)
        assert thread.runner is not None  # set before the thread reported ready
        self._thread = thread
        self._runner: Runner = thread.runner
        self._finalizer = weakref.finalize(self, thread.shutdown)

    # -- what it is -------------------------------------------------------------------------

    @property
    def config(self) -> ClientConfig:
        return self._runner.config

    @property
    def runner(self) -> Runner:
        """The async runner inside (use it only on :attr:`loop`)."""
        return self._runner

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the calls run on (closed once the runner is)."""
        return self._thread.loop

    @property
    def thread(self) -> threading.Thread:
        return self._thread.thread

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<SyncRunner {self.config.router_url} {state}>"

    # -- the verbs --------------------------------------------------------------------------

    def run(self, request: Request[T], *, base_url: str | None = None) -> Result[T, HfError]:
        """``await runner.run(request)``, blocking: check, send, decode; never raises for
        input, network or server."""
        try:
            return self._thread.call(partial(self._runner.run, request, base_url=base_url))
        except Closed:
            return closed_failure()

    def run_measured(
        self, request: Request[T], *, base_url: str | None = None
    ) -> tuple[Result[T, HfError], int, int]:
        """:meth:`Runner.run_measured`: ``(result, bytes_sent, bytes_received)``."""
        try:
            return self._thread.call(partial(self._runner.run_measured, request, base_url=base_url))
        except Closed:
            return closed_failure(), 0, 0

    def run_many(self, requests: Iterable[Request[T]]) -> tuple[Result[T, HfError], ...]:
        """Run several requests concurrently on the loop (one wait for all of them); the
        results come back in the requests' order."""
        runner = self._runner
        batch = tuple(requests)

        async def gather() -> tuple[Result[T, HfError], ...]:
            return tuple(await asyncio.gather(*(runner.run(r) for r in batch)))

        try:
            return self._thread.call(gather)
        except Closed:
            return tuple(closed_failure() for _ in batch)

    def send(self, call: HttpCall, *, base_url: str | None = None) -> Result[RawReply, HfError]:
        """:meth:`Runner.send`: one HTTP exchange, the whole reply whatever its status."""
        try:
            return self._thread.call(partial(self._runner.send, call, base_url=base_url))
        except Closed:
            return closed_failure()

    def stream(
        self, request: StreamingRequest[T, C], *, base_url: str | None = None, **options: Any
    ) -> SyncStream[C, T]:
        """``runner.stream(request)`` as a plain iterator of typed chunks with ``.result``
        (``options`` go to the async runner's ``stream`` as they are). Nothing is sent until
        the first ``next()``."""
        inner = self._runner.stream(request, base_url=base_url, **options)
        return SyncStream(self._thread, inner)

    # -- closing ----------------------------------------------------------------------------

    def close(self) -> None:
        """Cancel the calls still running, close the session, end the thread and the loop.
        Idempotent; not callable from the loop's own thread."""
        if threading.get_ident() == self._thread.thread.ident:
            raise RuntimeError(ON_LOOP)
        self._finalizer()

    def __enter__(self) -> SyncRunner:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_sync_runner(
    config: ClientConfig | None = None, *, token: str | Secret | _Unset | None = UNSET
) -> SyncRunner:
    """A blocking runner with its own loop thread: ``with hf.open_sync_runner(config) as
    runner:`` (or keep it and ``runner.close()`` when done, as a notebook does).

    The token is found as :func:`~hf_pure.shell.runner.open_runner` finds it (``token=``,
    ``config.token``, then the environment); a token of the wrong type is a ``TypeError``.
    """
    return SyncRunner(config, token=token)
