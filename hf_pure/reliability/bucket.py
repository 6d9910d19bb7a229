"""Token bucket rate limiter: one bucket per window, taken from all-or-nothing.

Each configured request window (``per_second``, ``per_minute``, ``per_hour``; each optional) is
a bucket of ``capacity`` requests that starts full and refills continuously at ``rate =
capacity / window seconds``::

    level = min(capacity, level + elapsed * rate)

``try_take(config, state, n, now)`` refills every bucket to ``now`` and then either takes ``n``
from *every* window (``TAKEN``) or from none of them (``WAIT``; the crate this grew from took
from some windows even when another refused). A ``WAIT`` carries the exact wait: asking again
with the returned state at ``now + wait`` succeeds (the wait is rounded up to the float that
makes it so), and names the window that binds. Asking for more than a window can ever hold is
``NEVER`` at once, with the reason: waiting would not help.

With ``tokens_per_minute`` set, the LLM token budget is one more bucket (capacity
``tokens_per_minute``, refilled continuously at ``tokens_per_minute / 60`` per second). It is
not taken from up front, as a reply's size is unknown: ``try_take`` only requires its level to
be above zero, and ``charge_tokens`` subtracts the ``usage.total_tokens`` a reply reports after
the fact. The level may go below zero: a debt that must refill before the next request goes.

Time: a ``now`` earlier than ``updated_at`` (the clock went backwards, e.g. a state restored on
another machine) adds and removes no tokens; refill continues from that ``now``. A state that
does not fit the config (another number of windows, after a config change) starts full again;
levels above a lowered capacity are cut to it.

Decision table for ``try_take(n)`` (checked top to bottom; the state after is always refilled
to ``now``, with ``updated_at = now``)::

    condition                                          answer                  taken
    -------------------------------------------------  ----------------------  ---------------
    n < 0, NaN, or n > capacity of some window         NEVER(window, reason)   nothing
    every window has level >= n, and the token level   TAKEN                   n from every
      (when budgeted) is > 0                                                   request window
    otherwise                                          WAIT(wait, window)      nothing

    ``charge_tokens(t)``: refill to ``now``; with a token budget and t > 0, token level -= t.
"""

from __future__ import annotations

import enum
import math
from types import MappingProxyType
from typing import Any, Final

import attrs

from hf_pure.core.state import State
from hf_pure.core.value import Value

__all__ = [
    "BucketConfig",
    "BucketState",
    "Take",
    "TakeKind",
    "bucket_start",
    "charge_tokens",
    "try_take",
]

_SPANS: Final = (("per_second", 1.0), ("per_minute", 60.0), ("per_hour", 3600.0))
_TOKENS: Final = "tokens_per_minute"
_WAIT_REASONS: Final = MappingProxyType(
    {
        "per_second": "too few requests left in the per_second window",
        "per_minute": "too few requests left in the per_minute window",
        "per_hour": "too few requests left in the per_hour window",
        _TOKENS: "the tokens_per_minute budget is spent until it refills",
    }
)


def _check_rate(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{attribute.name}: must be a number (or None to turn it off)")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{attribute.name}: must be a positive, finite number (or None)")


@attrs.frozen(repr=False)
class BucketConfig(Value):
    """Capacities per window (None turns a window off); at least one request window is set.

    ``tokens_per_minute`` (None: no budget) is the LLM token budget, charged after each reply.
    """

    per_second: float | None = attrs.field(default=10.0, validator=_check_rate)
    per_minute: float | None = attrs.field(default=500.0, validator=_check_rate)
    per_hour: float | None = attrs.field(default=10000.0, validator=_check_rate)
    tokens_per_minute: float | None = attrs.field(default=None, validator=_check_rate)
    # Derived once (not serialized): (name, capacity, rate) per set window, the smallest
    # capacity, the capacities (a full start), the token refill rate, and the NEVER answer.
    _windows: tuple[tuple[str, float, float], ...] = attrs.field(init=False, repr=False, eq=False)
    _smallest: float = attrs.field(init=False, repr=False, eq=False)
    _full: tuple[float, ...] = attrs.field(init=False, repr=False, eq=False)
    _token_rate: float | None = attrs.field(init=False, repr=False, eq=False)
    _never: Take = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        caps = (self.per_second, self.per_minute, self.per_hour)
        windows = tuple(
            (name, float(cap), cap / span)
            for (name, span), cap in zip(_SPANS, caps, strict=True)
            if cap is not None
        )
        if not windows:
            raise ValueError(
                "per_second: at least one request window (per_second, per_minute or per_hour) "
                "must be set"
            )
        tpm = self.tokens_per_minute
        object.__setattr__(self, "_windows", windows)
        object.__setattr__(self, "_smallest", min(w[1] for w in windows))
        object.__setattr__(self, "_full", tuple(w[1] for w in windows))
        object.__setattr__(self, "_token_rate", None if tpm is None else tpm / 60.0)
        name, cap, _ = min(windows, key=lambda w: w[1])
        reason = f"more requests at once than the {name} window can ever hold (capacity {cap:g})"
        object.__setattr__(
            self, "_never", Take(kind=TakeKind.NEVER, wait=math.inf, window=name, reason=reason)
        )


class BucketState(State, frozen=True, kw_only=True):
    """Levels of the request windows (in order second, minute, hour; set ones only) at
    ``updated_at``, and the token budget's level (None without a budget; below zero is a
    debt)."""

    levels: tuple[float, ...]
    updated_at: float
    token_level: float | None = None


class TakeKind(enum.StrEnum):
    TAKEN = "taken"
    WAIT = "wait"
    NEVER = "never"


class Take(State, frozen=True, kw_only=True):
    """The answer of ``try_take``: TAKEN; WAIT ``wait`` seconds for ``window``; or NEVER
    (``wait`` is inf) with the ``reason``."""

    kind: TakeKind
    wait: float = 0.0
    window: str = ""
    reason: str = ""


_TAKEN: Final = Take(kind=TakeKind.TAKEN)


def bucket_start(config: BucketConfig, now: float) -> BucketState:
    """A full bucket at ``now``."""
    return BucketState(levels=config._full, updated_at=now, token_level=config.tokens_per_minute)


def _refill(
    config: BucketConfig, state: BucketState, now: float
) -> tuple[list[float], float | None]:
    """The levels and the token level at ``now`` (no refill when the clock went back)."""
    windows = config._windows
    levels = state.levels
    elapsed = now - state.updated_at
    if not elapsed > 0:  # the clock went backwards (or stood still): no tokens come or go
        elapsed = 0.0
    if len(levels) != len(windows):  # a state from another config: start full
        refilled = list(config._full)
    else:
        refilled = []
        for (_, cap, rate), old in zip(windows, levels, strict=True):
            level = old + elapsed * rate
            refilled.append(cap if level > cap else level)
    return refilled, _refill_tokens(config, state, elapsed)


def _refill_tokens(config: BucketConfig, state: BucketState, elapsed: float) -> float | None:
    """The token level after ``elapsed`` (>= 0) seconds; a missing level starts full."""
    token_rate = config._token_rate
    if token_rate is None:
        return None
    token = state.token_level
    tpm = config.tokens_per_minute
    if token is None:
        return tpm
    token += elapsed * token_rate
    assert tpm is not None  # set whenever _token_rate is
    return tpm if token > tpm else token


def try_take(
    config: BucketConfig, state: BucketState, n: float, now: float
) -> tuple[BucketState, Take]:
    """Take ``n`` requests from every window at ``now``, or from none (WAIT / NEVER)."""
    windows = config._windows
    levels = state.levels
    if len(levels) != len(windows):  # a state from another config: start full
        state = BucketState(
            levels=config._full, updated_at=state.updated_at, token_level=state.token_level
        )
        levels = state.levels
    if 0.0 <= n <= config._smallest:
        # The hot path: refill and take in one pass; any shortage goes to _refuse.
        elapsed = now - state.updated_at
        if not elapsed > 0:  # the clock went backwards (or stood still)
            elapsed = 0.0
        taken = []
        for (_, cap, rate), old in zip(windows, levels, strict=True):
            level = old + elapsed * rate
            level = cap if level > cap else level
            if level < n:
                break
            taken.append(level - n)
        else:
            token_rate = config._token_rate
            if token_rate is None:
                return BucketState(levels=tuple(taken), updated_at=now, token_level=None), _TAKEN
            token = _refill_tokens(config, state, elapsed)
            if token is not None and token > 0.0:
                return BucketState(levels=tuple(taken), updated_at=now, token_level=token), _TAKEN
    return _refuse(config, state, n, now)


def _refuse(
    config: BucketConfig, state: BucketState, n: float, now: float
) -> tuple[BucketState, Take]:
    """The refilled state and the NEVER or WAIT answer (nothing is taken)."""
    levels, token = _refill(config, state, now)
    after = BucketState(levels=tuple(levels), updated_at=now, token_level=token)
    if not 0.0 <= n <= config._smallest:
        if n >= 0.0:
            return after, config._never
        return after, Take(
            kind=TakeKind.NEVER,
            wait=math.inf,
            window="",
            reason=f"cannot take {n!r}: n must be >= 0",
        )
    windows = config._windows
    wait, window = -1.0, ""
    for (name, _, rate), level in zip(windows, levels, strict=True):
        if level < n and (n - level) / rate > wait:
            wait, window = (n - level) / rate, name
    token_rate = config._token_rate
    if (
        token is not None
        and token <= 0.0
        and token_rate is not None
        and -token / token_rate >= wait
    ):
        wait, window = -token / token_rate, _TOKENS  # token <= 0 here (-0.0 when exactly 0)
    # Round the wait up until the refill computed at now + wait (as the next call will compute
    # it) brings every bucket there; each step moves now + wait on by one float.
    for _ in range(64):
        at = now + wait
        elapsed = at - now
        if token is None or token_rate is None or token + elapsed * token_rate > 0.0:
            for (_, _, rate), level in zip(windows, levels, strict=True):
                if level + elapsed * rate < n:
                    break
            else:
                break
        wait += max(math.ulp(at), math.ulp(wait))
    return after, Take(kind=TakeKind.WAIT, wait=wait, window=window, reason=_WAIT_REASONS[window])


def charge_tokens(
    config: BucketConfig, state: BucketState, tokens: float, now: float
) -> BucketState:
    """Subtract the ``tokens`` a reply used from the token budget (refilled to ``now``).

    Without a budget, or for ``tokens`` that is not > 0, the state is returned unchanged.
    """
    if config._token_rate is None or not tokens > 0:
        return state
    levels, token = _refill(config, state, now)
    assert token is not None  # a budget is set
    return BucketState(levels=tuple(levels), updated_at=now, token_level=token - tokens)
