"""Reading vectors for :mod:`hf_pure.tasks.similarity` (and its numpy path): any sequence of
numbers to a list of floats, or the InvalidInput naming what isn't one; the plain formulas."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from operator import mul
from typing import Any, Final

from returns.result import Failure, Result, Success

from hf_pure.core.errors import InvalidInput

ZERO: Final = "is a zero vector: it has no direction, so its cosine similarity is undefined"


# ----------------------------------------------------------------------------- reading input


def floats(value: Any, field: str) -> list[float] | InvalidInput:
    """``value`` as a non-empty list of Python numbers, or why it isn't a vector."""
    if isinstance(value, str | bytes | bytearray | Mapping) or not hasattr(value, "__len__"):
        return InvalidInput(field, f"must be a vector (a sequence of numbers), got {kind(value)}")
    tolist = getattr(value, "tolist", None)
    listed = tolist() if tolist is not None and type(value) is not list else value
    if type(listed) is not list:
        listed = list(listed)
    if not listed:
        return InvalidInput(field, "is an empty vector")
    if not all(type(x) is float for x in listed):
        for i, x in enumerate(listed):
            if type(x) is bool or not isinstance(x, Real):
                return InvalidInput(f"{field}[{i}]", f"must be a number, got {kind(x)}")
        listed = [float(x) for x in listed]
    return listed


def kind(value: Any) -> str:
    return type(value).__name__


def read_pair(a: Any, b: Any) -> tuple[list[float], list[float]] | InvalidInput:
    left = floats(a, "a")
    if isinstance(left, InvalidInput):
        return left
    right = floats(b, "b")
    if isinstance(right, InvalidInput):
        return right
    if len(left) != len(right):
        return InvalidInput("b", f"has {len(right)} dimensions, a has {len(left)}")
    return left, right


def finite(score: float, field: str) -> Result[float, InvalidInput]:
    if math.isfinite(score):
        return Success(score)
    return Failure(InvalidInput(field, NOT_FINITE))


NOT_FINITE: Final = "gives a result that is not finite (infinity, NaN or numbers too large)"


def dot_of(a: Sequence[float], b: Sequence[float]) -> float:
    return float(sum(map(mul, a, b)))


def vector_norm(a: Sequence[float]) -> float:
    return math.hypot(*a)


def clamp(x: float) -> float:
    return 1.0 if x > 1.0 else -1.0 if x < -1.0 else x


def rows_of(vectors: Any, field: str) -> list[list[float]] | InvalidInput:
    """Every vector of ``vectors`` as floats, all of one length, or the first problem."""
    if isinstance(vectors, str | bytes | Mapping) or not hasattr(vectors, "__len__"):
        return InvalidInput(field, f"must be a sequence of vectors, got {kind(vectors)}")
    if len(vectors) == 0:
        return InvalidInput(field, "holds no vectors")
    rows: list[list[float]] = []
    for i, vector in enumerate(vectors):
        row = floats(vector, f"{field}[{i}]")
        if isinstance(row, InvalidInput):
            return row
        if rows and len(row) != len(rows[0]):
            return InvalidInput(
                f"{field}[{i}]", f"has {len(row)} dimensions, {field}[0] has {len(rows[0])}"
            )
        rows.append(row)
    return rows


def unit_rows(rows: list[list[float]], field: str) -> list[list[float]] | InvalidInput:
    out = []
    for i, row in enumerate(rows):
        norm = vector_norm(row)
        if norm == 0.0:
            return InvalidInput(f"{field}[{i}]", ZERO)
        if not math.isfinite(norm):
            return InvalidInput(f"{field}[{i}]", NOT_FINITE)
        out.append([x / norm for x in row])
    return out


def plain_scores(metric: str, rows: Sequence[Sequence[float]], query: list[float]) -> list[float]:
    """Scores of ``query`` against ``rows`` (for cosine both already unit length)."""
    if metric == "euclidean":
        return [math.dist(row, query) for row in rows]
    return [dot_of(row, query) for row in rows]
