"""retry_delay: full-jitter backoff, server waits, attempts and deadline, as a pure schedule.

The reference here is the decision table written out again (``expected``), with each error's
retryability and server wait labelled by hand: nothing in these tests asks the implementation
(``is_retryable``, ``server_wait``) what the answer should be."""

from __future__ import annotations

import math
from typing import Any

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
)
from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.retry import (
    AGGRESSIVE,
    CONSERVATIVE,
    NO_RETRY,
    GiveUp,
    RetryPolicy,
    retry_delay,
)

# ----------------------------------------------------------------------------- strategies

# Every error comes with what the rule (the module docstring's table, docs/reliability.md)
# says about it, written out here by hand rather than asked of hf_pure.core.errors: whether
# it is retryable, and the wait the server asked for (None: it did not say).
Labelled = tuple[HfError, bool, float | None]

waits = (
    st.none()
    | st.floats(min_value=0.0, max_value=120.0)
    | st.sampled_from([math.inf, math.nan, -3.0, 1e308, 100000.0, 60.0])
)


def _asked(build: Any) -> st.SearchStrategy[Labelled]:
    """A retryable error carrying a server wait: (error, True, that wait)."""
    return waits.map(lambda w: (build(w), True, w))


retryable_errors: st.SearchStrategy[Labelled] = st.one_of(
    _asked(lambda w: RateLimited(retry_after=w)),
    _asked(lambda w: ModelLoading(estimated_time=w)),
    st.sampled_from([429, 503]).flatmap(
        lambda status: _asked(lambda w: Overloaded(status=status, retry_after=w))
    ),
    st.sampled_from([500, 502, 503, 504]).flatmap(
        lambda status: _asked(lambda w: ServerError(status=status, retry_after=w))
    ),
    st.sampled_from(["connect", "read", "total"]).map(
        lambda phase: (Timeout(phase=phase, seconds=5.0), True, None)
    ),
    st.just((ConnectionFailed(reason="refused"), True, None)),
    st.tuples(st.text(max_size=5), st.integers(0, 9)).map(
        lambda t: (StreamInterrupted(received=t[0], chunks=t[1], reason="cut"), True, None)
    ),
)
final_errors: st.SearchStrategy[Labelled] = st.one_of(
    st.sampled_from([400, 413, 422]).map(lambda s: (BadRequest(status=s), False, None)),
    st.sampled_from([401, 403]).map(lambda s: (Unauthorized(status=s), False, None)),
    st.just((NotFound(), False, None)),
    st.just((InvalidInput(field="x", reason="bad"), False, None)),
    # a 501 says "never", whatever wait it carries
    waits.map(lambda w: (ServerError(status=501, retry_after=w), False, w)),
    st.just((MalformedResponse(status=200, reason="not json"), False, None)),
    st.floats(0, 100).map(lambda u: (CircuitOpen(until=u), False, None)),
    st.floats(0, 100).map(lambda w: (RateLimitedLocally(wait=w), False, None)),
    st.just((NoHealthyEndpoint(endpoints=("a",)), False, None)),
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
    max_server_wait=st.floats(0.5, 200.0),
)


def expected(
    policy: RetryPolicy,
    attempt: int,
    retryable: bool,
    asked: float | None,
    draw: float,
    elapsed: float,
) -> float | str:
    """The decision table, top to bottom: the delay, or the start of the give-up reason."""
    if not retryable:
        return "not retryable"
    if attempt >= policy.max_attempts:
        return "attempts exhausted"
    ceiling = min(policy.cap, policy.base * policy.multiplier ** (max(attempt, 1) - 1))
    delay = draw * ceiling
    if asked is not None and asked > delay:  # NaN and negative waits ask for nothing
        if asked > policy.max_server_wait:  # inf included
            return "the server asked"
        delay = asked
    if policy.deadline is not None and elapsed + delay > policy.deadline:
        return "deadline"
    return delay


# ----------------------------------------------------------------------------- examples


def test_presets() -> None:
    assert (CONSERVATIVE.max_attempts, CONSERVATIVE.base, CONSERVATIVE.cap) == (3, 1.0, 30.0)
    assert (AGGRESSIVE.max_attempts, AGGRESSIVE.base, AGGRESSIVE.cap) == (5, 0.5, 10.0)
    assert NO_RETRY.max_attempts == 1
    assert RetryPolicy() == CONSERVATIVE
    assert CONSERVATIVE.multiplier == 2.0
    # every preset has a finite total deadline and a bound on the server's waits
    assert (CONSERVATIVE.deadline, AGGRESSIVE.deadline, NO_RETRY.deadline) == (120.0, 60.0, 60.0)
    for preset in (CONSERVATIVE, AGGRESSIVE, NO_RETRY):
        assert preset.max_server_wait == 60.0


@pytest.mark.parametrize(
    "error",
    [
        RateLimited(retry_after=100000.0),  # a 429 with Retry-After: 100000
        ModelLoading(estimated_time=1e308),  # a 503 loading model with estimated_time 1e308
        Overloaded(status=503, retry_after=61.0),
        ServerError(status=502, retry_after=3600.0),
    ],
)
def test_a_server_wait_past_the_bound_gives_up_at_once(error: HfError) -> None:
    for preset in (CONSERVATIVE, AGGRESSIVE, RetryPolicy(deadline=None)):
        out = retry_delay(preset, 1, error, 0.5)
        assert isinstance(out, GiveUp), (preset, out)
        assert out.reason.startswith("the server asked to wait ")
        assert "max_server_wait (60 s)" in out.reason


def test_the_server_wait_bound_is_inclusive_and_configurable() -> None:
    unbounded = RetryPolicy(deadline=None)
    assert retry_delay(unbounded, 1, RateLimited(retry_after=60.0), 0.5) == 60.0
    assert isinstance(retry_delay(unbounded, 1, RateLimited(retry_after=60.5), 0.5), GiveUp)
    patient = RetryPolicy(deadline=None, max_server_wait=600.0)
    assert retry_delay(patient, 1, RateLimited(retry_after=500.0), 0.5) == 500.0
    out = retry_delay(patient, 1, ModelLoading(estimated_time=601.0), 0.5)
    assert isinstance(out, GiveUp) and "600 s" in out.reason
    # the bound is on what the server asks; the policy's own backoff may still reach its cap
    hasty = RetryPolicy(max_attempts=9, cap=30.0, deadline=None, max_server_wait=1.0)
    assert retry_delay(hasty, 8, Timeout("read", 1.0), 0.5) == 15.0
    assert retry_delay(hasty, 8, RateLimited(retry_after=20.0), 0.9) == 27.0  # jitter wins


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
    assert retry_delay(CONSERVATIVE, 1, RateLimited(retry_after=60.0), 0.9) == 60.0
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
        ({"deadline": "60"}, "deadline"),
        ({"max_server_wait": 0.0}, "max_server_wait"),
        ({"max_server_wait": -1.0}, "max_server_wait"),
        ({"max_server_wait": math.nan}, "max_server_wait"),
        ({"max_server_wait": math.inf}, "max_server_wait"),
        ({"max_server_wait": "60"}, "max_server_wait"),
        ({"max_server_wait": None}, "max_server_wait"),
        ({"max_server_wait": True}, "max_server_wait"),
    ],
)
def test_policy_validation(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        RetryPolicy(**fields)  # type: ignore[arg-type]


def test_give_up_and_policy_round_trip_examples() -> None:
    for value in (CONSERVATIVE, AGGRESSIVE, NO_RETRY, RetryPolicy(4, 0.25, 8.0, 3.0, 60.0, 5.0)):
        plain = to_plain(value)
        assert from_plain(RetryPolicy, plain) == Success(value)
    assert from_plain(GiveUp, to_plain(GiveUp("x"))) == Success(GiveUp("x"))
    assert repr(GiveUp("x")) == "GiveUp(reason='x')"
    # bad plain data is refused by the same validators
    assert not isinstance(from_plain(RetryPolicy, {**to_plain(CONSERVATIVE), "cap": -1}), Success)
    assert not isinstance(from_plain(RetryPolicy, {**to_plain(CONSERVATIVE), "x": 1}), Success)
    for wrong in ("soon", -1.0, 0, None):
        bad = {**to_plain(CONSERVATIVE), "max_server_wait": wrong}
        assert not isinstance(from_plain(RetryPolicy, bad), Success), wrong
    # a policy stored before the bound existed loads with the default bound
    old = {k: v for k, v in to_plain(AGGRESSIVE).items() if k != "max_server_wait"}
    assert from_plain(RetryPolicy, old) == Success(AGGRESSIVE)


# ----------------------------------------------------------------------------- properties


@given(policies)
def test_policy_round_trip(policy: RetryPolicy) -> None:
    assert from_plain(RetryPolicy, to_plain(policy)) == Success(policy)


@given(policies, st.integers(0, 40), any_error, draws, st.floats(0.0, 600.0))
def test_every_answer_follows_the_decision_table(
    policy: RetryPolicy, attempt: int, labelled: Labelled, draw: float, elapsed: float
) -> None:
    error, retryable, asked = labelled
    out = retry_delay(policy, attempt, error, draw, elapsed)
    want = expected(policy, attempt, retryable, asked, draw, elapsed)
    if isinstance(want, str):
        assert isinstance(out, GiveUp), (want, out)
        assert out.reason.startswith(want), (want, out.reason)
        return
    assert isinstance(out, float)
    assert out == pytest.approx(want, rel=1e-9, abs=1e-12)
    # and what the table implies: never sooner than asked, never past the bound or deadline
    if asked is not None and asked >= 0:
        assert out >= asked
    assert out <= max(policy.cap, policy.max_server_wait)
    if policy.deadline is not None:
        assert elapsed + out <= policy.deadline


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


class RetryLoop(RuleBasedStateMachine):
    """Drive retry_delay the way the shell will: an injected clock, an Rng, attempts."""

    def __init__(self) -> None:
        super().__init__()
        self.policy = CONSERVATIVE
        self.clock = 0.0
        self.started = 0.0
        self.attempts = 0
        self.in_attempt = False
        self.attempt_started = 0.0

    @initialize(policy=policies)
    def setup(self, policy: RetryPolicy) -> None:
        self.policy = policy

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
    @rule(labelled=any_error, draw=draws)
    def attempt_fails(self, labelled: Labelled, draw: float) -> None:
        """The draw is an input here (the shell takes it from the state's Rng)."""
        error, retryable, asked = labelled
        elapsed = self.clock - self.started
        got = retry_delay(self.policy, self.attempts, error, draw, elapsed)
        want = expected(self.policy, self.attempts, retryable, asked, draw, elapsed)
        if isinstance(want, str):
            assert isinstance(got, GiveUp)
            assert got.reason.startswith(want)
            self.in_attempt = False
            return
        assert isinstance(got, float)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
        assert got <= self.policy.max_server_wait or got <= self.policy.cap
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
