"""Command line: ``python -m hf_pure demo | chat | generate | emulator``.

Every failure ends with a one-line message and a non-zero exit, never a traceback, and nothing
printed ever contains the token.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TextIO

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf

if TYPE_CHECKING:
    from hf_pure.testing import Emulator

DEFAULT_CHAT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
DEFAULT_TGI_MODEL = "bigscience/bloom-560m"

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _print(text: str = "", *, end: str = "\n", out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    stream.write(text + end)
    stream.flush()


@asynccontextmanager
async def _target(
    use_emulator: bool, router_url: str | None, hub_url: str | None
) -> AsyncIterator[hf.Result[hf.Runner, hf.HfError]]:
    """A runner for the real service (token from the environment) or an in-process emulator."""
    if use_emulator:
        async with hf.emulated_runner() as (runner, _):
            yield Success(runner)
        return
    from hf_pure.shell.env import load_token

    fields = {k: v for k, v in (("router_url", router_url), ("hub_url", hub_url)) if v}
    made = hf.make_config(**fields)
    if isinstance(made, Failure):
        yield Failure(made.failure())
        return
    found = load_token()
    if isinstance(found, Failure):
        yield Failure(found.failure())
        return
    async with hf.open_runner(made.unwrap(), token=found.unwrap()) as runner:
        yield Success(runner)


def _fail(error: hf.HfError) -> int:
    _print(f"error: {error}", out=sys.stderr)
    if isinstance(error, hf.MissingToken):
        _print("(or add --emulator to try it against the local emulator)", out=sys.stderr)
    return EXIT_FAILED


async def _print_stream(stream: hf.Stream[hf.ChatChunk, hf.ChatCompletion]) -> int:
    async for chunk in stream:
        _print(chunk.text, end="")
    _print()
    match stream.result:
        case Success(_):
            return EXIT_OK
        case Failure(error):
            return _fail(error)
    return EXIT_FAILED  # pragma: no cover - the match is exhaustive


async def _chat(args: argparse.Namespace) -> int:
    request = pipe(hf.chat(args.model, [hf.user(args.question)]), hf.max_tokens(args.max_tokens))
    if args.provider:
        request = hf.provider(args.provider)(request)
    if args.temperature is not None:
        request = hf.temperature(args.temperature)(request)
    if args.system:
        request = hf.system_prompt(args.system)(request)
    async with _target(args.emulator, args.router_url, args.hub_url) as target:
        if isinstance(target, Failure):
            return _fail(target.failure())
        runner = target.unwrap()
        if args.stream:
            return await _print_stream(runner.stream(request))
        match await runner.run(request):
            case Success(answer):
                _print(answer.text)
                return EXIT_OK
            case Failure(error):
                return _fail(error)
    return EXIT_FAILED  # pragma: no cover


async def _generate(args: argparse.Namespace) -> int:
    request = pipe(hf.text_generation(args.model, args.prompt), hf.max_tokens(args.max_tokens))
    async with _target(args.emulator, args.router_url, args.hub_url) as target:
        if isinstance(target, Failure):
            return _fail(target.failure())
        runner = target.unwrap()
        if args.stream:
            stream = runner.stream(request)
            async for chunk in stream:
                _print(chunk.text, end="")
            _print()
            result = stream.result
        else:
            result = await runner.run(request)
            if isinstance(result, Success):
                _print(result.unwrap().text)
        return _fail(result.failure()) if isinstance(result, Failure) else EXIT_OK


async def demo() -> int:
    """A short tour against the in-process emulator."""
    from hf_pure.testing import Fault

    async with hf.emulated_runner() as (runner, emu):
        _print(f"hf_pure {hf.__version__} demo — against the loopback emulator at {emu.url}\n")
        request = pipe(
            hf.chat(DEFAULT_CHAT_MODEL, [hf.system("Be brief."), hf.user("What is SSE?")]),
            hf.temperature(0.2),
            hf.max_tokens(12),
        )
        _print("1. A request is a value, built with pipe:")
        _print(
            f"   {request.model}, temperature={request.temperature}, "
            f"max_tokens={request.max_tokens}, {len(request.messages)} messages"
        )
        match await runner.run(request):
            case Success(answer):
                usage = answer.usage or hf.Usage()
                _print(
                    f"   answer ({answer.finish_reason}, {usage.total_tokens} tokens): "
                    f"{answer.text}"
                )
            case Failure(error):
                _print(f"   unexpected failure: {error}")
                return EXIT_FAILED

        _print("\n2. The same request, streamed token by token:")
        _print("   ", end="")
        stream = runner.stream(hf.max_tokens(20)(request))
        async for chunk in stream:
            _print(chunk.text, end="")
            await asyncio.sleep(0.02)  # only so a human can watch it arrive
        _print()
        _print(f"   stream complete: {isinstance(stream.result, Success)}")

        _print("\n3. Failures are values, never exceptions:")
        bad = hf.temperature(3.0)(request)
        match await runner.run(bad):
            case Failure(hf.InvalidInput(field=field, reason=reason)):
                _print(f"   refused before sending — {field}: {reason}")
        emu.script(
            "chat",
            Fault.status(503, {"error": "Model is currently loading", "estimated_time": 12.0}),
        )
        match await runner.run(request):
            case Failure(hf.ModelLoading(estimated_time=eta) as error):
                _print(
                    f"   server said: {error.message} (retryable: "
                    f"{hf.is_retryable(error)}, eta {eta} s)"
                )
        emu.script("chat", Fault.cut(after=6))
        cut = runner.stream(request)
        async for _ in cut:
            pass
        match cut.result:
            case Failure(hf.StreamInterrupted(received=text, chunks=n)):
                _print(f"   a cut stream keeps what arrived: {n} chunks, {text!r}")
        match await runner.run(hf.chat("no-such/model", ["hi"])):
            case Failure(hf.NotFound() as error):
                _print(f"   {error.message}")

        _print("\n4. Tools: the model asks for a call, as a typed value:")
        weather = hf.tool(
            "get_weather",
            "Current weather for a city",
            {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        )
        match await runner.run(
            hf.tools(weather)(hf.chat(DEFAULT_CHAT_MODEL, ["Weather in Paris?"]))
        ):
            case Success(answer) if answer.tool_calls:
                call = answer.tool_calls[0]
                _print(f"   {call.name}({call.arguments})")

        await _demo_reliability(runner, emu, request)
    _print("\nDone. The whole test suite: scripts/test")
    return EXIT_OK


async def _demo_reliability(runner: hf.Runner, emu: Emulator, request: hf.ChatRequest) -> None:
    """Part 5 of the demo: the reliability layer, opted in around the same runner."""
    from hf_pure.testing import Fault

    _print("\n5. Reliability, opted in: pure state machines around the same runner:")
    policy = hf.Policy(retry=hf.RetryPolicy(max_attempts=3, base=0.05, cap=0.2))
    reliable = hf.ReliableRunner(runner, policy)
    emu.script("chat", Fault.status(429, headers={"Retry-After": "1"}))
    started = time.monotonic()
    match await reliable.run(request):
        case Success(_):
            waited = time.monotonic() - started
            _print(f"   a 429 with Retry-After: 1 was waited out ({waited:.1f} s), then answered")
    emu.always("chat", Fault.status(500, {"error": "upstream down"}))
    for _ in range(2):  # 3 attempts each: 6 failures, past the breaker's threshold of 5
        await reliable.run(request)
    before = len(emu.requests)
    match await reliable.run(request):
        case Failure(hf.CircuitOpen(retry_in=float(retry_in), key=key)):
            sent = len(emu.requests) - before
            _print(
                f"   after repeated 500s the circuit for {key} is open: refused locally "
                f"({sent} requests sent), a trial goes through in {retry_in:.0f} s"
            )
    emu.clear()
    state = reliable.snapshot()
    p50, _, p99 = hf.quantiles(state.metrics)
    _print(
        f"   the state is a value: {sum(state.metrics.requests.values())} attempts recorded, "
        f"p50 {(p50 or 0) * 1000:.1f} ms, p99 {(p99 or 0) * 1000:.1f} ms, breaker "
        f"{state.breakers[request.model].mode.value}"
    )


def _serve(args: argparse.Namespace) -> int:
    from hf_pure.testing import run_emulator

    run_emulator(
        host=args.host,
        port=args.port,
        token=args.token,
        reply_tokens=args.reply_tokens,
        events_per_write=args.events_per_write,
    )
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hf_pure", description=__doc__)
    parser.add_argument("--version", action="version", version=f"hf_pure {hf.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("demo", help="a short tour against the in-process emulator")

    def target_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stream", action="store_true", help="print tokens as they arrive")
        p.add_argument(
            "--emulator",
            action="store_true",
            help="talk to an in-process emulator instead of Hugging Face",
        )
        p.add_argument("--router-url", help="router base URL (default: the real router)")
        p.add_argument("--hub-url", help="Hub base URL")
        p.add_argument("--max-tokens", type=int, default=256)

    chat = sub.add_parser("chat", help="ask a chat model through the router")
    chat.add_argument("question")
    chat.add_argument("--model", default=DEFAULT_CHAT_MODEL)
    chat.add_argument("--provider", help="pin a provider (groq, together, fastest, ...)")
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--system", help="a system prompt")
    target_options(chat)

    gen = sub.add_parser("generate", help="text generation with a TGI model (hf-inference)")
    gen.add_argument("prompt")
    gen.add_argument("--model", default=DEFAULT_TGI_MODEL)
    target_options(gen)

    emu = sub.add_parser("emulator", help="serve the loopback emulator until Ctrl+C")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8765)
    emu.add_argument("--token", default="hf_emulator_token")
    emu.add_argument("--reply-tokens", type=int, default=24)
    emu.add_argument(
        "--events-per-write",
        type=int,
        default=1,
        help="SSE events per write (1: token by token; more: a fast or buffering server)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return asyncio.run(demo())
        if args.command == "chat":
            return asyncio.run(_chat(args))
        if args.command == "generate":
            return asyncio.run(_generate(args))
        return _serve(args)
    except KeyboardInterrupt:
        _print("interrupted", out=sys.stderr)
        return 130
