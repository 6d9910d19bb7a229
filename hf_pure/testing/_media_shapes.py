"""The vision and audio reply shapes of WIRE.md as hypothesis strategies, with every alternate
shape a client must read, plus replies with exactly one field of the wrong JSON type and the
path of that field (so a test can check a decoder names it). Imports nothing of the client.

    from hf_pure.testing._media_shapes import MEDIA_KINDS, media_replies, wrong_typed

``media_replies(kind)`` gives valid replies; ``wrong_typed(kind)`` gives ``(reply, path)``
pairs. Kinds: the task names of :data:`MEDIA_KINDS`.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from hypothesis import strategies as st

SearchStrategy = st.SearchStrategy
Json = Any

_WORDS: Final = ("", "cat", "tabby, tabby cat", "sky", "speaker_0", "é", "\U0001f680", "neu")


def _png(width: int, height: int) -> bytes:
    rows = b"".join(
        b"\x00" + bytes((255 if (x + y) % 2 else 0) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _words() -> SearchStrategy[str]:
    return st.sampled_from(_WORDS)


def _score() -> SearchStrategy[float]:
    return st.floats(0, 1)


def _obj(
    required: dict[str, SearchStrategy[Json]], **optional: SearchStrategy[Json]
) -> SearchStrategy[dict[str, Json]]:
    return st.fixed_dictionaries(required, optional=optional)


def _labels() -> SearchStrategy[list[dict[str, Json]]]:
    return st.lists(_obj({"label": _words(), "score": _score()}), max_size=4)


def _classification() -> SearchStrategy[Json]:
    # flat, or nested once (a pipeline given a list of one answers [[...]])
    return _labels() | _labels().map(lambda labels: [labels])


def _coordinate() -> SearchStrategy[int | float]:
    return st.integers(0, 4096) | st.floats(0, 4096)  # integers from hf-inference; floats occur


def _box() -> SearchStrategy[dict[str, Json]]:
    return st.fixed_dictionaries({k: _coordinate() for k in ("xmin", "ymin", "xmax", "ymax")})


def _detections() -> SearchStrategy[Json]:
    return st.lists(_obj({"label": _words(), "score": _score(), "box": _box()}), max_size=3)


def _captions() -> SearchStrategy[Json]:
    item = _obj({"generated_text": _words()})
    return st.lists(item, min_size=1, max_size=2) | item


def _mask() -> SearchStrategy[str]:
    return st.tuples(st.integers(1, 4), st.integers(1, 4)).map(lambda wh: _b64(_png(*wh)))


def _segments() -> SearchStrategy[Json]:
    # semantic segmentation gives "score": null
    return st.lists(
        _obj({"score": st.none() | _score(), "label": _words(), "mask": _mask()}), max_size=3
    )


def _stamp() -> SearchStrategy[float | None]:
    return st.floats(0, 600) | st.integers(0, 600) | st.none()  # Whisper leaves the last end open


def _transcript() -> SearchStrategy[Json]:
    chunk = _obj(
        {"timestamp": st.tuples(_stamp(), _stamp()).map(list), "text": _words()}, speaker=_words()
    )
    return _obj({"text": _words()}, chunks=st.lists(chunk, max_size=3))


def _blobs() -> SearchStrategy[Json]:
    blob = st.sampled_from([b"RIFF\x24\x00\x00\x00WAVEfmt ", b"fLaC\x00\x00\x00\x22", b""]).map(
        _b64
    )
    item = _obj(
        {
            "label": _words(),
            "blob": blob,
            "content-type": st.sampled_from(["audio/flac", "audio/wav"]),
        }
    )
    return st.lists(item, max_size=3)


_SHAPES: Final[Mapping[str, Callable[[], SearchStrategy[Json]]]] = MappingProxyType(
    {
        "image-classification": _classification,
        "zero-shot-image-classification": _classification,
        "object-detection": _detections,
        "image-to-text": _captions,
        "image-segmentation": _segments,
        "automatic-speech-recognition": _transcript,
        "audio-classification": _classification,
        "audio-to-audio": _blobs,
    }
)
MEDIA_KINDS: Final = tuple(_SHAPES)


def media_replies(kind: str) -> SearchStrategy[Json]:
    """Valid replies of task ``kind``, in every shape WIRE.md and the recordings list."""
    return _SHAPES[kind]()


# --------------------------------------------------------------------------- wrong types

# The JSON type each field must have (from WIRE.md), by field name: a value of any other type
# there is wrong. "base64" is text that must also decode; "pair" is [number|null, number|null].
FIELD_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "label": "text",
        "score": "number",
        "box": "object",
        "xmin": "number",
        "ymin": "number",
        "xmax": "number",
        "ymax": "number",
        "generated_text": "text",
        "mask": "base64",
        "text": "text",
        "speaker": "text",
        "chunks": "array",
        "timestamp": "pair",
        "blob": "base64",
        "content-type": "text",
    }
)

_WRONG: Final[Mapping[str, SearchStrategy[Json]]] = MappingProxyType(
    {
        "text": st.integers() | st.booleans() | st.just([]) | st.just({"a": 1}),
        "number": st.sampled_from(["0.5", True, False, [], {}]) | st.integers(2**1001, 2**1100),
        "object": st.sampled_from(["box", 1, True, [1, 2, 3, 4]]),
        "array": st.sampled_from(["chunks", 1, True, {"a": 1}]),
        "base64": st.sampled_from(["!!!", "abc", "iVBORw0", 12, True, ["x"]]),
        "pair": st.sampled_from(["0-1", 1, [1], [1, 2, 3], ["a", 1], {"start": 0}]),
    }
)


def _places(value: Json, path: str = "") -> list[tuple[str, str, tuple[Any, ...]]]:
    """(path, field name, key path) of every typed field in a valid reply."""
    out: list[tuple[str, str, tuple[Any, ...]]] = []

    def walk(node: Json, at: str, keys: tuple[Any, ...]) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{at}[{i}]", (*keys, i))
        elif isinstance(node, dict):
            for name, item in node.items():
                where = f"{at}.{name}" if at else name
                if name in FIELD_TYPES:
                    out.append((where, name, (*keys, name)))
                if FIELD_TYPES.get(name) != "pair":
                    walk(item, where, (*keys, name))

    walk(value, path, ())
    return out


def _set(value: Json, keys: tuple[Any, ...], new: Json) -> Json:
    if not keys:
        return new
    head, rest = keys[0], keys[1:]
    if isinstance(value, dict):
        return {**value, head: _set(value[head], rest, new)}
    copy = list(value)
    copy[head] = _set(copy[head], rest, new)
    return copy


@st.composite
def _one_wrong(draw: Any, kind: str) -> tuple[Json, str]:
    value = draw(media_replies(kind).filter(lambda v: bool(_places(v))))
    where, name, keys = draw(st.sampled_from(_places(value)))
    return _set(value, keys, draw(_WRONG[FIELD_TYPES[name]])), where


def wrong_typed(kind: str) -> SearchStrategy[tuple[Json, str]]:
    """A valid reply of ``kind`` with one field replaced by a value of the wrong JSON type,
    and that field's path (``[0].box.xmin``, ``chunks[1].timestamp``): a decoder must answer
    MalformedResponse naming it."""
    return _one_wrong(kind)


__all__ = ["FIELD_TYPES", "MEDIA_KINDS", "media_replies", "wrong_typed"]
