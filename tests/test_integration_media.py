"""The vision and audio families against the real Hugging Face router. Run with
``python -m pytest --integration`` and a token; skipped, with the reason, without one.

hf-inference serves only some models at any time: a clear NotFound, a loading model or the
service refusing the tiny sample is an honest answer, and is accepted as one; a reply of the
wrong shape is not."""

from __future__ import annotations

import pytest
from media_samples import png, wav
from returns.result import Success

import hf_pure as hf

pytestmark = pytest.mark.integration

HONEST = hf.NotFound | hf.ModelLoading | hf.BadRequest | hf.ServerError


async def test_real_vision(real_runner: hf.Runner) -> None:
    result = await real_runner.run(
        hf.image_classification("google/vit-base-patch16-224", png(32, 32))
    )
    match result:
        case Success(labels):
            assert labels and all(isinstance(x, hf.ImageLabel) for x in labels)
            assert all(0.0 <= x.score <= 1.0 and x.label for x in labels)
        case _:
            assert isinstance(result.failure(), HONEST), result


async def test_real_audio(real_runner: hf.Runner) -> None:
    result = await real_runner.run(hf.text_to_speech("facebook/mms-tts-eng", "Hello."))
    match result:
        case Success(speech):
            assert speech.audio and speech.content_type.startswith("audio/")
            assert speech.extension is not None
        case _:
            assert isinstance(result.failure(), HONEST), result
    heard = await real_runner.run(
        hf.automatic_speech_recognition("openai/whisper-large-v3", wav(1.0))
    )
    match heard:
        case Success(transcript):
            assert isinstance(transcript.text, str)
        case _:
            assert isinstance(heard.failure(), HONEST), heard
