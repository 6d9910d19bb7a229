"""The audio tasks: requests on the wire, parameter checks, and the decoders against replies
written from WIRE.md (transcripts with and without chunks, raw text-to-speech audio with its
content type, labels, audio-to-audio blobs under the hyphenated key)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from media_samples import AUDIO, FLAC, MP3_FRAME, wav
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.tasks.audio import (
    decode_audio_blobs,
    decode_audio_labels,
    decode_speech,
    decode_transcript,
)

LIMITS = hf.Limits()
WHISPER = "openai/whisper-large-v3"


def reply(body: bytes | str, content_type: str | None = "application/json") -> hf.RawReply:
    data = body.encode() if isinstance(body, str) else body
    headers = {"content-type": content_type} if content_type else {}
    return hf.raw_reply(200, data, headers)


def ok(result: Any) -> Any:
    assert isinstance(result, Success), result
    return result.unwrap()


def failed(result: Any) -> hf.HfError:
    assert isinstance(result, Failure), result
    error: hf.HfError = result.failure()
    return error


def malformed_at(result: Any, path: str) -> None:
    error = failed(result)
    assert isinstance(error, hf.MalformedResponse), error
    if path:
        assert f"{path}:" in error.reason, error.reason
    else:  # the reply as a whole has the wrong shape
        assert error.reason.startswith("expected"), error.reason


# -- requests ------------------------------------------------------------------------------


def test_audio_travels_raw_without_parameters_and_as_base64_json_with_them() -> None:
    raw = hf.automatic_speech_recognition(WHISPER, wav()).to_call()
    assert raw.body == wav() and raw.content_type == "audio/wav"
    assert raw.path == f"/hf-inference/models/{WHISPER}"
    timed = hf.automatic_speech_recognition(WHISPER, FLAC, return_timestamps=True).to_call()
    body = json.loads(timed.body or b"")
    assert base64.b64decode(body["inputs"]) == FLAC
    assert body["parameters"] == {"return_timestamps": True}


def test_text_to_speech_sends_json_with_an_empty_parameters_object() -> None:
    call = hf.text_to_speech("facebook/mms-tts-eng", "Hello there").to_call()
    assert json.loads(call.body or b"") == {"inputs": "Hello there", "parameters": {}}
    assert call.content_type == "application/json"


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (hf.text_to_speech("m/x", ""), "inputs"),
        (hf.text_to_speech("m/x", 3), "inputs"),  # type: ignore[arg-type]
        (
            hf.automatic_speech_recognition("m/x", wav(), return_timestamps="yes"),
            "return_timestamps",
        ),
        (hf.audio_classification("m/x", wav(), top_k=0), "top_k"),
        (hf.audio_classification("m/x", wav(), function_to_apply="tanh"), "function_to_apply"),
        (hf.audio_to_audio("m/x", b"RIFF\x00\x00\x00\x00AVI "), "inputs"),
    ],
)
def test_bad_inputs_and_parameters_are_reported_by_check(request_: Any, field: str) -> None:
    found = request_.check(LIMITS)
    assert isinstance(found, hf.InvalidInput) and found.field == field, found


def test_word_timestamps_and_every_audio_format_are_accepted() -> None:
    assert (
        hf.automatic_speech_recognition("m/x", wav(), return_timestamps="word").check(LIMITS)
        is None
    )
    for kind, data in AUDIO.items():
        request = hf.audio_classification("m/x", data)
        assert request.check(LIMITS) is None and request.content_type == kind


# -- speech recognition --------------------------------------------------------------------


def test_a_transcript_with_and_without_chunks() -> None:
    plain = ok(decode_transcript(reply('{"text":" Hello world."}')))
    assert plain == hf.Transcript(text=" Hello world.", chunks=())
    timed = ok(
        decode_transcript(
            reply(
                '{"text":"Hello world.","chunks":['
                '{"timestamp":[0.0,1.2],"text":"Hello"},'
                '{"timestamp":[1.2,null],"text":" world.","speaker":"SPEAKER_00"}]}'
            )
        )
    )
    first, last = timed.chunks
    assert (first.start, first.end, first.text) == (0.0, 1.2, "Hello")
    assert (last.start, last.end, last.speaker) == (1.2, None, "SPEAKER_00")


def test_transcript_wrong_data_names_the_field() -> None:
    malformed_at(decode_transcript(reply('{"text":5}')), "text")
    malformed_at(decode_transcript(reply('{"text":"a","chunks":{}}')), "chunks")
    malformed_at(
        decode_transcript(reply('{"text":"a","chunks":[{"timestamp":[1],"text":"a"}]}')),
        "chunks[0].timestamp",
    )
    malformed_at(
        decode_transcript(reply('{"text":"a","chunks":[{"timestamp":[0,"1"],"text":"a"}]}')),
        "chunks[0].timestamp[1]",
    )
    malformed_at(decode_transcript(reply('["hello"]')), "")


# -- text-to-speech ------------------------------------------------------------------------


def test_speech_keeps_the_bytes_and_the_content_type_the_reply_gives() -> None:
    speech = ok(decode_speech(reply(FLAC, "audio/flac")))
    assert speech == hf.Speech(audio=FLAC, content_type="audio/flac")
    assert speech.extension == ".flac"
    assert ok(decode_speech(reply(wav(), "audio/x-wav; rate=16000"))).content_type == "audio/x-wav"
    assert "bytes" in repr(speech) and "fLaC" not in repr(speech)


def test_speech_without_a_content_type_is_sniffed() -> None:
    assert ok(decode_speech(reply(wav(), None))).content_type == "audio/wav"
    assert ok(decode_speech(reply(MP3_FRAME, "application/octet-stream"))).content_type == (
        "audio/mpeg"
    )
    unknown = ok(decode_speech(reply(b"\x01\x02\x03raw pcm", None)))
    assert unknown.content_type == "application/octet-stream"
    assert unknown.extension is None


def test_a_2xx_reply_that_is_not_audio_is_an_error_never_audio() -> None:
    empty = failed(decode_speech(reply(b"", "audio/flac")))
    assert isinstance(empty, hf.MalformedResponse) and "empty" in empty.message
    error = failed(decode_speech(reply('{"error":"Model too busy"}', "audio/flac")))
    assert isinstance(error, hf.ErrorEvent) and "too busy" in error.message
    listed = failed(decode_speech(reply('{"error":["a","b"]}', None)))
    assert isinstance(listed, hf.ErrorEvent)
    json_body = failed(decode_speech(reply('{"audio":"ZkxhQw=="}')))
    assert isinstance(json_body, hf.MalformedResponse) and "JSON" in json_body.message
    html = failed(decode_speech(reply(b"<html>gateway</html>", "text/html")))
    assert isinstance(html, hf.MalformedResponse) and "text/html" in html.message
    broken_json = failed(decode_speech(reply(b"{not json", "application/json")))
    assert isinstance(broken_json, hf.MalformedResponse)


@given(
    st.binary(max_size=64),
    st.sampled_from([None, "audio/flac", "audio/wav", "application/json", "text/plain", ""]),
)
def test_the_speech_decoder_is_total_over_any_body(body: bytes, content_type: str | None) -> None:
    out = decode_speech(reply(body, content_type))
    if isinstance(out, Success):
        speech = out.unwrap()
        assert speech.audio == body and body
        assert speech.content_type.startswith("audio/") or speech.content_type == (
            "application/octet-stream"
        )
    else:
        assert isinstance(out.failure(), hf.MalformedResponse | hf.ErrorEvent)


# -- classification and audio-to-audio -----------------------------------------------------


def test_audio_labels_flat_and_nested() -> None:
    flat = '[{"label":"neu","score":0.6},{"label":"hap","score":0.3}]'
    labels = ok(decode_audio_labels(reply(flat)))
    assert labels == (hf.AudioLabel(label="neu", score=0.6), hf.AudioLabel(label="hap", score=0.3))
    assert ok(decode_audio_labels(reply(f"[{flat}]"))) == labels
    malformed_at(decode_audio_labels(reply('[{"label":"neu","score":true}]')), "[0].score")


def test_audio_to_audio_blobs_are_decoded_under_the_hyphenated_key() -> None:
    blob = base64.b64encode(FLAC).decode()
    body = json.dumps([{"label": "speaker_0", "blob": blob, "content-type": "audio/flac"}])
    (out,) = ok(decode_audio_blobs(reply(body)))
    assert out == hf.AudioBlob(label="speaker_0", blob=FLAC, content_type="audio/flac")
    assert out.extension == ".flac"


def test_audio_to_audio_wrong_data_names_the_field() -> None:
    malformed_at(decode_audio_blobs(reply('[{"label":"a","blob":"%%%"}]')), "[0].blob")
    malformed_at(
        decode_audio_blobs(reply('[{"label":"a","blob":"","content-type":1}]')), "[0].content-type"
    )
    malformed_at(decode_audio_blobs(reply('{"label":"a"}')), "")
