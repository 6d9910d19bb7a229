"""How an attempt's outcome feeds every machine: ``record`` (a finished attempt),
``release`` (an admission given back unfinished) and ``record_hit`` (a cache answer).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final

import immutables
from returns.result import Result, Success

from hf_pure.core.errors import (
    BadRequest,
    CircuitOpen,
    ConfigError,
    ConnectionFailed,
    ErrorEvent,
    GenerationFailed,
    HfError,
    InvalidInput,
    MalformedResponse,
    MissingToken,
    ModelLoading,
    NoHealthyEndpoint,
    NotFound,
    Overloaded,
    RateLimited,
    RateLimitedLocally,
    ServerError,
    StreamInterrupted,
    Timeout,
    Unauthorized,
)
from hf_pure.reliability.breaker import BreakerOutcome, BreakerState, breaker_record, put_breaker
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

_S: Final = BreakerOutcome.SUCCESS
_F: Final = BreakerOutcome.FAILURE
_I: Final = BreakerOutcome.IGNORED

#: How a failed attempt counts for the breaker (and for failover: only FAILURE counts against
#: an endpoint), by the error's class. A 4xx refusal of the request itself is an answer from
#: a working service; a 429 says we asked too much, not that it is down. The body's
#: ``error_type`` is read before the status (``core.failures.classify``): a 4xx whose body
#: says generation or overloaded is a GenerationFailed or an Overloaded, so a FAILURE. An
#: error class missing here counts as IGNORED.
OUTCOMES: Final = MappingProxyType(
    {
        ServerError: (_F, "a 5xx: the service is failing"),
        Overloaded: (_F, "the service says it is overloaded"),
        ModelLoading: (_F, "the model is not up yet"),
        GenerationFailed: (_F, "the model failed mid-way (error_type generation)"),
        Timeout: (_F, "no answer in time, on our side"),
        ConnectionFailed: (_F, "no connection, or it broke"),
        StreamInterrupted: (_F, "the stream was cut"),
        MalformedResponse: (_F, "the reply was not what the API documents"),
        ErrorEvent: (_F, "an error reported inside a 2xx reply or stream"),
        BadRequest: (_S, "another 4xx: the service answered, refusing the request"),
        Unauthorized: (_S, "401, 403: the service answered, refusing the token"),
        NotFound: (_S, "404: the service answered"),
        RateLimited: (_I, "429: we asked too much; the retry waits, the breaker doesn't"),
        InvalidInput: (_I, "refused before sending"),
        MissingToken: (_I, "refused before sending"),
        CircuitOpen: (_I, "a local refusal"),
        RateLimitedLocally: (_I, "a local refusal"),
        NoHealthyEndpoint: (_I, "a local refusal"),
        ConfigError: (_I, "a local refusal"),
    }
)

#: Where one field of the error overrides its class's row: (the field, value -> row).
OUTCOME_OVERRIDES: Final = MappingProxyType(
    {
        BadRequest: (
            "status",
            MappingProxyType(
                {
                    408: (
                        _F,
                        "408 Request Timeout: a server or proxy on the way gave up waiting, "
                        "as our own timeout does; no evidence the service is up",
                    )
                }
            ),
        ),
        ErrorEvent: (
            "error_type",
            MappingProxyType({"validation": (_S, "the service refused the input: it is up")}),
        ),
    }
)


def breaker_outcome(result: Result[Any, HfError]) -> BreakerOutcome:
    """How an attempt's result counts for the breaker: SUCCESS for a success, else the row of
    ``OUTCOMES`` for the error's class (IGNORED when it has none), unless one of
    ``OUTCOME_OVERRIDES`` applies."""
    if isinstance(result, Success):
        return _S
    error = result.failure()
    kind = type(error)
    row = OUTCOMES.get(kind)
    if row is None:  # a subclass counts as its nearest listed class
        row = next((OUTCOMES[c] for c in kind.__mro__ if c in OUTCOMES), (_I, ""))
    override = OUTCOME_OVERRIDES.get(kind)
    if override is not None:
        field, rows = override
        row = rows.get(getattr(error, field, None), row)
    return row[0]


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
            breakers = put_breaker(breakers, key, breaker)  # a fresh one leaves the map
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
