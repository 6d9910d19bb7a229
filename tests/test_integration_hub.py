"""The Hub family against the real service (model info, rename, search pages, status, the
crate's model constants). Run with ``python -m pytest --integration`` and a token; skipped,
with the reason, without."""

from __future__ import annotations

import pytest

import hf_pure as hf
from hf_pure.tasks.models import KNOWN_MODELS

pytestmark = pytest.mark.integration


async def test_real_model_info_with_providers(real_runner: hf.Runner) -> None:
    info = (await real_runner.run(hf.model_info(hf.Models.LLAMA_3_1_8B_INSTRUCT))).unwrap()
    assert info.id == hf.Models.LLAMA_3_1_8B_INSTRUCT
    assert info.gated in ("auto", "manual")
    assert info.providers and all(p.provider and p.task for p in info.providers)


async def test_real_rename_is_followed(real_runner: hf.Runner) -> None:
    info = (await real_runner.run(hf.model_info("bert-base-uncased"))).unwrap()
    assert (info.id, info.renamed_from) == ("google-bert/bert-base-uncased", "bert-base-uncased")


async def test_real_search_pages_follow_the_link(real_runner: hf.Runner) -> None:
    search = hf.search_models(author="google-bert", sort="downloads", page_size=2, limit=5)
    models = hf.iter_models(real_runner, search)
    got = [m.id async for m in models]
    assert models.error is None, models.error
    assert len(got) == 5 and len(set(got)) == 5
    assert all(m.startswith("google-bert/") for m in got)
    assert models.requests == 3


async def test_real_model_status(real_runner: hf.Runner) -> None:
    status = await hf.model_status(real_runner, hf.Models.LLAMA_3_1_8B_INSTRUCT)
    assert isinstance(status, hf.Available) and status.providers
    assert isinstance(
        await hf.model_status(real_runner, "hf-pure/no-such-model-xyz"), hf.ModelNotFound
    )


async def test_real_hub_knows_every_model_constant(real_runner: hf.Runner) -> None:
    for model in KNOWN_MODELS:
        info = (await real_runner.run(hf.model_info(model))).unwrap()
        assert model in (info.id, info.renamed_from)  # gpt2 is openai-community/gpt2 now


async def test_real_router_takes_a_policy_suffix(real_runner: hf.Runner) -> None:
    request = hf.max_tokens(8)(hf.fastest()(hf.chat(hf.Models.LLAMA_3_1_8B_INSTRUCT, ["Hi"])))
    assert (await real_runner.run(request)).unwrap().text
