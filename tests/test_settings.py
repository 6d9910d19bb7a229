"""Dynamic settings: validated updates, versions, bounded history, rollback."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.settings import Settings, rollback, settings_start, update


def _positive(_: object, a: attrs.Attribute[Any], v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:  # NaN too
        raise ValueError(f"{a.name}: must be a positive number, got {v!r}")


@attrs.frozen
class Inner:
    threshold: int = attrs.field(default=5, validator=_positive)
    timeout: float = attrs.field(default=60.0, validator=_positive)


@attrs.frozen
class Conf:
    inner: Inner = Inner()
    rate: float = attrs.field(default=10.0, validator=_positive)
    optional: Inner | None = None


def test_update_makes_a_new_version_and_keeps_the_old_value() -> None:
    s = settings_start(Conf())
    newer = update(s, {"inner.threshold": 3, "rate": 20.0}).unwrap()
    assert newer.version == 2
    assert newer.value == Conf(Inner(3), 20.0)
    assert newer.history == (Conf(),)
    assert s.value == Conf()  # the old settings value is untouched


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"inner.threshold": 0}, "inner.threshold", "must be a positive number, got 0"),
        ({"rate": "fast"}, "rate", "must be a positive number, got 'fast'"),
        ({"inner.nope": 1}, "inner.nope", "no such setting"),
        ({"nope": 1}, "nope", "no such setting"),
        ({"optional.threshold": 2}, "optional.threshold", "switched off"),
        ({"rate.deeper": 2}, "rate.deeper", "has no settings below it"),
        ({"inner..x": 2}, "inner..x", "not a dotted path"),
        ({}, "(change)", "empty"),
    ],
)
def test_invalid_updates_change_nothing_and_say_why(
    change: dict[str, Any], field: str, reason: str
) -> None:
    s = settings_start(Conf())
    out = update(s, change)
    assert isinstance(out, Failure)
    err = out.failure()
    assert isinstance(err, hf.ConfigError)
    assert err.field == field
    assert reason in err.reason
    assert "nothing was changed" in err.message


def test_a_change_is_all_or_nothing() -> None:
    s = settings_start(Conf())
    out = update(s, {"rate": 5.0, "inner.threshold": -1})
    assert isinstance(out, Failure)
    assert s.value.rate == 10.0


def test_history_is_bounded_and_rollback_walks_back() -> None:
    s = settings_start(Conf(), limit=3)
    for rate in (1.0, 2.0, 3.0, 4.0, 5.0):
        s = update(s, {"rate": rate}).unwrap()
    assert s.version == 6
    assert [c.rate for c in s.history] == [4.0, 3.0, 2.0]
    back = rollback(s).unwrap()
    assert back.value.rate == 4.0
    assert back.version == 7  # versions only grow
    back = rollback(rollback(back).unwrap()).unwrap()
    assert back.value.rate == 2.0
    nothing = rollback(back)
    assert isinstance(nothing, Failure)
    assert isinstance(nothing.failure(), hf.ConfigError)


def test_settings_round_trip_as_json() -> None:
    s = update(settings_start(Conf()), {"rate": 2.5}).unwrap()
    assert from_plain(Settings[Conf], to_plain(s)) == Success(s)


@given(st.lists(st.floats(min_value=-5, max_value=50, allow_nan=False), max_size=30))
def test_version_counts_accepted_updates_only(rates: list[float]) -> None:
    s = settings_start(Conf())
    accepted = 0
    for rate in rates:
        out = update(s, {"rate": rate})
        if isinstance(out, Success):
            s = out.unwrap()
            accepted += 1
        assert (rate > 0) == isinstance(out, Success)
    assert s.version == 1 + accepted
    assert len(s.history) == min(accepted, 10)


class SettingsMachine(RuleBasedStateMachine):
    """Settings against the obvious model: the current value and a list of earlier ones
    (newest first, at most ``limit``), a version counter."""

    def __init__(self) -> None:
        super().__init__()
        self.settings = settings_start(Conf(), limit=4)
        self.current = Conf()
        self.earlier: list[Conf] = []
        self.version = 1

    def _accepted(self, value: Conf) -> None:
        self.earlier = [self.current, *self.earlier][:4]
        self.current = value
        self.version += 1

    @rule(rate=st.floats(min_value=-2, max_value=50) | st.just(float("nan")))
    def change_rate(self, rate: float) -> None:
        out = update(self.settings, {"rate": rate})
        if rate > 0:
            self.settings = out.unwrap()
            self._accepted(Conf(self.current.inner, rate))
        else:
            assert isinstance(out, Failure)  # refused: nothing changes

    @rule(threshold=st.integers(min_value=-1, max_value=9))
    def change_threshold(self, threshold: int) -> None:
        out = update(self.settings, {"inner.threshold": threshold})
        if threshold > 0:
            self.settings = out.unwrap()
            self._accepted(Conf(Inner(threshold, self.current.inner.timeout), self.current.rate))
        else:
            assert isinstance(out, Failure)

    @rule()
    def go_back(self) -> None:
        out = rollback(self.settings)
        if self.earlier:
            self.settings = out.unwrap()
            self.current = self.earlier.pop(0)
            self.version += 1
        else:
            assert isinstance(out, Failure)

    @invariant()
    def matches_the_model(self) -> None:
        assert self.settings.value == self.current
        assert self.settings.version == self.version
        assert self.settings.history == tuple(self.earlier)


TestSettingsMachine = SettingsMachine.TestCase
TestSettingsMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
