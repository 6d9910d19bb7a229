"""Media bytes for the emulator, written from the formats' specifications (no client code):
what a body is (magic numbers), how big an image is, and small valid PNG, WAV and FLAC files.

Users can make sample inputs with them too: ``png(2, 2)`` is a valid 2x2 PNG, ``wav(tone(440))``
a valid WAV with a 440 Hz tone, ``flac(tone(440))`` the same as FLAC.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import wave
import zlib
from collections.abc import Sequence

__all__ = [
    "audio_duration",
    "flac",
    "image_dimensions",
    "media_type",
    "png",
    "tone",
    "wav",
    "wav_samples",
]

#: (content type, offset, signature, further check) for each format the emulator knows.
_SIGNATURES: tuple[tuple[str, int, bytes], ...] = (
    ("image/png", 0, b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", 0, b"\xff\xd8\xff"),
    ("image/gif", 0, b"GIF87a"),
    ("image/gif", 0, b"GIF89a"),
    ("image/tiff", 0, b"II*\x00"),
    ("image/tiff", 0, b"MM\x00*"),
    ("audio/flac", 0, b"fLaC"),
    ("audio/ogg", 0, b"OggS\x00"),
)


_DIB = frozenset({12, 16, 40, 52, 56, 64, 108, 124})  # the BMP info header sizes


def _riff(body: bytes) -> str | None:
    if body[:4] != b"RIFF" and body[:4] != b"RF64":
        return None
    form = body[8:12]
    if form == b"WAVE":
        return "audio/wav"
    if form == b"WEBP" and body[:4] == b"RIFF" and body[12:15] == b"VP8":
        return "image/webp"
    return None


def _mpeg(body: bytes) -> str | None:
    if body[:3] == b"ID3" and len(body) >= 10 and 2 <= body[3] <= 4:
        return "audio/mpeg"
    if len(body) >= 4:
        word = int.from_bytes(body[:4], "big")
        sync, version, layer = word >> 21, (word >> 19) & 3, (word >> 17) & 3
        bitrate, rate = (word >> 12) & 15, (word >> 10) & 3
        if sync == 0x7FF and version != 1 and layer != 0 and bitrate != 15 and rate != 3:
            return "audio/mpeg"
    return None


def media_type(body: bytes) -> str | None:
    """The content type of ``body`` from its first bytes, or None."""
    for kind, offset, magic in _SIGNATURES:
        if body[offset : offset + len(magic)] == magic:
            if kind == "audio/flac" and len(body) < 8:
                continue
            if kind == "image/tiff" and len(body) < 8:
                continue
            return kind
    found = _riff(body) or _mpeg(body)
    if found:
        return found
    if body[:2] == b"BM" and len(body) >= 18 and struct.unpack_from("<I", body, 14)[0] in _DIB:
        return "image/bmp"
    if body[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in body[:64]:
        return "audio/webm"
    if body[4:8] == b"ftyp" and body[8:11] in (b"M4A", b"M4B", b"M4P", b"mp4", b"iso", b"das"):
        return "audio/mp4"
    return None


def image_dimensions(body: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG (its IHDR chunk), a GIF or a BMP, or None."""
    if body[:8] == b"\x89PNG\r\n\x1a\n" and body[12:16] == b"IHDR" and len(body) >= 24:
        return struct.unpack(">II", body[16:24])
    if body[:4] == b"GIF8" and len(body) >= 10:
        return struct.unpack("<HH", body[6:10])
    if body[:2] == b"BM" and len(body) >= 26:
        width, height = struct.unpack("<ii", body[18:26])
        return abs(width), abs(height)
    return None


# --------------------------------------------------------------------------- PNG


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(
    width: int, height: int, pixels: Sequence[int] | None = None, *, rgb: bool = False
) -> bytes:
    """A valid PNG: 8-bit grayscale (``pixels``: ``width * height`` values, row by row; all
    white when None), or RGB with ``rgb`` (pixels then are ``0xRRGGBB`` values)."""
    if width < 1 or height < 1:
        raise ValueError("a PNG is at least 1x1")
    values = list(pixels) if pixels is not None else [0xFFFFFF if rgb else 255] * (width * height)
    if len(values) != width * height:
        raise ValueError(f"expected {width * height} pixels, got {len(values)}")
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        row = values[y * width : (y + 1) * width]
        if rgb:
            for v in row:
                rows += bytes(((v >> 16) & 255, (v >> 8) & 255, v & 255))
        else:
            rows += bytes(v & 255 for v in row)
    header = struct.pack(">IIBBBBB", width, height, 8, 2 if rgb else 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows)))
        + _chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- audio


def tone(frequency: float, seconds: float = 0.25, rate: int = 16_000) -> list[int]:
    """16-bit samples of a sine tone (with a short fade in and out)."""
    count = max(1, int(seconds * rate))
    fade = max(1, min(count // 10, rate // 100))
    out = []
    for i in range(count):
        envelope = min(1.0, i / fade, (count - 1 - i) / fade) if count > 2 else 1.0
        out.append(int(9000 * envelope * math.sin(2 * math.pi * frequency * i / rate)))
    return out


def wav(samples: Sequence[int], rate: int = 16_000) -> bytes:
    """A valid mono 16-bit PCM WAV of ``samples``."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


def wav_samples(body: bytes) -> tuple[list[int], int] | None:
    """The samples (first channel) and rate of a 16-bit PCM WAV, or None."""
    try:
        with wave.open(io.BytesIO(body), "rb") as got:
            if got.getsampwidth() != 2:
                return None
            channels, rate = got.getnchannels(), got.getframerate()
            frames = got.readframes(got.getnframes())
    except (wave.Error, EOFError, ValueError, struct.error):
        return None
    values = struct.unpack(f"<{len(frames) // 2}h", frames[: len(frames) // 2 * 2])
    return list(values[::channels]), rate


def audio_duration(body: bytes) -> float | None:
    """Seconds of audio in a WAV or FLAC (from its header), or None."""
    if body[:4] == b"fLaC" and len(body) >= 26:
        info = int.from_bytes(body[18:26], "big")
        rate, total = info >> 44, info & ((1 << 36) - 1)
        return total / rate if rate else None
    try:
        with wave.open(io.BytesIO(body), "rb") as got:
            rate = got.getframerate()
            return got.getnframes() / rate if rate else None
    except (wave.Error, EOFError, ValueError, struct.error):
        return None


# FLAC (https://xiph.org/flac/format.html): the stream marker, a STREAMINFO block and frames of
# VERBATIM subframes: no compression, but every field and both CRCs as a decoder checks them.

_BLOCK = 4096


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def _coded_number(n: int) -> bytes:
    """A frame number in FLAC's UTF-8-like coding (1 to 7 bytes)."""
    if n < 0x80:
        return bytes((n,))
    count = next(c for c in range(2, 8) if n < 1 << (6 * (c - 1) + 7 - c))
    tail = []
    for _ in range(count - 1):
        tail.append(0x80 | (n & 0x3F))
        n >>= 6
    return bytes((((0xFF << (8 - count)) & 0xFF) | n, *reversed(tail)))


_RATE_CODES = {8000: 4, 16000: 5, 22050: 6, 24000: 7, 32000: 8, 44100: 9, 48000: 10, 96000: 11}


def _frame(number: int, block: Sequence[int], rate: int) -> bytes:
    rate_code = _RATE_CODES.get(rate, 0)
    header = bytearray(b"\xff\xf8")  # sync, reserved 0, fixed block size
    header.append((0b0111 << 4) | rate_code)  # block size: 16 bits at the end of the header
    header.append((0 << 4) | (0b100 << 1))  # mono, 16 bits per sample
    header += _coded_number(number)
    header += struct.pack(">H", len(block) - 1)
    header.append(_crc8(bytes(header)))
    subframe = b"\x02" + struct.pack(f">{len(block)}h", *block)  # 0 000001 0: VERBATIM
    frame = bytes(header) + subframe
    return frame + struct.pack(">H", _crc16(frame))


def flac(samples: Sequence[int], rate: int = 16_000) -> bytes:
    """A valid mono 16-bit FLAC stream of ``samples`` (rate one of the FLAC rate codes)."""
    if rate not in _RATE_CODES:
        raise ValueError(f"rate must be one of {sorted(_RATE_CODES)}, got {rate}")
    if not samples:
        raise ValueError("a FLAC stream here holds at least one sample")
    frames = [
        _frame(i, samples[start : start + _BLOCK], rate)
        for i, start in enumerate(range(0, len(samples), _BLOCK))
    ]
    sizes = [len(f) for f in frames]
    block_sizes = [min(_BLOCK, len(samples) - start) for start in range(0, len(samples), _BLOCK)]
    smallest_block = min(block_sizes[:-1]) if len(block_sizes) > 1 else block_sizes[0]
    pcm = struct.pack(f"<{len(samples)}h", *samples)
    info = (
        struct.pack(">HH", smallest_block, max(block_sizes))
        + min(sizes).to_bytes(3, "big")
        + max(sizes).to_bytes(3, "big")
        + ((rate << 44) | (0 << 41) | (15 << 36) | len(samples)).to_bytes(8, "big")
        + hashlib.md5(pcm, usedforsecurity=False).digest()
    )
    header = bytes((0x80,)) + len(info).to_bytes(3, "big")  # last block, STREAMINFO
    return b"fLaC" + header + info + b"".join(frames)
