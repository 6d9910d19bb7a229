"""The numpy paths of :mod:`hf_pure.tasks.similarity` (imported only when numpy is there and
a matrix or a nearest-neighbour search asks for it).

Everything is float64, as the plain path computes, so the two agree within 1e-6 (a property
test checks it). Input problems are found with numpy where that is cheap (shapes, zero rows,
scores that aren't finite); anything numpy refuses to convert is handed to the plain reader,
which names the offending vector and number.
"""

from __future__ import annotations

from typing import Any

from returns.result import Failure, Result, Success

from hf_pure.core.errors import InvalidInput
from hf_pure.tasks._similarity_read import NOT_FINITE, ZERO, floats, rows_of
from hf_pure.tasks._vectors import Vector
from hf_pure.tasks.similarity import Neighbor, VectorIndex, numpy_module

np: Any = numpy_module()


def _matrix(vectors: Any, field: str) -> Any:
    """``vectors`` as a 2-D float64 array (no copy when it already is one), or InvalidInput."""
    if isinstance(vectors, np.ndarray):
        if vectors.ndim != 2 or 0 in vectors.shape:
            shape = "x".join(map(str, vectors.shape))
            return InvalidInput(
                field, f"must be a non-empty 2-D array of vectors, got shape {shape}"
            )
        if vectors.dtype.kind not in "iuf":
            return InvalidInput(field, f"must hold numbers, got dtype {vectors.dtype}")
        return np.asarray(vectors, dtype=np.float64)
    try:
        matrix = np.asarray(vectors, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        matrix = None
    if matrix is None or matrix.ndim != 2 or 0 in matrix.shape:
        rows = rows_of(vectors, field)  # names the vector that isn't one
        if isinstance(rows, InvalidInput):
            return rows
        return np.asarray(rows, dtype=np.float64)
    return matrix


def _vector(query: Any, field: str) -> Any:
    if isinstance(query, np.ndarray) and query.ndim == 1 and query.dtype.kind in "iuf":
        if query.size == 0:
            return InvalidInput(field, "is an empty vector")
        return np.asarray(query, dtype=np.float64)
    values = floats(query, field)
    if isinstance(values, InvalidInput):
        return values
    return np.asarray(values, dtype=np.float64)


def _norms(matrix: Any, field: str) -> Any:
    norms = np.linalg.norm(matrix, axis=1)
    zero = np.flatnonzero(norms == 0.0)
    if zero.size:
        return InvalidInput(f"{field}[{int(zero[0])}]", ZERO)
    return norms


def _first_bad(scores: Any, field: str) -> InvalidInput | None:
    bad = np.flatnonzero(~np.isfinite(scores))
    return InvalidInput(f"{field}[{int(bad[0])}]", NOT_FINITE) if bad.size else None


def _scores(metric: str, matrix: Any, query: Any, norms: Any) -> Any:
    if metric == "euclidean":
        return np.linalg.norm(matrix - query, axis=1)
    scores = matrix @ query
    if norms is not None:
        scores /= norms
    return scores


def _best(scores: Any, k: int, metric: str) -> tuple[Neighbor, ...]:
    key = scores if metric == "euclidean" else -scores
    n = key.shape[0]
    if k < n:
        part = np.argpartition(key, k - 1)[:k]
    else:
        part = np.arange(n)
    order = part[np.lexsort((part, key[part]))]
    picked = scores[order]
    if metric == "cosine":
        picked = np.clip(picked, -1.0, 1.0)
    return tuple(
        Neighbor(index=i, score=s) for i, s in zip(order.tolist(), picked.tolist(), strict=True)
    )


def np_nearest(
    query: Any, corpus: Any, k: int, metric: str
) -> Result[tuple[Neighbor, ...], InvalidInput]:
    """One search over a corpus not indexed (a 2-D array is used as it is)."""
    matrix = _matrix(corpus, "corpus")
    if isinstance(matrix, InvalidInput):
        return Failure(matrix)
    return _search(query, matrix, None, k, metric, cosine_norms=metric == "cosine")


def np_search(query: Any, index: VectorIndex, k: int) -> Result[tuple[Neighbor, ...], InvalidInput]:
    """A search of an index (for cosine its rows are unit length already)."""
    return _search(query, index.rows, None, k, index.metric, cosine_norms=False)


def _search(
    query: Any, matrix: Any, norms: Any, k: int, metric: str, *, cosine_norms: bool
) -> Result[tuple[Neighbor, ...], InvalidInput]:
    q = _vector(query, "query")
    if isinstance(q, InvalidInput):
        return Failure(q)
    if q.shape[0] != matrix.shape[1]:
        reason = f"has {q.shape[0]} dimensions, the corpus has {matrix.shape[1]}"
        return Failure(InvalidInput("query", reason))
    if metric == "cosine":
        qn = float(np.linalg.norm(q))
        if qn == 0.0:
            return Failure(InvalidInput("query", ZERO))
        q = q / qn
        if cosine_norms:
            norms = _norms(matrix, "corpus")
            if isinstance(norms, InvalidInput):
                return Failure(norms)
    scores = _scores(metric, matrix, q, norms)
    bad = _first_bad(scores, "corpus")
    if bad is not None:
        return Failure(bad)
    return Success(_best(scores, k, metric))


def np_index(vectors: Any, metric: str) -> Result[VectorIndex, InvalidInput]:
    matrix = _matrix(vectors, "corpus")
    if isinstance(matrix, InvalidInput):
        return Failure(matrix)
    if metric == "cosine":
        norms = _norms(matrix, "corpus")
        if isinstance(norms, InvalidInput):
            return Failure(norms)
        matrix = matrix / norms[:, None]
    elif matrix is vectors:
        matrix = matrix.copy()  # the index must not change when the caller's array does
    bad = _first_bad(matrix.sum(axis=1), "corpus")
    if bad is not None:
        return Failure(bad)
    matrix.setflags(write=False)
    size, dims = matrix.shape
    return Success(
        VectorIndex(
            metric=metric, size=int(size), dimensions=int(dims), backend="numpy", rows=matrix
        )
    )


def np_pairwise(rows: Any, cols: Any, metric: str) -> Result[tuple[Vector, ...], InvalidInput]:
    left = _matrix(rows, "rows")
    if isinstance(left, InvalidInput):
        return Failure(left)
    right = left if cols is None else _matrix(cols, "cols")
    if isinstance(right, InvalidInput):
        return Failure(right)
    if right.shape[1] != left.shape[1]:
        reason = f"have {right.shape[1]} dimensions, rows have {left.shape[1]}"
        return Failure(InvalidInput("cols", reason))
    if metric == "cosine":
        left_norms = _norms(left, "rows")
        if isinstance(left_norms, InvalidInput):
            return Failure(left_norms)
        right_norms = left_norms if cols is None else _norms(right, "cols")
        if isinstance(right_norms, InvalidInput):
            return Failure(right_norms)
        left = left / left_norms[:, None]
        right = left if cols is None else right / right_norms[:, None]
    if metric == "euclidean":
        matrix = np.stack([np.linalg.norm(right - row, axis=1) for row in left])
    else:
        matrix = left @ right.T
        if metric == "cosine":
            np.clip(matrix, -1.0, 1.0, out=matrix)
    bad = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
    if bad.size:
        return Failure(InvalidInput(f"rows[{int(bad[0])}]", NOT_FINITE))
    whole = memoryview(np.ascontiguousarray(matrix).tobytes()).cast("d")
    width = matrix.shape[1]
    return Success(tuple(whole[i : i + width] for i in range(0, len(whole), width)))
