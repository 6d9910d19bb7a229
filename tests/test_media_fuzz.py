"""Wire-shaped fuzz of the vision and audio decoders: every reply shape (hf_pure.testing's
``_media_shapes``, every alternate included) decodes to what the wire says; the same shapes with
fields replaced, removed or added never make a decoder raise; and a reply with one field of
the wrong JSON type is MalformedResponse naming that field's path.

The expected values are worked out here from the JSON, by the rules of WIRE.md, not by the
decoders' code."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

import hf_pure as hf
from hf_pure.tasks.audio import decode_audio_blobs, decode_audio_labels, decode_transcript
from hf_pure.tasks.vision import (
    decode_caption,
    decode_detections,
    decode_image_labels,
    decode_segments,
)
from hf_pure.testing._media_shapes import MEDIA_KINDS, media_replies, wrong_typed
from hf_pure.testing.strategies import TASK_KINDS, encode, mutated, wire_bodies

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Decoder = Callable[[hf.RawReply], Result[Any, hf.HfError]]
DECODERS: dict[str, Decoder] = {
    "image-classification": decode_image_labels,
    "zero-shot-image-classification": decode_image_labels,
    "object-detection": decode_detections,
    "image-to-text": decode_caption,
    "image-segmentation": decode_segments,
    "automatic-speech-recognition": decode_transcript,
    "audio-classification": decode_audio_labels,
    "audio-to-audio": decode_audio_blobs,
}


def reply(value: Any) -> hf.RawReply:
    return hf.raw_reply(200, encode(value), {"content-type": "application/json"})


def num(value: Any) -> float | None:
    return None if value is None else float(value)


def expected(kind: str, value: Any) -> Any:
    """What a valid reply says, as plain tuples (WIRE.md's rules: missing or null is the
    default; a label list may come nested once; the first caption; base64 decoded)."""
    if kind.endswith("classification"):
        labels = value[0] if len(value) == 1 and isinstance(value[0], list) else value
        return tuple((x["label"], float(x["score"])) for x in labels)
    if kind == "object-detection":
        corners = ("xmin", "ymin", "xmax", "ymax")
        return tuple(
            (x["label"], float(x["score"]), tuple(float(x["box"][c]) for c in corners))
            for x in value
        )
    if kind == "image-to-text":
        return (value[0] if isinstance(value, list) else value)["generated_text"]
    if kind == "image-segmentation":
        return tuple((x["label"], num(x["score"]), base64.b64decode(x["mask"])) for x in value)
    if kind == "automatic-speech-recognition":
        chunks = tuple(
            (c["text"], num(c["timestamp"][0]), num(c["timestamp"][1]), c.get("speaker"))
            for c in value.get("chunks", [])
        )
        return value["text"], chunks
    assert kind == "audio-to-audio"
    return tuple((x["label"], base64.b64decode(x["blob"]), x["content-type"]) for x in value)


def plain(kind: str, got: Any) -> Any:
    """The decoded value as the same plain tuples."""
    if kind.endswith("classification"):
        return tuple((x.label, x.score) for x in got)
    if kind == "object-detection":
        return tuple(
            (x.label, x.score, (x.box.xmin, x.box.ymin, x.box.xmax, x.box.ymax)) for x in got
        )
    if kind == "image-to-text":
        return got.generated_text
    if kind == "image-segmentation":
        return tuple((x.label, x.score, x.mask) for x in got)
    if kind == "automatic-speech-recognition":
        return got.text, tuple((c.text, c.start, c.end, c.speaker) for c in got.chunks)
    return tuple((x.label, x.blob, x.content_type) for x in got)


def documented_types(kind: str, got: Any) -> None:
    """A success holds the documented types, whatever reply it came from."""
    if kind == "image-to-text":
        assert type(got) is hf.Caption and type(got.generated_text) is str
        return
    if kind == "automatic-speech-recognition":
        assert type(got) is hf.Transcript and type(got.text) is str
        for c in got.chunks:
            assert type(c.text) is str
            assert c.speaker is None or type(c.speaker) is str
            assert all(t is None or type(t) is float for t in c.timestamp)
        return
    assert type(got) is tuple
    for x in got:
        assert type(x.label) is str
        if kind == "object-detection":
            assert type(x.score) is float
            assert all(type(v) is float for v in (x.box.xmin, x.box.ymin, x.box.xmax, x.box.ymax))
        elif kind == "image-segmentation":
            assert type(x.mask) is bytes and (x.score is None or type(x.score) is float)
        elif kind == "audio-to-audio":
            assert type(x.blob) is bytes and type(x.content_type) is str
        else:
            assert type(x.score) is float


@pytest.mark.parametrize("kind", MEDIA_KINDS)
@FUZZ
@given(data=st.data())
def test_every_valid_shape_decodes_to_what_the_wire_says(kind: str, data: st.DataObject) -> None:
    value = data.draw(media_replies(kind))
    got = DECODERS[kind](reply(value))
    assert isinstance(got, Success), (value, got)
    documented_types(kind, got.unwrap())
    assert plain(kind, got.unwrap()) == expected(kind, value)


@pytest.mark.parametrize("kind", MEDIA_KINDS)
@FUZZ
@given(data=st.data())
def test_changed_fields_never_make_a_decoder_raise(kind: str, data: st.DataObject) -> None:
    value = data.draw(mutated(media_replies(kind)))
    got = DECODERS[kind](reply(value))
    if isinstance(got, Success):
        documented_types(kind, got.unwrap())
    else:
        assert isinstance(got, Failure)
        assert isinstance(got.failure(), hf.MalformedResponse | hf.ErrorEvent)


@pytest.mark.parametrize("kind", MEDIA_KINDS)
@FUZZ
@given(data=st.data())
def test_a_field_of_the_wrong_type_is_malformed_naming_its_path(
    kind: str, data: st.DataObject
) -> None:
    value, path = data.draw(wrong_typed(kind))
    got = DECODERS[kind](reply(value))
    assert isinstance(got, Failure), (value, path, got)
    error = got.failure()
    assert isinstance(error, hf.MalformedResponse), error
    reason = error.reason
    assert reason.startswith(path) and reason[len(path)] in ":.[", (path, reason)


@pytest.mark.parametrize("kind", sorted(set(TASK_KINDS) & set(DECODERS)))
@FUZZ
@given(data=st.data())
def test_the_shared_wire_shapes_never_make_a_decoder_raise(kind: str, data: st.DataObject) -> None:
    body = data.draw(wire_bodies(kind))
    got = DECODERS[kind](hf.raw_reply(200, body))
    if isinstance(got, Success):
        documented_types(kind, got.unwrap())
    else:
        assert isinstance(got.failure(), hf.MalformedResponse | hf.ErrorEvent)


@FUZZ
@given(st.sampled_from(MEDIA_KINDS), st.binary(max_size=40))
def test_any_bytes_at_all_give_a_result(kind: str, body: bytes) -> None:
    got = DECODERS[kind](hf.raw_reply(200, body))
    assert isinstance(got, Success | Failure)
    if isinstance(got, Success):
        documented_types(kind, got.unwrap())


def test_the_wrong_type_model_knows_every_typed_field() -> None:
    # guard: the strategy above only tests fields it knows; a reply field it doesn't know
    # would silently be left out of the wrong-type test
    from hf_pure.testing._media_shapes import FIELD_TYPES

    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            seen.update(node)
            for item in node.values():
                walk(item)

    samples = [
        [{"label": "a", "score": 1}],
        [{"label": "a", "score": 1, "box": {"xmin": 1, "ymin": 1, "xmax": 2, "ymax": 2}}],
        [{"generated_text": "a"}],
        [{"label": "a", "score": None, "mask": ""}],
        {"text": "a", "chunks": [{"timestamp": [0, 1], "text": "a", "speaker": "s"}]},
        [{"label": "a", "blob": "", "content-type": "audio/flac"}],
    ]
    for sample in samples:
        walk(json.loads(json.dumps(sample)))
    assert seen <= set(FIELD_TYPES)
