"""A multi-turn conversation: each answer goes back into the history as it is, and the next
question is asked with the whole history (the request is a value built anew each turn)."""

from __future__ import annotations

import asyncio
import sys

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
QUESTIONS = ("What is a lighthouse?", "Who kept them running?", "Are any still manned?")


async def main(runner: hf.Runner) -> list[hf.Message | hf.AnswerMessage]:
    history: list[hf.Message | hf.AnswerMessage] = [hf.system("Answer in one sentence.")]
    for question in QUESTIONS:
        history.append(hf.user(question))
        request: hf.ChatRequest = pipe(hf.chat(MODEL, history), hf.max_tokens(40))
        match await runner.run(request):
            case Success(answer):
                history.append(answer.message)  # the answer's message, as the wire gave it
                print(f"> {question}\n{answer.text}\n")
            case Failure(error):
                print(f"> {question}\n[failed: {error.message}]")
                break
    print(f"[{len(history)} messages in the conversation]")
    return history


async def _cli() -> None:
    # Hugging Face when a token is found (or `--real`), else the emulator (or `--emulator`)
    async with hf.runner_for(real=hf.use_real_service(sys.argv[1:])) as runner:
        await main(runner)


if __name__ == "__main__":
    asyncio.run(_cli())
