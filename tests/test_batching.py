"""The batch plan, pure: any number of inputs split at any batch size keeps every input once, in
order; joining the parts' results gives the inputs' values in order, or names every failed
part by its indices (nothing dropped)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

import hf_pure as hf
from hf_pure.tasks._vectors import pack_rows
from hf_pure.tasks.batching import join_parts
from hf_pure.tasks.embeddings import embedding_shape, join_embeddings

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PROPS = settings(max_examples=200, deadline=None)


def texts(n: int) -> list[str]:
    return [f"text {i}" for i in range(n)]


@PROPS
@given(st.integers(1, 300), st.integers(1, 64))
def test_a_plan_covers_every_input_once_in_order(n: int, size: int) -> None:
    request = hf.feature_extraction(MODEL, texts(n), normalize=True)
    parts = hf.plan_batches(request, size)
    # the rule: consecutive parts of `size` inputs (the last may be shorter), in order
    assert [p.start for p in parts] == list(range(0, n, size))
    assert [p.stop for p in parts] == [min(s + size, n) for s in range(0, n, size)]
    joined = [text for p in parts for text in p.request.inputs]
    assert joined == texts(n)
    for part in parts:
        assert list(part.request.inputs) == texts(n)[part.start : part.stop]
        assert list(part.indices) == list(range(part.start, part.stop))
        assert part.request.options == request.options  # the same settings on every part
        assert part.request.model == request.model and part.request.cacheable


def test_a_request_that_fits_is_its_own_only_part_and_one_text_is_one_part() -> None:
    request = hf.feature_extraction(MODEL, texts(32))
    (only,) = hf.plan_batches(request, 32)
    assert only.request is request and (only.start, only.stop) == (0, 32)
    single = hf.feature_extraction(MODEL, "one text")
    (one,) = hf.plan_batches(single, 8)
    assert one.request is single and list(one.indices) == [0]


def test_a_batch_size_that_is_not_a_positive_int_is_a_programmer_error() -> None:
    request = hf.feature_extraction(MODEL, texts(3))
    with pytest.raises(ValueError, match="at least 1"):
        hf.plan_batches(request, 0)
    with pytest.raises(TypeError, match="batch_size"):
        hf.plan_batches(request, 2.0)  # type: ignore[arg-type]


def vectors_for(part: hf.BatchPart[Any]) -> hf.Embeddings:
    """A part's answer: input i's vector is [i] (so order can be checked after joining)."""
    packed = pack_rows([[float(i)] for i in part.indices], 1)
    assert isinstance(packed, tuple)
    return hf.Embeddings(vectors=packed)


@PROPS
@given(st.integers(1, 200), st.integers(1, 40), st.data())
def test_joined_results_are_in_input_order_and_failed_parts_name_their_indices(
    n: int, size: int, data: st.DataObject
) -> None:
    parts = hf.plan_batches(hf.feature_extraction(MODEL, texts(n)), size)
    fails = data.draw(st.lists(st.booleans(), min_size=len(parts), max_size=len(parts)))
    results: list[Result[hf.Embeddings | hf.TokenEmbeddings, hf.HfError]] = [
        Failure(hf.ServerError(status=500, detail=f"part {i}"))
        if failed
        else Success(vectors_for(part))
        for i, (part, failed) in enumerate(zip(parts, fails, strict=True))
    ]
    joined = join_parts(parts, results, join_embeddings, embedding_shape)
    if not any(fails):
        value = joined.unwrap()
        assert isinstance(value, hf.Embeddings)
        assert [v.tolist() for v in value.vectors] == [[float(i)] for i in range(n)]
        return
    failure = joined.failure()
    assert isinstance(failure, hf.BatchFailed) and failure.total == n
    failed_parts = [p for p, f in zip(parts, fails, strict=True) if f]
    assert [(f.start, f.stop) for f in failure.failed] == [(p.start, p.stop) for p in failed_parts]
    assert failure.indices == tuple(i for p in failed_parts for i in p.indices)
    assert all(
        f"part {parts.index(p)}" in f.error.message
        for p, f in zip(failed_parts, failure.failed, strict=True)
    )
    # nothing dropped: every input is either failed or done, once
    done_indices = [i for d in failure.done for i in d.indices]
    assert sorted(done_indices + list(failure.indices)) == list(range(n))
    for done in failure.done:
        assert isinstance(done.value, hf.Embeddings)
        assert [v.tolist() for v in done.value.vectors] == [[float(i)] for i in done.indices]
    assert f"{len(failure.indices)} of {n} inputs failed" in failure.message


def test_parts_whose_answers_dont_fit_together_are_failed_not_joined() -> None:
    parts = hf.plan_batches(hf.feature_extraction(MODEL, texts(4)), 2)
    wide = pack_rows([[1.0, 2.0], [3.0, 4.0]], 2)
    assert isinstance(wide, tuple)
    results: list[Result[hf.Embeddings | hf.TokenEmbeddings, hf.HfError]] = [
        Success(vectors_for(parts[0])),
        Success(hf.Embeddings(vectors=wide)),
    ]
    failure = join_parts(parts, results, join_embeddings, embedding_shape).failure()
    assert isinstance(failure, hf.BatchFailed)
    assert failure.indices == (2, 3) and [d.start for d in failure.done] == [0]
    error = failure.failed[0].error
    assert isinstance(error, hf.MalformedResponse)
    assert "one vector per input of 2 dimensions" in error.message
    assert "one vector per input of 1 dimensions" in error.message
