"""``Value``: the base of hf_pure's frozen attrs values, and :func:`evolve`, which changes a
value of either kind (attrs for what users build, msgspec Structs for what the wire gives).

``Value`` supplies one ``__repr__`` for all of them (the same text attrs would generate), so
that each class is defined with ``@attrs.frozen(repr=False)``: attrs then compiles less code per
class, which keeps ``import hf_pure`` cheap.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

from hf_pure.core.codec import _msgspec


class Value:
    __slots__ = ()

    def __repr__(self) -> str:
        fields = attrs.fields(type(self))  # type: ignore[arg-type]
        inner = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields if f.repr)
        return f"{type(self).__qualname__}({inner})"


class ValueEq(Value):
    """For values compared rarely (errors, replies): one field-by-field ``__eq__`` and
    ``__hash__`` shared by every subclass, declared ``@attrs.frozen(repr=False, eq=False)``,
    so attrs compiles neither per class. Hot values (requests, cache keys) keep attrs' own."""

    __slots__ = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, f.name) for f in attrs.fields(type(self)))  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((type(self), self._fields()))


T = TypeVar("T")


def evolve(value: T, /, **changes: Any) -> T:
    """A copy of ``value`` with some fields changed, for both kinds of hf_pure value: the attrs
    values users build (requests, configs: their converters and validators run again) and the
    frozen msgspec Structs the wire gives (replies, chunks, states). A name that is not a field
    of the value is a TypeError naming it."""
    cls = type(value)
    struct_fields = getattr(cls, "__struct_fields__", None)
    if type(struct_fields) is tuple and _msgspec_struct(value):
        _check_names(cls, struct_fields, changes)
        return _msgspec().structs.replace(value, **changes)  # type: ignore[no-any-return]
    if attrs.has(cls):
        names = tuple(f.alias for f in attrs.fields(cls) if f.init)
        _check_names(cls, names, changes)
        return attrs.evolve(value, **changes)  # type: ignore[misc]
    raise TypeError(
        f"evolve(): expected an hf_pure value (an attrs class or a msgspec Struct), got "
        f"{cls.__name__}"
    )


def _msgspec_struct(value: object) -> bool:
    return isinstance(value, _msgspec().Struct)


def _check_names(cls: type, names: tuple[str, ...], changes: dict[str, Any]) -> None:
    for name in changes:
        if name in names:
            continue
        known = ", ".join(names)
        if isinstance(getattr(cls, name, None), property):
            raise TypeError(
                f"evolve(): {cls.__qualname__}.{name} is read-only, a view of its fields "
                f"({known}): change those"
            )
        raise TypeError(f"evolve(): {cls.__qualname__} has no field {name!r} (its fields: {known})")
