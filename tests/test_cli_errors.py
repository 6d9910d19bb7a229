"""The CLI's failures: one exit code per error kind, one line on stderr or one JSON document,
never a traceback, never the token; bad arguments, missing files, non-UTF-8 argv, a port out of
range and a closed pipe included."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import ROOT, EmulatorThread, Ran, bare_env, cli, run_cli

import hf_pure as hf
from hf_pure.cli import _exit
from hf_pure.cli._out import Fail, Output
from hf_pure.testing import Fault

SECRET = "hf_SECRETsecretSECRET0123456789"


@pytest.fixture(scope="module")
def shared() -> Iterator[EmulatorThread]:
    emu = EmulatorThread()
    try:
        yield emu
    finally:
        emu.close()


@pytest.fixture
def served(shared: EmulatorThread, monkeypatch: pytest.MonkeyPatch) -> EmulatorThread:
    monkeypatch.delenv("HUGGINGFACE_API_KEY", raising=False)
    monkeypatch.setenv("HF_TOKEN", shared.token)
    shared.clear()
    return shared


def assert_one_line_error(ran: Ran) -> None:
    assert "Traceback" not in ran.out + ran.err
    lines = ran.err.splitlines()
    assert len(lines) == 1, ran.err
    assert lines[0].startswith("error: ")


# --------------------------------------------------------------------------- the table


def test_every_error_kind_has_its_own_exit_code() -> None:
    kinds = typing.get_args(hf.HfError)
    codes = [_exit.EXIT_CODES[k] for k in kinds]  # KeyError: a kind without a code
    own = [code for code, _ in _exit.CLI_KINDS.values()]
    assert len(set(codes)) == len(codes) == len(_exit.EXIT_CODES)
    assert not set(codes) & {0, *own}
    assert all(0 < code < 126 for code in codes)  # shells keep 126+ for their own meanings


def test_docs_list_the_same_exit_codes() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    rows = re.findall(r"^\| (\d+) \| `?([A-Za-z-]+)`? \|", text, re.MULTILINE)
    assert [(int(c), k) for c, k in rows] == [(c, k) for c, k, _ in _exit.exit_code_rows()]


ERRORS: tuple[hf.HfError, ...] = (
    hf.InvalidInput("temperature", "must be in [0, 2]"),
    hf.ConfigError("policy.retry", "must be a RetryPolicy"),
    hf.MissingToken(("HF_TOKEN",)),
    hf.Unauthorized(401, "bad token"),
    hf.NotFound("no such model"),
    hf.RateLimited(2.0, "slow down"),
    hf.ModelLoading(12.0, "loading"),
    hf.Overloaded(503, "busy"),
    hf.ServerError(500, "boom"),
    hf.BadRequest(400, "nope"),
    hf.GenerationFailed("generation", "oops"),
    hf.Timeout("total", 1.0),
    hf.ConnectionFailed("refused"),
    hf.StreamInterrupted("abc", 3, "cut"),
    hf.ErrorEvent("failed", "validation"),
    hf.MalformedResponse(200, "not JSON", "<html>"),
    hf.CircuitOpen(until=10.0, key="m", scope="model", retry_in=5.0),
    hf.RateLimitedLocally(3.0),
    hf.NoHealthyEndpoint(("http://a", "http://b")),
)


def test_the_examples_cover_every_kind() -> None:
    assert {type(e) for e in ERRORS} == set(typing.get_args(hf.HfError))


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_each_kind_reports_as_one_line_or_one_document(error: hf.HfError) -> None:
    import io

    out, err = io.StringIO(), io.StringIO()
    Output(json_mode=False, stdout=out, stderr=err).finish_error(Fail(error))
    assert out.getvalue() == ""
    assert err.getvalue() == f"error: {error}\n"
    out = io.StringIO()
    Output(json_mode=True, stdout=out, stderr=err).finish_error(Fail(error))
    doc = json.loads(out.getvalue())
    assert doc["ok"] is False
    assert doc["error"]["kind"] == type(error).__name__
    assert doc["error"]["exit_code"] == _exit.exit_code(error) == _exit.EXIT_CODES[type(error)]
    assert doc["error"]["message"] == str(error)


# --------------------------------------------------------------------------- end to end

CHAT = ("chat", "hi", "--max-tokens", "4")
STREAM = (*CHAT, "--stream")
WHOLE = (*CHAT, "--no-stream")

CASES = [
    ("Unauthorized", WHOLE, Fault.status(401, {"error": "Invalid credentials"})),
    ("NotFound", WHOLE, Fault.status(404, {"error": "Model not found"})),
    ("RateLimited", WHOLE, Fault.status(429, {"error": "slow"}, headers={"Retry-After": "2"})),
    ("ModelLoading", WHOLE, Fault.status(503, {"error": "loading", "estimated_time": 9.0})),
    ("Overloaded", WHOLE, Fault.status(503, {"error": "busy", "error_type": "overloaded"})),
    ("ServerError", WHOLE, Fault.status(500, {"error": "boom"})),
    ("BadRequest", WHOLE, Fault.status(400, {"error": "bad"})),
    ("GenerationFailed", WHOLE, Fault.status(500, {"error": "x", "error_type": "generation"})),
    ("Timeout", (*WHOLE, "--timeout", "0.2"), Fault.delay(3)),
    ("ConnectionFailed", WHOLE, Fault.drop()),
    ("StreamInterrupted", STREAM, Fault.cut(after=2)),
    ("ErrorEvent", STREAM, Fault.stream_error(after=1)),
    ("MalformedResponse", WHOLE, Fault.malformed()),
]


@pytest.mark.parametrize(("kind", "argv", "fault"), CASES, ids=[c[0] for c in CASES])
def test_each_server_failure_exits_with_its_kinds_code(
    served: EmulatorThread, kind: str, argv: tuple[str, ...], fault: Fault
) -> None:
    code = next(c for cls, c in _exit.EXIT_CODES.items() if cls.__name__ == kind)
    served.script("chat", fault)
    ran = cli(*argv, *served.target())
    assert ran.code == code, ran.err
    assert_one_line_error(ran)
    served.script("chat", fault)
    ran = cli(*argv, *served.target(), "--json")
    doc = ran.document()
    assert ran.code == code
    assert ran.err == ""
    assert (doc["ok"], doc["error"]["kind"], doc["error"]["exit_code"]) == (False, kind, code)


def test_a_cut_stream_keeps_what_arrived(served: EmulatorThread) -> None:
    served.script("chat", Fault.cut(after=3))
    ran = cli(*STREAM, *served.target())
    assert ran.code == 16
    served.script("chat", Fault.cut(after=3))
    doc = cli(*STREAM, *served.target(), "--json").document()
    assert doc["text"] == doc["error"]["received"] != ""
    assert ran.out == doc["text"] + "\n"  # printed as it arrived, then the error


def test_invalid_input_is_refused_before_sending(served: EmulatorThread) -> None:
    served.do(served.emu.requests.clear)
    ran = cli("chat", "hi", "--temperature", "5", *served.target(), "--json")
    assert ran.code == 3
    assert ran.document()["error"]["field"] == "temperature"
    assert served.emu.requests == []


def test_a_bad_base_url(served: EmulatorThread) -> None:
    ran = cli("chat", "hi", "--router-url", "router.huggingface.co")
    assert ran.code == 3
    assert_one_line_error(ran)
    assert "needs a scheme" in ran.err


def test_missing_token_says_where_it_looked_and_how_to_go_on(tmp_path: Path) -> None:
    done = run_cli("chat", "hi", env=bare_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 5
    err = done.stderr.decode()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "HF_TOKEN" in err and "--emulator" in err
    done = run_cli("classify", "hi", "--json", env=bare_env(tmp_path), cwd=tmp_path)
    assert json.loads(done.stdout)["error"]["kind"] == "MissingToken"
    # the Hub's public listings need no token
    dead = ("--router-url", "http://127.0.0.1:9", "--hub-url", "http://127.0.0.1:9")
    offline = run_cli("models", "search", *dead, env=bare_env(tmp_path), cwd=tmp_path)
    assert offline.returncode == 15  # it tried (ConnectionFailed), instead of MissingToken


def test_files_that_cant_be_read(tmp_path: Path) -> None:
    for argv in (
        ("classify-image", str(tmp_path / "missing.png")),
        ("transcribe", str(tmp_path)),
        ("search", "q", str(tmp_path / "missing.txt")),
        ("embed", "--file", str(tmp_path / "missing.txt")),
        ("chat", "hi", "--token-file", str(tmp_path / "missing")),
    ):
        ran = cli(*argv, "--emulator")
        assert ran.code == 3, argv
        assert_one_line_error(ran)
        doc = cli(*argv, "--emulator", "--json").document()
        assert doc["error"]["kind"] == "InvalidInput"
    (tmp_path / "bad.txt").write_bytes(b"fine\n\xff\xfe\n")
    ran = cli("embed", "--file", str(tmp_path / "bad.txt"), "--emulator")
    assert ran.code == 3 and "not valid UTF-8" in ran.err


def test_non_utf8_stdin() -> None:
    ran = cli("classify", "--emulator", stdin=b"caf\xe9\n")
    assert ran.code == 3
    assert "byte 0xe9" in ran.err


def test_usage_errors_exit_2_in_one_line_or_one_document() -> None:
    for argv in (
        ("chat", "hi", "--max-tokens", "0"),
        ("nonsense",),
        ("models",),
        ("speak", "hi", "--emulator"),  # -o is required
        ("emulator", "--port", "70000"),
        ("emulator", "--port", "-1"),
        ("emulator", "--port", "http"),
        ("chat", "--timeout", "nan"),
    ):
        ran = cli(*argv)
        assert ran.code == 2, argv
        assert_one_line_error(ran)
        doc = cli(*argv, "--json").document()
        assert doc["error"]["kind"] == "UsageError"
    ran = cli("emulator", "--port", "70000")
    assert "must be a port number in 0..65535, got 70000" in ran.err
    assert cli("classify", "--emulator").code == 2  # no text, and stdin is empty


def test_a_bug_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from hf_pure.cli import _nlp

    def broken(*_: object) -> None:
        raise ZeroDivisionError("the bug")

    monkeypatch.setattr(_nlp, "classify", broken)
    ran = cli("classify", "x", "--emulator")
    assert ran.code == 1
    assert_one_line_error(ran)
    assert "internal error" in ran.err and "ZeroDivisionError: the bug" in ran.err
    assert cli("classify", "x", "--json").document()["error"]["kind"] == "InternalError"


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    from hf_pure.cli import _nlp

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_nlp, "classify", interrupted)
    ran = cli("classify", "x", "--emulator")
    assert ran.code == 130
    assert ran.err == "interrupted\n"


# --------------------------------------------------------------------------- the token


@pytest.fixture
def echoing(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorThread]:
    """An emulator whose token is SECRET, with that token in the environment."""
    emu = EmulatorThread(token=SECRET)
    monkeypatch.delenv("HUGGINGFACE_API_KEY", raising=False)
    monkeypatch.setenv("HF_TOKEN", SECRET)
    try:
        yield emu
    finally:
        emu.close()


def _chat_reply(text: str) -> dict[str, object]:
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
    }


ECHOES = [
    ("401", WHOLE, Fault.status(401, {"error": f"bad token {SECRET}"}, {"X-Echo": SECRET})),
    ("answer", WHOLE, Fault.status(200, _chat_reply(f"your token is {SECRET}"))),
    ("event", STREAM, Fault.stream_error(after=1, error={"error": f"no {SECRET}"})),
]


@pytest.mark.parametrize(("argv", "fault"), [c[1:] for c in ECHOES], ids=[c[0] for c in ECHOES])
def test_the_token_is_never_printed_even_when_the_server_echoes_it(
    echoing: EmulatorThread, tmp_path: Path, argv: tuple[str, ...], fault: Fault
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(SECRET + "\n")
    for extra in ((), ("--json",), ("--token-file", str(token_file))):
        echoing.script("chat", fault)
        ran = cli(*argv, *echoing.target(), *extra)
        assert SECRET not in ran.out + ran.err
        assert "********" in ran.out + ran.err  # it was echoed, and masked


def test_the_token_from_a_file_is_the_one_sent(echoing: EmulatorThread, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(f"  {SECRET}\n")
    os.environ.pop("HF_TOKEN")
    ran = cli(*WHOLE, *echoing.target(), "--token-file", str(token_file))
    assert ran.code == 0, ran.err
    wrong = tmp_path / "wrong"
    wrong.write_text("hf_wrong")
    assert cli(*WHOLE, *echoing.target(), "--token-file", str(wrong)).code == 6
    spaced = tmp_path / "spaced"
    spaced.write_text("hf_a b")
    ran = cli(*WHOLE, *echoing.target(), "--token-file", str(spaced))
    assert ran.code == 3 and "hf_a" not in ran.err


def test_emulator_with_a_token_file_accepts_that_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(SECRET)
    ran = cli(*WHOLE, "--emulator", "--token-file", str(token_file), "--json")
    assert ran.code == 0
    assert SECRET not in ran.out + ran.err


# --------------------------------------------------------------------------- subprocesses


def test_non_utf8_arguments_are_clean_errors() -> None:
    done = run_cli("chat", b"caf\xe9", "--emulator")
    assert done.returncode == 2
    assert done.stderr.count(b"\n") == 1 and b"Traceback" not in done.stderr
    assert b"not valid UTF-8 text (byte 0xe9 at position 3)" in done.stderr
    done = run_cli("chat", b"\xff", "--emulator", "--json")
    assert json.loads(done.stdout)["error"]["kind"] == "UsageError"
    # a path may be any bytes: it is looked for, and its name printed escaped
    done = run_cli("classify-image", b"/nonexistent/\xff.png", "--emulator", "--json")
    assert done.returncode == 3
    assert "\\udcff.png" in json.loads(done.stdout.decode("utf-8"))["error"]["message"]
    assert done.stderr == b""


def test_a_closed_pipe_ends_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hf_pure", "chat", "--emulator", "--stream", "hi"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == b""
    assert done.returncode == _exit.EXIT_CLOSED_PIPE


def test_head_closing_the_pipe_is_quiet() -> None:
    script = f"{sys.executable} -m hf_pure chat --emulator --stream hi | head -c 3"
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, cwd=ROOT, timeout=60, check=False
    )
    assert done.returncode == 0
    assert len(done.stdout) == 3
    assert done.stderr == b""
