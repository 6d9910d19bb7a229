"""``Value``: the base of hf_pure's frozen attrs values.

It supplies one ``__repr__`` for all of them (the same text attrs would generate), so that each
class is defined with ``@attrs.frozen(repr=False)``: attrs then compiles less code per class,
which keeps ``import hf_pure`` cheap.
"""

from __future__ import annotations

import attrs


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
