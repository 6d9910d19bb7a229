"""``health`` (probe the router and the Hub once), ``metrics`` (requests through the reliable
runner, then its metrics) and ``emulator`` (serve the loopback emulator)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from typing import Any

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.reliability.health import probe_call, probe_healthy

from ._args import TASK_MODELS
from ._out import Fail, Output
from ._target import open_target, token_from_file

DEFAULT_EMULATOR_TOKEN = "hf_emulator_token"


# --------------------------------------------------------------------------- health


async def _probe(runner: hf.Runner, probe: hf.Probe, role: str, url: str) -> dict[str, Any]:
    started = time.monotonic()
    sent = await runner.send(probe_call(probe), base_url=url)
    latency = time.monotonic() - started
    found: dict[str, Any] = {"role": role, "url": url, "latency_ms": round(latency * 1000, 1)}
    if isinstance(sent, Success):
        reply = sent.unwrap()
        healthy = probe_healthy(probe.kind, reply.status)
        found.update(healthy=healthy, status=reply.status)
        if not healthy:
            found["error"] = hf.error_from_reply(reply)
    else:
        found.update(healthy=False, status=None, error=sent.failure())
    return found


def health(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    probe = hf.Probe(kind=hf.ProbeKind(args.kind), path=args.path, timeout=args.timeout or 5.0)

    async def go() -> list[dict[str, Any]]:
        async with open_target(args, out, token_required=False) as target:
            config = target.config
            ends = (("router", config.router_url), ("hub", config.hub_url))
            return list(await asyncio.gather(*(_probe(target.runner, probe, *e) for e in ends)))

    endpoints = loop.run(go())
    out.result(probe=args.kind, path=args.path, endpoints=endpoints)
    for e in endpoints:
        said = f"HTTP {e['status']}" if e["status"] is not None else e["error"].message
        verdict = "healthy" if e["healthy"] else "UNHEALTHY"
        out.line(f"{e['role']:<7}{e['url']}  {verdict}  {said}  {e['latency_ms']:.0f} ms")
    failed = [e["error"] for e in endpoints if not e["healthy"]]
    if failed:
        raise Fail(failed[0], reported=True)


# --------------------------------------------------------------------------- metrics


def _metrics_request(args: argparse.Namespace) -> Any:
    if args.task == "embed":
        return hf.feature_extraction(args.model or TASK_MODELS["embed"], args.prompt)
    model = args.model or TASK_MODELS["chat"]
    return pipe(hf.chat(model, [args.prompt]), hf.max_tokens(args.max_tokens))


def metrics(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    request = _metrics_request(args)

    async def go() -> tuple[hf.ReliabilityState, list[hf.HfError]]:
        failures: list[hf.HfError] = []
        async with open_target(args, out) as target:
            reliable = hf.ReliableRunner(target.runner, hf.Policy())
            todo = iter(range(args.requests))
            with out.progress("requests", total=args.requests) as bar:

                async def worker() -> None:
                    for _ in todo:
                        result = await reliable.run(request)
                        if isinstance(result, Failure):
                            failures.append(result.failure())
                        bar.advance()

                async with asyncio.TaskGroup() as group:
                    for _ in range(min(args.concurrency, args.requests)):
                        group.create_task(worker())
            return reliable.snapshot(), failures

    state, failures = loop.run(go())
    m = state.metrics
    p50, p95, p99 = hf.quantiles(m)
    kinds: dict[str, int] = {}
    for error in failures:
        kinds[type(error).__name__] = kinds.get(type(error).__name__, 0) + 1
    out.result(
        requests=args.requests,
        succeeded=args.requests - len(failures),
        failed=kinds,
        latency_seconds={"p50": p50, "p95": p95, "p99": p99},
        metrics=m,
    )
    if not out.json:
        out.write(hf.to_prometheus(m))
    if failures and len(failures) == args.requests:
        raise Fail(failures[-1], hint=f"all {args.requests} requests failed")


# --------------------------------------------------------------------------- emulator


def emulator(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    if args.token_file:
        if args.token is not None:
            from ._out import UsageError

            raise UsageError("hf-pure emulator: give --token or --token-file, not both")
        token = token_from_file(args.token_file).reveal()
        out.add_secret(token)
        shown = "the one in --token-file"
    else:
        token = args.token or DEFAULT_EMULATOR_TOKEN
        shown = token if token == DEFAULT_EMULATOR_TOKEN else "as given by --token"
    loop.run(_serve(args, out, token, shown))


async def _serve(args: argparse.Namespace, out: Output, token: str, shown: str) -> None:
    from hf_pure.testing import Emulator

    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            running.add_signal_handler(sig, stop.set)
    emu = Emulator(
        token=token,
        host=args.host,
        port=args.port,
        reply_tokens=args.reply_tokens,
        log_limit=1000,
        events_per_write=args.events_per_write,
    )
    try:
        await emu.start()
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise Fail(
            hf.ConnectionFailed(f"cannot listen on {args.host}:{args.port}: {why}")
        ) from None
    try:
        out.result(url=emu.url, host=args.host, port=emu.port)
        out.finish_ok()  # the one document, now: a script reads the URL and goes on
        out.line(f"hf_pure emulator listening on {emu.url} (token: {shown}); Ctrl+C stops it")
        await stop.wait()
    finally:
        await emu.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                running.remove_signal_handler(sig)
