"""The CLI on a terminal and off it: a session at a real pty, progress and tables (rich's, and
plain ones without rich) only on a terminal, nothing extra when piped, rich not even imported."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import ROOT, FakeTerminal, cli

# Run in a session of its own (start_new_session), the child makes the pty on its stdin its
# controlling terminal, so Ctrl-C typed there is a SIGINT to it, then becomes the CLI.
_OWN_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, '-m', 'hf_pure', *sys.argv[1:]])"
)


def on_terminal(
    argv: list[str], feed: tuple[bytes, ...] = (), prompt: bytes = b"you> "
) -> tuple[int, bytes, bytes]:
    """Run the CLI with stdin, stdout and stderr each on a pty of its own, typing each of
    ``feed`` once the next ``prompt`` shows; answer the exit code and what the two outputs
    showed."""
    pairs = [pty.openpty() for _ in range(3)]
    (in_m, in_s), (out_m, out_s), (err_m, err_s) = pairs
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _OWN_TERMINAL, *argv],
        stdin=in_s,
        stdout=out_s,
        stderr=err_s,
        cwd=ROOT,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    for fd in (in_s, out_s, err_s):
        os.close(fd)
    typed = 0
    seen = {out_m: b"", err_m: b"", in_m: b""}  # in_m: the terminal's echo, drained
    live = {out_m, err_m, in_m}
    deadline = time.monotonic() + 30
    try:
        while live and time.monotonic() < deadline:
            ready, _, _ = select.select(list(live), [], [], 0.2)
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: the child closed its end
                    data = b""
                if data:
                    seen[fd] += data
                else:
                    live.discard(fd)
            if typed < len(feed) and seen[out_m].count(prompt) > typed:
                time.sleep(0.2)  # as a person would: readline misses a Ctrl-C in its first µs
                os.write(in_m, feed[typed])
                typed += 1
            if not ready and proc.poll() is not None:
                break
            if live == {in_m}:  # the child closed its outputs
                break
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for fd in (in_m, out_m, err_m):
            os.close(fd)
    return code, seen[out_m], seen[err_m]


@pytest.fixture
def many_lines(tmp_path: Path) -> Path:
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"line number {i}\n" for i in range(40)))
    return path


def test_a_session_at_a_terminal() -> None:
    code, out, err = on_terminal(
        ["chat", "--emulator", "--max-tokens", "3"], (b"hello\n", b"and again\n", b"/exit\n")
    )
    assert code == 0, err
    assert out.count(b"you> ") == 3  # a prompt per line read
    answers = [line for line in out.split(b"\r\n") if line and not line.startswith(b"you> ")]
    assert len(answers) == 2
    assert all(len(a.split()) == 3 for a in answers)
    assert b"/exit (or Ctrl-D) ends it" in err


def test_ctrl_d_ends_a_session() -> None:
    code, out, _ = on_terminal(["chat", "--emulator", "--max-tokens", "2"], (b"hi\n", b"\x04"))
    assert code == 0
    assert out.count(b"you> ") == 2


def test_progress_on_a_terminal(many_lines: Path) -> None:
    argv = ["embed", "--file", str(many_lines), "--batch-size", "4", "--emulator"]
    code, out, err = on_terminal(argv)
    assert code == 0, err
    assert out.count(b"\n") == 40  # the vectors, on stdout
    assert b"embedding" in err and b"40/40" in err  # rich's bar, on stderr


def test_a_table_on_a_terminal() -> None:
    code, out, _ = on_terminal(["models", "search", "llama", "--emulator", "--limit", "2"])
    assert code == 0
    assert "┃".encode() in out  # rich's table
    assert b"model" in out and b"downloads" in out
    assert b"meta-llama/Llama-3.1-8B-Instruct" in out and "…".encode() not in out


def test_nothing_but_the_output_when_piped(many_lines: Path) -> None:
    check = (
        "import sys; from hf_pure.cli import main; "
        f"code = main(['embed', '--file', {str(many_lines)!r}, '--batch-size', '4', "
        "'--emulator']); "
        "sys.stderr.write('rich imported: %s' % ('rich' in sys.modules)); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, cwd=ROOT, timeout=60, check=False
    )
    assert done.returncode == 0
    assert done.stdout.count(b"\n") == 40
    assert done.stderr == b"rich imported: False"


def test_plain_progress_and_tables_without_rich(
    many_lines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "rich" or m.startswith("rich.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "rich", None)  # import rich: ImportError
    ran = cli(
        "embed", "--file", str(many_lines), "--batch-size", "8", "--emulator",
        stdout=FakeTerminal(), stderr=FakeTerminal(),
    )  # fmt: skip
    assert ran.code == 0
    assert "\rembedding: 0/40" in ran.err and "\rembedding: 40/40" in ran.err
    # the table, plain, with its header, on a "terminal"
    ran = cli(
        "models", "search", "llama", "--emulator", "--limit", "2",
        stdout=FakeTerminal(), stderr=FakeTerminal(),
    )  # fmt: skip
    lines = ran.out.splitlines()
    assert lines[0].split() == ["model", "task", "downloads", "likes", "providers"]
    assert lines[1].startswith("meta-llama/Llama-3.1-8B-Instruct  ")


def test_no_progress_when_only_stderr_is_a_terminal(many_lines: Path) -> None:
    ran = cli("embed", "--file", str(many_lines), "--emulator", stderr=FakeTerminal())
    assert ran.code == 0
    assert ran.err == ""


def test_no_progress_with_json_on_a_terminal(many_lines: Path) -> None:
    ran = cli(
        "embed", "--file", str(many_lines), "--emulator", "--json",
        stdout=FakeTerminal(), stderr=FakeTerminal(),
    )  # fmt: skip
    assert ran.err == ""
    assert len(ran.document()["vectors"]) == 40


def test_ctrl_c_at_the_prompt_gives_a_fresh_prompt() -> None:
    code, out, _ = on_terminal(["chat", "--emulator"], (b"\x03", b"/exit\n"))
    assert code == 0
    assert out.count(b"you> ") == 2


def test_ctrl_c_during_an_answer_cancels_only_that_answer() -> None:
    import asyncio
    import signal

    from hf_pure.cli._text import _INTERRUPTED, _interruptible

    async def slow() -> str:
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
        await asyncio.sleep(30)
        return "never"

    async def quick() -> str:
        return "answered"

    with asyncio.Runner() as loop:
        started = time.monotonic()
        assert loop.run(_interruptible(slow())) is _INTERRUPTED
        assert time.monotonic() - started < 5
        assert loop.run(_interruptible(quick())) == "answered"  # the session goes on
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_emulator_command_serves_until_sigterm(tmp_path: Path) -> None:
    import json
    import signal

    token = tmp_path / "token"
    token.write_text("hf_local_secret_token")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hf_pure", "emulator", "--port", "0", "--json",
         "--token-file", str(token)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        doc = json.loads(proc.stdout.readline())
        assert doc["ok"] is True and doc["url"].startswith("http://127.0.0.1:")
        asked = cli(
            "chat", "hi", "--router-url", doc["url"], "--token-file", str(token),
            "--max-tokens", "2",
        )  # fmt: skip
        assert asked.code == 0, asked.err
        assert len(asked.out.split()) == 2
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert out == b"" and err == b""  # the one document was all
    assert b"hf_local_secret_token" not in out + err


def test_the_emulator_command_says_when_it_cannot_listen() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = cli("emulator", "--port", str(port))
        assert ran.code == 15  # ConnectionFailed
        assert ran.err.startswith(f"error: connection failed: cannot listen on 127.0.0.1:{port}")
        assert len(ran.err.splitlines()) == 1


def test_a_session_at_a_terminal_with_json_prints_only_the_document() -> None:
    import json

    code, out, _ = on_terminal(
        ["chat", "--emulator", "--max-tokens", "2", "--json"], (b"hi\n", b"/exit\n"), prompt=b""
    )
    assert code == 0
    printed = [line for line in out.split(b"\r\n") if line.startswith(b"{")]
    assert len(printed) == 1
    assert [t["prompt"] for t in json.loads(printed[0])["turns"]] == ["hi"]
    assert b"you> " not in out
