"""Wire-shaped fuzz: every decoder and stream codec, fed the real reply shapes of WIRE.md with
fields replaced by arbitrary JSON, never raises, and every Failure is a specific HfError.

(Random bytes, which these replace, almost never got past the JSON parser.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.core import sse
from hf_pure.core.codec import loads
from hf_pure.core.errors import ErrorEvent, HfErrorBase
from hf_pure.core.http import raw_reply
from hf_pure.core.request import Broken, Done, conclude, decode_reply, ended_by
from hf_pure.core.sse import SseEvent
from hf_pure.tasks.chat_chunk import CHUNK_DECODER, chunk_from_json
from hf_pure.tasks.chat_reply import completion_strict
from hf_pure.tasks.chat_reply_read import completion_from_json
from hf_pure.tasks.chat_stream import CHAT_CODEC
from hf_pure.tasks.text_generation import TEXT_GENERATION_CODEC
from hf_pure.tasks.text_generation_reply import text_generation_from_json, text_generation_strict
from hf_pure.testing.strategies import (
    KINDS,
    edges,
    encode,
    sse_streams,
    valid,
    wire_bodies,
)

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STREAMS = settings(FUZZ, max_examples=50)  # a stream is several shapes: fewer suffice

CHAT = hf.chat("meta-llama/Llama-3.1-8B-Instruct", ["hi"])
TGI = hf.text_generation("gpt2", "hi")
ANY_BODY = st.sampled_from(KINDS).flatmap(wire_bodies)
STATUSES = st.sampled_from([200, 201, 400, 401, 404, 422, 429, 500, 503]) | st.just(200)

#: What a 2xx body the decoder can't read may be: only these, never a made-up status.
BODY_ERRORS = (hf.MalformedResponse, ErrorEvent)


def specific(error: object) -> None:
    assert isinstance(error, HfErrorBase)
    assert type(error) is not HfErrorBase
    assert isinstance(error.message, str) and error.message


def check_decoded(out: object, status: int) -> None:
    assert isinstance(out, Success | Failure)
    if isinstance(out, Failure):
        err = out.failure()
        specific(err)
        if 200 <= status < 300:
            assert isinstance(err, BODY_ERRORS)


# The rules of the readers, written out again from WIRE.md as predicates (an independent
# model): missing or null is fine; a present value must have its documented JSON type;
# integers fit 64 bits, numbers read as floats are finite.


Pred = Callable[[Any], bool]


def is_text(v: Any) -> bool:
    return v is None or type(v) is str


def is_int(v: Any) -> bool:
    return v is None or (type(v) is int and -(2**63) <= v < 2**64)


def is_number(v: Any) -> bool:
    return v is None or (type(v) is int and abs(v) <= 2**1000) or (type(v) is float and v - v == 0)


def is_flag(v: Any) -> bool:
    return v is None or type(v) is bool


def is_list_of(v: Any, ok: Any) -> bool:
    return v is None or (type(v) is list and all(ok(x) for x in v))


def is_obj(v: Any, **kinds: Any) -> bool:
    return type(v) is dict and all(ok(v.get(k)) for k, ok in kinds.items())


def is_opt_obj(**kinds: Any) -> Pred:
    return lambda v: v is None or is_obj(v, **kinds)


def chat_shape_ok(o: Any) -> bool:
    """True when a 2xx chat body is, by the rules, a readable completion."""
    top = is_opt_obj(token=is_text, logprob=is_number)
    token = is_opt_obj(token=is_text, logprob=is_number, top_logprobs=lambda v: is_list_of(v, top))
    part: Pred = lambda p: is_obj(p, type=is_text, text=is_text)  # noqa: E731
    call: Pred = lambda c: is_obj(  # noqa: E731
        c, id=is_text, type=is_text, function=is_opt_obj(name=is_text)
    )
    message: Pred = lambda m: is_obj(  # noqa: E731
        m,
        role=is_text,
        content=lambda c: is_text(c) or is_list_of(c, part),
        tool_calls=lambda t: is_list_of(t, call),
        reasoning_content=is_text,
        reasoning=is_text,
    )
    choice: Pred = lambda c: is_obj(  # noqa: E731
        c,
        index=is_int,
        finish_reason=is_text,
        message=message,
        logprobs=is_opt_obj(content=lambda v: is_list_of(v, lambda t: t is not None and token(t))),
    )
    usage = is_opt_obj(prompt_tokens=is_int, completion_tokens=is_int, total_tokens=is_int)
    return (
        type(o) is dict
        and not ("error" in o and "choices" not in o)
        and type(o.get("choices")) is list
        and all(choice(c) for c in o["choices"])
        and is_obj(o, id=is_text, model=is_text, created=is_int, system_fingerprint=is_text)
        and usage(o.get("usage"))
    )


@FUZZ
@given(body=wire_bodies("chat"), status=STATUSES)
def test_chat_decoder_is_total(body: bytes, status: int) -> None:
    out = decode_reply(CHAT, raw_reply(status, body))
    check_decoded(out, status)
    if 200 <= status < 300:  # read exactly what the rules say is readable: nothing converted
        assert isinstance(out, Success) == chat_shape_ok(loads(body)), body
    if isinstance(out, Success):
        answer = out.unwrap()
        assert isinstance(answer, hf.ChatCompletion)
        assert isinstance(answer.text, str)
        for choice, raw in zip(answer.choices, loads(body)["choices"], strict=True):
            content = raw["message"].get("content")
            if type(content) is str:
                assert choice.message.content == content
            assert all(type(c.arguments) is str for c in choice.message.tool_calls)
            assert all(type(lp.logprob) is float for lp in choice.logprobs)


def tgi_shape_ok(o: Any) -> bool:
    """True when a 2xx TGI body is, by the rules, a readable reply."""
    if type(o) is dict and "error" in o:
        return False
    item = o[0] if type(o) is list and o else o
    token: Pred = lambda t: is_obj(  # noqa: E731
        t, id=is_int, text=is_text, logprob=is_number, special=is_flag
    )
    tokens: Pred = lambda v: is_list_of(v, token)  # noqa: E731
    best: Pred = lambda b: is_obj(  # noqa: E731
        b, generated_text=is_text, finish_reason=is_text, generated_tokens=is_int, seed=is_int
    )
    details = is_opt_obj(
        finish_reason=is_text,
        generated_tokens=is_int,
        seed=is_int,
        prefill=tokens,
        tokens=tokens,
        best_of_sequences=lambda v: is_list_of(v, best),
    )
    return (
        type(item) is dict
        and type(item.get("generated_text")) is str
        and details(item.get("details"))
    )


@FUZZ
@given(body=wire_bodies("tgi"), status=STATUSES)
def test_text_generation_decoder_is_total(body: bytes, status: int) -> None:
    out = decode_reply(TGI, raw_reply(status, body))
    check_decoded(out, status)
    if 200 <= status < 300:
        assert isinstance(out, Success) == tgi_shape_ok(loads(body)), body
    if isinstance(out, Success):
        assert type(out.unwrap().generated_text) is str


@FUZZ
@given(body=wire_bodies("error"), status=STATUSES)
def test_error_bodies_map_to_specific_errors(body: bytes, status: int) -> None:
    for request in (CHAT, TGI):
        out = decode_reply(request, raw_reply(status, body))
        check_decoded(out, status)


def run_stream(codec: Any, datas: list[bytes], split: int) -> None:
    """The runner's path, without the sockets: SSE framing (split anywhere), the codec's
    batch decode, then conclude over the chunks, whatever ended the stream."""
    body = b"".join(b"data:" + d.replace(b"\n", b" ") + b"\n\n" for d in datas)
    tail, events = sse.feed_lean(b"", body[:split])
    tail, more = sse.feed_lean(tail, body[split:])
    events += more
    events += sse.flush(tail)
    chunks, ending = codec.events(events, "rid")
    folded = codec.fold(codec.start(), chunks)
    assert ending is None or isinstance(ending, Done | Broken | HfErrorBase)
    if isinstance(ending, HfErrorBase):
        specific(ending)
        specific(ended_by(folded, ending))  # type: ignore[arg-type]
    for complete in (True, False):
        out = conclude(codec, folded, complete=complete, reason="cut", request_id="rid")
        assert isinstance(out, Success | Failure)
        if isinstance(out, Failure):
            specific(out.failure())
    assert isinstance(codec.text(chunks), str)
    for event in events:  # one by one, as the codec's event() is also called
        item = codec.event(event if isinstance(event, SseEvent) else SseEvent(event), None)
        assert (
            item is None or isinstance(item, Done | Broken | HfErrorBase) or hasattr(item, "text")
        )


@STREAMS
@given(datas=sse_streams("chat_chunk"), split=st.integers(0, 400))
def test_chat_stream_codec_is_total(datas: list[bytes], split: int) -> None:
    run_stream(CHAT_CODEC, datas, split)
    answer = CHAT_CODEC.assemble(CHAT_CODEC.events(list(datas), None)[0])
    assert isinstance(answer, hf.ChatCompletion)


@STREAMS
@given(datas=sse_streams("tgi_event"), split=st.integers(0, 400))
def test_text_generation_stream_codec_is_total(datas: list[bytes], split: int) -> None:
    run_stream(TEXT_GENERATION_CODEC, datas, split)


@FUZZ
@given(ANY_BODY)
def test_any_shape_given_to_the_chat_and_tgi_decoders(body: bytes) -> None:
    """Other shapes (the other tasks' replies, error bodies, stream events) are well-formed JSON
    of the wrong shape: read by the rules, refused cleanly otherwise."""
    chat = decode_reply(CHAT, raw_reply(200, body))
    check_decoded(chat, 200)
    assert isinstance(chat, Success) == chat_shape_ok(loads(body))
    tgi = decode_reply(TGI, raw_reply(200, body))
    check_decoded(tgi, 200)
    assert isinstance(tgi, Success) == tgi_shape_ok(loads(body))


def chunk_shape_ok(o: Any) -> bool:
    """True when a chat stream event's JSON object is, by the rules, a readable chunk."""
    call: Pred = lambda d: is_obj(  # noqa: E731
        d, index=is_int, id=is_text, type=is_text, function=is_opt_obj(name=is_text)
    )
    delta = is_opt_obj(
        content=is_text,
        role=is_text,
        tool_calls=lambda v: is_list_of(v, call),
        reasoning_content=is_text,
        reasoning=is_text,
    )
    choice: Pred = lambda c: is_obj(c, index=is_int, finish_reason=is_text, delta=delta)  # noqa: E731
    return is_obj(
        o,
        id=is_text,
        model=is_text,
        created=is_int,
        choices=lambda v: is_list_of(v, choice),
        usage=is_opt_obj(prompt_tokens=is_int, completion_tokens=is_int, total_tokens=is_int),
    )


def tgi_event_ok(o: Any) -> bool:
    """True when a TGI stream event's JSON object is, by the rules, a readable chunk."""
    token = is_opt_obj(id=is_int, text=is_text, logprob=is_number, special=is_flag)
    return is_obj(o, index=is_int, generated_text=is_text, token=token) and tgi_shape_ok(
        {"generated_text": "", "details": o.get("details")}
    )


@FUZZ
@given(chunk=wire_bodies("chat_chunk"), event=wire_bodies("tgi_event"))
def test_each_event_is_read_by_the_rules(chunk: bytes, event: bytes) -> None:
    """An event is a chunk exactly when the rules say it is readable; otherwise it is an error
    event or a MalformedResponse naming the field, never a guess."""
    for codec, data, ok, kind in (
        (CHAT_CODEC, chunk, chunk_shape_ok, hf.ChatChunk),
        (TEXT_GENERATION_CODEC, event, tgi_event_ok, hf.TextGenerationChunk),
    ):
        obj = loads(data)
        item = codec.event(SseEvent(data), "rid")
        if type(obj) is not dict:
            assert isinstance(item, Broken)
        elif "error" in obj:
            assert isinstance(item, ErrorEvent)
        elif ok(obj):
            assert isinstance(item, kind), data
        else:
            assert isinstance(item, hf.MalformedResponse), data
            assert item.reason.startswith("a stream event: ")


@FUZZ
@given(wire_bodies("chat_chunk"))
def test_the_typed_chunk_path_and_the_total_reader_agree(data: bytes) -> None:
    """Wherever the typed decode accepts an event, the fallback reads the same chunk, so which
    path an event takes can't change the answer."""
    try:
        typed = CHUNK_DECODER.decode(data)
    except ValueError:
        return
    obj = loads(data)
    assert type(obj) is dict
    assert chunk_from_json(obj) == typed


# The strict path of a whole reply (one typed decode straight into the Structs) and the total
# readers must agree wherever the strict path accepts a body: then which path a reply took can
# never change the answer. Bodies are the documented shapes (most of which the strict path
# takes) and mutated ones (most of which it refuses, and then the readers decide).

REPLIES = settings(FUZZ, max_examples=300)


@REPLIES
@given(wire_bodies("chat") | edges("chat").map(encode))
def test_the_strict_chat_path_and_the_readers_agree(body: bytes) -> None:
    strict = completion_strict(body)
    if strict is None:
        return
    assert type(strict) is hf.ChatCompletion
    assert completion_from_json(loads(body)) == strict, body
    assert decode_reply(CHAT, raw_reply(200, body)) == Success(strict)


@REPLIES
@given(wire_bodies("tgi") | edges("tgi").map(encode))
def test_the_strict_text_generation_path_and_the_readers_agree(body: bytes) -> None:
    strict = text_generation_strict(body)
    if strict is None:
        return
    assert type(strict) is hf.TextGeneration
    assert text_generation_from_json(loads(body)) == strict, body
    assert decode_reply(TGI, raw_reply(200, body)) == Success(strict)


_TGI = [{"generated_text": "x"}]


def _usage_edge(usage: dict[str, int]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": None}, "finish_reason": None}
        ],
        "usage": usage,
    }


@settings(max_examples=60, deadline=None)
@given(chat=valid("chat"), tgi=valid("tgi"))
# the usage edges hypothesis found: a total of 0 beside parts that aren't, and a missing total
@example(
    chat=_usage_edge({"prompt_tokens": 0, "completion_tokens": 1, "total_tokens": 0}), tgi=_TGI
)
@example(chat=_usage_edge({"prompt_tokens": 0, "completion_tokens": 0}), tgi=_TGI)
@example(chat=_usage_edge({"prompt_tokens": 2, "completion_tokens": 1}), tgi=_TGI)
def test_the_strict_paths_take_most_documented_replies(chat: Any, tgi: Any) -> None:
    """The fast path is the common one: a documented reply without the quirks the strict shape
    leaves to the readers (content parts, arguments as an object, a missing total, ``null``
    where a default belongs, the bare TGI object) is decoded strictly."""
    quirky = any(
        type(c["message"].get("content")) is list
        or any(
            type(t["function"]["arguments"]) is not str
            for t in c["message"].get("tool_calls") or ()
        )
        or ("logprobs" in c and c["logprobs"] is not None and c["logprobs"]["content"] is None)
        for c in chat["choices"]
    ) or (
        # the strict path can't tell a missing total from a total of 0 (both decode as 0), so
        # a usage whose total is missing or 0 while its parts aren't goes to the readers; with
        # parts of 0 the two are the same value
        "usage" in chat
        and not chat["usage"].get("total_tokens")
        and chat["usage"].get("prompt_tokens", 0) + chat["usage"].get("completion_tokens", 0)
    )
    assert (completion_strict(encode(chat)) is not None) == (not quirky), chat
    assert (text_generation_strict(encode(tgi)) is not None) == (type(tgi) is list), tgi


@settings(max_examples=40, deadline=None)
@given(chat=valid("chat").map(encode), tgi=valid("tgi").map(encode))
def test_documented_shapes_decode(chat: bytes, tgi: bytes) -> None:
    """The fuzz is worth something only if the shapes it starts from are right: as documented,
    each decodes (so a changed field is what a failure is about)."""
    assert isinstance(decode_reply(CHAT, raw_reply(200, chat)), Success), chat
    assert isinstance(decode_reply(TGI, raw_reply(200, tgi)), Success), tgi


@settings(max_examples=40, deadline=None)
@given(valid("chat_chunk").map(encode), valid("tgi_event").map(encode))
def test_documented_events_decode(chunk: bytes, event: bytes) -> None:
    assert isinstance(CHAT_CODEC.event(SseEvent(chunk), None), hf.ChatChunk), chunk
    assert isinstance(TEXT_GENERATION_CODEC.event(SseEvent(event), None), hf.TextGenerationChunk)


def _one_by_one(events: list[bytes | SseEvent]) -> tuple[list[Any], object]:
    """The model of a read's events: each event read alone, in order, until the first one that
    ends the stream (the batch decode is only a faster way to the same)."""
    chunks: list[Any] = []
    for event in events:
        got, ending = CHAT_CODEC.events([event], "rid")
        chunks += got
        if ending is not None:
            return chunks, ending
    return chunks, None


# Data lines that a joined decode could misread: empty or blank data, a value and more, values
# that only make sense together, newlines, an "error" member of any value, [DONE] anywhere.
_TRICKY_DATAS = st.sampled_from(
    [
        b"",
        b"  ",
        b'{"id":"a"},{"id":"b"}',
        b'{"id":"a","choices":[{}',
        b"{}]}",
        b'{"id":"a"}\n{"id":"b"}',
        b'{"error":null}',
        b'{"id":"e","error":{"message":"overloaded"}}',
        b"[DONE]",
        b'{"id":"x","choices":[{"index":0,"delta":{"content":"hi"}}]}',
        b'{"id":"y","choices":[],"usage":{"prompt_tokens":1}} ',
    ]
)


@STREAMS
@example(datas=[b'{"id":"a"}\n{"id":"b"}', b""], as_events=[])  # two lines, one skipped
@example(datas=[b'{"id":"a"},{"id":"b"}', b'{"id":"a","choices":[{}', b"{}]}"], as_events=[])
@example(datas=[b'{"id":"x"}', b'{"error":null}', b"[DONE]"], as_events=[])
@given(
    datas=st.lists(st.one_of(_TRICKY_DATAS, wire_bodies("chat_chunk")), max_size=8),
    as_events=st.lists(st.booleans(), max_size=8),
)
def test_a_read_decoded_at_once_equals_its_events_one_by_one(
    datas: list[bytes], as_events: list[bool]
) -> None:
    events: list[bytes | SseEvent] = [
        SseEvent(d) if i < len(as_events) and as_events[i] else d for i, d in enumerate(datas)
    ]
    assert CHAT_CODEC.events(events, "rid") == _one_by_one(events)
