"""CPU per chunk of a stream's reading path, on recorded SSE bytes of each provider shape.

No sockets and no server: a stand-in for the aiohttp session hands the Stream the bytes an
emulated provider writes (20 events per write, as the overhead benchmark's burst server), so
what is timed is hf_pure's own per-chunk path (SSE framing, the typed decode, the fold, the
hand-out, ``.result``) and nothing of the event loop's or the network's. The shapes:

- ``plain``: the emulator's chunks (OpenAI's shape, with its extra fields);
- ``usage``: ``usage`` in every chunk and ``content_filter_results`` (hyperbolic, novita);
- ``together``: ``"tool_calls": null`` in every delta (together);
- ``empty``: the role in every delta, and an empty chunk after every fourth (sambanova).

    .venv/bin/python benchmarks/stream_chunk.py [--streams 300] [--rounds 7] [--shapes plain,usage]

Timings on a shared machine vary by tens of percent; compare runs made side by side. For a
count that does not vary, run one shape under ``valgrind --tool=callgrind`` with ``--count``
for two stream counts and divide the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from returns.result import Success

import hf_pure as hf
from hf_pure.shell.runner import Runner
from hf_pure.testing._chat_reply import Choice, stream_answer

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
TOKENS = 200
PER_WRITE = 20
SHAPES = ("plain", "usage", "together", "empty")


def _reencoded(events: list[bytes], change: Any) -> list[bytes]:
    """Each event (but the closing ``[DONE]``) decoded, changed and written again."""
    out: list[bytes] = []
    for i, event in enumerate(events[:-1]):
        obj = json.loads(event[len(b"data: ") :])
        for extra in change(i, obj):
            out.append(b"data: " + json.dumps(extra, separators=(",", ":")).encode() + b"\n\n")
    return [*out, events[-1]]


def events_of(shape: str) -> list[bytes]:
    """The SSE events of one answer of ``TOKENS`` chunks, as ``shape`` writes them."""
    choice = Choice()
    choice.pieces = [f"w{i % 50} " for i in range(TOKENS - 1)] + ["end"]
    choice.finish = "length"
    usage = {"prompt_tokens": 20, "completion_tokens": TOKENS, "total_tokens": TOKENS + 20}
    events = stream_answer(
        model=MODEL,
        reply_id="chatcmpl-emu-1",
        choices=[choice],
        usage=usage,
        include_usage=True,
        want_logprobs=False,
        top=0,
        shape="together" if shape == "together" else "",
    ).events

    def with_usage(i: int, obj: dict[str, Any]) -> list[dict[str, Any]]:
        for c in obj["choices"]:
            c["content_filter_results"] = {}
        return [{**obj, "usage": usage}]

    def with_empties(i: int, obj: dict[str, Any]) -> list[dict[str, Any]]:
        for c in obj["choices"]:
            c["delta"]["role"] = "assistant"
        if i % 4 != 3:
            return [obj]
        empty = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        return [obj, {**obj, "choices": [empty]}]

    if shape == "usage":
        return _reencoded(events, with_usage)
    if shape == "empty":
        return _reencoded(events, with_empties)
    return events


def writes_of(shape: str, per_write: int = PER_WRITE) -> list[bytes]:
    events = events_of(shape)
    return [b"".join(events[i : i + per_write]) for i in range(0, len(events), per_write)]


# ------------------------------------------------------------------ a session that replays


class _Content:
    def __init__(self, writes: list[bytes]) -> None:
        self._writes = iter(writes)

    async def readany(self) -> bytes:
        return next(self._writes, b"")


class _Reply:
    status = 200
    content_type = "text/event-stream"

    def __init__(self, writes: list[bytes]) -> None:
        self.headers = {"x-request-id": "r1"}
        self.content = _Content(writes)
        self.closed = False

    def release(self) -> None:
        self.closed = True

    def close(self) -> None:
        self.closed = True


class _Session:
    """Stands in for ``aiohttp.ClientSession``: every request gets the recorded writes."""

    closed = False

    def __init__(self, writes: list[bytes]) -> None:
        self._writes = writes

    async def request(self, *args: Any, **kwargs: Any) -> _Reply:
        return _Reply(self._writes)


async def per_chunk(shape: str, streams: int, per_write: int = PER_WRITE) -> float:
    """Process CPU µs per chunk over ``streams`` streams of ``shape``."""
    config = hf.ClientConfig(router_url="http://replay", hub_url="http://replay")
    runner = Runner(config, _Session(writes_of(shape, per_write)))  # type: ignore[arg-type]
    request = hf.max_tokens(TOKENS)(hf.chat(MODEL, ["hi"]))
    chunks = 0
    start = time.process_time()
    for _ in range(streams):
        stream = runner.stream(request)
        async for chunk in stream:
            if chunk.choices:
                chunks += 1
        if not isinstance(stream.result, Success):
            raise RuntimeError(str(stream.result))
    return (time.process_time() - start) / chunks * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--per-write", type=int, default=PER_WRITE)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--count", action="store_true", help="one round, no output (callgrind)")
    args = parser.parse_args()
    shapes = args.shapes.split(",")
    if args.count:
        for shape in shapes:
            await per_chunk(shape, args.streams, args.per_write)
        return
    for shape in shapes:
        await per_chunk(shape, 20, args.per_write)  # warm up
        times = [await per_chunk(shape, args.streams, args.per_write) for _ in range(args.rounds)]
        print(f"{shape:<10}{statistics.median(times):7.3f} µs/chunk  (min {min(times):.3f})")


if __name__ == "__main__":
    asyncio.run(main())
