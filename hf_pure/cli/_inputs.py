"""Where a command's input comes from: an argument, stdin, the lines of a file, a media file.
Nothing here raises for what a user can do; a problem is a :class:`~._out.Fail` or a
:class:`~._out.UsageError`."""

from __future__ import annotations

import sys

from returns.result import Failure

from hf_pure.core.errors import InvalidInput
from hf_pure.shell.files import read_media

from ._out import Fail, UsageError


def stdin_is_terminal() -> bool:
    try:
        return bool(sys.stdin is not None and sys.stdin.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def decoded(data: bytes, where: str) -> str:
    """``data`` as UTF-8 text, or Fail naming ``where`` and the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = exc.start
        raise Fail(
            InvalidInput(where, f"is not valid UTF-8 text (byte 0x{data[at]:02x} at {at})")
        ) from None


def read_stdin() -> str:
    """All of stdin as text."""
    stream = sys.stdin
    if stream is None:
        return ""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return decoded(buffer.read(), "stdin")
    try:
        return stream.read()
    except UnicodeDecodeError:
        raise Fail(InvalidInput("stdin", "is not valid UTF-8 text")) from None


def text_or_stdin(value: str | None, name: str) -> str:
    """The text argument, else all of stdin (when it isn't a terminal), trailing newline off."""
    if value is not None:
        return value
    if stdin_is_terminal():
        raise UsageError(f"give the {name} as an argument, or pipe it on stdin")
    text = read_stdin().rstrip("\r\n")
    if not text.strip():
        raise UsageError(f"stdin was empty: give the {name} as an argument, or pipe it on stdin")
    return text


def lines_of(path: str) -> list[str]:
    """The non-blank lines of the file at ``path`` (``-``: stdin), line ends off."""
    if path == "-":
        content = read_stdin()
    else:
        read = read_media(path)
        if isinstance(read, Failure):
            raise Fail(read.failure())
        content = decoded(read.unwrap(), "file")
    return [line for line in content.splitlines() if line.strip()]


def media_file(path: str) -> bytes:
    """The bytes of an image or audio file, or Fail saying why it can't be read."""
    read = read_media(path)
    if isinstance(read, Failure):
        raise Fail(read.failure())
    return read.unwrap()
