"""Health checks, the pure part: probe requests as values and a fold of probe outcomes.

A probe is an :class:`HttpCall` built by :func:`probe_call` (the shell sends it on its own
schedule, every ``HealthConfig.interval`` seconds, and stops when the caller says so):

    kind          request                           healthy when the status is
    PING          HEAD path                         2xx or 3xx
    LIGHTWEIGHT   GET path                          2xx
    FULL          POST path, tiny JSON body         2xx or 4xx (the server is up and answering;
                                                    a 4xx only refuses the input)

No answer at all (connection failure, timeout: status ``None``) is never healthy, nor is any
status outside 100..599.

Each endpoint's :class:`EndpointHealth` folds the probe outcomes with ``health_record``. It
starts healthy; ``failure_threshold`` (3) consecutive failed probes make it unhealthy, and one
good probe makes it healthy again. Totals (probes, failures) and the last probe's latency and
time are kept. Transition table (``cf`` is consecutive_failures, ``T`` the threshold)::

    state      probe   condition        next state   cf
    healthy    ok      -                healthy      0
    healthy    failed  cf + 1 <  T      healthy      cf + 1
    healthy    failed  cf + 1 >= T      unhealthy    cf + 1
    unhealthy  ok      -                healthy      0
    unhealthy  failed  -                unhealthy    cf + 1

A failure never makes an endpoint healthy, even if the threshold was raised meanwhile; a
success always does. A :class:`HealthBoard` holds one state per endpoint, in order;
``board_record`` also says whether that endpoint's healthy flag changed, so the shell can
log or tell the failover state exactly when it does, and ``failover_heard`` is the one
transition by which a probe's verdict reaches the reliability state (the shell's loop only
sends probes and applies these two functions).
"""

from __future__ import annotations

import enum
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

import attrs
import msgspec

from hf_pure.core.checks import positive_int, positive_seconds
from hf_pure.core.http import HttpCall
from hf_pure.core.value import Value
from hf_pure.reliability.failover import FailoverConfig, failover_set_health

if TYPE_CHECKING:  # policy imports this module; the state is only named here
    from hf_pure.reliability.policy import ReliabilityState


class ProbeKind(enum.StrEnum):
    """How deep a probe looks: reachable (HEAD), serving (GET), or computing (POST)."""

    PING = "ping"
    LIGHTWEIGHT = "lightweight"
    FULL = "full"


_METHOD: Final = types.MappingProxyType(
    {ProbeKind.PING: "HEAD", ProbeKind.LIGHTWEIGHT: "GET", ProbeKind.FULL: "POST"}
)

# Status classes (status // 100) that count as healthy, per probe kind.
HEALTHY_CLASSES: Final = types.MappingProxyType(
    {
        ProbeKind.PING: frozenset({2, 3}),
        ProbeKind.LIGHTWEIGHT: frozenset({2}),
        ProbeKind.FULL: frozenset({2, 4}),
    }
)


@attrs.frozen(repr=False)
class Probe(Value):
    """One kind of probe against one path; ``body`` is sent only by FULL probes."""

    kind: ProbeKind = ProbeKind.PING
    path: str = "/"
    body: bytes = b'{"inputs": "ping"}'
    timeout: float = 5.0


def probe_call(probe: Probe) -> HttpCall:
    """The request a probe sends: to the router base, with the probe's timeout."""
    if probe.kind is ProbeKind.FULL:
        return HttpCall(
            method="POST",
            path=probe.path,
            body=probe.body,
            content_type="application/json",
            timeout=probe.timeout,
        )
    return HttpCall(method=_METHOD[probe.kind], path=probe.path, timeout=probe.timeout)


def probe_healthy(kind: ProbeKind, status: int | None) -> bool:
    """Whether a probe of ``kind`` that got ``status`` (None: no answer) shows a healthy
    endpoint."""
    if status is None or not 100 <= status <= 599:
        return False
    return status // 100 in HEALTHY_CLASSES[kind]


@attrs.frozen(repr=False)
class HealthConfig(Value):
    """Consecutive failures that make an endpoint unhealthy, and seconds between probes."""

    failure_threshold: int = attrs.field(default=3, validator=positive_int)
    interval: float = attrs.field(default=30.0, validator=positive_seconds)


@attrs.frozen(repr=False)
class EndpointHealth(Value):
    """What the probes said about one endpoint so far."""

    healthy: bool = True
    consecutive_failures: int = 0
    probes: int = 0
    failures: int = 0
    last_latency: float | None = None
    last_checked: float | None = None


# (healthy now, probe ok, consecutive failures reached the threshold) -> healthy next
_NEXT_HEALTHY: Final = types.MappingProxyType(
    {
        (True, True, False): True,
        (True, False, False): True,
        (True, False, True): False,
        (False, True, False): True,
        (False, False, False): False,
        (False, False, True): False,
    }
)


def health_record(
    config: HealthConfig, state: EndpointHealth, ok: bool, latency: float | None, now: float
) -> EndpointHealth:
    """``state`` after one probe that was ``ok`` (or not), took ``latency`` s, ended at ``now``."""
    failures = 0 if ok else state.consecutive_failures + 1
    healthy = _NEXT_HEALTHY[state.healthy, ok, failures >= config.failure_threshold]
    return EndpointHealth(
        healthy=healthy,
        consecutive_failures=failures,
        probes=state.probes + 1,
        failures=state.failures + (0 if ok else 1),
        last_latency=latency,
        last_checked=now,
    )


def probe_due(config: HealthConfig, state: EndpointHealth, now: float) -> bool:
    """Whether an endpoint should be probed at ``now`` (never probed, or ``interval`` passed)."""
    last = state.last_checked
    return last is None or now - last >= config.interval


def _check_same_length(
    board: HealthBoard, _: attrs.Attribute[tuple[EndpointHealth, ...]], value: tuple[object, ...]
) -> None:
    if len(value) != len(board.endpoints):
        raise ValueError(
            f"states: needs one state per endpoint ({len(board.endpoints)}), got {len(value)}"
        )


@attrs.frozen(repr=False)
class HealthBoard(Value):
    """One :class:`EndpointHealth` per endpoint, in the same order."""

    endpoints: tuple[str, ...]
    states: tuple[EndpointHealth, ...] = attrs.field(validator=_check_same_length)


def board_start(endpoints: Iterable[str]) -> HealthBoard:
    """A board where every endpoint is healthy and unprobed."""
    names = tuple(endpoints)
    fresh = EndpointHealth()
    return HealthBoard(endpoints=names, states=tuple(fresh for _ in names))


def board_record(
    config: HealthConfig,
    board: HealthBoard,
    index: int,
    ok: bool,
    latency: float | None,
    now: float,
) -> tuple[HealthBoard, bool]:
    """The board after a probe of endpoint ``index``, and whether its healthy flag changed.

    ``index`` must be in ``range(len(board.endpoints))`` (IndexError otherwise: a bug in the
    caller, not data).
    """
    states = board.states
    if not 0 <= index < len(states):
        raise IndexError(f"no endpoint {index} on a board of {len(states)}")
    before = states[index]
    after = health_record(config, before, ok, latency, now)
    board = HealthBoard(
        endpoints=board.endpoints, states=(*states[:index], after, *states[index + 1 :])
    )
    return board, after.healthy != before.healthy


def board_healthy(board: HealthBoard) -> tuple[bool, ...]:
    """Each endpoint's healthy flag, in order."""
    return tuple(s.healthy for s in board.states)


def failover_heard(
    config: FailoverConfig | None,
    state: ReliabilityState,
    url: str,
    healthy: bool,
    now: float,
) -> ReliabilityState:
    """``state`` after a probe found the endpoint at ``url`` ``healthy`` (or not) at ``now``.

    The endpoint's failover health follows the probe (``failover_set_health``: a healthy probe
    ends a cooldown, an unhealthy endpoint is not picked). ``state`` is returned unchanged
    when there is no failover or ``url`` is not one of its endpoints.
    """
    if config is None or state.failover is None:
        return state
    urls = [endpoint.url for endpoint in config.endpoints]
    if url not in urls:
        return state
    failover = failover_set_health(config, state.failover, urls.index(url), healthy, now)
    return msgspec.structs.replace(state, failover=failover)
