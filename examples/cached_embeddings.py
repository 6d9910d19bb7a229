"""Cached embeddings: the reliable runner keeps cacheable answers (embeddings are cacheable
from the start), so asking again is served locally, and the metrics say so."""

from __future__ import annotations

import asyncio
import sys

from returns.result import Success

import hf_pure as hf

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
TEXTS = ("cats are pets", "dogs are pets", "stock prices fell")


async def main(runner: hf.Runner) -> int:
    reliable = hf.ReliableRunner(runner, hf.Policy())
    request = hf.feature_extraction(MODEL, TEXTS)
    for attempt in (1, 2, 3):
        result = await reliable.run(request)
        print(f"ask {attempt}: {'ok' if isinstance(result, Success) else result.failure()}")
    hits = reliable.snapshot().metrics.cache_hits
    print(f"served from the cache: {hits} of 3")
    return hits


async def _cli() -> None:
    async with hf.runner_for(real=hf.use_real_service(sys.argv[1:])) as runner:
        await main(runner)


if __name__ == "__main__":
    asyncio.run(_cli())
