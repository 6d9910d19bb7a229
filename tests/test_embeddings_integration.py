"""Embeddings and sentence similarity against the real Hugging Face router. Run with
``python -m pytest --integration`` and a token; skipped, with the reason, without."""

from __future__ import annotations

import pytest
from returns.result import Success

import hf_pure as hf

pytestmark = pytest.mark.integration

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
BART = "facebook/bart-base"


async def test_real_sentence_embeddings_one_text_and_a_batch(real_runner: hf.Runner) -> None:
    one = (await real_runner.run(hf.feature_extraction(MINILM, "cats are pets"))).unwrap()
    assert isinstance(one, hf.Embeddings) and one.dimensions == 384 and len(one.vectors) == 1
    texts = ["cats are pets", "dogs are pets", "stock prices fell"]
    batch = (
        await hf.embed_all(real_runner, hf.feature_extraction(MINILM, texts), batch_size=2)
    ).unwrap()
    assert isinstance(batch, hf.Embeddings) and len(batch.vectors) == 3
    cats, dogs, stocks = batch.vectors
    assert hf.cosine(cats, dogs).unwrap() > hf.cosine(cats, stocks).unwrap()


async def test_real_per_token_model_pooled(real_runner: hf.Runner) -> None:
    result = await real_runner.run(
        hf.feature_extraction(BART, "The keeper lit the lamp.", pooling="mean")
    )
    # hf-inference serves only some models at any time: a clear NotFound is an honest answer
    match result:
        case Success(pooled):
            assert pooled.pooling == "mean" and pooled.dimensions == 768
        case _:
            assert isinstance(result.failure(), hf.NotFound | hf.ModelLoading), result


async def test_real_sentence_similarity(real_runner: hf.Runner) -> None:
    request = hf.sentence_similarity(
        MINILM, "cats are pets", ["dogs are pets", "stock prices fell"]
    )
    scores = (await real_runner.run(request)).unwrap()
    assert len(scores) == 2 and scores[0] > scores[1]
