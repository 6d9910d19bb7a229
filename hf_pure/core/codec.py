"""The one place JSON is encoded and decoded (msgspec: the benchmarks show it pays).

msgspec decodes as fast as any JSON library for Python and, for the per-token path of a
stream, straight into typed values (``typed_decoder``), which is what keeps a streamed chunk
cheap. ``Fragment`` embeds JSON that is already encoded without decoding it again.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

JSONDecodeError = msgspec.DecodeError  # ValidationError (a typed decode that doesn't fit) too
ValidationError = msgspec.ValidationError
Fragment = msgspec.Raw

loads = msgspec.json.decode
_encode = msgspec.json.encode


def dumps(value: Any) -> bytes:
    """Compact JSON bytes. Raises TypeError only for values that are not JSON (a bug)."""
    return _encode(value)


def dumps_canonical(value: Any) -> bytes:
    """Compact JSON with sorted keys: equal values give equal bytes (used to freeze JSON)."""
    return _encode(value, order="sorted")


def typed_decoder(kind: type[T]) -> msgspec.json.Decoder[T]:
    """A decoder straight into ``kind`` (a msgspec Struct, dataclass or attrs class); it
    raises ``ValidationError`` when the JSON doesn't fit the type."""
    return msgspec.json.Decoder(kind)


def excerpt(body: bytes, limit: int = 120) -> str:
    """A short, printable start of a body for error messages."""
    text = body[: limit * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
