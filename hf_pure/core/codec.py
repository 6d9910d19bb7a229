"""The one place JSON is encoded and decoded (orjson: the benchmark shows it pays)."""

from __future__ import annotations

from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError
Fragment = orjson.Fragment

loads = orjson.loads


def dumps(value: Any) -> bytes:
    """Compact JSON bytes. Raises TypeError only for values that are not JSON (a bug)."""
    return orjson.dumps(value)


def dumps_canonical(value: Any) -> bytes:
    """Compact JSON with sorted keys: equal values give equal bytes (used to freeze JSON)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def excerpt(body: bytes, limit: int = 120) -> str:
    """A short, printable start of a body for error messages."""
    text = body[: limit * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
