"""Where a chat request's client CPU goes: a profile of hf_pure's runner against the emulator
(in a subprocess), grouped by where the time is spent (hf_pure's own code by module, aiohttp,
asyncio, the rest).

    python benchmarks/profile_request.py [--requests 4000] [--concurrency 16] [--top 25]

cProfile adds its own cost per call, so the absolute figures are higher than the benchmark's;
the shares are what this is for (docs/benchmarks.md quotes them).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import overhead


def _area(filename: str) -> str:
    if "/hf_pure/" in filename:
        return "hf_pure." + filename.rsplit("/hf_pure/", 1)[1].removesuffix(".py").replace("/", ".")
    for name in ("aiohttp", "multidict", "yarl", "asyncio", "returns", "toolz", "msgspec"):
        if f"/{name}/" in filename:
            return name
    if filename.startswith(("~", "<")):
        return "builtins"
    return "other"


async def run(requests: int, concurrency: int, url: str) -> cProfile.Profile:
    client = await overhead.make_hf_pure(url)
    await overhead.cpu_per_call(client.request, 256, concurrency)  # warm up
    profile = cProfile.Profile()
    start = time.process_time()
    profile.enable()
    await overhead.cpu_per_call(client.request, requests, concurrency)
    profile.disable()
    spent = time.process_time() - start
    await client.close()
    each = spent / requests * 1e6
    print(f"{requests} requests, concurrency {concurrency}: {each:.0f} us each under cProfile")
    return profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    port = overhead.free_port()
    server = overhead.start_server(port, 1)
    try:
        profile = asyncio.run(run(args.requests, args.concurrency, f"http://127.0.0.1:{port}"))
    finally:
        server.terminate()
        server.wait(timeout=10)
    stats = pstats.Stats(profile)
    by_area: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_area[_area(filename)] += tottime
        total += tottime
    print("\nshare of the profiled time by where it is spent (self time):")
    for area, spent in sorted(by_area.items(), key=lambda kv: -kv[1]):
        if spent / total >= 0.005:
            print(
                f"  {area:<40} {spent / total:6.1%}  {spent / args.requests * 1e6:6.1f} us/request"
            )
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
