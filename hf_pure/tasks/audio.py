"""Audio tasks on hf-inference: automatic speech recognition, text-to-speech, audio
classification and audio-to-audio (source separation, enhancement).

Audio goes in as bytes, base64 text or a ``data:`` URL (a file is read by the shell's
``hf.read_media``); its type is sniffed from the bytes (WAV, FLAC, MP3, OGG, WebM, M4A). Without
parameters it travels as the raw body with that type, with parameters as base64 JSON::

    heard = await runner.run(hf.automatic_speech_recognition("openai/whisper-large-v3", wav))
    speech = (await runner.run(hf.text_to_speech("facebook/mms-tts-eng", "Hello"))).unwrap()
    hf.save_audio(speech, "hello")          # hello.flac: the extension follows speech.content_type

Text-to-speech answers raw audio, not JSON: :func:`decode_speech` keeps the bytes and the
content type the reply gives (hf-inference: ``audio/flac``), sniffing the bytes when the reply
names none; an empty body or a JSON error object in a 2xx reply is an error, never audio.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final

import msgspec
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, loads
from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.failures import error_from_event, malformed
from hf_pure.core.http import RawReply
from hf_pure.tasks._decode import decode_json, lazy_decoder
from hf_pure.tasks._media import (
    Number,
    blob,
    check_function,
    check_top_k,
    decode_labels,
    each_object,
    media_request,
)
from hf_pure.tasks._read import Bad, array, each, fields, kind_of, need_object, number, text
from hf_pure.tasks.inference import TaskRequest, TaskSpec, task_request
from hf_pure.tasks.media import MediaInput, extension_for, sniff_audio
from hf_pure.tasks.validate import check_text

# --------------------------------------------------------------------------- reply types


class TranscriptChunk(msgspec.Struct, frozen=True, gc=False):
    """A stretch of a transcript with its ``timestamp`` ``[start, end]`` in seconds (either may
    be null on the wire: Whisper leaves the last end open), and a speaker where the provider
    names one."""

    text: str = ""
    timestamp: tuple[Number | None, Number | None] = (None, None)
    speaker: str | None = None

    @property
    def start(self) -> float | None:
        return self.timestamp[0]

    @property
    def end(self) -> float | None:
        return self.timestamp[1]


class Transcript(msgspec.Struct, frozen=True, gc=False):
    """What speech recognition heard; ``chunks`` when timestamps were asked for."""

    text: str = ""
    chunks: tuple[TranscriptChunk, ...] = ()


class AudioLabel(msgspec.Struct, frozen=True, gc=False):
    """One class the audio was given, with its score."""

    label: str = ""
    score: Number = 0.0


class AudioBlob(msgspec.Struct, frozen=True, gc=False):
    """One audio output of audio-to-audio: its label, the audio (decoded from the reply's
    base64) and its content type (the wire's hyphenated ``"content-type"``)."""

    label: str = ""
    blob: bytes = b""
    content_type: str = msgspec.field(default="", name="content-type")

    @property
    def extension(self) -> str | None:
        return extension_for(self.content_type)


class Speech(msgspec.Struct, frozen=True, gc=False):
    """Audio from text-to-speech: the bytes and their content type, as the reply named it (or
    as sniffed from the bytes when it named none; ``application/octet-stream`` if neither)."""

    audio: bytes
    content_type: str

    @property
    def extension(self) -> str | None:
        """The file extension for ``content_type`` (``".flac"``), or None when unknown."""
        return extension_for(self.content_type)

    def __repr__(self) -> str:
        return f"Speech(<{len(self.audio)} bytes>, content_type={self.content_type!r})"


# --------------------------------------------------------------------------- decoders


def _timestamp(value: Any, path: str) -> tuple[float | None, float | None] | Bad:
    if value is None:
        return (None, None)
    if type(value) is not list:
        return Bad(path, f"expected [start, end], got {kind_of(value)}")
    if len(value) != 2:
        return Bad(path, f"expected [start, end], got {len(value)} numbers")
    start = number(value[0], path, 0)
    end = number(value[1], path, 1)
    if isinstance(start, Bad):
        return start
    if isinstance(end, Bad):
        return end
    return (start, end)


def _chunk(item: Any, path: str) -> TranscriptChunk | Bad:
    found = need_object(item, path)
    if isinstance(found, Bad):
        return found
    got = fields(found, path, (("text", text), ("speaker", text)))
    if isinstance(got, Bad):
        return got
    stamp = _timestamp(found.get("timestamp"), f"{path}.timestamp")
    if isinstance(stamp, Bad):
        return stamp
    return TranscriptChunk(text=got[0] or "", timestamp=stamp, speaker=got[1])


def _transcript(obj: Any) -> Transcript | Bad:
    found = need_object(obj, "")
    if isinstance(found, Bad):
        return Bad("", f"expected a transcript object, got {kind_of(obj)}")
    got = fields(found, "", (("text", text), ("chunks", array)))
    if isinstance(got, Bad):
        return got
    chunks = each(got[1], "", "chunks", _chunk)
    if isinstance(chunks, Bad):
        return chunks
    return Transcript(text=got[0] or "", chunks=chunks)


_TRANSCRIPT = lazy_decoder(Transcript)


def decode_transcript(reply: RawReply) -> Result[Transcript, HfError]:
    """``{"text", "chunks"?: [{"timestamp": [s, e], "text", "speaker"?}]}``."""
    return decode_json(reply, _TRANSCRIPT, _transcript)


_LABELS = lazy_decoder(list[AudioLabel])


def decode_audio_labels(reply: RawReply) -> Result[tuple[AudioLabel, ...], HfError]:
    """``[{"label", "score"}]`` (or nested once)."""
    return decode_labels(reply, _LABELS, AudioLabel)


def _blob(item: dict[str, Any], path: str) -> AudioBlob | Bad:
    got = fields(item, path, (("label", text), ("blob", blob), ("content-type", text)))
    if isinstance(got, Bad):
        return got
    label, data, kind = got
    return AudioBlob(label=label or "", blob=data or b"", content_type=kind or "")


def _blobs(obj: Any) -> tuple[AudioBlob, ...] | Bad:
    return each_object(obj, "audio outputs", _blob)


_BLOBS = lazy_decoder(list[AudioBlob])


def decode_audio_blobs(reply: RawReply) -> Result[tuple[AudioBlob, ...], HfError]:
    """``[{"label", "blob": "<base64>", "content-type"}]``, blobs decoded."""
    return decode_json(reply, _BLOBS, _blobs, tuple)


_OCTETS: Final = "application/octet-stream"


def _json_instead(reply: RawReply, declared: str) -> HfError | None:
    """The error a JSON body stands for (an ``{"error": ...}`` object is that error; other JSON
    is not audio), or None when the body isn't JSON."""
    body = reply.body
    if body.lstrip()[:1] not in (b"{", b"[") and not declared.endswith("json"):
        return None
    try:
        obj = loads(body)
    except JSONDecodeError:
        if declared.endswith("json"):
            return malformed(reply, "the body is not valid JSON (and not audio)")
        return None
    if type(obj) is dict and "error" in obj:
        return error_from_event(obj, reply.request_id)
    return malformed(reply, f"expected audio, got JSON ({kind_of(obj)})")


def decode_speech(reply: RawReply) -> Result[Speech, HfError]:
    """Raw audio bytes and their content type. Total: an empty body, a JSON body (an error
    object is that error) or a declared type that isn't audio is a Failure, never audio."""
    declared = reply.content_type
    if not reply.body:
        return Failure(malformed(reply, "the reply has no audio (an empty body)"))
    instead = _json_instead(reply, declared)
    if instead is not None:
        return Failure(instead)
    if declared.startswith("audio/"):
        return Success(Speech(audio=reply.body, content_type=declared))
    if declared and declared != _OCTETS:
        return Failure(malformed(reply, f"expected audio, got {declared}"))
    sniffed = sniff_audio(reply.body)
    return Success(Speech(audio=reply.body, content_type=sniffed or _OCTETS))


# --------------------------------------------------------------------------- specs


def _audio_bytes(inputs: Any, limits: Limits) -> InvalidInput | None:
    if type(inputs) is not bytes:
        return InvalidInput("inputs", f"must be audio bytes, got {type(inputs).__name__}")
    return None


def _speech_text(inputs: Any, limits: Limits) -> InvalidInput | None:
    return check_text("inputs", inputs, limits)


def _check_timestamps(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    if type(value) is bool or (type(value) is str and value in ("word", "char")):
        return None
    return InvalidInput(name, f"must be true, false, 'word' or 'char', got {value!r}")


AUTOMATIC_SPEECH_RECOGNITION: Final = TaskSpec(
    task="automatic-speech-recognition",
    decode=decode_transcript,
    checks=MappingProxyType({"return_timestamps": _check_timestamps}),
    check_inputs=_audio_bytes,
)
TEXT_TO_SPEECH: Final = TaskSpec(
    task="text-to-speech",
    decode=decode_speech,
    check_inputs=_speech_text,
    always_parameters=True,  # WIRE.md: {"inputs": text, "parameters": {}}
)
AUDIO_CLASSIFICATION: Final = TaskSpec(
    task="audio-classification",
    decode=decode_audio_labels,
    checks=MappingProxyType({"top_k": check_top_k, "function_to_apply": check_function}),
    check_inputs=_audio_bytes,
)
AUDIO_TO_AUDIO: Final = TaskSpec(
    task="audio-to-audio",
    decode=decode_audio_blobs,
    check_inputs=_audio_bytes,
)


# --------------------------------------------------------------------------- builders


def automatic_speech_recognition(
    model: str,
    audio: MediaInput,
    *,
    return_timestamps: bool | str | None = None,
    content_type: str | None = None,
) -> TaskRequest[Transcript]:
    """The text spoken in ``audio``; with ``return_timestamps`` (True, or ``"word"``) also the
    timestamped chunks."""
    options = {"return_timestamps": return_timestamps}
    return media_request(AUTOMATIC_SPEECH_RECOGNITION, model, audio, "audio", options, content_type)


def text_to_speech(model: str, text: str) -> TaskRequest[Speech]:
    """``text`` spoken: the audio bytes and their content type (hf-inference: FLAC). Other
    generation parameters go with ``hf.option(name, value)``."""
    return task_request(TEXT_TO_SPEECH, model, text)


def audio_classification(
    model: str,
    audio: MediaInput,
    *,
    top_k: int | None = None,
    function_to_apply: str | None = None,
    content_type: str | None = None,
) -> TaskRequest[tuple[AudioLabel, ...]]:
    """The classes of a piece of audio (emotion, language, sound events), best first."""
    options = {"top_k": top_k, "function_to_apply": function_to_apply}
    return media_request(AUDIO_CLASSIFICATION, model, audio, "audio", options, content_type)


def audio_to_audio(
    model: str, audio: MediaInput, *, content_type: str | None = None
) -> TaskRequest[tuple[AudioBlob, ...]]:
    """Audio made from audio (separated sources, enhanced speech), each output decoded."""
    return media_request(AUDIO_TO_AUDIO, model, audio, "audio", {}, content_type)


__all__ = [
    "AUDIO_CLASSIFICATION",
    "AUDIO_TO_AUDIO",
    "AUTOMATIC_SPEECH_RECOGNITION",
    "TEXT_TO_SPEECH",
    "AudioBlob",
    "AudioLabel",
    "Speech",
    "Transcript",
    "TranscriptChunk",
    "audio_classification",
    "audio_to_audio",
    "automatic_speech_recognition",
    "decode_audio_blobs",
    "decode_audio_labels",
    "decode_speech",
    "decode_transcript",
    "text_to_speech",
]
