"""Media files: reading an image or a piece of audio to send, saving audio that came back.

Reading and writing files is IO, so it lives here and not in the request builders, which take
bytes (``hf.image_classification(model, hf.read_media("cat.png").unwrap())``). Nothing here
raises for the state of the file system: a missing file, a directory, no permission or a file
too large is a ``Failure(InvalidInput("path", ...))`` saying which and why.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from returns.result import Failure, Result, Success

from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.tasks.audio import AudioBlob, Speech
from hf_pure.tasks.media import EXTENSIONS, extension_for

__all__ = ["DEFAULT_MAX_MEDIA_BYTES", "read_media", "save_audio"]

#: The largest file :func:`read_media` reads unless told otherwise (64 MiB: far above what the
#: hf-inference endpoints accept in one request).
DEFAULT_MAX_MEDIA_BYTES = 64 * 1024 * 1024

_KNOWN_SUFFIXES = frozenset(EXTENSIONS.values()) | {".jpeg", ".tif", ".wave", ".mp4", ".oga"}


def _problem(path: str | os.PathLike[str], reason: str) -> Failure[HfError]:
    return Failure(InvalidInput("path", f"{os.fspath(path)!r}: {reason}"))


def _why(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or type(exc).__name__


def read_media(
    path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_MEDIA_BYTES
) -> Result[bytes, HfError]:
    """The bytes of the file at ``path`` (an image or audio to send), or why it can't be read.

    Only regular files are read (a FIFO or a device is refused without blocking), and at most
    ``max_bytes`` of them (a bigger file is refused, not cut)."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"read_media(): path must be a str or a path, got {type(path).__name__}")
    if type(max_bytes) is not int or max_bytes < 1:
        raise TypeError(f"read_media(): max_bytes must be a positive int, got {max_bytes!r}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        return _problem(path, _why(exc) if isinstance(exc, OSError) else str(exc))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return _problem(path, "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            return _problem(path, "is not a regular file")
        if info.st_size > max_bytes:
            return _problem(path, f"is {info.st_size:,} bytes, over the limit of {max_bytes:,}")
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(max_bytes + 1)
    except OSError as exc:
        return _problem(path, _why(exc))
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew while we read it
        return _problem(path, f"is over the limit of {max_bytes:,} bytes")
    if not data:
        return _problem(path, "is empty")
    return Success(data)


def save_audio(audio: Speech | AudioBlob, path: str | os.PathLike[str]) -> Result[Path, HfError]:
    """Write ``audio`` (text-to-speech's :class:`Speech` or one audio-to-audio output) to
    ``path``, with the extension its content type calls for: added when ``path`` has none
    (``"hello"`` → ``hello.flac``); a media extension that disagrees with the content type
    (``hello.wav`` for FLAC) is refused rather than written misnamed. Returns the path
    written."""
    if isinstance(audio, Speech):
        data, content_type = audio.audio, audio.content_type
    elif isinstance(audio, AudioBlob):
        data, content_type = audio.blob, audio.content_type
    else:
        raise TypeError(f"save_audio(): expected Speech or AudioBlob, got {type(audio).__name__}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"save_audio(): path must be a str or a path, got {type(path).__name__}")
    target = Path(path)
    wanted = extension_for(content_type)
    suffix = target.suffix.lower()
    if suffix in _KNOWN_SUFFIXES:
        if wanted is not None and suffix != wanted and not _same(suffix, wanted):
            return _problem(
                path,
                f"ends in {suffix} but the audio is {content_type}: use {wanted}, or leave the "
                "extension off and it is added",
            )
    elif wanted is None:
        return _problem(
            path,
            f"the audio's type ({content_type or 'none given'}) has no known extension: "
            "give the path one",
        )
    else:
        target = target.with_name(target.name + wanted)
    try:
        target.write_bytes(data)
    except OSError as exc:
        return _problem(target, _why(exc))
    return Success(target)


_SAME: frozenset[frozenset[str]] = frozenset(
    {
        frozenset({".jpg", ".jpeg"}),
        frozenset({".tiff", ".tif"}),
        frozenset({".wav", ".wave"}),
        frozenset({".m4a", ".mp4"}),
        frozenset({".ogg", ".oga", ".opus"}),
    }
)


def _same(a: str, b: str) -> bool:
    return any(a in names and b in names for names in _SAME)
