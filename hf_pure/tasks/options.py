"""Request options as data: a sorted tuple of ``(name, value)`` pairs, checked by a table.

A request keeps the optional settings the caller gave (``temperature``, ``stop``, ...) as
``options``: only what was set, sorted by name so equal settings make equal (and equally
hashed) requests whatever order the modifiers ran in. Values are frozen on the way in: lists
become tuples, objects become :class:`RawJson` (canonical JSON bytes). On the wire the pairs
become the body's keys as they are — an option absent means "the server's default".

A value that can't be sent as JSON (NaN, bytes, a set, an object, a lone surrogate) is frozen
as :class:`Unsendable`, which says why; ``check()`` reports it as ``InvalidInput`` naming the
option (and the path inside it), so nothing is silently converted and nothing raises.

Validation is a table from option name to a check, in the manner of h11's state tables: a
request checks only the options it carries, and unknown names (set with ``extra_body``) pass
through to the server untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeAlias, TypeVar, overload

import attrs

from hf_pure.core.codec import dumps_canonical, fragment, has_lone_surrogate, loads, non_json
from hf_pure.core.config import Limits
from hf_pure.core.error_base import InvalidInput
from hf_pure.core.value import ValueEq

T = TypeVar("T")

Options: TypeAlias = tuple[tuple[str, Any], ...]
Check: TypeAlias = Callable[[str, Any, Limits], InvalidInput | None]


class Unsendable:
    """A value a builder was given that can't go on the wire, held where it would have gone.

    ``check()`` reports it as ``InvalidInput(<place> + field, reason)``: ``field`` is the path
    below the place it sits (``".content"``, ``"[2].x"``, "" for the place itself), or a whole
    field name (``"messages"``) when it doesn't start with ``.`` or ``[``. Equal and hashable
    by value, so a request holding one is still a value. Deliberately *not* an attrs class:
    the JSON encoder refuses it, so a request sent without ``check()`` fails loudly instead of
    sending the problem as if it were data.
    """

    __slots__ = ("field", "reason")

    field: str
    reason: str

    def __init__(self, reason: str, field: str = "") -> None:
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "field", field)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Unsendable is frozen: can't set {name}")

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is Unsendable and self.reason == other.reason and self.field == other.field
        )

    def __hash__(self) -> int:
        return hash((Unsendable, self.reason, self.field))

    def __repr__(self) -> str:
        return f"Unsendable(reason={self.reason!r}, field={self.field!r})"

    def at(self, place: str) -> str:
        """The full field name of this problem when it sits at ``place``."""
        field = self.field
        return place + field if not field or field[0] in ".[" else field


def unsendable_json(value: Any, field: str = "") -> Unsendable | None:
    """An :class:`Unsendable` saying where and why ``value`` is not plain JSON, or None."""
    found = non_json(value)
    if found is None:
        return None
    return Unsendable(found[1], field + found[0])


def _plain(x: Any) -> bool:
    """A scalar that goes on the wire as it is."""
    kind = type(x)
    if kind is str:
        return x.isascii() or not has_lone_surrogate(x)
    return x is None or kind is int or kind is bool or (kind is float and math.isfinite(x))


@attrs.frozen(repr=False, eq=False)
class RawJson(ValueEq):
    """A JSON value kept as canonical bytes, so that it can live inside a hashable request."""

    data: bytes

    @property
    def value(self) -> Any:
        return loads(self.data)


def freeze(value: Any) -> Any:
    """An option value made hashable: scalars as they are, sequences of scalars as tuples,
    other JSON as :class:`RawJson`, and anything JSON can't hold (NaN, bytes, sets, objects,
    lone surrogates) as :class:`Unsendable`. Never raises."""
    kind = type(value)
    if kind is int or kind is bool or value is None or kind is RawJson or kind is Unsendable:
        return value  # the common case first: most options are numbers and flags
    if (kind is str or kind is float) and _plain(value):
        return value
    if (kind is tuple or kind is list) and all(_plain(x) for x in value):
        return tuple(value)
    if isinstance(value, Mapping) and kind is not dict:
        value = dict(value)  # a MappingProxyType, say: the top level is taken as an object
    problem = unsendable_json(value)
    return problem if problem is not None else RawJson(dumps_canonical(value))


def thaw(value: Any) -> Any:
    """An option value as plain Python (RawJson decoded, tuples and Unsendable as they are)."""
    return value.value if type(value) is RawJson else value


def wire(value: Any) -> Any:
    """An option value ready for the encoder (RawJson is embedded without re-encoding)."""
    return fragment(value.data) if type(value) is RawJson else value


def set_option(options: Options, name: str, value: Any) -> Options:
    """``options`` (sorted by name, one pair per name) with ``name`` set to ``value`` (already
    frozen); None removes it. The pair goes in at its place in one pass: no sort, no list (a
    modifier per option runs this once per request built)."""
    for i, (key, _) in enumerate(options):
        if key < name:
            continue
        rest = options[i + 1 :] if key == name else options[i:]
        if value is None:
            return options[:i] + rest
        return (*options[:i], (name, value), *rest)
    return options if value is None else (*options, (name, value))


def get_option(options: Options, name: str) -> Any:
    for key, value in options:
        if key == name:
            return value
    return None


def freeze_options(value: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> Options:
    """A converter: a mapping or pairs as a sorted tuple of frozen pairs (None values dropped).
    Raises TypeError when ``value`` is neither (a programmer error: options come from code or
    from the modifiers)."""
    if value is None or value == ():
        return ()
    if (
        type(value) is tuple
        and all(type(p) is tuple and len(p) == 2 for p in value)
        and all(value[i][0] < value[i + 1][0] for i in range(len(value) - 1))
    ):
        return value  # already canonical (what set_option produces)
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, Iterable) and not isinstance(value, str | bytes):
        items = list(value)
    else:
        raise TypeError(f"options must be a mapping of names to values, got {_kind(value)}")
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(f"options must be (name, value) pairs with str names, got {item!r}")
    return tuple(sorted(((k, freeze(v)) for k, v in items if v is not None), key=_name))


def _kind(value: object) -> str:
    return type(value).__name__


def _name(pair: tuple[str, Any]) -> str:
    return pair[0]


def check_options(
    options: Options,
    checks: Mapping[str, Check],
    limits: Limits,
    reserved: Mapping[str, str],
) -> InvalidInput | None:
    """The first problem among the options set: a value that can't be sent, a reserved name,
    or a failed table check."""
    for name, value in options:
        if type(value) is Unsendable:
            return InvalidInput(value.at(name), value.reason)
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
