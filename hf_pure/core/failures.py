"""Map a reply (or an error object met mid-stream) to an HfError. Pure and total.

Bodies are usually ``{"error": "message"}``, sometimes a list of messages, sometimes with
``error_type`` (TGI: validation, generation, overloaded, incomplete_generation) or
``estimated_time`` (a model loading), sometimes not JSON at all (an HTML page from a proxy).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from hf_pure.core.codec import JSONDecodeError, excerpt, loads
from hf_pure.core.errors import (
    BadRequest,
    ErrorEvent,
    GenerationFailed,
    HfError,
    MalformedResponse,
    ModelLoading,
    NotFound,
    Overloaded,
    RateLimited,
    ServerError,
    Unauthorized,
)
from hf_pure.core.http import RawReply, as_headers


@cache
def _title_re() -> re.Pattern[bytes]:  # compiled on first use: errors are the rare path
    return re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


_EPOCH_THRESHOLD = 1_000_000_000.0  # a "reset" this large is a Unix time, not a delay


def _finite_nonneg(value: float) -> float | None:
    return value if math.isfinite(value) and value >= 0 else None


def _http_date(text: str) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _reference_time(headers: Mapping[str, str], received_at: float | None) -> float | None:
    date = headers.get("date")
    parsed = _http_date(date) if date else None
    return parsed if parsed is not None else received_at


def retry_after_seconds(
    headers: Mapping[str, str], received_at: float | None = None
) -> float | None:
    """Seconds the server asks us to wait, from ``Retry-After`` or the ``RateLimit`` headers.

    ``Retry-After`` may be seconds or an HTTP date; a date is measured against the reply's own
    ``Date`` header (so clock skew cancels out), else against ``received_at``.
    """
    headers = as_headers(headers)  # names case-insensitive, whatever mapping was given
    value = headers.get("retry-after")
    if value is not None:
        value = value.strip()
        try:
            return _finite_nonneg(float(value))
        except ValueError:
            pass
        when = _http_date(value)
        ref = _reference_time(headers, received_at)
        if when is not None and ref is not None:
            return max(0.0, when - ref)
    for name in ("ratelimit", "ratelimit-reset", "x-ratelimit-reset"):
        raw = headers.get(name)
        if raw is None:
            continue
        if name == "ratelimit":  # the IETF parameters: "api";r=0;t=30 (or reset=30)
            from hf_pure.core.rate_limit import ietf_param  # the rare path: loaded when met

            found = ietf_param(raw, ("t", "reset"))
            text = raw.strip() if found is None else str(found)
        else:
            text = raw.strip()
        try:
            seconds = float(text)
        except ValueError:
            continue
        if seconds >= _EPOCH_THRESHOLD:
            ref = _reference_time(headers, received_at)
            if ref is None:
                continue
            seconds -= ref
        checked = _finite_nonneg(max(0.0, seconds))
        if checked is not None:
            return checked
    return None


def _message_of(obj: Any) -> str:
    """The human message in a parsed error body, flattened to one line."""
    err = obj.get("error") if isinstance(obj, dict) else None
    if isinstance(err, dict):  # OpenAI style {"error": {"message": ..., "type": ...}}
        err = err.get("message") or err.get("type")
    if isinstance(err, list):
        err = "; ".join(str(e) for e in err)
    if err is None and isinstance(obj, dict):
        err = obj.get("message") or obj.get("detail")
    return " ".join(str(err).split()) if err is not None else ""


def _error_type_of(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    kind = obj.get("error_type")
    if kind is None and isinstance(obj.get("error"), dict):
        kind = obj["error"].get("type") or obj["error"].get("code")
    return str(kind) if kind is not None else None


def _number(obj: Any, key: str) -> float | None:
    if isinstance(obj, dict):
        value = obj.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _finite_nonneg(float(value))
    return None


def _text_detail(reply: RawReply) -> str:
    """A one-line description of a non-JSON body."""
    if reply.content_type == "text/html" or reply.body.lstrip()[:1] == b"<":
        found = _title_re().search(reply.body[:4096])
        title = " ".join(found.group(1).decode("utf-8", "replace").split()) if found else ""
        return f"an HTML page{': ' + title if title else ''} (likely from a proxy)"
    return excerpt(reply.body)


def classify(
    status: int,
    detail: str,
    error_type: str | None,
    *,
    estimated_time: float | None = None,
    retry_after: float | None = None,
    request_id: str | None = None,
) -> HfError:
    """The HfError for a status, a server message and an optional TGI error type."""
    if error_type in ("generation", "incomplete_generation"):
        return GenerationFailed(error_type, detail, status or None, request_id)
    if error_type == "overloaded":
        return Overloaded(status, detail, retry_after, request_id)
    if status in (401, 403):
        return Unauthorized(status, detail, request_id)
    if status == 404:
        return NotFound(detail, request_id)
    if status == 429:
        return RateLimited(retry_after, detail, request_id)
    if status == 503 and (estimated_time is not None or "loading" in detail.lower()):
        return ModelLoading(
            estimated_time if estimated_time is not None else retry_after, detail, request_id
        )
    if 400 <= status < 500:
        return BadRequest(status, detail, error_type, request_id)
    if status >= 500:
        return ServerError(status, detail, retry_after, request_id)
    return MalformedResponse(status, f"unexpected status {status}", detail, request_id)


def error_from_reply(reply: RawReply) -> HfError:
    """The HfError for a reply whose status is not a success."""
    rid = reply.request_id
    body: Any = None
    if reply.body:
        try:
            body = loads(reply.body)
        except JSONDecodeError:
            body = None
    if body is not None:
        detail = _message_of(body)
    else:
        detail = _text_detail(reply) if reply.body else ""
    header_msg = reply.headers.get("x-error-message")
    if not detail and header_msg:
        detail = " ".join(header_msg.split())
    error_type = _error_type_of(body) or reply.headers.get("x-error-code")
    return classify(
        reply.status,
        detail,
        error_type,
        estimated_time=_number(body, "estimated_time"),
        retry_after=retry_after_seconds(reply.headers, reply.received_at),
        request_id=rid,
    )


def error_from_event(obj: Any, request_id: str | None = None) -> ErrorEvent:
    """The error for an ``{"error": ...}`` object that arrived in a 2xx reply (mid-stream, or
    as a whole body): an :class:`ErrorEvent` with the event's message, ``error_type`` and any
    status code it names, never an HTTP status the server did not send. The stream's runner
    adds the text received before it (:func:`hf_pure.core.request.ended_by`)."""
    detail = _message_of(obj) or "the server reported an error"
    code = None
    if isinstance(obj, dict):
        raw = obj.get("status") or obj.get("code")
        inner = obj.get("error")
        if isinstance(inner, dict):
            raw = raw or inner.get("code") or inner.get("status")
        if type(raw) is int and 100 <= raw <= 599:
            code = raw
    return ErrorEvent(detail, _error_type_of(obj), code, request_id=request_id)


def malformed(reply: RawReply, reason: str) -> MalformedResponse:
    """A MalformedResponse for a reply whose body did not have the documented shape."""
    return MalformedResponse(reply.status, reason, excerpt(reply.body), reply.request_id)
