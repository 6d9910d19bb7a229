"""The sync facade's client CPU, side by side in one run: hf_pure's async runner, hf_pure's
sync runner (``hf.open_sync_runner``) and huggingface_hub's sync ``InferenceClient``, and the
floors under them: plain aiohttp called from a task, plain aiohttp on a loop thread called
from blocking threads (``run_coroutine_threadsafe``: what any sync facade over aiohttp pays),
and plain httpx's blocking ``Client`` (what huggingface_hub is built on).

All of them talk to the same loopback emulator, started in a separate process
(``python -m hf_pure emulator``), so the CPU time this process spends is the clients' own.
Each client runs alone in a fresh process per round (the order rotating every round, so
drift in the machine's speed hits every client alike), warms up, then makes non-streaming
chat requests one after another (how blocking code calls) and, in a second measure, from
several callers at once (threads for the sync clients, tasks for the async ones); a third
reads streams of 200 chunks one after another (CPU per chunk). The CPU is
``time.process_time()``: every thread of the process, so a loop thread is counted. Each
cell is the median over the rounds, with the spread of the rounds (max-min, in % of the
median) and the context switches per request (``getrusage``: every thread's, voluntary and
not; load moves them too, but far less than the times): a thread hand-over costs
wake-ups, and on loopback they are a large share of a request's CPU. The load average is
printed per round: on a shared machine, trust the ratios of one run more than its absolute
numbers.

Targets (issue 12): hf_pure sync <= 1.3x hf_pure async per request, and <= 0.3x
huggingface_hub's sync InferenceClient. Run: ``python benchmarks/sync.py`` (``--quick`` for
a smaller, noisier run; ``--clients`` for some of them). The huggingface_hub and httpx
columns need ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from overhead import free_port, start_emulator

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
PROMPT = "Summarise the plot of a short story about a lighthouse keeper in one sentence."
TOKEN = "hf_bench_token"
SHORT_ANSWER = 16  # tokens in the answer
STREAM_TOKENS = 200  # chunks per stream in the chunk measure (the emulator: one per write)
CALLERS = 4  # concurrent callers in the second measure

CLIENTS = (
    "hf_pure async",
    "hf_pure sync",
    "huggingface_hub sync",
    "aiohttp async",  # the floors: the same exchange with nothing above the HTTP client
    "aiohttp loop thread",
    "httpx sync",
)
PLAIN = ("aiohttp async", "aiohttp loop thread", "httpx sync")  # no stream measure


# ------------------------------------------------------------------------------- the workers


def _switches() -> int:
    """Context switches of every thread of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_nvcsw + usage.ru_nivcsw


def _threads_cpu(call: Callable[[], Any], total: int, callers: int) -> tuple[float, float]:
    """CPU seconds and context switches per call, ``total`` blocking calls spread over
    ``callers`` threads."""
    per = total // callers
    if callers == 1:
        switches, start = _switches(), time.process_time()
        for _ in range(per):
            call()
        return (time.process_time() - start) / per, (_switches() - switches) / per

    def work() -> None:
        for _ in range(per):
            call()

    threads = [threading.Thread(target=work) for _ in range(callers)]
    switches, start = _switches(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spent = time.process_time() - start
    return spent / (per * callers), (_switches() - switches) / (per * callers)


def _plain_exchange(url: str) -> tuple[str, bytes, dict[str, str]]:
    """The URL, body and headers hf_pure sends for the benchmark's request, for the plain
    clients (the same bytes on the wire)."""
    from toolz import pipe

    import hf_pure as hf

    request: hf.ChatRequest = pipe(hf.chat(MODEL, [hf.user(PROMPT)]), hf.max_tokens(SHORT_ANSWER))
    call = request.to_call()
    assert call.body is not None
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    return call.url(url), call.body, headers


def _measures(
    call: Callable[[], Any], stream: Callable[[], int] | None, requests: int
) -> dict[str, float]:
    _threads_cpu(call, 64, 1)  # warm up: the connection, lazy imports
    _threads_cpu(call, 64, CALLERS)
    seq, seq_switches = _threads_cpu(call, requests, 1)
    par, par_switches = _threads_cpu(call, requests, CALLERS)
    out = {"seq": seq, "par": par, "seq_cs": seq_switches, "par_cs": par_switches}
    if stream is not None:
        stream()
        out["chunk"] = _chunk_cpu(stream, max(requests // 100, 2))
    return out


def sync_worker(name: str, url: str, requests: int) -> dict[str, float]:
    call: Callable[[], object]
    stream: Callable[[], int] | None = None
    if name == "hf_pure sync":
        from returns.result import Success
        from toolz import pipe

        import hf_pure as hf

        runner = hf.open_sync_runner(hf.ClientConfig(router_url=url, hub_url=url), token=TOKEN)
        messages = [hf.user(PROMPT)]

        def hf_call() -> str:
            request: hf.ChatRequest = pipe(hf.chat(MODEL, messages), hf.max_tokens(SHORT_ANSWER))
            result = runner.run(request)
            if not isinstance(result, Success):
                raise RuntimeError(str(result))
            answer: hf.ChatCompletion = result.unwrap()
            return answer.text

        def hf_stream() -> int:
            request: hf.ChatRequest = pipe(hf.chat(MODEL, messages), hf.max_tokens(STREAM_TOKENS))
            s = runner.stream(request)
            n = sum(1 for chunk in s if chunk.choices)
            if not isinstance(s.result, Success):
                raise RuntimeError(str(s.result))
            return n

        call, stream, close = hf_call, hf_stream, runner.close
    elif name == "huggingface_hub sync":
        from huggingface_hub import InferenceClient

        client: Any = InferenceClient(base_url=url, api_key=TOKEN)
        hub_messages = [{"role": "user", "content": PROMPT}]

        def hub_call() -> str:
            out = client.chat_completion(hub_messages, model=MODEL, max_tokens=SHORT_ANSWER)
            return str(out.choices[0].message.content)

        def hub_stream() -> int:
            chunks = client.chat_completion(
                hub_messages, model=MODEL, max_tokens=STREAM_TOKENS, stream=True
            )
            return sum(1 for chunk in chunks if chunk.choices)

        call, stream, close = hub_call, hub_stream, _nothing
    elif name == "httpx sync":
        try:  # huggingface_hub 1.x is built on httpx, 2.x on its fork httpx2
            import httpx2 as httpx  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            import httpx  # type: ignore[import-not-found,no-redef,unused-ignore]
        target, body, headers = _plain_exchange(url)
        plain = httpx.Client()

        def httpx_call() -> bytes:
            reply = plain.post(target, content=body, headers=headers)
            if reply.status_code != 200:
                raise RuntimeError(f"status {reply.status_code}")
            return bytes(reply.content)

        call, close = httpx_call, plain.close
    elif name == "aiohttp loop thread":
        call, close = _aiohttp_on_a_thread(url)
    else:
        raise ValueError(name)
    out = _measures(call, stream, requests)
    close()
    return out


def _nothing() -> None:
    pass


def _aiohttp_on_a_thread(url: str) -> tuple[Callable[[], bytes], Callable[[], None]]:
    """Plain aiohttp on an event loop in a thread, each blocking call handed to it with
    ``run_coroutine_threadsafe``: the least a sync facade over aiohttp does per call."""
    import aiohttp

    target, body, headers = _plain_exchange(url)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def open_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    session = asyncio.run_coroutine_threadsafe(open_session(), loop).result()

    async def exchange() -> bytes:
        async with session.post(target, data=body, headers=headers) as reply:
            if reply.status != 200:
                raise RuntimeError(f"status {reply.status}")
            return await reply.read()

    def call() -> bytes:
        return asyncio.run_coroutine_threadsafe(exchange(), loop).result()

    def close() -> None:
        asyncio.run_coroutine_threadsafe(session.close(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()

    return call, close


def _chunk_cpu(stream: Callable[[], int], streams: int) -> float:
    """CPU seconds per chunk over ``streams`` streams read one after another."""
    start = time.process_time()
    chunks = sum(stream() for _ in range(streams))
    spent = time.process_time() - start
    if chunks < streams * STREAM_TOKENS:
        raise RuntimeError(f"{chunks} chunks, expected {streams * STREAM_TOKENS}")
    return spent / chunks


async def _async_cpu(
    call: Callable[[], Awaitable[Any]], total: int, callers: int
) -> tuple[float, float]:
    """CPU seconds and context switches per call, ``total`` calls from ``callers`` tasks."""
    per = total // callers

    async def work() -> None:
        for _ in range(per):
            await call()

    switches, start = _switches(), time.process_time()
    await asyncio.gather(*(work() for _ in range(callers)))
    spent = time.process_time() - start
    return spent / (per * callers), (_switches() - switches) / (per * callers)


async def _async_measures(
    call: Callable[[], Awaitable[Any]],
    stream: Callable[[], Awaitable[int]] | None,
    requests: int,
) -> dict[str, float]:
    await _async_cpu(call, 64, 1)
    await _async_cpu(call, 64, CALLERS)
    seq, seq_switches = await _async_cpu(call, requests, 1)
    par, par_switches = await _async_cpu(call, requests, CALLERS)
    out = {"seq": seq, "par": par, "seq_cs": seq_switches, "par_cs": par_switches}
    if stream is not None:
        await stream()
        start = time.process_time()
        streams, chunks = max(requests // 100, 2), 0
        for _ in range(streams):
            chunks += await stream()
        spent = time.process_time() - start
        if chunks < streams * STREAM_TOKENS:
            raise RuntimeError(f"{chunks} chunks, expected {streams * STREAM_TOKENS}")
        out["chunk"] = spent / chunks
    return out


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

        return await _async_measures(call, stream, requests)


async def aiohttp_worker(url: str, requests: int) -> dict[str, float]:
    """Plain aiohttp, one session, called from tasks: the floor of the async runner."""
    import aiohttp

    target, body, headers = _plain_exchange(url)
    async with aiohttp.ClientSession() as session:

        async def call() -> bytes:
            async with session.post(target, data=body, headers=headers) as reply:
                if reply.status != 200:
                    raise RuntimeError(f"status {reply.status}")
                return await reply.read()

        return await _async_measures(call, None, requests)


def worker(name: str, url: str, requests: int) -> None:
    if name == "hf_pure async":
        out = asyncio.run(async_worker(url, requests))
    elif name == "aiohttp async":
        out = asyncio.run(aiohttp_worker(url, requests))
    else:
        out = sync_worker(name, url, requests)
    print(json.dumps(out))


# ------------------------------------------------------------------------------- the run


Samples = dict[str, dict[str, list[float]]]


def measure(url: str, names: list[str], rounds: int, requests: int) -> Samples:
    """Every round's numbers of each client, each round in a fresh process per client, the
    order rotating so that drift in the machine's speed hits every client alike."""
    samples: Samples = {}
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
        print(f"  round {r + 1}/{rounds} done (load {_load()})")
    return samples


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover  (no load average on this platform)
        return "?"


def report(names: list[str], samples: Samples) -> None:
    cpu = {n: {k: statistics.median(v) for k, v in kinds.items()} for n, kinds in samples.items()}
    base = cpu.get("hf_pure async", {})
    hub = cpu.get("huggingface_hub sync", {})

    def cell(name: str, kind: str) -> str:
        value = cpu.get(name, {}).get(kind)
        if value is None:
            return f"{'-':>38}"
        values = samples[name][kind]
        spread = f"±{(max(values) - min(values)) / value * 50:.0f}%"
        to_async = f"{value / base[kind]:.2f}x" if kind in base else "-"
        to_hub = f"{value / hub[kind]:.2f}x" if kind in hub else "-"
        digits = 1 if kind == "chunk" else 0
        switches = cpu[name].get(f"{kind}_cs")
        cs = f"{switches:5.2f}" if switches is not None else f"{'':5}"
        return f"{value * 1e6:>8.{digits}f} us {spread:>5} {to_async:>6} {to_hub:>6} {cs}"

    width = max(len(n) for n in names) + 2
    print()
    print(
        f"{'client':<{width}}{'request, one caller':>38}{f'request, {CALLERS} callers':>38}", end=""
    )
    print(f"{'stream chunk':>38}")
    heading = "CPU spread /async   /hub  csw"
    print(f"{'':<{width}}" + f"{heading:>38}" * 3)
    for name in names:
        print(f"{name:<{width}}{cell(name, 'seq')}{cell(name, 'par')}{cell(name, 'chunk')}")
    print("(csw: context switches per request, every thread of the client's process)")
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
    floor, thread, plain = (cpu.get(n, {}) for n in PLAIN)
    if floor and thread:
        print()
        print("floors (the same exchange, nothing above the HTTP client):")
        for kind, label in (("seq", "one caller"), ("par", f"{CALLERS} callers")):
            ratio = thread[kind] / floor[kind]
            line = f"  {label}: aiohttp on a loop thread {ratio:.2f}x aiohttp async"
            if plain:
                line += f"; aiohttp async {floor[kind] / plain[kind]:.2f}x httpx sync"
            print(line)


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
        print(f"load average before: {_load()}")
        samples = measure(f"http://127.0.0.1:{port}", names, rounds, requests)
        print(f"load average after: {_load()}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    report([n for n in names if n in samples], samples)


if __name__ == "__main__":
    main()
