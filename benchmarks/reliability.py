"""The reliability layer's cost, side by side in one run.

1. One admit + record through the full policy (breaker + bucket + cache lookup and store +
   metrics) against the sum of pybreaker's call, aiolimiter's acquire and a cachetools
   TTLCache get+set, measured here in the same process (target: at most 2x).
2. The TTL-LRU's get+put at 100k entries against 1k entries (target: at most 2x), with
   short string keys and with the requests the policy really caches.
3. ``ReliableRunner.run`` against ``runner.run`` on the emulator, client CPU per request
   (target: at most +20 %), in many short blocks alternating in ABBA order: a block's CPU time
   swings by tens of percent with whatever the emulator, on the other core, is doing, so the
   report is the median over the block pairs, with the middle half and the total.

The machine's speed drifts by several percent over minutes, so each comparison is made in
rounds that measure its two sides back to back (ours, then the other); a round gives one
ratio, and the report is the median of the rounds' ratios with their range (and the median
of each side's times). Inside a round, 1 and 2 take the best of several runs of each loop
(``time.process_time``, ``gc.collect()`` before each run, the GC left on while timing). In 2
each cache size is a steady state in its own process, carrying on from run to run; full GC
collections stay in the times and are counted (see ``cache_line``). For reference, 2 also
runs the same steps on cachetools' mutable TTLCache: what the memory hierarchy alone does.

Run: ``python benchmarks/reliability.py`` (``--quick`` for fewer, shorter rounds;
``pip install -e '.[bench]'`` for the comparison libraries; a missing one is reported, not
faked).
"""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any

from returns.result import Success

import hf_pure as hf
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.cache import CacheConfig
from hf_pure.reliability.policy import Policy, Send, admit, policy_start, record

sys.path.insert(0, os.path.dirname(__file__))
from cache_scaling import Steps, Worker, request_hash_is_cached
from overhead import TOKEN, free_port, start_server

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def best_of(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def per_call(loop: Callable[[int], None], n: int) -> float:
    """CPU seconds per iteration of ``loop(n)``."""
    gc.collect()
    start = time.process_time()
    loop(n)
    return (time.process_time() - start) / n


def spread(ratios: list[float], fmt: str = ".2f", unit: str = "") -> str:
    """``(range a-b over N rounds)`` for the rounds' ratios (an en dash between a and b)."""
    low, high = min(ratios), max(ratios)
    return f"(range {low:{fmt}}{unit}\u2013{high:{fmt}}{unit} over {len(ratios)} rounds)"


# ------------------------------------------------------------------------ 1. admit + record


def policy_run(n: int) -> Callable[[], float]:
    """One timed run: CPU seconds per admit + record with breaker, bucket, cache (a cacheable
    request that misses, then is stored) and metrics; requests cycle through 512 distinct
    values, from a fresh policy state each run."""
    policy = Policy(
        bucket=BucketConfig(per_second=1e9, per_minute=None, per_hour=None),
        cache=CacheConfig(capacity=256, ttl=300.0),
    )
    requests = [hf.cacheable()(hf.seed(i)(hf.chat(MODEL, ["hi"]))) for i in range(512)]
    answer = Success(hf.ChatCompletion("id", MODEL, 1, (), hf.Usage(3, 4, 7)))

    def loop(count: int) -> None:
        state = policy_start(policy, 0.0)
        now = 0.0
        for i in range(count):
            request = requests[i % 512]
            now += 0.001
            state, decision = admit(policy, state, request, now)
            if isinstance(decision, Send):
                state = record(policy, state, request, decision, answer, 0.05, now)

    return lambda: per_call(loop, n)


def baseline_runs(n: int) -> dict[str, Callable[[], float]] | str:
    """One timed run each of pybreaker call, aiolimiter acquire and cachetools TTLCache
    get+set (CPU seconds per call)."""
    try:
        import aiolimiter
        import cachetools
        import pybreaker
    except ImportError as exc:
        return f"missing {exc.name} (pip install -e '.[bench]')"

    breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=60)

    def work() -> int:
        return 1

    def breaker_loop(count: int) -> None:
        call = breaker.call
        for _ in range(count):
            call(work)

    cache: Any = cachetools.TTLCache(maxsize=256, ttl=300)

    def cache_loop(count: int) -> None:
        for i in range(count):
            key = i % 512
            if cache.get(key) is None:
                cache[key] = key

    async def limiter_loop(count: int) -> float:
        limiter = aiolimiter.AsyncLimiter(1e9, 1)
        start = time.process_time()
        for _ in range(count):
            await limiter.acquire()
        return (time.process_time() - start) / count

    def limiter_cost() -> float:
        gc.collect()
        return asyncio.run(limiter_loop(n))

    return {
        "pybreaker call": lambda: per_call(breaker_loop, n),
        "aiolimiter acquire": limiter_cost,
        "TTLCache get+set": lambda: per_call(cache_loop, n),
    }


def policy_section(n: int, rounds: int, repeat: int) -> None:
    ours_run, bases = policy_run(n), baseline_runs(n)
    print("\n1. one admit + record through the full policy (breaker, bucket, cache, metrics)")
    print(f"   CPU per call, median over rounds of (best of {repeat} runs of {n:,} calls)")
    if isinstance(bases, str):
        ours = statistics.median(best_of(ours_run, repeat) for _ in range(rounds))
        print(f"   hf_pure policy              {ours * 1e6:7.2f} us")
        print(f"   baseline: {bases}")
        return
    ours_times: list[float] = []
    base_times: dict[str, list[float]] = {name: [] for name in bases}
    ratios: list[float] = []
    for _ in range(rounds):
        ours = best_of(ours_run, repeat)
        costs = {name: best_of(run, repeat) for name, run in bases.items()}
        ours_times.append(ours)
        for name, cost in costs.items():
            base_times[name].append(cost)
        ratios.append(ours / sum(costs.values()))
    print(f"   hf_pure policy              {statistics.median(ours_times) * 1e6:7.2f} us")
    for name, times in base_times.items():
        print(f"   {name:<27} {statistics.median(times) * 1e6:7.2f} us")
    sums = [sum(parts) for parts in zip(*base_times.values(), strict=True)]
    print(f"   sum of the three            {statistics.median(sums) * 1e6:7.2f} us")
    print(f"   median ratio {statistics.median(ratios):.2f}x {spread(ratios)}, target <= 2x")


# ------------------------------------------------------------------------ 2. cache scaling


def cache_rounds(
    keys: str, hits: str, pairs: int, rounds: int, repeat: int, impl: str = "hf_pure"
) -> tuple[list[list[list[Steps]]], list[float]]:
    """Rounds of ``repeat`` runs of ``pairs`` get+put steps on a full 1k cache, then as many on
    a full 100k one: per size and round, its runs; and per size, how long one ``gc.collect()``
    takes in its process.

    Each size is a ``cache_scaling.SteadyGetPut`` in its own process (``Worker``), filled once
    and carried on from run to run and round to round. A separate process per size keeps each
    size's collections honest: a full collection of the cyclic GC walks every tracked object
    in the process, so a 100k cache of requests next to the 1k one would slow the 1k side's
    collections down too.
    """
    with ExitStack() as stack:
        workers = [
            stack.enter_context(Worker(size, keys, hits, impl).start()) for size in (1_000, 100_000)
        ]
        for worker in workers:
            worker.wait()
        results: list[list[list[Steps]]] = [[], []]
        for _ in range(rounds):
            for side, worker in enumerate(workers):
                results[side].append(worker.run(pairs, repeat))
    return results, [worker.collect_seconds for worker in workers]


def cache_line(
    label: str, measured: tuple[list[list[list[Steps]]], list[float]], target: bool = True
) -> float:
    """Per size and round, the best run's CPU per step, every GC collection included; how
    many full collections came, and what one costs.

    A full collection comes when the process's allocations say so, and this steady state
    allocates about as much as it frees, so how often one comes here says little about an
    application; what one costs, a walk over every tracked object in the process, does.
    """
    results, collect = measured
    best = [[min(run.cpu / run.pairs for run in runs) for runs in side] for side in results]
    counts = [sum(run.full_gcs for runs in side for run in runs) for side in results]
    steps = sum(run.pairs for runs in results[0] for run in runs)
    ratios = [b / a for a, b in zip(*best, strict=True)]
    text = (
        f"   {label}1k {statistics.median(best[0]) * 1e6:.2f} us, "
        f"100k {statistics.median(best[1]) * 1e6:.2f} us: "
        f"median ratio {statistics.median(ratios):.2f}x {spread(ratios)}"
    )
    print(text + (", target <= 2x" if target else ""))
    print(
        f"     full GC collections during each size's {steps:,} steps: {counts[0]} at 1k,"
        f" {counts[1]} at 100k (included); one takes {collect[0] * 1e3:.0f} ms at 1k,"
        f" {collect[1] * 1e3:.0f} ms at 100k"
    )
    return statistics.median(best[1])


def cache_section(rounds: int, repeat: int, pairs: int, request_pairs: int) -> None:
    print("\n2. TTL-LRU get+put on a full, busy cache: a hit on the entry put a quarter of the")
    print("   cache ago (an equal key built anew), then a put of a new key that evicts; see")
    print("   benchmarks/cache_scaling.py. Each size in its own process, carrying on from run")
    print(f"   to run; CPU per step, median over rounds of (best of {repeat} runs of {pairs:,}")
    print(f"   steps, {request_pairs:,} with request keys), 1k then 100k in each round")
    ours_str = cache_line("string keys:   ", cache_rounds("str", "quarter", pairs, rounds, repeat))
    cached = "cached" if request_hash_is_cached() else "NOT cached"
    ours_req = cache_line(
        f"request keys ({cached} hashes): ",
        cache_rounds("request", "quarter", request_pairs, rounds, repeat),
    )
    print("   other patterns, not the target's: string keys, hits on uniformly random entries")
    print("   of the newest half instead:")
    cache_line("", cache_rounds("str", "spread", pairs, rounds, repeat), target=False)
    print("   request keys, a miss then a put of that key (cache-aside, as in the policy):")
    cache_line("", cache_rounds("request", "miss", request_pairs, rounds, repeat), target=False)
    print("   reference: the same steps on cachetools.TTLCache (mutable, changed in place),")
    print("   what the memory hierarchy alone does to a TTL-LRU cache at 100k:")
    theirs_str = cache_line(
        "string keys:   ",
        cache_rounds("str", "quarter", pairs, rounds, repeat, "cachetools"),
        target=False,
    )
    theirs_req = cache_line(
        "request keys:  ",
        cache_rounds("request", "quarter", request_pairs, rounds, repeat, "cachetools"),
        target=False,
    )
    print(
        f"   at 100k, hf_pure against cachetools (medians above): string keys "
        f"{ours_str / theirs_str:.2f}x, request keys {ours_req / theirs_req:.2f}x, target <= 2x"
    )


# ------------------------------------------------------------------------ 3. the shell


async def shell_costs(url: str, block: int, pairs: int) -> list[tuple[float, float]]:
    """Client CPU per request through ``runner.run`` and through ``ReliableRunner.run``, in
    ``pairs`` pairs of blocks of ``block`` requests (16 concurrent workers), the order of the
    two sides swapped from one pair to the next (ABBA), so that drift falls on both alike."""
    config = hf.ClientConfig(router_url=url, hub_url=url)
    policy = Policy(bucket=BucketConfig(per_second=1e9, per_minute=None, per_hour=None))
    request = hf.max_tokens(16)(hf.chat(MODEL, [hf.user("Summarise the plot of a story.")]))
    async with hf.open_runner(config, token=TOKEN) as runner:
        reliable = hf.ReliableRunner(runner, policy)

        async def plain() -> object:
            return (await runner.run(request)).unwrap()

        async def guarded() -> object:
            return (await reliable.run(request)).unwrap()

        async def cpu(call: Callable[[], Awaitable[object]], total: int) -> float:
            per_worker = total // 16

            async def worker() -> None:
                for _ in range(per_worker):
                    await call()

            start = time.process_time()
            await asyncio.gather(*(worker() for _ in range(16)))
            return (time.process_time() - start) / (per_worker * 16)

        await cpu(plain, 640)
        await cpu(guarded, 640)
        samples = []
        for i in range(pairs):
            if i % 2:
                guarded_cost = await cpu(guarded, block)
                samples.append((await cpu(plain, block), guarded_cost))
            else:
                plain_cost = await cpu(plain, block)
                samples.append((plain_cost, await cpu(guarded, block)))
        return samples


def shell_section(block: int, pairs: int) -> None:
    port = free_port()
    server = start_server(port, 1)
    try:
        samples = asyncio.run(shell_costs(f"http://127.0.0.1:{port}", block, pairs))
    finally:
        server.terminate()
        server.wait(timeout=10)
    plain = statistics.median(p for p, _ in samples)
    guarded = statistics.median(g for _, g in samples)
    extra = sorted((g / p - 1) * 100 for p, g in samples)
    quartiles = statistics.quantiles(extra, n=4)
    total = (sum(g for _, g in samples) / sum(p for p, _ in samples) - 1) * 100
    print("\n3. client CPU per request on the emulator (concurrency 16), in pairs of blocks of")
    print(f"   {block:,} requests through runner.run and {block:,} through ReliableRunner.run")
    print(
        f"   runner.run {plain * 1e6:.0f} us, ReliableRunner.run {guarded * 1e6:.0f} us: "
        f"median overhead {statistics.median(extra):+.0f} % over {len(extra)} pairs "
        f"(middle half {quartiles[0]:+.0f} %\u2013{quartiles[2]:+.0f} %, all {extra[0]:+.0f} %"
        f"\u2013{extra[-1]:+.0f} %; total CPU {total:+.0f} %), target <= +20 %"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    if quick:
        policy_section(n=5000, rounds=5, repeat=3)
        cache_section(rounds=5, repeat=2, pairs=10_000, request_pairs=5_000)
        shell_section(block=320, pairs=16)
    else:
        policy_section(n=20000, rounds=9, repeat=5)
        cache_section(rounds=9, repeat=3, pairs=20_000, request_pairs=10_000)
        shell_section(block=480, pairs=40)


if __name__ == "__main__":
    main()
