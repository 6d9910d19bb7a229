"""Retry with exponential backoff and full jitter: a pure schedule.

``retry_delay(policy, attempt, error, draw, elapsed)`` answers how long to wait before the next
attempt, or :class:`GiveUp` with the reason. It reads no clock and draws no random number:
``attempt`` counts the attempts made so far (1 after the first failure), ``draw`` is a float in
[0, 1) taken from an :class:`~hf_pure.reliability.rand.Rng`, and ``elapsed`` is the time spent
since the first attempt started. The same inputs always give the same answer, so a run replays.

The delay for attempt ``n`` is "full jitter" (uniform between zero and the exponential ceiling)::

    ceiling = min(cap, base * multiplier ** (n - 1))
    delay   = max(draw * ceiling, server_wait(error) or 0)

``server_wait`` is what the server asked for: ``Retry-After`` (seconds or an HTTP date, already
turned into seconds), the ``RateLimit`` headers, or a loading model's ``estimated_time``. A
retry never comes sooner than the server asked, even when that is longer than ``cap``; but a
server that asks for more than ``max_server_wait`` (60 s by default) is not waited for: the
retry gives up and the caller gets the server's error (a ``Retry-After: 100000`` or an
``estimated_time`` of 1e308 never puts a caller to sleep).

Decision table, checked top to bottom (the first matching row answers)::

    condition                                         answer
    ------------------------------------------------  -----------------------------------------
    error not retryable (400/401/403/404/422, ...)    GiveUp("not retryable: ...")
    attempt >= max_attempts                           GiveUp("attempts exhausted: n of max")
    server asked to wait forever (inf)                GiveUp("the server asked to wait ...")
    server asked to wait > max_server_wait            GiveUp("the server asked to wait ...")
    deadline set and elapsed + delay > deadline       GiveUp("deadline: ...")
    otherwise                                         delay (seconds, >= 0)

Retryable errors are those of :func:`hf_pure.core.errors.is_retryable`: 408, 429, a loading
model, overload, 5xx except 501, timeouts, connection failures and cut streams. The local refusals
(circuit open, local rate limit, no healthy endpoint) carry their own waits and are not retried
here.

Presets: ``CONSERVATIVE`` (3 tries from 1 s, cap 30 s, deadline 120 s; also the defaults of
``RetryPolicy()``), ``AGGRESSIVE`` (5 tries from 0.5 s, cap 10 s, deadline 60 s) and
``NO_RETRY`` (a single try, deadline 60 s for the local rate-limit waits); all wait at most
60 s for a server.
"""

from __future__ import annotations

import math
from typing import Any, Final

import attrs

from hf_pure.core.checks import finite_number, positive_int, positive_seconds
from hf_pure.core.errors import HfError, is_retryable, server_wait
from hf_pure.core.value import Value

__all__ = [
    "AGGRESSIVE",
    "CONSERVATIVE",
    "NO_RETRY",
    "GiveUp",
    "RetryPolicy",
    "retry_delay",
]


def _check_multiplier(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if finite_number(attribute.name, value) < 1:
        raise ValueError(f"{attribute.name}: must be >= 1 (the delays must not shrink)")


def _check_deadline(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and finite_number(attribute.name, value) <= 0:
        raise ValueError(f"{attribute.name}: must be a positive number of seconds, or None")


@attrs.frozen(repr=False)
class RetryPolicy(Value):
    """How often and how patiently to retry. Validated: bad values raise ``ValueError``.

    ``max_attempts`` counts every try including the first (1 = never retry); ``base`` is the
    ceiling of the first backoff, growing by ``multiplier`` per attempt up to ``cap``;
    ``deadline`` (seconds since the first attempt started) bounds the whole exchange (None:
    no bound); ``max_server_wait`` is the longest wait a server may ask for and get.
    """

    max_attempts: int = attrs.field(default=3, validator=positive_int)
    base: float = attrs.field(default=1.0, validator=positive_seconds)
    cap: float = attrs.field(default=30.0, validator=positive_seconds)
    multiplier: float = attrs.field(default=2.0, validator=_check_multiplier)
    deadline: float | None = attrs.field(default=120.0, validator=_check_deadline)
    max_server_wait: float = attrs.field(default=60.0, validator=positive_seconds)


CONSERVATIVE: Final = RetryPolicy(max_attempts=3, base=1.0, cap=30.0, deadline=120.0)
AGGRESSIVE: Final = RetryPolicy(max_attempts=5, base=0.5, cap=10.0, deadline=60.0)
NO_RETRY: Final = RetryPolicy(max_attempts=1, deadline=60.0)


@attrs.frozen(repr=False)
class GiveUp(Value):
    """Do not retry; ``reason`` says why in words a user can act on."""

    reason: str


def retry_delay(
    policy: RetryPolicy, attempt: int, error: HfError, draw: float, elapsed: float = 0.0
) -> float | GiveUp:
    """Seconds to wait before the next attempt, or :class:`GiveUp`.

    ``attempt``: attempts made so far (1 after the first failure; values below 1 count as 1).
    ``draw``: a float in [0, 1) from an ``Rng``. ``elapsed``: seconds since the first attempt
    started. Never raises for data: odd server waits (negative, NaN) count as no wait.
    """
    if not is_retryable(error):
        return GiveUp(f"not retryable: {error.message}")
    if attempt >= policy.max_attempts:
        return GiveUp(f"attempts exhausted: {attempt} of {policy.max_attempts}")
    cap = policy.cap
    step = attempt - 1 if attempt > 1 else 0
    try:
        ceiling = policy.base * policy.multiplier**step
    except OverflowError:
        ceiling = cap
    delay = draw * (ceiling if ceiling < cap else cap)
    wait = server_wait(error)
    if wait is not None and wait > delay:
        if wait == math.inf:
            return GiveUp("the server asked to wait indefinitely before retrying")
        bound = policy.max_server_wait
        if wait > bound:
            return GiveUp(
                f"the server asked to wait {wait:g} s before retrying, more than "
                f"max_server_wait ({bound:g} s)"
            )
        delay = wait
    deadline = policy.deadline
    if deadline is not None and elapsed + delay > deadline:
        return GiveUp(
            f"deadline: the next attempt would start at {elapsed + delay:g} s, "
            f"past the {deadline:g} s deadline"
        )
    return delay
