"""The semantic-search example runs against the emulator as a new user would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import hf_pure as hf
from examples import semantic_search

ROOT = Path(__file__).resolve().parents[1]
PETS = {semantic_search.CORPUS[i] for i in (0, 2, 4)}


def top(out: str) -> list[str]:
    """The documents printed, best first (each line: score, two spaces, the document)."""
    return [line.strip().split("  ", 1)[1] for line in out.splitlines() if line.startswith("  ")]


async def test_the_three_nearest_documents_are_the_pets(
    runner: hf.Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    await semantic_search.main(runner)
    out = capsys.readouterr().out
    assert "failed" not in out
    assert out.splitlines()[0] == semantic_search.QUESTION
    assert set(top(out)) == PETS


async def test_another_question_finds_its_topic(
    runner: hf.Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    await semantic_search.main(runner, "Is a storm coming with rain?")
    assert top(capsys.readouterr().out)[0] == semantic_search.CORPUS[3]


def test_the_script_runs_with_the_emulator_flag() -> None:
    done = subprocess.run(
        [sys.executable, "examples/semantic_search.py", "--emulator"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert set(top(done.stdout)) == PETS
