"""The shell's media files (hf_pure.shell.files): reading a file to send never raises for the
file system's state, and saving audio picks the extension its content type calls for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from media_samples import FLAC, png, wav
from returns.result import Failure, Success

import hf_pure as hf


def invalid(result: object) -> hf.InvalidInput:
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, hf.InvalidInput) and error.field == "path", error
    return error


def test_a_file_is_read_and_its_bytes_make_a_request(tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(png())
    assert hf.read_media(path) == Success(png())
    assert hf.read_media(str(path)) == Success(png())
    request = hf.image_classification("google/vit-base-patch16-224", hf.read_media(path).unwrap())
    assert request.content_type == "image/png" and request.check(hf.Limits()) is None


def test_what_cant_be_read_is_a_failure_saying_why(tmp_path: Path) -> None:
    assert "no such file" in invalid(hf.read_media(tmp_path / "missing.png")).reason
    assert "directory" in invalid(hf.read_media(tmp_path)).reason
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert "empty" in invalid(hf.read_media(empty)).reason
    big = tmp_path / "big.wav"
    big.write_bytes(wav(0.1))
    assert "over the limit" in invalid(hf.read_media(big, max_bytes=100)).reason
    invalid(hf.read_media("a\x00b"))  # a NUL in the path: a ValueError, reported


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "not a regular file" in invalid(hf.read_media(fifo)).reason


def test_wrong_python_types_are_type_errors_naming_the_argument() -> None:
    with pytest.raises(TypeError, match="path"):
        hf.read_media(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="max_bytes"):
        hf.read_media("x", max_bytes=0)
    with pytest.raises(TypeError, match="Speech or AudioBlob"):
        hf.save_audio(b"fLaC", "x")  # type: ignore[arg-type]


def test_saved_audio_gets_the_extension_of_its_content_type(tmp_path: Path) -> None:
    speech = hf.Speech(audio=FLAC, content_type="audio/flac")
    written = hf.save_audio(speech, tmp_path / "hello").unwrap()
    assert written == tmp_path / "hello.flac" and written.read_bytes() == FLAC
    assert hf.save_audio(speech, tmp_path / "take.v2").unwrap().name == "take.v2.flac"
    same = hf.save_audio(speech, tmp_path / "kept.FLAC").unwrap()
    assert same.name == "kept.FLAC"
    blob = hf.AudioBlob(label="speaker_0", blob=wav(), content_type="audio/wav")
    assert hf.save_audio(blob, str(tmp_path / "voice")).unwrap().read_bytes() == wav()
    alias = hf.Speech(audio=wav(), content_type="audio/x-wav")
    assert hf.save_audio(alias, tmp_path / "a.wave").unwrap().name == "a.wave"


def test_a_misleading_extension_or_an_unknown_type_is_refused(tmp_path: Path) -> None:
    speech = hf.Speech(audio=FLAC, content_type="audio/flac")
    refused = invalid(hf.save_audio(speech, tmp_path / "hello.wav"))
    assert ".flac" in refused.reason and not (tmp_path / "hello.wav").exists()
    unknown = hf.Speech(audio=b"\x01\x02", content_type="application/octet-stream")
    assert "no known extension" in invalid(hf.save_audio(unknown, tmp_path / "x")).reason
    assert hf.save_audio(unknown, tmp_path / "x.pcm").unwrap().read_bytes() == b"\x01\x02"
    missing_dir = tmp_path / "no" / "such" / "dir" / "x"
    assert "no such file" in invalid(hf.save_audio(speech, missing_dir)).reason
