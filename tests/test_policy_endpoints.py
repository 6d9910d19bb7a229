"""Failover with one breaker per endpoint, and the breakers' map after recovery.

The rule: failover picks among the endpoints whose breaker admits; a ``CircuitOpen`` comes
only when every available endpoint's breaker refuses, and then it names the one that allows
a trial first. A breaker back to the fresh closed state leaves the map.
"""

from __future__ import annotations

from typing import Any

import pytest
from returns.result import Failure, Result, Success

import hf_pure as hf
from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.breaker import BreakerConfig
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.failover import Endpoint, FailoverConfig, Strategy, failover_set_health
from hf_pure.reliability.policy import (
    BreakerKey,
    Policy,
    Reject,
    ReliabilityState,
    Send,
    admit,
    policy_start,
    record,
    release,
    replay,
)
from hf_pure.reliability.policy_types import Admitted, Event, Recorded, state_with

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
REQ = hf.chat(MODEL, ["hi"])
FAST = BucketConfig(per_second=1000.0, per_minute=None, per_hour=None)
A, B, C = "http://a", "http://b", "http://c"
DOWN: Result[Any, hf.HfError] = Failure(hf.ServerError(503))
UP: Result[Any, hf.HfError] = Success("ok")


def endpoint_policy(
    *urls: str,
    strategy: Strategy = Strategy.PRIORITY,
    cooldown: float = 1.0,
    fallback: bool = False,
    open_timeout: float = 10.0,
) -> Policy:
    """Per-endpoint breakers that open at the first failure and stay open ``open_timeout``;
    failover benches an endpoint for only ``cooldown`` (shorter), so an endpoint is back in
    failover's eyes while its breaker is still open: the case the rule is about."""
    return Policy(
        breaker=BreakerConfig(failure_threshold=1, success_threshold=1, open_timeout=open_timeout),
        breaker_key=BreakerKey.ENDPOINT,
        bucket=FAST,
        cache=None,
        failover=FailoverConfig(
            tuple(Endpoint(u) for u in urls),
            strategy=strategy,
            threshold=1,
            cooldown=cooldown,
            fallback_to_first=fallback,
        ),
    )


def send(policy: Policy, state: ReliabilityState, now: float) -> tuple[ReliabilityState, Send]:
    state, decision = admit(policy, state, REQ, now)
    assert isinstance(decision, Send), decision
    return state, decision


def fail_at(policy: Policy, state: ReliabilityState, now: float, url: str) -> ReliabilityState:
    """Send one request at ``now``; it must go to ``url``, and it fails there."""
    state, decision = send(policy, state, now)
    assert decision.endpoint == url
    return record(policy, state, REQ, decision, DOWN, 0.1, now)


def test_an_open_endpoint_breaker_fails_over_to_the_next_endpoint() -> None:
    policy = endpoint_policy(A, B)
    state = fail_at(policy, policy_start(policy, 0.0), 0.0, A)  # a's breaker opens until 10
    state, decision = send(policy, state, 5.0)  # a's bench is over (1 s), its breaker is not
    assert (decision.endpoint, decision.index, decision.key) == (B, 1, B)
    state = record(policy, state, REQ, decision, UP, 0.1, 5.0)
    state, decision = send(policy, state, 10.0)  # a's breaker allows a trial: priority says a
    assert decision.endpoint == A
    state = record(policy, state, REQ, decision, UP, 0.1, 10.0)
    assert A not in state.breakers  # recovered: back to fresh, and out of the map


def test_a_refused_endpoint_takes_nothing_from_any_machine() -> None:
    policy = endpoint_policy(A, B)
    state = fail_at(policy, policy_start(policy, 0.0), 0.0, A)
    state, decision = send(policy, state, 5.0)
    assert state.failover is not None
    assert [e.in_flight for e in state.failover.endpoints] == [0, 1]  # only b is in flight
    assert state.breakers[A].mode.value == "open"  # a's breaker was only looked at
    assert state.breakers[A].opened_at == 0.0
    state = release(policy, state, decision, 5.5)
    assert [e.in_flight for e in state.failover.endpoints] == [0, 0]  # type: ignore[union-attr]


def test_circuit_open_only_when_no_available_endpoint_admits_and_names_the_earliest() -> None:
    policy = endpoint_policy(A, B, C)
    state = policy_start(policy, 0.0)
    state = fail_at(policy, state, 0.0, A)  # a open until 10
    state = fail_at(policy, state, 2.0, B)  # b open until 12
    state = fail_at(policy, state, 3.0, C)  # c open until 13; every bench is over by 4
    before = state
    state, refused = admit(policy, state, REQ, 5.0)
    assert isinstance(refused, Reject)
    error = refused.error
    assert isinstance(error, hf.CircuitOpen)
    assert (error.key, error.scope, error.until) == (A, "endpoint", 10.0)
    assert error.retry_in == pytest.approx(5.0)
    assert state == before  # a refusal changes nothing
    state, trial = send(policy, state, 10.0)  # a allows a trial first
    assert trial.endpoint == A
    state, second = admit(policy, state, REQ, 10.0)  # a's one trial slot is taken; b, c open
    assert isinstance(second, Reject) and isinstance(second.error, hf.CircuitOpen)
    assert (second.error.key, second.error.until, second.error.retry_in) == (A, 10.0, 0.0)


def test_the_earliest_counts_only_endpoints_failover_would_pick() -> None:
    # a is benched for 20 s (its breaker reopens at 10); b's breaker reopens at 12 and a
    # healthy probe has ended b's bench: a's 10 is no use while a is benched, so the refusal
    # says 12, for b
    policy = endpoint_policy(A, B, cooldown=20.0)
    state = policy_start(policy, 0.0)
    state = fail_at(policy, state, 0.0, A)
    state = fail_at(policy, state, 2.0, B)
    state, none = admit(policy, state, REQ, 5.0)
    assert isinstance(none, Reject) and isinstance(none.error, hf.NoHealthyEndpoint)
    assert policy.failover is not None and state.failover is not None
    probed = failover_set_health(policy.failover, state.failover, 1, True, 5.0)
    state, refused = admit(policy, state_with(state, failover=probed), REQ, 5.0)
    assert isinstance(refused, Reject) and isinstance(refused.error, hf.CircuitOpen)
    assert (refused.error.key, refused.error.until) == (B, 12.0)


def test_no_endpoint_available_is_still_no_healthy_endpoint() -> None:
    policy = endpoint_policy(A, B, cooldown=30.0)
    state = policy_start(policy, 0.0)
    state = fail_at(policy, state, 0.0, A)
    state = fail_at(policy, state, 0.0, B)
    state, refused = admit(policy, state, REQ, 15.0)  # breakers allow trials; benches don't
    assert isinstance(refused, Reject) and isinstance(refused.error, hf.NoHealthyEndpoint)


def test_fallback_to_first_falls_back_to_the_first_endpoint_whose_breaker_admits() -> None:
    policy = endpoint_policy(A, B, cooldown=30.0, fallback=True)
    state = fail_at(policy, policy_start(policy, 0.0), 0.0, A)  # a: open and benched
    state, decision = send(policy, state, 1.0)
    assert decision.endpoint == B  # b is available: no fallback needed
    state = record(policy, state, REQ, decision, DOWN, 0.1, 1.0)  # b: open and benched
    state, refused = admit(policy, state, REQ, 2.0)  # nothing available, nothing admits
    assert isinstance(refused, Reject) and isinstance(refused.error, hf.CircuitOpen)
    assert (refused.error.key, refused.error.until) == (A, 10.0)
    state, trial = send(policy, state, 10.5)  # both benched; a's breaker admits a trial
    assert trial.endpoint == A
    state, second = send(policy, state, 11.5)  # a's trial is in flight; b's breaker admits
    assert second.endpoint == B


@pytest.mark.parametrize("strategy", list(Strategy))
def test_every_strategy_routes_around_an_open_breaker(strategy: Strategy) -> None:
    policy = endpoint_policy(A, B, C, strategy=strategy)
    state = policy_start(policy, 0.0, seed=7)
    state, first = send(policy, state, 0.0)
    state = record(policy, state, REQ, first, DOWN, 0.1, 0.0)
    assert first.endpoint is not None
    for step in range(30):  # the failed endpoint's breaker stays open until 10
        state, decision = send(policy, state, 2.0 + step * 0.25)
        assert decision.endpoint != first.endpoint
        state = record(policy, state, REQ, decision, UP, 0.1, 2.0 + step * 0.25)


def test_the_model_key_still_refuses_every_endpoint() -> None:
    # one breaker per model guards every endpoint alike: no endpoint can route around it
    policy = Policy(
        breaker=BreakerConfig(failure_threshold=1, open_timeout=10.0),
        breaker_key=BreakerKey.MODEL,
        bucket=FAST,
        failover=FailoverConfig((Endpoint(A), Endpoint(B)), threshold=1, cooldown=1.0),
    )
    state = fail_at(policy, policy_start(policy, 0.0), 0.0, A)
    state, refused = admit(policy, state, REQ, 5.0)
    assert isinstance(refused, Reject) and isinstance(refused.error, hf.CircuitOpen)
    assert (refused.error.key, refused.error.scope) == (MODEL, "model")


def test_routing_around_replays() -> None:
    policy = endpoint_policy(A, B, strategy=Strategy.RANDOM)
    start = policy_start(policy, 0.0, seed=3)
    state = start
    events: list[Event] = []
    for step in range(20):
        now = step * 0.75
        state, decision = admit(policy, state, REQ, now)
        events.append(Admitted(REQ, now))
        if isinstance(decision, Send):
            result = DOWN if step % 3 == 0 else UP
            state = record(policy, state, REQ, decision, result, 0.1, now)
            events.append(Recorded(REQ, decision, result, 0.1, now))
    assert replay(policy, start, events) == state


# ----------------------------------------------------------------- the map after recovery


@pytest.mark.parametrize("key", [BreakerKey.MODEL, BreakerKey.GLOBAL])
def test_a_recovered_breaker_leaves_the_map(key: BreakerKey) -> None:
    policy = Policy(
        breaker=BreakerConfig(failure_threshold=2, success_threshold=1, open_timeout=10.0),
        breaker_key=key,
        bucket=FAST,
        cache=None,
    )
    name = MODEL if key is BreakerKey.MODEL else "*"
    state = policy_start(policy, 0.0)
    state, d = send(policy, state, 0.0)
    state = record(policy, state, REQ, d, DOWN, 0.1, 0.0)
    assert state.breakers[name].failures == 1  # one failure: kept
    state, d = send(policy, state, 0.5)
    state = record(policy, state, REQ, d, UP, 0.1, 0.5)
    assert name not in state.breakers  # the count reset: fresh again, dropped
    for now in (1.0, 1.5):
        state, d = send(policy, state, now)
        state = record(policy, state, REQ, d, DOWN, 0.1, now)
    assert state.breakers[name].mode.value == "open"
    state, trial = send(policy, state, 12.0)
    state = record(policy, state, REQ, trial, UP, 0.1, 12.0)
    assert len(state.breakers) == 0  # the trial closed it: nothing left in the map
    plain = to_plain(state)
    assert from_plain(ReliabilityState, plain) == Success(state)


def test_many_models_seen_leave_no_entries_behind() -> None:
    policy = Policy(
        breaker=BreakerConfig(failure_threshold=3),
        breaker_key=BreakerKey.MODEL,
        bucket=FAST,
        cache=None,
    )
    state = policy_start(policy, 0.0)
    for i in range(50):
        request = hf.chat(f"org/model-{i}", ["hi"])
        state, d = admit(policy, state, request, float(i))
        assert isinstance(d, Send)
        state = record(policy, state, request, d, DOWN, 0.1, float(i))
        state, d = admit(policy, state, request, float(i))
        assert isinstance(d, Send)
        state = record(policy, state, request, d, UP, 0.1, float(i))
    assert len(state.breakers) == 0


def test_a_fresh_entry_from_an_old_saved_state_goes_once_it_has_changed() -> None:
    # a state saved before this rule may hold a fresh closed entry: it stays until its
    # breaker changes, and leaves the map when the breaker is back to fresh
    policy = Policy(breaker=BreakerConfig(failure_threshold=3), bucket=FAST, cache=None)
    plain: Any = to_plain(policy_start(policy, 0.0))
    plain["breakers"] = [[MODEL, {"mode": "closed"}]]
    state = from_plain(ReliabilityState, plain).unwrap()
    assert MODEL in state.breakers
    state, d = send(policy, state, 1.0)
    state = record(policy, state, REQ, d, DOWN, 0.1, 1.0)
    assert state.breakers[MODEL].failures == 1
    state, d = send(policy, state, 2.0)
    state = record(policy, state, REQ, d, UP, 0.1, 2.0)
    assert MODEL not in state.breakers
