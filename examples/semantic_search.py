"""Semantic search: embed a small corpus, embed a question, print the three nearest documents.

python examples/semantic_search.py              # the real service, when a token is found
python examples/semantic_search.py --emulator   # the built-in emulator, no token needed
python examples/semantic_search.py "what is the weather like?"
"""

from __future__ import annotations

import asyncio
import sys

from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.shell.env import load_token

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
CORPUS = (
    "Cats are independent pets that sleep most of the day.",
    "Stock prices fell sharply after the bank raised rates.",
    "Dogs are loyal animals and love long walks.",
    "Heavy rain and strong wind are in the forecast for tonight.",
    "A hamster is a small pet that lives happily in a cage.",
    "Bake the bread for forty minutes until it is golden.",
    "The telescope found a new planet orbiting a distant star.",
    "Investors sold their shares as the market dropped.",
)
QUESTION = "Which animals make good pets?"


async def main(runner: hf.Runner, question: str = QUESTION) -> None:
    # the corpus in batches of 4 (two requests), vectors back in the corpus's order
    embedded = await hf.embed_all(runner, hf.feature_extraction(MODEL, CORPUS), batch_size=4)
    asked = await runner.run(hf.feature_extraction(MODEL, question))
    match embedded, asked:
        case Success(hf.Embeddings(vectors=vectors)), Success(hf.Embeddings(vectors=(query,))):
            pass
        case Failure(failed), _:
            print(f"embedding the corpus failed: {failed.message}")
            return
        case _, Failure(error):
            print(f"embedding the question failed: {error.message}")
            return
        case _:
            print("the model did not answer one vector per text")
            return
    index = hf.vector_index(vectors).unwrap()  # checked once: dimensions, no zero vectors
    print(f"{question}")
    match hf.nearest(query, index, 3):
        case Success(hits):
            for hit in hits:
                print(f"  {hit.score:.3f}  {CORPUS[hit.index]}")
        case Failure(problem):
            print(f"search failed: {problem.message}")


async def _cli(args: list[str]) -> None:
    emulator = "--emulator" in args
    words = [a for a in args if not a.startswith("--")]
    if not emulator and not isinstance(load_token(), Success):
        print("no Hugging Face token found: using the built-in emulator", file=sys.stderr)
        emulator = True
    async with hf.runner_for(real=not emulator) as runner:
        await main(runner, " ".join(words) or QUESTION)


if __name__ == "__main__":
    asyncio.run(_cli(sys.argv[1:]))
