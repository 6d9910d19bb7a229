"""Feature-extraction, pure: the request on the wire, its checks, and the decoder against
replies written from WIRE.md in all three shapes, read by what the request sent."""

from __future__ import annotations

import json
import struct
import sys
import tracemalloc
from typing import Any

import numpy as np
import pytest
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.tasks.embeddings import EmbeddingReply, Pooling, decode_embeddings
from hf_pure.tasks.inference import TaskRequest

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
BART = "facebook/bart-base"
LIMITS = hf.Limits()


def reply(value: Any) -> hf.RawReply:
    return hf.raw_reply(200, json.dumps(value).encode())


def decoded(request: TaskRequest[Any], value: Any) -> Any:
    result = request.decode(reply(value))
    assert isinstance(result, Success), result
    return result.unwrap()


def malformed(request: TaskRequest[Any], body: bytes) -> str:
    result = request.decode(hf.raw_reply(200, body))
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, hf.MalformedResponse), error
    return error.message


TOKENS = [[[1.0, -2.0, 0.0], [3.0, 4.0, 2.0], [-1.0, 0.0, 4.0]]]  # one input, three tokens


def embed(**options: Any) -> TaskRequest[Any]:
    """One text to MiniLM with ``options`` as given (wrong types included)."""
    request: TaskRequest[Any] = hf.feature_extraction(MINILM, "x", **options)
    return request


def f32(x: float) -> float:
    return float(struct.unpack("f", struct.pack("f", x))[0])


# -- the request ----------------------------------------------------------------------------


def test_one_text_and_a_batch_go_to_the_pipeline_route_with_options_at_the_root() -> None:
    one = hf.feature_extraction(MINILM, "hello", normalize=True, prompt_name="query")
    call = one.to_call()
    assert call.method == "POST"
    assert call.path == f"/hf-inference/models/{MINILM}/pipeline/feature-extraction"
    assert json.loads(call.body or b"") == {
        "inputs": "hello",
        "normalize": True,
        "prompt_name": "query",
    }
    batch = hf.feature_extraction(
        MINILM, (t for t in ["a", "b"]), truncate=True, truncation_direction="Left"
    )
    assert json.loads(batch.to_call().body or b"") == {
        "inputs": ["a", "b"],
        "truncate": True,
        "truncation_direction": "Left",
    }


def test_pooling_steers_the_client_and_is_never_sent() -> None:
    request = hf.feature_extraction(BART, "hello", pooling="mean")
    assert request.option("pooling") == "mean"
    assert json.loads(request.to_call().body or b"") == {"inputs": "hello"}
    assert request != hf.feature_extraction(BART, "hello")  # a different answer: another key


def test_embeddings_are_cacheable_by_default_and_can_be_unmarked() -> None:
    request = hf.feature_extraction(MINILM, ["a"])
    assert request.cacheable
    assert not hf.cacheable(False)(request).cacheable
    assert hf.sentence_similarity(MINILM, "a", ["b"]).cacheable


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (hf.feature_extraction(MINILM, ""), "inputs"),
        (hf.feature_extraction(MINILM, []), "inputs"),
        (hf.feature_extraction(MINILM, ["ok", ""]), "inputs[1]"),
        (hf.feature_extraction(MINILM, ["ok", 3]), "inputs[1]"),  # type: ignore[list-item]
        (hf.feature_extraction(MINILM, ["ok", "bad\udc80"]), "inputs[1]"),
        (hf.feature_extraction(MINILM, {"a": 1}), "inputs"),
        (embed(normalize="yes"), "normalize"),
        (embed(truncate=1), "truncate"),
        (embed(truncation_direction="left"), "truncation_direction"),
        (embed(prompt_name=""), "prompt_name"),
        (embed(pooling="avg"), "pooling"),
        (hf.feature_extraction("not a repo", "x"), "model"),
        (hf.option("stream", True)(hf.feature_extraction(MINILM, "x")), "stream"),
    ],
)
def test_check_names_what_is_wrong(request_: TaskRequest[Any], field: str) -> None:
    problem = request_.check(LIMITS)
    assert problem is not None and problem.field == field, problem


def test_a_valid_request_passes_its_check() -> None:
    request = hf.feature_extraction(
        MINILM, ["a", "b"], normalize=False, truncate=True, truncation_direction="Right",
        prompt_name="query", pooling="cls",
    )  # fmt: skip
    assert request.check(LIMITS) is None


# -- the three reply shapes, read by what was sent -------------------------------------------


def test_a_flat_vector_is_one_texts_embedding() -> None:
    got = decoded(hf.feature_extraction(MINILM, "hi"), [0.5, -0.25, 1])
    assert isinstance(got, hf.Embeddings) and got.pooling is None
    assert got.vector.tolist() == [0.5, -0.25, 1.0] and got.dimensions == 3
    assert len(got.vectors) == 1


def test_a_matrix_is_a_batch_for_a_batch_and_per_token_for_one_text() -> None:
    rows = [[0.5, 0.25], [0.125, 1.0], [1.0, 0.0]]
    batch = decoded(hf.feature_extraction(MINILM, ["a", "b", "c"]), rows)
    assert isinstance(batch, hf.Embeddings) and batch.tolist() == rows
    one = decoded(hf.feature_extraction(BART, "a b"), rows)  # no batch dimension: tokens
    assert isinstance(one, hf.TokenEmbeddings) and one.tolist() == [rows]
    single_row = decoded(hf.feature_extraction(MINILM, "a"), [[0.5, 0.25]])
    assert isinstance(single_row, hf.Embeddings) and single_row.tolist() == [[0.5, 0.25]]


def test_per_token_for_one_sentence_is_never_taken_for_a_batch() -> None:
    # facebook/bart-base answers [1][8][768] for one sentence (WIRE.md)
    tokens = [[[float(t) / 8 + d / 10000 for d in range(768)] for t in range(8)]]
    got = decoded(hf.feature_extraction(BART, "one sentence of six words"), tokens)
    assert isinstance(got, hf.TokenEmbeddings)
    assert len(got.tokens) == 1 and len(got.tokens[0]) == 8 and got.dimensions == 768


def test_per_token_for_a_batch_keeps_each_inputs_tokens() -> None:
    tokens = [[[1.0, 2.0]], [[3.0, 4.0], [5.0, 6.0]]]  # inputs of 1 and 2 tokens
    got = decoded(hf.feature_extraction(BART, ["a", "b c"]), tokens)
    assert isinstance(got, hf.TokenEmbeddings) and got.tolist() == tokens


def test_counts_that_dont_match_the_request_are_malformed_saying_what_was_expected() -> None:
    three = hf.feature_extraction(MINILM, ["a", "b", "c"])
    assert "expected 3 vectors (one per input), got 2" in malformed(three, b"[[1,2],[3,4]]")
    assert "expected 3 vectors (one per input), got one flat vector" in malformed(three, b"[1,2]")
    assert "per-token vectors for 3 inputs, got 2" in malformed(three, b"[[[1]],[[2]]]")
    one = hf.feature_extraction(BART, "a")
    assert "per-token vectors for 1 input, got 2" in malformed(one, b"[[[1]],[[2]]]")


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"[[1,2],[3,null]]", "[1][1]: expected a number, got null"),
        (b'[[1,2],[3,"4"]]', "[1][1]: expected a number, got text"),
        (b"[[1,2],[3,true]]", "[1][1]: expected a number, got a boolean"),
        (b"[[1,2],[3]]", "[1]: a vector of length 1, but [0] has length 2"),
        (b"[[1,2],[]]", "[1]: an empty vector"),
        (b"[[1,2],[3,1e39]]", "[1][1]: a number beyond float32's range"),
        (b"[[1,2],[3," + b"9" * 400 + b"]]", "[1][1]: a number out of range"),
        (b"[[1,2],7]", "[1]: expected an array, got a number"),
        (b'{"embeddings":[1]}', "expected an array of numbers or of vectors, got an object"),
        (b"[]", "expected 2 vectors, got an empty array"),
    ],
)
def test_wrong_data_is_malformed_naming_the_path(body: bytes, where: str) -> None:
    assert where in malformed(hf.feature_extraction(MINILM, ["a", "b"]), body)


def test_an_error_object_in_a_2xx_body_is_the_error_and_not_json_is_malformed() -> None:
    got = hf.feature_extraction(MINILM, "a").decode(hf.raw_reply(200, b'{"error":"overloaded"}'))
    assert isinstance(got.failure(), hf.ErrorEvent)
    assert "not valid JSON" in malformed(hf.feature_extraction(MINILM, "a"), b"<html>")


def test_without_a_request_a_matrix_is_read_as_a_batch() -> None:
    alone = decode_embeddings(None, reply([[1.0, 2.0], [3.0, 4.0]])).unwrap()
    assert isinstance(alone, hf.Embeddings) and len(alone.vectors) == 2
    spec_decode = hf.feature_extraction(MINILM, "x").spec.decode  # the spec's own decoder
    flat = spec_decode(reply([1.0, 2.0])).unwrap()
    assert isinstance(flat, hf.Embeddings) and flat.tolist() == [[1.0, 2.0]]
    tokens = spec_decode(reply(TOKENS)).unwrap()
    assert isinstance(tokens, hf.TokenEmbeddings) and len(tokens.tokens) == 1


# -- pooling ---------------------------------------------------------------------------------


def test_mean_max_and_cls_pooling_follow_their_rules() -> None:
    cases: list[tuple[Pooling, list[float]]] = [
        ("mean", [1.0, 2.0 / 3.0, 2.0]),  # the average of each dimension
        ("max", [3.0, 4.0, 4.0]),  # the largest of each dimension
        ("cls", [1.0, -2.0, 0.0]),  # the first token's vector
    ]
    for how, want in cases:
        got = decoded(hf.feature_extraction(BART, "a b c", pooling=how), TOKENS)
        assert isinstance(got, hf.Embeddings) and got.pooling == how
        assert got.vector.tolist() == pytest.approx([f32(x) for x in want], rel=1e-7)


def test_pooling_at_decode_equals_pooling_the_token_reply() -> None:
    unpooled = decoded(hf.feature_extraction(BART, "a b c"), TOKENS)
    assert isinstance(unpooled, hf.TokenEmbeddings)
    for how in ("mean", "max", "cls"):
        pooled = decoded(hf.feature_extraction(BART, "a b c", pooling=how), TOKENS)
        assert unpooled.pooled(how) == pooled


def test_normalize_with_pooling_gives_unit_vectors_and_a_sentence_reply_is_left_alone() -> None:
    got = decoded(hf.feature_extraction(BART, "a", pooling="mean", normalize=True), TOKENS)
    assert sum(x * x for x in got.vector) == pytest.approx(1.0, abs=1e-6)
    sentence = decoded(hf.feature_extraction(MINILM, "a", pooling="max"), [3.0, 4.0])
    assert sentence.pooling is None and sentence.vector.tolist() == [3.0, 4.0]


def test_pooling_by_an_unknown_name_is_a_programmer_error() -> None:
    unpooled = decoded(hf.feature_extraction(BART, "a b c"), TOKENS)
    with pytest.raises(ValueError, match="mean, max, cls"):
        unpooled.pooled("sum")


# -- the vectors -----------------------------------------------------------------------------


def test_vectors_are_read_only_float32_views_over_bytes() -> None:
    got = decoded(hf.feature_extraction(MINILM, ["a", "b"]), [[0.1, 0.2], [0.3, 0.4]])
    vector = got.vectors[1]
    assert isinstance(vector, memoryview) and vector.format == "f" and vector.readonly
    assert isinstance(vector.obj, bytes)  # nothing reachable from it can be changed
    with pytest.raises(TypeError):
        vector[0] = 1.0
    assert vector.tolist() == [f32(0.3), f32(0.4)]
    assert np.frombuffer(vector, dtype=np.float32).tolist() == [f32(0.3), f32(0.4)]


def test_a_reply_of_32_x_384_is_kept_in_a_fraction_of_the_memory_of_lists() -> None:
    rows = [[(i * 384 + d) / 12288.0 for d in range(384)] for i in range(32)]
    body = json.dumps(rows).encode()
    request = hf.feature_extraction(MINILM, [str(i) for i in range(32)])

    def held(make: Any) -> int:
        tracemalloc.start()
        value = make()
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert value is not None
        return size

    compact = held(lambda: request.decode(hf.raw_reply(200, body)).unwrap())
    lists = held(lambda: json.loads(body))
    assert compact * 4 < lists, (compact, lists)  # measured: 58 KB against 395 KB


def test_reprs_give_shapes_not_memory_addresses() -> None:
    batch = decoded(hf.feature_extraction(MINILM, ["a", "b"]), [[1.0], [2.0]])
    assert repr(batch) == "Embeddings(2 x 1)"
    tokens = decoded(hf.feature_extraction(BART, "a"), TOKENS)
    assert repr(tokens) == "TokenEmbeddings(1 inputs of [3] tokens x 3)"


def test_the_decoder_is_typed_for_the_union_and_pooled_requests_for_embeddings() -> None:
    request: TaskRequest[EmbeddingReply] = hf.feature_extraction(MINILM, "a")
    pooled: TaskRequest[hf.Embeddings] = hf.feature_extraction(BART, "a", pooling="cls")
    assert request.spec is pooled.spec
    assert "hf_pure.tasks.embeddings" in sys.modules
