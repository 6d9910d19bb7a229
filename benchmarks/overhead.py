"""Client overhead, side by side in one run: hf_pure against plain aiohttp, the fast aiohttp
floor, huggingface_hub's AsyncInferenceClient and openai's AsyncOpenAI.

All clients talk to the same loopback emulator, started in a separate process, so the CPU time
this process spends is the clients' own. Measured:

- client CPU per non-streaming chat request (2000 requests, concurrency 16);
- the same with the request built once ("hf_pure prebuilt"; every other client builds its
  request per call, as real code does);
- client CPU per SSE chunk (streams of 200 chunks), on the emulator writing one event per
  write ("paced") and 20 per write ("plain"), and on canned servers sending the shapes
  providers really send at 20 events per write: together's (``"tool_calls": null`` and extra
  fields in every delta), usage in every chunk (hyperbolic, novita), and sambanova's empty
  chunks with the role repeated;
- import time of each client as a whole process (``python -c "import X"``);
- RSS growth of a fresh process holding 100 concurrent streams open (read to their last
  chunk, the server waiting before ``[DONE]``), and its peak RSS.

Each is printed with its ratio to plain aiohttp. Run: ``python benchmarks/overhead.py``
(``--quick`` for a smaller, noisier run). The huggingface_hub and openai columns need
``pip install -e '.[bench]'``; a client that is not installed is reported as missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
PROMPT = "Summarise the plot of a short story about a lighthouse keeper in one sentence."
TOKEN = "hf_bench_token"
SHORT_ANSWER = 16  # tokens in a non-streaming answer
STREAM_TOKENS = 200  # chunks per stream (the emulator sends one chunk per token)
BURST = 20  # events per write on the "burst" server


@dataclass
class Client:
    name: str
    request: Callable[[], Awaitable[str]]
    stream: Callable[[], Awaitable[int]]
    close: Callable[[], Awaitable[None]]


def _payload(max_tokens: int, stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": max_tokens,
    }
    if stream:
        body["stream"] = True
    return body


# ------------------------------------------------------------------------------- the clients


async def make_plain(url: str) -> Client:
    """aiohttp the usual way: one session, json=, resp.json(), SSE line by line + stdlib json."""
    session = aiohttp.ClientSession()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    endpoint = f"{url}/v1/chat/completions"

    async def request() -> str:
        async with session.post(endpoint, json=_payload(SHORT_ANSWER), headers=headers) as resp:
            data = await resp.json()
            return str(data["choices"][0]["message"]["content"])

    async def stream() -> int:
        n = 0
        async with session.post(
            endpoint, json=_payload(STREAM_TOKENS, True), headers=headers
        ) as resp:
            async for line in resp.content:
                if line.startswith(b"data: "):
                    data = line[6:].strip()
                    if data == b"[DONE]":
                        break
                    chunk = json.loads(data)
                    if chunk["choices"]:
                        n += 1
        return n

    return Client("plain aiohttp", request, stream, session.close)


async def make_floor(url: str) -> Client:
    """The fast floor: orjson, a pre-encoded body, SSE read in whole buffers split by hand."""
    session = aiohttp.ClientSession()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    endpoint = f"{url}/v1/chat/completions"

    async def request() -> str:
        body = orjson.dumps(_payload(SHORT_ANSWER))
        async with session.post(endpoint, data=body, headers=headers) as resp:
            data = orjson.loads(await resp.read())
            return str(data["choices"][0]["message"]["content"])

    async def stream() -> int:
        n = 0
        tail = b""
        body = orjson.dumps(_payload(STREAM_TOKENS, True))
        async with session.post(endpoint, data=body, headers=headers) as resp:
            async for data in resp.content.iter_any():
                parts = (tail + data).split(b"\n\n")
                tail = parts.pop()
                for part in parts:
                    if part.startswith(b"data: "):
                        payload = part[6:]
                        if payload == b"[DONE]":
                            return n
                        chunk = orjson.loads(payload)
                        if chunk["choices"]:
                            n += 1
        return n

    return Client("aiohttp floor", request, stream, session.close)


async def make_hf_pure(url: str, *, prebuilt: bool = False) -> Client:
    """hf_pure: a request value built with pipe per call (as real code does; ``prebuilt``
    builds it once), the runner, a Result, typed chunks."""
    from returns.result import Success
    from toolz import pipe

    import hf_pure as hf

    config = hf.ClientConfig(router_url=url, hub_url=url)
    cm = hf.open_runner(config, token=TOKEN)
    runner = await cm.__aenter__()
    messages = [hf.user(PROMPT)]
    built: hf.ChatRequest = pipe(hf.chat(MODEL, messages), hf.max_tokens(SHORT_ANSWER))

    async def request() -> str:
        req: hf.ChatRequest = (
            built if prebuilt else pipe(hf.chat(MODEL, messages), hf.max_tokens(SHORT_ANSWER))
        )
        result = await runner.run(req)
        if not isinstance(result, Success):
            raise RuntimeError(str(result))
        answer: hf.ChatCompletion = result.unwrap()
        return answer.text

    async def stream() -> int:
        req: hf.ChatRequest = pipe(hf.chat(MODEL, messages), hf.max_tokens(STREAM_TOKENS))
        n = 0
        s = runner.stream(req)
        async for chunk in s:
            if chunk.choices:
                n += 1
        if not isinstance(s.result, Success):
            raise RuntimeError(str(s.result))
        return n

    async def close() -> None:
        await cm.__aexit__(None, None, None)

    return Client("hf_pure prebuilt" if prebuilt else "hf_pure", request, stream, close)


async def make_hf_pure_prebuilt(url: str) -> Client:
    return await make_hf_pure(url, prebuilt=True)


async def make_hf_hub(url: str) -> Client:
    from huggingface_hub import AsyncInferenceClient

    # Any: the bench extra may be absent when mypy runs, so type both cases the same way
    client: Any = AsyncInferenceClient(base_url=url, api_key=TOKEN)
    messages = [{"role": "user", "content": PROMPT}]

    async def request() -> str:
        out = await client.chat_completion(messages, model=MODEL, max_tokens=SHORT_ANSWER)
        return str(out.choices[0].message.content)

    async def stream() -> int:
        n = 0
        async for chunk in await client.chat_completion(
            messages, model=MODEL, max_tokens=STREAM_TOKENS, stream=True
        ):
            if chunk.choices:
                n += 1
        return n

    async def close() -> None:
        await client.close()

    return Client("huggingface_hub", request, stream, close)


async def make_openai(url: str) -> Client:
    from openai import AsyncOpenAI

    client: Any = AsyncOpenAI(base_url=f"{url}/v1", api_key=TOKEN, max_retries=0)
    messages: Any = [{"role": "user", "content": PROMPT}]

    async def request() -> str:
        out = await client.chat.completions.create(
            model=MODEL, messages=messages, max_tokens=SHORT_ANSWER
        )
        return str(out.choices[0].message.content)

    async def stream() -> int:
        n = 0
        async for chunk in await client.chat.completions.create(
            model=MODEL, messages=messages, max_tokens=STREAM_TOKENS, stream=True
        ):
            if chunk.choices:
                n += 1
        return n

    return Client("openai", request, stream, client.close)


MAKERS: dict[str, Callable[[str], Awaitable[Client]]] = {
    "plain aiohttp": make_plain,
    "aiohttp floor": make_floor,
    "hf_pure": make_hf_pure,
    "hf_pure prebuilt": make_hf_pure_prebuilt,
    "huggingface_hub": make_hf_hub,
    "openai": make_openai,
}
IMPORTS = {
    "plain aiohttp": "import aiohttp",
    # everything a chat needs, so lazy loading can't flatter the number
    "hf_pure": "import hf_pure as hf; hf.chat, hf.open_runner, hf.Success",
    "huggingface_hub": "from huggingface_hub import AsyncInferenceClient",
    "openai": "from openai import AsyncOpenAI",
}


# ------------------------------------------------------------------------------- measuring


async def cpu_per_call(call: Callable[[], Awaitable[Any]], total: int, concurrency: int) -> float:
    """Process CPU seconds per call, ``total`` calls spread over ``concurrency`` workers."""
    per_worker = total // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    start = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - start) / (per_worker * concurrency)


async def cpu_per_chunk(client: Client, streams: int, concurrency: int) -> float:
    chunks = 0
    per_worker = streams // concurrency

    async def worker() -> None:
        nonlocal chunks
        for _ in range(per_worker):
            got = await client.stream()  # not `chunks += await ...`: that reads chunks first
            chunks += got

    start = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    spent = time.process_time() - start
    expected = per_worker * concurrency * STREAM_TOKENS
    if chunks < expected:
        raise RuntimeError(f"{client.name}: {chunks} chunks, expected at least {expected}")
    return spent / chunks


async def cpu_worker(name: str, urls: dict[str, str], requests: int, streams: int) -> None:
    """One client alone in its own process: warm up, measure, print JSON, exit.

    A fresh process per client and round keeps the clients from taxing one another (one
    library's imported objects make every other client's garbage collections slower).
    """
    clients = {kind: await MAKERS[name](url) for kind, url in urls.items()}
    for client in clients.values():  # warm up: connections, caches, lazy imports
        await cpu_per_call(client.request, 64, 16)
        await cpu_per_chunk(client, 4, 4)
    out = {"req": await cpu_per_call(clients["paced"].request, requests, 16)}
    for kind, client in clients.items():
        out[f"chunk/{kind}"] = await cpu_per_chunk(client, streams, 8)
    for client in clients.values():
        await client.close()
    print(json.dumps(out))


def measure(
    urls: dict[str, str], names: list[str], rounds: int, requests: int, streams: int
) -> dict[str, dict[str, float]]:
    """Median CPU per request (on the paced server) and per chunk on each server. Each round
    runs every client once, each in a fresh process, in a rotating order, so that drift in
    the machine's speed hits every client alike."""
    samples: dict[str, dict[str, list[float]]] = {}
    skipped: set[str] = set()
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            if name in skipped:
                continue
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--cpu-worker",
                    name,
                    "--urls",
                    json.dumps(urls),
                    "--requests",
                    str(requests),
                    "--streams",
                    str(streams),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0 or not done.stdout.strip():
                print(f"  {name}: skipped ({done.stderr.strip().splitlines()[-1:]})")
                skipped.add(name)
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for kind, value in result.items():
                samples.setdefault(name, {}).setdefault(kind, []).append(value)
        print(f"  round {r + 1}/{rounds} done")
    return {
        name: {kind: statistics.median(vals) for kind, vals in s.items()}
        for name, s in samples.items()
    }


def import_times(names: list[str], repeats: int) -> dict[str, float]:
    """Median CPU time (user + system) of ``python -c <import>`` per client, as a whole process.

    CPU time, not wall time, and the order shuffled on every repeat (with a fixed seed): wall
    time moved with whatever ran just before (after importing openai, the next process was
    slower whatever it imported), which made the ratios depend on the order of the list.

    hf_pure's bytecode is compiled first, as ``pip install`` does for every package (this
    checkout may be an editable install run with PYTHONDONTWRITEBYTECODE set, where each
    import would otherwise recompile the sources and measure the compiler instead).
    """
    import compileall
    import random

    import hf_pure

    compileall.compile_dir(os.path.dirname(hf_pure.__file__), quiet=1)
    statements = {n: IMPORTS[n] for n in names if n in IMPORTS}
    statements["python -c pass"] = "pass"
    times: dict[str, list[float]] = {n: [] for n in statements}
    shuffle = random.Random(20261125).shuffle
    for _ in range(repeats):
        order = list(statements.items())
        shuffle(order)
        for name, statement in order:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run(
                [sys.executable, "-c", statement], capture_output=True, check=False
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if done.returncode == 0:
                times[name].append(cpu)
    return {n: statistics.median(v) for n, v in times.items() if v}


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a
    child started by a big parent would report the parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def rss_worker(name: str, url: str, streams: int) -> None:
    """RSS growth while ``streams`` streams are held open: each is read to its last chunk and
    the server holds it HOLD_SECONDS before [DONE]. One warm-up stream first (imports,
    the session, the first connection), then the baseline, then the highest RSS seen."""
    import gc

    client = await MAKERS[name](url)
    await client.stream()
    gc.collect()
    before = current_rss_mb()
    highest = before
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal highest
        while not done.is_set():
            highest = max(highest, current_rss_mb())
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    counts = await asyncio.gather(*(client.stream() for _ in range(streams)))
    done.set()
    await sampler
    await client.close()
    if min(counts) < STREAM_TOKENS:
        raise SystemExit(f"{name}: a stream was short ({min(counts)} chunks)")
    print(json.dumps({"peak_mb": peak_rss_mb(), "growth_mb": highest - before}))


def peak_rss(names: list[str], url: str, streams: int) -> dict[str, dict[str, float]]:
    out = {}
    for name in names:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--rss-worker",
                name,
                "--url",
                url,
                "--streams",
                str(streams),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip():
            out[name] = json.loads(done.stdout.strip().splitlines()[-1])
        else:
            print(f"  rss {name}: failed: {done.stderr.strip()[-300:]}")
    return out


def json_micro() -> tuple[float, float]:
    """µs to parse one chat completion body and one SSE chunk, stdlib json vs orjson."""
    body = json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 1,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "word " * SHORT_ANSWER},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 16, "total_tokens": 36},
        }
    ).encode()
    n = 20000
    start = time.process_time()
    for _ in range(n):
        json.loads(body)
    std = (time.process_time() - start) / n * 1e6
    start = time.process_time()
    for _ in range(n):
        orjson.loads(body)
    fast = (time.process_time() - start) / n * 1e6
    return std, fast


#: The provider shapes of a stream the canned servers send (WIRE.md, "Chat streams as
#: providers really send them"), each at 20 events per write.
SHAPES = ("together", "usage", "empty")


def canned_body(shape: str, tokens: int = STREAM_TOKENS) -> list[bytes]:
    """A stream as a provider writes it, in writes of BURST events: ``together`` (
    ``"tool_calls": null`` in every delta, ``text``, ``seed`` and ``token_id`` beside the
    OpenAI fields, ``usage: null`` until the end), ``usage`` (hyperbolic and novita: the
    running ``usage`` in every chunk) or ``empty`` (sambanova: the role repeated in every
    chunk and an empty chunk after each token)."""

    def chunk(i: int, content: str, finish: str | None) -> dict[str, Any]:
        if shape == "together":
            return {
                "id": "8f1e2a3b4c5d6e7f-AMS",
                "object": "chat.completion.chunk",
                "created": 1764600000,
                "model": MODEL,
                "choices": [
                    {
                        "index": 0,
                        "text": content,
                        "logprobs": None,
                        "finish_reason": finish,
                        "seed": None,
                        "delta": {
                            "token_id": 1000 + i,
                            "role": "assistant",
                            "content": content,
                            "tool_calls": None,
                        },
                    }
                ],
                "usage": None,
            }
        out: dict[str, Any] = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1764600000,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": content},
                    "finish_reason": finish,
                }
            ],
        }
        if shape == "usage":
            out["usage"] = {
                "prompt_tokens": 20,
                "completion_tokens": i + 1,
                "total_tokens": 21 + i,
            }
        return out

    def event(obj: dict[str, Any]) -> bytes:
        return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"

    events = []
    for i in range(tokens):
        last = i == tokens - 1
        events.append(event(chunk(i, " end" if last else " word", "length" if last else None)))
        if shape == "empty" and not last:
            events.append(
                event(
                    {
                        "id": "chatcmpl-bench",
                        "object": "chat.completion.chunk",
                        "created": 1764600000,
                        "model": MODEL,
                        "choices": [{"index": 0, "delta": {}, "finish_reason": None}],
                    }
                )
            )
    events.append(b"data: [DONE]\n\n")
    return [b"".join(events[i : i + BURST]) for i in range(0, len(events), BURST)]


def hold_body(tokens: int = STREAM_TOKENS) -> list[bytes]:
    """A plain stream one event per write (the RSS measure holds it open before [DONE])."""
    return [
        b"data: "
        + json.dumps(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion.chunk",
                "created": 1764600000,
                "model": MODEL,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": " word"},
                        "finish_reason": "length" if i == tokens - 1 else None,
                    }
                ],
            },
            separators=(",", ":"),
        ).encode()
        + b"\n\n"
        for i in range(tokens)
    ]


def together_answer() -> bytes:
    return json.dumps(
        {
            "id": "8f1e2a3b4c5d6e7f-AMS",
            "object": "chat.completion",
            "created": 1764600000,
            "model": MODEL,
            "prompt": [],
            "choices": [
                {
                    "finish_reason": "length",
                    "seed": 1,
                    "logprobs": None,
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "word " * SHORT_ANSWER,
                        "tool_calls": [],
                    },
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 16, "total_tokens": 36},
        }
    ).encode()


#: How long the "hold" server keeps every stream open after its last chunk, before [DONE].
HOLD_SECONDS = 2.0


def serve_canned(port: int, shape: str) -> None:
    """A canned server sending ``shape`` (this benchmark's own: the emulator speaks the
    documented shape; providers add fields, nulls, usage and empty chunks). ``hold`` sends a
    plain stream one event per write and holds it open for HOLD_SECONDS before [DONE]."""
    from aiohttp import web

    writes = hold_body() if shape == "hold" else canned_body(shape)
    answer = together_answer()

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if not body.get("stream"):
            return web.Response(body=answer, content_type="application/json")
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for write in writes:
            await resp.write(write)
        if shape == "hold":
            await asyncio.sleep(HOLD_SECONDS)
            await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def start_canned(port: int, shape: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--canned-server", str(port), "--shape", shape],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return _wait_for(proc, port)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_emulator(port: int, token: str, *options: str) -> subprocess.Popen[bytes]:
    """``python -m hf_pure emulator`` on ``port`` with ``token`` (and any other emulator
    options), in its own process, once it listens (the benchmarks' shared server)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hf_pure",
            "emulator",
            "--port",
            str(port),
            "--token",
            token,
            *options,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return _wait_for(proc, port)


def start_server(port: int, events_per_write: int) -> subprocess.Popen[bytes]:
    return start_emulator(
        port,
        TOKEN,
        "--reply-tokens",
        str(STREAM_TOKENS),
        "--events-per-write",
        str(events_per_write),
    )


def _wait_for(proc: subprocess.Popen[bytes], port: int) -> subprocess.Popen[bytes]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("a benchmark server did not start")


def ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:5.2f}x" if value is not None and base else "   - "


#: The servers a CPU round runs on: the emulator one event per write ("paced") and BURST per
#: write ("plain"), and the canned provider shapes at BURST per write.
KINDS = ("paced", "plain", *SHAPES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests and rounds")
    parser.add_argument("--clients", default=",".join(MAKERS))
    parser.add_argument("--rss-worker")
    parser.add_argument("--cpu-worker")
    parser.add_argument("--url")
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    parser.add_argument("--canned-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=100)
    args = parser.parse_args()
    if args.rss_worker:
        asyncio.run(rss_worker(args.rss_worker, args.url, args.streams))
        return
    if args.canned_server:
        serve_canned(args.canned_server, args.shape)
        return
    if args.cpu_worker:
        asyncio.run(cpu_worker(args.cpu_worker, json.loads(args.urls), args.requests, args.streams))
        return
    names = [n.strip() for n in args.clients.split(",") if n.strip()]
    rounds, requests, streams = (2, 400, 16) if args.quick else (7, 2000, 40)
    ports = {kind: free_port() for kind in (*KINDS, "hold")}
    servers = {
        "paced": start_server(ports["paced"], 1),
        "plain": start_server(ports["plain"], BURST),
        **{shape: start_canned(ports[shape], shape) for shape in (*SHAPES, "hold")},
    }
    urls = {kind: f"http://127.0.0.1:{ports[kind]}" for kind in KINDS}
    try:
        print(
            f"python {platform.python_version()} on {platform.machine()}, "
            f"{os.cpu_count()} cpus; servers: the emulator at 1 event per write (paced) and "
            f"{BURST} per write (plain); canned {', '.join(SHAPES)} at {BURST} per write"
        )
        print(
            f"measuring CPU: {rounds} rounds x ({requests} requests at concurrency 16, "
            f"{streams} streams of {STREAM_TOKENS} chunks at concurrency 8 on each server), "
            "each client in a fresh process"
        )
        cpu = measure(urls, names, rounds, requests, streams)
        print("measuring import CPU time (whole process, median of 25, shuffled order)")
        imports = import_times(names, 5 if args.quick else 25)
        print(
            f"measuring RSS growth with 100 concurrent streams held open {HOLD_SECONDS:g} s "
            "after their last chunk (fresh process each)"
        )
        url = f"http://127.0.0.1:{ports['hold']}"
        held = [n for n in names if n not in ("aiohttp floor", "hf_pure prebuilt")]
        rss = peak_rss(held, url, 100)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=10)
    report(names, cpu, imports, rss)


def report(
    names: list[str],
    cpu: dict[str, dict[str, float]],
    imports: dict[str, float],
    rss: dict[str, dict[str, float]],
) -> None:
    base = cpu.get("plain aiohttp", {})

    def cell(name: str, kind: str, unit: str, digits: int) -> str:
        value = cpu.get(name, {}).get(kind)
        if value is None:
            return f"{'-':>11}{'':>7}"
        shown = f"{value * 1e6:.{digits}f} {unit}"
        return f"{shown:>11}{ratio(value, base.get(kind)):>7}"

    base_rss = rss.get("plain aiohttp", {})
    print()
    print(f"{'client':<18}{'CPU/request':>18}{'import':>15}{'RSS growth':>18}{'peak RSS':>10}")
    for name in names:
        imp = imports.get(name)
        growth = rss.get(name, {}).get("growth_mb")
        grown = f"{growth:.1f} MB" if growth is not None else "-"
        peak = f"{rss[name]['peak_mb']:.1f} MB" if name in rss else "-"
        print(
            f"{name:<18}{cell(name, 'req', 'us', 0)}"
            f"{(f'{imp * 1000:.0f} ms' if imp else '-'):>9}"
            f"{ratio(imp, imports.get('plain aiohttp')):>6}"
            f"{grown:>11}{ratio(growth, base_rss.get('growth_mb')):>7}"
            f"{peak:>10}"
        )
    print()
    print(f"{'CPU per chunk':<18}" + "".join(f"{kind:>18}" for kind in KINDS))
    for name in names:
        print(f"{name:<18}" + "".join(cell(name, f"chunk/{kind}", "us", 2) for kind in KINDS))
    print("(ratios are to plain aiohttp in the same column)")
    if "python -c pass" in imports:
        print(f"(bare interpreter start: {imports['python -c pass'] * 1000:.0f} ms)")
    std, fast = json_micro()
    print(
        f"json parse of a completion body: stdlib {std:.1f} us, orjson {fast:.1f} us "
        f"({std / fast:.1f}x)"
    )
    if "hf_pure" in cpu and base:
        h = cpu["hf_pure"]
        pre = cpu.get("hf_pure prebuilt", {})
        print()
        print(
            "targets: request <= 1.00x built per call and <= 0.95x prebuilt, chunk <= 0.25x on "
            "every burst shape, RSS growth <= 1.5x, import <= 1.10x"
        )
        shown_pre = f"{pre['req'] / base['req']:.2f}x" if "req" in pre else "-"
        chunks = ", ".join(
            f"{kind} {h[f'chunk/{kind}'] / base[f'chunk/{kind}']:.2f}x"
            for kind in KINDS
            if kind != "paced"
        )
        growth = rss.get("hf_pure", {}).get("growth_mb")
        print(
            f"  request {h['req'] / base['req']:.2f}x (prebuilt {shown_pre})"
            f"  chunk {chunks} (paced {h['chunk/paced'] / base['chunk/paced']:.2f}x)"
            f"  RSS growth {ratio(growth, base_rss.get('growth_mb')).strip()}"
            f"  import {ratio(imports.get('hf_pure'), imports.get('plain aiohttp')).strip()}"
        )


if __name__ == "__main__":
    main()
