"""Streaming: typed chunks as they arrive, then the whole answer (or what arrived) as a Result."""

from __future__ import annotations

import asyncio
import sys

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf


async def main(runner: hf.Runner) -> None:
    request: hf.ChatRequest = pipe(
        hf.chat("meta-llama/Llama-3.1-8B-Instruct", ["Tell me a short story."]),
        hf.max_tokens(40),
    )
    stream = runner.stream(request)
    async for chunk in stream:
        print(chunk.text, end="", flush=True)
    print()
    match stream.result:
        case Success(answer):
            print(f"[complete: {answer.finish_reason}]")
        case Failure(hf.StreamInterrupted(received=text, reason=why)):
            print(f"[cut after {len(text)} characters: {why}]")
        case Failure(error):
            print(f"[failed: {error}]")

    # Text generation (TGI) streams the same way, one token per chunk.
    tgi: hf.TextGenerationRequest = pipe(
        hf.text_generation("bigscience/bloom-560m", "Once upon a time"), hf.max_tokens(12)
    )
    async with runner.stream(tgi) as tokens:
        async for token in tokens:
            print(token.text, end="", flush=True)
    print()


async def _cli() -> None:
    # Hugging Face when a token is found (or `--real`), else the emulator (or `--emulator`)
    async with hf.runner_for(real=hf.use_real_service(sys.argv[1:])) as runner:
        await main(runner)


if __name__ == "__main__":
    asyncio.run(_cli())
