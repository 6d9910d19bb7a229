"""The one place JSON is encoded and decoded (msgspec: the benchmarks show it pays).

msgspec decodes as fast as any JSON library for Python and, for the per-token path of a
stream, straight into typed values (``typed_decoder``), which is what keeps a streamed chunk
cheap. It is imported on first use, so ``import hf_pure`` doesn't pay for it.

``loads`` raises ``JSONDecodeError`` (a ``ValueError``: msgspec's decode and validation
errors are ValueErrors) for anything that isn't JSON.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import msgspec

T = TypeVar("T")

JSONDecodeError = ValueError


@cache
def _msgspec() -> Any:
    """The msgspec module, imported once, on first use (a memoized constant)."""
    import msgspec
    import msgspec.json

    return msgspec


def loads(data: bytes | str) -> Any:
    """Parsed JSON. Raises JSONDecodeError (ValueError) for anything that isn't JSON."""
    return _msgspec().json.decode(data)


def dumps(value: Any) -> bytes:
    """Compact JSON bytes. Raises TypeError only for values that are not JSON (a bug)."""
    return _msgspec().json.encode(value)  # type: ignore[no-any-return]


def dumps_canonical(value: Any) -> bytes:
    """Compact JSON with sorted keys: equal values give equal bytes (used to freeze JSON)."""
    return _msgspec().json.encode(value, order="sorted")  # type: ignore[no-any-return]


def has_lone_surrogate(text: str) -> bool:
    """True when ``text`` holds a lone surrogate (``"\\ud800"``): not valid Unicode, so it can't
    be encoded as UTF-8 and can't go on the wire. ASCII text answers in O(1); other text is
    encoded once as UTF-16 (the fastest strict codec for Latin-1 and UCS-2 strings, which is
    what nearly all text is)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-16-le")
    except UnicodeEncodeError:
        return True
    return False


def surrogate_at(text: str) -> int:
    """The index of the first lone surrogate in ``text`` (-1 if none); for error messages."""
    return next((i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"), -1)


def non_json(value: Any) -> tuple[str, str] | None:
    """Where ``value`` is not plain JSON, and why, as ``(path, reason)`` (``path`` like
    ``.schema.properties[0]``, "" for the value itself); None when it is plain JSON.

    Plain JSON is None, bool, int, finite float, str (valid Unicode), list or tuple of plain
    JSON, dict with str keys. The encoder would take more (NaN as ``null``, bytes as base64,
    sets as arrays in no fixed order, dataclasses as objects): a value meant as JSON that holds
    any of those is a mistake to report, not something to convert silently.
    """
    try:
        return _non_json(value)
    except RecursionError:
        return "", "is nested too deeply to be sent as JSON"


def _non_json(value: Any) -> tuple[str, str] | None:
    kind = type(value)
    if value is None or kind is bool or kind is int:
        return None
    if kind is str:
        if has_lone_surrogate(value):
            return "", f"contains a lone surrogate at character {surrogate_at(value)}"
        return None
    if kind is float:
        if value - value == 0.0:  # finite
            return None
        return "", f"{value} is not a JSON number (JSON has no NaN or infinity)"
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str:
                return "", f"has a {type(key).__name__} key {key!r}: JSON object keys are strings"
            found = _non_json(key) or _non_json(item)
            if found is not None:
                shown = key.encode("utf-8", "backslashreplace").decode()  # printable
                return f".{shown}{found[0]}", found[1]
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _non_json(item)
            if found is not None:
                return f"[{i}]{found[0]}", found[1]
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return "", "is bytes, not JSON: decode it to text first"
    if isinstance(value, set | frozenset):
        return "", "is a set, not JSON: pass a list (sets have no order)"
    if isinstance(value, bool | int | float):  # subclasses: enums, numpy-like scalars
        return "", f"is a {kind.__name__}, not a plain JSON number"
    return "", f"is a {kind.__name__}, not a JSON value"


def fragment(data: bytes) -> Any:
    """JSON that is already encoded, to embed in a value as it is (not encoded again)."""
    return _msgspec().Raw(data)


def typed_decoder(kind: type[T]) -> msgspec.json.Decoder[T]:
    """A decoder straight into ``kind`` (a msgspec Struct, dataclass or attrs class); it
    raises a ValueError when the JSON doesn't fit the type."""
    return _msgspec().json.Decoder(kind)  # type: ignore[no-any-return]


def excerpt(body: bytes, limit: int = 120) -> str:
    """A short, printable start of a body for error messages."""
    text = body[: limit * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
