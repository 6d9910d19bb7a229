"""The two shapes of a normal answer (before faults are applied) and error helpers."""

from __future__ import annotations

from . import _json as orjson  # msgspec underneath

__all__ = ["Invalid", "JsonAnswer", "SseAnswer", "error", "json_answer", "validation_error"]

JSON = "application/json"


class JsonAnswer:
    """A complete body with a status."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: str = JSON,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers


class SseAnswer:
    """A 200 ``text/event-stream`` answer: complete, framed events, sent one write each.

    ``data_prefix`` is how this route frames ``data`` lines (``b"data: "`` for chat,
    ``b"data:"`` for TGI) so injected events look like the real ones; ``headers`` are the
    provider's own (e.g. together's ``retry-after`` on a 200).
    """

    __slots__ = ("data_prefix", "events", "headers")

    def __init__(
        self,
        events: list[bytes],
        data_prefix: bytes,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.events = events
        self.data_prefix = data_prefix
        self.headers = headers


Answer = JsonAnswer | SseAnswer


class Invalid(Exception):
    """Raised inside request validation; becomes a 422 validation error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def json_answer(value: object, status: int = 200) -> JsonAnswer:
    return JsonAnswer(status, orjson.dumps(value))


def error(status: int, message: str, **extra: object) -> JsonAnswer:
    return JsonAnswer(status, orjson.dumps({"error": message, **extra}))


def validation_error(message: str) -> JsonAnswer:
    return error(422, f"Input validation error: {message}", error_type="validation")


def parse_object(body: bytes) -> dict[str, object] | JsonAnswer:
    """The body as a JSON object, or the 400 answer explaining why it is not one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return error(400, f"Invalid JSON body: {exc}")
    if not isinstance(data, dict):
        return error(400, "Invalid JSON body: expected a JSON object")
    return data


def opt_number(
    data: dict[str, object],
    name: str,
    lo: float,
    hi: float,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float | None:
    """An optional number within bounds, or ``Invalid``."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"`{name}` must be a number")
    low_ok = value > lo if lo_open else value >= lo
    high_ok = value < hi if hi_open else value <= hi
    if not (low_ok and high_ok):
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        raise Invalid(f"`{name}` must be in {left}{lo:g}, {hi:g}{right}, got {value!r}")
    return float(value)


def opt_int(data: dict[str, object], name: str, lo: int, hi: int | None = None) -> int | None:
    """An optional integer ``>= lo`` (and ``<= hi``), or ``Invalid``."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"`{name}` must be an integer")
    if value < lo:
        raise Invalid(f"`{name}` must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise Invalid(f"`{name}` must be <= {hi}, got {value}")
    return value


def opt_bool(data: dict[str, object], name: str) -> bool | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Invalid(f"`{name}` must be a boolean")
    return value


def opt_stops(data: dict[str, object], name: str, most: int = 4) -> tuple[str, ...]:
    value = data.get(name)
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise Invalid(f"`{name}` must be a string or a list of strings")
    if len(stops) > most:
        raise Invalid(f"`{name}` supports up to {most} stop sequences. Given: {len(stops)}")
    if any(s == "" for s in stops):
        raise Invalid(f"`{name}` must not contain empty strings")
    return tuple(stops)
