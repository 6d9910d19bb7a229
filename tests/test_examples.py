"""The examples and the CLI run against the emulator exactly as a new user would run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import hf_pure as hf
from examples import quickstart, streaming, tools

ROOT = Path(__file__).resolve().parents[1]


async def test_quickstart(runner: hf.Runner, capsys: pytest.CaptureFixture[str]) -> None:
    await quickstart.main(runner)
    out = capsys.readouterr().out
    assert "tokens, finish:" in out
    assert "failed" not in out


async def test_streaming(runner: hf.Runner, capsys: pytest.CaptureFixture[str]) -> None:
    await streaming.main(runner)
    assert "[complete: " in capsys.readouterr().out


async def test_tools(runner: hf.Runner, capsys: pytest.CaptureFixture[str]) -> None:
    await tools.main(runner)
    out = capsys.readouterr().out
    assert "model asked for get_weather" in out
    assert "The tool returned: 18 C" in out


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hf_pure", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
        check=False,
    )


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with no token anywhere: an empty home, no HF variables."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(ROOT), **extra}


def test_demo_runs_clean() -> None:
    done = run_cli("demo")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for expected in (
        "1. A request is a value",
        "stream complete: True",
        "refused before sending",
        "model is loading",
        "a cut stream keeps",
        "not found (HTTP 404)",
        "get_weather(",
        "was waited out",
        "is open: refused locally (0 requests sent), a trial goes through in 60 s",
        "breaker open",
    ):
        assert expected in done.stdout


def test_cli_chat_against_the_emulator() -> None:
    done = run_cli("chat", "hello there", "--emulator", "--max-tokens", "5", "--stream")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) == 5


def test_cli_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    done = run_cli("chat", "hi", env=bare_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "HF_TOKEN" in done.stderr
    assert "--emulator" in done.stderr


def test_cli_bad_base_url_is_a_clean_error() -> None:
    done = run_cli("chat", "hi", "--router-url", "router.huggingface.co")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "needs a scheme" in done.stderr


def test_cli_never_prints_the_token(tmp_path: Path) -> None:
    token = "hf_SECRETSECRETSECRET123"
    done = run_cli(
        "chat",
        "hi",
        "--router-url",
        "http://127.0.0.1:9",
        env=bare_env(tmp_path, HF_TOKEN=token),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "connection failed" in done.stderr
    assert token not in done.stdout + done.stderr


def test_reliability_doc_is_generated_from_the_code() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/reliability_doc.py", "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout
