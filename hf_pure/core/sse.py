"""Incremental Server-Sent Events decoder: ``feed(tail, data) -> (tail, events)``.

Pure and total: any bytes in, never an exception. The caller keeps ``tail`` (the bytes of an
event not yet complete) between reads and passes it back with the next read, so an event may
be split across any read boundary. Handles ``\\n``, ``\\r\\n`` and ``\\r`` line ends, multi-line
``data``, comments, ``event``/``id``/``retry`` fields, and ``data:`` with or without the space.

At the end of the body call :func:`flush` with the last tail: a final event whose lines are
complete is dispatched (some servers omit the closing blank line); a half line is dropped.
"""

from __future__ import annotations

from typing import NamedTuple

DONE_DATA = b"[DONE]"


class SseEvent(NamedTuple):
    """One dispatched event. ``data`` stays bytes (JSON parsers take bytes)."""

    data: bytes
    event: str = "message"
    id: str | None = None
    retry: int | None = None


_new = tuple.__new__


def _field(line: bytes) -> tuple[bytes, bytes]:
    name, colon, value = line.partition(b":")
    if colon and value[:1] == b" ":
        value = value[1:]
    return name, value


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _block(block: bytes) -> SseEvent | None:
    """Parse one event block (lines without the blank separator); None if nothing to dispatch."""
    data_lines: list[bytes] = []
    event = "message"
    event_id: str | None = None
    retry: int | None = None
    for line in block.split(b"\n"):
        if not line or line[:1] == b":":
            continue
        name, value = _field(line)
        if name == b"data":
            data_lines.append(value)
        elif name == b"event":
            event = _text(value) or "message"
        elif name == b"id":
            if b"\x00" not in value:
                event_id = _text(value)
        elif name == b"retry" and value.isdigit():
            retry = int(value)
    if not data_lines:
        return None
    return SseEvent(b"\n".join(data_lines), event, event_id, retry)


def feed(tail: bytes, data: bytes) -> tuple[bytes, list[SseEvent]]:
    """Add ``data`` to the pending ``tail``; return the new tail and the complete events."""
    tail, items = feed_lean(tail, data)
    return tail, [item if isinstance(item, SseEvent) else plain_event(item) for item in items]


def feed_lean(tail: bytes, data: bytes) -> tuple[bytes, list[bytes | SseEvent]]:
    """:func:`feed` for the per-token path: a plain ``message`` event with one ``data`` line,
    which is nearly every event of a stream, comes as its data bytes alone; any other event
    as an :class:`SseEvent`. (One allocation fewer per token.)"""
    buf = tail + data if tail else data
    hold = b""
    # bytes.find, not `in`, on this path: `needle in buf` first tries the needle as an
    # integer and clears the TypeError (CPython 3.11), which costs more than the search.
    if buf.find(b"\r") >= 0:
        if buf[-1:] == b"\r":  # might be the first half of a \r\n split across reads
            buf, hold = buf[:-1], b"\r"
        buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    end = buf.rfind(b"\n\n")
    if end < 0:
        return buf + hold, []
    if buf.startswith(b"data:"):
        datas = _plain_datas(buf, end)
        if datas is not None:
            return buf[end + 2 :] + hold, datas  # type: ignore[return-value]
    return _feed_blocks(buf, hold)


def _plain_datas(buf: bytes, end: int) -> list[bytes] | None:
    """The data of every event in ``buf[:end]`` when each is one ``data:`` line (what nearly
    every read of a stream holds); None otherwise. Splitting on the separator and prefix at
    once finds them in one pass; the events were all single lines exactly when no newline is
    left in what the split gave."""
    if buf[5:6] == b" ":
        datas = buf[6:end].split(b"\n\ndata: ")
    else:  # "data:" without the space (TGI): a space after the colon would be removed
        datas = buf[5:end].split(b"\n\ndata:")
        if any(d[:1] == b" " for d in datas):
            return None
    if len(datas) == 1:
        return None if datas[0].find(b"\n") >= 0 else datas
    return None if b"".join(datas).find(b"\n") >= 0 else datas


def _feed_blocks(buf: bytes, hold: bytes) -> tuple[bytes, list[bytes | SseEvent]]:
    """:func:`feed_lean` for a read that holds other events than plain data lines."""
    blocks = buf.split(b"\n\n")
    rest = blocks.pop()
    items: list[bytes | SseEvent] = []
    append = items.append
    # One count over the buffer tells whether every block is a single line (the newlines are
    # exactly the separators); then a block starting with "data:" is a plain data event and
    # needs no line splitting.
    single_lines = buf.count(b"\n") - rest.count(b"\n") == 2 * len(blocks)
    for block in blocks:
        if single_lines and block.startswith(b"data:"):
            append(block[6:] if block.startswith(b"data: ") else block[5:])
        elif block:
            ev = _block(block)
            if ev is not None:
                append(ev)
    return rest + hold, items


def plain_event(data: bytes) -> SseEvent:
    """The SseEvent of a plain message event (what feed_lean gives as bare bytes)."""
    return _new(SseEvent, (data, "message", None, None))


def flush(tail: bytes) -> list[SseEvent]:
    """Events still pending at the end of the body (only whole lines count)."""
    text = tail.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not text.endswith(b"\n"):
        cut = text.rfind(b"\n")
        text = text[: cut + 1] if cut >= 0 else b""
    text = text.strip(b"\n")
    if not text:
        return []
    ev = _block(text)
    return [ev] if ev is not None else []
