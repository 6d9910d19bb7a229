"""Quick start: a request is a value built with pipe; the runner sends it; match the Result."""

from __future__ import annotations

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf

try:
    from examples._target import run
except ImportError:  # run as a script: python examples/quickstart.py
    from _target import run  # type: ignore[no-redef]

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


if __name__ == "__main__":
    run(main)
