"""The examples run against the emulator exactly as a new user would run them (the CLI's
tests are tests/test_cli*.py)."""

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
