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
- ``BreakerOutcome.IGNORED`` (a cancelled call, or an error that says nothing about the
  service's health: a 429, a local refusal, bad input caught before sending) counts nothing; in
  HALF_OPEN it frees the trial slot. A call that was admitted but then not sent (another
  limiter refused it) gives its slot back by recording ``IGNORED``, or by dropping the state
  ``breaker_admit`` returned. Which outcome each error is, is the policy's table
  (``OUTCOMES`` in :mod:`~hf_pure.reliability.outcomes`, shown below): a refusal of the request
  itself (400, 401, 403, 404, 422) is an answer from a working service, a SUCCESS; a 408 and
  a timeout on our side are FAILUREs.

Outcomes that cannot belong to a call this breaker is waiting for are *stale* and change
nothing: every outcome recorded while OPEN (a call admitted before the circuit opened, or a
sibling trial of the one that re-opened it), and every outcome recorded in HALF_OPEN while no
trial is in flight. Without call tickets a stale outcome that arrives while a trial *is* in
flight cannot be told apart from the trial's own; it is counted as the trial's.

If ``now`` is earlier than ``opened_at`` (the clock went backwards, e.g. a state restored on
another machine), the open timeout restarts from ``now`` instead of lasting beyond
``open_timeout``. An OPEN state without ``opened_at`` (only possible from hand-written data)
counts as timed out.

The counting decides an *event*; every transition then goes through one table,
``TRANSITIONS`` (h11 style): ``(mode, event) -> (next mode, effect)``, and nothing else
changes a state. The effect says what happens to the counters (``opened_at = now`` on
entering OPEN, ``in_flight = 1`` on entering HALF_OPEN, a fresh state on entering CLOSED)::

    mode       event    condition                                 next       effect
    ---------  -------  ----------------------------------------  ---------  ----------------
    CLOSED     ADMIT    always                                    CLOSED     NOTHING
    CLOSED     SUCCESS  -                                         CLOSED     RESET_FAILURES
    CLOSED     FAILURE  failures + 1 < failure_threshold          CLOSED     COUNT_FAILURE
    CLOSED     TRIP     failures + 1 >= failure_threshold         OPEN       START_TIMEOUT
    CLOSED     IGNORED  -                                         CLOSED     NOTHING
    OPEN       REFUSE   now < opened_at + open_timeout            OPEN       NOTHING
    OPEN       RESTART  now < opened_at (the clock went back)     OPEN       START_TIMEOUT
    OPEN       ADMIT    now >= opened_at + open_timeout           HALF_OPEN  FIRST_TRIAL
    OPEN       STALE    any outcome                               OPEN       NOTHING
    HALF_OPEN  ADMIT    in_flight < half_open_max_calls           HALF_OPEN  TAKE_SLOT
    HALF_OPEN  REFUSE   in_flight >= half_open_max_calls          HALF_OPEN  NOTHING
    HALF_OPEN  SUCCESS  successes + 1 < success_threshold         HALF_OPEN  COUNT_SUCCESS
    HALF_OPEN  RECOVER  successes + 1 >= success_threshold        CLOSED     FRESH
    HALF_OPEN  FAILURE  -                                         OPEN       START_TIMEOUT
    HALF_OPEN  IGNORED  -                                         HALF_OPEN  FREE_SLOT
    HALF_OPEN  STALE    any outcome while in_flight == 0          HALF_OPEN  NOTHING

Effects: NOTHING keeps the state; RESET_FAILURES sets ``failures = 0``; COUNT_FAILURE adds
one; START_TIMEOUT sets ``opened_at = now`` with every count 0; FIRST_TRIAL is
``in_flight = 1`` with every other count 0; TAKE_SLOT adds one trial in flight; COUNT_SUCCESS
adds one success and frees its slot; FREE_SLOT frees one; FRESH is the fresh CLOSED state.

:class:`BreakerBoard` keeps one breaker per key (endpoint or model) in a persistent map; an
absent key is a fresh CLOSED breaker, and a breaker that returns to that fresh state is dropped
from the map again, so the map only holds keys that are failing or recovering. The policy's
map (``ReliabilityState.breakers``) follows the same rule, through :func:`put_breaker`.
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
    "BreakerEffect",
    "BreakerEvent",
    "BreakerMode",
    "BreakerState",
    "BreakerOutcome",
    "FRESH",
    "board_admit",
    "board_record",
    "breaker_admit",
    "breaker_record",
    "put_breaker",
]


class BreakerMode(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BreakerOutcome(enum.StrEnum):
    """What an admitted call told us about the endpoint's health."""

    SUCCESS = "success"
    FAILURE = "failure"
    IGNORED = "ignored"


class BreakerEvent(enum.StrEnum):
    """The events of the transition table (decided by the counting around it)."""

    ADMIT = "admit"
    REFUSE = "refuse"
    RESTART = "restart"
    SUCCESS = "success"
    FAILURE = "failure"
    IGNORED = "ignored"
    TRIP = "trip"
    RECOVER = "recover"
    STALE = "stale"


class BreakerEffect(enum.StrEnum):
    """What a transition does to the counters (see the module docstring)."""

    NOTHING = "nothing"
    RESET_FAILURES = "reset_failures"
    COUNT_FAILURE = "count_failure"
    START_TIMEOUT = "start_timeout"
    FIRST_TRIAL = "first_trial"
    TAKE_SLOT = "take_slot"
    COUNT_SUCCESS = "count_success"
    FREE_SLOT = "free_slot"
    FRESH = "fresh"


_CLOSED: Final = BreakerMode.CLOSED
_OPEN: Final = BreakerMode.OPEN
_HALF_OPEN: Final = BreakerMode.HALF_OPEN

_E = BreakerEvent
_X = BreakerEffect
_SUCCESS: Final = BreakerOutcome.SUCCESS
_FAILURE: Final = BreakerOutcome.FAILURE

TRANSITIONS: Final = MappingProxyType(
    {
        (_CLOSED, _E.ADMIT): (_CLOSED, _X.NOTHING),
        (_CLOSED, _E.SUCCESS): (_CLOSED, _X.RESET_FAILURES),
        (_CLOSED, _E.FAILURE): (_CLOSED, _X.COUNT_FAILURE),
        (_CLOSED, _E.TRIP): (_OPEN, _X.START_TIMEOUT),
        (_CLOSED, _E.IGNORED): (_CLOSED, _X.NOTHING),
        (_OPEN, _E.REFUSE): (_OPEN, _X.NOTHING),
        (_OPEN, _E.RESTART): (_OPEN, _X.START_TIMEOUT),
        (_OPEN, _E.ADMIT): (_HALF_OPEN, _X.FIRST_TRIAL),
        (_OPEN, _E.STALE): (_OPEN, _X.NOTHING),
        (_HALF_OPEN, _E.ADMIT): (_HALF_OPEN, _X.TAKE_SLOT),
        (_HALF_OPEN, _E.REFUSE): (_HALF_OPEN, _X.NOTHING),
        (_HALF_OPEN, _E.SUCCESS): (_HALF_OPEN, _X.COUNT_SUCCESS),
        (_HALF_OPEN, _E.RECOVER): (_CLOSED, _X.FRESH),
        (_HALF_OPEN, _E.FAILURE): (_OPEN, _X.START_TIMEOUT),
        (_HALF_OPEN, _E.IGNORED): (_HALF_OPEN, _X.FREE_SLOT),
        (_HALF_OPEN, _E.STALE): (_HALF_OPEN, _X.NOTHING),
    }
)
"""(mode, event) -> (next mode, effect): every transition of the breaker. A pair that is
missing cannot happen (looking it up raises KeyError)."""

# The per-request path (a closed breaker admitting, then a success) still reads the table,
# with its keys and the effects it expects built once.
_CLOSED_ADMIT: Final = (_CLOSED, _E.ADMIT)
_CLOSED_SUCCESS: Final = (_CLOSED, _E.SUCCESS)
_NOTHING: Final = _X.NOTHING
_RESET: Final = _X.RESET_FAILURES


@attrs.frozen(repr=False)
class BreakerConfig(Value):
    """Thresholds of one breaker (validated: counts >= 1, ``open_timeout`` > 0 and finite)."""

    failure_threshold: int = attrs.field(default=5, validator=positive_int)
    success_threshold: int = attrs.field(default=2, validator=positive_int)
    open_timeout: float = attrs.field(default=60.0, validator=positive_seconds)
    half_open_max_calls: int = attrs.field(default=1, validator=positive_int)


class BreakerState(State, frozen=True, kw_only=True):
    """The breaker's state. ``opened_at`` is set in OPEN only; ``in_flight`` counts HALF_OPEN
    trials only; ``failures`` counts consecutive CLOSED failures, ``successes`` HALF_OPEN
    successes."""

    mode: BreakerMode = _CLOSED
    failures: int = 0
    successes: int = 0
    opened_at: float | None = None
    in_flight: int = 0


_FRESH: Final = BreakerState()
FRESH: Final = _FRESH
"""The fresh CLOSED state, the one an absent key stands for (transitions back to it give
this very object, which is how a map of breakers knows to drop the key)."""


def _step(state: BreakerState, event: BreakerEvent, now: float) -> BreakerState:
    """The one place a state changes: ``event`` looked up in ``TRANSITIONS`` and its effect
    applied (NOTHING, and a reset of no failures, give back ``state`` itself)."""
    mode, effect = TRANSITIONS[state.mode, event]
    if effect is _NOTHING or (effect is _RESET and not state.failures):
        return state if mode is state.mode else BreakerState(mode=mode)
    if effect is _RESET:
        if mode is _CLOSED and not state.successes and not state.in_flight:
            return _FRESH  # the board drops a key whose breaker is fresh (by identity)
        return BreakerState(mode=mode, successes=state.successes, in_flight=state.in_flight)
    if effect is _X.COUNT_FAILURE:
        return BreakerState(mode=mode, failures=state.failures + 1)
    if effect is _X.START_TIMEOUT:
        return BreakerState(mode=mode, opened_at=now)
    if effect is _X.FIRST_TRIAL:
        return BreakerState(mode=mode, in_flight=1)
    if effect is _X.TAKE_SLOT:
        return BreakerState(mode=mode, successes=state.successes, in_flight=state.in_flight + 1)
    if effect is _X.COUNT_SUCCESS:
        return BreakerState(mode=mode, successes=state.successes + 1, in_flight=state.in_flight - 1)
    if effect is _X.FREE_SLOT:
        return BreakerState(mode=mode, successes=state.successes, in_flight=state.in_flight - 1)
    return _FRESH if mode is _CLOSED else BreakerState(mode=mode)  # FRESH


def _admit(
    config: BreakerConfig, state: BreakerState, now: float, key: str
) -> tuple[BreakerState, CircuitOpen | None]:
    mode = state.mode
    if mode is _CLOSED:
        return _step(state, _E.ADMIT, now), None
    if mode is _OPEN:
        opened = state.opened_at
        if opened is not None:
            if now < opened:  # the clock went backwards: restart the timeout from now
                return _step(state, _E.RESTART, now), CircuitOpen(now + config.open_timeout, key)
            until = opened + config.open_timeout
            if now < until:
                return _step(state, _E.REFUSE, now), CircuitOpen(until, key)
        return _step(state, _E.ADMIT, now), None
    if state.in_flight < config.half_open_max_calls:
        return _step(state, _E.ADMIT, now), None
    return _step(state, _E.REFUSE, now), CircuitOpen(now, key)  # a trial is in flight


def breaker_admit(
    config: BreakerConfig, state: BreakerState, now: float
) -> tuple[BreakerState, CircuitOpen | None]:
    """May a call go out at ``now``? The next state, and None (go) or the refusal."""
    if state.mode is _CLOSED:
        mode, effect = TRANSITIONS[_CLOSED_ADMIT]
        if mode is _CLOSED and effect is _NOTHING:
            return state, None
    return _admit(config, state, now, "")


def _event(config: BreakerConfig, state: BreakerState, outcome: BreakerOutcome) -> BreakerEvent:
    """The counting: which event an outcome is in ``state``."""
    mode = state.mode
    if mode is _CLOSED:
        if outcome is _FAILURE:
            return _E.TRIP if state.failures + 1 >= config.failure_threshold else _E.FAILURE
        return _E.SUCCESS if outcome is _SUCCESS else _E.IGNORED
    if mode is _OPEN or state.in_flight <= 0:
        return _E.STALE
    if outcome is _SUCCESS:
        return _E.RECOVER if state.successes + 1 >= config.success_threshold else _E.SUCCESS
    return _E.FAILURE if outcome is _FAILURE else _E.IGNORED


def breaker_record(
    config: BreakerConfig, state: BreakerState, outcome: BreakerOutcome, now: float
) -> BreakerState:
    """Fold the outcome of an admitted call into the state."""
    if outcome is _SUCCESS and state.mode is _CLOSED and not state.failures:
        mode, effect = TRANSITIONS[_CLOSED_SUCCESS]
        if mode is _CLOSED and (effect is _RESET or effect is _NOTHING):
            return state  # nothing to reset
    return _step(state, _event(config, state, outcome), now)


@attrs.frozen(repr=False)
class BreakerBoard(Value):
    """One breaker per key (an endpoint or a model), all with the same config.

    ``states`` holds only keys whose breaker is not fresh; an absent key is a fresh CLOSED
    breaker.
    """

    config: BreakerConfig = attrs.field(factory=BreakerConfig)
    states: immutables.Map[str, BreakerState] = attrs.field(factory=immutables.Map)


def put_breaker(
    states: immutables.Map[str, BreakerState], key: str, state: BreakerState
) -> immutables.Map[str, BreakerState]:
    """``states`` with ``key``'s breaker now ``state``: a fresh CLOSED breaker is no entry
    (the key is dropped), so the map holds only the keys that are failing or recovering."""
    if state is _FRESH or state == _FRESH:
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
    return BreakerBoard(board.config, put_breaker(states, key, new)), refusal


def board_record(
    board: BreakerBoard, key: str, outcome: BreakerOutcome, now: float
) -> BreakerBoard:
    """``breaker_record`` for the breaker of ``key``."""
    states = board.states
    state = states.get(key, _FRESH)
    new = breaker_record(board.config, state, outcome, now)
    if new is state:
        return board
    return BreakerBoard(board.config, put_breaker(states, key, new))
