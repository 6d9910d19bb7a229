"""Helpers for the CLI tests: ``main(argv)`` in-process with captured stdio, the CLI as a
subprocess, and one emulator on a thread of its own that in-process runs can share (its faults
scripted from the test), since ``main`` runs its own event loop."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from hf_pure.cli import main
from hf_pure.testing import Emulator, Fault

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


@attrs.frozen
class Ran:
    """What a run of the CLI did."""

    code: int
    out: str
    err: str

    def document(self) -> Any:
        """stdout as exactly one JSON document (fails the test otherwise)."""
        lines = [line for line in self.out.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one JSON document on stdout, got {self.out!r}"
        return json.loads(lines[0])


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def cli(
    *argv: str,
    stdin: bytes = b"",
    stdout: io.StringIO | None = None,
    stderr: io.StringIO | None = None,
) -> Ran:
    """``main(argv)`` in this process, stdin fed from ``stdin``, stdout and stderr captured."""
    out = stdout if stdout is not None else io.StringIO()
    err = stderr if stderr is not None else io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(argv))
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return Ran(code=code, out=out.getvalue(), err=err.getvalue())


def run_cli(
    *args: str | bytes,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    stdin: bytes = b"",
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """``python -m hf_pure ARGS`` as a subprocess (bytes in, bytes out)."""
    return subprocess.run(
        [sys.executable, "-m", "hf_pure", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        check=False,
    )


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with no token anywhere: an empty home, no HF variables."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(ROOT), **extra}


class EmulatorThread:
    """An emulator serving from a thread of its own, so in-process ``main`` calls (each with
    its own loop) can reach it while the test scripts its faults."""

    def __init__(self, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.emu: Emulator = self.call(Emulator(**options).start())

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=30)

    def do(self, fn: Callable[..., T], *args: Any) -> T:
        async def run() -> T:
            return fn(*args)

        return self.call(run())

    def script(self, route: str, *faults: Fault) -> None:
        self.do(self.emu.script, route, *faults)

    def clear(self) -> None:
        self.do(self.emu.clear)

    @property
    def url(self) -> str:
        return self.emu.url

    @property
    def token(self) -> str:
        return self.emu.token

    def target(self) -> tuple[str, ...]:
        """The options pointing a command at this emulator."""
        return ("--router-url", self.url, "--hub-url", self.url)

    def close(self) -> None:
        self.call(self.emu.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def read_all(fd: int) -> bytes:
    """Everything readable from a pty master until the other side closes."""
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def words(text: str) -> Sequence[str]:
    return text.split()
