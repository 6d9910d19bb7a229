"""How the TTL-LRU cache's transitions scale: 1k entries against 100k.

The cache is a pair of persistent HAMT maps, so a get or put should cost O(log n) and never a
copy of the map. This script measures, on a full cache of each size:

- ``get+put``: a get that hits (and re-stamps) an entry, then a put of a new key that evicts
  the least recently used one: the steady state of a busy, full cache;
- each transition alone: get (hit, miss), put (new key with eviction, replace), delete.

It prints microseconds per call and the 100k / 1k ratio (the project's target: at most 2x).
Times are this process's CPU time (``time.process_time``), best of several runs, so that other
work on the machine disturbs them less; the cyclic GC is on, as in real use, and a last row
repeats get+put with it off to show its share.
Run: ``python benchmarks/cache_scaling.py`` (``--quick`` for fewer repeats).

``benchmarks/reliability.py`` uses :class:`SteadyGetPut` through :class:`Worker`: one process
per cache size, so that each size is timed with only its own objects on the heap (a full
collection of the cyclic GC walks every tracked object in the process), while the two sizes
are still timed in alternation.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, Any

import hf_pure as hf
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
MODEL = "meta-llama/Llama-3.1-8B-Instruct"


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


# ------------------------------------------------------------ the steady state of a busy cache


def string_key(i: int) -> Hashable:
    """Key number ``i`` as a short string (a new string object at each call)."""
    return f"k{i}"


def request_key(i: int) -> Hashable:
    """Key number ``i`` as what the policy really caches: a cacheable chat request, built anew
    at each call, so a lookup uses a separately built request equal to the one that was put.
    ``ChatRequest`` is ``attrs.frozen(cache_hash=True)``: a request computes its hash once, at
    its first ``hash()``, and keeps it (checked by :func:`request_hash_is_cached`), so each
    request object pays for hashing once, in the timed loop, as a fresh request would in the
    policy; a hit then costs an ``__eq__`` against the stored request, field by field."""
    return hf.cacheable()(hf.seed(i)(hf.chat(MODEL, ["hi"])))


def request_hash_is_cached() -> bool:
    """Whether a request's hash is computed once and kept (attrs ``cache_hash=True`` keeps it
    in the ``_attrs_cached_hash`` slot, set by the first ``hash()``)."""
    request = request_key(0)
    if "_attrs_cached_hash" not in getattr(type(request), "__slots__", ()):
        return False
    value = hash(request)
    return bool(getattr(request, "_attrs_cached_hash", None) == value == hash(request))


KEYS: dict[str, Callable[[int], Hashable]] = {"str": string_key, "request": request_key}


class SteadyGetPut:
    """A full cache of ``size`` entries, kept busy across calls of :meth:`run`.

    Each step is a get, then a put of a new key that evicts the least recently used entry.
    Only the current version of the state is kept alive (as in the shell's state cell), and
    each call carries on from where the previous one stopped, so the filled state is built
    once. Key ``j`` is put at step ``j`` (keys ``0..size-1`` fill the cache); step ``j`` gets
    key ``j - lag``, built anew (an equal key, not the object that was put):

    - ``hits="quarter"``: ``lag = size // 4``: still present (fewer than ``size // 2`` entries
      can have become more recent since) and not the most recent, so the hit re-stamps it;
    - ``hits="spread"``: ``lag`` uniformly random in ``1..size // 2``: a hit on a uniformly
      random one of the newest half of the keys put (the newer ``size // 2`` keys put are
      always present: since key ``j - lag`` was stamped, at most ``2 * (lag - 1)`` entries can
      have become more recent);
    - ``hits="miss"``: ``lag = 0``: the get misses (the key is the one about to be put), so a
      step is a cache-aside miss: look up, miss, store.

    Keys are built outside the timed loop, ``chunk`` steps at a time and with the cyclic GC
    paused, so building them is not timed; their allocations still count towards the GC's
    next collection, as a caller's would, and any collection runs inside the timed loop, on
    the heap this process holds (a chunk's keys stay under the young-generation threshold,
    700 objects, so a collection is put off by at most one chunk).
    """

    def __init__(
        self, size: int, key: Callable[[int], Hashable] = string_key, hits: str = "quarter"
    ) -> None:
        if hits not in ("quarter", "spread", "miss"):
            raise ValueError(f"hits: quarter, spread or miss, not {hits!r}")
        self.size = size
        self.key = key
        self.hits = hits
        self.config = CacheConfig(capacity=size, ttl=1e9)
        state: CacheState[Hashable, int] = cache_empty()
        for i in range(size):
            state = cache_put(self.config, state, key(i), i, 0.0)
        self.state = state
        self.step = size  # the next key to put
        self.random = random.Random(size)
        self.chunk = 256 if key is string_key else 64  # ~5 GC-tracked objects per request

    def _lags(self, count: int) -> list[int]:
        if self.hits == "spread":
            top = max(self.size // 2, 1)
            return [self.random.randint(1, top) for _ in range(count)]
        return [0 if self.hits == "miss" else max(self.size // 4, 1)] * count

    def _chunks(self, pairs: int) -> Iterator[tuple[int, list[Hashable], list[Hashable]]]:
        """The next ``pairs`` steps, ``chunk`` at a time: ``(first step, keys to get, keys to
        put)``, built with the cyclic GC paused (see the class docstring)."""
        key = self.key
        first = self.step
        end = first + pairs
        while first < end:
            last = min(first + self.chunk, end)
            lags = self._lags(last - first)
            enabled = gc.isenabled()
            gc.disable()
            try:
                got = [key(j - lag) for j, lag in zip(range(first, last), lags, strict=True)]
                put = [key(j) for j in range(first, last)]
            finally:
                if enabled:
                    gc.enable()
            yield first, got, put
            first = last
        self.step = end

    def run(self, pairs: int) -> float:
        """Do ``pairs`` get+put steps; the CPU seconds they took (key building excluded, GC
        collections included)."""
        config = self.config
        # Hold the state in a local only: a reference to the run's first version would keep
        # its nodes alive (and the GC busy promoting the new ones) all through the run.
        state, self.state = self.state, cache_empty()
        before = state.stats
        cpu = 0.0
        for first, got, put in self._chunks(pairs):
            start = time.process_time()
            for j, got_key, put_key in zip(range(first, first + len(put)), got, put, strict=True):
                state, _ = cache_get(config, state, got_key, 1.0)
                state = cache_put(config, state, put_key, j, 1.0)
            cpu += time.process_time() - start
        self.state = state
        after = state.stats
        found = after.hits - before.hits if self.hits != "miss" else after.misses - before.misses
        evictions = after.evictions - before.evictions
        assert found == pairs and evictions == pairs, (pairs, before, after)
        return cpu


class SteadyTTLCache(SteadyGetPut):
    """The same steps on ``cachetools.TTLCache`` (a mutable TTL + LRU cache: a dict and linked
    lists, changed in place): what the memory hierarchy alone makes 100k cost against 1k, with
    no persistent structure involved. A reference, not a target."""

    def __init__(
        self, size: int, key: Callable[[int], Hashable] = string_key, hits: str = "quarter"
    ) -> None:
        import cachetools

        super().__init__(1, key, hits)  # the attributes; the tiny persistent cache is unused
        self.size = size
        self.random = random.Random(size)
        self.lru: Any = cachetools.TTLCache(maxsize=size, ttl=1e9, timer=lambda: 1.0)
        for i in range(size):
            self.lru[key(i)] = i
        self.step = size

    def run(self, pairs: int) -> float:
        lru = self.lru
        cpu = 0.0
        missed = 0
        for first, got, put in self._chunks(pairs):
            start = time.process_time()
            for j, got_key, put_key in zip(range(first, first + len(put)), got, put, strict=True):
                if lru.get(got_key) is None:
                    missed += 1
                lru[put_key] = j
            cpu += time.process_time() - start
        expected = pairs if self.hits == "miss" else 0
        assert missed == expected and len(lru) == self.size, (missed, len(lru))
        return cpu


IMPLS: dict[str, type[SteadyGetPut]] = {"hf_pure": SteadyGetPut, "cachetools": SteadyTTLCache}


def bench_get_put(size: int, calls: int = CALLS, repeat: int = REPEAT) -> float:
    """Seconds per (get-hit + put-new-key-with-eviction) pair on a full cache of ``size``
    (:class:`SteadyGetPut`, string keys, the hit on the key put ``size // 4`` pairs earlier):
    best of ``repeat`` runs of ``calls`` pairs, after one untimed run."""
    bench = SteadyGetPut(size)
    bench.run(calls)
    return min(bench.run(calls) for _ in range(repeat)) / calls


@dataclass(frozen=True)
class Steps:
    """What a worker measured over ``pairs`` get+put steps: their CPU seconds, and how many
    full (generation 2) collections of the cyclic GC ran among them, taking ``gc_cpu`` of it."""

    pairs: int
    cpu: float
    full_gcs: int
    gc_cpu: float


class Worker:
    """A :class:`SteadyGetPut` in its own process (``--serve``), run on request: see the module
    docstring for why. Use as a context manager; :meth:`start` all workers first, then
    :meth:`wait` for them, so that they fill their caches in parallel."""

    def __init__(
        self, size: int, keys: str = "str", hits: str = "quarter", impl: str = "hf_pure"
    ) -> None:
        self.size, self.keys, self.hits, self.impl = size, keys, hits, impl
        self.collect_seconds = 0.0  # one full gc.collect() in the worker, once filled
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> Worker:
        command = [sys.executable, os.path.abspath(__file__), "--serve", str(self.size)]
        command += [self.keys, self.hits, self.impl]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        return self

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        process = self._process
        assert process is not None and process.stdin and process.stdout, "not started"
        return process.stdin, process.stdout

    def _reply(self) -> dict[str, Any]:
        line = self._pipes()[1].readline()
        if not line:
            raise RuntimeError(f"cache worker {self.size} {self.keys} exited")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def wait(self) -> Worker:
        self.collect_seconds = float(self._reply()["collect"])
        return self

    def run(self, pairs: int, runs: int = 1) -> list[Steps]:
        """``runs`` runs of ``pairs`` more get+put steps in the worker, each after a
        ``gc.collect()``: what each took."""
        stdin = self._pipes()[0]
        stdin.write(f"{pairs} {runs}\n")
        stdin.flush()
        return [
            Steps(pairs, float(cpu), int(full_gcs), float(gc_cpu))
            for cpu, full_gcs, gc_cpu in self._reply()["runs"]
        ]

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.stdin:
                process.stdin.close()
            process.wait(timeout=30)
            if process.stdout:
                process.stdout.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and exc[0] is not None:
            self._process.kill()
        self.close()


def serve(size: int, keys: str, hits: str, impl: str = "hf_pure") -> int:
    """The worker's side: fill, warm up, report how long a ``gc.collect()`` takes, then
    answer ``pairs runs`` lines until EOF."""
    bench = IMPLS[impl](size, KEYS[keys], hits)
    bench.run(max(size // 4, 2000))
    gc.collect()
    start = time.process_time()
    gc.collect()
    print(json.dumps({"collect": time.process_time() - start}), flush=True)
    full = [0.0, 0.0, 0.0]  # full collections, their CPU seconds, when the current one began

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                full[2] = time.process_time()
            else:
                full[0] += 1.0
                full[1] += time.process_time() - full[2]

    gc.callbacks.append(on_gc)
    for line in sys.stdin:
        pairs, runs = map(int, line.split())
        results = []
        for _ in range(runs):
            gc.collect()
            full[0] = full[1] = 0.0
            cpu = bench.run(pairs)
            results.append((cpu, int(full[0]), full[1]))
        print(json.dumps({"runs": results}), flush=True)
    return 0


# ------------------------------------------------------------------- one transition at a time


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


DECADES = (1_000, 10_000, 100_000, 1_000_000)


def decades(rounds: int, pairs: int = 20_000) -> None:
    """How get+put grows with each decade of size, for hf_pure and for cachetools' mutable
    TTLCache: median CPU per step (best of 3 runs per round) and the median per-round ratio of
    each size to the one before it."""
    names = [(impl, size) for impl in IMPLS for size in DECADES]
    times: dict[tuple[str, int], list[float]] = {name: [] for name in names}
    with ExitStack() as stack:
        workers = {
            name: stack.enter_context(Worker(name[1], "str", "quarter", name[0]).start())
            for name in names
        }
        for worker in workers.values():
            worker.wait()
        for r in range(rounds):  # each round in a rotated order
            for name in names[r % len(names) :] + names[: r % len(names)]:
                steps = workers[name].run(pairs, 3)
                times[name].append(min(s.cpu for s in steps) / pairs * 1e6)
    print(f"get+put, string keys, median of {rounds} rounds; x: against the size before")
    for impl in IMPLS:
        cells = [f"{impl:<11}"]
        for before, size in zip((None, *DECADES), DECADES, strict=False):
            cell = f"{size:>9,}: {statistics.median(times[impl, size]):6.2f} us"
            if before is not None:
                both = zip(times[impl, before], times[impl, size], strict=True)
                cell += f" ({statistics.median(b / a for a, b in both):.2f}x)"
            cells.append(cell)
        print("  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    parser.add_argument(
        "--decades",
        type=int,
        metavar="ROUNDS",
        help="instead: get+put at 1k, 10k, 100k and 1M entries (string keys), hf_pure and "
        "cachetools, each in its own Worker, timed in ROUNDS interleaved rounds",
    )
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)  # see Worker
    args = parser.parse_args(argv)
    if args.serve:
        size, keys, hits, impl = args.serve
        return serve(int(size), keys, hits, impl)
    if args.decades:
        decades(args.decades)
        return 0
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
