"""The reliability shell: the pure ``admit``/``record`` transitions driven around the runner.

Two ways in, one loop:

- :func:`run_reliably` for a caller who threads the state: ``(result, state) = await
  run_reliably(runner, policy, state, request)``;
- :class:`ReliableRunner` for concurrent callers: it keeps the state in one cell and applies
  every transition to it atomically (each is a synchronous pure call made between awaits, so
  on one event loop no update can be lost), exposes a snapshot, can record the event log for
  replay, and takes dynamic setting changes. ``reliable.stream(request)`` streams under the
  same policy (:mod:`hf_pure.shell.reliable_stream`).

Whatever ends an attempt early (cancellation, or an exception from below, which is a bug and
propagates) gives its admission back first: a half-open breaker never keeps a trial slot for
an attempt that will not report. The steps both loops share are in
:mod:`hf_pure.shell.reliable_steps`.

Time and sleeping are parameters (``clock``, ``sleep``; ``wall``, the wall clock, only dates a
refusal for the user: the pure layers work in ``clock`` time) so tests drive them; randomness
comes from the ``Rng`` in the state, so a run replays from its seed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

from returns.result import Result, Success

from hf_pure.core.errors import HfError
from hf_pure.core.request import Request, StreamingRequest
from hf_pure.reliability.policy import Event, Policy, ReliabilityState, Wait, adapt, policy_start
from hf_pure.reliability.settings import Settings, rollback, settings_start, update
from hf_pure.shell.reliable_steps import (
    Cell,
    Clock,
    Sleep,
    admission,
    backoff,
    finish,
    give_back,
)
from hf_pure.shell.reliable_stream import ReliableStream
from hf_pure.shell.runner import Runner

T = TypeVar("T")
C = TypeVar("C")


class _Box:
    __slots__ = ("events", "policy", "state")

    def __init__(self, policy: Policy, state: ReliabilityState) -> None:
        self.policy = policy
        self.state = state
        self.events: list[Event] | None = None


async def _drive(
    runner: Runner, cell: Cell, request: Request[T], clock: Clock, sleep: Sleep, wall: Clock
) -> Result[T, HfError]:
    """Admit, send, record, retry: the one loop behind both entry points.

    Every change of ``cell.state`` (here and in the steps) runs without an await between
    reading and writing the state, which is what makes the cell safe for concurrent callers.
    """
    start = clock()
    attempt = 0
    failed: frozenset[int] = frozenset()  # endpoints that failed this request: tried last
    while True:
        admitted = admission(cell, request, start, clock(), failed, wall, False)
        if isinstance(admitted, Wait):
            await sleep(admitted.seconds)
            continue
        if not isinstance(admitted, tuple):
            return admitted
        policy, decision = admitted
        sent_at = clock()
        try:
            result, out, back = await runner.run_measured(request, base_url=decision.endpoint)
        except BaseException:  # cancelled, or a bug below: the admission is given back
            give_back(cell, policy, decision, clock())
            raise
        done = clock()
        finish(cell, policy, request, decision, result, done - sent_at, done, out, back)
        if isinstance(result, Success):
            return result
        if decision.index is not None:
            failed = failed | {decision.index}
        attempt += 1
        if not await backoff(cell, policy, attempt, result.failure(), done - start, sleep):
            return result


async def run_reliably(
    runner: Runner,
    policy: Policy,
    state: ReliabilityState,
    request: Request[T],
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    wall: Clock = time.time,
) -> tuple[Result[T, HfError], ReliabilityState]:
    """Run ``request`` under ``policy`` from ``state``: cache, rate waits, breaker, failover,
    retries. Returns the result and the new state; the caller threads the state on."""
    box = _Box(policy, state)
    result = await _drive(runner, box, request, clock, sleep, wall)
    return result, box.state


class ReliableRunner:
    """A runner with reliability, for concurrent callers; the state lives in one cell.

    async with hf.open_runner() as runner:
        reliable = hf.ReliableRunner(runner, hf.Policy())
        result = await reliable.run(request)
        reliable.snapshot().metrics        # a consistent view, any time
    """

    def __init__(
        self,
        runner: Runner,
        policy: Policy | None = None,
        *,
        seed: int = 0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall: Clock = time.time,
        record_events: bool = False,
        state: ReliabilityState | None = None,
    ) -> None:
        policy = policy if policy is not None else Policy()
        self.runner = runner
        self._settings: Settings[Policy] = settings_start(policy)
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self.state = state if state is not None else policy_start(policy, clock(), seed)
        self.events: list[Event] | None = [] if record_events else None
        self._initial = self.state

    @property
    def policy(self) -> Policy:
        return self._settings.value

    @property
    def settings(self) -> Settings[Policy]:
        return self._settings

    def run(self, request: Request[T]) -> Coroutine[Any, Any, Result[T, HfError]]:
        """``await reliable.run(request)``: the request under the policy (one coroutine: the
        loop's own, not one wrapped around it)."""
        return _drive(self.runner, self, request, self._clock, self._sleep, self._wall)

    def stream(
        self, request: StreamingRequest[T, C], *, keep_chunks: bool = False
    ) -> ReliableStream[C, T]:
        """``async for chunk in reliable.stream(request)``: the stream under the policy, with
        ``run``'s admission, retries before the first chunk, and one record at its end
        (``keep_chunks=True``: it also keeps every chunk, in ``stream.chunks``)."""
        return ReliableStream(
            self.runner, self, request, self._clock, self._sleep, self._wall, keep_chunks
        )

    def snapshot(self) -> ReliabilityState:
        """The state as it is now (a frozen value: later calls don't change it)."""
        return self.state

    @property
    def initial_state(self) -> ReliabilityState:
        """The state the event log starts from (for ``replay``)."""
        return self._initial

    def apply(self, change: Callable[[ReliabilityState], ReliabilityState]) -> ReliabilityState:
        """Apply a pure transition to the cell (e.g. a health update) and return the result."""
        self.state = change(self.state)
        return self.state

    def update(self, change: Mapping[str, Any]) -> Result[Settings[Policy], HfError]:
        """Change settings (dotted paths, validated); the state adapts. Nothing changes on
        a refusal, and the error says which setting and why."""
        out = update(self._settings, change)
        if isinstance(out, Success):
            self._switch(out.unwrap())
        return out

    def rollback(self) -> Result[Settings[Policy], HfError]:
        """Go back to the settings before the last change."""
        out = rollback(self._settings)
        if isinstance(out, Success):
            self._switch(out.unwrap())
        return out

    def _switch(self, settings: Settings[Policy]) -> None:
        # the new state first: if anything in it raised, neither the settings nor the state
        # would have changed
        state = adapt(self._settings.value, settings.value, self.state, self._clock())
        self._settings = settings
        self.state = state


__all__ = ["Clock", "ReliableRunner", "ReliableStream", "Sleep", "run_reliably"]
