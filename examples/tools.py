"""Tools: the model asks for a call, we run it, and send the result back in the conversation."""

from __future__ import annotations

import asyncio
import sys

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf

WEATHER = hf.tool(
    "get_weather",
    "Current weather for a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def get_weather(city: str) -> str:
    return f"18 C and clear in {city}"


async def main(runner: hf.Runner) -> None:
    request: hf.ChatRequest = pipe(
        hf.chat("meta-llama/Llama-3.1-8B-Instruct", ["What's the weather in Paris?"]),
        hf.tools(WEATHER),
    )
    first = await runner.run(request)
    if not isinstance(first, Success) or not first.unwrap().tool_calls:
        print(f"no tool call: {first}")
        return
    call = first.unwrap().tool_calls[0]
    match call.parsed_arguments():
        case Success({"city": str(city)}):
            result = get_weather(city)
        case other:
            result = f"could not read the arguments: {other}"
    print(f"model asked for {call.name}({call.arguments}) -> {result}")
    follow_up = hf.add_messages(hf.assistant(None, [call]), hf.tool_result(call.id, result))
    match await runner.run(follow_up(request)):
        case Success(answer):
            print(answer.text)
        case Failure(error):
            print(f"failed: {error}")


async def _cli() -> None:
    # Hugging Face when a token is found (or `--real`), else the emulator (or `--emulator`)
    async with hf.runner_for(real=hf.use_real_service(sys.argv[1:])) as runner:
        await main(runner)


if __name__ == "__main__":
    asyncio.run(_cli())
