"""The sync facade's client CPU, side by side in one run: hf_pure's async runner, hf_pure's
sync runner (``hf.open_sync_runner``) and huggingface_hub's sync ``InferenceClient``.

All three talk to the same loopback emulator, started in a separate process
(``python -m hf_pure emulator``), so the CPU time this process spends is the clients' own.
Each client runs alone in a fresh process per round (rotating order), warms up, then makes
non-streaming chat requests one after another (how blocking code calls) and, in a second
measure, from several callers at once (threads for the sync clients, tasks for the async
runner); a third reads streams of 200 chunks one after another (CPU per chunk). The CPU
is ``time.process_time()``: every thread of the process, so the sync runner's loop thread
is counted.

Targets (issue 12): hf_pure sync <= 1.3x hf_pure async per request, and <= 0.3x
huggingface_hub's sync InferenceClient. Run: ``python benchmarks/sync.py`` (``--quick`` for
a smaller, noisier run). The huggingface_hub column needs ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from overhead import free_port, start_emulator

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
PROMPT = "Summarise the plot of a short story about a lighthouse keeper in one sentence."
TOKEN = "hf_bench_token"
SHORT_ANSWER = 16  # tokens in the answer
STREAM_TOKENS = 200  # chunks per stream in the chunk measure (the emulator: one per write)
CALLERS = 4  # concurrent callers in the second measure

CLIENTS = ("hf_pure async", "hf_pure sync", "huggingface_hub sync")


# ------------------------------------------------------------------------------- the workers


def _threads_cpu(call: Callable[[], Any], total: int, callers: int) -> float:
    """CPU seconds per call, ``total`` blocking calls spread over ``callers`` threads."""
    per = total // callers
    if callers == 1:
        start = time.process_time()
        for _ in range(per):
            call()
        return (time.process_time() - start) / per

    def work() -> None:
        for _ in range(per):
            call()

    threads = [threading.Thread(target=work) for _ in range(callers)]
    start = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (time.process_time() - start) / (per * callers)


def sync_worker(name: str, url: str, requests: int) -> dict[str, float]:
    if name == "hf_pure sync":
        from returns.result import Success
        from toolz import pipe

        import hf_pure as hf

        runner = hf.open_sync_runner(hf.ClientConfig(router_url=url, hub_url=url), token=TOKEN)
        messages = [hf.user(PROMPT)]

        def call() -> str:
            request: hf.ChatRequest = pipe(hf.chat(MODEL, messages), hf.max_tokens(SHORT_ANSWER))
            result = runner.run(request)
            if not isinstance(result, Success):
                raise RuntimeError(str(result))
            answer: hf.ChatCompletion = result.unwrap()
            return answer.text

        def stream() -> int:
            request: hf.ChatRequest = pipe(hf.chat(MODEL, messages), hf.max_tokens(STREAM_TOKENS))
            s = runner.stream(request)
            n = sum(1 for chunk in s if chunk.choices)
            if not isinstance(s.result, Success):
                raise RuntimeError(str(s.result))
            return n

        close: Callable[[], None] = runner.close
    else:
        from huggingface_hub import InferenceClient

        client: Any = InferenceClient(base_url=url, api_key=TOKEN)
        hub_messages = [{"role": "user", "content": PROMPT}]

        def call() -> str:
            out = client.chat_completion(hub_messages, model=MODEL, max_tokens=SHORT_ANSWER)
            return str(out.choices[0].message.content)

        def stream() -> int:
            chunks = client.chat_completion(
                hub_messages, model=MODEL, max_tokens=STREAM_TOKENS, stream=True
            )
            return sum(1 for chunk in chunks if chunk.choices)

        def close() -> None:
            pass

    _threads_cpu(call, 64, 1)  # warm up: the connection, lazy imports
    _threads_cpu(call, 64, CALLERS)
    stream()
    out = {
        "seq": _threads_cpu(call, requests, 1),
        "par": _threads_cpu(call, requests, CALLERS),
        "chunk": _chunk_cpu(stream, max(requests // 100, 2)),
    }
    close()
    return out


def _chunk_cpu(stream: Callable[[], int], streams: int) -> float:
    """CPU seconds per chunk over ``streams`` streams read one after another."""
    start = time.process_time()
    chunks = sum(stream() for _ in range(streams))
    spent = time.process_time() - start
    if chunks < streams * STREAM_TOKENS:
        raise RuntimeError(f"{chunks} chunks, expected {streams * STREAM_TOKENS}")
    return spent / chunks


async def async_worker(url: str, requests: int) -> dict[str, float]:
    from returns.result import Success
    from toolz import pipe

    import hf_pure as hf

    messages = [hf.user(PROMPT)]
    config = hf.ClientConfig(router_url=url, hub_url=url)
    async with hf.open_runner(config, token=TOKEN) as runner:

        async def call() -> str:
            request: hf.ChatRequest = pipe(hf.chat(MODEL, messages), hf.max_tokens(SHORT_ANSWER))
            result = await runner.run(request)
            if not isinstance(result, Success):
                raise RuntimeError(str(result))
            answer: hf.ChatCompletion = result.unwrap()
            return answer.text

        async def cpu(total: int, callers: int) -> float:
            per = total // callers

            async def work() -> None:
                for _ in range(per):
                    await call()

            start = time.process_time()
            await asyncio.gather(*(work() for _ in range(callers)))
            return (time.process_time() - start) / (per * callers)

        async def stream() -> int:
            request: hf.ChatRequest = pipe(hf.chat(MODEL, messages), hf.max_tokens(STREAM_TOKENS))
            s = runner.stream(request)
            n = 0
            async for chunk in s:
                if chunk.choices:
                    n += 1
            if not isinstance(s.result, Success):
                raise RuntimeError(str(s.result))
            return n

        async def chunk_cpu(streams: int) -> float:
            start = time.process_time()
            chunks = 0
            for _ in range(streams):
                chunks += await stream()
            spent = time.process_time() - start
            if chunks < streams * STREAM_TOKENS:
                raise RuntimeError(f"{chunks} chunks, expected {streams * STREAM_TOKENS}")
            return spent / chunks

        await cpu(64, 1)
        await cpu(64, CALLERS)
        await stream()
        return {
            "seq": await cpu(requests, 1),
            "par": await cpu(requests, CALLERS),
            "chunk": await chunk_cpu(max(requests // 100, 2)),
        }


def worker(name: str, url: str, requests: int) -> None:
    if name == "hf_pure async":
        out = asyncio.run(async_worker(url, requests))
    else:
        out = sync_worker(name, url, requests)
    print(json.dumps(out))


# ------------------------------------------------------------------------------- the run


def measure(url: str, names: list[str], rounds: int, requests: int) -> dict[str, dict[str, float]]:
    """Median CPU per request of each client, each round in a fresh process per client, the
    order rotating so that drift in the machine's speed hits every client alike."""
    samples: dict[str, dict[str, list[float]]] = {}
    skipped: set[str] = set()
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            if name in skipped:
                continue
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    name,
                    "--url",
                    url,
                    "--requests",
                    str(requests),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0 or not done.stdout.strip():
                print(f"  {name}: skipped ({done.stderr.strip().splitlines()[-1:]})")
                skipped.add(name)
                continue
            for kind, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
                samples.setdefault(name, {}).setdefault(kind, []).append(value)
        print(f"  round {r + 1}/{rounds} done")
    return {
        name: {kind: statistics.median(v) for kind, v in by_kind.items()}
        for name, by_kind in samples.items()
    }


def report(names: list[str], cpu: dict[str, dict[str, float]]) -> None:
    base = cpu.get("hf_pure async", {})
    hub = cpu.get("huggingface_hub sync", {})

    def cell(name: str, kind: str) -> str:
        value = cpu.get(name, {}).get(kind)
        if value is None:
            return f"{'-':>26}"
        to_async = f"{value / base[kind]:.2f}x" if kind in base else "-"
        to_hub = f"{value / hub[kind]:.2f}x" if kind in hub else "-"
        digits = 1 if kind == "chunk" else 0
        return f"{value * 1e6:>8.{digits}f} us {to_async:>6} {to_hub:>6}"

    print()
    print(f"{'client':<22}{'request, one caller':>26}{f'request, {CALLERS} callers':>26}", end="")
    print(f"{'stream chunk':>26}")
    print(f"{'':<22}" + f"{'CPU  /async  /hub':>26}" * 3)
    for name in names:
        print(f"{name:<22}{cell(name, 'seq')}{cell(name, 'par')}{cell(name, 'chunk')}")
    sync = cpu.get("hf_pure sync", {})
    if sync and base:
        print()
        print("targets: hf_pure sync <= 1.30x hf_pure async, <= 0.30x huggingface_hub sync")
        for kind, label in (
            ("seq", "one caller"),
            ("par", f"{CALLERS} callers"),
            ("chunk", "chunk"),
        ):
            parts = [f"{sync[kind] / base[kind]:.2f}x async"]
            if kind in hub:
                parts.append(f"{sync[kind] / hub[kind]:.2f}x huggingface_hub")
            print(f"  {label}: " + ", ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests and rounds")
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url, args.requests)
        return
    names = [n.strip() for n in args.clients.split(",") if n.strip()]
    rounds, requests = (2, 400) if args.quick else (5, 2000)
    rounds = args.rounds or rounds
    requests = args.requests or requests
    port = free_port()
    server = start_emulator(port, TOKEN, "--reply-tokens", str(STREAM_TOKENS))
    try:
        print(
            f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus;"
            f" {rounds} rounds x {requests} chat requests per measure, each client in a fresh "
            "process, the emulator in another"
        )
        cpu = measure(f"http://127.0.0.1:{port}", names, rounds, requests)
    finally:
        server.terminate()
        server.wait(timeout=10)
    report(names, cpu)


if __name__ == "__main__":
    main()
