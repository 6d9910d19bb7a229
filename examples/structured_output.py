"""Structured output: ask for JSON that fits a class, and read the answer into it as a Result
(a reply that doesn't fit is MalformedResponse naming the field)."""

from __future__ import annotations

import asyncio
import sys

import attrs
from returns.result import Failure
from toolz import pipe

import hf_pure as hf

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


@attrs.frozen
class City:
    name: str
    country: str
    population: int


async def main(runner: hf.Runner) -> City | None:
    request: hf.ChatRequest = pipe(
        hf.chat(MODEL, [hf.user("Describe one large city as JSON.")]),
        hf.structured(City),  # the schema of City, in the form the route takes
        hf.max_tokens(120),
    )
    parsed = hf.parse_answer(await runner.run(request), City)
    if isinstance(parsed, Failure):
        print(f"[no city: {parsed.failure().message}]")
        return None
    city: City = parsed.unwrap()
    print(f"{city.name} ({city.country}): population {city.population}")
    return city


async def _cli() -> None:
    async with hf.runner_for(real=hf.use_real_service(sys.argv[1:])) as runner:
        await main(runner)


if __name__ == "__main__":
    asyncio.run(_cli())
