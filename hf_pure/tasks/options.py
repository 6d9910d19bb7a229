"""Request options as data: a sorted tuple of ``(name, value)`` pairs, checked by a table.

A request keeps the optional settings the caller gave (``temperature``, ``stop``, ...) as
``options``: only what was set, sorted by name so equal settings make equal (and equally
hashed) requests whatever order the modifiers ran in. Values are frozen on the way in: lists
become tuples, objects become :class:`RawJson` (canonical JSON bytes). On the wire the pairs
become the body's keys as they are — an option absent means "the server's default".

Validation is a table from option name to a check, in the manner of h11's state tables: a
request checks only the options it carries, and unknown names (set with ``extra_body``) pass
through to the server untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeAlias, TypeVar, overload

import attrs

from hf_pure.core.codec import dumps_canonical, fragment, loads
from hf_pure.core.config import Limits
from hf_pure.core.errors import InvalidInput
from hf_pure.core.value import Value

T = TypeVar("T")

Options: TypeAlias = tuple[tuple[str, Any], ...]
Check: TypeAlias = Callable[[str, Any, Limits], InvalidInput | None]

_SCALARS = (str, int, float, bool)


@attrs.frozen(repr=False)
class RawJson(Value):
    """A JSON value kept as canonical bytes, so that it can live inside a hashable request."""

    data: bytes

    @property
    def value(self) -> Any:
        return loads(self.data)


def freeze(value: Any) -> Any:
    """An option value made hashable: scalars as they are, sequences of scalars as tuples,
    anything else as :class:`RawJson`. Raises TypeError for values JSON can't hold (a bug)."""
    if value is None or type(value) in _SCALARS or type(value) is RawJson:
        return value
    if isinstance(value, list | tuple) and all(x is None or type(x) in _SCALARS for x in value):
        return tuple(value)
    return RawJson(dumps_canonical(value))


def thaw(value: Any) -> Any:
    """An option value as plain Python (RawJson decoded, tuples as they are)."""
    return value.value if type(value) is RawJson else value


def wire(value: Any) -> Any:
    """An option value ready for the encoder (RawJson is embedded without re-encoding)."""
    return fragment(value.data) if type(value) is RawJson else value


def set_option(options: Options, name: str, value: Any) -> Options:
    """``options`` with ``name`` set to ``value`` (already frozen); None removes it."""
    kept = [pair for pair in options if pair[0] != name]
    if value is not None:
        kept.append((name, value))
        kept.sort(key=_name)
    return tuple(kept)


def get_option(options: Options, name: str) -> Any:
    for key, value in options:
        if key == name:
            return value
    return None


def freeze_options(value: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> Options:
    """A converter: a mapping or pairs as a sorted tuple of frozen pairs (None values dropped)."""
    if not value:
        return ()
    if (
        type(value) is tuple
        and all(type(p) is tuple and len(p) == 2 for p in value)
        and all(value[i][0] < value[i + 1][0] for i in range(len(value) - 1))
    ):
        return value  # already canonical (what set_option produces)
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted(((str(k), freeze(v)) for k, v in items if v is not None), key=_name))


def _name(pair: tuple[str, Any]) -> str:
    return pair[0]


def check_options(
    options: Options,
    checks: Mapping[str, Check],
    limits: Limits,
    reserved: Mapping[str, str],
) -> InvalidInput | None:
    """The first problem among the options set: a reserved name, or a failed table check."""
    for name, value in options:
        if name in reserved:
            return InvalidInput(name, f"is not an option here: {reserved[name]}")
        check = checks.get(name)
        if check is not None:
            problem = check(name, value, limits)
            if problem is not None:
                return problem
    return None


class Option(Generic[T]):
    """A typed, read-only view of one option on a request class::

    temperature = Option[float]("temperature")   # request.temperature -> float | None
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Option[T]: ...

    @overload
    def __get__(self, obj: object, owner: type[Any]) -> T | None: ...

    def __get__(self, obj: object, owner: type[Any]) -> Option[T] | T | None:
        if obj is None:
            return self
        value: T | None = thaw(get_option(obj.options, self.name))  # type: ignore[attr-defined]
        return value
