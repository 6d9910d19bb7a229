"""Similarity, pure: the formulas, InvalidInput for bad data (as a Result), and the numpy path
equal to the plain one within 1e-6 (properties against a reference written from the rules)."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

import hf_pure as hf
from hf_pure.tasks.similarity import Metric

PROPS = settings(max_examples=150, deadline=None)


def err(result: Result[Any, hf.InvalidInput]) -> hf.InvalidInput:
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, hf.InvalidInput)
    return error


# -- the reference: the rules written out with math.fsum, independent of the module ----------


def ref_dot(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def ref_norm(a: list[float]) -> float:
    return math.sqrt(math.fsum(x * x for x in a))


def ref_score(metric: str, a: list[float], b: list[float]) -> float:
    if metric == "dot":
        return ref_dot(a, b)
    if metric == "euclidean":
        return math.sqrt(math.fsum((x - y) ** 2 for x, y in zip(a, b, strict=True)))
    return max(-1.0, min(1.0, ref_dot(a, b) / (ref_norm(a) * ref_norm(b))))


def tolerance(metric: str, a: list[float], b: list[float]) -> float:
    """1e-6, relative to the size of the numbers for the metrics that scale with them."""
    if metric == "cosine":
        return 1e-6
    return 1e-6 * max(1.0, ref_norm(a) * ref_norm(b), ref_norm(a) + ref_norm(b))


# -- pairs -----------------------------------------------------------------------------------


def test_the_three_metrics_and_normalization() -> None:
    a, b = [1.0, 2.0, 3.0], [4.0, -5.0, 6.0]
    assert hf.dot(a, b) == Success(12.0)
    assert hf.cosine(a, b).unwrap() == pytest.approx(12.0 / (math.sqrt(14) * math.sqrt(77)))
    assert hf.euclidean(a, b).unwrap() == pytest.approx(math.sqrt(9 + 49 + 9))
    assert hf.cosine(a, [2.0, 4.0, 6.0]).unwrap() == pytest.approx(1.0)
    assert hf.cosine(a, [-1.0, -2.0, -3.0]).unwrap() == pytest.approx(-1.0)
    unit = hf.normalized([3.0, 4.0]).unwrap()
    assert unit.format == "f" and unit.readonly
    assert unit.tolist() == pytest.approx([0.6, 0.8], rel=1e-7)


def test_any_sequence_of_numbers_is_a_vector() -> None:
    vector = hf.normalized([1.0, 1.0]).unwrap()
    for other in (
        [1, 1],
        (1.0, 1.0),
        np.array([1.0, 1.0]),
        np.array([1, 1], dtype=np.int8),
        vector,
    ):
        assert hf.cosine(vector, other).unwrap() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("result", "field", "reason"),
    [
        (hf.cosine([1.0, 2.0], [1.0, 2.0, 3.0]), "b", "has 3 dimensions, a has 2"),
        (hf.dot([1.0], [1.0, 2.0]), "b", "has 2 dimensions"),
        (hf.euclidean([], [1.0]), "a", "empty"),
        (hf.cosine([0.0, 0.0], [1.0, 2.0]), "a", "zero vector"),
        (hf.cosine([1.0, 2.0], [0, 0]), "b", "zero vector"),
        (hf.normalized([0.0, 0.0, 0.0]), "vector", "zero vector"),
        (hf.cosine("ab", "ab"), "a", "must be a vector"),
        (hf.dot(3, [1.0]), "a", "must be a vector"),
        (hf.dot([1.0, "2"], [1.0, 2.0]), "a[1]", "must be a number, got str"),
        (hf.dot([1.0, True], [1.0, 2.0]), "a[1]", "must be a number, got bool"),
        (hf.dot([1.0, math.nan], [1.0, 2.0]), "a", "not finite"),
        (hf.euclidean([1e308, -1e308], [-1e308, 1e308]), "a", "not finite"),
        (hf.normalized([math.inf, 1.0]), "vector", "not finite"),
    ],
)
def test_bad_data_is_invalid_input_returned_not_raised(
    result: Result[Any, hf.InvalidInput], field: str, reason: str
) -> None:
    error = err(result)
    assert error.field == field and reason in error.reason, error


def test_dot_and_euclidean_take_zero_vectors() -> None:
    assert hf.dot([0.0, 0.0], [1.0, 2.0]) == Success(0.0)
    assert hf.euclidean([0.0, 0.0], [3.0, 4.0]) == Success(5.0)


# -- many vectors ----------------------------------------------------------------------------

CORPUS = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0], [2.0, 2.0, 0.0]]


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_nearest_gives_the_best_first_with_ties_by_index(backend: Any) -> None:
    hits = hf.nearest([1.0, 0.9, 0.0], CORPUS, 3, backend=backend).unwrap()
    assert [h.index for h in hits] == [2, 4, 0]  # 2 and 4 point the same way: a tie
    assert hits[0].score == pytest.approx(hits[1].score)
    assert hits[0].score == pytest.approx(ref_score("cosine", [1.0, 0.9, 0.0], CORPUS[2]))
    near = hf.nearest([1.0, 1.0, 0.0], CORPUS, 2, metric="euclidean", backend=backend).unwrap()
    assert [(h.index, h.score) for h in near] == [(2, 0.0), (0, 1.0)]  # smallest distance first
    dotted = hf.nearest([1.0, 1.0, 1.0], CORPUS, 10, metric="dot", backend=backend).unwrap()
    assert [h.index for h in dotted] == [4, 2, 3, 0, 1]  # k beyond the corpus: all of it


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_nearest_reports_bad_data_by_field(backend: Any) -> None:
    def problem(query: Any, corpus: Any, **kw: Any) -> tuple[str, str]:
        error = err(hf.nearest(query, corpus, backend=backend, **kw))
        return error.field, error.reason

    assert problem([1.0, 0.0], CORPUS)[0] == "query"
    assert problem([0.0, 0.0, 0.0], CORPUS) == ("query", problem([0.0, 0.0, 0.0], CORPUS)[1])
    assert "zero vector" in problem([0.0, 0.0, 0.0], CORPUS)[1]
    assert problem([1.0, 0.0, 0.0], [*CORPUS, [0.0, 0.0, 0.0]])[0] == "corpus[5]"
    assert problem([1.0, 0.0, 0.0], [[1.0, 0.0, 0.0], [1.0, 0.0]]) == (
        "corpus[1]",
        "has 2 dimensions, corpus[0] has 3",
    )
    assert problem([1.0, 0.0, 0.0], [[1.0, 0.0, 0.0], [1.0, "x", 0.0]])[0] == "corpus[1][1]"
    assert problem([1.0, 0.0, 0.0], [])[0] == "corpus"
    assert problem([1.0, 0.0, 0.0], [[math.nan, 1.0, 0.0]], metric="dot")[0] == "corpus[0]"
    assert problem([1.0, 0.0, 0.0], CORPUS, metric="manhattan")[0] == "metric"
    assert err(hf.nearest([1.0], [[1.0]], 0, backend=backend)).field == "k"


def test_steering_arguments_of_the_wrong_type_are_type_errors() -> None:
    with pytest.raises(TypeError, match="k must be an int"):
        hf.nearest([1.0], [[1.0]], "3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="metric"):
        hf.pairwise([[1.0]], metric=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="backend"):
        hf.vector_index([[1.0]], backend=None)  # type: ignore[arg-type]
    assert err(hf.pairwise([[1.0]], backend="gpu")).field == "backend"  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_an_index_is_checked_once_and_searched_like_the_corpus(backend: Any) -> None:
    index = hf.vector_index(CORPUS, backend=backend).unwrap()
    assert (index.size, index.dimensions, index.metric, index.backend) == (5, 3, "cosine", backend)
    query = [0.2, 1.0, 0.1]
    indexed = hf.nearest(query, index, 3).unwrap()
    direct = hf.nearest(query, CORPUS, 3, backend=backend).unwrap()
    assert [h.index for h in indexed] == [h.index for h in direct] == [1, 2, 4]
    assert [h.score for h in indexed] == pytest.approx([h.score for h in direct], abs=1e-12)
    assert "built for cosine" in err(hf.nearest(query, index, 3, metric="dot")).reason
    assert err(hf.vector_index([[1.0, 0.0], [0.0, 0.0]], backend=backend)).field == "corpus[1]"


def test_a_numpy_index_does_not_change_with_the_callers_array() -> None:
    matrix = np.array(CORPUS)
    for metric in ("cosine", "dot", "euclidean"):
        index = hf.vector_index(matrix, metric=metric, backend="numpy").unwrap()
        before = hf.nearest([1.0, 0.0, 0.0], index, 5).unwrap()
        matrix[0] = [0.0, 0.0, 9.0]
        assert hf.nearest([1.0, 0.0, 0.0], index, 5).unwrap() == before
        assert not index.rows.flags.writeable
        matrix[0] = CORPUS[0]


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_pairwise_is_the_matrix_of_pair_scores(backend: Any) -> None:
    rows, cols = CORPUS[:3], CORPUS[2:]
    for metric in ("cosine", "dot", "euclidean"):
        matrix = hf.pairwise(rows, cols, metric=metric, backend=backend).unwrap()
        assert all(m.format == "d" and m.readonly for m in matrix)
        for i, row in enumerate(rows):
            for j, col in enumerate(cols):
                assert matrix[i][j] == pytest.approx(ref_score(metric, row, col), abs=1e-12)
    square = hf.pairwise(CORPUS, backend=backend).unwrap()
    assert len(square) == 5 and all(len(r) == 5 for r in square)
    assert err(hf.pairwise(rows, [[1.0, 0.0]], backend=backend)).field == "cols"
    assert err(hf.pairwise([[1.0, 0.0], [0.0, 0.0]], backend=backend)).field == "rows[1]"


# -- properties: the plain path, the numpy path and the reference agree ------------------------

# Magnitudes where squares neither underflow nor overflow (embeddings live far inside them):
# at 1e-287 numpy's norm is 0.0 where math.hypot's is not, and the paths would disagree on
# what is a zero vector, as the module's docstring says.
_small = st.floats(1e-6, 100.0)
numbers = _small | _small.map(lambda x: -x) | st.sampled_from([0.0, 1.0, -1.0, 1e-3])


@st.composite
def corpora(draw: Any) -> tuple[list[float], list[list[float]]]:
    dims = draw(st.integers(1, 8))
    vector = st.lists(numbers, min_size=dims, max_size=dims)
    corpus = draw(st.lists(vector, min_size=1, max_size=12))
    return draw(vector), corpus


METRICS_ST = st.sampled_from(["cosine", "dot", "euclidean"])


@PROPS
@given(corpora(), st.integers(1, 14), METRICS_ST)
def test_nearest_plain_and_numpy_agree_with_the_reference(
    data: tuple[list[float], list[list[float]]], k: int, metric: Metric
) -> None:
    query, corpus = data
    plain = hf.nearest(query, corpus, k, metric=metric, backend="python")
    fast = hf.nearest(query, corpus, k, metric=metric, backend="numpy")
    if isinstance(plain, Failure) or isinstance(fast, Failure):  # zero vectors, for cosine
        assert err(plain).field == err(fast).field
        assert "zero vector" in err(plain).reason
        return
    want = sorted((ref_score(metric, query, c) for c in corpus), reverse=metric != "euclidean")[:k]
    for hits in (plain.unwrap(), fast.unwrap()):
        assert len(hits) == min(k, len(corpus))
        assert len({h.index for h in hits}) == len(hits)
        for hit, expected in zip(hits, want, strict=True):
            tol = tolerance(metric, query, corpus[hit.index])
            assert hit.score == pytest.approx(expected, abs=tol)  # the k best, best first
            assert hit.score == pytest.approx(ref_score(metric, query, corpus[hit.index]), abs=tol)
    for a, b in zip(plain.unwrap(), fast.unwrap(), strict=True):
        assert a.score == pytest.approx(b.score, abs=tolerance(metric, query, corpus[a.index]))


@PROPS
@given(corpora(), METRICS_ST)
def test_pairwise_plain_and_numpy_agree_within_1e_6(
    data: tuple[list[float], list[list[float]]], metric: Metric
) -> None:
    query, corpus = data
    rows = [query, *corpus[:3]]
    plain = hf.pairwise(rows, corpus, metric=metric, backend="python")
    fast = hf.pairwise(rows, corpus, metric=metric, backend="numpy")
    if isinstance(plain, Failure) or isinstance(fast, Failure):
        assert err(plain).field == err(fast).field
        return
    for i, (p, f) in enumerate(zip(plain.unwrap(), fast.unwrap(), strict=True)):
        for j, (x, y) in enumerate(zip(p, f, strict=True)):
            assert x == pytest.approx(y, abs=tolerance(metric, rows[i], corpus[j]))


@PROPS
@given(corpora())
def test_cosine_of_a_pair_matches_the_reference(
    data: tuple[list[float], list[list[float]]],
) -> None:
    query, corpus = data
    got = hf.cosine(query, corpus[0])
    if ref_norm(query) == 0.0 or ref_norm(corpus[0]) == 0.0:
        assert "zero vector" in err(got).reason
    else:
        assert got.unwrap() == pytest.approx(ref_score("cosine", query, corpus[0]), abs=1e-9)


# -- numpy is optional and loaded only for the paths that use it -------------------------------


def _fresh(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_numpy_is_not_imported_by_hf_pure_nor_by_the_pair_functions() -> None:
    out = _fresh(
        "import sys, hf_pure as hf\n"
        "a = 'numpy' in sys.modules\n"
        "hf.cosine([1.0, 2.0], [2.0, 1.0]); hf.normalized([1.0]); hf.dot([1.0], [2.0])\n"
        "b = 'numpy' in sys.modules\n"
        "hf.nearest([1.0, 0.0], [[1.0, 0.0]], 1)\n"
        "print(a, b, 'numpy' in sys.modules)"
    )
    assert out == "False False True"


def test_without_numpy_the_plain_path_serves_and_asking_for_numpy_says_how_to_get_it() -> None:
    out = _fresh(
        "import sys\n"
        "sys.modules['numpy'] = None  # as if not installed\n"
        "import hf_pure as hf\n"
        "hits = hf.nearest([1.0, 0.0], [[0.0, 1.0], [1.0, 0.1]], 1).unwrap()\n"
        "index = hf.vector_index([[1.0, 0.0]]).unwrap()\n"
        "asked = hf.pairwise([[1.0]], backend='numpy').failure()\n"
        "print(hits[0].index, index.backend, asked.field, '[numpy]' in asked.reason)"
    )
    assert out == "1 python backend True"
