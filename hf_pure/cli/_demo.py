"""``demo``: a short tour of hf_pure against the in-process emulator."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import TYPE_CHECKING

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf

from ._out import Output

if TYPE_CHECKING:
    from hf_pure.testing import Emulator

DEFAULT_CHAT_MODEL = hf.Models.LLAMA_3_1_8B_INSTRUCT


class Say:
    """The demo's narration: printed as it goes, and kept as lines for --json."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.lines: list[str] = []
        self._partial = ""

    def __call__(self, text: str = "", *, end: str = "\n") -> None:
        self.out.write(text + end)
        self._partial += text + end
        *done, self._partial = self._partial.split("\n")
        self.lines.extend(done)

    async def pause(self) -> None:
        if self.out.terminal:
            await asyncio.sleep(0.02)


def demo(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    say = Say(out)
    ok = loop.run(_tour(say))
    out.result(lines=say.lines, complete=ok)
    if not ok:
        raise RuntimeError("the demo went wrong")


async def _tour(say: Say) -> bool:
    """The tour; False when a step went wrong."""
    from hf_pure.testing import Fault

    async with hf.emulated_runner() as (runner, emu):
        say(f"hf_pure {hf.__version__} demo — against the loopback emulator at {emu.url}\n")
        request = pipe(
            hf.chat(DEFAULT_CHAT_MODEL, [hf.system("Be brief."), hf.user("What is SSE?")]),
            hf.temperature(0.2),
            hf.max_tokens(12),
        )
        say("1. A request is a value, built with pipe:")
        say(
            f"   {request.model}, temperature={request.temperature}, "
            f"max_tokens={request.max_tokens}, {len(request.messages)} messages"
        )
        match await runner.run(request):
            case Success(answer):
                usage = answer.usage or hf.Usage()
                say(
                    f"   answer ({answer.finish_reason}, {usage.total_tokens} tokens): "
                    f"{answer.text}"
                )
            case Failure(error):
                say(f"   unexpected failure: {error}")
                return False

        say("\n2. The same request, streamed token by token:")
        say("   ", end="")
        stream = runner.stream(hf.max_tokens(20)(request))
        async for chunk in stream:
            say(chunk.text, end="")
            await say.pause()  # only so a human can watch it arrive
        say()
        say(f"   stream complete: {isinstance(stream.result, Success)}")

        say("\n3. Failures are values, never exceptions:")
        bad = hf.temperature(3.0)(request)
        match await runner.run(bad):
            case Failure(hf.InvalidInput(field=field, reason=reason)):
                say(f"   refused before sending — {field}: {reason}")
        emu.script(
            "chat",
            Fault.status(503, {"error": "Model is currently loading", "estimated_time": 12.0}),
        )
        match await runner.run(request):
            case Failure(hf.ModelLoading(estimated_time=eta) as error):
                say(
                    f"   server said: {error.message} (retryable: "
                    f"{hf.is_retryable(error)}, eta {eta} s)"
                )
        emu.script("chat", Fault.cut(after=6))
        cut = runner.stream(request)
        async for _ in cut:
            pass
        match cut.result:
            case Failure(hf.StreamInterrupted(received=text, chunks=n)):
                say(f"   a cut stream keeps what arrived: {n} chunks, {text!r}")
        match await runner.run(hf.chat("no-such/model", ["hi"])):
            case Failure(hf.NotFound() as error):
                say(f"   {error.message}")

        say("\n4. Tools: the model asks for a call, as a typed value:")
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
                say(f"   {call.name}({call.arguments})")

        await _demo_reliability(say, runner, emu, request)
    say("\nDone. The whole test suite: scripts/test")
    return True


async def _demo_reliability(
    say: Say, runner: hf.Runner, emu: Emulator, request: hf.ChatRequest
) -> None:
    """Part 5 of the demo: the reliability layer, opted in around the same runner."""
    from hf_pure.testing import Fault

    say("\n5. Reliability, opted in: pure state machines around the same runner:")
    policy = hf.Policy(retry=hf.RetryPolicy(max_attempts=3, base=0.05, cap=0.2))
    reliable = hf.ReliableRunner(runner, policy)
    emu.script("chat", Fault.status(429, headers={"Retry-After": "1"}))
    started = time.monotonic()
    match await reliable.run(request):
        case Success(_):
            waited = time.monotonic() - started
            say(f"   a 429 with Retry-After: 1 was waited out ({waited:.1f} s), then answered")
    emu.always("chat", Fault.status(500, {"error": "upstream down"}))
    for _ in range(2):  # 3 attempts each: 6 failures, past the breaker's threshold of 5
        await reliable.run(request)
    before = len(emu.requests)
    match await reliable.run(request):
        case Failure(hf.CircuitOpen(retry_in=float(retry_in), key=key)):
            sent = len(emu.requests) - before
            say(
                f"   after repeated 500s the circuit for {key} is open: refused locally "
                f"({sent} requests sent), a trial goes through in {retry_in:.0f} s"
            )
    emu.clear()
    state = reliable.snapshot()
    p50, _, p99 = hf.quantiles(state.metrics)
    say(
        f"   the state is a value: {sum(state.metrics.requests.values())} attempts recorded, "
        f"p50 {(p50 or 0) * 1000:.1f} ms, p99 {(p99 or 0) * 1000:.1f} ms, breaker "
        f"{state.breaker(request.model).mode.value}"
    )
