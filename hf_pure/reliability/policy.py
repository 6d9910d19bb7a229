"""The reliability machines composed into one call path: ``admit`` and ``record``.

A :class:`Policy` says which machines run and how (None switches one off); a
:class:`ReliabilityState` holds all their states. Both are values: the caller threads the
state, or hands it to :class:`~hf_pure.shell.reliable.ReliableRunner`, which applies each
transition atomically for concurrent callers.

    state, decision = admit(policy, state, request, now)
    match decision:
        case Serve(value):          # a cached answer: nothing to send
        case Wait(seconds):         # the local rate limit: wait, then admit again
        case Reject(error):         # circuit open, rate limit that can't be met, no endpoint
        case Send(endpoint=url):    # send it (to url, when failing over), then:
            state = record(policy, state, request, decision, result, latency, now)

The order inside ``admit`` (each step sees the state the previous one left):

    1. cache     cacheable request and a fresh entry        -> Serve (no token, no trial)
    2. failover  pick an endpoint                            -> Reject(NoHealthyEndpoint)
    3. breaker   the key's breaker (model, endpoint or all)  -> Reject(CircuitOpen)
    4. bucket    take one request token                      -> Wait(s) / Reject(RateLimitedLocally)
    5. commit    endpoint in flight, breaker trial, token    -> Send(endpoint, index, key)

Steps 2-4 only look until step 5: a refusal at any step leaves the earlier machines as they
were (no endpoint counted in flight, no trial slot taken, no token spent). ``record`` then
feeds the outcome to every machine: breaker (failure, success or ignored), failover
(latency, failure window), cache (store a cacheable success), bucket (charge the LLM tokens
the reply reports) and metrics.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs
import immutables
import msgspec
from returns.result import Result, Success

from hf_pure.core.errors import (
    BadRequest,
    ConnectionFailed,
    GenerationFailed,
    HfError,
    MalformedResponse,
    ModelLoading,
    NotFound,
    Overloaded,
    RateLimitedLocally,
    ServerError,
    StreamInterrupted,
    Timeout,
    Unauthorized,
)
from hf_pure.core.state import State
from hf_pure.core.value import Value
from hf_pure.reliability.breaker import (
    BreakerConfig,
    BreakerState,
    Outcome,
    breaker_admit,
    breaker_record,
)
from hf_pure.reliability.bucket import (
    BucketConfig,
    BucketState,
    TakeKind,
    bucket_start,
    charge_tokens,
    try_take,
)
from hf_pure.reliability.cache import (
    CacheConfig,
    CacheState,
    Miss,
    cache_empty,
    cache_get,
    cache_put,
)
from hf_pure.reliability.failover import (
    FailoverConfig,
    FailoverState,
    failover_record,
    failover_select,
    failover_start,
)
from hf_pure.reliability.health import HealthConfig
from hf_pure.reliability.metrics import EMPTY as EMPTY_METRICS
from hf_pure.reliability.metrics import Metrics, metrics_add
from hf_pure.reliability.rand import Rng
from hf_pure.reliability.retry import CONSERVATIVE, RetryPolicy


class BreakerKey(enum.StrEnum):
    """What one circuit breaker guards."""

    GLOBAL = "global"  # one breaker for everything
    MODEL = "model"  # one per model id (the default)
    ENDPOINT = "endpoint"  # one per failover endpoint


def _max_wait(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{attribute.name}: must be a number of seconds, got {_kind(value)}")
    if not value >= 0:
        raise ValueError(f"{attribute.name}: must be a number of seconds >= 0")


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _one(cls: type, optional: bool) -> Any:
    """A validator: the field holds a ``cls`` (or None when ``optional``), else a TypeError
    that names the field and what it takes (a setting is replaced as a value, or field by
    field with dotted paths)."""
    wanted = f"a {cls.__name__}"
    if issubclass(cls, enum.Enum):
        wanted += " (" + ", ".join(f"{cls.__name__}.{m.name}" for m in cls) + ")"
    if optional:
        wanted += " or None (None switches it off)"

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, cls) or (optional and value is None):
            return
        hint = (
            f"; set its fields one by one as {attribute.name}.<field>"
            if isinstance(value, Mapping) and attrs.has(cls)
            else ""
        )
        raise TypeError(f"{attribute.name}: must be {wanted}, got {_kind(value)}{hint}")

    return check


def _key_of(value: Any) -> Any:
    """A breaker key's name as data ("model") is the key; anything else is left for the
    validator to refuse."""
    if isinstance(value, str) and not isinstance(value, BreakerKey):
        return next((k for k in BreakerKey if k.value == value), value)
    return value


@attrs.frozen(repr=False)
class Policy(Value):
    """Which machines run and how. A machine set to None is switched off.

    ``max_wait``: the longest local rate-limit wait ``admit`` answers with ``Wait``; a longer
    one is a ``Reject(RateLimitedLocally)`` at once.
    """

    breaker: BreakerConfig | None = attrs.field(
        factory=BreakerConfig, validator=_one(BreakerConfig, True)
    )
    breaker_key: BreakerKey = attrs.field(
        default=BreakerKey.MODEL, converter=_key_of, validator=_one(BreakerKey, False)
    )
    bucket: BucketConfig | None = attrs.field(
        factory=BucketConfig, validator=_one(BucketConfig, True)
    )
    cache: CacheConfig | None = attrs.field(factory=CacheConfig, validator=_one(CacheConfig, True))
    retry: RetryPolicy = attrs.field(default=CONSERVATIVE, validator=_one(RetryPolicy, False))
    failover: FailoverConfig | None = attrs.field(
        default=None, validator=_one(FailoverConfig, True)
    )
    health: HealthConfig = attrs.field(factory=HealthConfig, validator=_one(HealthConfig, False))
    max_wait: float = attrs.field(default=30.0, validator=_max_wait)


class ReliabilityState(State, frozen=True):
    """Every machine's state. Machines switched off keep their (unused) slot."""

    breakers: immutables.Map[str, BreakerState]
    bucket: BucketState | None
    cache: CacheState[Any, Any]
    failover: FailoverState | None
    metrics: Metrics
    rng: Rng


def policy_start(policy: Policy, now: float, seed: int = 0) -> ReliabilityState:
    """A fresh state: breakers closed, bucket full, cache empty, endpoints healthy."""
    return ReliabilityState(
        immutables.Map(),
        bucket_start(policy.bucket, now) if policy.bucket is not None else None,
        cache_empty(),
        failover_start(policy.failover, seed) if policy.failover is not None else None,
        EMPTY_METRICS,
        Rng(seed),
    )


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
    return ReliabilityState(state.breakers, bucket, state.cache, failover, state.metrics, state.rng)


def _windows(config: BucketConfig) -> tuple[bool, ...]:
    return (
        config.per_second is not None,
        config.per_minute is not None,
        config.per_hour is not None,
        config.tokens_per_minute is not None,
    )


# ------------------------------------------------------------------------------- decisions


class Send(State, frozen=True):
    """Send the request (to ``endpoint`` when failing over; None: the configured URL)."""

    endpoint: str | None = None
    index: int | None = None
    key: str = ""
    cacheable: bool = False  # store a success in the cache (decided once, in admit)


class Serve(State, frozen=True):
    """Answer from the cache; nothing is sent."""

    value: Any


class Wait(State, frozen=True):
    """The local rate limit: wait this long, then admit again."""

    seconds: float
    window: str = ""


class Reject(State, frozen=True):
    """Don't send: the error says why (CircuitOpen, RateLimitedLocally, NoHealthyEndpoint)."""

    error: HfError


Decision = Send | Serve | Wait | Reject


def _is_cacheable(request: Any) -> bool:
    return bool(getattr(request, "cacheable", False)) and not getattr(request, "stream", False)


def _breaker_key(policy: Policy, request: Any, endpoint: str | None) -> str:
    if policy.breaker_key is BreakerKey.MODEL:
        return str(getattr(request, "model", "") or "*")
    if policy.breaker_key is BreakerKey.ENDPOINT and endpoint is not None:
        return endpoint
    return "*"


_FRESH_BREAKER: Final = BreakerState()


def admit(
    policy: Policy,
    state: ReliabilityState,
    request: Any,
    now: float,
    avoid: frozenset[int] = frozenset(),
) -> tuple[ReliabilityState, Decision]:
    """Decide what to do with ``request`` now (see the module docstring for the order).

    ``avoid``: failover endpoints (indexes) to pass over if another is available; a retry
    names the ones that already failed this request.
    """
    cache = state.cache
    cacheable = policy.cache is not None and _is_cacheable(request)
    if cacheable and policy.cache is not None:
        cache, found = cache_get(policy.cache, cache, request, now)
        if not isinstance(found, Miss):
            return _with(state, cache=cache), Serve(found)

    failover = state.failover
    endpoint: str | None = None
    index: int | None = None
    if policy.failover is not None and failover is not None:
        failover, picked = failover_select(policy.failover, failover, now, avoid)
        if not isinstance(picked, int):
            return _with(state, cache=cache), Reject(picked)
        index = picked
        endpoint = policy.failover.endpoints[picked].url

    breakers = state.breakers
    key = _breaker_key(policy, request, endpoint)
    if policy.breaker is not None:
        current = breakers.get(key, _FRESH_BREAKER)
        breaker, refused = breaker_admit(policy.breaker, current, now)
        if refused is not None:
            scope = "global" if key == "*" else policy.breaker_key.value
            wait = refused.until - now
            named = attrs.evolve(refused, key=key, scope=scope, retry_in=wait if wait > 0 else 0.0)
            return _with(state, cache=cache), Reject(named)
        if breaker is not current:  # a closed breaker admits without changing
            breakers = breakers.set(key, breaker)

    bucket = state.bucket
    if policy.bucket is not None and bucket is not None:
        bucket, take = try_take(policy.bucket, bucket, 1.0, now)
        if take.kind is not TakeKind.TAKEN:
            refused_state = _with(state, cache=cache, bucket=bucket)
            if take.kind is TakeKind.WAIT and take.wait <= policy.max_wait:
                return refused_state, Wait(take.wait, take.window)
            wait = take.wait if take.kind is TakeKind.WAIT else math.inf
            why = take.reason or f"{take.window} would need a {take.wait:g} s wait"
            return refused_state, Reject(RateLimitedLocally(wait, why))

    return (
        ReliabilityState(breakers, bucket, cache, failover, state.metrics, state.rng),
        Send(endpoint, index, key, cacheable),
    )


# ------------------------------------------------------------------------------- outcomes

#: Errors that say the service (model, provider, endpoint) is failing: they open breakers
#: and count against an endpoint. Refusals of the request itself (4xx) say the service is
#: up; a 429 says we asked too much, not that it is down.
_SERVICE_FAILURES: Final = (
    ServerError,
    Overloaded,
    ModelLoading,
    Timeout,
    ConnectionFailed,
    StreamInterrupted,
    MalformedResponse,
    GenerationFailed,
)
_SERVICE_UP: Final = (BadRequest, NotFound, Unauthorized)


def breaker_outcome(result: Result[Any, HfError]) -> Outcome:
    """How an attempt's result counts for the breaker."""
    if isinstance(result, Success):
        return Outcome.SUCCESS
    error = result.failure()
    if isinstance(error, _SERVICE_FAILURES):
        return Outcome.FAILURE
    if isinstance(error, _SERVICE_UP):
        return Outcome.SUCCESS
    return Outcome.IGNORED  # 429, local refusals, bad input: nothing learned about health


def outcome_kind(result: Result[Any, HfError]) -> str:
    """The metrics' name for a result: "success", or the error's class name."""
    return "success" if isinstance(result, Success) else type(result.failure()).__name__


def _usage_tokens(value: Any) -> int:
    usage = getattr(value, "usage", None)
    total = getattr(usage, "total_tokens", 0)
    return total if isinstance(total, int) and total > 0 else 0


def record(
    policy: Policy,
    state: ReliabilityState,
    request: Any,
    decision: Send,
    result: Result[Any, HfError],
    latency: float,
    now: float,
    *,
    bytes_sent: int = 0,
    bytes_received: int = 0,
) -> ReliabilityState:
    """Feed one attempt's result to every machine."""
    outcome = breaker_outcome(result)
    ok = isinstance(result, Success)
    breakers, failover = _endpoint_outcome(policy, state, decision, outcome, latency, now)
    cache = state.cache
    bucket = state.bucket
    if ok:
        value = result.unwrap()
        if decision.cacheable and policy.cache is not None:
            cache = cache_put(policy.cache, cache, request, value, now)
        budget = policy.bucket
        if budget is not None and budget.tokens_per_minute is not None and bucket is not None:
            tokens = _usage_tokens(value)
            if tokens:
                bucket = charge_tokens(budget, bucket, float(tokens), now)
    metrics = metrics_add(
        state.metrics,
        latency,
        outcome_kind(result),
        getattr(request, "model", ""),
        decision.endpoint or "",
        bytes_sent,
        bytes_received,
        False,
        now,
    )
    return ReliabilityState(breakers, bucket, cache, failover, metrics, state.rng)


def release(
    policy: Policy, state: ReliabilityState, decision: Send, now: float
) -> ReliabilityState:
    """Undo an admission whose attempt never finished (the caller was cancelled): the breaker
    trial slot and the endpoint's in-flight count are given back; nothing is counted."""
    breakers, failover = _endpoint_outcome(policy, state, decision, Outcome.IGNORED, None, now)
    return ReliabilityState(breakers, state.bucket, state.cache, failover, state.metrics, state.rng)


def _endpoint_outcome(
    policy: Policy,
    state: ReliabilityState,
    decision: Send,
    outcome: Outcome,
    latency: float | None,
    now: float,
) -> tuple[immutables.Map[str, BreakerState], FailoverState | None]:
    """The breaker and failover states after an attempt ended with ``outcome`` (IGNORED: it
    never finished, so only its trial slot and in-flight count are given back)."""
    breakers = state.breakers
    if policy.breaker is not None:
        key = decision.key
        current = breakers.get(key, _FRESH_BREAKER)
        breaker = breaker_record(policy.breaker, current, outcome, now)
        if breaker is not current:  # most successes change nothing
            breakers = breakers.set(key, breaker)
    failover = state.failover
    if policy.failover is not None and failover is not None and decision.index is not None:
        failover = failover_record(
            policy.failover,
            failover,
            decision.index,
            outcome is not Outcome.FAILURE,
            latency if outcome is Outcome.SUCCESS else None,
            now,
        )
    return breakers, failover


def record_hit(state: ReliabilityState, request: Any, now: float) -> ReliabilityState:
    """Count an answer served from the cache in the metrics."""
    model = getattr(request, "model", "")
    metrics = metrics_add(state.metrics, 0.0, "success", model, "", 0, 0, True, now)
    return _with(state, metrics=metrics)


def _with(state: ReliabilityState, **changes: Any) -> ReliabilityState:
    return msgspec.structs.replace(state, **changes)


# ------------------------------------------------------------------------------- replay


@attrs.frozen(repr=False)
class Admitted(Value):
    """An ``admit`` call as it happened: enough to replay it."""

    request: Any
    now: float
    avoid: frozenset[int] = frozenset()


@attrs.frozen(repr=False)
class Recorded(Value):
    """A ``record`` call as it happened."""

    request: Any
    decision: Send
    result: Result[Any, HfError]
    latency: float
    now: float
    bytes_sent: int = 0
    bytes_received: int = 0


@attrs.frozen(repr=False)
class Hit(Value):
    """A ``record_hit`` call as it happened."""

    request: Any
    now: float


Event = Admitted | Recorded | Hit


def replay(policy: Policy, state: ReliabilityState, events: Iterable[Event]) -> ReliabilityState:
    """Fold a recorded event log through the pure transitions: the same log from the same
    state always gives the same state (the determinism tests rely on it)."""
    for event in events:
        if isinstance(event, Admitted):
            state, _ = admit(policy, state, event.request, event.now, event.avoid)
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
        else:
            state = record_hit(state, event.request, event.now)
    return state


def draw(state: ReliabilityState) -> tuple[float, ReliabilityState]:
    """A random draw in [0, 1) from the state's seeded source (for retry jitter)."""
    value, rng = state.rng.next()
    return value, _with(state, rng=rng)


__all__ = [
    "Admitted",
    "BreakerKey",
    "Decision",
    "Event",
    "Hit",
    "Policy",
    "Recorded",
    "Reject",
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
