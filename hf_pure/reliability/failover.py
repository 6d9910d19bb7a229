"""Multi-endpoint failover: which endpoint to send to next, as a pure state machine.

A :class:`FailoverConfig` names the endpoints (base URLs, or providers), a :class:`Strategy`
and the failure rules; a :class:`FailoverState` holds one :class:`EndpointState` per endpoint
(recent failure times, cooldown, probe health, requests in flight, latency average) plus a
cursor and a seeded :class:`~hf_pure.reliability.rand.Rng`. The transitions are pure functions
of (config, state, event, now); the same events and seed give the same picks, so a run replays.

An endpoint is *available* at ``now`` when it is healthy (no unhealthy probe since the last
healthy one) and not cooling down (``cooling_until`` is None or ``now >= cooling_until``).

Strategies (each picks among the available endpoints only)::

    priority       the first available one, in configured order
    round_robin    the next available one at or after the cursor; the cursor moves past it
                   (so each available endpoint is picked once per cycle)
    random         uniform among the available ones (one draw from the state's Rng)
    sticky         the cursor's endpoint while it is available; else the next available one
                   after it, in order (wrapping), and the cursor stays there
    least_busy     fewest requests in flight; ties go to the earlier endpoint
    least_latency  an endpoint with no latency sample yet first (earliest such); else the
                   lowest EWMA latency; ties go to the earlier endpoint
    weighted       random, with chance proportional to ``Endpoint.weight`` (one draw)

When none is available the answer is ``NoHealthyEndpoint(endpoints=<every url>)``, unless
``fallback_to_first`` is set: then endpoint 0 is used regardless. ``failover_select`` can be
told to ``exclude`` endpoints (the policy excludes those whose own breaker refuses): they are
never picked, not even as the fallback, which is then the first endpoint not excluded.

Per-endpoint transitions (``window`` 60 s, ``threshold`` 5, ``cooldown`` 30 s by default)::

    state                 event                                  next state
    --------------------  -------------------------------------  ---------------------------------
    any                   select picks it                        same, in_flight + 1
    any                   record(ok)                             same, in_flight - 1 (not below 0),
                                                                 latency EWMA updated
    any                   record(failure), failures within the   same, failure time added,
                          window (after it) < threshold          in_flight - 1
    any                   record(failure), failures within the   COOLING until now + cooldown
                          window (after it) reach threshold      (never shortened); window cleared
    COOLING               now >= cooling_until                   available again (failures start
                                                                 from an empty window)
    any                   probe(healthy)                         HEALTHY, cooldown ended
    any                   probe(unhealthy)                       UNHEALTHY until probe(healthy)
                                                                 (failures and cooldown still
                                                                 counted meanwhile)

``cooldown=0`` turns benching off (failures are still counted and cleared at the threshold).

Decisions made here, and why:

- A failure counts while ``now - t < window``; older ones are forgotten. Successes do not
  erase failures (the count is a window, not a streak), and a healthy probe does not either
  (probes that pass must not hide requests that fail); it only ends a cooldown.
- Reaching the threshold clears the window: the cooldown is the penalty for those failures,
  and after it the endpoint needs ``threshold`` new failures to be benched again.
- Latency is averaged over successes only: a failure's latency says little (a refused
  connection is fast) and would make a broken endpoint look like the fastest one. Negative or
  non-finite samples are ignored. EWMA: ``alpha * sample + (1 - alpha) * previous``.
- An ``index`` outside the endpoints (e.g. from before a configuration change) is ignored by
  ``failover_record`` and ``failover_set_health``: the state comes back unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import MappingProxyType
from typing import Final, TypeAlias

from hf_pure.core.errors import NoHealthyEndpoint
from hf_pure.reliability.failover_config import (
    Endpoint,
    EndpointState,
    FailoverConfig,
    FailoverState,
    Strategy,
    failover_start,
)
from hf_pure.reliability.rand import Rng

__all__ = [
    "Endpoint",
    "EndpointState",
    "FailoverConfig",
    "FailoverState",
    "Strategy",
    "failover_available",
    "failover_record",
    "failover_select",
    "failover_set_health",
    "failover_start",
]


def failover_available(config: FailoverConfig, state: FailoverState, now: float) -> tuple[int, ...]:
    """Indexes of the endpoints that may be picked at ``now``, in configured order."""
    return failover_available_in(state, now)


def failover_available_in(state: FailoverState, now: float) -> tuple[int, ...]:
    return tuple(
        i
        for i, e in enumerate(state.endpoints)
        if e.healthy and (e.cooling_until is None or now >= e.cooling_until)
    )


# A picker answers (index, new cursor, new rng) or None when nothing is available.
_Pick: TypeAlias = tuple[int, int, Rng] | None


def _pick_priority(config: FailoverConfig, state: FailoverState, now: float) -> _Pick:
    for i, e in enumerate(state.endpoints):
        if e.healthy and (e.cooling_until is None or now >= e.cooling_until):
            return i, state.cursor, state.rng
    return None


def _scan_from(state: FailoverState, start: int, now: float) -> int | None:
    eps = state.endpoints
    n = len(eps)
    start = start % n if n else 0
    for k in range(n):
        i = start + k
        if i >= n:
            i -= n
        e = eps[i]
        if e.healthy and (e.cooling_until is None or now >= e.cooling_until):
            return i
    return None


def _pick_round_robin(config: FailoverConfig, state: FailoverState, now: float) -> _Pick:
    i = _scan_from(state, state.cursor, now)
    if i is None:
        return None
    nxt = i + 1
    return i, (0 if nxt == len(state.endpoints) else nxt), state.rng


def _pick_sticky(config: FailoverConfig, state: FailoverState, now: float) -> _Pick:
    i = _scan_from(state, state.cursor, now)
    return None if i is None else (i, i, state.rng)


def _pick_random(config: FailoverConfig, state: FailoverState, now: float) -> _Pick:
    avail = [
        i
        for i, e in enumerate(state.endpoints)
        if e.healthy and (e.cooling_until is None or now >= e.cooling_until)
    ]
    count = len(avail)
    if not count:
        return None
    draw, rng = state.rng.next()
    k = int(draw * count)  # same as Rng.below(count), without a second call
    return avail[k if k < count else count - 1], state.cursor, rng


def _pick_least_busy(config: FailoverConfig, state: FailoverState, now: float) -> _Pick:
    best = -1
    fewest = 0
    for i, e in enumerate(state.endpoints):
        if (
            e.healthy
            and (e.cooling_until is None or now >= e.cooling_until)
            and (best < 0 or e.in_flight < fewest)
        ):
            best, fewest = i, e.in_flight
    return None if best < 0 else (best, state.cursor, state.rng)


def _pick_least_latency(config: FailoverConfig, state: FailoverState, now: float) -> _Pick:
    best = -1
    lowest = 0.0
    for i, e in enumerate(state.endpoints):
        if e.healthy and (e.cooling_until is None or now >= e.cooling_until):
            latency = e.latency
            if latency is None:
                return i, state.cursor, state.rng
            if best < 0 or latency < lowest:
                best, lowest = i, latency
    return None if best < 0 else (best, state.cursor, state.rng)


def _pick_weighted(config: FailoverConfig, state: FailoverState, now: float) -> _Pick:
    conf = config.endpoints
    avail: list[int] = []
    total = 0.0
    for i, e in enumerate(state.endpoints):
        if e.healthy and (e.cooling_until is None or now >= e.cooling_until):
            avail.append(i)
            total += conf[i].weight
    if not avail:
        return None
    draw, rng = state.rng.next()
    target = draw * total
    acc = 0.0
    for i in avail:
        acc += conf[i].weight
        if target < acc:
            return i, state.cursor, rng
    return avail[-1], state.cursor, rng  # only reached through rounding at the very top


_Picker: TypeAlias = Callable[[FailoverConfig, FailoverState, float], _Pick]
_PICKERS: Final[MappingProxyType[Strategy, _Picker]] = MappingProxyType(
    {
        Strategy.PRIORITY: _pick_priority,
        Strategy.ROUND_ROBIN: _pick_round_robin,
        Strategy.RANDOM: _pick_random,
        Strategy.STICKY: _pick_sticky,
        Strategy.LEAST_BUSY: _pick_least_busy,
        Strategy.LEAST_LATENCY: _pick_least_latency,
        Strategy.WEIGHTED: _pick_weighted,
    }
)


def _without(state: FailoverState, avoid: frozenset[int], now: float) -> FailoverState:
    """A view of ``state`` where the ``avoid`` endpoints look unavailable, when that still
    leaves one available (otherwise the state itself: avoiding is a preference)."""
    if not any(i not in avoid for i in failover_available_in(state, now)):
        return state
    return _excluding(state, avoid)


def _excluding(state: FailoverState, exclude: frozenset[int]) -> FailoverState:
    """A view of ``state`` where the ``exclude`` endpoints look unavailable."""
    eps = tuple(
        EndpointState(
            failures=e.failures,
            cooling_until=e.cooling_until,
            healthy=False,
            in_flight=e.in_flight,
            latency=e.latency,
        )
        if i in exclude
        else e
        for i, e in enumerate(state.endpoints)
    )
    return FailoverState(endpoints=eps, cursor=state.cursor, rng=state.rng)


def failover_select(
    config: FailoverConfig,
    state: FailoverState,
    now: float,
    avoid: frozenset[int] = frozenset(),
    exclude: frozenset[int] = frozenset(),
) -> tuple[FailoverState, int | NoHealthyEndpoint]:
    """Pick the endpoint for the next request and count it in flight.

    Answers the new state and the chosen index, or ``NoHealthyEndpoint`` (state unchanged)
    when none is available and ``fallback_to_first`` is not set. ``avoid`` names endpoints
    to pass over when another is available (a retry shouldn't go back to the endpoint that
    just failed it). ``exclude`` names endpoints that must not be picked at all (the policy's
    per-endpoint breakers refuse them): the strategy picks among the others, and
    ``fallback_to_first`` falls back to the first endpoint not excluded.
    """
    view = _excluding(state, exclude) if exclude else state
    if avoid:
        view = _without(view, avoid, now)
    pick = _PICKERS[config.strategy](config, view, now)
    if pick is None:
        first = next((i for i in range(len(state.endpoints)) if i not in exclude), None)
        if not config.fallback_to_first or first is None:
            return state, NoHealthyEndpoint(tuple(e.url for e in config.endpoints))
        index, cursor, rng = first, state.cursor, state.rng
    else:
        index, cursor, rng = pick
    eps = state.endpoints
    e = eps[index]
    taken = EndpointState(
        failures=e.failures,
        cooling_until=e.cooling_until,
        healthy=e.healthy,
        in_flight=e.in_flight + 1,
        latency=e.latency,
    )
    items = list(eps)
    items[index] = taken
    return FailoverState(endpoints=tuple(items), cursor=cursor, rng=rng), index


def failover_record(
    config: FailoverConfig,
    state: FailoverState,
    index: int,
    ok: bool,
    latency: float | None,
    now: float,
) -> FailoverState:
    """A request sent to ``index`` finished: ``ok`` or not, after ``latency`` seconds if known.

    Leaves flight; a failure joins the sliding window and, at the threshold, starts a cooldown;
    a success's latency updates the EWMA.
    """
    eps = state.endpoints
    if not 0 <= index < len(eps):
        return state
    e = eps[index]
    in_flight = e.in_flight - 1 if e.in_flight > 0 else 0
    cooling_until = e.cooling_until
    if cooling_until is not None and now >= cooling_until:
        cooling_until = None
    if ok:
        average = e.latency
        if latency is not None and 0.0 <= latency < math.inf:
            if average is None:
                average = float(latency)
            else:
                alpha = config.latency_alpha
                average = alpha * latency + (1.0 - alpha) * average
        new = EndpointState(
            failures=e.failures,
            cooling_until=cooling_until,
            healthy=e.healthy,
            in_flight=in_flight,
            latency=average,
        )
    else:
        window = config.window
        failures = (*(t for t in e.failures if now - t < window), now)
        if len(failures) >= config.threshold:
            until = now + config.cooldown
            if cooling_until is not None and cooling_until > until:
                until = cooling_until
            new = EndpointState(
                failures=(),
                cooling_until=until,
                healthy=e.healthy,
                in_flight=in_flight,
                latency=e.latency,
            )
        else:
            new = EndpointState(
                failures=failures,
                cooling_until=cooling_until,
                healthy=e.healthy,
                in_flight=in_flight,
                latency=e.latency,
            )
    items = list(eps)
    items[index] = new
    return FailoverState(endpoints=tuple(items), cursor=state.cursor, rng=state.rng)


def failover_set_health(
    config: FailoverConfig, state: FailoverState, index: int, healthy: bool, now: float
) -> FailoverState:
    """A health probe's verdict on ``index``.

    Healthy: the endpoint is healthy again and any cooldown ends now (its failure window is
    kept). Unhealthy: it is not picked until a healthy probe.
    """
    eps = state.endpoints
    if not 0 <= index < len(eps):
        return state
    e = eps[index]
    if healthy:
        new = EndpointState(
            failures=e.failures,
            cooling_until=None,
            healthy=True,
            in_flight=e.in_flight,
            latency=e.latency,
        )
    else:
        cooling_until = e.cooling_until
        if cooling_until is not None and now >= cooling_until:
            cooling_until = None
        new = EndpointState(
            failures=e.failures,
            cooling_until=cooling_until,
            healthy=False,
            in_flight=e.in_flight,
            latency=e.latency,
        )
    items = list(eps)
    items[index] = new
    return FailoverState(endpoints=tuple(items), cursor=state.cursor, rng=state.rng)
