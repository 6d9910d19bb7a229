"""Secret: a token whose repr, str, format, JSON and pickle never show it.

Only the runner calls :meth:`Secret.reveal`, to build the Authorization header.
"""

from __future__ import annotations

from typing import Any, NoReturn

from returns.result import Failure, Result, Success

from hf_pure.core.error_base import InvalidInput

_HIDDEN = "Secret('********')"


class Secret:
    """A token. ``repr``/``str``/``format`` print ``Secret('********')``; ``reveal()`` gives it."""

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret needs a str, got {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    @classmethod
    def parse(cls, raw: str, *, source: str = "token") -> Result[Secret, InvalidInput]:
        """Validate a token read from somewhere; surrounding whitespace is dropped.

        Refused (without echoing the value): empty, inner whitespace or control characters
        (a newline would split the HTTP header), and non-ASCII characters.
        """
        value = raw.strip()
        if not value:
            return Failure(InvalidInput(source, "the token is empty"))
        if any(ch.isspace() for ch in value):
            return Failure(InvalidInput(source, "the token contains whitespace or a line break"))
        if not value.isascii() or not value.isprintable():
            return Failure(
                InvalidInput(source, "the token contains non-ASCII or control characters")
            )
        return Success(cls(value))

    def reveal(self) -> str:
        """The token itself. Call it only where it goes onto the wire."""
        return self._value

    def __repr__(self) -> str:
        return _HIDDEN

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return _HIDDEN

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        import hmac  # here, not at import time: comparing tokens is rare

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled: it would write the token out")

    def __json__(self) -> str:  # for serializers that look for it
        return _HIDDEN
