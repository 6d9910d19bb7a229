"""Vision and audio: classify an image, transcribe a recording, and speak a sentence to a file.
The image and the recording are made here (a PNG and a WAV), so the example needs no files."""

from __future__ import annotations

import asyncio
import io
import struct
import sys
import tempfile
import wave
import zlib
from pathlib import Path

from returns.result import Failure, Success

import hf_pure as hf


def tiny_png(width: int = 4, height: int = 4) -> bytes:
    """A small grey PNG."""
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def tiny_wav(seconds: float = 0.5, rate: int = 16000) -> bytes:
    """Half a second of silence as a WAV."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()


async def main(runner: hf.Runner, folder: Path) -> Path | None:
    match await runner.run(hf.image_classification("google/vit-base-patch16-224", tiny_png())):
        case Success(labels):
            print("image:", ", ".join(f"{label.label} {label.score:.2f}" for label in labels[:3]))
        case Failure(error):
            print(f"[image: {error.message}]")
    match await runner.run(hf.automatic_speech_recognition("openai/whisper-large-v3", tiny_wav())):
        case Success(transcript):
            print(f"transcript: {transcript.text!r}")
        case Failure(error):
            print(f"[transcript: {error.message}]")
    match await runner.run(hf.text_to_speech("facebook/mms-tts-eng", "Hello from hf_pure.")):
        case Success(speech):
            match hf.save_audio(speech, folder / "hello"):
                case Success(path):
                    print(f"speech: {len(speech.audio)} bytes of {speech.content_type} in {path}")
                    return Path(path)
                case Failure(error):
                    print(f"[saving: {error.message}]")
        case Failure(error):
            print(f"[speech: {error.message}]")
    return None


async def _cli() -> None:
    async with hf.runner_for(real=hf.use_real_service(sys.argv[1:])) as runner:
        with tempfile.TemporaryDirectory() as folder:
            await main(runner, Path(folder))


if __name__ == "__main__":
    asyncio.run(_cli())
