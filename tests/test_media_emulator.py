"""Round trips of every vision and audio task through the runner and the loopback emulator:
what went on the wire (raw bytes with their type, or base64 JSON), that the answers are the
documented shapes, deterministic and derived from the input, and that the reliable runner
serves a repeated cacheable vision request from its cache."""

from __future__ import annotations

import base64
import io
import itertools
import re
import struct
import wave
import zlib
from typing import Any

from conftest import failure_of
from media_samples import JPEG, png, wav
from toolz import pipe

import hf_pure as hf
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.testing import Emulator

VIT = "google/vit-base-patch16-224"
DETR = "facebook/detr-resnet-50"
YOLOS = "hustvl/yolos-tiny"
BLIP = "Salesforce/blip-image-captioning-large"
VIT_GPT2 = "nlpconnect/vit-gpt2-image-captioning"
CLIP = "openai/clip-vit-large-patch14"
SEGFORMER = "nvidia/segformer-b0-finetuned-ade-512-512"
WHISPER = "openai/whisper-large-v3"
MMS = "facebook/mms-tts-eng"
VITS = "espnet/kan-bayashi_ljspeech_vits"
HUBERT = "superb/hubert-large-superb-er"
SEPFORMER = "speechbrain/sepformer-wham"


async def run(runner: hf.Runner, request: Any) -> Any:
    result = await runner.run(request)
    return result.unwrap()


def sent(emulator: Emulator) -> Any:
    """The last request the emulator received."""
    return emulator.requests[-1]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_pixels(data: bytes) -> bytes:
    """The 8-bit grayscale pixels of a PNG mask (filter type 0 rows)."""
    width, height = png_size(data)
    idat = b""
    at = 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    assert len(raw) == height * (width + 1)
    rows = [raw[y * (width + 1) : (y + 1) * (width + 1)] for y in range(height)]
    assert all(row[0] == 0 for row in rows)
    return b"".join(row[1:] for row in rows)


# -- vision --------------------------------------------------------------------------------


async def test_image_classification_raw_and_base64(runner: hf.Runner, emulator: Emulator) -> None:
    labels = await run(runner, hf.image_classification(VIT, png()))
    seen = sent(emulator)
    assert seen.path == f"/hf-inference/models/{VIT}"
    assert seen.header("content-type") == "image/png" and seen.body == png()
    assert len(labels) == 5 and all(isinstance(x, hf.ImageLabel) for x in labels)
    scores = [x.score for x in labels]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.0001
    top = await run(runner, hf.image_classification(VIT, png(), top_k=2))
    body = sent(emulator).json()
    assert sent(emulator).header("content-type") == "application/json"
    assert base64.b64decode(body["inputs"]) == png() and body["parameters"] == {"top_k": 2}
    assert top == labels[:2]  # the same image, the same answer, whichever way it travelled


async def test_answers_are_derived_from_the_bytes(runner: hf.Runner) -> None:
    a = await run(runner, hf.image_classification(VIT, png(2, 2)))
    again = await run(runner, hf.image_classification(VIT, png(2, 2)))
    others = [await run(runner, hf.image_classification(VIT, png(w, 3))) for w in (1, 3, 5, 7)]
    assert a == again
    assert any(other != a for other in others)


async def test_object_detection_boxes_lie_inside_the_image(runner: hf.Runner) -> None:
    for width, height in ((64, 48), (5, 300), (1000, 20)):
        image = png(width, height)
        found = await run(runner, hf.object_detection(DETR, image, threshold=0.0))
        assert found, (width, height)
        for d in found:
            box = d.box
            assert 0 <= box.xmin <= box.xmax <= width and 0 <= box.ymin <= box.ymax <= height
            assert box.xmin == int(box.xmin)  # detr answers integer boxes
            assert 0.0 <= d.score <= 1.0 and d.label


async def test_detection_threshold_and_the_float_box_model(
    runner: hf.Runner, emulator: Emulator
) -> None:
    everything = await run(runner, hf.object_detection(DETR, png(40, 40), threshold=0.0))
    strict = await run(runner, hf.object_detection(DETR, png(40, 40), threshold=0.9))
    assert set(strict) <= set(everything)
    assert all(d.score >= 0.9 for d in strict)
    raw = await run(runner, hf.object_detection(DETR, png(40, 40)))
    assert sent(emulator).body == png(40, 40)
    assert all(d.score >= 0.5 for d in raw)  # the pipeline's default threshold
    floats = await run(runner, hf.object_detection(YOLOS, png(97, 31), threshold=0.0))
    assert floats and any(d.box.xmin != int(d.box.xmin) for d in floats)
    assert all(d.box.xmax <= 97 and d.box.ymax <= 31 for d in floats)


async def test_captions_in_both_reply_shapes(runner: hf.Runner, emulator: Emulator) -> None:
    listed = await run(runner, hf.image_to_text(BLIP, png(3, 4)))
    assert sent(emulator).json() is None  # the raw image, not JSON
    assert isinstance(listed, hf.Caption) and "3x4" in listed.text
    bare = await run(runner, hf.image_to_text(VIT_GPT2, png(3, 4)))
    assert bare == listed  # the other model answers {"generated_text"}: same value
    short = await run(runner, hf.image_to_text(BLIP, png(3, 4), max_new_tokens=2))
    assert short.text == " ".join(listed.text.split()[:2])
    jpeg = await run(runner, hf.image_to_text(BLIP, JPEG))
    assert sent(emulator).header("content-type") == "image/jpeg"
    assert not re.search(r"\d+x\d+", jpeg.text)  # no size read from a JPEG: none claimed


async def test_zero_shot_scores_every_candidate(runner: hf.Runner, emulator: Emulator) -> None:
    labels = ["a cat", "a dog", "a lighthouse"]
    found = await run(runner, hf.zero_shot_image_classification(CLIP, png(), labels))
    assert sent(emulator).json()["parameters"] == {"candidate_labels": labels}
    assert sorted(x.label for x in found) == sorted(labels)
    assert abs(sum(x.score for x in found) - 1.0) < 1e-4
    assert [x.score for x in found] == sorted((x.score for x in found), reverse=True)


async def test_segmentation_masks_are_pngs_of_the_image_size(runner: hf.Runner) -> None:
    segments = await run(runner, hf.image_segmentation(SEGFORMER, png(6, 4)))
    assert len(segments) >= 2
    covered = bytearray(6 * 4)
    for s in segments:
        assert s.score is None  # semantic segmentation gives no score
        assert png_size(s.mask) == (6, 4) and s.mask_size == (6, 4)
        pixels = png_pixels(s.mask)
        assert set(pixels) <= {0, 255} and 255 in pixels
        for i, p in enumerate(pixels):
            covered[i] += p == 255
    assert set(covered) == {1}  # the regions partition the image
    scored = await run(runner, hf.image_segmentation(SEGFORMER, png(6, 4), subtask="panoptic"))
    assert all(s.score is not None for s in scored)


async def test_inputs_the_service_would_refuse(runner: hf.Runner, emulator: Emulator) -> None:
    problem = failure_of(await runner.run(hf.image_classification(VIT, "cat.png")))
    assert isinstance(problem, hf.InvalidInput) and problem.field == "inputs"
    assert emulator.requests == []  # refused before anything was sent
    wrong = failure_of(
        await runner.run(hf.image_classification(VIT, wav(), content_type="image/png"))
    )
    assert isinstance(wrong, hf.BadRequest) and "audio/wav" in wrong.message


# -- audio ---------------------------------------------------------------------------------


def wav_info(data: bytes) -> tuple[int, int, int]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), w.getnframes(), w.getnchannels()


def flac_streaminfo(data: bytes) -> tuple[int, int, int, int]:
    """(sample rate, channels, bits per sample, total samples) from a FLAC STREAMINFO block,
    after checking the stream marker and the block header."""
    assert data[:4] == b"fLaC"
    assert data[4] & 0x7F == 0 and int.from_bytes(data[5:8], "big") == 34
    info = int.from_bytes(data[18:26], "big")
    return info >> 44, ((info >> 41) & 7) + 1, ((info >> 36) & 31) + 1, info & ((1 << 36) - 1)


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


async def test_speech_recognition_with_and_without_timestamps(
    runner: hf.Runner, emulator: Emulator
) -> None:
    audio = wav(2.0)
    heard = await run(runner, hf.automatic_speech_recognition(WHISPER, audio))
    assert sent(emulator).header("content-type") == "audio/wav" and sent(emulator).body == audio
    assert heard.text.strip() and heard.chunks == ()
    timed = await run(
        runner, hf.automatic_speech_recognition(WHISPER, audio, return_timestamps=True)
    )
    assert base64.b64decode(sent(emulator).json()["inputs"]) == audio
    assert timed.text == heard.text
    assert "".join(c.text for c in timed.chunks).strip() == heard.text.strip().rstrip(".").lower()
    ends = [(c.start, c.end) for c in timed.chunks]
    assert ends[0][0] == 0.0 and abs(ends[-1][1] - 2.0) < 0.01  # over the audio's 2 seconds
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ends))
    other = await run(runner, hf.automatic_speech_recognition(WHISPER, wav(1.0, frequency=300)))
    assert other.text != heard.text


async def test_text_to_speech_answers_flac_or_wav_as_each_model_does(
    runner: hf.Runner, emulator: Emulator
) -> None:
    flac = await run(runner, hf.text_to_speech(MMS, "Hello, lighthouse."))
    assert sent(emulator).json() == {"inputs": "Hello, lighthouse.", "parameters": {}}
    assert flac.content_type == "audio/flac" and flac.extension == ".flac"
    rate, channels, bits, total = flac_streaminfo(flac.audio)
    assert (rate, channels, bits) == (16_000, 1, 16) and total > 0
    first_frame = flac.audio[42:]
    assert first_frame[:2] == b"\xff\xf8"  # a frame sync right after STREAMINFO
    # every frame ends with the CRC-16 of itself, so the register is back at 0 after each one
    assert crc16(flac.audio[42:]) == 0
    assert crc16(flac.audio[42:-1]) != 0
    wav_speech = await run(runner, hf.text_to_speech(VITS, "Hello, lighthouse."))
    assert wav_speech.content_type == "audio/wav"
    wav_rate, frames, wav_channels = wav_info(wav_speech.audio)
    assert (wav_rate, wav_channels) == (16_000, 1) and frames == total
    longer = await run(runner, hf.text_to_speech(VITS, "Hello, lighthouse, again and again."))
    assert wav_info(longer.audio)[1] > frames


async def test_audio_classification(runner: hf.Runner) -> None:
    labels = await run(runner, hf.audio_classification(HUBERT, wav()))
    assert {x.label for x in labels} == {"neu", "hap", "ang", "sad"}
    assert abs(sum(x.score for x in labels) - 1.0) < 1e-4
    assert await run(runner, hf.audio_classification(HUBERT, wav(), top_k=1)) == labels[:1]


async def test_audio_to_audio_blobs_are_valid_wavs(runner: hf.Runner) -> None:
    audio = wav(0.5)
    sources = await run(runner, hf.audio_to_audio(SEPFORMER, audio))
    assert len(sources) == 2
    for source in sources:
        assert source.content_type == "audio/wav" and source.label
        assert wav_info(source.blob)[:2] == wav_info(audio)[:2]


async def test_an_image_sent_for_speech_is_refused_by_the_service_too(
    runner: hf.Runner,
) -> None:
    refused = failure_of(
        await runner.run(hf.automatic_speech_recognition(WHISPER, png(), content_type="audio/wav"))
    )
    assert isinstance(refused, hf.BadRequest)


# -- the reliable runner -------------------------------------------------------------------


async def test_a_repeated_cacheable_vision_request_is_served_from_the_cache(
    runner: hf.Runner, emulator: Emulator
) -> None:
    unlimited = BucketConfig(per_second=10_000.0, per_minute=None, per_hour=None)
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=unlimited))
    request = pipe(hf.image_classification(VIT, png(4, 4), top_k=3), hf.cacheable())
    first = (await reliable.run(request)).unwrap()
    same_image_as_text = pipe(
        hf.image_classification(VIT, base64.b64encode(png(4, 4)).decode(), top_k=3),
        hf.cacheable(),
    )
    second = (await reliable.run(same_image_as_text)).unwrap()
    assert first == second and len(first) == 3
    assert len(emulator.requests) == 1
    assert reliable.snapshot().metrics.cache_hits == 1
    uncached = hf.image_classification(VIT, png(4, 4), top_k=3)
    await reliable.run(uncached)
    assert len(emulator.requests) == 2  # not marked cacheable: sent again
