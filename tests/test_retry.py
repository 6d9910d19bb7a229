"""retry_delay: full-jitter backoff, server waits, attempts and deadline, as a pure schedule."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from returns.result import Success

from hf_pure.core.errors import (
    BadRequest,
    CircuitOpen,
    ConnectionFailed,
    HfError,
    InvalidInput,
    MalformedResponse,
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
    is_retryable,
    server_wait,
)
from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.rand import Rng
from hf_pure.reliability.retry import (
    AGGRESSIVE,
    CONSERVATIVE,
    NO_RETRY,
    GiveUp,
    RetryPolicy,
    retry_delay,
)

# ----------------------------------------------------------------------------- strategies

waits = st.none() | st.floats(min_value=0.0, max_value=120.0)
retryable_errors: st.SearchStrategy[HfError] = st.one_of(
    st.builds(RateLimited, retry_after=waits),
    st.builds(ModelLoading, estimated_time=waits),
    st.builds(Overloaded, status=st.sampled_from([429, 503]), retry_after=waits),
    st.builds(ServerError, status=st.sampled_from([500, 502, 503, 504]), retry_after=waits),
    st.builds(Timeout, phase=st.sampled_from(["connect", "read", "total"]), seconds=st.just(5.0)),
    st.builds(ConnectionFailed, reason=st.just("refused")),
    st.builds(
        StreamInterrupted,
        received=st.text(max_size=5),
        chunks=st.integers(0, 9),
        reason=st.just("cut"),
    ),
)
final_errors: st.SearchStrategy[HfError] = st.one_of(
    st.builds(BadRequest, status=st.sampled_from([400, 413, 422])),
    st.builds(Unauthorized, status=st.sampled_from([401, 403])),
    st.builds(NotFound),
    st.builds(InvalidInput, field=st.just("x"), reason=st.just("bad")),
    st.builds(ServerError, status=st.just(501)),
    st.builds(MalformedResponse, status=st.just(200), reason=st.just("not json")),
    st.builds(CircuitOpen, until=st.floats(0, 100)),
    st.builds(RateLimitedLocally, wait=st.floats(0, 100)),
    st.builds(NoHealthyEndpoint, endpoints=st.just(("a",))),
)
any_error = retryable_errors | final_errors
draws = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 12),
    base=st.floats(0.01, 10.0),
    cap=st.floats(0.01, 100.0),
    multiplier=st.floats(1.0, 4.0),
    deadline=st.none() | st.floats(0.5, 500.0),
)


# ----------------------------------------------------------------------------- examples


def test_presets() -> None:
    assert (CONSERVATIVE.max_attempts, CONSERVATIVE.base, CONSERVATIVE.cap) == (3, 1.0, 30.0)
    assert (AGGRESSIVE.max_attempts, AGGRESSIVE.base, AGGRESSIVE.cap) == (5, 0.5, 10.0)
    assert NO_RETRY.max_attempts == 1
    assert RetryPolicy() == CONSERVATIVE
    assert CONSERVATIVE.deadline is None and CONSERVATIVE.multiplier == 2.0


def test_full_jitter_examples() -> None:
    err = ServerError(503)
    # ceilings 1, 2, 4, ... capped at 30 for the conservative preset
    assert retry_delay(CONSERVATIVE, 1, err, 0.5) == 0.5
    assert retry_delay(CONSERVATIVE, 2, err, 0.5) == 1.0
    assert retry_delay(CONSERVATIVE, 1, err, 0.0) == 0.0
    many = RetryPolicy(20, 1.0, 30.0)
    assert retry_delay(many, 5, err, 0.5) == 8.0
    assert retry_delay(many, 6, err, 0.5) == 15.0  # 32 capped at 30
    assert retry_delay(many, 19, err, 0.999) == pytest.approx(29.97)


def test_attempts_exhausted() -> None:
    err = Timeout("read", 5.0)
    assert isinstance(retry_delay(CONSERVATIVE, 2, err, 0.1), float)
    out = retry_delay(CONSERVATIVE, 3, err, 0.1)
    assert out == GiveUp("attempts exhausted: 3 of 3")
    assert isinstance(retry_delay(NO_RETRY, 1, err, 0.1), GiveUp)
    assert isinstance(retry_delay(AGGRESSIVE, 4, err, 0.1), float)
    assert isinstance(retry_delay(AGGRESSIVE, 5, err, 0.1), GiveUp)


@pytest.mark.parametrize(
    "error",
    [
        BadRequest(400, "bad"),
        BadRequest(422, "unprocessable"),
        Unauthorized(401),
        Unauthorized(403),
        NotFound(),
        ServerError(501),
        CircuitOpen(10.0),
        RateLimitedLocally(1.0),
        NoHealthyEndpoint(("a", "b")),
    ],
)
def test_final_errors_give_up_with_the_reason(error: HfError) -> None:
    out = retry_delay(AGGRESSIVE, 1, error, 0.5)
    assert isinstance(out, GiveUp)
    assert out.reason.startswith("not retryable: ")
    assert error.message in out.reason


def test_server_wait_is_a_floor_even_past_the_cap() -> None:
    assert retry_delay(CONSERVATIVE, 1, RateLimited(retry_after=7.0), 0.1) == 7.0
    assert retry_delay(CONSERVATIVE, 1, RateLimited(retry_after=45.0), 0.9) == 45.0
    assert retry_delay(CONSERVATIVE, 1, ModelLoading(estimated_time=12.5), 0.0) == 12.5
    assert retry_delay(CONSERVATIVE, 1, Overloaded(503, retry_after=3.0), 0.0) == 3.0
    assert retry_delay(CONSERVATIVE, 1, ServerError(502, retry_after=2.0), 0.0) == 2.0
    # the jitter wins when it is longer than what the server asked
    assert retry_delay(CONSERVATIVE, 2, RateLimited(retry_after=0.5), 0.75) == 1.5


def test_odd_server_waits_do_not_break_the_schedule() -> None:
    assert retry_delay(CONSERVATIVE, 1, RateLimited(retry_after=-3.0), 0.5) == 0.5
    assert retry_delay(CONSERVATIVE, 1, RateLimited(retry_after=math.nan), 0.5) == 0.5
    out = retry_delay(CONSERVATIVE, 1, RateLimited(retry_after=math.inf), 0.5)
    assert isinstance(out, GiveUp) and "indefinitely" in out.reason


def test_deadline() -> None:
    policy = RetryPolicy(10, 1.0, 30.0, deadline=10.0)
    err = ConnectionFailed("reset")
    assert retry_delay(policy, 1, err, 0.5, elapsed=9.0) == 0.5
    assert retry_delay(policy, 1, err, 0.5, elapsed=9.5) == 0.5  # starts exactly at the deadline
    out = retry_delay(policy, 1, err, 0.5, elapsed=9.6)
    assert isinstance(out, GiveUp) and out.reason.startswith("deadline")
    # a server wait that would pass the deadline gives up rather than retrying early
    out = retry_delay(policy, 1, RateLimited(retry_after=5.0), 0.0, elapsed=6.0)
    assert isinstance(out, GiveUp) and "deadline" in out.reason


def test_huge_attempt_numbers_do_not_overflow() -> None:
    policy = RetryPolicy(10**9, 1.0, 30.0, multiplier=4.0)
    assert retry_delay(policy, 10**6, Timeout("total", 1.0), 0.5) == 15.0
    assert retry_delay(policy, 0, Timeout("total", 1.0), 0.5) == 0.5  # counts as attempt 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"max_attempts": 2.5}, "max_attempts"),
        ({"base": 0.0}, "base"),
        ({"base": -1.0}, "base"),
        ({"base": math.inf}, "base"),
        ({"cap": 0}, "cap"),
        ({"cap": math.nan}, "cap"),
        ({"cap": "30"}, "cap"),
        ({"multiplier": 0.5}, "multiplier"),
        ({"deadline": 0.0}, "deadline"),
        ({"deadline": -5.0}, "deadline"),
        ({"deadline": math.inf}, "deadline"),
    ],
)
def test_policy_validation(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        RetryPolicy(**fields)  # type: ignore[arg-type]


def test_give_up_and_policy_round_trip_examples() -> None:
    for value in (CONSERVATIVE, AGGRESSIVE, NO_RETRY, RetryPolicy(4, 0.25, 8.0, 3.0, 60.0)):
        plain = to_plain(value)
        assert from_plain(RetryPolicy, plain) == Success(value)
    assert from_plain(GiveUp, to_plain(GiveUp("x"))) == Success(GiveUp("x"))
    assert repr(GiveUp("x")) == "GiveUp(reason='x')"
    # bad plain data is refused by the same validators
    assert not isinstance(from_plain(RetryPolicy, {**to_plain(CONSERVATIVE), "cap": -1}), Success)
    assert not isinstance(from_plain(RetryPolicy, {**to_plain(CONSERVATIVE), "x": 1}), Success)


# ----------------------------------------------------------------------------- properties


@given(policies)
def test_policy_round_trip(policy: RetryPolicy) -> None:
    assert from_plain(RetryPolicy, to_plain(policy)) == Success(policy)


@given(policies, st.integers(0, 40), any_error, draws, st.floats(0.0, 600.0))
def test_delay_bounds_and_floor(
    policy: RetryPolicy, attempt: int, error: HfError, draw: float, elapsed: float
) -> None:
    out = retry_delay(policy, attempt, error, draw, elapsed)
    wait = server_wait(error) or 0.0
    ceiling = min(policy.cap, policy.base * policy.multiplier ** max(attempt - 1, 0))
    if isinstance(out, GiveUp):
        assert out.reason
        if is_retryable(error) and attempt < policy.max_attempts:
            assert policy.deadline is not None
            assert elapsed + max(draw * ceiling, wait) > policy.deadline
            assert out.reason.startswith("deadline")
        return
    assert is_retryable(error)
    assert attempt < policy.max_attempts
    assert 0.0 <= out <= max(policy.cap, wait)
    assert out >= wait  # never sooner than the server asked
    assert out <= max(ceiling, wait)
    if policy.deadline is not None:
        assert elapsed + out <= policy.deadline


@given(policies, st.integers(1, 40), retryable_errors, draws, st.floats(0.0, 600.0))
def test_deterministic_for_the_same_draw(
    policy: RetryPolicy, attempt: int, error: HfError, draw: float, elapsed: float
) -> None:
    assert retry_delay(policy, attempt, error, draw, elapsed) == retry_delay(
        policy, attempt, error, draw, elapsed
    )


@given(st.integers(1, 30), draws)
def test_non_retryable_always_give_up(attempt: int, draw: float) -> None:
    for err in (NotFound(), BadRequest(422), Unauthorized(401)):
        assert isinstance(retry_delay(RetryPolicy(100), attempt, err, draw), GiveUp)


@given(st.integers(1, 11), draws)
def test_ceiling_grows_then_caps(attempt: int, draw: float) -> None:
    policy = RetryPolicy(12, 0.5, 10.0)
    err = Timeout("read", 1.0)
    now = retry_delay(policy, attempt, err, draw)
    later = retry_delay(policy, attempt + 1, err, draw) if attempt + 1 < 12 else None
    assert isinstance(now, float)
    if isinstance(later, float):
        assert later >= now  # same draw, growing ceiling
        assert later <= 10.0


# ----------------------------------------------------------------------------- state machine


class ReferenceRetry:
    """What a retry loop must do, written plainly: one request, tried until it stops."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def answer(self, attempt: int, error: HfError, draw: float, elapsed: float) -> float | None:
        if not is_retryable(error):
            return None
        if attempt >= self.policy.max_attempts:
            return None
        ceiling = min(self.policy.cap, self.policy.base * self.policy.multiplier ** (attempt - 1))
        delay = draw * ceiling
        asked = server_wait(error)
        if asked is not None and asked > delay:
            delay = asked
        if self.policy.deadline is not None and elapsed + delay > self.policy.deadline:
            return None
        return delay


class RetryLoop(RuleBasedStateMachine):
    """Drive retry_delay the way the shell will: an injected clock, an Rng, attempts."""

    def __init__(self) -> None:
        super().__init__()
        self.policy = CONSERVATIVE
        self.model = ReferenceRetry(self.policy)
        self.rng = Rng(0)
        self.clock = 0.0
        self.started = 0.0
        self.attempts = 0
        self.in_attempt = False
        self.attempt_started = 0.0

    @initialize(policy=policies, seed=st.integers(0, 2**32))
    def setup(self, policy: RetryPolicy, seed: int) -> None:
        self.policy = policy
        self.model = ReferenceRetry(policy)
        self.rng = Rng(seed)

    @precondition(lambda self: not self.in_attempt)
    @rule()
    def start_request(self) -> None:
        """A new request: the first attempt starts now."""
        self.started = self.attempt_started = self.clock
        self.attempts = 1
        self.in_attempt = True

    @rule(seconds=st.floats(0.0, 100.0))
    def time_passes(self, seconds: float) -> None:
        self.clock += seconds

    @precondition(lambda self: self.in_attempt)
    @rule()
    def attempt_succeeds(self) -> None:
        self.in_attempt = False

    @precondition(lambda self: self.in_attempt)
    @rule(error=any_error)
    def attempt_fails(self, error: HfError) -> None:
        draw, self.rng = self.rng.next()
        elapsed = self.clock - self.started
        got = retry_delay(self.policy, self.attempts, error, draw, elapsed)
        want = self.model.answer(self.attempts, error, draw, elapsed)
        if want is None:
            assert isinstance(got, GiveUp)
            self.in_attempt = False
            return
        assert isinstance(got, float)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
        assert got >= (server_wait(error) or 0.0)
        self.clock += got  # sleep, then the next attempt starts
        self.attempt_started = self.clock
        self.attempts += 1

    @invariant()
    def attempts_stay_within_the_policy(self) -> None:
        assert self.attempts <= self.policy.max_attempts

    @invariant()
    def attempts_start_before_the_deadline(self) -> None:
        if self.in_attempt and self.policy.deadline is not None:
            assert self.attempt_started - self.started <= self.policy.deadline + 1e-9


TestRetryLoop = RetryLoop.TestCase
TestRetryLoop.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
