"""The steps the reliability loops share (``ReliableRunner.run`` and ``.stream``): admit until
the request may go out, record an attempt, give an unfinished admission back, wait before a
retry. Each reads and writes the state cell with no await between the read and the write, so
on one event loop no update is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.errors import CircuitOpen, HfError, RateLimitedLocally
from hf_pure.reliability.policy import (
    Admitted,
    Drawn,
    Event,
    Hit,
    Policy,
    Recorded,
    Reject,
    Released,
    ReliabilityState,
    Send,
    Serve,
    Wait,
    admit,
    draw,
    record,
    record_hit,
    release,
)
from hf_pure.reliability.retry import GiveUp, retry_delay

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Cell(Protocol):
    """Where the loops read and write the state (a local box, or a ReliableRunner)."""

    state: ReliabilityState
    events: list[Event] | None

    @property
    def policy(self) -> Policy: ...


def dated(error: HfError, wall: Clock) -> HfError:
    """A refusal as the user gets it: a CircuitOpen says the wall-clock time of its next
    trial (the pure layer knows only the seconds until then, in its own clock)."""
    if isinstance(error, CircuitOpen) and error.retry_in is not None:
        return attrs.evolve(error, resume_at=wall() + error.retry_in)
    return error


def admission(
    cell: Cell,
    request: Any,
    start: float,
    now: float,
    failed: frozenset[int],
    wall: Clock,
    streamed: bool,
) -> tuple[Policy, Send] | Wait | Result[Any, HfError]:
    """Admit ``request`` at ``now``: ``(policy, Send)`` (it may go out, under that policy),
    ``Wait`` (the local rate limit: sleep, then admit again), or the answer without sending
    (a cache hit, a refusal, a rate-limit wait longer than the retry deadline allows).
    Synchronous: the loops sleep, so that the common path makes no coroutine."""
    policy = cell.policy
    cell.state, decision = admit(policy, cell.state, request, now, failed, streamed=streamed)
    log = cell.events
    if log is not None:
        log.append(Admitted(request, now, failed, streamed))
    if isinstance(decision, Send):
        return policy, decision
    if isinstance(decision, Serve):
        cell.state = record_hit(cell.state, request, now)
        if log is not None:
            log.append(Hit(request, now))
        return Success(decision.value)
    if isinstance(decision, Reject):
        return Failure(dated(decision.error, wall))
    deadline = policy.retry.deadline
    if deadline is not None and now - start + decision.seconds > deadline:
        return Failure(RateLimitedLocally(decision.seconds, "the retry deadline comes first"))
    return decision


def finish(
    cell: Cell,
    policy: Policy,
    request: Any,
    decision: Send,
    result: Result[Any, HfError],
    latency: float,
    done: float,
    sent: int,
    received: int,
) -> None:
    """Record one finished attempt (and log it)."""
    cell.state = record(
        policy,
        cell.state,
        request,
        decision,
        result,
        latency,
        done,
        bytes_sent=sent,
        bytes_received=received,
    )
    if cell.events is not None:
        cell.events.append(
            Recorded(
                request,
                decision,
                result,
                latency,
                done,
                bytes_sent=sent,
                bytes_received=received,
            )
        )


def give_back(cell: Cell, policy: Policy, decision: Send, now: float) -> None:
    """Give back an admission whose attempt never finished: its breaker trial slot and the
    endpoint's in-flight count; nothing is counted."""
    cell.state = release(policy, cell.state, decision, now)
    if cell.events is not None:
        cell.events.append(Released(decision, now))


async def backoff(
    cell: Cell, policy: Policy, attempt: int, error: HfError, elapsed: float, sleep: Sleep
) -> bool:
    """Wait before retry number ``attempt``; False: give up (the error is the answer)."""
    jitter, cell.state = draw(cell.state)
    if cell.events is not None:
        cell.events.append(Drawn())
    delay = retry_delay(policy.retry, attempt, error, jitter, elapsed)
    if isinstance(delay, GiveUp):
        return False
    await sleep(delay)
    return True
