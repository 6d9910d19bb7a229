"""The reliable runner and the health monitor, blocking: the async ones, run on a sync
runner's loop.

    with hf.open_sync_runner(config) as runner:
        reliable = hf.SyncReliableRunner(runner, hf.Policy())
        result = reliable.run(request)           # admission, retries, failover, the cache
        with hf.sync_health_monitor(reliable, interval=30.0) as monitor:
            ...                                  # probes run on the loop meanwhile
            monitor.healthy

The state stays in the async :class:`~hf_pure.shell.reliable.ReliableRunner`'s cell, whose
transitions are atomic because they all run on one event loop: so every change made from a
calling thread (``update``, ``rollback``, ``apply``) is carried out on that loop too, and a
``snapshot()`` is read from any thread (a frozen value). The health monitor's probe loop is
a task on the runner's loop; its ``on_change`` callback runs on the loop's thread (keep it
short, and don't call the sync runner from it: that would wait for itself).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

from returns.result import Result

from hf_pure.core.errors import HfError
from hf_pure.core.request import Request, StreamingRequest
from hf_pure.reliability.health import HealthBoard, HealthConfig, Probe
from hf_pure.reliability.policy import Event, Policy, ReliabilityState
from hf_pure.reliability.settings import Settings
from hf_pure.shell.health_loop import HealthChange, HealthMonitor, health_monitor
from hf_pure.shell.reliable import Clock, ReliableRunner
from hf_pure.shell.runner import Runner
from hf_pure.shell.sync import SyncRunner, closed_failure
from hf_pure.shell.sync_loop import Closed
from hf_pure.shell.sync_stream import SyncStream

__all__ = ["SyncHealthMonitor", "SyncReliableRunner", "sync_health_monitor"]

T = TypeVar("T")
C = TypeVar("C")


async def _now(fn: Callable[[], T]) -> T:
    return fn()


class SyncReliableRunner:
    """:class:`~hf_pure.shell.reliable.ReliableRunner`, blocking, over a :class:`SyncRunner`.

    Takes the same arguments as the async one (``seed``, ``clock``, ``wall``,
    ``record_events``, ``state``; a ``sleep`` given must be an async function: it runs on
    the loop). ``reliable`` is the async runner inside, e.g. for a ``health_monitor``
    started on the loop.
    """

    __slots__ = ("_reliable", "runner")

    def __init__(self, runner: SyncRunner, policy: Policy | None = None, **options: Any) -> None:
        if not isinstance(runner, SyncRunner):
            raise TypeError(
                f"SyncReliableRunner(runner=...) must be a SyncRunner, got {type(runner).__name__}"
            )
        self.runner = runner
        self._reliable = ReliableRunner(runner.runner, policy, **options)

    @property
    def reliable(self) -> ReliableRunner:
        return self._reliable

    @property
    def policy(self) -> Policy:
        return self._reliable.policy

    @property
    def settings(self) -> Settings[Policy]:
        return self._reliable.settings

    @property
    def state(self) -> ReliabilityState:
        return self._reliable.state

    @property
    def events(self) -> list[Event] | None:
        """The event log, if recording (appended to on the loop)."""
        return self._reliable.events

    @property
    def initial_state(self) -> ReliabilityState:
        return self._reliable.initial_state

    # -- calls ------------------------------------------------------------------------------

    def run(self, request: Request[T]) -> Result[T, HfError]:
        """``await reliable.run(request)``, blocking."""
        reliable = self._reliable
        try:
            return self.runner._thread.call(lambda: reliable.run(request))
        except Closed:
            return closed_failure()

    def stream(self, request: StreamingRequest[T, C], **options: Any) -> SyncStream[C, T]:
        """``reliable.stream(request)`` as a plain iterator (see ``SyncRunner.stream``;
        ``options`` go to the async ``stream`` as they are)."""
        return SyncStream(self.runner._thread, self._reliable.stream(request, **options))

    def snapshot(self) -> ReliabilityState:
        """The state as it is now (a frozen value), from any thread."""
        return self._reliable.snapshot()

    # -- changes, made on the loop ------------------------------------------------------------

    def _on_loop(self, fn: Callable[[], T]) -> T:
        try:
            return self.runner._thread.call(lambda: _now(fn))
        except Closed:  # nothing runs on the loop any more: no transition to race with
            return fn()

    def apply(self, change: Callable[[ReliabilityState], ReliabilityState]) -> ReliabilityState:
        """Apply a pure transition to the state, on the loop, and return the new state."""
        return self._on_loop(lambda: self._reliable.apply(change))

    def update(self, change: Mapping[str, Any]) -> Result[Settings[Policy], HfError]:
        """Change settings (as ``ReliableRunner.update``), on the loop."""
        return self._on_loop(lambda: self._reliable.update(change))

    def rollback(self) -> Result[Settings[Policy], HfError]:
        """Go back to the settings before the last change, on the loop."""
        return self._on_loop(self._reliable.rollback)


class SyncHealthMonitor:
    """The running monitor, seen from another thread: the board, the changes and
    ``check_now()`` for one round (blocking)."""

    __slots__ = ("_monitor", "_owner")

    def __init__(self, owner: SyncRunner, monitor: HealthMonitor) -> None:
        self._owner = owner
        self._monitor = monitor

    @property
    def endpoints(self) -> tuple[str, ...]:
        return self._monitor.endpoints

    @property
    def healthy(self) -> tuple[bool, ...]:
        return self._monitor.healthy

    @property
    def board(self) -> HealthBoard:
        return self._monitor.board

    @property
    def changes(self) -> tuple[HealthChange, ...]:
        return tuple(self._monitor.changes)

    @property
    def rounds(self) -> int:
        return self._monitor.rounds

    def check_now(self) -> tuple[bool, ...]:
        """Probe every endpoint once, now, and wait for the verdicts."""
        monitor = self._monitor
        try:
            return self._owner._thread.call(monitor.check_now)
        except Closed:
            return monitor.healthy


@contextmanager
def sync_health_monitor(
    target: SyncRunner | SyncReliableRunner,
    endpoints: Sequence[str] | None = None,
    *,
    interval: float = 30.0,
    probe: Probe | None = None,
    config: HealthConfig | None = None,
    clock: Clock = time.monotonic,
    on_change: Callable[[HealthChange], None] | None = None,
) -> Iterator[SyncHealthMonitor]:
    """:func:`~hf_pure.shell.health_loop.health_monitor` for a sync runner: probes every
    ``interval`` seconds on the runner's loop while the block runs (the calling thread is
    free meanwhile); leaving the block stops the probe task. ``on_change`` runs on the
    loop's thread."""
    inner: Runner | ReliableRunner
    if isinstance(target, SyncReliableRunner):
        owner, inner = target.runner, target.reliable
    elif isinstance(target, SyncRunner):
        owner, inner = target, target.runner
    else:
        raise TypeError(
            "sync_health_monitor(target=...) must be a SyncRunner or a SyncReliableRunner, "
            f"got {type(target).__name__}"
        )
    opened = health_monitor(
        inner,
        endpoints,
        interval=interval,
        probe=probe,
        config=config,
        clock=clock,
        on_change=on_change,
    )
    thread = owner._thread
    # Closed (a RuntimeError) if the runner is closed
    monitor: HealthMonitor | None = thread.call(opened.__aenter__)
    try:
        thread.hold()  # the probe task needs the loop run in the background
    except Closed:
        monitor = None
    try:
        if monitor is None:
            raise Closed
        yield SyncHealthMonitor(owner, monitor)
    finally:
        # Closed: the runner closed first, and its loop cancelled the probe task already
        with contextlib.suppress(Closed):
            thread.call(partial(opened.__aexit__, None, None, None))
        if monitor is not None:
            thread.release()
