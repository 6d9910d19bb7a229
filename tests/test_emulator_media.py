"""The emulator's vision and audio routes on the raw wire (plain aiohttp, no client): what it
accepts, what it refuses as the service would, its media writers, and faults on these routes."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest
from media_samples import IMAGES, png, wav

from hf_pure.testing import Emulator, Fault
from hf_pure.testing._media_bytes import audio_duration, flac, media_type, tone
from hf_pure.testing._media_bytes import png as emulator_png
from hf_pure.testing._media_bytes import wav as emulator_wav


async def post(
    http: aiohttp.ClientSession, model: str, body: bytes | dict[str, Any], kind: str | None = None
) -> tuple[int, Any, str]:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {"Content-Type": kind or ("application/json" if isinstance(body, dict) else "")}
    async with http.post(f"/hf-inference/models/{model}", data=data, headers=headers) as resp:
        raw = await resp.read()
        kind_back = resp.headers.get("Content-Type", "")
        return resp.status, (json.loads(raw) if "json" in kind_back else raw), kind_back


@pytest.mark.parametrize("kind", sorted(IMAGES))
async def test_every_image_format_is_accepted_raw(http: aiohttp.ClientSession, kind: str) -> None:
    status, labels, _ = await post(http, "google/vit-base-patch16-224", IMAGES[kind], kind)
    assert status == 200 and len(labels) == 5
    assert all(set(x) == {"label", "score"} for x in labels)


@pytest.mark.parametrize(
    ("model", "body", "status", "words"),
    [
        ("google/vit-base-patch16-224", b"hello", 400, "Malformed image file"),
        ("google/vit-base-patch16-224", wav(), 400, "got audio/wav"),
        ("google/vit-base-patch16-224", b"", 400, "empty"),
        ("google/vit-base-patch16-224", {"inputs": "@@"}, 422, "not valid base64"),
        ("google/vit-base-patch16-224", {"inputs": 3}, 422, "base64-encoded image"),
        (
            "google/vit-base-patch16-224",
            {"inputs": base64.b64encode(png()).decode(), "parameters": {"top_k": 0}},
            422,
            "top_k",
        ),
        (
            "openai/clip-vit-large-patch14",
            {"inputs": base64.b64encode(png()).decode()},
            400,
            "candidate_labels",
        ),
        ("openai/whisper-large-v3", b"not audio", 400, "Malformed soundfile"),
        (
            "openai/whisper-large-v3",
            {
                "inputs": base64.b64encode(wav()).decode(),
                "parameters": {"return_timestamps": "yes"},
            },
            422,
            "return_timestamps",
        ),
        ("facebook/mms-tts-eng", {"inputs": ""}, 422, "non-empty string"),
        (
            "facebook/detr-resnet-50",
            {"inputs": base64.b64encode(png()).decode(), "parameters": {"threshold": 2}},
            422,
            "threshold",
        ),
    ],
)
async def test_bad_requests_are_refused_as_the_service_refuses_them(
    http: aiohttp.ClientSession, model: str, body: Any, status: int, words: str
) -> None:
    got, data, _ = await post(http, model, body)
    assert got == status
    assert words in data["error"]


async def test_text_to_speech_answers_raw_audio_with_its_type(http: aiohttp.ClientSession) -> None:
    status, audio, kind = await post(http, "facebook/mms-tts-eng", {"inputs": "Hi"})
    assert (status, kind, media_type(audio)) == (200, "audio/flac", "audio/flac")
    status, audio, kind = await post(http, "espnet/kan-bayashi_ljspeech_vits", {"inputs": "Hi"})
    assert (status, kind, media_type(audio)) == (200, "audio/wav", "audio/wav")


async def test_faults_are_scripted_on_media_routes_by_task_name(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.script(
        "image-classification", Fault.status(503, body={"error": "loading", "estimated_time": 3.0})
    )
    status, data, _ = await post(http, "google/vit-base-patch16-224", png(), "image/png")
    assert status == 503 and data["estimated_time"] == 3.0
    status, _, _ = await post(http, "google/vit-base-patch16-224", png(), "image/png")
    assert status == 200


def test_the_emulator_writers_make_what_its_own_sniffer_and_readers_recognise() -> None:
    samples = tone(440.0, 0.5)
    assert media_type(emulator_wav(samples)) == "audio/wav"
    assert media_type(flac(samples)) == "audio/flac"
    assert audio_duration(flac(samples)) == audio_duration(emulator_wav(samples)) == 0.5
    assert media_type(emulator_png(3, 2, [0, 255, 0, 255, 0, 255])) == "image/png"
    with pytest.raises(ValueError, match="pixels"):
        emulator_png(2, 2, [0])
    with pytest.raises(ValueError, match="rate"):
        flac(samples, rate=12_345)
