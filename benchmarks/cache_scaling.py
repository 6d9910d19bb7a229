"""How the TTL-LRU cache's transitions scale: 1k entries against 100k.

The cache is a pair of persistent HAMT maps, so a get or put should cost O(log n) and never a
copy of the map. This script measures, on a full cache of each size:

- ``get+put``: a get that hits (and re-stamps) an entry, then a put of a new key that evicts
  the least recently used one: the steady state of a busy, full cache;
- each transition alone: get (hit, miss), put (new key with eviction, replace), delete.

It prints microseconds per call and the 100k / 1k ratio (the project's target: at most 2x).
Times are this process's CPU time (``time.process_time``), best of several runs, so that other
work on the machine disturbs them less; the cyclic GC is on, as in real use, and a last row
repeats get+put with it off to show its share (its full collections walk every HAMT node, and
those walks cost more per node once the maps no longer fit in the CPU caches).
Run: ``python benchmarks/cache_scaling.py`` (``--quick`` for fewer repeats).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from typing import Any

from hf_pure.reliability.cache import (
    CacheConfig,
    CacheState,
    cache_delete,
    cache_empty,
    cache_get,
    cache_put,
)

SIZES = (1_000, 100_000)
CALLS = 20_000  # calls per timed run
REPEAT = 5  # best of


def filled(size: int) -> tuple[CacheConfig, CacheState[str, int]]:
    """A full cache of ``size`` live entries (keys ``k0``..), with capacity ``size``."""
    config = CacheConfig(capacity=size, ttl=1e9)
    state: CacheState[str, int] = cache_empty()
    for i in range(size):
        state = cache_put(config, state, f"k{i}", i, 0.0)
    return config, state


def _best(run: Callable[[], None], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def bench_get_put(size: int, calls: int = CALLS, repeat: int = REPEAT) -> float:
    """Seconds per (get-hit + put-new-key-with-eviction) pair on a full cache of ``size``.

    The steady state of a busy, full cache: only the current version is kept alive (as in the
    shell's state cell), and each timed run carries on from where the previous one stopped.
    The key got is the one put ``size // 4`` pairs earlier: still present (fewer than
    ``size // 2`` entries can have become more recent since), and not the most recent, so the
    hit re-stamps it. Best of ``repeat`` runs of ``calls`` pairs, after one untimed run.
    """
    config, state = filled(size)
    lag = max(size // 4, 1)
    total = calls * (repeat + 1)
    put_keys = [f"n{j}" for j in range(total)]
    got_keys = [f"k{size - lag + j}" if j < lag else put_keys[j - lag] for j in range(total)]
    now = 1.0
    best = float("inf")
    for run in range(repeat + 1):
        first = run * calls
        start = time.process_time()
        for j in range(first, first + calls):
            state, _ = cache_get(config, state, got_keys[j], now)
            state = cache_put(config, state, put_keys[j], j, now)
        elapsed = time.process_time() - start
        if run:
            best = min(best, elapsed)
    assert state.stats.hits == total and state.stats.evictions == total, state.stats
    return best / calls


def bench_one(size: int, what: str, calls: int = CALLS, repeat: int = REPEAT) -> float:
    """Seconds per call of one transition on the full cache of ``size`` (a fresh state each
    call, so this is the cost of the transition alone)."""
    config, state = filled(size)
    keys = [f"k{(j * 7919) % size}" for j in range(calls)]
    fresh = [f"n{j}" for j in range(calls)]
    ops: dict[str, Callable[[int], Any]] = {
        "get hit": lambda j: cache_get(config, state, keys[j], 1.0),
        "get miss": lambda j: cache_get(config, state, fresh[j], 1.0),
        "put new (evicts)": lambda j: cache_put(config, state, fresh[j], j, 1.0),
        "put replace": lambda j: cache_put(config, state, keys[j], j, 1.0),
        "put own ttl": lambda j: cache_put(config, state, keys[j], j, 1.0, 60.0),
        "delete": lambda j: cache_delete(state, keys[j]),
    }
    op = ops[what]

    def run() -> None:
        for j in range(calls):
            op(j)

    return _best(run, repeat) / calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else REPEAT
    rows = ["get+put", "get hit", "get miss", "put new (evicts)", "put replace", "put own ttl"]
    rows.append("delete")
    print(f"python {sys.version.split()[0]}; microseconds per call, best of {repeat}")
    print(f"{'operation':<18}" + "".join(f"{n:>12,}" for n in SIZES) + f"{'ratio':>8}")
    for what in rows:
        times = [
            bench_get_put(n, repeat=repeat)
            if what == "get+put"
            else bench_one(n, what, repeat=repeat)
            for n in SIZES
        ]
        cells = "".join(f"{t * 1e6:>12.2f}" for t in times)
        print(f"{what:<18}{cells}{times[-1] / times[0]:>7.2f}x")
    gc.disable()
    try:
        times = [bench_get_put(n, repeat=repeat) for n in SIZES]
    finally:
        gc.enable()
    cells = "".join(f"{t * 1e6:>12.2f}" for t in times)
    print(f"{'get+put, gc off':<18}{cells}{times[-1] / times[0]:>7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
