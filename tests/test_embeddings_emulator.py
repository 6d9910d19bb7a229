"""Embeddings and sentence similarity through the emulator: the emulator speaks WIRE.md's
shapes (checked on the raw wire), the client reads them back, embed_all splits and joins in
order and names failed parts, and the reliable runner serves repeats from its cache."""

from __future__ import annotations

import math
from typing import Any

import aiohttp
from returns.result import Success

import hf_pure as hf
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.retry import NO_RETRY
from hf_pure.testing import Emulator, Fault

L6 = "sentence-transformers/all-MiniLM-L6-v2"
L12 = "sentence-transformers/all-MiniLM-L12-v2"
BGE = "BAAI/bge-large-en-v1.5"
BART = "facebook/bart-base"
UNLIMITED = BucketConfig(per_second=10_000.0, per_minute=None, per_hour=None)
SIX_WORDS = "the keeper lit the old lamp"


async def post(http: aiohttp.ClientSession, model: str, task: str, body: Any) -> tuple[int, Any]:
    async with http.post(f"/hf-inference/models/{model}/pipeline/{task}", json=body) as resp:
        return resp.status, await resp.json()


def norm(vector: Any) -> float:
    return math.sqrt(sum(x * x for x in vector))


def cos(a: Any, b: Any) -> float:
    return float(hf.cosine(a, b).unwrap())


# -- the emulator on the raw wire ------------------------------------------------------------


async def test_sentence_models_answer_flat_for_one_text_and_a_list_for_a_batch(
    http: aiohttp.ClientSession,
) -> None:
    for model, dims in ((L6, 384), (L12, 384), (BGE, 1024)):
        status, flat = await post(http, model, "feature-extraction", {"inputs": "hello"})
        assert status == 200 and len(flat) == dims and all(type(x) is float for x in flat)
        assert abs(norm(flat) - 1.0) < 1e-5  # normalized unless told otherwise, as TEI
        status, batch = await post(http, model, "feature-extraction", {"inputs": ["a", "b c"]})
        assert status == 200 and [len(v) for v in batch] == [dims, dims]
    _, raw = await post(http, L6, "feature-extraction", {"inputs": "hello", "normalize": False})
    assert norm(raw) > 2.0  # normalize honoured


async def test_bart_base_answers_one_vector_per_token(http: aiohttp.ClientSession) -> None:
    status, one = await post(http, BART, "feature-extraction", {"inputs": SIX_WORDS})
    assert status == 200
    assert (len(one), len(one[0]), len(one[0][0])) == (1, 8, 768)  # WIRE.md's [1][8][768]
    _, two = await post(http, BART, "feature-extraction", {"inputs": ["a b", SIX_WORDS]})
    assert [len(tokens) for tokens in two] == [4, 8]
    _, unit = await post(http, BART, "feature-extraction", {"inputs": "a b", "normalize": True})
    assert all(abs(norm(token) - 1.0) < 1e-5 for token in unit[0])


async def test_the_emulator_refuses_what_the_service_refuses(http: aiohttp.ClientSession) -> None:
    long_text = "word " * 300
    status, body = await post(http, L6, "feature-extraction", {"inputs": long_text})
    assert status == 422 and "less than 256 tokens" in body["error"]
    status, _ = await post(http, L6, "feature-extraction", {"inputs": long_text, "truncate": True})
    assert status == 200
    status, body = await post(http, BGE, "feature-extraction", {"inputs": "x", "prompt_name": "q"})
    assert status == 422 and "query" in body["error"]
    status, _ = await post(http, BGE, "feature-extraction", {"inputs": "x", "prompt_name": "query"})
    assert status == 200
    status, _ = await post(http, L6, "feature-extraction", {"inputs": []})
    assert status == 422
    status, _ = await post(http, "gpt2", "feature-extraction", {"inputs": "x"})
    assert status == 400
    status, _ = await post(http, BART, "sentence-similarity", {"inputs": {}})
    assert status == 400


async def test_sentence_similarity_on_the_wire(http: aiohttp.ClientSession) -> None:
    inputs = {"source_sentence": "cats are pets", "sentences": ["dogs are pets", "stock fell"]}
    status, scores = await post(http, L6, "sentence-similarity", {"inputs": inputs})
    assert status == 200 and len(scores) == 2 and scores[0] > scores[1]


# -- round trips through the client ----------------------------------------------------------


async def test_related_texts_score_higher(runner: hf.Runner) -> None:
    texts = ["cats are pets", "dogs are pets", "stock prices fell", "my kitten sleeps"]
    got = (await runner.run(hf.feature_extraction(L6, texts))).unwrap()
    assert isinstance(got, hf.Embeddings) and got.dimensions == 384
    cats, dogs, stocks, kitten = got.vectors
    assert cos(cats, dogs) > cos(cats, stocks) + 0.3
    assert cos(kitten, cats) > cos(kitten, stocks)  # one topic, no shared word
    scores = (await runner.run(hf.sentence_similarity(L6, texts[0], texts[1:]))).unwrap()
    assert scores[0] > scores[1] and scores[2] > scores[1]
    assert abs(scores[0] - cos(cats, dogs)) < 1e-5  # the same features


async def test_every_reply_shape_round_trips(runner: hf.Runner) -> None:
    one = (await runner.run(hf.feature_extraction(BGE, "hello"))).unwrap()
    assert isinstance(one, hf.Embeddings) and (len(one.vectors), one.dimensions) == (1, 1024)
    tokens = (await runner.run(hf.feature_extraction(BART, SIX_WORDS))).unwrap()
    assert isinstance(tokens, hf.TokenEmbeddings)
    assert (len(tokens.tokens), len(tokens.tokens[0]), tokens.dimensions) == (1, 8, 768)
    batch = (await runner.run(hf.feature_extraction(BART, ["a b", SIX_WORDS]))).unwrap()
    assert isinstance(batch, hf.TokenEmbeddings) and [len(t) for t in batch.tokens] == [4, 8]
    request = hf.feature_extraction(
        BART, ["cats are pets", "dogs are pets", "stock fell"], pooling="mean"
    )
    pooled = (await runner.run(request)).unwrap()
    assert pooled.pooling == "mean" and len(pooled.vectors) == 3
    assert cos(pooled.vectors[0], pooled.vectors[1]) > cos(pooled.vectors[0], pooled.vectors[2])


async def test_emulator_errors_arrive_as_their_errors(runner: hf.Runner) -> None:
    refused = await runner.run(hf.feature_extraction(L6, "word " * 300))
    assert isinstance(refused.failure(), hf.BadRequest)
    missing = await runner.run(hf.feature_extraction("nobody/nothing", "x"))
    assert isinstance(missing.failure(), hf.NotFound)


# -- batches ---------------------------------------------------------------------------------

TEXTS = [f"note {i} about {'cats' if i % 2 else 'stocks'} and item{i}" for i in range(100)]


async def test_embed_all_splits_and_gives_every_vector_in_input_order(
    runner: hf.Runner, emulator: Emulator
) -> None:
    result = await hf.embed_all(
        runner, hf.feature_extraction(L6, TEXTS), batch_size=32, concurrency=3
    )
    embeddings = result.unwrap()
    assert isinstance(embeddings, hf.Embeddings) and len(embeddings.vectors) == 100
    sizes = sorted(len(seen.json()["inputs"]) for seen in emulator.requests)  # type: ignore[index]
    assert sizes == [4, 32, 32, 32]
    for i in (0, 31, 32, 63, 64, 99):  # each input's vector, wherever its part fell
        alone = (await runner.run(hf.feature_extraction(L6, TEXTS[i]))).unwrap()
        assert isinstance(alone, hf.Embeddings) and embeddings.vectors[i] == alone.vector


async def test_a_failed_part_is_named_by_its_indices_and_the_rest_is_kept(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script(
        "feature-extraction",
        Fault.delay(0),
        Fault.status(500, {"error": "worker crashed"}),
        Fault.delay(0),
    )
    request = hf.feature_extraction(L6, TEXTS)
    failure = (await hf.embed_all(runner, request, batch_size=32, concurrency=1)).failure()
    assert isinstance(failure, hf.BatchFailed)
    assert failure.indices == tuple(range(32, 64))
    (part,) = failure.failed
    assert (part.start, part.stop) == (32, 64) and isinstance(part.error, hf.ServerError)
    assert "worker crashed" in failure.message
    assert [(d.start, d.stop) for d in failure.done] == [(0, 32), (64, 96), (96, 100)]
    kept = [v for d in failure.done if isinstance(d.value, hf.Embeddings) for v in d.value.vectors]
    assert len(kept) == 68


async def test_an_invalid_input_is_reported_by_its_index_in_the_whole_batch_before_sending(
    runner: hf.Runner, emulator: Emulator
) -> None:
    texts = [*TEXTS[:40], "", *TEXTS[41:]]
    failure = (
        await hf.embed_all(runner, hf.feature_extraction(L6, texts), batch_size=32)
    ).failure()
    assert isinstance(failure, hf.BatchFailed)
    error = failure.failed[0].error
    assert isinstance(error, hf.InvalidInput) and error.field == "inputs[40]"
    assert emulator.requests == []


async def test_embed_all_of_one_text_is_one_request(runner: hf.Runner, emulator: Emulator) -> None:
    got = (await hf.embed_all(runner, hf.feature_extraction(L6, "just one"))).unwrap()
    assert isinstance(got, hf.Embeddings) and len(got.vectors) == 1
    assert len(emulator.requests) == 1


async def test_per_token_batches_join_per_input(runner: hf.Runner) -> None:
    texts = ["a b", SIX_WORDS, "c", "d e f"]
    got = (await hf.embed_all(runner, hf.feature_extraction(BART, texts), batch_size=3)).unwrap()
    assert isinstance(got, hf.TokenEmbeddings) and [len(t) for t in got.tokens] == [4, 8, 3, 5]


# -- the reliable runner ---------------------------------------------------------------------


async def test_repeated_embeddings_are_served_from_the_reliable_runners_cache(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED, retry=NO_RETRY))
    request = hf.feature_extraction(L6, ["cats are pets", "dogs are pets"])
    first = (await reliable.run(request)).unwrap()
    second = await reliable.run(hf.feature_extraction(L6, ["cats are pets", "dogs are pets"]))
    assert second.unwrap() == first
    assert len(emulator.requests) == 1
    assert reliable.snapshot().metrics.cache_hits == 1
    uncached = hf.cacheable(False)(request)
    assert isinstance(await reliable.run(uncached), Success)
    assert len(emulator.requests) == 2  # unmarked: sent again


async def test_embed_all_through_the_reliable_runner_caches_every_part(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED, retry=NO_RETRY))
    request = hf.feature_extraction(L6, TEXTS)
    first = (await hf.embed_all(reliable, request, batch_size=32)).unwrap()
    assert len(emulator.requests) == 4
    again = (await hf.embed_all(reliable, request, batch_size=32)).unwrap()
    assert again == first and len(emulator.requests) == 4  # all four parts from the cache
    assert reliable.snapshot().metrics.cache_hits == 4


async def test_the_reliable_runner_retries_a_failed_part(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED), sleep=_no_sleep)
    emulator.script("feature-extraction", Fault.status(503, {"error": "busy"}))
    result = await hf.embed_all(reliable, hf.feature_extraction(L6, TEXTS[:10]), batch_size=4)
    got = result.unwrap()
    assert isinstance(got, hf.Embeddings) and len(got.vectors) == 10
    assert len(emulator.requests) == 4  # three parts, one of them twice


async def _no_sleep(seconds: float) -> None:
    return None
