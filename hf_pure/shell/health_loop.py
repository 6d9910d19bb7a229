"""The health monitor: an explicit, cancellable probe loop the caller starts and stops.

    async with hf.health_monitor(reliable, interval=30.0) as monitor:
        ...                       # probes run every 30 s; failover sees every change
        monitor.healthy           # (True, False) per endpoint
    # leaving the block stops the loop at once; no task is left behind

The probes are request values (``hf_pure.reliability.health.probe_call``); every change of
state is a pure transition (``board_record`` for the board, ``failover_heard`` for a
:class:`~hf_pure.shell.reliable.ReliableRunner`'s failover state: a healthy probe ends a
cooldown, an unhealthy endpoint is not selected). This module only sends the probes on a
schedule and applies those transitions to the results.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import attrs
from returns.result import Success

from hf_pure.core.http import HttpCall
from hf_pure.reliability.health import (
    HealthBoard,
    HealthConfig,
    Probe,
    board_healthy,
    board_record,
    board_start,
    failover_heard,
    probe_call,
    probe_healthy,
)
from hf_pure.shell.reliable import Clock, ReliableRunner
from hf_pure.shell.runner import Runner


@attrs.frozen
class HealthChange:
    """An endpoint's health flag changed at ``at`` (monotonic seconds)."""

    endpoint: str
    healthy: bool
    at: float


class HealthMonitor:
    """The running monitor: the board, the changes seen, and ``check_now`` for one round."""

    def __init__(
        self,
        runner: Runner,
        endpoints: tuple[str, ...],
        config: HealthConfig,
        probe: Probe,
        reliable: ReliableRunner | None,
        clock: Clock,
        on_change: Callable[[HealthChange], None] | None,
    ) -> None:
        self._runner = runner
        self._config = config
        self._probe = probe
        self._reliable = reliable
        self._clock = clock
        self._on_change = on_change
        self.board: HealthBoard = board_start(endpoints)
        self.changes: list[HealthChange] = []
        self.rounds = 0

    @property
    def endpoints(self) -> tuple[str, ...]:
        return self.board.endpoints

    @property
    def healthy(self) -> tuple[bool, ...]:
        return board_healthy(self.board)

    async def check_now(self) -> tuple[bool, ...]:
        """Probe every endpoint once, concurrently, and fold the results in."""
        call = probe_call(self._probe)
        results = await asyncio.gather(
            *(self._probe_one(call, url) for url in self.board.endpoints)
        )
        now = self._clock()
        for index, (ok, latency) in enumerate(results):
            self.board, changed = board_record(self._config, self.board, index, ok, latency, now)
            healthy = self.board.states[index].healthy
            self._feed_failover(index, healthy, now)
            if changed:
                change = HealthChange(endpoint=self.board.endpoints[index], healthy=healthy, at=now)
                self.changes.append(change)
                if self._on_change is not None:
                    self._on_change(change)
        self.rounds += 1
        return self.healthy

    async def _probe_one(self, call: HttpCall, url: str) -> tuple[bool, float | None]:
        started = self._clock()
        sent = await self._runner.send(call, base_url=url)
        latency = self._clock() - started
        status = sent.unwrap().status if isinstance(sent, Success) else None
        return probe_healthy(self._probe.kind, status), latency if status is not None else None

    def _feed_failover(self, index: int, healthy: bool, now: float) -> None:
        if self._reliable is not None:  # the one transition a verdict makes; pure
            config, url = self._reliable.policy.failover, self.board.endpoints[index]
            self._reliable.apply(lambda state: failover_heard(config, state, url, healthy, now))


@asynccontextmanager
async def health_monitor(
    target: Runner | ReliableRunner,
    endpoints: Sequence[str] | None = None,
    *,
    interval: float = 30.0,
    probe: Probe | None = None,
    config: HealthConfig | None = None,
    clock: Clock = time.monotonic,
    on_change: Callable[[HealthChange], None] | None = None,
) -> AsyncIterator[HealthMonitor]:
    """Probe ``endpoints`` every ``interval`` seconds while the block runs.

    ``target`` may be a plain runner or a ReliableRunner; with the latter, ``endpoints``
    defaults to its failover endpoints and every probe result reaches its failover state.
    """
    reliable = target if isinstance(target, ReliableRunner) else None
    runner = target.runner if isinstance(target, ReliableRunner) else target
    if endpoints is None:
        failover = reliable.policy.failover if reliable is not None else None
        endpoints = [e.url for e in failover.endpoints] if failover is not None else []
    if not endpoints:
        raise ValueError("health_monitor needs at least one endpoint to probe")
    if not interval > 0:
        raise ValueError(f"interval: must be > 0 seconds, got {interval!r}")
    monitor = HealthMonitor(
        runner,
        tuple(endpoints),
        config or HealthConfig(),
        probe or Probe(),
        reliable,
        clock,
        on_change,
    )

    async def loop() -> None:
        while True:
            await monitor.check_now()
            await asyncio.sleep(interval)

    task = asyncio.create_task(loop(), name="hf_pure health monitor")
    try:
        yield monitor
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
