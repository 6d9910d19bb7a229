"""How an attempt's outcome feeds every machine: ``record`` (a finished attempt),
``release`` (an admission given back unfinished) and ``record_hit`` (a cache answer).
"""

from __future__ import annotations

from typing import Any, Final

import immutables
from returns.result import Result, Success

from hf_pure.core.errors import (
    BadRequest,
    ConnectionFailed,
    ErrorEvent,
    GenerationFailed,
    HfError,
    MalformedResponse,
    ModelLoading,
    NotFound,
    Overloaded,
    ServerError,
    StreamInterrupted,
    Timeout,
    Unauthorized,
)
from hf_pure.reliability.breaker import BreakerOutcome, BreakerState, breaker_record
from hf_pure.reliability.bucket import charge_tokens
from hf_pure.reliability.cache import cache_put
from hf_pure.reliability.failover import FailoverState, failover_record
from hf_pure.reliability.metrics import metrics_add
from hf_pure.reliability.policy_types import (
    FRESH_BREAKER,
    Policy,
    ReliabilityState,
    Send,
    state_with,
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


def breaker_outcome(result: Result[Any, HfError]) -> BreakerOutcome:
    """How an attempt's result counts for the breaker."""
    if isinstance(result, Success):
        return BreakerOutcome.SUCCESS
    error = result.failure()
    if isinstance(error, _SERVICE_FAILURES):
        return BreakerOutcome.FAILURE
    if isinstance(error, ErrorEvent):  # an error reported inside a 2xx reply or stream
        # a refused input says the service is up; a failed generation or overload, not
        return (
            BreakerOutcome.SUCCESS if error.error_type == "validation" else BreakerOutcome.FAILURE
        )
    if isinstance(error, _SERVICE_UP):
        return BreakerOutcome.SUCCESS
    return BreakerOutcome.IGNORED  # 429, local refusals, bad input: nothing learned about health


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
    return ReliabilityState(
        breakers=breakers,
        bucket=bucket,
        cache=cache,
        failover=failover,
        metrics=metrics,
        rng=state.rng,
    )


def release(
    policy: Policy, state: ReliabilityState, decision: Send, now: float
) -> ReliabilityState:
    """Undo an admission whose attempt never finished (the caller was cancelled): the breaker
    trial slot and the endpoint's in-flight count are given back; nothing is counted."""
    breakers, failover = _endpoint_outcome(
        policy, state, decision, BreakerOutcome.IGNORED, None, now
    )
    return ReliabilityState(
        breakers=breakers,
        bucket=state.bucket,
        cache=state.cache,
        failover=failover,
        metrics=state.metrics,
        rng=state.rng,
    )


def _endpoint_outcome(
    policy: Policy,
    state: ReliabilityState,
    decision: Send,
    outcome: BreakerOutcome,
    latency: float | None,
    now: float,
) -> tuple[immutables.Map[str, BreakerState], FailoverState | None]:
    """The breaker and failover states after an attempt ended with ``outcome`` (IGNORED: it
    never finished, so only its trial slot and in-flight count are given back)."""
    breakers = state.breakers
    if policy.breaker is not None:
        key = decision.key
        current = breakers.get(key, FRESH_BREAKER)
        breaker = breaker_record(policy.breaker, current, outcome, now)
        if breaker is not current:  # most successes change nothing
            breakers = breakers.set(key, breaker)
    failover = state.failover
    if policy.failover is not None and failover is not None and decision.index is not None:
        failover = failover_record(
            policy.failover,
            failover,
            decision.index,
            outcome is not BreakerOutcome.FAILURE,
            latency if outcome is BreakerOutcome.SUCCESS else None,
            now,
        )
    return breakers, failover


def record_hit(state: ReliabilityState, request: Any, now: float) -> ReliabilityState:
    """Count an answer served from the cache in the metrics."""
    model = getattr(request, "model", "")
    metrics = metrics_add(state.metrics, 0.0, "success", model, "", 0, 0, True, now)
    return state_with(state, metrics=metrics)
