"""The Hub: a model's info and providers, a search followed page by page, a model's status,
and waiting for a cold model. Runs against Hugging Face when a token is found, the emulator
otherwise (``--emulator`` forces it)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from returns.result import Failure, Success

import hf_pure as hf


async def main(
    runner: hf.Runner,
    cold_model: str = "distilbert/distilgpt2",  # the emulator's cold model
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    # 1. model info: the providers serving it, and a renamed id followed
    match await runner.run(hf.model_info("bert-base-uncased")):
        case Success(info):
            print(f"{info.renamed_from} is now {info.id}; live on {', '.join(info.live_providers)}")
        case Failure(error):
            print(f"model info failed: {error}")

    # 2. a search, pages requested only as the loop needs them
    search = hf.search_models(pipeline_tag="text-generation", sort="downloads", limit=3)
    models = hf.iter_models(runner, search)
    async for model in models:
        print(f"  {model.id}: {model.downloads:,} downloads")
    if models.error is not None:
        print(f"the listing ended early: {models.error}")

    # 3. status, as a value to match
    match await hf.model_status(runner, hf.Models.LLAMA_3_1_8B_INSTRUCT):
        case hf.Available(providers=providers):
            print(f"available on {len(providers)} providers")
        case hf.Gated():
            print("gated: accept its terms on the Hub first")
        case status:
            print(status.message)

    # 4. wait for a model that is loading, then get the answer
    request = hf.text_generation(cold_model, "The lighthouse keeper")
    result = await hf.wait_for_model(
        runner,
        request,
        plan=hf.WaitPlan.quick(),  # every 2 s, or the server's estimate when longer
        on_status=lambda status: print(f"  {status.message}"),
        sleep=sleep,
    )
    match result:
        case Success(answer):
            print(f"answered: {answer.generated_text[:40]}...")
        case Failure(error):
            print(f"gave up: {error}")


async def _cli() -> None:
    real = hf.use_real_service(sys.argv[1:])
    async with hf.runner_for(real=real) as runner:
        await main(runner, *(("openai-community/gpt2",) if real else ()))


if __name__ == "__main__":
    asyncio.run(_cli())
