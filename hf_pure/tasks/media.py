"""Media inputs for the vision and audio tasks, as data: the content type sniffed from the
bytes' magic numbers, base64 text and ``data:`` URLs decoded, and nothing read from a file.

An image or a piece of audio reaches a builder as ``bytes`` (or ``bytearray``/``memoryview``),
as base64 text, or as a ``data:`` URL (``data:image/png;base64,...``). :func:`media_input`
turns any of them into the bytes plus their content type, sniffed from the first bytes:

- images: PNG, JPEG, GIF, WebP, BMP, TIFF;
- audio: WAV, FLAC, MP3 (an ID3 tag or an MPEG frame sync), OGG, WebM, M4A (MP4 audio).

What can't be sent (bad base64, bytes of no known format, audio given to an image task, a file
path) is kept as :class:`~hf_pure.tasks.options.Unsendable`, which ``check()`` reports as
``InvalidInput("inputs", ...)``: builders never raise for data. Reading a file is IO, so it is
the shell's (``hf.read_media(path)``, :mod:`hf_pure.shell.files`). A format this module doesn't
know can still be sent by naming its type (``content_type="image/avif"``).
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias
from urllib.parse import unquote_to_bytes

from hf_pure.tasks.options import Unsendable

Family: TypeAlias = Literal["image", "audio"]
#: What a builder takes as an image or as audio.
MediaInput: TypeAlias = bytes | bytearray | memoryview | str

IMAGE_TYPES: Final = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}
)
AUDIO_TYPES: Final = frozenset(
    {"audio/wav", "audio/flac", "audio/mpeg", "audio/ogg", "audio/webm", "audio/mp4"}
)
_NAMES: Final = MappingProxyType(
    {
        "image": "PNG, JPEG, GIF, WebP, BMP or TIFF",
        "audio": "WAV, FLAC, MP3, OGG, WebM or M4A",
    }
)

#: The file extension for a content type (the usual name and its common aliases).
EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/jpg": ".jpg",
        "image/gif": ".gif",
        "image/webp": ".webp",
        "image/bmp": ".bmp",
        "image/x-ms-bmp": ".bmp",
        "image/tiff": ".tiff",
        "audio/wav": ".wav",
        "audio/wave": ".wav",
        "audio/x-wav": ".wav",
        "audio/vnd.wave": ".wav",
        "audio/flac": ".flac",
        "audio/x-flac": ".flac",
        "audio/mpeg": ".mp3",
        "audio/mp3": ".mp3",
        "audio/ogg": ".ogg",
        "audio/opus": ".opus",
        "audio/webm": ".webm",
        "audio/mp4": ".m4a",
        "audio/x-m4a": ".m4a",
        "audio/aac": ".aac",
        "audio/l16": ".pcm",
        "audio/pcm": ".pcm",
    }
)

_BMP_DIB_SIZES: Final = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
#: ISO base media ``ftyp`` brands that hold audio (M4A, and the generic MP4 brands).
_MP4_BRANDS: Final = frozenset(
    {b"M4A ", b"M4B ", b"M4P ", b"mp41", b"mp42", b"isom", b"iso2", b"iso5", b"iso6", b"dash"}
)


# --------------------------------------------------------------------------- sniffing


def _mp3(data: bytes) -> bool:
    if data[:3] == b"ID3":  # an ID3v2 tag: version 2-4, then four 7-bit size bytes
        return (
            len(data) >= 10
            and data[3] in (2, 3, 4)
            and data[4] != 0xFF
            and all(b < 0x80 for b in data[6:10])
        )
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return False
    version = (data[1] >> 3) & 3  # 1 is reserved
    layer = (data[1] >> 1) & 3  # 0 is reserved (and is AAC's ADTS)
    bitrate = data[2] >> 4  # 15 is invalid
    rate = (data[2] >> 2) & 3  # 3 is reserved
    return version != 1 and layer != 0 and bitrate != 15 and rate != 3


def _bmp(data: bytes) -> bool:
    return (
        len(data) >= 18
        and data[:2] == b"BM"
        and int.from_bytes(data[14:18], "little") in _BMP_DIB_SIZES
    )


def _image_type(data: bytes) -> str | None:
    head = data[:16]
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:15] == b"VP8":
        return "image/webp"
    if head[:4] in (b"II*\x00", b"MM\x00*") and len(head) >= 8:
        return "image/tiff"
    if _bmp(data):
        return "image/bmp"
    return None


def _audio_type(data: bytes) -> str | None:
    head = data[:12]
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"fLaC" and len(head) >= 8 and head[4] & 0x7F == 0:  # STREAMINFO first
        return "audio/flac"
    if head[:4] == b"OggS" and len(head) >= 5 and head[4] == 0:
        return "audio/ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in data[:64]:  # EBML, DocType webm
        return "audio/webm"
    if head[4:8] == b"ftyp" and head[8:12] in _MP4_BRANDS:
        return "audio/mp4"
    if _mp3(data):
        return "audio/mpeg"
    return None


def sniff(data: bytes | bytearray | memoryview) -> str | None:
    """The content type of ``data`` from its magic bytes (any format above), or None.

    A prefix shorter than a format's whole signature is not that format (a truncated header is
    unknown, never a guess)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        return None
    data = bytes(data[:64])
    return _image_type(data) or _audio_type(data)


def sniff_image(data: bytes | bytearray | memoryview) -> str | None:
    """The image type of ``data`` (PNG, JPEG, GIF, WebP, BMP, TIFF), or None."""
    found = sniff(data)
    return found if found in IMAGE_TYPES else None


def sniff_audio(data: bytes | bytearray | memoryview) -> str | None:
    """The audio type of ``data`` (WAV, FLAC, MP3, OGG, WebM, M4A), or None."""
    found = sniff(data)
    return found if found in AUDIO_TYPES else None


def extension_for(content_type: str) -> str | None:
    """The file extension (``".flac"``) for a content type (parameters ignored), or None."""
    if not isinstance(content_type, str):
        return None
    return EXTENSIONS.get(content_type.split(";", 1)[0].strip().lower())


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG, GIF or BMP header, or None (other formats, or a header
    too short to say)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if _bmp(data) and len(data) >= 26:
        if int.from_bytes(data[14:18], "little") == 12:
            return int.from_bytes(data[18:20], "little"), int.from_bytes(data[20:22], "little")
        width = int.from_bytes(data[18:22], "little", signed=True)
        height = int.from_bytes(data[22:26], "little", signed=True)
        return abs(width), abs(height)
    return None


# --------------------------------------------------------------------------- decoding inputs


_SPACES: Final = b" \t\r\n\f\v"


def decode_base64(text: str) -> bytes | None:
    """Standard base64 (padding required; ASCII whitespace between the characters ignored),
    or None when ``text`` is not base64."""
    if not text.isascii():
        return None
    raw = text.encode("ascii").translate(None, _SPACES)
    try:
        return binascii.a2b_base64(raw, strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def _from_data_url(url: str) -> tuple[bytes, str] | Unsendable:
    """The bytes of a ``data:`` URL and the media type it declares ("" when none)."""
    header, comma, payload = url[5:].partition(",")
    if not comma:
        return Unsendable("is a data URL without a comma before its data")
    parts = header.split(";")
    declared = parts[0].strip().lower()
    if "base64" in (p.strip().lower() for p in parts[1:]):
        data = decode_base64(payload)
        if data is None:
            return Unsendable("is a data URL whose data is not valid base64")
        return data, declared
    try:
        return unquote_to_bytes(payload), declared
    except (TypeError, ValueError):  # pragma: no cover - unquote_to_bytes takes any str
        return Unsendable("is a data URL whose data can't be read")


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02x}" for b in data[:8]) or "nothing"


def _looks_like_path(text: str) -> bool:
    return (
        "/" in text[:1] or "\\" in text or text[:2] in ("./", "~/") or "." in text[-6:]
    ) and not text.startswith("data:")


def _from_text(text: str) -> bytes | Unsendable:
    if text.startswith(("http://", "https://")):
        return Unsendable("is a URL: URLs are not fetched here; download the bytes and pass them")
    data = decode_base64(text)
    if data is not None:
        return data
    if _looks_like_path(text):
        return Unsendable(
            "is text that is neither base64 nor a data URL (it looks like a file path: read "
            "the file with hf.read_media(path) and pass the bytes)"
        )
    return Unsendable("is text that is neither valid base64 nor a data URL")


def _check_content_type(content_type: object) -> str | Unsendable:
    if type(content_type) is not str:
        return Unsendable(
            f"must be a media type such as 'image/png', got {type(content_type).__name__}",
            "content_type",
        )
    kind, slash, sub = content_type.partition("/")
    if not (slash and kind and sub and content_type.isascii() and content_type.isprintable()):
        return Unsendable(
            f"must be a media type such as 'image/png', got {content_type!r}", "content_type"
        )
    return content_type


def _as_bytes(value: Any) -> bytes | Unsendable:
    if type(value) is bytes:
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if type(value) is str:
        if not value.startswith("data:"):
            return _from_text(value)
        got = _from_data_url(value)
        return got if isinstance(got, Unsendable) else got[0]
    if hasattr(value, "__fspath__"):  # a path: reading it is the shell's
        return Unsendable(
            f"is a {type(value).__name__}: read the file with hf.read_media(path) and pass "
            "the bytes (reading a file is IO, which the request builders don't do)"
        )
    return Unsendable(f"must be bytes, base64 text or a data URL, got {type(value).__name__}")


def media_input(
    value: Any, family: Family, content_type: str | None = None
) -> tuple[bytes | Unsendable, str | None]:
    """``value`` (bytes, base64 text or a data URL) as the bytes to send and their content type.

    The type is sniffed from the bytes (a data URL's declared type is not trusted over them);
    ``content_type``, when given, is used as it is and nothing is sniffed. Whatever can't be
    sent comes back as :class:`Unsendable` (and a None type). Never raises."""
    data = _as_bytes(value)
    if isinstance(data, Unsendable):
        return data, None
    if not data:
        return Unsendable("is empty (no bytes)"), None
    if content_type is not None:
        checked = _check_content_type(content_type)
        return (checked, None) if isinstance(checked, Unsendable) else (data, content_type)
    found = sniff(data)
    what = "an image" if family == "image" else "audio"
    if found is not None and found.startswith(family + "/"):
        return data, found
    if found is not None:
        return Unsendable(f"looks like {found}, not {what}"), None
    reason = (
        f"is not {what} in a format recognised here ({_NAMES[family]}): it starts with "
        f"{_hex(data)}; pass content_type= to send another format"
    )
    return Unsendable(reason), None


__all__ = [
    "AUDIO_TYPES",
    "EXTENSIONS",
    "IMAGE_TYPES",
    "Family",
    "MediaInput",
    "decode_base64",
    "extension_for",
    "image_size",
    "media_input",
    "sniff",
    "sniff_audio",
    "sniff_image",
]
