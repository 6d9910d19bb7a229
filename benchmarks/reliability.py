"""The reliability layer's cost, side by side in one run.

1. One admit + record through the full policy (breaker + bucket + cache lookup and store +
   metrics) against the sum of pybreaker's call, aiolimiter's acquire and a cachetools
   TTLCache get+set, measured here in the same process (target: at most 2x).
2. The TTL-LRU's get+put at 100k entries against 1k entries (target: at most 2x).
3. ``ReliableRunner.run`` against ``runner.run`` on the emulator, client CPU per request
   (target: at most +20 %).

Run: ``python benchmarks/reliability.py`` (``pip install -e '.[bench]'`` for the comparison
libraries; a missing one is reported, not faked).
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
from typing import Any

from returns.result import Success

import hf_pure as hf
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.cache import CacheConfig, cache_empty, cache_get, cache_put
from hf_pure.reliability.policy import Policy, Send, admit, policy_start, record

sys.path.insert(0, os.path.dirname(__file__))
from overhead import TOKEN, free_port, start_server

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def best_of(fn: Callable[[], float], repeat: int = 7) -> float:
    return min(fn() for _ in range(repeat))


def per_call(loop: Callable[[int], None], n: int) -> float:
    """CPU seconds per iteration of ``loop(n)``."""
    gc.collect()
    start = time.process_time()
    loop(n)
    return (time.process_time() - start) / n


# ------------------------------------------------------------------------ 1. admit + record


def policy_cost(n: int = 20000) -> float:
    """One admit + record with breaker, bucket, cache (a cacheable request that misses, then
    is stored) and metrics; requests cycle through 512 distinct values."""
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

    return best_of(lambda: per_call(loop, n))


def baseline_cost(n: int = 20000) -> dict[str, float] | str:
    """pybreaker call + aiolimiter acquire + cachetools TTLCache get+set, each alone."""
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
        return asyncio.run(limiter_loop(n))

    return {
        "pybreaker call": best_of(lambda: per_call(breaker_loop, n)),
        "aiolimiter acquire": best_of(limiter_cost),
        "TTLCache get+set": best_of(lambda: per_call(cache_loop, n)),
    }


# ------------------------------------------------------------------------ 2. cache scaling


def cache_random_get_put(size: int, n: int = 20000) -> float:
    """get + put on a full cache of ``size`` entries: a hit on a uniformly random key, and a
    put of a new key that evicts the oldest (no locality at all: the worst case)."""
    config = CacheConfig(capacity=size, ttl=1e9)
    state = cache_empty()
    for i in range(size):
        state = cache_put(config, state, i, i, 0.0)
    keys = [(i * 7919) % size for i in range(n)]
    full = state

    def loop(count: int) -> None:
        s = full
        for i in range(count):
            s, _ = cache_get(config, s, keys[i], 1.0)
            s = cache_put(config, s, size + i, i, 1.0)

    return best_of(lambda: per_call(loop, n))


# ------------------------------------------------------------------------ 3. the shell


async def shell_costs(url: str, requests: int, rounds: int) -> tuple[float, float]:
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

        await cpu(plain, 320)
        await cpu(guarded, 320)
        plain_samples, guarded_samples = [], []
        for _ in range(rounds):
            plain_samples.append(await cpu(plain, requests))
            guarded_samples.append(await cpu(guarded, requests))
        return statistics.median(plain_samples), statistics.median(guarded_samples)


def main() -> None:
    quick = "--quick" in sys.argv
    n = 5000 if quick else 20000
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")

    ours = policy_cost(n)
    base = baseline_cost(n)
    print("\n1. one admit + record through the full policy (breaker, bucket, cache, metrics)")
    print(f"   hf_pure policy              {ours * 1e6:7.2f} us")
    if isinstance(base, str):
        print(f"   baseline: {base}")
    else:
        for name, cost in base.items():
            print(f"   {name:<27} {cost * 1e6:7.2f} us")
        total = sum(base.values())
        print(f"   sum of the three            {total * 1e6:7.2f} us")
        print(f"   ratio {ours / total:.2f}x (target <= 2x)")

    from cache_scaling import bench_get_put

    small, large = bench_get_put(1000), bench_get_put(100_000)
    print("\n2. TTL-LRU get+put on a full, busy cache (hits on entries put a quarter of the")
    print("   cache ago, puts that evict; see benchmarks/cache_scaling.py)")
    print(
        f"   1k entries {small * 1e6:.2f} us, 100k entries {large * 1e6:.2f} us: "
        f"{large / small:.2f}x (target <= 2x)"
    )
    small, large = cache_random_get_put(1000, n), cache_random_get_put(100_000, n)
    print(
        f"   uniformly random hits instead: 1k {small * 1e6:.2f} us, 100k {large * 1e6:.2f} us:"
        f" {large / small:.2f}x (mostly CPython's cyclic GC walking fresh HAMT nodes;"
        " see docs/benchmarks.md)"
    )

    port = free_port()
    server = start_server(port, 1)
    try:
        plain, guarded = asyncio.run(
            shell_costs(f"http://127.0.0.1:{port}", 800 if quick else 2000, 3 if quick else 5)
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("\n3. client CPU per request on the emulator (concurrency 16)")
    print(
        f"   runner.run {plain * 1e6:.0f} us, ReliableRunner.run {guarded * 1e6:.0f} us: "
        f"+{(guarded / plain - 1) * 100:.0f} % (target <= +20 %)"
    )


if __name__ == "__main__":
    main()
