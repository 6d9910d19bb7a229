"""The reliability machines composed into one call path: ``admit`` and ``record``.

A :class:`Policy` says which machines run and how (None switches one off); a
:class:`ReliabilityState` holds all their states. Both are values: the caller threads the
state, or hands it to :class:`~hf_pure.shell.reliable.ReliableRunner`, which applies each
transition atomically for concurrent callers.

    state, decision = admit(policy, state, request, now)
    match decision:
        case Serve(value=value):    # a cached answer: nothing to send
        case Wait(seconds=seconds): # the local rate limit: wait, then admit again
        case Reject(error=error):   # circuit open, rate limit that can't be met, no endpoint
        case Send(endpoint=url):    # send it (to url, when failing over), then:
            state = record(policy, state, request, decision, result, latency, now)

The order inside ``admit`` (each step sees the state the previous one left):

    1. cache     cacheable request and a fresh entry        -> Serve (no token, no trial;
                 never for a stream: ``streamed=True`` passes the cache over)
    2. failover  pick an endpoint (with one breaker per      -> Reject(NoHealthyEndpoint) /
                 endpoint: one whose breaker admits)            Reject(CircuitOpen)
    3. breaker   the key's breaker (model, endpoint or all)  -> Reject(CircuitOpen)
    4. bucket    take one request token                      -> Wait(s) / Reject(RateLimitedLocally)
    5. commit    endpoint in flight, breaker trial, token    -> Send(endpoint, index, key)

With ``breaker_key=ENDPOINT`` failover routes around an endpoint whose breaker refuses (open,
or half-open with its trials in flight): the breakers are asked first (only asked: no trial
slot is taken until step 5), and the strategy picks among the endpoints that failover has
available *and* whose breaker admits (checked top to bottom)::

    condition                                          admit answers
    -------------------------------------------------  -------------------------------------
    some available endpoint's breaker admits           the strategy's pick among those
    fallback_to_first, some endpoint's breaker admits  the first such endpoint
    fallback_to_first (every breaker refuses)          Reject(CircuitOpen) of the endpoint
                                                       allowing a trial first
    some endpoint available (each breaker refuses)     Reject(CircuitOpen) of the available
                                                       endpoint allowing a trial first
    no endpoint available                              Reject(NoHealthyEndpoint)

So a failover ``cooldown`` shorter than the breaker's ``open_timeout`` is fine: an endpoint
back from its bench whose breaker is still open is passed over, not refused. With a breaker
per model (or one for all) the breaker guards every endpoint alike, and refuses at step 3.

Steps 2-4 only look until step 5: a refusal at any step leaves the earlier machines as they
were (no endpoint counted in flight, no trial slot taken, no token spent). ``record`` then
feeds the outcome to every machine: breaker (failure, success or ignored), failover
(latency, failure window), cache (store a cacheable success), bucket (charge the LLM tokens
the reply reports) and metrics (with the bytes of the exchange). ``release`` gives back an
admission whose attempt never finished; ``replay`` folds a logged run through all of these.

A breaker's refusal is a ``CircuitOpen`` naming the breaker's key and scope, with
``retry_in``, the seconds (in ``now``'s clock) until a trial is allowed; the shell adds the
wall-clock time. The values live in :mod:`~hf_pure.reliability.policy_types`, ``record`` and
``release`` in :mod:`~hf_pure.reliability.outcomes`; every name is importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs
import immutables

from hf_pure.core.errors import CircuitOpen, RateLimitedLocally
from hf_pure.reliability.breaker import BreakerState, breaker_admit
from hf_pure.reliability.bucket import BucketConfig, TakeKind, bucket_start, try_take
from hf_pure.reliability.cache import Miss, cache_get
from hf_pure.reliability.failover import (
    FailoverConfig,
    FailoverState,
    failover_available,
    failover_select,
    failover_start,
)
from hf_pure.reliability.outcomes import breaker_outcome, outcome_kind, record, record_hit, release
from hf_pure.reliability.policy_types import (
    FRESH_BREAKER,
    Admitted,
    BreakerKey,
    Decision,
    Drawn,
    Event,
    Hit,
    Policy,
    Recorded,
    Reject,
    Released,
    ReliabilityState,
    Send,
    Serve,
    Wait,
    policy_start,
    state_with,
)

_NONE_REFUSING: Final[Mapping[int, CircuitOpen]] = MappingProxyType({})
_NO_ENDPOINTS: Final[frozenset[int]] = frozenset()


def adapt(old: Policy, new: Policy, state: ReliabilityState, now: float) -> ReliabilityState:
    """The state to carry on with after the policy changed from ``old`` to ``new``.

    A machine keeps its state when its configuration keeps the state's shape; otherwise it
    starts fresh: new bucket windows start full, a new endpoint list starts healthy.
    Breaker counts and cache entries always carry over (their meaning doesn't change).
    """
    bucket = state.bucket
    if new.bucket is None:
        bucket = None
    elif bucket is None or old.bucket is None or _windows(old.bucket) != _windows(new.bucket):
        bucket = bucket_start(new.bucket, now)
    failover = state.failover
    if new.failover is None:
        failover = None
    elif (
        failover is None or old.failover is None or old.failover.endpoints != new.failover.endpoints
    ):
        failover = failover_start(new.failover, state.rng.state)
    return ReliabilityState(
        breakers=state.breakers,
        bucket=bucket,
        cache=state.cache,
        failover=failover,
        metrics=state.metrics,
        rng=state.rng,
    )


def _windows(config: BucketConfig) -> tuple[bool, ...]:
    return (
        config.per_second is not None,
        config.per_minute is not None,
        config.per_hour is not None,
        config.tokens_per_minute is not None,
    )


def _is_cacheable(request: Any) -> bool:
    return bool(getattr(request, "cacheable", False)) and not getattr(request, "stream", False)


def _breaker_key(policy: Policy, request: Any, endpoint: str | None) -> str:
    if policy.breaker_key is BreakerKey.MODEL:
        return str(getattr(request, "model", "") or "*")
    if policy.breaker_key is BreakerKey.ENDPOINT and endpoint is not None:
        return endpoint
    return "*"


def _named(policy: Policy, refused: CircuitOpen, key: str, now: float) -> CircuitOpen:
    """A breaker's refusal naming its key and scope, with the seconds until a trial."""
    scope = "global" if key == "*" else policy.breaker_key.value
    wait = refused.until - now
    return attrs.evolve(refused, key=key, scope=scope, retry_in=wait if wait > 0 else 0.0)


def _refusing(
    policy: Policy,
    failover: FailoverConfig,
    breakers: immutables.Map[str, BreakerState],
    now: float,
) -> Mapping[int, CircuitOpen]:
    """With one breaker per endpoint: the failover endpoints whose breaker refuses at ``now``
    (index -> its refusal). Only looked at: taking a trial slot is the commit's."""
    config = policy.breaker
    if config is None or policy.breaker_key is not BreakerKey.ENDPOINT or not breakers:
        return _NONE_REFUSING
    refusing: dict[int, CircuitOpen] = {}
    for i, e in enumerate(failover.endpoints):
        current = breakers.get(e.url)
        if current is not None:
            refused = breaker_admit(config, current, now)[1]
            if refused is not None:
                refusing[i] = _named(policy, refused, e.url, now)
    return refusing


def _no_endpoint_admits(
    config: FailoverConfig, state: FailoverState, refusing: Mapping[int, CircuitOpen], now: float
) -> CircuitOpen | None:
    """Why failover found nothing, when breakers are the reason: the refusal of the endpoint
    that allows a trial first, among those failover would otherwise pick (every endpoint, for
    ``fallback_to_first``). None: failover itself has nothing available."""
    if not refusing:
        return None
    candidates = (
        range(len(config.endpoints))
        if config.fallback_to_first
        else failover_available(config, state, now)
    )
    blocking = [refusing[i] for i in candidates if i in refusing]
    return min(blocking, key=lambda refused: refused.until) if blocking else None


def admit(
    policy: Policy,
    state: ReliabilityState,
    request: Any,
    now: float,
    avoid: frozenset[int] = frozenset(),
    *,
    streamed: bool = False,
) -> tuple[ReliabilityState, Decision]:
    """Decide what to do with ``request`` now (see the module docstring for the order).

    ``avoid``: failover endpoints (indexes) to pass over if another is available; a retry
    names the ones that already failed this request. ``streamed``: the answer is wanted as
    a stream of chunks, which a cached whole answer can't give: the cache is passed over.
    """
    cache = state.cache
    cacheable = not streamed and policy.cache is not None and _is_cacheable(request)
    if cacheable and policy.cache is not None:
        cache, found = cache_get(policy.cache, cache, request, now)
        if not isinstance(found, Miss):
            return state_with(state, cache=cache), Serve(value=found)

    failover = state.failover
    breakers = state.breakers
    endpoint: str | None = None
    index: int | None = None
    if policy.failover is not None and failover is not None:
        refusing = (
            _refusing(policy, policy.failover, breakers, now)
            if breakers and policy.breaker_key is BreakerKey.ENDPOINT
            else _NONE_REFUSING
        )
        exclude = frozenset(refusing) if refusing else _NO_ENDPOINTS
        failover, picked = failover_select(policy.failover, failover, now, avoid, exclude)
        if not isinstance(picked, int):
            error = _no_endpoint_admits(policy.failover, failover, refusing, now) or picked
            return state_with(state, cache=cache), Reject(error=error)
        index = picked
        endpoint = policy.failover.endpoints[picked].url

    key = _breaker_key(policy, request, endpoint)
    if policy.breaker is not None:
        current = breakers.get(key, FRESH_BREAKER)
        breaker, refused = breaker_admit(policy.breaker, current, now)
        if refused is not None:
            return state_with(state, cache=cache), Reject(error=_named(policy, refused, key, now))
        if breaker is not current:  # a closed breaker admits without changing
            breakers = breakers.set(key, breaker)

    bucket = state.bucket
    if policy.bucket is not None and bucket is not None:
        bucket, take = try_take(policy.bucket, bucket, 1.0, now)
        if take.kind is not TakeKind.TAKEN:
            refused_state = state_with(state, cache=cache, bucket=bucket)
            if take.kind is TakeKind.WAIT and take.wait <= policy.max_wait:
                return refused_state, Wait(seconds=take.wait, window=take.window)
            wait = take.wait if take.kind is TakeKind.WAIT else math.inf
            why = take.reason or f"{take.window} would need a {take.wait:g} s wait"
            return refused_state, Reject(error=RateLimitedLocally(wait, why))

    return (
        ReliabilityState(
            breakers=breakers,
            bucket=bucket,
            cache=cache,
            failover=failover,
            metrics=state.metrics,
            rng=state.rng,
        ),
        Send(endpoint=endpoint, index=index, key=key, cacheable=cacheable),
    )


# ------------------------------------------------------------------------------- replay


def replay(policy: Policy, state: ReliabilityState, events: Iterable[Event]) -> ReliabilityState:
    """Fold a recorded event log through the pure transitions: the same log from the same
    state always gives the same state (the determinism tests rely on it)."""
    for event in events:
        if isinstance(event, Admitted):
            state, _ = admit(
                policy, state, event.request, event.now, event.avoid, streamed=event.streamed
            )
        elif isinstance(event, Recorded):
            state = record(
                policy,
                state,
                event.request,
                event.decision,
                event.result,
                event.latency,
                event.now,
                bytes_sent=event.bytes_sent,
                bytes_received=event.bytes_received,
            )
        elif isinstance(event, Released):
            state = release(policy, state, event.decision, event.now)
        elif isinstance(event, Drawn):
            _, state = draw(state)
        else:
            state = record_hit(state, event.request, event.now)
    return state


def draw(state: ReliabilityState) -> tuple[float, ReliabilityState]:
    """A random draw in [0, 1) from the state's seeded source (for retry jitter)."""
    value, rng = state.rng.next()
    return value, state_with(state, rng=rng)


__all__ = [
    "Admitted",
    "BreakerKey",
    "Decision",
    "Drawn",
    "Event",
    "Hit",
    "Policy",
    "Recorded",
    "Reject",
    "Released",
    "ReliabilityState",
    "Send",
    "Serve",
    "Wait",
    "adapt",
    "admit",
    "breaker_outcome",
    "draw",
    "outcome_kind",
    "policy_start",
    "record",
    "record_hit",
    "release",
    "replay",
]
