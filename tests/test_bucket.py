"""Token bucket: examples, properties, and a stateful test against an exact reference model."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from returns.result import Success

from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.bucket import (
    BucketConfig,
    BucketState,
    Take,
    TakeKind,
    bucket_start,
    charge_tokens,
    try_take,
)

TAKEN, WAIT, NEVER = TakeKind.TAKEN, TakeKind.WAIT, TakeKind.NEVER
SPANS = {"per_second": 1.0, "per_minute": 60.0, "per_hour": 3600.0}


def windows(config: BucketConfig) -> list[tuple[str, float]]:
    """(name, capacity) of the set request windows, in order."""
    caps = (config.per_second, config.per_minute, config.per_hour)
    return [(name, cap) for name, cap in zip(SPANS, caps, strict=True) if cap is not None]


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"per_second": None, "per_minute": None, "per_hour": None}, "per_second: at least one"),
        ({"per_second": 0}, "per_second: must be a positive, finite number"),
        ({"per_minute": -5.0}, "per_minute: must be a positive, finite number"),
        ({"per_hour": math.inf}, "per_hour: must be a positive, finite number"),
        ({"per_hour": math.nan}, "per_hour: must be a positive, finite number"),
        ({"tokens_per_minute": 0.0}, "tokens_per_minute: must be a positive, finite number"),
        ({"per_second": True}, "per_second: must be a number"),
        ({"per_second": "10"}, "per_second: must be a number"),
    ],
)
def test_config_refuses_bad_values(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        BucketConfig(**fields)


def test_defaults_and_a_full_start() -> None:
    c = BucketConfig()
    assert (c.per_second, c.per_minute, c.per_hour, c.tokens_per_minute) == (
        10.0,
        500.0,
        10000.0,
        None,
    )
    assert bucket_start(c, 7.0) == BucketState(
        levels=(10.0, 500.0, 10000.0), updated_at=7.0, token_level=None
    )
    only_minute = BucketConfig(per_second=None, per_hour=None, tokens_per_minute=1000)
    assert bucket_start(only_minute, 0.0) == BucketState(
        levels=(500.0,), updated_at=0.0, token_level=1000
    )
    assert "_windows" not in repr(c)


# --- examples --------------------------------------------------------------------------------


def test_takes_until_empty_then_waits_exactly_for_the_refill() -> None:
    c = BucketConfig(per_second=10.0, per_minute=None, per_hour=None)
    s = bucket_start(c, 0.0)
    for _ in range(10):
        s, take = try_take(c, s, 1.0, 0.0)
        assert take.kind is TAKEN
    assert s.levels == (0.0,)
    s, take = try_take(c, s, 1.0, 0.0)
    assert (take.kind, take.window) == (WAIT, "per_second")
    assert take.wait == pytest.approx(0.1)
    assert "per_second" in take.reason
    s, take = try_take(c, s, 1.0, 0.05)
    assert take.wait == pytest.approx(0.05)
    s, take = try_take(c, s, 1.0, 0.05 + take.wait)
    assert take.kind is TAKEN


def test_all_or_nothing_across_windows() -> None:
    c = BucketConfig(per_second=10.0, per_minute=12.0, per_hour=None)
    s = bucket_start(c, 0.0)
    s, take = try_take(c, s, 10.0, 0.0)
    assert take.kind is TAKEN
    assert s.levels == (0.0, 2.0)
    # one second later: per_second is full again, per_minute has 2 + 12/60 = 2.2
    s, take = try_take(c, s, 3.0, 1.0)
    assert (take.kind, take.window) == (WAIT, "per_minute")
    assert s.levels == pytest.approx((10.0, 2.2))  # refilled, and nothing taken from either
    assert take.wait == pytest.approx(0.8 / 0.2)
    s, take = try_take(c, s, 2.0, 1.0)
    assert take.kind is TAKEN
    assert s.levels == pytest.approx((8.0, 0.2))


def test_more_than_a_window_holds_is_never() -> None:
    c = BucketConfig(per_second=5.0, per_minute=100.0, per_hour=None)
    s = bucket_start(c, 0.0)
    after, take = try_take(c, s, 6.0, 0.0)
    assert take == Take(kind=NEVER, wait=math.inf, window="per_second", reason=take.reason)
    assert "than the per_second window can ever hold (capacity 5)" in take.reason
    assert after == s
    for bad in (-1.0, math.nan):
        _, take = try_take(c, s, bad, 0.0)
        assert take.kind is NEVER
        assert "n must be >= 0" in take.reason


def test_the_token_budget_is_charged_after_the_fact_and_may_go_into_debt() -> None:
    c = BucketConfig(per_second=100.0, per_minute=None, per_hour=None, tokens_per_minute=600.0)
    s = bucket_start(c, 0.0)
    s, take = try_take(c, s, 1.0, 0.0)
    assert take.kind is TAKEN
    assert s.token_level == 600.0  # taking a request takes no tokens
    s = charge_tokens(c, s, 700.0, 0.0)
    assert s.token_level == -100.0
    s, take = try_take(c, s, 1.0, 1.0)  # 10 tokens a second: -90 left
    assert (take.kind, take.window) == (WAIT, "tokens_per_minute")
    assert take.wait == pytest.approx(9.0)
    assert "token" in take.reason
    assert s.levels == (100.0,)  # the request was not taken
    s, take = try_take(c, s, 1.0, 1.0 + take.wait)
    assert take.kind is TAKEN
    assert s.token_level is not None
    assert s.token_level > 0.0


def test_a_spent_budget_at_exactly_zero_waits_a_moment() -> None:
    c = BucketConfig(per_second=100.0, per_minute=None, per_hour=None, tokens_per_minute=600.0)
    s = charge_tokens(c, bucket_start(c, 0.0), 600.0, 0.0)
    assert s.token_level == 0.0
    after, take = try_take(c, s, 1.0, 0.0)
    assert take.kind is WAIT
    assert 0.0 < take.wait < 1e-9
    assert try_take(c, after, 1.0, 0.0 + take.wait)[1].kind is TAKEN


def test_charge_without_a_budget_or_without_tokens_changes_nothing() -> None:
    c = BucketConfig()
    s = BucketState(levels=(1.0, 2.0, 3.0), updated_at=0.0)
    assert charge_tokens(c, s, 100.0, 5.0) is s
    b = BucketConfig(tokens_per_minute=100.0)
    sb = bucket_start(b, 0.0)
    for bad in (0.0, -5.0, math.nan):
        assert charge_tokens(b, sb, bad, 5.0) is sb


def test_a_clock_that_went_backwards_adds_and_removes_nothing() -> None:
    c = BucketConfig(per_second=10.0, per_minute=None, per_hour=None, tokens_per_minute=60.0)
    s = BucketState(levels=(3.0,), updated_at=100.0, token_level=-5.0)
    after, take = try_take(c, s, 5.0, 40.0)
    assert take.kind is WAIT
    assert after == BucketState(
        levels=(3.0,), updated_at=40.0, token_level=-5.0
    )  # no refill; refill continues from 40
    after2, _ = try_take(c, after, 5.0, 40.5)
    assert after2.levels == (8.0,)
    assert after2.token_level == pytest.approx(-4.5)
    taken, take = try_take(
        c, BucketState(levels=(3.0,), updated_at=100.0, token_level=1.0), 2.0, 40.0
    )
    assert take.kind is TAKEN
    assert taken == BucketState(levels=(1.0,), updated_at=40.0, token_level=1.0)
    assert (
        charge_tokens(
            c, BucketState(levels=(3.0,), updated_at=100.0, token_level=1.0), 2.0, 40.0
        ).token_level
        == -1.0
    )


def test_a_state_from_another_config_starts_full_and_levels_are_capped() -> None:
    c = BucketConfig(per_second=10.0, per_minute=50.0, per_hour=None, tokens_per_minute=90.0)
    s, take = try_take(c, BucketState(levels=(1.0,), updated_at=0.0), 1.0, 0.0)
    assert take.kind is TAKEN
    assert s == BucketState(levels=(9.0, 49.0), updated_at=0.0, token_level=90.0)
    s, _ = try_take(
        c, BucketState(levels=(99.0, 99.0), updated_at=0.0, token_level=500.0), 0.0, 0.0
    )
    assert s == BucketState(levels=(10.0, 50.0), updated_at=0.0, token_level=90.0)
    s, _ = try_take(
        BucketConfig(),
        BucketState(levels=(1.0, 1.0, 1.0), updated_at=0.0, token_level=5.0),
        0.0,
        0.0,
    )
    assert s.token_level is None


# --- properties ------------------------------------------------------------------------------

caps = st.one_of(st.integers(1, 20).map(float), st.floats(0.5, 1e4))


@st.composite
def valid_configs(draw: st.DrawFn) -> BucketConfig:
    fields = {name: draw(st.none() | caps) for name in SPANS}
    if all(v is None for v in fields.values()):
        fields[draw(st.sampled_from(list(SPANS)))] = draw(caps)
    tpm = draw(st.none() | st.floats(50.0, 1e5))
    return BucketConfig(**fields, tokens_per_minute=tpm)


@st.composite
def config_and_state(draw: st.DrawFn) -> tuple[BucketConfig, BucketState]:
    config = draw(valid_configs())
    levels = tuple(draw(st.floats(0.0, cap)) for _, cap in windows(config))
    tpm = config.tokens_per_minute
    token = None if tpm is None else draw(st.floats(-2 * tpm, tpm))
    return config, BucketState(levels=levels, updated_at=draw(st.floats(0, 1e6)), token_level=token)


amounts = st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.0, 3.0]) | st.floats(0, 30)


@settings(max_examples=300, deadline=None)
@given(cs=config_and_state(), n=amounts, dt=st.floats(0, 100))
def test_all_or_nothing(cs: tuple[BucketConfig, BucketState], n: float, dt: float) -> None:
    config, state = cs
    now = state.updated_at + dt
    refilled, _ = try_take(config, state, 0.0, now)
    after, take = try_take(config, state, n, now)
    assert after.updated_at == now
    assert after.token_level == refilled.token_level
    if take.kind is TAKEN:
        assert after.levels == tuple(level - n for level in refilled.levels)
    else:
        assert after.levels == refilled.levels
    for (_, cap), level in zip(windows(config), after.levels, strict=True):
        assert 0.0 <= level <= cap


@st.composite
def short_of(draw: st.DrawFn) -> tuple[BucketConfig, BucketState, float]:
    """A config, a state that some bucket (a window, or the token budget) is short in, and n."""
    config = draw(valid_configs())
    ws = windows(config)
    n = draw(st.floats(0.0, min(cap for _, cap in ws)))
    tpm = config.tokens_per_minute
    choices = [name for name, _ in ws] if n > 0 else []
    if tpm is not None:
        choices.append("tokens_per_minute")
    assume(choices)
    short = draw(st.sampled_from(choices))
    levels = tuple(
        draw(st.floats(0.0, n, exclude_max=True) if name == short else st.floats(0.0, cap))
        for name, cap in ws
    )
    token = None
    if tpm is not None:
        token = draw(
            st.floats(-2 * tpm, 0.0) if short == "tokens_per_minute" else st.floats(0, tpm)
        )
    return (
        config,
        BucketState(levels=levels, updated_at=draw(st.floats(0, 1e6)), token_level=token),
        n,
    )


@settings(max_examples=300, deadline=None)
@given(csn=short_of(), dt=st.floats(0, 1) | st.floats(0, 100))
def test_wait_is_exact(csn: tuple[BucketConfig, BucketState, float], dt: float) -> None:
    config, state, n = csn
    now = state.updated_at + dt
    after, take = try_take(config, state, n, now)
    assume(take.kind is WAIT)  # dt may have refilled it
    assert take.wait > 0.0
    assert take.window in (*SPANS, "tokens_per_minute")
    assert try_take(config, after, n, now + take.wait)[1].kind is TAKEN
    eps = max(1e-6, take.wait * 1e-9)
    _, refused = try_take(config, after, n, now + take.wait - eps)
    assert refused.kind is WAIT
    assert refused.window == take.window or take.wait - eps < 0


@settings(max_examples=200, deadline=None)
@given(cs=config_and_state(), extra=st.floats(1e-9, 1e4), dt=st.floats(0, 1e5))
def test_more_than_capacity_is_never(
    cs: tuple[BucketConfig, BucketState], extra: float, dt: float
) -> None:
    config, state = cs
    name, cap = min(windows(config), key=lambda w: w[1])
    n = cap * (1 + extra)
    assume(n > cap)
    after, take = try_take(config, state, n, state.updated_at + dt)
    assert take.kind is NEVER
    assert take.window == name
    assert take.wait == math.inf
    assert after.levels == try_take(config, state, 0.0, state.updated_at + dt)[0].levels


@settings(max_examples=200, deadline=None)
@given(cs=config_and_state(), n=amounts, back=st.floats(1e-6, 1e6))
def test_clock_backwards_adds_and_removes_nothing(
    cs: tuple[BucketConfig, BucketState], n: float, back: float
) -> None:
    config, state = cs
    now = state.updated_at - back
    assume(now < state.updated_at)
    after, take = try_take(config, state, n, now)
    assert after.updated_at == now
    assert after.token_level == state.token_level
    taken = n if take.kind is TAKEN else 0.0
    assert after.levels == tuple(level - taken for level in state.levels)


@settings(max_examples=150, deadline=None)
@given(config=valid_configs())
def test_config_round_trips(config: BucketConfig) -> None:
    back = from_plain(BucketConfig, to_plain(config))
    assert back == Success(config)
    assert back.unwrap()._windows == config._windows
    assert set(to_plain(config)) == {"per_second", "per_minute", "per_hour", "tokens_per_minute"}


@settings(max_examples=150, deadline=None)
@given(cs=config_and_state(), n=amounts)
def test_state_and_answer_round_trip(cs: tuple[BucketConfig, BucketState], n: float) -> None:
    config, state = cs
    after, take = try_take(config, state, n, state.updated_at + 1.0)
    for value in (state, after, take):
        assert from_plain(type(value), to_plain(value)) == Success(value)


# --- stateful test against an exact reference model ------------------------------------------


class RefBucket:
    """Exact arithmetic (Fractions), written from the definition, plus a log of admitted takes
    in refill time (time only counts forward: a clock jump back adds none)."""

    def __init__(self, config: BucketConfig, now: float) -> None:
        self.windows = [
            (name, Fraction(cap), Fraction(cap) / Fraction(SPANS[name]))
            for name, cap in windows(config)
        ]
        self.levels = [cap for _, cap, _ in self.windows]
        tpm = config.tokens_per_minute
        self.tpm = None if tpm is None else Fraction(tpm)
        self.token = self.tpm
        self.last = Fraction(now)
        self.tau = Fraction(0)
        self.log: list[tuple[Fraction, Fraction]] = []  # (tau, n) of every admitted take

    def refill(self, now: float) -> None:
        t = Fraction(now)
        elapsed = max(Fraction(0), t - self.last)
        self.last = t
        self.tau += elapsed
        self.levels = [
            min(cap, level + elapsed * rate)
            for (_, cap, rate), level in zip(self.windows, self.levels, strict=True)
        ]
        if self.tpm is not None and self.token is not None:
            self.token = min(self.tpm, self.token + elapsed * self.tpm / 60)

    def margin(self, n: float) -> Fraction:
        """How far the fullest shortage is from allowing the take (>= 0: allowed)."""
        margins = [level - Fraction(n) for level in self.levels]
        if self.token is not None:
            margins.append(self.token)  # must be > 0; the tolerance covers the boundary
        return min(margins)

    def waits(self, n: float) -> list[tuple[Fraction, str]]:
        """(exact wait, window) of every short bucket, longest first."""
        waits = [
            ((Fraction(n) - level) / rate, name)
            for (name, _, rate), level in zip(self.windows, self.levels, strict=True)
            if level < Fraction(n)
        ]
        if self.token is not None and self.tpm is not None and self.token <= 0:
            waits.append((-self.token / (self.tpm / 60), "tokens_per_minute"))
        return sorted(waits, reverse=True)

    def take(self, n: float) -> None:
        self.levels = [level - Fraction(n) for level in self.levels]
        self.log.append((self.tau, Fraction(n)))

    def admitted_within_bounds(self, tol: Fraction) -> None:
        """Over any interval ending now, a window admitted at most capacity + rate * t."""
        for _, cap, rate in self.windows:
            total = Fraction(0)
            end = self.log[-1][0]
            for tau, n in reversed(self.log):
                total += n
                assert total <= cap + rate * (end - tau) + tol


class BucketMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.config = BucketConfig()
        self.now = 0.0
        self.state = bucket_start(self.config, 0.0)
        self.model = RefBucket(self.config, 0.0)

    @initialize(config=valid_configs(), start=st.floats(0, 1e6))
    def setup(self, config: BucketConfig, start: float) -> None:
        self.config, self.now = config, start
        self.state = bucket_start(config, start)
        self.model = RefBucket(config, start)
        largest = max(cap for _, cap in windows(config))
        self.tol = Fraction(1e-9) * Fraction(max(largest, config.tokens_per_minute or 0.0, 1.0))

    @rule(dt=st.floats(0, 100) | st.sampled_from([0.0, 1e-7, 0.1, 1.0, 60.0]))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(dt=st.floats(0, 1e4))
    def clock_jumps_back(self, dt: float) -> None:
        self.now -= dt

    @rule(n=amounts)
    def take(self, n: float) -> None:
        self.state, answer = try_take(self.config, self.state, n, self.now)
        self.model.refill(self.now)
        smallest = min(cap for _, cap in windows(self.config))
        if n > smallest:
            assert answer.kind is NEVER
            return
        assert answer.kind is not NEVER
        margin = self.model.margin(n)
        if margin > self.tol:
            assert answer.kind is TAKEN
        elif margin < -self.tol:
            assert answer.kind is WAIT
        if answer.kind is TAKEN:  # the model follows the decision (exact at the boundary)
            self.model.take(n)
            self.model.admitted_within_bounds(self.tol * (len(self.model.log) + 1))
            return
        # asking again at now + wait succeeds
        assert try_take(self.config, self.state, n, self.now + answer.wait)[1].kind is TAKEN
        if margin < -self.tol:
            waits = self.model.waits(n)
            assert answer.wait == pytest.approx(float(waits[0][0]), rel=1e-6, abs=1e-6)
            if len(waits) == 1 or waits[0][0] - waits[1][0] > Fraction(1e-3):
                assert answer.window == waits[0][1]

    @rule(tokens=st.floats(0, 5e4))
    def charge(self, tokens: float) -> None:
        self.state = charge_tokens(self.config, self.state, tokens, self.now)
        if self.model.token is not None and tokens > 0:
            self.model.refill(self.now)
            self.model.token -= Fraction(tokens)

    @invariant()
    def levels_stay_between_zero_and_capacity(self) -> None:
        for (_, cap), level in zip(windows(self.config), self.state.levels, strict=True):
            assert 0.0 <= level <= cap
        tpm = self.config.tokens_per_minute
        if tpm is None:
            assert self.state.token_level is None
        else:
            assert self.state.token_level is not None
            assert self.state.token_level <= tpm

    @invariant()
    def levels_agree_with_the_model(self) -> None:
        assert self.state.updated_at == float(self.model.last)
        for level, exact in zip(self.state.levels, self.model.levels, strict=True):
            assert abs(Fraction(level) - exact) <= self.tol
        if self.model.token is not None:
            assert self.state.token_level is not None
            assert abs(Fraction(self.state.token_level) - self.model.token) <= self.tol


BucketMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
TestBucketMachine = BucketMachine.TestCase
