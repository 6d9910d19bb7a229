"""Command line: ``hf-pure COMMAND`` or ``python -m hf_pure COMMAND`` (docs/cli.md).

``main(argv)`` parses, runs the command on one event loop (``asyncio.Runner``) and answers its
exit code; it never raises and never prints a traceback. Each error kind has its own exit code
(:mod:`hf_pure.cli._exit`), said in one line on stderr, or as the one JSON document on stdout
with ``--json``. A closed stdout (``| head``) ends the command quietly, as Python's docs
recommend for SIGPIPE: stdout is pointed at devnull so the flush at exit can't fail again.
Nothing printed ever contains the token.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence

from ._exit import EXIT_CLOSED_PIPE, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, exit_code
from ._out import Fail, Output, StdoutClosed, UsageError

__all__ = ["main"]

Command = Callable[[argparse.Namespace, Output, asyncio.Runner], None]


def _command(name: str) -> Command:
    """The function of a command (its module imported now: each loads only what it needs)."""
    from . import _demo, _hub, _media, _nlp, _ops, _text

    table: dict[str, Command] = {
        "chat": _text.chat,
        "generate": _text.generate,
        "embed": _nlp.embed,
        "similarity": _nlp.similarity,
        "search": _nlp.search,
        "classify": _nlp.classify,
        "summarize": _nlp.summarize,
        "translate": _nlp.translate,
        "classify-image": _media.classify_image,
        "detect": _media.detect,
        "caption": _media.caption,
        "transcribe": _media.transcribe,
        "speak": _media.speak,
        "models search": _hub.search,
        "models info": _hub.info,
        "models status": _hub.status,
        "models wait": _hub.wait,
        "health": _ops.health,
        "metrics": _ops.metrics,
        "emulator": _ops.emulator,
        "demo": _demo.demo,
    }
    return table[name]


def _quiet_stdout() -> None:
    """After EPIPE: send what is left for stdout to devnull, so the flush at exit is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _run(argv: list[str], out: Output) -> int:
    try:
        args = _parser().parse_args(argv)
        out.set_json(args.json)
        command = _command(args.command)
        with asyncio.Runner() as loop:
            command(args, out, loop)
        out.finish_ok()
        return EXIT_OK
    except Fail as failed:
        out.finish_error(failed)
        return exit_code(failed.error)
    except UsageError as bad:
        out.finish_other("UsageError", str(bad), EXIT_USAGE)
        return EXIT_USAGE
    except KeyboardInterrupt:
        out.finish_other("Interrupted", "interrupted", EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    from ._args import parser

    return parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command (``argv`` without the program name; default ``sys.argv[1:]``) and
    answer its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    out = Output(json_mode="--json" in args)
    try:
        try:
            return _run(args, out)
        except SystemExit as done:  # --help and --version print and exit
            code = done.code
            return code if isinstance(code, int) else EXIT_OK if code is None else EXIT_USAGE
        except (StdoutClosed, BrokenPipeError, KeyboardInterrupt):
            raise
        except Exception as bug:
            out.finish_other(
                "InternalError",
                f"internal error, please report it: {type(bug).__name__}: {bug}",
                EXIT_INTERNAL,
            )
            return EXIT_INTERNAL
    except (StdoutClosed, BrokenPipeError):  # the reader went away: say nothing
        if out.stdout is sys.__stdout__:
            _quiet_stdout()
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt:  # a second Ctrl-C while reporting the first
        return EXIT_INTERRUPTED
