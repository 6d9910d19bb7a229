"""A model's status as values, decided from status codes, headers and body fields (never from
the words of a message), and the pure plan :func:`wait_step` by which ``wait_for_model`` polls.

Statuses: :class:`Available`, :class:`Loading` (with the server's ``estimated_time``),
:class:`ModelNotFound`, :class:`Gated`, :class:`Unavailable` (with the reason, the HTTP status
and whether it is worth asking again).

The rules, for a reply of any status (:func:`status_from_reply`):

- 2xx: the model answered: Available. For a Hub model info probe, Available when the Hub says
  inference is warm or lists a live provider, else Unavailable (no provider serves it);
- 401/403 with ``X-Error-Code: GatedRepo``: Gated (the Hub's own code for "accept the terms
  first"); 404, or ``X-Error-Code: RepoNotFound``: ModelNotFound (the Hub answers 401 with that
  code for a private or missing repo);
- 503 whose JSON body has a number ``estimated_time``: Loading for that long;
- 503 without one, 429, 502, 504 and other 5xx but 501: Unavailable, transient (ask again);
- anything else (401/403 otherwise, 400, 422, 501, a redirect not followed): Unavailable.

:func:`status_from_result` reads the ``Result`` of ``runner.run`` the same way, through the
error values the runner's pure ``error_from_reply`` made of the reply.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.checks import positive_seconds
from hf_pure.core.codec import JSONDecodeError, loads
from hf_pure.core.errors import (
    HfError,
    ModelLoading,
    NotFound,
    Unauthorized,
    is_retryable,
)
from hf_pure.core.failures import error_from_reply
from hf_pure.core.http import RawReply
from hf_pure.core.state import State
from hf_pure.core.value import Value
from hf_pure.tasks._read import number
from hf_pure.tasks.hub_reply import ModelInfo, decode_model_info

# ----------------------------------------------------------------------------- statuses


class Available(State, frozen=True, kw_only=True):
    """The model answers. ``providers``: the live providers, when the Hub was asked."""

    model: str
    providers: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        served = f" (live on {', '.join(self.providers)})" if self.providers else ""
        return f"{self.model} is available{served}"


class Loading(State, frozen=True, kw_only=True):
    """The model is being loaded; ``estimated_time`` is the server's estimate in seconds."""

    model: str
    estimated_time: float | None = None

    @property
    def message(self) -> str:
        eta = f", ready in about {self.estimated_time:g} s" if self.estimated_time else ""
        return f"{self.model} is loading{eta}"


class ModelNotFound(State, frozen=True, kw_only=True):
    """No such model (or a private one this token can't see)."""

    model: str
    detail: str = ""

    @property
    def message(self) -> str:
        return f"{self.model} was not found" + (f": {self.detail}" if self.detail else "")


class Gated(State, frozen=True, kw_only=True):
    """The model is gated and this token has no access yet (accept its terms on the Hub)."""

    model: str
    detail: str = ""

    @property
    def message(self) -> str:
        return (
            f"{self.model} is gated: accept its conditions on its Hub page with the account of "
            "the token" + (f" ({self.detail})" if self.detail else "")
        )


class Unavailable(State, frozen=True, kw_only=True):
    """The model can't be used now. ``transient``: asking again later may work."""

    model: str
    reason: str
    status: int | None = None
    transient: bool = False

    @property
    def message(self) -> str:
        code = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.model} is unavailable{code}: {self.reason}"


ModelStatus: TypeAlias = Available | Loading | ModelNotFound | Gated | Unavailable

_TRANSIENT: Final = frozenset({429, 502, 503, 504})


def _transient(status: int) -> bool:
    return status in _TRANSIENT or (status >= 500 and status != 501)


def _estimated_time(body: bytes) -> float | None:
    """The body's ``estimated_time`` when it is a finite number >= 0 (else None)."""
    try:
        obj: Any = loads(body)
    except JSONDecodeError:
        return None
    if type(obj) is not dict:
        return None
    value = number(obj.get("estimated_time"), "", "estimated_time")
    return value if type(value) is float and value >= 0 else None


def status_from_info(info: ModelInfo) -> ModelStatus:
    """From the Hub's model info: Available when inference is warm or a provider is live."""
    live = info.live_providers
    if info.warm or live:
        return Available(model=info.id, providers=live)
    return Unavailable(
        model=info.id, reason="no inference provider serves it (none live, not warm)"
    )


def status_from_reply(model: str, reply: RawReply, *, hub: bool = False) -> ModelStatus:
    """The status a reply of any status shows (see the module's rules). ``hub``: the reply is
    the Hub's model info (:func:`~hf_pure.tasks.hub.model_info`), else a task's answer."""
    code = reply.status
    if 200 <= code < 300:
        if not hub:
            return Available(model=model)
        decoded = decode_model_info(reply, asked=model)
        if isinstance(decoded, Failure):
            return Unavailable(model=model, reason=decoded.failure().message, status=code)
        return status_from_info(decoded.unwrap())
    hub_code = reply.headers.get("x-error-code")
    detail = str(getattr(error_from_reply(reply), "detail", ""))  # the body's message, read once
    if code in (401, 403) and hub_code == "GatedRepo":
        return Gated(model=model, detail=detail)
    if code == 404 or hub_code == "RepoNotFound":
        return ModelNotFound(model=model, detail=detail)
    if code == 503:
        eta = _estimated_time(reply.body)
        if eta is not None:
            return Loading(model=model, estimated_time=eta)
    if 300 <= code < 400:
        where = reply.headers.get("location")
        reason = f"redirected to {where} (not followed)" if where else "redirected (not followed)"
        return Unavailable(model=model, reason=reason, status=code)
    reason = detail or f"the server answered HTTP {code}"
    return Unavailable(model=model, reason=reason, status=code, transient=_transient(code))


def status_from_error(model: str, error: HfError) -> ModelStatus:
    """The status an error of ``runner.run`` shows (the error values carry what the reply
    said: ``ModelLoading`` its estimated time, ``NotFound`` the 404)."""
    if isinstance(error, ModelLoading):
        return Loading(model=model, estimated_time=error.estimated_time)
    if isinstance(error, NotFound):
        return ModelNotFound(model=model, detail=error.detail)
    status = getattr(error, "status", None)
    status = status if type(status) is int else None
    if isinstance(error, Unauthorized):
        return Unavailable(model=model, reason=error.message, status=status)
    return Unavailable(
        model=model, reason=error.message, status=status, transient=is_retryable(error)
    )


def status_from_result(model: str, result: Result[object, HfError]) -> ModelStatus:
    """The status the ``Result`` of sending a request to ``model`` shows."""
    if isinstance(result, Success):
        value = result.unwrap()
        return status_from_info(value) if isinstance(value, ModelInfo) else Available(model=model)
    return status_from_error(model, result.failure())


# ----------------------------------------------------------------------------- the wait plan


@attrs.frozen(repr=False)
class WaitPlan(Value):
    """How to wait for a model: poll every ``interval`` seconds (or after the server's
    ``estimated_time`` when it is longer and ``honour_estimate``), give up ``deadline``
    seconds after the start. The last poll is placed at the deadline, never after it."""

    deadline: float = attrs.field(default=300.0, validator=positive_seconds)
    interval: float = attrs.field(default=5.0, validator=positive_seconds)
    honour_estimate: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))

    @classmethod
    def quick(cls) -> WaitPlan:
        """Poll every 2 s, for up to 2 minutes (:data:`QUICK_POLL`)."""
        return QUICK_POLL

    @classmethod
    def steady(cls) -> WaitPlan:
        """Poll every 5 s, for up to 5 minutes (:data:`STEADY_POLL`, the default)."""
        return STEADY_POLL

    @classmethod
    def patient(cls) -> WaitPlan:
        """Poll every 10 s, for up to 15 minutes (:data:`PATIENT_POLL`)."""
        return PATIENT_POLL


#: Presets: poll every 2, 5 or 10 seconds, for up to 2, 5 or 15 minutes.
QUICK_POLL: Final = WaitPlan(interval=2.0, deadline=120.0)
STEADY_POLL: Final = WaitPlan(interval=5.0, deadline=300.0)
PATIENT_POLL: Final = WaitPlan(interval=10.0, deadline=900.0)


class WaitState(State, frozen=True, kw_only=True):
    """Where a wait is: when it started (the caller's clock) and how many polls were read."""

    started: float
    polls: int = 0


class ModelReady(State, frozen=True, kw_only=True):
    """Stop: the model answered."""

    status: Available


class PollAgain(State, frozen=True, kw_only=True):
    """Poll again after ``after`` seconds."""

    after: float


class StopWaiting(State, frozen=True, kw_only=True):
    """Stop without the model: ``status`` is the last seen, ``reason`` why waiting ended."""

    status: ModelStatus
    reason: str


WaitDecision: TypeAlias = ModelReady | PollAgain | StopWaiting

_AT_DEADLINE: Final = 1e-6  # seconds: closer than this to the deadline is at it (float sums)


def wait_start(now: float) -> WaitState:
    """A wait starting at ``now``."""
    return WaitState(started=now)


def wait_step(
    plan: WaitPlan, state: WaitState, observed: ModelStatus, now: float
) -> tuple[WaitState, WaitDecision]:
    """What to do after a poll that showed ``observed`` at ``now``. Pure.

    Available: ready. Not found, gated, or unavailable for good: stop. Loading or unavailable
    for now: poll again after ``interval`` (or the server's estimate, when longer and
    honoured), but no later than the deadline; at the deadline (within a microsecond, for the
    clock's float sums) or past it: stop."""
    state = WaitState(started=state.started, polls=state.polls + 1)
    match observed:
        case Available():
            return state, ModelReady(status=observed)
        case Loading() | Unavailable(transient=True):
            pass
        case _:
            return state, StopWaiting(status=observed, reason=observed.message)
    left = state.started + plan.deadline - now
    if left <= _AT_DEADLINE:
        waited = now - state.started
        return state, StopWaiting(
            status=observed,
            reason=f"gave up after {waited:g} s and {state.polls} polls: {observed.message}",
        )
    wait = plan.interval
    if isinstance(observed, Loading) and plan.honour_estimate and observed.estimated_time:
        wait = max(wait, observed.estimated_time)
    return state, PollAgain(after=min(wait, left))


__all__ = [
    "PATIENT_POLL",
    "QUICK_POLL",
    "STEADY_POLL",
    "Available",
    "Gated",
    "Loading",
    "ModelNotFound",
    "ModelReady",
    "ModelStatus",
    "PollAgain",
    "StopWaiting",
    "Unavailable",
    "WaitDecision",
    "WaitPlan",
    "WaitState",
    "status_from_error",
    "status_from_info",
    "status_from_reply",
    "status_from_result",
    "wait_start",
    "wait_step",
]
