"""Every CLI command against the emulator, run in-process through ``main(argv)``: what it
prints, what its ``--json`` document holds, and its exit code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import EmulatorThread, cli
from media_samples import png, wav

from hf_pure.cli._args import TASK_MODELS
from hf_pure.testing import DEFAULT_MODELS as CATALOGUE

E = "--emulator"


@pytest.fixture(scope="module")
def shared() -> Iterator[EmulatorThread]:
    """One emulator for the tests that look at what it received."""
    emu = EmulatorThread()
    try:
        yield emu
    finally:
        emu.close()


@pytest.fixture
def served(shared: EmulatorThread, monkeypatch: pytest.MonkeyPatch) -> EmulatorThread:
    """The shared emulator, its log cleared, its token in the environment."""
    monkeypatch.delenv("HUGGINGFACE_API_KEY", raising=False)
    monkeypatch.setenv("HF_TOKEN", shared.token)
    shared.clear()
    shared.do(shared.emu.requests.clear)
    return shared


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    lines = tmp_path / "lines.txt"
    lines.write_text("a cat sits on the mat\n\nthe dog runs\nstock markets fell\ncats purr\n")
    image = tmp_path / "cat.png"
    image.write_bytes(png(8, 8))
    audio = tmp_path / "hello.wav"
    audio.write_bytes(wav())
    return {"lines": lines, "image": image, "audio": audio}


def sent_json(emu: EmulatorThread, path_part: str) -> list[Any]:
    return [r.json() for r in emu.emu.requests if path_part in r.path]


def test_every_default_model_is_in_the_emulator_catalogue() -> None:
    known = {card.id for card in CATALOGUE}
    assert set(TASK_MODELS.values()) <= known


# --------------------------------------------------------------------------- chat, generate


def test_chat_streams_by_default_and_prints_what_run_prints() -> None:
    streamed = cli("chat", "hello there", E, "--max-tokens", "5")
    whole = cli("chat", "hello there", E, "--max-tokens", "5", "--no-stream")
    assert streamed.code == whole.code == 0, streamed.err + whole.err
    assert len(streamed.out.split()) == 5
    assert streamed.out == whole.out
    assert streamed.err == ""


def test_chat_json_is_one_document() -> None:
    ran = cli("chat", "hi", E, "--max-tokens", "3", "--json")
    doc = ran.document()
    assert ran.code == 0
    assert doc["ok"] is True
    assert doc["model"] == TASK_MODELS["chat"]
    assert len(doc["text"].split()) == 3
    assert doc["finish_reason"] == "length"
    assert doc["usage"]["completion_tokens"] == 3


def test_chat_options_reach_the_wire(served: EmulatorThread) -> None:
    ran = cli(
        "chat", "hi", *served.target(), "--system", "Be brief.", "--temperature", "0.5",
        "--seed", "7", "--top-p", "0.9", "--max-tokens", "4", "--no-stream",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    (body,) = sent_json(served, "chat/completions")
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]
    assert (body["temperature"], body["seed"], body["top_p"], body["max_tokens"]) == (
        0.5, 7, 0.9, 4,
    )  # fmt: skip
    assert "stream" not in body or body["stream"] is False


def test_chat_reads_a_piped_prompt_whole(served: EmulatorThread) -> None:
    ran = cli("chat", *served.target(), "--max-tokens", "3", stdin=b"first line\nsecond line\n")
    assert ran.code == 0, ran.err
    (body,) = sent_json(served, "chat/completions")
    assert body["messages"] == [{"role": "user", "content": "first line\nsecond line"}]


def test_a_session_sends_the_history_and_reset_forgets_it(served: EmulatorThread) -> None:
    ran = cli(
        "chat", "-i", *served.target(), "--max-tokens", "3",
        stdin=b"hello\n\nsecond question\n/reset\nthird\n/exit\nnever sent\n",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    answers = ran.out.splitlines()
    assert len(answers) == 3
    assert all(len(a.split()) == 3 for a in answers)
    first, second, third = (b["messages"] for b in sent_json(served, "chat/completions"))
    assert first == [{"role": "user", "content": "hello"}]
    assert second == [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": answers[0]},
        {"role": "user", "content": "second question"},
    ]
    assert third == [{"role": "user", "content": "third"}]
    assert "forgotten" in ran.err


def test_a_session_goes_on_after_a_failed_turn_and_exits_with_its_code(
    served: EmulatorThread,
) -> None:
    from hf_pure.testing import Fault

    served.script("chat", Fault.status(429, {"error": "slow down"}))
    ran = cli("chat", "-i", *served.target(), "--max-tokens", "2", stdin=b"one\ntwo\n")
    assert ran.code == 8  # RateLimited: the last failure
    assert len(ran.out.split()) == 2  # the second turn was answered
    assert ran.err.count("error:") == 1
    assert "rate limited" in ran.err
    (second,) = sent_json(served, "chat/completions")[1:]
    assert second["messages"] == [{"role": "user", "content": "two"}]  # no failed turn kept


def test_a_session_with_json_is_one_document_of_its_turns() -> None:
    ran = cli("chat", "-i", E, "--max-tokens", "2", "--json", stdin=b"one\ntwo\n")
    doc = ran.document()
    assert ran.code == 0 and doc["ok"] is True
    assert [t["prompt"] for t in doc["turns"]] == ["one", "two"]
    assert all(len(t["text"].split()) == 2 for t in doc["turns"])


def test_generate(served: EmulatorThread) -> None:
    ran = cli("generate", "Once upon", *served.target(), "--max-tokens", "6", "--seed", "3")
    assert ran.code == 0, ran.err
    assert len(ran.out.split()) == 6
    (body,) = sent_json(served, "/models/gpt2")
    assert body["inputs"] == "Once upon"
    assert body["parameters"]["max_new_tokens"] == 6
    streamed = cli(
        "generate", "Once upon", *served.target(), "--max-tokens", "6", "--seed", "3", "--stream"
    )
    assert streamed.out.split() == ran.out.split()


# --------------------------------------------------------------------------- text tasks


def test_embed_prints_one_vector_per_text() -> None:
    ran = cli("embed", "a cat", "a dog", E)
    assert ran.code == 0, ran.err
    vectors = [json.loads(line) for line in ran.out.splitlines()]
    assert len(vectors) == 2
    assert all(len(v) == 384 for v in vectors)
    assert vectors[0] != vectors[1]


def test_embed_in_batches_gives_the_same_vectors(files: dict[str, Path]) -> None:
    whole = cli("embed", "--file", str(files["lines"]), E, "--json").document()
    parts = cli(
        "embed", "--file", str(files["lines"]), E, "--json", "--batch-size", "1",
        "--concurrency", "3",
    ).document()  # fmt: skip
    piped = cli("embed", E, "--json", stdin=files["lines"].read_bytes()).document()
    assert whole["dimensions"] == 384
    assert len(whole["vectors"]) == 4  # the blank line is skipped
    assert whole["vectors"] == parts["vectors"] == piped["vectors"]


def test_similarity_scores_in_input_order(served: EmulatorThread) -> None:
    ran = cli("similarity", "a cat", "a dog", "a car", *served.target())
    assert ran.code == 0, ran.err
    rows = [line.split("\t") for line in ran.out.splitlines()]
    assert [r[1] for r in rows] == ["a dog", "a car"]
    doc = cli("similarity", "a cat", "a dog", "a car", *served.target(), "--json").document()
    assert [s["score"] for s in doc["scores"]] == pytest.approx([float(r[0]) for r in rows], 1e-3)
    (body, _) = sent_json(served, "sentence-similarity")
    assert body["inputs"] == {"source_sentence": "a cat", "sentences": ["a dog", "a car"]}


def test_search_ranks_lines_best_first(files: dict[str, Path]) -> None:
    ran = cli("search", "cat", str(files["lines"]), "-k", "2", E)
    assert ran.code == 0, ran.err
    rows = [line.split("\t") for line in ran.out.splitlines()]
    assert len(rows) == 2
    assert float(rows[0][0]) >= float(rows[1][0])
    doc = cli("search", "cat", str(files["lines"]), "-k", "50", E, "--json").document()
    assert len(doc["hits"]) == 4  # k is cut to the corpus
    assert [h["text"] for h in doc["hits"][:2]] == [r[1] for r in rows]
    scores = [h["score"] for h in doc["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_classify_summarize_translate(served: EmulatorThread) -> None:
    ran = cli("classify", "I love it", *served.target(), "--json")
    doc = ran.document()
    assert doc["label"] == doc["labels"][0]["label"] == "POSITIVE"
    plain = cli("classify", *served.target(), stdin=b"I love it\n")
    assert plain.out.splitlines()[0].split("\t")[0] == "POSITIVE"
    summary = cli("summarize", "One. Two. Three.", *served.target(), "--max-length", "9")
    assert summary.code == 0 and summary.out.strip()
    assert sent_json(served, "bart-large-cnn")[0]["parameters"]["max_length"] == 9
    french = cli("translate", "hello world", *served.target())
    assert french.out == "[fr] hello world\n"


# --------------------------------------------------------------------------- media


def test_image_commands(files: dict[str, Path]) -> None:
    image = str(files["image"])
    labels = cli("classify-image", image, E, "--top-k", "2")
    assert labels.code == 0, labels.err
    assert len(labels.out.splitlines()) == 2
    found = cli("detect", image, E, "--json").document()
    assert found["objects"] and {"label", "score", "box"} <= set(found["objects"][0])
    caption = cli("caption", image, E)
    assert "8x8" in caption.out  # the emulator describes the image it was sent


def test_transcribe(files: dict[str, Path]) -> None:
    ran = cli("transcribe", str(files["audio"]), E, "--json")
    doc = ran.document()
    assert ran.code == 0 and doc["text"].strip()


def test_speak_writes_the_audio_with_its_own_extension(tmp_path: Path) -> None:
    ran = cli("speak", "hello", "-o", str(tmp_path / "out.wav"), E)
    assert ran.code == 0, ran.err
    written = Path(ran.out.strip())
    assert written == tmp_path / "out.flac"  # the emulator speaks FLAC, as hf-inference does
    assert written.read_bytes()[:4] == b"fLaC"
    assert not (tmp_path / "out.wav").exists()
    assert "audio/flac" in ran.err
    doc = cli("speak", "hello", "-o", str(tmp_path / "plain"), E, "--json").document()
    assert doc["path"] == str(tmp_path / "plain.flac")
    assert doc["content_type"] == "audio/flac"
    assert doc["bytes"] == (tmp_path / "plain.flac").stat().st_size


# --------------------------------------------------------------------------- the Hub


def test_models_search_prints_rows_and_respects_the_limit() -> None:
    ran = cli("models", "search", "llama", E, "--limit", "2")
    rows = [line.split("\t") for line in ran.out.splitlines()]
    assert ran.code == 0, ran.err
    assert len(rows) == 2
    assert all("llama" in r[0].lower() for r in rows)
    doc = cli("models", "search", E, "--task", "summarization", "--json").document()
    assert [m["id"] for m in doc["models"]] == ["facebook/bart-large-cnn"]


def test_models_info_and_status() -> None:
    info = cli("models", "info", "gpt2", E)
    assert info.code == 0
    assert "task:         text-generation" in info.out
    assert cli("models", "status", "gpt2", E).code == 0
    missing = cli("models", "status", "no-such/model", E)
    assert missing.code == 7  # NotFound
    assert "was not found" in missing.out
    doc = cli("models", "status", "no-such/model", E, "--json").document()
    assert doc["ok"] is False
    assert doc["status"]["kind"] == "ModelNotFound"
    assert doc["error"]["exit_code"] == 7


def test_models_wait_polls_a_cold_model_until_it_answers() -> None:
    args = ("models", "wait", "distilbert/distilgpt2", E, "--interval", "0.01")
    ran = cli(*args, "--ignore-estimate", "--json")
    doc = ran.document()
    assert ran.code == 0, doc
    assert doc["polls"] == 3  # two 503s while it loads, then the answer
    assert doc["task"] == "text-generation"
    late = cli(*args, "--deadline", "0.001", "--json")  # the server's 10 s estimate is honoured
    assert late.code == 9
    assert late.document()["error"]["kind"] == "ModelLoading"


def test_models_wait_without_a_probe_for_the_task() -> None:
    ran = cli("models", "wait", "google-bert/bert-base-uncased", E, "--json")
    assert ran.code == 3
    assert "no probe for 'fill-mask'" in ran.document()["error"]["message"]


# --------------------------------------------------------------------------- operations


def test_health_probes_router_and_hub() -> None:
    ran = cli("health", E)
    assert ran.code == 0
    lines = ran.out.splitlines()
    assert [line.split()[0] for line in lines] == ["router", "hub"]
    assert all("healthy" in line and "HTTP 200" in line for line in lines)


def test_health_of_a_dead_endpoint() -> None:
    dead = ("--router-url", "http://127.0.0.1:9", "--hub-url", "http://127.0.0.1:9")
    ran = cli("health", *dead, "--json")
    doc = ran.document()
    assert ran.code == 15  # ConnectionFailed
    assert [e["healthy"] for e in doc["endpoints"]] == [False, False]
    assert doc["error"]["kind"] == "ConnectionFailed"


def test_metrics_prints_prometheus_text() -> None:
    ran = cli("metrics", "-n", "5", E)
    assert ran.code == 0, ran.err
    assert "# TYPE hf_pure_requests_total counter" in ran.out
    assert 'outcome="success"} 5' in ran.out
    doc = cli("metrics", "-n", "3", "--task", "embed", E, "--json").document()
    assert (doc["requests"], doc["succeeded"], doc["failed"]) == (3, 3, {})
    assert doc["latency_seconds"]["p50"] is not None


def test_demo_runs_clean() -> None:
    done = cli("demo")
    assert done.code == 0, done.err
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
        assert expected in done.out


def test_help_lists_every_command_and_the_exit_codes() -> None:
    ran = cli("--help")
    assert ran.code == 0
    for command in (
        "chat", "generate", "embed", "similarity", "search", "classify", "summarize",
        "translate", "classify-image", "detect", "caption", "transcribe", "speak", "models",
        "health", "metrics", "demo", "emulator",
    ):  # fmt: skip
        assert f"    {command}" in ran.out
    assert "exit codes:" in ran.out
    assert "RateLimited" in ran.out
    sub = cli("models", "wait", "--help")
    assert sub.code == 0 and "--token-file" in sub.out and "--emulator" in sub.out
