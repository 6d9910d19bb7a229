"""The examples added for issue 12 run against the emulator as a new user would run them, and
say what they did."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import hf_pure as hf
from examples import cached_embeddings, conversation, media, structured_output, sync_usage

ROOT = Path(__file__).resolve().parents[1]


async def test_conversation_sends_the_whole_history_each_turn(
    runner: hf.Runner, emulator: hf.testing.Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    history = await conversation.main(runner)
    # a system message, then a question and its answer per turn
    assert len(history) == 1 + 2 * len(conversation.QUESTIONS)
    assert isinstance(history[-1], hf.AnswerMessage)
    last = emulator.requests[-1].json()
    assert isinstance(last, dict)
    assert [m["role"] for m in last["messages"]] == ["system"] + ["user", "assistant"] * 2 + [
        "user"
    ]
    assert "[7 messages in the conversation]" in capsys.readouterr().out


async def test_structured_output_reads_the_answer_into_the_class(runner: hf.Runner) -> None:
    city = await structured_output.main(runner)
    assert isinstance(city, structured_output.City)
    assert isinstance(city.population, int)


async def test_media_classifies_transcribes_and_speaks(
    runner: hf.Runner, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hf.sniff(media.tiny_png()) == "image/png"
    assert hf.sniff(media.tiny_wav()) == "audio/wav"
    saved = await media.main(runner, tmp_path)
    assert saved is not None and saved.exists() and saved.suffix in (".flac", ".wav")
    out = capsys.readouterr().out
    assert "image: " in out and "transcript: " in out and "[" not in out.split("speech:")[0]


async def test_cached_embeddings_are_served_from_the_cache(runner: hf.Runner) -> None:
    assert await cached_embeddings.main(runner) == 2


def test_sync_usage_runs_outside_any_loop() -> None:
    with hf.emulated_sync_runner() as (runner, _):
        assert sync_usage.main(runner)


@pytest.mark.parametrize(
    "script",
    [
        "quickstart",
        "streaming",
        "tools",
        "conversation",
        "structured_output",
        "media",
        "cached_embeddings",
        "hub",
        "sync_usage",
    ],
)
def test_each_script_runs_as_written(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{script}.py"), "--emulator"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "failed" not in done.stdout and "Traceback" not in done.stderr


@pytest.fixture
def no_token_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An environment where ``open_runner`` finds no token: no variables, an empty working
    directory (no ``secret/-secrets.sh`` above it) and an empty home (no hub token file)."""
    for name in ("HUGGINGFACE_API_KEY", "HF_TOKEN", "HF_TOKEN_PATH", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_examples_use_the_emulator_without_a_token(no_token_anywhere: Path) -> None:
    assert hf.use_real_service([]) is False
    assert hf.use_real_service(["--emulator"]) is False
    assert hf.use_real_service(["--real"]) is True  # asked for: a 401 then says why


def test_the_examples_use_the_real_service_when_a_token_is_found(
    no_token_anywhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_" + "x" * 34)
    assert hf.use_real_service([]) is True
    assert hf.use_real_service(["some", "words"]) is True
    assert hf.use_real_service(["--emulator"]) is False  # forced
    monkeypatch.setenv("HF_TOKEN", "not a token\n")  # found but broken: reported, not hidden
    assert hf.use_real_service([]) is True


def test_a_token_in_the_workspace_file_counts(no_token_anywhere: Path) -> None:
    (no_token_anywhere / "secret").mkdir()
    (no_token_anywhere / "secret" / "-secrets.sh").write_text(
        'export HF_TOKEN="hf_' + "y" * 34 + '"\n'
    )
    assert hf.use_real_service([]) is True


def test_use_real_service_takes_a_sequence_of_str() -> None:
    with pytest.raises(TypeError, match=r"sys\.argv"):
        hf.use_real_service("--emulator")  # a str is a sequence of str, but not of arguments
    with pytest.raises(TypeError, match="sequence of str"):
        hf.use_real_service([b"--emulator"])  # type: ignore[list-item]
