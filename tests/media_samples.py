"""Tiny valid media for the vision and audio tests, made in code from the formats' specs (no
binary files, and nothing shared with the emulator's own writers): a PNG via zlib, a WAV via
the wave module, and the opening bytes of every other format the client sniffs."""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG, red and blue pixels."""
    rows = b"".join(
        b"\x00"
        + b"".join(b"\xff\x00\x00" if (x + y) % 2 else b"\x00\x00\xff" for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def wav(seconds: float = 0.1, rate: int = 16_000, frequency: float = 440.0) -> bytes:
    """A valid mono 16-bit WAV holding a tone."""
    count = int(seconds * rate)
    samples = [int(8000 * math.sin(2 * math.pi * frequency * i / rate)) for i in range(count)]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{count}h", *samples))
    return out.getvalue()


def bmp(width: int = 2, height: int = 2) -> bytes:
    """A valid 24-bit BMP (BITMAPINFOHEADER)."""
    row = (b"\x00\x00\xff" * width).ljust((width * 3 + 3) // 4 * 4, b"\x00")
    pixels = row * height
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    header = struct.pack("<2sIHHI", b"BM", 14 + len(info) + len(pixels), 0, 0, 14 + len(info))
    return header + info + pixels


def gif(width: int = 2, height: int = 2) -> bytes:
    """A GIF89a: header, logical screen descriptor, colour table and one image block (its
    header is what the tests read)."""
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0x80, 0, 0)
        + b"\xff\x00\x00\x00\x00\x00"  # a two-entry colour table
        + b","
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x02\x02\x44\x01\x00;"
    )


# The opening bytes of each format, as each specification writes them (enough for sniffing).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d\x01\x2a"
TIFF_LE = b"II*\x00\x08\x00\x00\x00\x00\x00"
TIFF_BE = b"MM\x00*\x00\x00\x00\x08\x00\x00"
FLAC = b"fLaC\x80\x00\x00\x22" + b"\x10\x00\x10\x00" + b"\x00" * 30
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x21" + b"\x00" * 8
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 12  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
OGG = b"OggS\x00\x02" + b"\x00" * 8 + b"\x01\x00\x00\x00"
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"
)
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00"

IMAGES = {
    "image/png": png(),
    "image/jpeg": JPEG,
    "image/gif": gif(),
    "image/webp": WEBP,
    "image/bmp": bmp(),
    "image/tiff": TIFF_LE,
}
AUDIO = {
    "audio/wav": wav(),
    "audio/flac": FLAC,
    "audio/mpeg": MP3_ID3,
    "audio/ogg": OGG,
    "audio/webm": WEBM,
    "audio/mp4": M4A,
}
#: Another sample per format where the format has two openings.
MORE = {"image/tiff": TIFF_BE, "audio/mpeg": MP3_FRAME}

#: The shortest opening of each sample the client must recognise (what a truncation cuts into).
SIGNATURE_LENGTHS = {
    "image/png": 8,
    "image/jpeg": 3,
    "image/gif": 6,
    "image/webp": 15,
    "image/bmp": 18,
    "image/tiff": 8,
    "audio/wav": 12,
    "audio/flac": 8,
    "audio/mpeg": 10,
    "audio/ogg": 5,
    "audio/webm": WEBM.index(b"webm") + 4,  # the EBML magic and its DocType "webm"
    "audio/mp4": 12,
}

#: Bytes that look like a format but are not (one byte off, or another format in the same
#: container), each with what it nearly is.
NEAR_MISSES = {
    "PNG with a wrong last byte": b"\x89PNG\r\n\x1a\x0b" + b"\x00" * 16,
    "PNG without its high byte": b"PNG\r\n\x1a\n" + b"\x00" * 16,
    "JPEG missing the third marker byte": b"\xff\xd8\x00\xe0" + b"\x00" * 8,
    "GIF of a version that doesn't exist": b"GIF88a" + b"\x00" * 10,
    "RIFF holding AVI": b"RIFF\x24\x00\x00\x00AVI LIST" + b"\x00" * 8,
    "RIFF WEBP without a VP8 chunk": b"RIFF\x24\x00\x00\x00WEBPXXXX" + b"\x00" * 8,
    "BM text": b"BMW and Mercedes are cars, not bitmaps",
    "TIFF magic with the wrong order": b"II\x00*\x08\x00\x00\x00",
    "fLaC followed by a block that isn't STREAMINFO": b"fLaC\x04\x00\x00\x22" + b"\x00" * 8,
    "ID3 of version 255": b"ID3\xff\x00\x00\x00\x00\x00\x00",
    "ID3 with a size byte over 0x7f": b"ID3\x03\x00\x00\x80\x00\x00\x00",
    "AAC ADTS (MPEG sync, layer 0)": b"\xff\xf1\x50\x80" + b"\x00" * 8,
    "MPEG sync with a reserved version": b"\xff\xeb\x90\x64" + b"\x00" * 8,
    "MPEG sync with bitrate index 15": b"\xff\xfb\xf0\x64" + b"\x00" * 8,
    "OggS of version 1": b"OggS\x01\x02" + b"\x00" * 8,
    "EBML of Matroska, not WebM": b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska" + b"\x00" * 8,
    "ftyp of an AVIF image": b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00" + b"\x00" * 8,
    "text": b"hello, world",
    "JSON": b'{"inputs": "x"}',
}
