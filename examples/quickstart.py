"""Quick start: a request is a value built with pipe; the runner sends it; match the Result."""

from __future__ import annotations

import asyncio
import sys

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


async def main(runner: hf.Runner) -> None:
    request: hf.ChatRequest = pipe(
        hf.chat(MODEL, [hf.system("Answer in one sentence."), hf.user("What is a lighthouse?")]),
        hf.temperature(0.2),
        hf.max_tokens(60),
    )
    match await runner.run(request):
        case Success(answer):
            print(answer.text)
            if answer.usage:
                print(f"({answer.usage.total_tokens} tokens, finish: {answer.finish_reason})")
        case Failure(hf.RateLimited(retry_after=wait)):
            print(f"rate limited; try again in {wait} s")
        case Failure(error):
            print(f"failed: {error}")


async def _cli() -> None:
    # Hugging Face when a token is found (or `--real`), else the emulator (or `--emulator`)
    async with hf.runner_for(real=hf.use_real_service(sys.argv[1:])) as runner:
        await main(runner)


if __name__ == "__main__":
    asyncio.run(_cli())
