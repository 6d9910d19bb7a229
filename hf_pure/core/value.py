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
