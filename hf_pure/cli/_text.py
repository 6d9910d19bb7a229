"""``chat`` (one question, or a session with history) and ``generate``.

A session runs while stdin is a terminal and no prompt was given, or with ``-i`` (then it reads
stdin line by line, terminal or not). Each turn is one ``loop.run``: between turns the event
loop is idle and ``input()`` reads with readline's editing and history; Ctrl-C during an answer
cancels that answer only (the session goes on), at the prompt it starts a new line, Ctrl-D or
``/exit`` ends the session. The conversation is the history: every answer is sent back with
the next question. ``/reset`` forgets it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from typing import Any, TypeVar, cast

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf

from ._inputs import decoded, stdin_is_terminal, text_or_stdin
from ._out import Fail, Output, UsageError
from ._target import open_target

T = TypeVar("T")

SESSION_HELP = "/reset forgets the conversation, /exit (or Ctrl-D) ends it"


def _chat_request(args: argparse.Namespace, messages: list[Any]) -> hf.ChatRequest:
    request: hf.ChatRequest = pipe(hf.chat(args.model, messages), hf.max_tokens(args.max_tokens))
    if args.system:
        request = hf.system_prompt(args.system)(request)
    if args.temperature is not None:
        request = hf.temperature(args.temperature)(request)
    if args.top_p is not None:
        request = hf.top_p(args.top_p)(request)
    if args.seed is not None:
        request = hf.seed(args.seed)(request)
    if args.provider:
        request = hf.provider(args.provider)(request)
    return request


async def _answer(
    runner: hf.Runner, out: Output, request: Any, stream: bool
) -> hf.Result[Any, hf.HfError]:
    """Send ``request``, printing the answer (token by token when ``stream``)."""
    if not stream:
        result: hf.Result[Any, hf.HfError] = await runner.run(request)
        if isinstance(result, Success):
            out.line(result.unwrap().text)
        return result
    wrote = False
    async with runner.stream(request) as chunks:
        async for chunk in chunks:
            if chunk.text:
                out.write(chunk.text)
                wrote = True
    if wrote:
        out.line()
    return chunks.result


def _fail_with_partial(error: hf.HfError) -> Fail:
    received = getattr(error, "received", "")
    return Fail(error, text=received) if received else Fail(error)


def _report(out: Output, args: argparse.Namespace, answer: Any) -> None:
    usage = getattr(answer, "usage", None)
    out.result(
        model=args.model,
        text=answer.text,
        finish_reason=getattr(answer, "finish_reason", None),
        usage=usage,
    )


async def _once(args: argparse.Namespace, out: Output, request: Any) -> None:
    async with open_target(args, out) as target:
        result = await _answer(target.runner, out, request, args.stream)
    if isinstance(result, Failure):
        raise _fail_with_partial(result.failure())
    _report(out, args, result.unwrap())


def generate(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    prompt = text_or_stdin(args.prompt, "prompt")
    request = pipe(hf.text_generation(args.model, prompt), hf.max_tokens(args.max_tokens))
    if args.temperature is not None:
        request = hf.temperature(args.temperature)(request)
    if args.seed is not None:
        request = hf.seed(args.seed)(request)
    loop.run(_once(args, out, request))


def chat(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    if args.interactive and args.prompt is not None:
        raise UsageError("hf-pure chat: give a prompt or -i, not both")
    if args.interactive or (args.prompt is None and stdin_is_terminal()):
        Session(args, out, loop).run()
        return
    prompt = text_or_stdin(args.prompt, "prompt")
    loop.run(_once(args, out, _chat_request(args, [hf.user(prompt)])))


# --------------------------------------------------------------------------- the session

_INTERRUPTED = object()


async def _interruptible(work: Coroutine[Any, Any, T]) -> T | object:
    """``work`` as a task that Ctrl-C cancels (answering ``_INTERRUPTED``) without cancelling
    the caller, so the session goes on."""
    loop = asyncio.get_running_loop()
    task = loop.create_task(work)
    installed = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, task.cancel)  # the main thread only
        installed = True
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if task.cancelled() and (current is None or not current.cancelling()):
            return _INTERRUPTED
        raise
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)


class Session:
    """An interactive conversation; see the module docstring."""

    def __init__(self, args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
        self.args = args
        self.out = out
        self.loop = loop
        self.tty = stdin_is_terminal()
        self.history: list[Any] = []
        self.turns: list[dict[str, Any]] = []
        self.last_error: hf.HfError | None = None

    def _read(self) -> str | None:
        """The next line (None at the end of input)."""
        if self.tty:
            while True:
                try:
                    return input("" if self.out.json else "you> ")  # stdout: the document only
                except EOFError:
                    self.out.line()
                    return None
                except KeyboardInterrupt:
                    self.out.line()  # Ctrl-C at the prompt: a fresh prompt, as a shell does
        raw = sys.stdin.buffer.readline() if hasattr(sys.stdin, "buffer") else None
        if raw is None:
            text = sys.stdin.readline()
            return text.rstrip("\r\n") if text else None
        if not raw:
            return None
        try:
            return decoded(raw, "stdin").rstrip("\r\n")
        except Fail as bad:
            self._failed("", bad.error)
            return ""

    def _failed(self, prompt: str, error: hf.HfError) -> None:
        self.last_error = error
        self.turns.append({"prompt": prompt, "error": error})
        if not self.out.json:
            self.out.note(f"error: {error}")

    def run(self) -> None:
        if self.tty:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history for input())
            self.out.note(f"chatting with {self.args.model}; {SESSION_HELP}")
        stack = AsyncExitStack()
        target = self.loop.run(stack.enter_async_context(open_target(self.args, self.out)))
        try:
            self._converse(target.runner)
        finally:
            self.loop.run(stack.aclose())
        self.out.result(model=self.args.model, turns=self.turns)
        if self.last_error is not None:
            raise Fail(self.last_error, reported=True)

    def _converse(self, runner: hf.Runner) -> None:
        while (line := self._read()) is not None:
            command = line.strip()
            if not command:
                continue
            if command in ("/exit", "/quit"):
                return
            if command == "/reset":
                self.history = []
                self.out.note("(the conversation was forgotten)")
                continue
            if command == "/help":
                self.out.note(SESSION_HELP)
                continue
            self._turn(runner, line)

    def _turn(self, runner: hf.Runner, line: str) -> None:
        messages = [*self.history, hf.user(line)]
        request = _chat_request(self.args, messages)
        outcome = self.loop.run(
            _interruptible(_answer(runner, self.out, request, self.args.stream))
        )
        if outcome is _INTERRUPTED:
            self.out.line()
            self.out.note("(interrupted)")
            self.turns.append({"prompt": line, "interrupted": True})
            return
        outcome = cast("hf.Result[Any, hf.HfError]", outcome)
        if isinstance(outcome, Failure):
            self._failed(line, outcome.failure())
            return
        answer = outcome.unwrap()
        self.history = [*messages, answer.message]
        self.turns.append({"prompt": line, "text": answer.text})
        if self.tty:
            self.out.line()
