"""A CircuitOpen refusal names its breaker and says when a trial is allowed, in the
breaker's own (monotonic) seconds and, from the shell, as a wall-clock time."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Result

import hf_pure as hf
from hf_pure.core.errors import CircuitOpen
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.failover import Endpoint, FailoverConfig
from hf_pure.reliability.policy import (
    Policy,
    Reject,
    ReliabilityState,
    Send,
    admit,
    policy_start,
    record,
)
from hf_pure.reliability.retry import NO_RETRY
from hf_pure.testing import Emulator, Fault

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
REQ = hf.chat(MODEL, ["hi"])
FAST = BucketConfig(per_second=1000.0, per_minute=None, per_hour=None)
BREAKER = hf.BreakerConfig(failure_threshold=1, success_threshold=1, open_timeout=60.0)
DOWN: Result[Any, hf.HfError] = Failure(hf.ServerError(503))


def utc(epoch: float) -> str:
    moment = datetime.datetime.fromtimestamp(int(epoch // 1), datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def opened(policy: Policy, at: float) -> ReliabilityState:
    """A state whose breaker for REQ opened at ``at`` (one failure, threshold 1)."""
    state = policy_start(policy, 0.0)
    state, decision = admit(policy, state, REQ, at)
    assert isinstance(decision, Send)
    return record(policy, state, REQ, decision, DOWN, 0.1, at)


def refusal(policy: Policy, state: ReliabilityState, now: float) -> CircuitOpen:
    _, decision = admit(policy, state, REQ, now)
    assert isinstance(decision, Reject)
    assert isinstance(decision.error, CircuitOpen)
    return decision.error


def test_a_refusal_names_the_model_and_the_seconds_until_a_trial() -> None:
    policy = Policy(bucket=FAST, breaker=BREAKER)
    error = refusal(policy, opened(policy, 10.0), 25.0)
    assert (error.key, error.scope) == (MODEL, "model")
    assert error.until == 70.0
    assert error.retry_in == 45.0
    assert error.resume_at is None  # the pure layer reads no wall clock
    assert f"for model {MODEL}:" in error.message
    assert "in 45 s" in error.message


def test_the_global_breaker_says_it_is_global() -> None:
    policy = Policy(bucket=FAST, breaker=BREAKER, breaker_key=hf.BreakerKey.GLOBAL)
    error = refusal(policy, opened(policy, 0.0), 1.0)
    assert error.scope == "global"
    assert "every call" in error.message


def test_an_endpoint_breaker_names_the_endpoint() -> None:
    failover = FailoverConfig((Endpoint("http://only.example"),), fallback_to_first=True)
    policy = Policy(
        bucket=FAST, breaker=BREAKER, breaker_key=hf.BreakerKey.ENDPOINT, failover=failover
    )
    error = refusal(policy, opened(policy, 0.0), 1.0)
    assert (error.key, error.scope) == ("http://only.example", "endpoint")
    assert "for endpoint http://only.example:" in error.message


def test_while_a_trial_is_in_flight_the_refusal_says_so() -> None:
    policy = Policy(bucket=FAST, breaker=BREAKER)
    state, trial = admit(policy, opened(policy, 0.0), REQ, 60.0)  # the open timeout is over
    assert isinstance(trial, Send)
    error = refusal(policy, state, 61.0)
    assert error.retry_in == 0.0
    assert "a trial call is in flight" in error.message


@given(st.floats(-1e10, 1e11))
def test_wall_times_are_written_as_utc_dates(epoch: float) -> None:
    error = CircuitOpen(until=0.0, key="m", scope="model", retry_in=5.0, resume_at=epoch)
    assert f"(at {utc(epoch)})" in error.message


async def test_the_reliable_runner_dates_the_refusal_in_wall_clock_time(
    emulator: Emulator,
) -> None:
    mono = [1000.0]
    wall = 1_764_620_000.0  # 2025-12-01 20:13:20 UTC
    config = hf.ClientConfig(router_url=emulator.url, hub_url=emulator.url)
    async with hf.open_runner(config, token=emulator.token) as runner:
        policy = hf.Policy(bucket=FAST, breaker=BREAKER, retry=NO_RETRY)
        reliable = hf.ReliableRunner(
            runner, policy, clock=lambda: mono[0], wall=lambda: wall + mono[0]
        )
        emulator.script("chat", Fault.status(503))
        assert isinstance((await reliable.run(REQ)).failure(), hf.ServerError)
        mono[0] += 20.0
        error = (await reliable.run(REQ)).failure()
    assert isinstance(error, CircuitOpen)
    assert error.retry_in == pytest.approx(40.0)
    assert error.resume_at == pytest.approx(wall + 1060.0)
    assert "in 40 s (at 2025-12-01 20:31:00 UTC)" in error.message
    assert f"for model {MODEL}:" in error.message
