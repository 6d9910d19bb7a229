"""Wire-shaped fuzz of the embedding decoders: the three feature-extraction shapes and the
similarity scores, documented or with fields replaced by arbitrary JSON, fed to the decoder of
every kind of request. It never raises; it succeeds exactly when the reply is readable by the
rules (restated below from WIRE.md, independently of the decoder), with the documented types
and counts; anything else is MalformedResponse (or the error an error object reports)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.tasks.embeddings import decode_embeddings
from hf_pure.tasks.inference import TaskRequest
from hf_pure.testing._embed_shapes import (
    embedding_bodies,
    embedding_replies,
    similarity_bodies,
)
from hf_pure.testing.strategies import encode, wire_bodies

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODEL = "facebook/bart-base"

# the limit past which a number rounds to infinity in float32 (half an ulp above its max)
F32_LIMIT = 3.4028235677973366e38


def requests(n: int) -> list[TaskRequest[Any]]:
    """Every kind of request for ``n`` inputs: one text (n == 1) or a batch, pooled or not."""
    texts = [f"t{i}" for i in range(n)]
    out: list[TaskRequest[Any]] = [
        hf.feature_extraction(MODEL, texts),
        hf.feature_extraction(MODEL, texts, pooling="max", normalize=True),
    ]
    if n == 1:
        out += [
            hf.feature_extraction(MODEL, "t0"),
            hf.feature_extraction(MODEL, "t0", pooling="cls"),
        ]
    return out


# -- the rules, restated -------------------------------------------------------------------------


def is_number(v: Any) -> bool:
    if type(v) is int:
        return abs(v) < F32_LIMIT
    return type(v) is float and math.isfinite(v) and abs(v) < F32_LIMIT


def is_vector(v: Any) -> bool:
    return type(v) is list and len(v) > 0 and all(is_number(x) for x in v)


def one_length(rows: list[Any]) -> bool:
    return len({len(r) for r in rows}) == 1


def expected(obj: Any, batch: bool, n: int | None) -> tuple[str, int] | None:
    """("vectors" | "tokens", how many inputs) when the reply is readable for a request of
    ``n`` inputs (``batch``: sent as a list; n None: no request), else None."""
    if type(obj) is not list or not obj:
        return None
    if is_vector(obj):  # a flat vector: one text's
        return ("vectors", 1) if n in (None, 1) else None
    if all(is_vector(r) for r in obj) and one_length(obj):
        if batch or n is None:  # one vector per input
            return ("vectors", len(obj)) if n in (None, len(obj)) else None
        return ("vectors", 1) if len(obj) == 1 else ("tokens", 1)  # one text's tokens
    groups_ok = all(type(g) is list and g and all(is_vector(r) for r in g) for g in obj)
    if groups_ok and one_length([r for g in obj for r in g]):
        return ("tokens", len(obj)) if n in (None, len(obj)) else None
    return None


def check(request: TaskRequest[Any] | None, body: bytes, n: int | None) -> None:
    reply = hf.raw_reply(200, body)
    got = (
        decode_embeddings(request, reply) if request is not None else decode_embeddings(None, reply)
    )
    try:
        obj = json.loads(body)
    except ValueError:
        obj = None
    batch = request is None or type(request.inputs) is tuple
    want = expected(obj, batch, n)
    pooled = request is not None and request.option("pooling") is not None
    if want is None:
        assert isinstance(got, Failure), (body, got)
        error = got.failure()
        if type(obj) is dict and "error" in obj:
            assert isinstance(error, hf.HfErrorBase) and error.message
        else:
            assert isinstance(error, hf.MalformedResponse), error
        return
    assert isinstance(got, Success), (body, got)
    value = got.unwrap()
    kind, count = want
    if kind == "vectors" or pooled:
        assert isinstance(value, hf.Embeddings)
        assert len(value.vectors) == count
        vectors = list(value.vectors)
    else:
        assert isinstance(value, hf.TokenEmbeddings)
        assert len(value.tokens) == count and all(value.tokens)
        vectors = [v for tokens in value.tokens for v in tokens]
    dims = {len(v) for v in vectors}
    assert len(dims) == 1 and dims.pop() > 0
    assert all(v.format == "f" and v.readonly for v in vectors)


@FUZZ
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(st.just(n), embedding_bodies(n))))
def test_feature_extraction_decoders_follow_the_rules_for_any_body(data: tuple[int, bytes]) -> None:
    n, body = data
    for request in requests(n):
        check(request, body, n)
    check(None, body, None)


@FUZZ
@given(embedding_bodies(), st.integers(1, 4))
def test_any_shape_for_any_count_follows_the_rules(body: bytes, n: int) -> None:
    for request in requests(n):
        check(request, body, n)


@FUZZ
@given(wire_bodies("feature-extraction") | wire_bodies("error", 1))
def test_the_shared_wire_shapes_follow_the_rules(body: bytes) -> None:
    for n in (1, 2, 3):
        for request in requests(n):
            check(request, body, n)


@FUZZ
@given(embedding_replies("batch", 3), st.data())
def test_a_wrong_number_is_malformed_naming_its_path(
    rows: list[list[Any]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.integers(0, len(rows[i]) - 1))
    wrong = data.draw(st.sampled_from(["0.5", True, None, {"x": 1}, 1e39, -1e300]))
    rows[i][j] = wrong
    got = hf.feature_extraction(MODEL, ["a", "b", "c"]).decode(hf.raw_reply(200, encode(rows)))
    error = got.failure()
    assert isinstance(error, hf.MalformedResponse)
    assert error.reason.startswith(f"[{i}][{j}]: "), error.reason


@FUZZ
@given(st.integers(0, 4).flatmap(lambda n: st.tuples(st.just(n), similarity_bodies(n))))
def test_sentence_similarity_decoder_follows_the_rules(data: tuple[int, bytes]) -> None:
    n, body = data
    sentences = [f"s{i}" for i in range(max(n, 1))]
    request = hf.sentence_similarity("sentence-transformers/all-MiniLM-L6-v2", "src", sentences)
    got = request.decode(hf.raw_reply(200, body))
    obj = json.loads(body)
    numeric = type(obj) is list and all(
        (type(x) is int and abs(x) <= 2**1000) or (type(x) is float and math.isfinite(x))
        for x in obj
    )
    if numeric and len(obj) == len(sentences):
        scores = got.unwrap()
        assert type(scores) is tuple and all(type(s) is float for s in scores)
        assert list(scores) == [float(x) for x in obj]
    else:
        assert isinstance(got, Failure)
        error = got.failure()
        if not (type(obj) is dict and "error" in obj):
            assert isinstance(error, hf.MalformedResponse)
