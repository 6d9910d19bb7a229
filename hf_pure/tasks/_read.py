"""Total readers of wire JSON, shared by every decoder (chat, its stream codec, text generation
and the tasks to come).

A reader takes a value already parsed from JSON and answers the typed value or a :class:`Bad`
naming the field path (``choices[0].message.content``) and what was wrong; it never raises and
never converts silently. The rules, for every field of every task:

- a field that is missing or ``null`` is tolerated: the reader answers None and the decoder
  uses the field's default (providers omit optional fields and send ``null`` for them);
- unknown extra fields are ignored (providers add their own);
- a field that is present with the wrong JSON type is ``Bad``: a number where text belongs,
  an object where a list belongs, ``true`` where a number belongs (JSON booleans are not
  numbers here, though Python's are);
- a number out of range is ``Bad``: integers must fit in 64 bits (signed, or unsigned as
  TGI's seeds are), and numbers read as floats must be finite (a 400-digit integer is not a
  logprob).

Quirks that real providers send and are legitimately read (see WIRE.md) are written where the
field is read, e.g. a tool call's ``arguments`` given as an object (re-encoded as JSON text).

Decoders read a whole object with :func:`fields`, which stops at the first ``Bad``::

    got = fields(obj, "choices[0]", (("index", integer), ("finish_reason", text)))
    if isinstance(got, Bad):
        return got
    index, finish_reason = got
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final, TypeAlias

import attrs

from hf_pure.core.codec import dumps
from hf_pure.core.value import Value

INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**64 - 1  # uint64: TGI's seeds go beyond int64
_FLOAT_INT_MAX: Final = 2**1000  # an integer this large still converts to a finite float


@attrs.frozen(repr=False)
class Bad(Value):
    """Why a wire value could not be read: ``path`` names the field, ``reason`` says why."""

    path: str
    reason: str

    @property
    def message(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


#: A reader: (value or None, the path of the enclosing object, the key) -> value, None or Bad.
Reader: TypeAlias = Callable[[Any, str, "str | int"], Any]
Spec: TypeAlias = tuple[tuple[str, Reader], ...]


def path_of(at: str, key: str | int) -> str:
    """The path of ``key`` inside the value at ``at``: ``a.b``, ``a[0]``, or ``b`` at the root."""
    if type(key) is int:
        return f"{at}[{key}]"
    return f"{at}.{key}" if at else str(key)


def kind_of(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) is int or type(value) is float:
        return "a number"
    if type(value) is str:
        return "text"
    if type(value) is list:
        return "an array"
    if type(value) is dict:
        return "an object"
    return type(value).__name__


def bad(at: str, key: str | int, expected: str, value: Any) -> Bad:
    """A Bad saying the value at ``at``/``key`` should have been ``expected``."""
    return Bad(path_of(at, key), f"expected {expected}, got {kind_of(value)}")


# ------------------------------------------------------------------------------- the readers


def text(value: Any, at: str, key: str | int) -> str | Bad | None:
    """A string (or None when missing/null)."""
    if value is None or type(value) is str:
        return value
    return bad(at, key, "text", value)


def integer(value: Any, at: str, key: str | int) -> int | Bad | None:
    """A JSON integer within 64 bits (or None). Booleans and floats are refused."""
    if value is None:
        return None
    if type(value) is int:
        if INT_MIN <= value <= INT_MAX:
            return value
        return Bad(path_of(at, key), "an integer out of range")
    return bad(at, key, "an integer", value)


def number(value: Any, at: str, key: str | int) -> float | Bad | None:
    """A finite JSON number as a float (or None). Booleans are refused."""
    if value is None:
        return None
    if type(value) is float:
        return value if math.isfinite(value) else Bad(path_of(at, key), "a number out of range")
    if type(value) is int:
        if -_FLOAT_INT_MAX <= value <= _FLOAT_INT_MAX:
            return float(value)
        return Bad(path_of(at, key), "a number out of range")
    return bad(at, key, "a number", value)


def flag(value: Any, at: str, key: str | int) -> bool | Bad | None:
    """true or false (or None)."""
    if value is None or type(value) is bool:
        return value
    return bad(at, key, "true or false", value)


def mapping(value: Any, at: str, key: str | int) -> dict[str, Any] | Bad | None:
    """A JSON object (or None)."""
    if value is None or type(value) is dict:
        return value
    return bad(at, key, "an object", value)


def array(value: Any, at: str, key: str | int) -> list[Any] | Bad | None:
    """A JSON array (or None)."""
    if value is None or type(value) is list:
        return value
    return bad(at, key, "an array", value)


def json_text(value: Any, at: str, key: str | int) -> str | Bad | None:
    """JSON text: a string as it is, any other JSON value re-encoded (some providers send a
    tool call's ``arguments`` as an object rather than as the JSON text of one)."""
    if value is None or type(value) is str:
        return value
    encoded = reencode(value)
    return encoded if encoded is not None else Bad(path_of(at, key), "not encodable as JSON")


def reencode(value: Any) -> str | None:
    """``value`` as JSON text, or None when it holds something JSON can't say (NaN, inf)."""
    if not _is_json(value):
        return None
    try:
        return dumps(value).decode()
    except (TypeError, ValueError, OverflowError):  # pragma: no cover - _is_json said yes
        return None


def _is_json(value: Any) -> bool:
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is dict:
        return all(type(k) is str and _is_json(v) for k, v in value.items())
    if type(value) is list:
        return all(_is_json(v) for v in value)
    return value is None or type(value) in (str, int, bool)


# ------------------------------------------------------------------------------- whole objects


def fields(obj: dict[str, Any], at: str, spec: Spec) -> list[Any] | Bad:
    """Each ``(key, reader)`` of ``spec`` read from ``obj``, in order, or the first Bad."""
    get = obj.get
    out = [read(get(key), at, key) for key, read in spec]
    for value in out:
        if type(value) is Bad:
            return value
    return out


def need_object(value: Any, path: str) -> dict[str, Any] | Bad:
    """A required JSON object at ``path``."""
    if type(value) is dict:
        return value
    if value is None:
        return Bad(path, "missing (expected an object)")
    return Bad(path, f"expected an object, got {kind_of(value)}")


def each(
    items: list[Any] | None, at: str, key: str, read: Callable[[Any, str], Any]
) -> tuple[Any, ...] | Bad:
    """``read(item, path)`` for every item of the array at ``at``/``key`` (None: no items),
    or the first Bad."""
    if not items:
        return ()
    base = path_of(at, key)
    out = []
    for i, item in enumerate(items):
        got = read(item, f"{base}[{i}]")
        if isinstance(got, Bad):
            return got
        out.append(got)
    return tuple(out)
