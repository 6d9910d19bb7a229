"""Audio tasks of hf-inference, emulated from WIRE.md: transcripts, labels and separated
sources derived from the audio bytes, and text-to-speech as real audio.

- speech recognition answers ``{"text"}``; with ``return_timestamps`` also ``"chunks"``
  (``[{"timestamp": [start, end], "text"}]``) spread over the audio's duration (read from a WAV
  or FLAC header; 5 s when it can't be read);
- text-to-speech answers raw audio: FLAC (``audio/flac``, as hf-inference does) by default, a
  WAV (``audio/wav``) for the models in :data:`WAV_VOICES`; a tone whose pitch and length
  follow the text;
- audio-to-audio answers ``[{"label", "blob": "<base64 WAV>", "content-type": "audio/wav"}]``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from types import MappingProxyType

from ._answers import Answer, Invalid, JsonAnswer
from ._media_bytes import audio_duration, flac, tone, wav, wav_samples
from ._media_input import (
    Received,
    digest,
    function_to_apply,
    json_reply,
    read_input,
    read_text_input,
    scored,
    top_k,
)
from ._text import VOCAB

__all__ = ["AUDIO_TASKS", "WAV_VOICES", "speech_for", "transcript_words"]

EMOTIONS = ("neu", "hap", "ang", "sad")
#: Text-to-speech models answering WAV; the others answer FLAC.
WAV_VOICES = frozenset({"espnet/kan-bayashi_ljspeech_vits"})
_RATE = 16_000


def _audio(body: bytes) -> Received | JsonAnswer:
    return read_input(body, "audio")


def transcript_words(data: bytes) -> list[str]:
    """The words the emulator hears in ``data``: 4 to 9 of them, from its hash."""
    h = digest(data, "transcript")
    return [VOCAB[b] for b in h[1 : 1 + 4 + h[0] % 6]]


def recognise(repo: str, body: bytes) -> Answer:
    got = _audio(body)
    if isinstance(got, JsonAnswer):
        return got
    stamps = got.parameters.get("return_timestamps")
    if stamps is not None and not isinstance(stamps, bool) and stamps not in ("word", "char"):
        raise Invalid("`return_timestamps` must be true, false, 'word' or 'char'")
    words = transcript_words(got.data)
    text = " " + " ".join(words).capitalize() + "."
    out: dict[str, object] = {"text": text}
    if stamps:
        duration = audio_duration(got.data) or 5.0
        size = 1 if stamps == "word" else 3
        groups = [words[i : i + size] for i in range(0, len(words), size)]
        step = duration / len(groups)
        out["chunks"] = [
            {
                "timestamp": [round(i * step, 2), round((i + 1) * step, 2)],
                "text": " " + " ".join(group),
            }
            for i, group in enumerate(groups)
        ]
    return json_reply(out)


def speech_for(repo: str, text: str) -> tuple[bytes, str]:
    """The audio and content type text-to-speech answers for ``text``."""
    h = digest(text.encode(), "voice")
    seconds = min(2.0, max(0.2, 0.06 * len(text)))
    samples = tone(180.0 + h[0] * 2, seconds, _RATE)
    if repo in WAV_VOICES:
        return wav(samples, _RATE), "audio/wav"
    return flac(samples, _RATE), "audio/flac"


def speak(repo: str, body: bytes) -> Answer:
    got = read_text_input(body)
    if isinstance(got, JsonAnswer):
        return got
    audio, kind = speech_for(repo, got.text or "")
    return JsonAnswer(200, audio, content_type=kind)


def classify(repo: str, body: bytes) -> Answer:
    got = _audio(body)
    if isinstance(got, JsonAnswer):
        return got
    count = top_k(got.parameters, 5)
    function_to_apply(got.parameters)
    return json_reply(scored(got.data, EMOTIONS)[:count])


def separate(repo: str, body: bytes) -> Answer:
    got = _audio(body)
    if isinstance(got, JsonAnswer):
        return got
    decoded = wav_samples(got.data)
    samples, rate = decoded if decoded else (tone(220.0, 0.5, _RATE), _RATE)
    h = digest(got.data, "sources")
    out = []
    for i in range(2):  # two speakers: the input, attenuated differently for each
        gain = (1 + h[i] % 7) / 10
        part = [int(s * gain) for s in samples] or [0]
        blob = base64.b64encode(wav(part, rate)).decode("ascii")
        out.append({"label": f"speaker_{i}", "blob": blob, "content-type": "audio/wav"})
    return json_reply(out)


AUDIO_TASKS: Mapping[str, Callable[[str, bytes], Answer]] = MappingProxyType(
    {
        "automatic-speech-recognition": recognise,
        "text-to-speech": speak,
        "audio-classification": classify,
        "audio-to-audio": separate,
    }
)
