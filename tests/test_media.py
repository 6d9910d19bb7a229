"""Media inputs (hf_pure.tasks.media): content types sniffed from magic bytes, truncated and
near-miss headers refused, bytes / base64 / data URLs decoded purely, and what can't be sent
reported by check() as InvalidInput naming the field."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st
from media_samples import AUDIO, IMAGES, MORE, NEAR_MISSES, SIGNATURE_LENGTHS, bmp, gif, png, wav

import hf_pure as hf
from hf_pure.tasks.media import (
    AUDIO_TYPES,
    IMAGE_TYPES,
    decode_base64,
    extension_for,
    image_size,
    media_input,
    sniff,
    sniff_audio,
    sniff_image,
)
from hf_pure.tasks.options import Unsendable

LIMITS = hf.Limits()
SAMPLES = {**IMAGES, **AUDIO}
ALL = [*SAMPLES.items(), *MORE.items()]


@pytest.mark.parametrize(("kind", "data"), ALL, ids=[k for k, _ in ALL])
def test_every_format_is_recognised_by_its_opening_bytes(kind: str, data: bytes) -> None:
    assert sniff(data) == kind
    family = sniff_image if kind.startswith("image/") else sniff_audio
    other = sniff_audio if kind.startswith("image/") else sniff_image
    assert family(data) == kind
    assert other(data) is None
    assert sniff(bytearray(data)) == kind and sniff(memoryview(data)) == kind


def test_the_type_tables_cover_exactly_the_formats_sniffed() -> None:
    assert set(IMAGES) == IMAGE_TYPES
    assert set(AUDIO) == AUDIO_TYPES


@pytest.mark.parametrize(("kind", "data"), list(SAMPLES.items()), ids=list(SAMPLES))
def test_a_header_cut_short_of_its_signature_is_unknown_and_the_whole_one_is_known(
    kind: str, data: bytes
) -> None:
    need = SIGNATURE_LENGTHS[kind]
    for cut in range(need):
        assert sniff(data[:cut]) is None, (kind, cut)
    assert sniff(data[:need]) == kind


@pytest.mark.parametrize(("what", "data"), list(NEAR_MISSES.items()), ids=list(NEAR_MISSES))
def test_near_misses_are_not_mistaken_for_a_format(what: str, data: bytes) -> None:
    assert sniff(data) is None, what


@given(st.sampled_from(ALL), st.binary(max_size=64))
def test_what_follows_the_header_does_not_change_the_type(sample: Any, tail: bytes) -> None:
    kind, data = sample
    assert sniff(data + tail) == kind


@given(st.binary(max_size=80))
def test_sniffing_never_raises_and_answers_a_known_type_or_none(data: bytes) -> None:
    assert sniff(data) in IMAGE_TYPES | AUDIO_TYPES | {None}


def test_image_sizes_are_read_from_png_gif_and_bmp_headers() -> None:
    assert image_size(png(3, 5)) == (3, 5)
    assert image_size(gif(7, 2)) == (7, 2)
    assert image_size(bmp(4, 6)) == (4, 6)
    assert image_size(IMAGES["image/jpeg"]) is None
    assert image_size(png(3, 5)[:20]) is None  # IHDR cut short


def test_extensions_follow_the_content_type() -> None:
    assert extension_for("audio/flac") == ".flac"
    assert extension_for("audio/x-wav") == ".wav"
    assert extension_for("Audio/MPEG; charset=binary") == ".mp3"
    assert extension_for("image/jpeg") == ".jpg"
    assert extension_for("application/x-nothing") is None
    assert extension_for(3) is None  # type: ignore[arg-type]


# -- inputs -------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    "value",
    [
        png(),
        bytearray(png()),
        memoryview(png()),
        b64(png()),
        "data:image/png;base64," + b64(png()),
        "data:;base64," + b64(png()),  # no declared type: sniffed
        "data:image/png," + quote_from_bytes(png()),  # percent-encoded, not base64
        "\n".join(b64(png())[i : i + 8] for i in range(0, len(b64(png())), 8)),  # wrapped lines
    ],
    ids=["bytes", "bytearray", "memoryview", "base64", "data-url", "untyped", "percent", "wrapped"],
)
def test_every_input_form_gives_the_same_bytes_and_type(value: Any) -> None:
    assert media_input(value, "image") == (png(), "image/png")


def test_equal_images_make_equal_requests_whatever_form_they_came_in() -> None:
    a = hf.image_classification("google/vit-base-patch16-224", png())
    b = hf.image_classification(
        "google/vit-base-patch16-224", "data:image/png;base64," + b64(png())
    )
    assert a == b and hash(a) == hash(b)
    assert a.content_type == "image/png"


def test_a_data_url_declaring_another_type_is_sent_as_what_the_bytes_are() -> None:
    assert media_input("data:image/jpeg;base64," + b64(png()), "image") == (png(), "image/png")


def problem(request: Any) -> hf.InvalidInput:
    found = request.check(LIMITS)
    assert isinstance(found, hf.InvalidInput), found
    return found


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("iVBORw0KGgo", "neither valid base64"),  # no padding
        ("iVBOR w0KGgo=!", "neither valid base64"),
        ("data:image/png;base64,@@@@", "not valid base64"),
        ("data:image/png;base64", "without a comma"),
        ("cat.png", "hf.read_media"),
        ("/photos/cat", "hf.read_media"),
        ("https://example.com/cat.png", "URLs are not fetched"),
        (b"", "is empty"),
        ("", "is empty"),
        (b"GIF88a\x00\x00", "starts with 47 49 46 38 38 61 00 00"),
        (AUDIO["audio/wav"], "looks like audio/wav, not an image"),
        (12, "got int"),
        ({"image": "x"}, "got dict"),
        (Path("cat.png"), "hf.read_media"),
    ],
)
def test_what_cant_be_sent_is_invalid_input_naming_the_field(value: Any, words: str) -> None:
    found = problem(hf.image_classification("m/x", value))
    assert found.field == "inputs"
    assert words in found.reason


def test_images_are_refused_by_audio_tasks_and_audio_by_vision_tasks() -> None:
    heard = problem(hf.automatic_speech_recognition("openai/whisper-large-v3", png()))
    assert heard.field == "inputs" and "image/png, not audio" in heard.reason
    for kind, data in AUDIO.items():
        assert problem(hf.object_detection("facebook/detr-resnet-50", data)).field == "inputs", kind
    for kind, data in IMAGES.items():
        assert problem(hf.audio_classification("superb/hubert-large-superb-er", data)), kind


def test_a_named_content_type_is_sent_as_given_without_sniffing() -> None:
    avif = b"\x00\x00\x00\x1cftypavif" + b"\x00" * 16
    request = hf.image_classification("m/x", avif, content_type="image/avif")
    assert request.check(LIMITS) is None
    call = request.to_call()
    assert call.body == avif and call.content_type == "image/avif"
    bad = problem(hf.image_classification("m/x", png(), content_type="png"))
    assert bad.field == "content_type"
    not_text = problem(hf.image_classification("m/x", png(), content_type=3))  # type: ignore[arg-type]
    assert not_text.field == "content_type"


def test_builders_never_raise_for_data() -> None:
    values: tuple[Any, ...] = (None, 3.5, [1, 2], object(), "x" * 10, b"\x00" * 3)
    for value in values:
        for request in (hf.image_segmentation("m/x", value), hf.audio_to_audio("m/x", value)):
            assert problem(request).field == "inputs", value


@given(st.text(max_size=40))
def test_decoding_text_never_raises_and_round_trips_real_base64(text: str) -> None:
    got = decode_base64(text)
    assert got is None or isinstance(got, bytes)
    data = text.encode()
    assert decode_base64(base64.b64encode(data).decode()) == data


def test_unsendable_inputs_refuse_to_be_encoded_without_check() -> None:
    data, kind = media_input("not base64!", "audio")
    assert isinstance(data, Unsendable) and kind is None
    with pytest.raises(TypeError):
        hf.audio_to_audio("m/x", "not base64!").to_call()


def test_wav_samples_are_audio_for_every_audio_builder() -> None:
    for build in (hf.automatic_speech_recognition, hf.audio_classification, hf.audio_to_audio):
        request = build("m/x", wav())
        assert request.check(LIMITS) is None
        assert request.content_type == "audio/wav"
