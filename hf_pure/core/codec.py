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
