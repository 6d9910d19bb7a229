"""Circuit breaker: examples, properties, and a stateful test against a reference model."""

from __future__ import annotations

import math
import re
from types import MappingProxyType
from typing import Any

import immutables
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from returns.result import Success

import hf_pure.reliability.breaker as breaker_module
from hf_pure.core.errors import CircuitOpen
from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.breaker import (
    FRESH,
    TRANSITIONS,
    BreakerBoard,
    BreakerConfig,
    BreakerEffect,
    BreakerEvent,
    BreakerMode,
    BreakerOutcome,
    BreakerState,
    board_admit,
    board_record,
    breaker_admit,
    breaker_record,
    put_breaker,
)

CLOSED, OPEN, HALF_OPEN = BreakerMode.CLOSED, BreakerMode.OPEN, BreakerMode.HALF_OPEN
S, F, IGN = BreakerOutcome.SUCCESS, BreakerOutcome.FAILURE, BreakerOutcome.IGNORED


def _admit(config: BreakerConfig, state: BreakerState, now: float) -> BreakerState:
    """Admit and insist that the call was let through."""
    state, refusal = breaker_admit(config, state, now)
    assert refusal is None
    return state


def _open(config: BreakerConfig, now: float) -> BreakerState:
    state = BreakerState()
    for _ in range(config.failure_threshold):
        state = breaker_record(config, _admit(config, state, now), F, now)
    assert state.mode is OPEN
    return state


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"failure_threshold": 0}, "failure_threshold: must be an integer >= 1"),
        ({"success_threshold": -1}, "success_threshold: must be an integer >= 1"),
        ({"half_open_max_calls": 0}, "half_open_max_calls: must be an integer >= 1"),
        ({"failure_threshold": 2.0}, "failure_threshold: must be an integer >= 1"),
        ({"failure_threshold": True}, "failure_threshold: must be an integer >= 1"),
        ({"open_timeout": 0}, "open_timeout: must be a positive, finite number of seconds"),
        ({"open_timeout": -1.0}, "open_timeout: must be a positive, finite number of seconds"),
        ({"open_timeout": math.inf}, "open_timeout: must be a positive, finite number"),
        ({"open_timeout": math.nan}, "open_timeout: must be a positive, finite number"),
        ({"open_timeout": "60"}, "open_timeout: must be a number of seconds"),
    ],
)
def test_config_refuses_bad_values(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        BreakerConfig(**fields)


def test_config_defaults_follow_the_design() -> None:
    c = BreakerConfig()
    assert (c.failure_threshold, c.success_threshold, c.open_timeout, c.half_open_max_calls) == (
        5,
        2,
        60.0,
        1,
    )


# --- the table -------------------------------------------------------------------------------


def _doc_table() -> dict[tuple[BreakerMode, BreakerEvent], tuple[BreakerMode, BreakerEffect]]:
    doc = breaker_module.__doc__
    assert doc is not None
    rows = {}
    for line in doc.splitlines():
        cols = re.split(r"\s{2,}", line.strip())
        if len(cols) >= 5 and cols[0] in BreakerMode.__members__:
            rows[BreakerMode[cols[0]], BreakerEvent[cols[1]]] = (
                BreakerMode[cols[3]],
                BreakerEffect[cols[4]],
            )
    return rows


def test_the_docstring_table_is_the_code_table() -> None:
    assert _doc_table() == dict(TRANSITIONS)
    assert len(TRANSITIONS) == 16


# One script that walks every row, with the (mode, failures, successes, opened_at, in_flight)
# and refusal expected after each step, worked out by hand from the docstring's table.
C3 = BreakerConfig(failure_threshold=2, success_threshold=2, open_timeout=10.0,
                   half_open_max_calls=2)  # fmt: skip
SCRIPT: tuple[tuple[str, Any, float, tuple[Any, ...], Any], ...] = (
    ("admit", None, 0.0, (CLOSED, 0, 0, None, 0), None),  # CLOSED ADMIT
    ("record", F, 0.0, (CLOSED, 1, 0, None, 0), None),  # CLOSED FAILURE
    ("record", S, 0.0, (CLOSED, 0, 0, None, 0), None),  # CLOSED SUCCESS
    ("record", BreakerOutcome.IGNORED, 0.0, (CLOSED, 0, 0, None, 0), None),  # CLOSED IGNORED
    ("record", F, 1.0, (CLOSED, 1, 0, None, 0), None),
    ("record", F, 2.0, (OPEN, 0, 0, 2.0, 0), None),  # CLOSED TRIP
    ("admit", None, 5.0, (OPEN, 0, 0, 2.0, 0), 12.0),  # OPEN REFUSE
    ("record", S, 5.0, (OPEN, 0, 0, 2.0, 0), None),  # OPEN STALE
    ("admit", None, 1.0, (OPEN, 0, 0, 1.0, 0), 11.0),  # OPEN RESTART
    ("admit", None, 11.0, (HALF_OPEN, 0, 0, None, 1), None),  # OPEN ADMIT
    ("admit", None, 11.0, (HALF_OPEN, 0, 0, None, 2), None),  # HALF_OPEN ADMIT
    ("admit", None, 11.5, (HALF_OPEN, 0, 0, None, 2), 11.5),  # HALF_OPEN REFUSE
    ("record", BreakerOutcome.IGNORED, 12.0, (HALF_OPEN, 0, 0, None, 1), None),  # HALF_OPEN IGNORED
    ("record", S, 12.0, (HALF_OPEN, 0, 1, None, 0), None),  # HALF_OPEN SUCCESS
    ("record", F, 12.0, (HALF_OPEN, 0, 1, None, 0), None),  # HALF_OPEN STALE
    ("admit", None, 12.0, (HALF_OPEN, 0, 1, None, 1), None),
    ("record", F, 13.0, (OPEN, 0, 0, 13.0, 0), None),  # HALF_OPEN FAILURE
    ("admit", None, 23.0, (HALF_OPEN, 0, 0, None, 1), None),
    ("record", S, 23.0, (HALF_OPEN, 0, 1, None, 0), None),
    ("admit", None, 23.0, (HALF_OPEN, 0, 1, None, 1), None),
    ("record", S, 24.0, (CLOSED, 0, 0, None, 0), None),  # HALF_OPEN RECOVER
)


def _run_script() -> None:
    state = BreakerState()
    for i, (kind, outcome, now, want, refused_until) in enumerate(SCRIPT):
        if kind == "admit":
            state, refusal = breaker_admit(C3, state, now)
            got_until = None if refusal is None else refusal.until
            assert got_until == refused_until, (i, refusal)
        else:
            state = breaker_record(C3, state, outcome, now)
        got = (state.mode, state.failures, state.successes, state.opened_at, state.in_flight)
        assert got == want, (i, got, want)


def test_the_script_walks_every_row_as_the_table_says() -> None:
    _run_script()


@pytest.mark.parametrize("row", list(TRANSITIONS), ids=lambda r: f"{r[0].name}-{r[1].name}")
def test_deleting_any_row_breaks_the_machine(
    row: tuple[BreakerMode, BreakerEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every transition goes through the table: without any one row the script above no
    # longer runs as the table says (a KeyError, or a state that differs).
    without = MappingProxyType({k: v for k, v in TRANSITIONS.items() if k != row})
    monkeypatch.setattr(breaker_module, "TRANSITIONS", without)
    with pytest.raises((KeyError, AssertionError)):
        _run_script()


def test_every_outcome_in_every_reachable_state_has_a_table_row() -> None:
    config = BreakerConfig(failure_threshold=2, success_threshold=2, half_open_max_calls=2)
    states = [
        BreakerState(),
        BreakerState(mode=CLOSED, failures=1),
        BreakerState(mode=OPEN, failures=0, successes=0, opened_at=5.0, in_flight=0),
        BreakerState(mode=HALF_OPEN, failures=0, successes=0, opened_at=None, in_flight=0),
        BreakerState(mode=HALF_OPEN, failures=0, successes=1, opened_at=None, in_flight=1),
        BreakerState(mode=HALF_OPEN, failures=0, successes=0, opened_at=None, in_flight=2),
    ]
    for state in states:
        for now in (0.0, 5.0, 100.0):
            breaker_admit(config, state, now)  # raises KeyError if a row were missing
            for outcome in BreakerOutcome:
                assert isinstance(breaker_record(config, state, outcome, now), BreakerState)


# --- examples --------------------------------------------------------------------------------


def test_consecutive_failures_open_the_circuit_and_a_success_resets_the_count() -> None:
    c = BreakerConfig(failure_threshold=3)
    s = BreakerState()
    s = breaker_record(c, s, F, 1.0)
    s = breaker_record(c, s, F, 2.0)
    assert (s.mode, s.failures) == (CLOSED, 2)
    s = breaker_record(c, s, S, 3.0)
    assert s == BreakerState()
    s = breaker_record(c, s, F, 4.0)
    s = breaker_record(c, s, IGN, 4.5)  # ignored: neither counts nor resets
    s = breaker_record(c, s, F, 5.0)
    assert s.failures == 2
    s = breaker_record(c, s, F, 6.0)
    assert s == BreakerState(mode=OPEN, failures=0, successes=0, opened_at=6.0, in_flight=0)


def test_open_refuses_until_the_timeout_then_admits_one_trial() -> None:
    c = BreakerConfig(failure_threshold=1, open_timeout=10.0)
    s = _open(c, 100.0)
    for now in (100.0, 105.0, 109.999):
        s2, refusal = breaker_admit(c, s, now)
        assert s2 is s
        assert refusal == CircuitOpen(until=110.0)
    s, refusal = breaker_admit(c, s, 110.0)
    assert refusal is None
    assert s == BreakerState(mode=HALF_OPEN, failures=0, successes=0, opened_at=None, in_flight=1)
    s2, refusal = breaker_admit(c, s, 110.5)  # the trial is in flight: refuse, until now
    assert s2 is s
    assert refusal == CircuitOpen(until=110.5)


def test_half_open_failure_reopens_and_successes_close() -> None:
    c = BreakerConfig(failure_threshold=1, success_threshold=2, open_timeout=10.0)
    s = _open(c, 0.0)
    s = _admit(c, s, 10.0)
    s = breaker_record(c, s, F, 11.0)
    assert s == BreakerState(mode=OPEN, failures=0, successes=0, opened_at=11.0, in_flight=0)
    assert breaker_admit(c, s, 20.0)[1] == CircuitOpen(until=21.0)
    s = _admit(c, s, 21.0)
    s = breaker_record(c, s, S, 22.0)
    assert s == BreakerState(mode=HALF_OPEN, failures=0, successes=1, opened_at=None, in_flight=0)
    s = _admit(c, s, 23.0)
    s = breaker_record(c, s, S, 24.0)
    assert s == BreakerState()


def test_half_open_bounds_the_trials_in_flight() -> None:
    c = BreakerConfig(failure_threshold=1, success_threshold=3, half_open_max_calls=2)
    s = _open(c, 0.0)
    s = _admit(c, s, 60.0)
    s = _admit(c, s, 60.0)
    assert s.in_flight == 2
    assert breaker_admit(c, s, 61.0)[1] == CircuitOpen(until=61.0)
    s = breaker_record(c, s, S, 62.0)
    assert (s.mode, s.in_flight, s.successes) == (HALF_OPEN, 1, 1)
    s = _admit(c, s, 62.0)
    assert s.in_flight == 2


def test_ignored_frees_a_trial_slot_without_counting() -> None:
    c = BreakerConfig(failure_threshold=1)
    s = _admit(c, _open(c, 0.0), 60.0)
    assert breaker_admit(c, s, 60.0)[1] is not None
    s = breaker_record(c, s, IGN, 61.0)
    assert s == BreakerState(mode=HALF_OPEN, failures=0, successes=0, opened_at=None, in_flight=0)
    s = _admit(c, s, 61.0)
    assert s.in_flight == 1


def test_stale_outcomes_change_nothing() -> None:
    c = BreakerConfig(failure_threshold=1)
    s = _open(c, 0.0)
    for outcome in BreakerOutcome:  # late answers of calls admitted before the circuit opened
        assert breaker_record(c, s, outcome, 30.0) is s
    idle = BreakerState(
        mode=HALF_OPEN, failures=0, successes=1, opened_at=None, in_flight=0
    )  # no trial in flight
    for outcome in BreakerOutcome:
        assert breaker_record(c, idle, outcome, 30.0) is idle


def test_a_clock_that_went_backwards_restarts_the_timeout_from_now() -> None:
    c = BreakerConfig(failure_threshold=1, open_timeout=10.0)
    s = _open(c, 1000.0)
    s, refusal = breaker_admit(c, s, 5.0)  # e.g. restored on a machine with another epoch
    assert refusal == CircuitOpen(until=15.0)
    assert s == BreakerState(mode=OPEN, failures=0, successes=0, opened_at=5.0, in_flight=0)
    assert breaker_admit(c, s, 15.0)[1] is None


def test_open_without_opened_at_counts_as_timed_out() -> None:
    c = BreakerConfig()
    s, refusal = breaker_admit(c, BreakerState(mode=OPEN), 0.0)
    assert refusal is None
    assert s.mode is HALF_OPEN


def test_closed_admits_without_building_a_new_state() -> None:
    c = BreakerConfig()
    s = BreakerState(mode=CLOSED, failures=3)
    assert breaker_admit(c, s, 1.0) == (s, None)
    assert breaker_admit(c, s, 1.0)[0] is s


# --- the board -------------------------------------------------------------------------------


def test_board_keeps_one_breaker_per_key_and_names_the_key() -> None:
    board = BreakerBoard(BreakerConfig(failure_threshold=2, open_timeout=5.0))
    for now in (1.0, 2.0):
        board = board_record(board, "a", F, now)
    board = board_record(board, "b", F, 2.0)
    board, refusal = board_admit(board, "a", 3.0)
    assert refusal == CircuitOpen(until=7.0, key="a")
    assert "for a" in refusal.message
    board2, refusal = board_admit(board, "b", 3.0)
    assert refusal is None
    assert board2 is board
    assert board.states["b"] == BreakerState(mode=CLOSED, failures=1)


def test_board_forgets_keys_that_return_to_fresh() -> None:
    board = BreakerBoard(BreakerConfig(failure_threshold=1, success_threshold=1))
    board = board_record(board, "a", F, 0.0)
    assert board.states["a"].mode is OPEN
    board, _ = board_admit(board, "a", 60.0)
    board = board_record(board, "a", S, 61.0)
    assert "a" not in board.states
    board = board_record(board, "b", F, 0.0)
    board = board_record(board, "c", S, 0.0)  # absent and fresh: nothing to keep
    assert set(board.states) == {"b"}


def test_put_breaker_keeps_only_breakers_that_are_not_fresh() -> None:
    states: immutables.Map[str, BreakerState] = immutables.Map()
    counting = BreakerState(mode=CLOSED, failures=1)
    states = put_breaker(states, "a", counting)
    assert states["a"] is counting
    assert put_breaker(states, "a", FRESH) == immutables.Map()
    assert put_breaker(states, "a", BreakerState()) == immutables.Map()  # equal counts too
    assert put_breaker(states, "b", FRESH) is states  # absent and fresh: nothing to drop
    assert BreakerState() == FRESH


@settings(max_examples=150, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.sampled_from("abc"),
            st.sampled_from(["admit", S, F, IGN]),
            st.floats(0, 40, allow_nan=False),
        ),
        max_size=40,
    )
)
def test_board_is_independent_breakers(events: list[tuple[str, Any, float]]) -> None:
    config = BreakerConfig(failure_threshold=2, success_threshold=2, open_timeout=10.0)
    board = BreakerBoard(config)
    singles: dict[str, BreakerState] = {}
    now = 0.0
    for key, event, dt in events:
        now += dt
        single = singles.get(key, BreakerState())
        if event == "admit":
            board, got = board_admit(board, key, now)
            singles[key], want = breaker_admit(config, single, now)
            expected = None if want is None else CircuitOpen(want.until, key)
            assert got == expected
        else:
            board = board_record(board, key, event, now)
            singles[key] = breaker_record(config, single, event, now)
        for k in "abc":
            assert board.states.get(k, BreakerState()) == singles.get(k, BreakerState())
        assert BreakerState() not in board.states.values()


# --- properties ------------------------------------------------------------------------------

configs = st.builds(
    BreakerConfig,
    failure_threshold=st.integers(1, 4),
    success_threshold=st.integers(1, 4),
    open_timeout=st.floats(0.5, 100.0),
    half_open_max_calls=st.integers(1, 3),
)
events = st.lists(
    st.tuples(st.sampled_from(["admit", S, F, IGN]), st.floats(0, 50, allow_nan=False)),
    max_size=60,
)


def _run(
    config: BreakerConfig, evs: list[tuple[Any, float]], state: BreakerState
) -> tuple[BreakerState, list[CircuitOpen | None]]:
    now = 0.0
    answers: list[CircuitOpen | None] = []
    for ev, dt in evs:
        now += dt
        if ev == "admit":
            before = state
            state, refusal = breaker_admit(config, state, now)
            answers.append(refusal)
            opened = before.opened_at if before.mode is OPEN else None
            if opened is not None and now < opened + config.open_timeout:
                assert refusal is not None  # never admits in OPEN before the timeout
        else:
            state = breaker_record(config, state, ev, now)
        assert state.in_flight <= config.half_open_max_calls
        assert (state.opened_at is not None) == (state.mode is OPEN)
    return state, answers


@settings(max_examples=200, deadline=None)
@given(config=configs, evs=events)
def test_any_event_sequence_matches_the_reference(config: BreakerConfig, evs: list[Any]) -> None:
    # (was: the same events run twice give the same state, which could not fail)
    state, answers = _run(config, evs, BreakerState())
    model = RefBreaker(config)
    now = 0.0
    wanted: list[float | None] = []
    for ev, dt in evs:
        now += dt
        if ev == "admit":
            wanted.append(model.admit(now))
        else:
            model.record(ev, now)
    assert [None if a is None else a.until for a in answers] == wanted
    assert state.mode.value == model.mode
    assert state.in_flight == (model.trials if model.mode == "half_open" else 0)


@settings(max_examples=200, deadline=None)
@given(config=configs, evs=events, cut=st.integers(0, 60))
def test_a_serialized_state_resumes_exactly(
    config: BreakerConfig, evs: list[Any], cut: int
) -> None:
    whole, _ = _run(config, evs, BreakerState())
    # replay the first part, round-trip the state through plain data, replay the rest
    part, _ = _run(config, evs[:cut], BreakerState())
    restored = from_plain(BreakerState, to_plain(part)).unwrap()
    assert restored == part
    now = sum(dt for _, dt in evs[:cut])
    state = restored
    for ev, dt in evs[cut:]:
        now += dt
        if ev == "admit":
            state, _ = breaker_admit(config, state, now)
        else:
            state = breaker_record(config, state, ev, now)
    assert state == whole


@settings(max_examples=100, deadline=None)
@given(config=configs)
def test_config_round_trips(config: BreakerConfig) -> None:
    assert from_plain(BreakerConfig, to_plain(config)) == Success(config)


@settings(max_examples=100, deadline=None)
@given(
    config=configs,
    states=st.dictionaries(
        st.text(max_size=5),
        st.builds(
            BreakerState,
            mode=st.sampled_from(BreakerMode),
            failures=st.integers(0, 5),
            successes=st.integers(0, 5),
            opened_at=st.none() | st.floats(0, 1e6),
            in_flight=st.integers(0, 3),
        ),
        max_size=4,
    ),
)
def test_board_round_trips(config: BreakerConfig, states: dict[str, BreakerState]) -> None:
    board = BreakerBoard(config, immutables.Map(states))
    plain = to_plain(board)
    assert from_plain(BreakerBoard, plain) == Success(board)


def test_plain_form_is_readable() -> None:
    state = BreakerState(mode=OPEN, failures=0, successes=0, opened_at=12.5, in_flight=0)
    assert to_plain(state) == {
        "mode": "open",
        "failures": 0,
        "successes": 0,
        "opened_at": 12.5,
        "in_flight": 0,
    }
    assert from_plain(BreakerState, {"mode": "ajar"}).failure().field == "BreakerState"


# --- stateful test against a reference model -------------------------------------------------


class RefBreaker:
    """The obviously-correct model: plain mutable fields and if/else, no table."""

    def __init__(self, config: BreakerConfig) -> None:
        self.c = config
        self.mode = "closed"
        self.failures = 0
        self.successes = 0
        self.opened_at = 0.0
        self.trials = 0

    def _open(self, now: float) -> None:
        self.mode, self.opened_at, self.failures, self.successes, self.trials = (
            "open",
            now,
            0,
            0,
            0,
        )

    def admit(self, now: float) -> float | None:
        """None when admitted, else the until of the refusal."""
        if self.mode == "closed":
            return None
        if self.mode == "open":
            self.opened_at = min(self.opened_at, now)  # a clock jump back restarts it
            if now < self.opened_at + self.c.open_timeout:
                return self.opened_at + self.c.open_timeout
            self.mode, self.successes, self.trials = "half_open", 0, 1
            return None
        if self.trials < self.c.half_open_max_calls:
            self.trials += 1
            return None
        return now

    def record(self, outcome: BreakerOutcome, now: float) -> None:
        if self.mode == "closed":
            if outcome is F:
                self.failures += 1
                if self.failures >= self.c.failure_threshold:
                    self._open(now)
            elif outcome is S:
                self.failures = 0
        elif self.mode == "half_open" and self.trials > 0:
            self.trials -= 1
            if outcome is F:
                self._open(now)
            elif outcome is S:
                self.successes += 1
                if self.successes >= self.c.success_threshold:
                    self.mode, self.successes, self.trials = "closed", 0, 0


class BreakerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.config = BreakerConfig()
        self.state = BreakerState()
        self.model = RefBreaker(self.config)
        self.now = 0.0

    @initialize(config=configs, start=st.floats(0, 1e6))
    def setup(self, config: BreakerConfig, start: float) -> None:
        self.config, self.model, self.now = config, RefBreaker(config), start

    @rule(dt=st.floats(0, 200) | st.sampled_from([0.0, 1e-9]))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(dt=st.floats(0, 1e3))
    def clock_jumps_back(self, dt: float) -> None:
        self.now -= dt

    @rule(offset=st.sampled_from([-0.5, -1e-6, 0.0, 1e-9]) | st.floats(-1.0, 1.0))
    def to_the_end_of_the_timeout(self, offset: float) -> None:
        if self.model.mode == "open":
            self.now = self.model.opened_at + self.config.open_timeout + offset

    @rule()
    def trip(self) -> None:
        """A run of failures, each on an admitted call (opens a CLOSED breaker)."""
        for _ in range(self.config.failure_threshold):
            self.admit()
            self.record(F)

    @rule()
    def admit(self) -> None:
        before = self.state
        self.state, refusal = breaker_admit(self.config, self.state, self.now)
        want = self.model.admit(self.now)
        if want is None:
            assert refusal is None
        else:
            assert refusal == CircuitOpen(until=want)
        opened = before.opened_at if before.mode is OPEN else None
        if opened is not None and opened <= self.now < opened + self.config.open_timeout:
            assert refusal is not None

    @rule(outcome=st.sampled_from(BreakerOutcome))
    def record(self, outcome: BreakerOutcome) -> None:
        self.state = breaker_record(self.config, self.state, outcome, self.now)
        self.model.record(outcome, self.now)

    @invariant()
    def agrees_with_the_model(self) -> None:
        s, m = self.state, self.model
        assert s.mode.value == m.mode
        assert s.in_flight == m.trials
        if s.mode is CLOSED:
            assert s.failures == m.failures < self.config.failure_threshold
        if s.mode is HALF_OPEN:
            assert s.successes == m.successes < self.config.success_threshold
        if s.mode is OPEN:
            assert s.opened_at == m.opened_at
        else:
            assert s.opened_at is None

    @invariant()
    def trials_are_bounded(self) -> None:
        assert 0 <= self.state.in_flight <= self.config.half_open_max_calls


BreakerMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
TestBreakerMachine = BreakerMachine.TestCase
