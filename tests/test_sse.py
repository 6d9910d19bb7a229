"""The incremental SSE decoder: examples, and properties over arbitrary splits and bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hf_pure.core import sse
from hf_pure.core.sse import SseEvent


def decode_all(pieces: list[bytes]) -> list[SseEvent]:
    tail = b""
    out: list[SseEvent] = []
    for piece in pieces:
        tail, events = sse.feed(tail, piece)
        out.extend(events)
    out.extend(sse.flush(tail))
    return out


def test_single_data_event() -> None:
    assert decode_all([b"data: {}\n\n"]) == [SseEvent(b"{}")]


def test_data_without_space_and_crlf() -> None:
    events = decode_all([b'data:{"a":1}\r\n\r\ndata: [DONE]\r\n\r\n'])
    assert [e.data for e in events] == [b'{"a":1}', b"[DONE]"]


def test_lone_cr_line_endings() -> None:
    assert [e.data for e in decode_all([b"data: x\r\rdata: y\r\r"])] == [b"x", b"y"]


def test_only_one_leading_space_is_removed() -> None:
    assert decode_all([b"data:  two spaces\n\n"])[0].data == b" two spaces"


def test_multiline_data_is_joined_with_newlines() -> None:
    assert decode_all([b"data: a\ndata: b\ndata:\n\n"])[0].data == b"a\nb\n"


def test_comments_and_fields() -> None:
    stream = b': keep-alive\n\nevent: error\nid: 7\nretry: 1500\ndata: {"x": 1}\n\n'
    assert decode_all([stream]) == [SseEvent(b'{"x": 1}', "error", "7", 1500)]


def test_comment_only_block_dispatches_nothing() -> None:
    assert decode_all([b": ping\n\n: pong\n\n"]) == []


def test_unknown_fields_and_bad_retry_are_ignored() -> None:
    events = decode_all([b"hello world\nretry: soon\nfoo: bar\ndata: ok\n\n"])
    assert events == [SseEvent(b"ok")]


def test_event_split_across_reads_including_crlf() -> None:
    assert decode_all([b"da", b"ta: hel", b"lo\r", b"\n\r", b"\n"]) == [SseEvent(b"hello")]


def test_tail_keeps_incomplete_event() -> None:
    tail, events = sse.feed(b"", b"data: 1\n\ndata: 2")
    assert [e.data for e in events] == [b"1"]
    assert tail == b"data: 2"


def test_flush_dispatches_complete_lines_only() -> None:
    assert sse.flush(b"data: whole\n") == [SseEvent(b"whole")]
    assert sse.flush(b"data: whole\ndata: hal") == [SseEvent(b"whole")]
    assert sse.flush(b"data: half") == []


def test_id_with_nul_is_ignored() -> None:
    assert decode_all([b"id: a\x00b\ndata: x\n\n"]) == [SseEvent(b"x", "message", None, None)]


# ---------------------------------------------------------------- properties

_line_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"),
    max_size=30,
)
_event = st.builds(
    lambda data_lines, name, comment: (data_lines, name, comment),
    st.lists(_line_text, min_size=1, max_size=3),
    st.one_of(st.none(), st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
    st.booleans(),
)


def _encode(events: list[tuple[list[str], str | None, bool]], eol: bytes, space: bool) -> bytes:
    out = b""
    for data_lines, name, comment in events:
        if comment:
            out += b": comment" + eol
        if name:
            out += b"event: " + name.encode() + eol
        for line in data_lines:
            out += b"data:" + (b" " if space else b"") + line.encode() + eol
        out += eol
    return out


def _expected(events: list[tuple[list[str], str | None, bool]], space: bool) -> list[SseEvent]:
    result = []
    for data_lines, name, _ in events:
        lines = [line[1:] if not space and line.startswith(" ") else line for line in data_lines]
        result.append(SseEvent("\n".join(lines).encode(), name or "message"))
    return result


@settings(max_examples=300)
@given(
    events=st.lists(_event, max_size=6),
    eol=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    space=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_any_split_of_a_valid_stream_decodes_to_the_same_events(
    events: list[tuple[list[str], str | None, bool]],
    eol: bytes,
    space: bool,
    cuts: list[int],
) -> None:
    stream = _encode(events, eol, space)
    points = sorted({min(c, len(stream)) for c in cuts})
    pieces = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    assert decode_all(pieces) == _expected(events, space)
    assert decode_all([stream]) == _expected(events, space)


@settings(max_examples=500)
@given(st.lists(st.binary(max_size=64), max_size=10))
def test_arbitrary_bytes_never_raise(pieces: list[bytes]) -> None:
    events = decode_all(pieces)
    assert all(isinstance(e.data, bytes) for e in events)


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=200))
def test_split_point_does_not_change_arbitrary_input(blob: bytes, cut: int) -> None:
    cut = min(cut, len(blob))
    assert decode_all([blob[:cut], blob[cut:]]) == decode_all([blob])


# ---------------------------------------------------------------- the per-token path


def decode_lean(pieces: list[bytes]) -> list[SseEvent]:
    """``feed_lean`` over ``pieces``, its bare data bytes read as the plain events they are."""
    tail = b""
    out: list[SseEvent] = []
    for piece in pieces:
        tail, items = sse.feed_lean(tail, piece)
        out.extend(i if isinstance(i, SseEvent) else SseEvent(i) for i in items)
    out.extend(sse.flush(tail))
    return out


def reference(stream: bytes) -> list[SseEvent]:
    """Events by the rules of the WHATWG event-stream format, line by line (data and event
    type only: the streams below have no id or retry fields)."""
    out: list[SseEvent] = []
    data: list[bytes] = []
    kind = b""
    for line in stream.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"):
        if not line:  # dispatch
            if data:
                out.append(SseEvent(b"\n".join(data), kind.decode() or "message"))
            data, kind = [], b""
            continue
        if line.startswith(b":"):
            continue
        name, colon, value = line.partition(b":")
        if colon and value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            data.append(value)
        elif name == b"event":
            kind = value
    return out


_payload = st.sampled_from([b"{}", b'{"a": 1}', b"[DONE]", b"", b" x", b"data: y", b"\xff"])
_line = st.one_of(
    _payload.map(lambda p: b"data: " + p),
    _payload.map(lambda p: b"data:" + p),
    st.sampled_from([b"data", b": ping", b"event: error", b"retry: soon", b"noise", b""]),
)
# mostly single-line data events, as streams are, with the odd one that isn't
_block = st.one_of(
    _payload.map(lambda p: [b"data: " + p]),
    _payload.map(lambda p: [b"data: " + p]),
    _payload.map(lambda p: [b"data:" + p]),
    st.lists(_line, min_size=1, max_size=3),
)


@settings(max_examples=400)
@given(
    blocks=st.lists(_block, max_size=8),
    eol=st.sampled_from([b"\n", b"\n", b"\r\n"]),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=6),
)
def test_the_lean_path_reads_plain_runs_as_the_rules_say(
    blocks: list[list[bytes]], eol: bytes, cuts: list[int]
) -> None:
    stream = b"".join(eol.join(lines) + eol + eol for lines in blocks)
    points = sorted({min(c, len(stream)) for c in cuts})
    pieces = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    assert decode_lean(pieces) == reference(stream)
    assert decode_lean([stream]) == reference(stream)


def test_plain_runs_with_and_without_the_space() -> None:
    assert sse.feed_lean(b"", b"data:{}\n\ndata:[]\n\ndata:") == (b"data:", [b"{}", b"[]"])
    # the space after the colon is removed once, whichever event has it
    assert decode_lean([b"data:a\n\ndata: b\n\n"]) == [SseEvent(b"a"), SseEvent(b"b")]
    assert decode_lean([b"data: a\n\ndata:b\n\n"]) == [SseEvent(b"a"), SseEvent(b"b")]
    assert decode_lean([b"data: a\n\n\ndata: b\n\n"]) == [SseEvent(b"a"), SseEvent(b"b")]
    assert decode_lean([b"data: a\ndata: b\n\ndata: c\n\n"]) == [
        SseEvent(b"a\nb"),
        SseEvent(b"c"),
    ]
