"""The overhead benchmark's workloads counted in instructions (callgrind), side by side in one
run: the same clients, servers and targets as ``benchmarks/overhead.py``, in a measure that
does not drift with the machine.

CPU time on a shared 2-vCPU machine moves by ±10% between runs minutes apart (the request
ratio of one tree read 0.84x and 1.00x on the same afternoon), which is the width of the
margins issue 10's targets sit in. Instruction counts of the same work move by a few per
cent at most (the network workloads: scheduling decides how many reads a reply takes), and
an import's count by well under one, so a change of a few per cent shows as a change. They
leave out what the kernel spends (system calls, wake-ups) and what the memory hierarchy
costs (cache misses, page faults): the CPU ratios of overhead.py stay the targets' measure,
and this says where a tree stands between its noise.

- per request: a client process under callgrind sends ``--requests`` requests more than
  another (both warmed up alike), and the difference is divided by that number; the same for
  per chunk, with streams of 200 chunks; so start-up, imports and warm-up cancel out;
- import: ``python -c "<import>"`` as a whole process, as overhead.py measures it.

    python benchmarks/instructions.py [--clients "plain aiohttp,hf_pure,hf_pure prebuilt"]
                                      [--shapes plain,together,usage,empty] [--no-import]

Needs valgrind (``apt-get install valgrind``); each count runs about 50 times slower than
natively, so a full run takes several minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import overhead

WARM = 64  # requests (or 4 streams) every worker sends before it counts


async def _work(name: str, url: str, kind: str, n: int) -> None:
    client = await overhead.MAKERS[name](url)
    try:
        if kind == "request":
            await overhead.cpu_per_call(client.request, WARM, 16)
            await overhead.cpu_per_call(client.request, n, 16)
        else:
            await overhead.cpu_per_chunk(client, 4, 4)
            await overhead.cpu_per_chunk(client, n, 4)
    finally:
        await client.close()


def count(cmd: list[str]) -> int:
    """Instructions a command runs (the whole process, under callgrind)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{cmd}: {done.stderr.strip().splitlines()[-3:]}")
    return int(found[1])


def worker(name: str, url: str, kind: str, n: int) -> list[str]:
    return [sys.executable, __file__, "--worker", name, url, kind, str(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="plain aiohttp,hf_pure,hf_pure prebuilt")
    parser.add_argument("--shapes", default="plain,together,usage,empty")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, url, kind, n = args.worker
        asyncio.run(_work(name, url, kind, int(n)))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("instructions.py needs valgrind (apt-get install valgrind)")
    names = [n.strip() for n in args.clients.split(",") if n.strip()]
    if "plain aiohttp" not in names:
        names.insert(0, "plain aiohttp")  # every ratio is to it
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    ports = {kind: overhead.free_port() for kind in ("paced", *shapes)}
    servers = {"paced": overhead.start_server(ports["paced"], 1)}
    for shape in shapes:
        servers[shape] = (
            overhead.start_server(ports[shape], overhead.BURST)
            if shape == "plain"
            else overhead.start_canned(ports[shape], shape)
        )
    url = {kind: f"http://127.0.0.1:{port}" for kind, port in ports.items()}
    print(
        f"instructions (callgrind), {args.requests} requests and {args.streams} streams of "
        f"{overhead.STREAM_TOKENS} chunks counted per client; ratios to plain aiohttp"
    )
    # every count is a job of its own, run on every CPU at once: an instruction count does
    # not depend on what else the machine runs (the servers and the other counts)
    jobs: dict[tuple[str, str, int], list[str]] = {}
    units: dict[tuple[str, str], int] = {}
    for name in names:
        jobs[name, "request", 0] = worker(name, url["paced"], "request", 16)
        jobs[name, "request", 1] = worker(name, url["paced"], "request", 16 + args.requests)
        units[name, "request"] = args.requests
        for shape in shapes if name != "hf_pure prebuilt" else ():  # (hf_pure's streams)
            jobs[name, shape, 0] = worker(name, url[shape], "stream", 4)
            jobs[name, shape, 1] = worker(name, url[shape], "stream", 4 + args.streams)
            units[name, shape] = args.streams * overhead.STREAM_TOKENS
    if not args.no_import:
        overhead.import_times([], 0)  # (compiles hf_pure's bytecode, as pip install does)
        for name in names:
            statement = overhead.IMPORTS.get(name)
            if statement is not None:
                jobs[name, "import", 1] = [sys.executable, "-c", statement]
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            counted = dict(zip(jobs, pool.map(count, jobs.values()), strict=True))
    finally:
        for server in servers.values():
            server.terminate()
    print(f"  {len(jobs)} counts in {time.monotonic() - started:.0f} s")
    rows = {
        name: {
            what: (counted[name, what, 1] - counted[name, what, 0]) / n
            for (who, what), n in units.items()
            if who == name
        }
        for name in names
    }
    imports = {name: counted[name, "import", 1] for name in names if (name, "import", 1) in counted}
    report(names, shapes, rows, imports)


def report(
    names: list[str],
    shapes: list[str],
    rows: dict[str, dict[str, float]],
    imports: dict[str, int],
) -> None:
    base = rows["plain aiohttp"]
    columns = ["request", *shapes]
    print()
    print(f"{'client':<18}" + "".join(f"{c:>20}" for c in columns) + f"{'import':>22}")
    for name in names:
        row = rows[name]
        cells = ""
        for column in columns:
            value = row.get(column)
            cells += (
                f"{value:>12,.0f} {value / base[column]:5.3f}x" if value is not None else " " * 20
            )
        imp = imports.get(name)
        base_imp = imports.get("plain aiohttp")
        cells += f"{imp / 1e6:>13,.0f}M {imp / base_imp:5.3f}x" if imp and base_imp else ""
        print(f"{name:<18}{cells}")
    hf, pre = rows.get("hf_pure"), rows.get("hf_pure prebuilt")
    parts = []
    if hf:
        parts.append(f"request {hf['request'] / base['request']:.3f}x")
        chunk = ", ".join(f"{s} {hf[s] / base[s]:.3f}x" for s in shapes if s in hf)
        parts.append(f"chunk {chunk}")
    if pre:
        parts.append(f"prebuilt {pre['request'] / base['request']:.3f}x")
    if "hf_pure" in imports and "plain aiohttp" in imports:
        parts.append(f"import {imports['hf_pure'] / imports['plain aiohttp']:.3f}x")
    print(
        "\ntargets (as overhead.py's: request <= 1.00x, prebuilt <= 0.95x, chunk <= 0.25x, "
        "import <= 1.10x)"
    )
    print("  " + "; ".join(parts))


if __name__ == "__main__":
    main()
