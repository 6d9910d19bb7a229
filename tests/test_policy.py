"""The composed policy: admit/record over all the machines, as pure functions."""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

import hf_pure as hf
from hf_pure.core.errors import ErrorEvent
from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.failover import Endpoint, FailoverConfig
from hf_pure.reliability.metrics import quantiles
from hf_pure.reliability.policy import (
    Policy,
    Recorded,
    Reject,
    ReliabilityState,
    Send,
    Serve,
    Wait,
    admit,
    breaker_outcome,
    policy_start,
    record,
    record_hit,
    release,
    replay,
)

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
REQ = hf.chat(MODEL, ["hi"])
CACHED = hf.cacheable()(REQ)
ANSWER = hf.ChatCompletion("id", MODEL, 1, (), hf.Usage(3, 4, 7))
FAST = BucketConfig(per_second=1000.0, per_minute=None, per_hour=None)


def ok() -> Result[Any, hf.HfError]:
    return Success(ANSWER)


def fail(error: hf.HfError) -> Result[Any, hf.HfError]:
    return Failure(error)


def send(
    policy: Policy, state: ReliabilityState, request: Any, now: float
) -> tuple[ReliabilityState, Send]:
    state, decision = admit(policy, state, request, now)
    assert isinstance(decision, Send), decision
    return state, decision


def test_a_fresh_state_sends_and_records() -> None:
    policy = Policy(bucket=FAST)
    state = policy_start(policy, 0.0)
    state, decision = send(policy, state, REQ, 0.0)
    assert decision == Send(endpoint=None, index=None, key=MODEL)
    state = record(policy, state, REQ, decision, ok(), 0.25, 0.3)
    assert quantiles(state.metrics)[0] == pytest.approx(0.25, rel=0.01)


def test_cache_hit_costs_no_token_and_no_breaker_trial() -> None:
    policy = Policy(bucket=BucketConfig(per_second=1.0, per_minute=None, per_hour=None))
    state = policy_start(policy, 0.0)
    state, decision = send(policy, state, CACHED, 0.0)
    state = record(policy, state, CACHED, decision, ok(), 0.1, 0.1)
    bucket_before, breakers_before = state.bucket, state.breakers
    state, hit = admit(policy, state, CACHED, 0.2)
    assert hit == Serve(value=ANSWER)
    assert state.bucket == bucket_before  # no token spent (the bucket held only one)
    assert state.breakers == breakers_before
    state = record_hit(state, CACHED, 0.2)
    assert state.metrics.cache_hits == 1
    # a request not marked cacheable is never served from the cache
    _, plain = admit(policy, state, REQ, 0.3)
    assert not isinstance(plain, Serve)


def test_streams_are_never_cached() -> None:
    policy = Policy(bucket=FAST)
    streamed = hf.streaming()(CACHED)
    state = policy_start(policy, 0.0)
    state, decision = send(policy, state, streamed, 0.0)
    state = record(policy, state, streamed, decision, ok(), 0.1, 0.1)
    _, again = admit(policy, state, streamed, 0.2)
    assert isinstance(again, Send)


def test_server_failures_open_the_breaker_and_it_recovers() -> None:
    policy = Policy(bucket=FAST)
    state = policy_start(policy, 0.0)
    for t in range(5):
        state, decision = send(policy, state, REQ, float(t))
        state = record(policy, state, REQ, decision, fail(hf.ServerError(503)), 0.1, t + 0.1)
    bucket_before = state.bucket
    state, refused = admit(policy, state, REQ, 10.0)
    assert isinstance(refused, Reject)
    assert isinstance(refused.error, hf.CircuitOpen)
    assert refused.error.until == pytest.approx(4.1 + 60.0)
    assert state.bucket == bucket_before  # a refusal spends no token
    state, trial = send(policy, state, REQ, 64.2)  # after the open timeout: one trial
    state, second = admit(policy, state, REQ, 64.3)
    assert isinstance(second, Reject)  # only one trial in flight
    state = record(policy, state, REQ, trial, ok(), 0.1, 64.4)
    state, trial = send(policy, state, REQ, 64.5)
    state = record(policy, state, REQ, trial, ok(), 0.1, 64.6)
    assert MODEL not in state.breakers  # closed and fresh again: out of the map


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (hf.ServerError(500), "failure"),
        (hf.Timeout("read", 1.0), "failure"),
        (hf.ConnectionFailed("x"), "failure"),
        (hf.ModelLoading(10.0), "failure"),
        (hf.RateLimited(1.0), "ignored"),
        (hf.BadRequest(422), "success"),
        (hf.BadRequest(400), "success"),
        (hf.BadRequest(408), "failure"),
        (hf.Unauthorized(401), "success"),
        (hf.Unauthorized(403), "success"),
        (hf.Overloaded(400), "failure"),
        (hf.GenerationFailed("generation", status=400), "failure"),
        (hf.MissingToken(("env",)), "ignored"),
        (hf.NotFound(), "success"),
        (hf.InvalidInput("f", "r"), "ignored"),
        # an error event inside a 200 stream: a failed generation or an overload is the
        # service failing; a refused input says it is up
        (ErrorEvent("boom", error_type="generation", received="par", chunks=2), "failure"),
        (ErrorEvent("busy", error_type="overloaded"), "failure"),
        (ErrorEvent("unknown error"), "failure"),
        (ErrorEvent("too long", error_type="validation"), "success"),
    ],
)
def test_what_counts_against_the_breaker(error: hf.HfError, outcome: str) -> None:
    assert breaker_outcome(Failure(error)).value == outcome


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (400, {"error": "bad"}, "success"),  # the service answered, refusing the request
        (401, {"error": "bad token"}, "success"),
        (403, {"error": "forbidden"}, "success"),
        (404, {"error": "no such model"}, "success"),
        (422, {"error": "too long", "error_type": "validation"}, "success"),
        # a 408 is a timeout on the way to the service, not an answer from it
        (408, {"error": "request timeout"}, "failure"),
        (408, None, "failure"),
        (429, {"error": "slow down"}, "ignored"),
        (500, {"error": "boom"}, "failure"),
        (503, {"error": "loading", "estimated_time": 5}, "failure"),
        # the body's error_type comes before the status
        (400, {"error": "busy", "error_type": "overloaded"}, "failure"),
        (422, {"error": "failed", "error_type": "generation"}, "failure"),
        (424, {"error": "cut", "error_type": "incomplete_generation"}, "failure"),
    ],
)
def test_what_a_reply_status_counts_for(status: int, body: Any, outcome: str) -> None:
    import msgspec

    from hf_pure.core.failures import error_from_reply
    from hf_pure.core.http import RawReply

    raw = RawReply(status, {}, b"" if body is None else msgspec.json.encode(body))
    assert breaker_outcome(Failure(error_from_reply(raw))).value == outcome


def test_every_error_class_has_an_outcome_row() -> None:
    import typing

    from hf_pure.reliability.outcomes import OUTCOMES

    assert set(typing.get_args(hf.HfError)) == set(OUTCOMES)


def test_a_408_fails_the_endpoint_over_and_opens_its_breaker() -> None:
    from hf_pure.reliability.breaker import BreakerConfig

    endpoints = (Endpoint("http://a"), Endpoint("http://b"))
    policy = Policy(
        bucket=FAST,
        breaker=BreakerConfig(failure_threshold=1),
        failover=FailoverConfig(endpoints, threshold=1),
    )
    state, decision = send(policy, policy_start(policy, 0.0), REQ, 0.0)
    state = record(policy, state, REQ, decision, fail(hf.BadRequest(408)), 0.1, 0.1)
    assert state.breakers[MODEL].mode.value == "open"
    assert state.failover is not None and state.failover.endpoints[0].cooling_until is not None


def test_rate_limits_many_429s_never_open_the_breaker() -> None:
    policy = Policy(bucket=FAST)
    state = policy_start(policy, 0.0)
    for t in range(20):
        state, decision = send(policy, state, REQ, float(t))
        state = record(policy, state, REQ, decision, fail(hf.RateLimited(1.0)), 0.1, t + 0.1)
    _, after = admit(policy, state, REQ, 30.0)
    assert isinstance(after, Send)


def test_local_rate_limit_waits_or_refuses() -> None:
    policy = Policy(bucket=BucketConfig(per_second=2.0, per_minute=None, per_hour=None))
    state = policy_start(policy, 0.0)
    state, _ = send(policy, state, REQ, 0.0)
    state, _ = send(policy, state, REQ, 0.0)
    state, waiting = admit(policy, state, REQ, 0.0)
    assert isinstance(waiting, Wait)
    assert waiting.seconds == pytest.approx(0.5)
    strict = attrs.evolve(policy, max_wait=0.1)
    _, refused = admit(strict, state, REQ, 0.0)
    assert isinstance(refused, Reject)
    assert isinstance(refused.error, hf.RateLimitedLocally)
    assert refused.error.wait == pytest.approx(0.5)
    _, later = admit(policy, state, REQ, 0.5)
    assert isinstance(later, Send)


def test_token_budget_is_charged_with_reported_usage() -> None:
    budget = BucketConfig(per_second=100.0, per_minute=None, per_hour=None, tokens_per_minute=10)
    policy = Policy(bucket=budget)
    state = policy_start(policy, 0.0)
    state, decision = send(policy, state, REQ, 0.0)
    big = hf.ChatCompletion("id", MODEL, 1, (), hf.Usage(10, 20, 30))
    state = record(policy, state, REQ, decision, Success(big), 0.1, 0.0)
    _, refused = admit(policy, state, REQ, 0.0)
    # 30 tokens used of 10 per minute: a debt of 20 that refills at 10/60 per second
    assert isinstance(refused, Reject)
    assert isinstance(refused.error, hf.RateLimitedLocally)
    assert refused.error.wait == pytest.approx(120.0)
    _, waiting = admit(attrs.evolve(policy, max_wait=200.0), state, REQ, 0.0)
    assert isinstance(waiting, Wait)
    assert waiting.seconds == pytest.approx(120.0)


def test_failover_moves_after_failures_and_retries_avoid_the_failed_endpoint() -> None:
    endpoints = (Endpoint("http://a"), Endpoint("http://b"))
    policy = Policy(bucket=FAST, breaker=None, failover=FailoverConfig(endpoints, threshold=2))
    state = policy_start(policy, 0.0)
    state, first = send(policy, state, REQ, 0.0)
    assert first.endpoint == "http://a"
    state = record(policy, state, REQ, first, fail(hf.ConnectionFailed("down")), 0.1, 0.1)
    state, retry = admit(policy, state, REQ, 0.2, frozenset({0}))
    assert isinstance(retry, Send)
    assert retry.endpoint == "http://b"  # the retry avoids the endpoint that just failed
    state = record(policy, state, REQ, retry, ok(), 0.1, 0.3)
    state, again = send(policy, state, REQ, 0.4)
    assert again.endpoint == "http://a"  # one failure is below the threshold: still first
    state = record(policy, state, REQ, again, fail(hf.ConnectionFailed("down")), 0.1, 0.5)
    state, moved = send(policy, state, REQ, 0.6)
    assert moved.endpoint == "http://b"  # two failures: a is cooling down


def test_no_healthy_endpoint_rejects_without_spending() -> None:
    endpoints = (Endpoint("http://a"),)
    policy = Policy(bucket=FAST, failover=FailoverConfig(endpoints, threshold=1, cooldown=10))
    state = policy_start(policy, 0.0)
    state, d = send(policy, state, REQ, 0.0)
    state = record(policy, state, REQ, d, fail(hf.ConnectionFailed("x")), 0.1, 0.1)
    before = state
    state, refused = admit(policy, state, REQ, 1.0)
    assert isinstance(refused, Reject)
    assert isinstance(refused.error, hf.NoHealthyEndpoint)
    assert state.bucket == before.bucket
    assert state.breakers == before.breakers


def test_release_gives_back_the_trial_and_the_flight_slot() -> None:
    endpoints = (Endpoint("http://a"),)
    policy = Policy(bucket=FAST, failover=FailoverConfig(endpoints))
    state = policy_start(policy, 0.0)
    state, d = send(policy, state, REQ, 0.0)
    assert state.failover is not None
    assert state.failover.endpoints[0].in_flight == 1
    state = release(policy, state, d, 0.1)
    assert state.failover is not None
    assert state.failover.endpoints[0].in_flight == 0


def test_fresh_state_and_policy_round_trip_as_json() -> None:
    policy = Policy(failover=FailoverConfig((Endpoint("http://a"), Endpoint("http://b"))))
    assert from_plain(Policy, to_plain(policy)) == Success(policy)
    state = policy_start(policy, 5.0, seed=3)
    state, d = send(policy, state, REQ, 5.0)
    state = record(policy, state, REQ, d, fail(hf.ServerError(500)), 0.2, 5.2)
    import orjson

    data = orjson.loads(orjson.dumps(to_plain(state)))
    assert from_plain(ReliabilityState, data) == Success(state)


# ------------------------------------------------------------------------------- replay

_errors = st.sampled_from(
    [hf.ServerError(503), hf.RateLimited(2.0), hf.Timeout("read", 1.0), hf.BadRequest(400)]
)
_steps = st.lists(
    st.tuples(
        st.floats(min_value=0.0, max_value=5.0),  # time advance
        st.booleans(),  # cacheable?
        st.one_of(st.none(), _errors),  # outcome: None = success
        st.floats(min_value=0.001, max_value=3.0),  # latency
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(steps=_steps, seed=st.integers(min_value=0, max_value=2**32))
def test_replaying_the_log_gives_the_same_state(
    steps: list[tuple[float, bool, hf.HfError | None, float]], seed: int
) -> None:
    endpoints = (Endpoint("http://a"), Endpoint("http://b"), Endpoint("http://c"))
    policy = Policy(
        bucket=BucketConfig(per_second=3.0, per_minute=None, per_hour=None),
        failover=FailoverConfig(endpoints, strategy=hf.Strategy.RANDOM, threshold=2),
    )
    start = policy_start(policy, 0.0, seed)
    state = start
    log: list[hf.Admitted | hf.Recorded | hf.Hit] = []
    now = 0.0
    for advance, cacheable, error, latency in steps:
        now += advance
        request = CACHED if cacheable else REQ
        state, decision = admit(policy, state, request, now)
        log.append(hf.Admitted(request, now))
        if isinstance(decision, Serve):
            state = record_hit(state, request, now)
            log.append(hf.Hit(request, now))
        elif isinstance(decision, Send):
            result = ok() if error is None else fail(error)
            state = record(policy, state, request, decision, result, latency, now + latency)
            log.append(Recorded(request, decision, result, latency, now + latency))
    assert replay(policy, start, log) == state  # the log rebuilds the live run's state
    assert not math.isnan(state.metrics.latency.sum)


def _reliability_doc() -> Any:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "reliability_doc.py"
    spec = importlib.util.spec_from_file_location("reliability_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reliability_page_carries_the_outcome_table_the_code_runs_on() -> None:
    from hf_pure.reliability.breaker import BreakerOutcome
    from hf_pure.reliability.outcomes import OUTCOME_OVERRIDES, OUTCOMES

    doc = _reliability_doc()
    page = doc.render()
    rows = doc.outcome_rows(OUTCOMES, OUTCOME_OVERRIDES)
    assert len(rows) == 1 + len(OUTCOMES) + sum(len(t) for _, t in OUTCOME_OVERRIDES.values())
    for result, when, outcome, why in rows:
        assert f"| {result} | {when} | **{outcome}** | {why} |" in page
    assert ("`BadRequest`", "`status == 408`", "failure") in [r[:3] for r in rows]
    # the rows come from the tables given, not from text kept somewhere
    changed = doc.outcome_rows({hf.BadRequest: (BreakerOutcome.IGNORED, "x")}, {})
    assert changed[1:] == [("`BadRequest`", "", "ignored", "x")]


def test_the_breaker_of_a_key_is_its_entry_or_the_fresh_state() -> None:
    from hf_pure.reliability.breaker import FRESH, BreakerConfig

    policy = Policy(breaker=BreakerConfig(failure_threshold=1), bucket=FAST, cache=None)
    state = policy_start(policy, 0.0)
    assert state.breaker(MODEL) is FRESH
    state, d = send(policy, state, REQ, 0.0)
    state = record(policy, state, REQ, d, fail(hf.ServerError(500)), 0.1, 0.0)
    assert state.breaker(MODEL) is state.breakers[MODEL]
    assert state.breaker(MODEL).mode.value == "open"
