"""Compact vectors: rows of floats packed into one immutable buffer, seen as read-only views.

An embedding of 384 numbers held as a list costs ~12 KB (384 boxed floats of 24 bytes plus
the list's pointers); packed as float32 it is 1.5 KB plus one view object. Every vector this
library hands out is a :data:`Vector`: a read-only ``memoryview`` of format ``"f"`` (float32,
what the models compute in) over ``bytes``, so nothing can change it, not even through its
``obj``. It has ``len``, indexing, slicing, iteration (Python floats), ``tolist()``, value
equality (``==`` with another view), and the buffer protocol: ``numpy.frombuffer(v, "f4")``
wraps it without a copy. Rows of float64 scores (:mod:`hf_pure.tasks.similarity`) are the
same with format ``"d"``.

Packing is ``struct``'s C loop over the floats msgspec decoded; numbers beyond float32's range
become infinities there, which :func:`pack_rows` finds and reports instead of keeping.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

#: A read-only float32 vector (``memoryview`` of format ``"f"``); see the module docstring.
if TYPE_CHECKING:
    Vector: TypeAlias = memoryview[float]
else:
    Vector = memoryview  # memoryview is not subscriptable at run time before Python 3.14
Kind: TypeAlias = Literal["f", "d"]

_INF: Final = struct.pack("f", math.inf)
_NEG_INF: Final = struct.pack("f", -math.inf)


def pack_rows(
    rows: Sequence[Sequence[float]], dims: int, kind: Kind = "f"
) -> tuple[Vector, ...] | int:
    """``rows`` (each of ``dims`` numbers) as read-only views over one buffer, or the index of
    the first number (counting through the rows) that doesn't fit float32 (an infinity in the
    buffer: only an overflow makes one, JSON has none). Float64 rows (``kind="d"``) are the
    caller's to keep finite."""
    if not rows:
        return ()
    pack = struct.Struct(f"{dims}{kind}").pack
    try:
        buffer = b"".join([pack(*row) for row in rows])
    except OverflowError:  # a build whose native pack checks the range (CPython's doesn't)
        return _too_large_at(rows)
    bad = _infinite_at(buffer) if kind == "f" else None
    if bad is not None:
        return bad
    whole = memoryview(buffer).cast(kind)
    return tuple([whole[i : i + dims] for i in range(0, len(whole), dims)])


def pack_one(values: Iterable[float], kind: Kind = "f") -> Vector | None:
    """One vector (None when a number doesn't fit the format)."""
    listed = values if type(values) is list else list(values)
    packed = pack_rows([listed], len(listed), kind)
    if isinstance(packed, int):
        return None
    return packed[0] if packed else memoryview(b"").cast(kind)


_F32_MAX: Final = 3.4028234663852886e38


def _too_large_at(rows: Sequence[Sequence[float]]) -> int:
    flat = (x for row in rows for x in row)
    return next((i for i, x in enumerate(flat) if abs(x) > _F32_MAX), 0)


def _infinite_at(buffer: bytes) -> int | None:
    for pattern in (_INF, _NEG_INF):
        at = buffer.find(pattern)
        while at != -1:
            if at % 4 == 0:  # a match across two numbers is not one
                return at // 4
            at = buffer.find(pattern, at + 1)
    return None


def readonly(values: Sequence[float] | Vector, kind: Kind = "f") -> Vector | None:
    """``values`` as a :data:`Vector` of ``kind``: a read-only view of that format is kept as
    it is, anything else is packed (None when a number doesn't fit)."""
    if type(values) is memoryview and values.readonly and values.format == kind:
        return values
    return pack_one(values, kind)


def floats(vector: Vector) -> list[float]:
    """A vector's numbers as a list of Python floats."""
    return vector.tolist()  # type: ignore[return-value]  # typeshed says list[int]


__all__ = ["Vector", "floats", "pack_one", "pack_rows", "readonly"]
