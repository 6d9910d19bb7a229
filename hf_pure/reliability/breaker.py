"""Circuit breaker: a pure state machine over CLOSED, OPEN and HALF_OPEN.

``breaker_admit(config, state, now)`` asks whether a call may go out now; it answers the next
state and ``None`` (go) or a :class:`~hf_pure.core.errors.CircuitOpen` refusal.
``breaker_record(config, state, outcome, now)`` folds the outcome of an admitted call back in.
Nothing reads a clock: ``now`` is monotonic seconds, passed in.

- CLOSED lets every call through and counts *consecutive* failures (a success resets the
  count). The ``failure_threshold``-th consecutive failure opens the circuit (``opened_at =
  now``).
- OPEN refuses with ``CircuitOpen(until=opened_at + open_timeout)`` until ``now`` reaches
  that time; the first call asked for after it moves the breaker to HALF_OPEN and goes out as a
  trial.
- HALF_OPEN lets at most ``half_open_max_calls`` trials be in flight at once (pybreaker lets any
  number through; this does not) and refuses the rest with ``CircuitOpen(until=now)``: a trial
  is in flight, ask again when it has reported. Any failed trial re-opens the circuit
  (``opened_at = now``); ``success_threshold`` successful trials close it.
- ``Outcome.IGNORED`` (a cancelled call, or an error that says nothing about the endpoint's
  health, such as a 400 or a local refusal) counts nothing; in HALF_OPEN it frees the trial slot.
  A call that was admitted but then not sent (another limiter refused it) gives its slot back
  by recording ``IGNORED``, or by dropping the state ``breaker_admit`` returned.

Outcomes that cannot belong to a call this breaker is waiting for are *stale* and change
nothing: every outcome recorded while OPEN (a call admitted before the circuit opened, or a
sibling trial of the one that re-opened it), and every outcome recorded in HALF_OPEN while no
trial is in flight. Without call tickets a stale outcome that arrives while a trial *is* in
flight cannot be told apart from the trial's own; it is counted as the trial's.

If ``now`` is earlier than ``opened_at`` (the clock went backwards, e.g. a state restored on
another machine), the open timeout restarts from ``now`` instead of lasting beyond
``open_timeout``. An OPEN state without ``opened_at`` (only possible from hand-written data)
counts as timed out.

The counting decides an *event*; the table below (``TRANSITIONS``, h11 style) says which mode
follows. When the mode changes the counters start afresh (entering OPEN sets ``opened_at =
now``; entering HALF_OPEN admits the first trial, ``in_flight = 1``); when it stays, the
counting column applies::

    mode       event    condition                                 next       counting
    ---------  -------  ----------------------------------------  ---------  -----------------
    CLOSED     ADMIT    always                                    CLOSED     -
    CLOSED     SUCCESS  -                                         CLOSED     failures = 0
    CLOSED     FAILURE  failures + 1 < failure_threshold          CLOSED     failures += 1
    CLOSED     TRIP     failures + 1 >= failure_threshold         OPEN       opened_at = now
    CLOSED     IGNORED  -                                         CLOSED     -
    OPEN       REFUSE   now < opened_at + open_timeout            OPEN       -
    OPEN       ADMIT    now >= opened_at + open_timeout           HALF_OPEN  in_flight = 1
    OPEN       STALE    any outcome                               OPEN       -
    HALF_OPEN  ADMIT    in_flight < half_open_max_calls           HALF_OPEN  in_flight += 1
    HALF_OPEN  REFUSE   in_flight >= half_open_max_calls          HALF_OPEN  -
    HALF_OPEN  SUCCESS  successes + 1 < success_threshold         HALF_OPEN  successes += 1,
                                                                             in_flight -= 1
    HALF_OPEN  RECOVER  successes + 1 >= success_threshold        CLOSED     -
    HALF_OPEN  FAILURE  -                                         OPEN       opened_at = now
    HALF_OPEN  IGNORED  -                                         HALF_OPEN  in_flight -= 1
    HALF_OPEN  STALE    any outcome while in_flight == 0          HALF_OPEN  -

:class:`BreakerBoard` keeps one breaker per key (endpoint or model) in a persistent map; an
absent key is a fresh CLOSED breaker, and a breaker that returns to that fresh state is dropped
from the map again, so the map only holds keys that are failing or recovering.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Final

import attrs
import immutables

from hf_pure.core.checks import positive_int, positive_seconds
from hf_pure.core.errors import CircuitOpen
from hf_pure.core.state import State
from hf_pure.core.value import Value

__all__ = [
    "TRANSITIONS",
    "BreakerBoard",
    "BreakerConfig",
    "BreakerEvent",
    "BreakerMode",
    "BreakerState",
    "Outcome",
    "board_admit",
    "board_record",
    "breaker_admit",
    "breaker_record",
]


class BreakerMode(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Outcome(enum.StrEnum):
    """What an admitted call told us about the endpoint's health."""

    SUCCESS = "success"
    FAILURE = "failure"
    IGNORED = "ignored"


class BreakerEvent(enum.StrEnum):
    """The events of the transition table (decided by the counting around it)."""

    ADMIT = "admit"
    REFUSE = "refuse"
    SUCCESS = "success"
    FAILURE = "failure"
    IGNORED = "ignored"
    TRIP = "trip"
    RECOVER = "recover"
    STALE = "stale"


_CLOSED: Final = BreakerMode.CLOSED
_OPEN: Final = BreakerMode.OPEN
_HALF_OPEN: Final = BreakerMode.HALF_OPEN

_E = BreakerEvent
_SUCCESS: Final = Outcome.SUCCESS

TRANSITIONS: Final = MappingProxyType(
    {
        (_CLOSED, _E.ADMIT): _CLOSED,
        (_CLOSED, _E.SUCCESS): _CLOSED,
        (_CLOSED, _E.FAILURE): _CLOSED,
        (_CLOSED, _E.TRIP): _OPEN,
        (_CLOSED, _E.IGNORED): _CLOSED,
        (_OPEN, _E.REFUSE): _OPEN,
        (_OPEN, _E.ADMIT): _HALF_OPEN,
        (_OPEN, _E.STALE): _OPEN,
        (_HALF_OPEN, _E.ADMIT): _HALF_OPEN,
        (_HALF_OPEN, _E.REFUSE): _HALF_OPEN,
        (_HALF_OPEN, _E.SUCCESS): _HALF_OPEN,
        (_HALF_OPEN, _E.RECOVER): _CLOSED,
        (_HALF_OPEN, _E.FAILURE): _OPEN,
        (_HALF_OPEN, _E.IGNORED): _HALF_OPEN,
        (_HALF_OPEN, _E.STALE): _HALF_OPEN,
    }
)
"""(mode, event) -> next mode. A pair that is missing cannot happen."""


@attrs.frozen(repr=False)
class BreakerConfig(Value):
    """Thresholds of one breaker (validated: counts >= 1, ``open_timeout`` > 0 and finite)."""

    failure_threshold: int = attrs.field(default=5, validator=positive_int)
    success_threshold: int = attrs.field(default=2, validator=positive_int)
    open_timeout: float = attrs.field(default=60.0, validator=positive_seconds)
    half_open_max_calls: int = attrs.field(default=1, validator=positive_int)


class BreakerState(State, frozen=True):
    """The breaker's state. ``opened_at`` is set in OPEN only; ``in_flight`` counts HALF_OPEN
    trials only; ``failures`` counts consecutive CLOSED failures, ``successes`` HALF_OPEN
    successes."""

    mode: BreakerMode = _CLOSED
    failures: int = 0
    successes: int = 0
    opened_at: float | None = None
    in_flight: int = 0


_FRESH: Final = BreakerState()
_FIRST_TRIAL: Final = BreakerState(_HALF_OPEN, 0, 0, None, 1)


def _enter(mode: BreakerMode, now: float) -> BreakerState:
    """The state on entering ``mode``: counters start afresh."""
    if mode is _OPEN:
        return BreakerState(_OPEN, 0, 0, now, 0)
    if mode is _HALF_OPEN:
        return _FIRST_TRIAL
    return _FRESH


def _admit(
    config: BreakerConfig, state: BreakerState, now: float, key: str
) -> tuple[BreakerState, CircuitOpen | None]:
    mode = state.mode
    if mode is _CLOSED:
        return state, None  # (CLOSED, ADMIT) -> CLOSED: nothing to count
    if mode is _OPEN:
        opened = state.opened_at
        if opened is not None:
            if now < opened:  # the clock went backwards: restart the timeout from now
                return BreakerState(_OPEN, 0, 0, now, 0), CircuitOpen(
                    now + config.open_timeout, key
                )
            until = opened + config.open_timeout
            if now < until:  # (OPEN, REFUSE) -> OPEN
                return state, CircuitOpen(until, key)
        return _enter(TRANSITIONS[_OPEN, _E.ADMIT], now), None
    in_flight = state.in_flight
    if in_flight < config.half_open_max_calls:  # (HALF_OPEN, ADMIT) -> HALF_OPEN
        return BreakerState(_HALF_OPEN, 0, state.successes, None, in_flight + 1), None
    return state, CircuitOpen(now, key)  # (HALF_OPEN, REFUSE): a trial is in flight


def breaker_admit(
    config: BreakerConfig, state: BreakerState, now: float
) -> tuple[BreakerState, CircuitOpen | None]:
    """May a call go out at ``now``? The next state, and None (go) or the refusal."""
    return _admit(config, state, now, "")


def _event(config: BreakerConfig, state: BreakerState, outcome: Outcome) -> BreakerEvent:
    mode = state.mode
    if mode is _CLOSED:
        if outcome is Outcome.FAILURE:
            return _E.TRIP if state.failures + 1 >= config.failure_threshold else _E.FAILURE
        return _E.SUCCESS if outcome is Outcome.SUCCESS else _E.IGNORED
    if mode is _OPEN or state.in_flight <= 0:
        return _E.STALE
    if outcome is Outcome.SUCCESS:
        return _E.RECOVER if state.successes + 1 >= config.success_threshold else _E.SUCCESS
    return _E.FAILURE if outcome is Outcome.FAILURE else _E.IGNORED


def breaker_record(
    config: BreakerConfig, state: BreakerState, outcome: Outcome, now: float
) -> BreakerState:
    """Fold the outcome of an admitted call into the state."""
    if outcome is _SUCCESS and state.mode is _CLOSED and not state.failures:
        return state  # the common case, (CLOSED, SUCCESS) with nothing to reset: no change
    event = _event(config, state, outcome)
    mode = state.mode
    nxt = TRANSITIONS[mode, event]
    if nxt is not mode:
        return _enter(nxt, now)
    if mode is _CLOSED:
        if event is _E.FAILURE:
            return BreakerState(_CLOSED, state.failures + 1, 0, None, 0)
        if event is _E.SUCCESS and state.failures:
            return _FRESH
        return state
    if event is _E.SUCCESS:
        return BreakerState(_HALF_OPEN, 0, state.successes + 1, None, state.in_flight - 1)
    if event is _E.IGNORED:
        return BreakerState(_HALF_OPEN, 0, state.successes, None, state.in_flight - 1)
    return state  # STALE


@attrs.frozen(repr=False)
class BreakerBoard(Value):
    """One breaker per key (an endpoint or a model), all with the same config.

    ``states`` holds only keys whose breaker is not fresh; an absent key is a fresh CLOSED
    breaker.
    """

    config: BreakerConfig = attrs.field(factory=BreakerConfig)
    states: immutables.Map[str, BreakerState] = attrs.field(factory=immutables.Map)


def _put(
    states: immutables.Map[str, BreakerState], key: str, state: BreakerState
) -> immutables.Map[str, BreakerState]:
    if state is _FRESH:
        return states.delete(key) if key in states else states
    return states.set(key, state)


def board_admit(
    board: BreakerBoard, key: str, now: float
) -> tuple[BreakerBoard, CircuitOpen | None]:
    """``breaker_admit`` for the breaker of ``key``; a refusal names the key."""
    states = board.states
    state = states.get(key, _FRESH)
    new, refusal = _admit(board.config, state, now, key)
    if new is state:
        return board, refusal
    return BreakerBoard(board.config, _put(states, key, new)), refusal


def board_record(board: BreakerBoard, key: str, outcome: Outcome, now: float) -> BreakerBoard:
    """``breaker_record`` for the breaker of ``key``."""
    states = board.states
    state = states.get(key, _FRESH)
    new = breaker_record(board.config, state, outcome, now)
    if new is state:
        return board
    return BreakerBoard(board.config, _put(states, key, new))
