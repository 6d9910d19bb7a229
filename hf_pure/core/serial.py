"""Values to plain JSON data and back: ``to_plain(value)`` / ``from_plain(cls, data)``.

Every configuration and state value of hf_pure (frozen attrs classes of numbers, strings,
enums, tuples and other such values) can be logged, stored or sent as JSON and rebuilt
exactly. The work is done by cattrs (imported on first use); ``from_plain`` is total: bad
data gives ``Failure(InvalidInput)`` naming what was wrong.
"""

from __future__ import annotations

import base64
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from returns.result import Failure, Result, Success

from hf_pure.core.error_base import InvalidInput

if TYPE_CHECKING:
    import cattrs

T = TypeVar("T")


@cache
def converter() -> cattrs.Converter:
    """The one converter, configured once (a memoized constant: nothing changes it later).

    Persistent maps (``immutables.Map``) travel as lists of ``[key, value]`` pairs, bytes as
    base64 text; callers register nothing.
    """
    import cattrs
    import immutables

    conv = cattrs.Converter(forbid_extra_keys=True)
    # predicates, not the class: a field typed Map[K, V] is a generic alias, which a hook
    # registered for the bare class would not catch
    conv.register_unstructure_hook_func(
        lambda t: getattr(t, "__origin__", t) is immutables.Map,
        lambda m: [[conv.unstructure(k), conv.unstructure(v)] for k, v in m.items()],
    )
    # msgspec Structs (the per-request states, see core/state.py): field by field, with the
    # field types msgspec resolves (generic parameters included), extra keys refused
    conv.register_unstructure_hook_func(
        _is_struct, lambda v: {f: conv.unstructure(getattr(v, f)) for f in v.__struct_fields__}
    )
    conv.register_structure_hook_func(_is_struct, lambda data, t: _structure_struct(conv, data, t))
    conv.register_unstructure_hook(bytes, lambda b: base64.b64encode(b).decode("ascii"))
    conv.register_structure_hook(bytes, lambda d, _: _bytes(d))
    conv.register_structure_hook_func(
        lambda t: getattr(t, "__origin__", t) is immutables.Map,
        lambda data, t: _structure_map(conv, data, t),
    )
    return conv


def _is_struct(t: Any) -> bool:
    import msgspec

    origin = getattr(t, "__origin__", t)
    return isinstance(origin, type) and issubclass(origin, msgspec.Struct)


def _structure_struct(conv: cattrs.Converter, data: Any, t: Any) -> Any:
    import msgspec

    cls = getattr(t, "__origin__", t)
    if not isinstance(data, dict):
        raise TypeError(f"expected an object for {cls.__name__}, got {type(data).__name__}")
    fields = msgspec.structs.fields(t)
    extra = sorted(set(data) - {f.name for f in fields}, key=str)
    if extra:
        raise ValueError(f"{cls.__name__}: unknown field(s) {', '.join(map(str, extra))}")
    values = {}
    for f in fields:
        if f.name in data:
            try:
                values[f.name] = conv.structure(data[f.name], f.type)
            except Exception as exc:
                raise ValueError(f"{cls.__name__}.{f.name}: {_describe(exc)}") from exc
        elif f.required:
            raise ValueError(f"{cls.__name__}: missing field {f.name}")
    return cls(**values)


def _bytes(data: Any) -> bytes:
    if isinstance(data, bytes):
        return data
    if not isinstance(data, str):
        raise TypeError(f"expected base64 text for bytes, got {type(data).__name__}")
    return base64.b64decode(data.encode("ascii"), validate=True)


def _structure_map(conv: cattrs.Converter, data: Any, t: Any) -> Any:
    import immutables

    args = getattr(t, "__args__", (Any, Any))
    return immutables.Map((conv.structure(k, args[0]), conv.structure(v, args[1])) for k, v in data)


def to_plain(value: Any) -> Any:
    """JSON-ready data (dicts, lists, numbers, strings, None) for a value."""
    return converter().unstructure(value)


def from_plain(cls: type[T], data: Any) -> Result[T, InvalidInput]:
    """Rebuild a ``cls`` value from ``to_plain`` data; Failure when the data doesn't fit."""
    try:
        return Success(converter().structure(data, cls))
    except Exception as exc:  # cattrs raises many kinds; all mean "this data doesn't fit"
        return Failure(InvalidInput(cls.__name__, _describe(exc)))


def _describe(exc: BaseException) -> str:
    import cattrs

    if isinstance(exc, cattrs.ClassValidationError):
        notes = [str(e) for e in exc.exceptions]
        return "; ".join(notes) or str(exc)
    return str(exc) or type(exc).__name__
