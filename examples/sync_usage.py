"""Without async: the synchronous runner takes the same request values and returns the same
Results; it runs its own event loop, so it also works where one is already running."""

from __future__ import annotations

import sys

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def main(runner: hf.SyncRunner) -> str:
    request: hf.ChatRequest = pipe(hf.chat(MODEL, [hf.user("Hello!")]), hf.max_tokens(20))
    match runner.run(request):
        case Success(answer):
            print(f"answer: {answer.text}")
        case Failure(error):
            print(f"[failed: {error.message}]")
    stream = runner.stream(request)
    text = "".join(chunk.text for chunk in stream)  # a plain iterator
    print(f"streamed: {text}")
    return text


if __name__ == "__main__":
    if hf.use_real_service(sys.argv[1:]):
        with hf.open_sync_runner() as runner:
            main(runner)
    else:
        with hf.emulated_sync_runner() as (runner, _):
            main(runner)
