"""Similarity of vectors, pure: cosine, dot, euclidean, normalization, a pairwise matrix, and
the nearest vectors of a corpus to a query.

    corpus = hf.vector_index(embeddings.vectors).unwrap()        # checked once
    for hit in hf.nearest(query.vector, corpus, 3).unwrap():   # best first
        print(hit.index, hit.score)

Vectors are any sequence of numbers: lists, tuples, ``hf.Vector`` views, ``array`` objects,
numpy arrays. Data problems are returned, never raised, as ``Failure(InvalidInput(field,
reason))`` (the house way for data: a ``Result``): vectors of different lengths, an empty
vector, a zero vector where a direction is needed (cosine, normalization), something that
isn't a vector of numbers, a result that isn't finite (infinities, NaN or numbers too large in
the input). A wrong Python type for an argument that steers the computation (``k="3"``,
``metric=1``) is a TypeError naming it.

Plain Python by default. With numpy installed (``pip install 'hf_pure[numpy]'``) the matrix
and nearest-neighbour paths use it (``backend="auto"``; ``"python"`` or ``"numpy"`` choose);
numpy is imported only then, never by ``import hf_pure``. Both compute in float64 and agree
within 1e-6 (tests/test_similarity.py, a property test; for numbers whose squares neither
underflow nor overflow, |x| in 1e-100..1e100: beyond, numpy's norm of ``[1e-287]`` is 0.0
where the plain path's is not), with ties ordered by index. Scores:
cosine similarity in [-1, 1] and dot product (higher is nearer), euclidean distance (lower is
nearer); :func:`nearest` gives the best first.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from functools import cache
from typing import Any, Final, Literal, TypeAlias

import attrs
import msgspec
from returns.result import Failure, Result, Success

from hf_pure.core.errors import InvalidInput
from hf_pure.core.value import Value
from hf_pure.tasks._similarity_read import (
    NOT_FINITE,
    ZERO,
    clamp,
    dot_of,
    finite,
    floats,
    plain_scores,
    read_pair,
    rows_of,
    unit_rows,
    vector_norm,
)
from hf_pure.tasks._vectors import Vector, pack_one, pack_rows

Metric: TypeAlias = Literal["cosine", "dot", "euclidean"]
Backend: TypeAlias = Literal["auto", "python", "numpy"]
METRICS: Final = ("cosine", "dot", "euclidean")
BACKENDS: Final = ("auto", "python", "numpy")
Vectorish: TypeAlias = Sequence[float] | Vector | Any  # numpy arrays included


class Neighbor(msgspec.Struct, frozen=True, gc=False):
    """One vector of a corpus near a query: its ``index`` in the corpus and its ``score``."""

    index: int
    score: float


@cache
def numpy_module() -> Any:
    """numpy, imported on first use, or None when it is not installed."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


# ----------------------------------------------------------------------------- pairs


def dot(a: Vectorish, b: Vectorish) -> Result[float, InvalidInput]:
    """The dot product of two vectors of the same length."""
    pair = read_pair(a, b)
    if isinstance(pair, InvalidInput):
        return Failure(pair)
    return finite(dot_of(*pair), "a")


def cosine(a: Vectorish, b: Vectorish) -> Result[float, InvalidInput]:
    """The cosine similarity of two non-zero vectors of the same length, in [-1, 1]."""
    pair = read_pair(a, b)
    if isinstance(pair, InvalidInput):
        return Failure(pair)
    left, right = pair
    na, nb = vector_norm(left), vector_norm(right)
    if na == 0.0:
        return Failure(InvalidInput("a", ZERO))
    if nb == 0.0:
        return Failure(InvalidInput("b", ZERO))
    return finite(dot_of(left, right) / na / nb, "a").map(clamp)


def euclidean(a: Vectorish, b: Vectorish) -> Result[float, InvalidInput]:
    """The euclidean distance between two vectors of the same length."""
    pair = read_pair(a, b)
    if isinstance(pair, InvalidInput):
        return Failure(pair)
    return finite(math.dist(*pair), "a")


def normalized(vector: Vectorish) -> Result[Vector, InvalidInput]:
    """``vector`` scaled to length 1, as a float32 ``hf.Vector``; a zero vector has no
    direction and is InvalidInput."""
    values = floats(vector, "vector")
    if isinstance(values, InvalidInput):
        return Failure(values)
    norm = vector_norm(values)
    if norm == 0.0:
        return Failure(InvalidInput("vector", ZERO))
    if not math.isfinite(norm):
        return Failure(InvalidInput("vector", NOT_FINITE))
    packed = pack_one([x / norm for x in values])
    return Success(packed) if packed is not None else Failure(InvalidInput("vector", NOT_FINITE))


# ----------------------------------------------------------------------------- many vectors


def _choose(backend: object, metric: object) -> str | InvalidInput:
    """The backend to use ("python" or "numpy") after checking both steering arguments."""
    if not isinstance(backend, str):
        raise TypeError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if not isinstance(metric, str):
        raise TypeError(f"metric must be one of {METRICS}, got {metric!r}")
    if metric not in METRICS:
        return InvalidInput("metric", f"must be one of {', '.join(METRICS)}, got {metric!r}")
    if backend not in BACKENDS:
        return InvalidInput("backend", f"must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "python":
        return "python"
    if numpy_module() is None:
        if backend == "numpy":
            return InvalidInput("backend", "numpy is not installed (pip install 'hf_pure[numpy]')")
        return "python"
    return "numpy"


def pairwise(
    rows: Any,
    cols: Any = None,
    *,
    metric: Metric = "cosine",
    backend: Backend = "auto",
) -> Result[tuple[Vector, ...], InvalidInput]:
    """The matrix of ``metric`` between every vector of ``rows`` and every vector of ``cols``
    (``rows`` itself when None): one read-only float64 view per row (``m[i][j]``,
    ``m[i].tolist()``, ``numpy.frombuffer(m[i])``)."""
    chosen = _choose(backend, metric)
    if isinstance(chosen, InvalidInput):
        return Failure(chosen)
    if chosen == "numpy":
        from hf_pure.tasks._similarity_np import np_pairwise

        return np_pairwise(rows, cols, metric)
    left = rows_of(rows, "rows")
    if isinstance(left, InvalidInput):
        return Failure(left)
    right = left if cols is None else rows_of(cols, "cols")
    if isinstance(right, InvalidInput):
        return Failure(right)
    if len(right[0]) != len(left[0]):
        return Failure(
            InvalidInput("cols", f"have {len(right[0])} dimensions, rows have {len(left[0])}")
        )
    if metric == "cosine":
        unit_left = unit_rows(left, "rows")
        if isinstance(unit_left, InvalidInput):
            return Failure(unit_left)
        unit_right = unit_left if cols is None else unit_rows(right, "cols")
        if isinstance(unit_right, InvalidInput):
            return Failure(unit_right)
        left, right = unit_left, unit_right
    matrix = [plain_scores(metric, right, row) for row in left]
    if metric == "cosine":
        matrix = [[clamp(x) for x in row] for row in matrix]
    for i, row in enumerate(matrix):
        if not all(map(math.isfinite, row)):
            return Failure(InvalidInput(f"rows[{i}]", NOT_FINITE))
    packed = pack_rows(matrix, len(right), "d")
    return Success(packed if type(packed) is tuple else ())


@attrs.frozen(eq=False, repr=False)
class VectorIndex(Value):
    """A corpus checked once for searching with :func:`nearest` (built by
    :func:`vector_index`): ``size`` vectors of ``dimensions`` numbers, for ``metric``, kept in
    float64 (for cosine, scaled to unit length) as a read-only numpy matrix or as packed rows.
    """

    metric: str
    size: int
    dimensions: int
    backend: str
    rows: Any

    def __repr__(self) -> str:
        return (
            f"VectorIndex({self.size} x {self.dimensions}, metric={self.metric!r}, "
            f"backend={self.backend!r})"
        )


def vector_index(
    vectors: Any, *, metric: Metric = "cosine", backend: Backend = "auto"
) -> Result[VectorIndex, InvalidInput]:
    """``vectors`` checked (all of one length, numbers, for cosine none zero) and kept for
    searching many times with :func:`nearest`."""
    chosen = _choose(backend, metric)
    if isinstance(chosen, InvalidInput):
        return Failure(chosen)
    if chosen == "numpy":
        from hf_pure.tasks._similarity_np import np_index

        return np_index(vectors, metric)
    rows = rows_of(vectors, "corpus")
    if isinstance(rows, InvalidInput):
        return Failure(rows)
    if metric == "cosine":
        rows = unit_rows(rows, "corpus")
        if isinstance(rows, InvalidInput):
            return Failure(rows)
    dims = len(rows[0])
    packed = pack_rows(rows, dims, "d")
    kept = packed if type(packed) is tuple else ()
    return Success(
        VectorIndex(metric=metric, size=len(rows), dimensions=dims, backend=chosen, rows=kept)
    )


def check_k(k: object) -> InvalidInput | None:
    if type(k) is not int:
        raise TypeError(f"k must be an int (how many neighbours), got {k!r}")
    return None if k >= 1 else InvalidInput("k", f"must be at least 1, got {k}")


def nearest(
    query: Vectorish,
    corpus: VectorIndex | Any,
    k: int = 5,
    *,
    metric: Metric | None = None,
    backend: Backend = "auto",
) -> Result[tuple[Neighbor, ...], InvalidInput]:
    """The ``k`` vectors of ``corpus`` nearest to ``query``, best first (ties by index):
    highest cosine similarity (the default) or dot product, smallest euclidean distance.
    ``corpus`` is a :class:`VectorIndex` (checked once, searched fast) or any sequence of
    vectors (a 2-D numpy array is used as it is)."""
    problem = check_k(k)
    if problem is not None:
        return Failure(problem)
    if isinstance(corpus, VectorIndex):
        if metric is not None and metric != corpus.metric:
            reason = f"the index was built for {corpus.metric}, not {metric!r}"
            return Failure(InvalidInput("metric", reason))
        return _search(query, corpus, k)
    chosen = _choose(backend, metric or "cosine")
    if isinstance(chosen, InvalidInput):
        return Failure(chosen)
    problem = _query_problem(query, metric or "cosine")  # the query first, on either path
    if problem is not None:
        return Failure(problem)
    if chosen == "numpy":
        from hf_pure.tasks._similarity_np import np_nearest

        return np_nearest(query, corpus, k, metric or "cosine")
    index = vector_index(corpus, metric=metric or "cosine", backend="python")
    return index.bind(lambda built: _search(query, built, k))


def _query_problem(query: Vectorish, metric: str) -> InvalidInput | None:
    q = floats(query, "query")
    if isinstance(q, InvalidInput):
        return q
    if metric == "cosine" and vector_norm(q) == 0.0:
        return InvalidInput("query", ZERO)
    return None


def _search(
    query: Vectorish, index: VectorIndex, k: int
) -> Result[tuple[Neighbor, ...], InvalidInput]:
    if index.backend == "numpy":
        from hf_pure.tasks._similarity_np import np_search

        return np_search(query, index, k)
    q = floats(query, "query")
    if isinstance(q, InvalidInput):
        return Failure(q)
    if len(q) != index.dimensions:
        return Failure(
            InvalidInput("query", f"has {len(q)} dimensions, the corpus has {index.dimensions}")
        )
    if index.metric == "cosine":
        norm = vector_norm(q)
        if norm == 0.0:
            return Failure(InvalidInput("query", ZERO))
        q = [x / norm for x in q]
    scores = plain_scores(index.metric, index.rows, q)
    for i, score in enumerate(scores):
        if not math.isfinite(score):
            return Failure(InvalidInput(f"corpus[{i}]", NOT_FINITE))
    return Success(best(scores, k, index.metric))


def best(scores: Sequence[float], k: int, metric: str) -> tuple[Neighbor, ...]:
    """The ``k`` best of ``scores`` (plain Python), best first, ties by index."""
    if metric == "euclidean":
        chosen = heapq.nsmallest(k, range(len(scores)), key=lambda i: (scores[i], i))
    else:
        chosen = heapq.nsmallest(k, range(len(scores)), key=lambda i: (-scores[i], i))
    fix = clamp if metric == "cosine" else float
    return tuple(Neighbor(index=i, score=fix(scores[i])) for i in chosen)


__all__ = [
    "BACKENDS",
    "METRICS",
    "Backend",
    "Metric",
    "Neighbor",
    "VectorIndex",
    "cosine",
    "dot",
    "euclidean",
    "nearest",
    "normalized",
    "pairwise",
    "vector_index",
]
