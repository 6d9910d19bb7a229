"""HfError: the one closed family of error values.

Nothing in hf_pure raises for something the network, the server or the caller's data can do;
it returns ``Failure(error)`` with one of these frozen values instead. Match on them::

    match result:
        case Success(answer): ...
        case Failure(hf.RateLimited(retry_after=wait)): ...
        case Failure(error): print(error.message)

Every error has a ``message`` a user can act on, and a ``request_id`` when the server sent one.
No error ever holds the token (the runner scrubs it from server-supplied text as well).

``HfErrorBase`` and ``InvalidInput`` are defined in :mod:`hf_pure.core.error_base` (what
``import hf_pure`` loads) and are the same objects here; this module loads with the first
error, so that a program whose calls succeed never builds the other classes.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

from hf_pure.core.error_base import HfErrorBase as HfErrorBase  # noqa: PLC0414
from hf_pure.core.error_base import InvalidInput as InvalidInput  # noqa: PLC0414


def _opt(text: str | None) -> str:
    return f": {text}" if text else ""


def _seconds(value: float) -> str:
    return f"{value:g} s"


@attrs.frozen(repr=False, eq=False, slots=False)
class MissingToken(HfErrorBase):
    """No token was found; ``looked`` names every place that was searched, in order."""

    looked: tuple[str, ...]
    request_id: str | None = None

    @property
    def message(self) -> str:
        places = "; ".join(self.looked)
        return (
            "no Hugging Face token found (looked in: "
            f"{places}). Set HF_TOKEN or HUGGINGFACE_API_KEY, or pass token=..."
        )


@attrs.frozen(repr=False, eq=False, slots=False)
class Unauthorized(HfErrorBase):
    """401/403: the token is missing, wrong, or lacks access to this model."""

    status: int
    detail: str = ""
    request_id: str | None = None

    @property
    def message(self) -> str:
        what = "the token was refused" if self.status == 401 else "access denied"
        return (
            f"{what} (HTTP {self.status}){_opt(self.detail)}; check the token "
            "(HF_TOKEN / HUGGINGFACE_API_KEY) and that it may use this model"
        )


@attrs.frozen(repr=False, eq=False, slots=False)
class NotFound(HfErrorBase):
    """404: no such model, provider mapping or route."""

    detail: str = ""
    request_id: str | None = None

    @property
    def message(self) -> str:
        return f"not found (HTTP 404){_opt(self.detail)}; check the model id and provider"


@attrs.frozen(repr=False, eq=False, slots=False)
class RateLimited(HfErrorBase):
    """429 from the server. ``retry_after`` is in seconds when the server said how long."""

    retry_after: float | None = None
    detail: str = ""
    request_id: str | None = None

    @property
    def message(self) -> str:
        wait = f"; retry after {_seconds(self.retry_after)}" if self.retry_after is not None else ""
        return f"rate limited by the server (HTTP 429){_opt(self.detail)}{wait}"


@attrs.frozen(repr=False, eq=False, slots=False)
class ModelLoading(HfErrorBase):
    """503 while the model is being loaded; ``estimated_time`` in seconds when known."""

    estimated_time: float | None = None
    detail: str = ""
    request_id: str | None = None

    @property
    def message(self) -> str:
        eta = (
            f"; estimated ready in {_seconds(self.estimated_time)}"
            if self.estimated_time is not None
            else ""
        )
        return f"the model is loading (HTTP 503){_opt(self.detail)}{eta}; retry later"


@attrs.frozen(repr=False, eq=False, slots=False)
class Overloaded(HfErrorBase):
    """The server said it is overloaded (TGI ``error_type: overloaded``)."""

    status: int
    detail: str = ""
    retry_after: float | None = None
    request_id: str | None = None

    @property
    def message(self) -> str:
        return f"the server is overloaded (HTTP {self.status}){_opt(self.detail)}; retry later"


@attrs.frozen(repr=False, eq=False, slots=False)
class ServerError(HfErrorBase):
    """A 5xx the server gave no more specific meaning to."""

    status: int
    detail: str = ""
    retry_after: float | None = None
    request_id: str | None = None

    @property
    def message(self) -> str:
        return f"server error (HTTP {self.status}){_opt(self.detail)}"


@attrs.frozen(repr=False, eq=False, slots=False)
class BadRequest(HfErrorBase):
    """Another 4xx: the server refused the request; ``detail`` is its message."""

    status: int
    detail: str = ""
    error_type: str | None = None
    request_id: str | None = None

    @property
    def message(self) -> str:
        kind = f" [{self.error_type}]" if self.error_type else ""
        return f"request refused (HTTP {self.status}){kind}{_opt(self.detail)}"


@attrs.frozen(repr=False, eq=False, slots=False)
class GenerationFailed(HfErrorBase):
    """TGI ``error_type`` generation or incomplete_generation: the model failed mid-way."""

    error_type: str
    detail: str = ""
    status: int | None = None
    request_id: str | None = None

    @property
    def message(self) -> str:
        return f"generation failed [{self.error_type}]{_opt(self.detail)}"


@attrs.frozen(repr=False, eq=False, slots=False)
class Timeout(HfErrorBase):
    """No answer in time. ``phase`` is connect, read (idle between bytes) or total."""

    phase: str
    seconds: float
    request_id: str | None = None

    @property
    def message(self) -> str:
        return f"timed out ({self.phase} timeout of {_seconds(self.seconds)})"


@attrs.frozen(repr=False, eq=False, slots=False)
class ConnectionFailed(HfErrorBase):
    """The connection could not be made, or broke before a whole reply arrived."""

    reason: str
    request_id: str | None = None

    @property
    def message(self) -> str:
        return f"connection failed: {self.reason}"


@attrs.frozen(repr=False, eq=False, slots=False)
class StreamInterrupted(HfErrorBase):
    """A stream ended before it was complete. ``received`` keeps the text that did arrive."""

    received: str
    chunks: int
    reason: str
    request_id: str | None = None

    @property
    def message(self) -> str:
        return (
            f"the stream was interrupted after {self.chunks} chunks ({self.reason}); "
            f"the {len(self.received)} characters received are kept in .received"
        )


@attrs.frozen(repr=False, eq=False, slots=False)
class ErrorEvent(HfErrorBase):
    """The server reported an error inside a 2xx reply: an ``{"error": ...}`` event in a stream
    (``received`` keeps the text of the ``chunks`` chunks before it), or a 2xx body that is an
    error object. No HTTP error status was sent: ``code`` is a status the event itself named,
    ``error_type`` its kind (TGI: generation, incomplete_generation, overloaded, validation)."""

    detail: str
    error_type: str | None = None
    code: int | None = None
    received: str = ""
    chunks: int = 0
    request_id: str | None = None

    @property
    def message(self) -> str:
        kind = f" [{self.error_type}]" if self.error_type else ""
        code = f" (code {self.code})" if self.code is not None else ""
        after = (
            f" after {self.chunks} chunks (the {len(self.received)} characters received are "
            "kept in .received)"
            if self.chunks
            else ""
        )
        return f"the server reported an error{kind}{code} in a 2xx reply{after}{_opt(self.detail)}"


@attrs.frozen(repr=False, eq=False, slots=False)
class MalformedResponse(HfErrorBase):
    """The server answered with something that is not the documented format."""

    status: int
    reason: str
    excerpt: str = ""
    request_id: str | None = None

    @property
    def message(self) -> str:
        shown = f"; body starts {self.excerpt!r}" if self.excerpt else ""
        return f"malformed response (HTTP {self.status}): {self.reason}{shown}"


def _utc(epoch: float) -> str:
    """Epoch seconds as ``YYYY-MM-DD HH:MM:SS UTC`` (civil-from-days arithmetic: no clock,
    no datetime in the core)."""
    seconds = int(epoch // 1)
    days, rest = divmod(seconds, 86400)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    hh, rest = divmod(rest, 3600)
    return f"{year:04d}-{month:02d}-{day:02d} {hh:02d}:{rest // 60:02d}:{rest % 60:02d} UTC"


@attrs.frozen(repr=False, eq=False, slots=False)
class CircuitOpen(HfErrorBase):
    """The local circuit breaker of ``key`` refuses calls until ``until`` (monotonic seconds).

    ``scope`` says what the breaker guards ("model", "endpoint" or "global"). ``retry_in``:
    seconds from the refusal until a trial call is allowed (0: a trial is in flight, the next
    is allowed when it ends); ``resume_at``: the same moment as wall-clock epoch seconds,
    added by the shell, which reads both clocks (the pure layers read none).
    """

    until: float
    key: str = ""
    scope: str = ""
    retry_in: float | None = None
    resume_at: float | None = None
    request_id: str | None = None

    @property
    def message(self) -> str:
        if self.scope == "global" or self.key == "*":
            which = " (the one breaker for every call)"
        elif self.key:
            which = f" for {self.scope} {self.key}" if self.scope else f" for {self.key}"
        else:
            which = ""
        head = f"circuit open{which}: recent calls failed, so calls are refused locally"
        wait = self.retry_in
        if wait is None:
            return f"{head}; a trial call is allowed at monotonic t={self.until:g} s"
        if wait <= 0:
            return f"{head}; a trial call is in flight: try again when it has ended (in a moment)"
        when = f" (at {_utc(self.resume_at)})" if self.resume_at is not None else ""
        return f"{head}; a trial call is allowed in {_seconds(round(wait, 1))}{when}"


@attrs.frozen(repr=False, eq=False, slots=False)
class RateLimitedLocally(HfErrorBase):
    """The local rate limiter has no tokens; ``wait`` seconds until it will (inf: never)."""

    wait: float
    reason: str = ""
    request_id: str | None = None

    @property
    def message(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"local rate limit reached{why}; wait {_seconds(self.wait)}"


@attrs.frozen(repr=False, eq=False, slots=False)
class NoHealthyEndpoint(HfErrorBase):
    """Every configured endpoint is unhealthy or cooling down."""

    endpoints: tuple[str, ...]
    request_id: str | None = None

    @property
    def message(self) -> str:
        return f"no healthy endpoint among {len(self.endpoints)}: {', '.join(self.endpoints)}"


@attrs.frozen(repr=False, eq=False, slots=False)
class ConfigError(HfErrorBase):
    """A configuration change was refused; nothing changed. ``field`` is a dotted path."""

    field: str
    reason: str
    request_id: str | None = None

    @property
    def message(self) -> str:
        return f"configuration refused, {self.field}: {self.reason} (nothing was changed)"


HfError: TypeAlias = (
    InvalidInput
    | ConfigError
    | MissingToken
    | Unauthorized
    | NotFound
    | RateLimited
    | ModelLoading
    | Overloaded
    | ServerError
    | BadRequest
    | GenerationFailed
    | Timeout
    | ConnectionFailed
    | StreamInterrupted
    | ErrorEvent
    | MalformedResponse
    | CircuitOpen
    | RateLimitedLocally
    | NoHealthyEndpoint
)

_RETRYABLE: tuple[type[HfErrorBase], ...] = (
    RateLimited,
    ModelLoading,
    Overloaded,
    Timeout,
    ConnectionFailed,
    StreamInterrupted,
)


def is_retryable(error: HfError) -> bool:
    """True when sending the same request again later may succeed.

    Retryable: 408 (something on the way timed out: HTTP lets a client repeat the request),
    429, model loading, overloaded, 5xx except 501, timeouts, connection failures, cut streams,
    and error events saying overloaded or naming one of those statuses. Never: bad input,
    other 4xx (400/401/403/404/422...), malformed replies and the local refusals (circuit
    open, local rate limit, no healthy endpoint), which have their own waits.
    """
    if isinstance(error, ServerError):
        return error.status != 501
    if isinstance(error, BadRequest):
        return error.status == 408
    if isinstance(error, ErrorEvent):  # retryable when the event says what a retryable status says
        code = error.code
        return error.error_type == "overloaded" or (
            code is not None and (code in (408, 429) or (code >= 500 and code != 501))
        )
    return isinstance(error, _RETRYABLE)


def server_wait(error: HfError) -> float | None:
    """Seconds the server asked us to wait before trying again, if it said."""
    match error:
        case RateLimited(retry_after=s) | Overloaded(retry_after=s) | ServerError(retry_after=s):
            return s
        case ModelLoading(estimated_time=s):
            return s
        case _:
            return None


class HfException(Exception):
    """An HfError raised as an exception, for callers who prefer ``unwrap`` style code."""

    def __init__(self, error: HfError) -> None:
        super().__init__(str(error))
        self.error = error
