"""Chat requests as pure values: building, modifiers, validation, encoding, decoding."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.core.codec import loads
from hf_pure.core.errors import ErrorEvent
from hf_pure.core.http import raw_reply
from hf_pure.core.request import DONE, Broken
from hf_pure.core.sse import SseEvent
from hf_pure.tasks.chat_reply import answer_tool_call
from hf_pure.tasks.chat_stream import CHAT_CODEC

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
LIMITS = hf.Limits()


def body_of(request: hf.ChatRequest, *, stream: bool = False) -> Any:
    call = request.to_stream_call() if stream else request.to_call()
    assert call.body is not None
    return loads(call.body)


def problem(request: hf.ChatRequest, limits: hf.Limits = LIMITS) -> hf.InvalidInput | None:
    return request.check(limits)


# ---------------------------------------------------------------- building and modifiers


def test_pipe_composes_modifiers_into_one_body() -> None:
    req = pipe(
        hf.chat(MODEL, [hf.system("Be brief."), "Hi"]),
        hf.temperature(0.2),
        hf.top_p(0.9),
        hf.max_tokens(64),
        hf.stop("\n\n", "END"),
        hf.seed(7),
        hf.provider("groq"),
    )
    assert problem(req) is None
    assert body_of(req) == {
        "model": f"{MODEL}:groq",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 64,
        "stop": ["\n\n", "END"],
        "seed": 7,
    }
    assert req.to_call().path == "/v1/chat/completions"
    assert req.to_call().method == "POST"


def test_requests_are_values_equal_and_hashable() -> None:
    def build() -> hf.ChatRequest:
        request: hf.ChatRequest = pipe(
            hf.chat(MODEL, ["Hi"]), hf.temperature(0.0), hf.tools(hf.tool("f", "d", {}))
        )
        return request

    a, b = build(), build()
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, hf.temperature(1.0)(a)}) == 2


def test_modifiers_do_not_change_the_original() -> None:
    base = hf.chat(MODEL, ["Hi"])
    hotter = hf.temperature(1.5)(base)
    assert base.temperature is None
    assert hotter.temperature == 1.5


def test_provider_replaces_an_existing_suffix() -> None:
    req = pipe(hf.chat(f"{MODEL}:together", ["x"]), hf.provider("fastest"))
    assert req.model == f"{MODEL}:fastest"


def test_via_hf_inference_route() -> None:
    req = pipe(hf.chat(f"{MODEL}:groq", ["x"]), hf.via("hf-inference"))
    assert req.to_call().path == f"/hf-inference/models/{MODEL}/v1/chat/completions"
    assert pipe(req, hf.via("together")).to_call().path == "/together/v1/chat/completions"


def test_openai_style_dict_messages_are_accepted() -> None:
    req = hf.chat(MODEL, [{"role": "user", "content": [{"type": "text", "text": "look"}]}])
    assert req.messages[0] == hf.Message("user", (hf.TextPart("look"),))


def test_image_parts_are_data_urls() -> None:
    req = hf.chat(MODEL, [hf.user(["What is this?", hf.image_part(b"\x89PNG", "image/png")])])
    content = body_of(req)["messages"][0]["content"]
    assert content == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
    ]


def test_tools_and_tool_choice_encode_like_openai() -> None:
    weather = hf.tool(
        "get_weather",
        "Weather for a city",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    req = pipe(
        hf.chat(MODEL, ["Weather in Paris?"]), hf.tools(weather), hf.tool_choice("get_weather")
    )
    body = body_of(req)
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                    "type": "object",
                },
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body_of(hf.tool_choice("auto")(req))["tool_choice"] == "auto"


def test_tool_round_trip_messages() -> None:
    call = hf.ToolCall("call_1", "get_weather", '{"city": "Paris"}')
    req = pipe(
        hf.chat(MODEL, ["Weather?"]),
        hf.add_messages(hf.assistant(None, [call]), hf.tool_result("call_1", "18C")),
    )
    assert problem(req) is None
    msgs = body_of(req)["messages"]
    assert msgs[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    }
    assert msgs[2] == {"role": "tool", "content": "18C", "tool_call_id": "call_1"}


def test_streaming_body_and_usage_option() -> None:
    req = hf.chat(MODEL, ["x"])
    assert body_of(req, stream=True)["stream"] is True
    assert body_of(req, stream=True)["stream_options"] == {"include_usage": True}
    assert "stream_options" not in body_of(hf.stream_usage(False)(req), stream=True)
    assert "stream" not in body_of(req)
    assert req.to_stream_call().stream is True


def test_json_mode_schema_logprobs_and_extra_body() -> None:
    req = pipe(
        hf.chat(MODEL, ["x"]),
        hf.json_schema("answer", {"type": "object"}),
        hf.logprobs(3),
        hf.extra_body(reasoning_effort="low"),
        hf.n(2),
        hf.presence_penalty(0.5),
        hf.frequency_penalty(-0.5),
        hf.logit_bias({"42": -10}),
    )
    assert problem(req) is None
    body = body_of(req)
    assert body["response_format"]["json_schema"]["name"] == "answer"
    assert (body["logprobs"], body["top_logprobs"]) == (True, 3)
    assert body["reasoning_effort"] == "low"
    assert (body["n"], body["presence_penalty"], body["frequency_penalty"]) == (2, 0.5, -0.5)
    assert body["logit_bias"] == {"42": -10}
    assert body_of(hf.json_mode()(req))["response_format"] == {"type": "json_object"}


def test_options_are_canonical_whatever_the_order() -> None:
    base = hf.chat(MODEL, ["hi"])
    a = pipe(base, hf.temperature(0.5), hf.seed(1), hf.max_tokens(9))
    b = pipe(base, hf.max_tokens(9), hf.seed(1), hf.temperature(0.5))
    assert a == b
    assert hash(a) == hash(b)
    assert (a.temperature, a.seed, a.max_tokens, a.top_p) == (0.5, 1, 9, None)
    assert hf.temperature(None)(a).temperature is None  # type: ignore[arg-type]
    assert [name for name, _ in a.options] == ["max_tokens", "seed", "temperature"]


def test_unknown_options_pass_through_and_values_are_frozen() -> None:
    req = pipe(
        hf.chat(MODEL, ["hi"]), hf.extra_body(reasoning_effort="low", provider={"order": ["groq"]})
    )
    assert problem(req) is None
    body = body_of(req)
    assert body["reasoning_effort"] == "low"
    assert body["provider"] == {"order": ["groq"]}
    assert hash(req)  # the dict became canonical JSON bytes inside the value
    direct = hf.ChatRequest(MODEL, ("hi",), {"temperature": 0.1, "stop": ["x"]})
    assert direct.stop == ("x",)
    assert direct == pipe(hf.chat(MODEL, ["hi"]), hf.temperature(0.1), hf.stop("x"))


def test_system_prompt_replaces_a_leading_system_message() -> None:
    req = pipe(hf.chat(MODEL, [hf.system("old"), "hi"]), hf.system_prompt("new"))
    assert [m.content for m in req.messages] == ["new", "hi"]


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("modify", "field"),
    [
        (hf.with_messages([]), "messages"),
        (hf.with_messages([hf.Message("wizard", "x")]), "messages[0].role"),
        (hf.temperature(3), "temperature"),
        (hf.temperature(-0.1), "temperature"),
        (hf.temperature(math.nan), "temperature"),
        (hf.temperature(math.inf), "temperature"),
        (hf.top_p(1.5), "top_p"),
        (hf.max_tokens(0), "max_tokens"),
        (hf.max_tokens(8193), "max_tokens"),
        (hf.max_tokens(True), "max_tokens"),  # a bool is not a count
        (hf.n(0), "n"),
        (hf.presence_penalty(2.5), "presence_penalty"),
        (hf.stop(""), "stop"),
        (hf.tool_choice("missing"), "tool_choice"),
        (hf.tool_choice("required"), "tool_choice"),
        (hf.tools(hf.tool("bad name!")), "tools[0].name"),
        (hf.tools(hf.tool("f"), hf.tool("f")), "tools[1].name"),
        (hf.with_messages([hf.Message("tool", "x")]), "messages[0].tool_call_id"),
        (hf.with_messages([hf.Message("user", None)]), "messages[0].content"),
        (hf.with_messages([hf.user([hf.image_url("ftp://x")])]), "messages[0].content[0]"),
        (hf.via("no/slash"), "route"),
        (hf.option("top_logprobs", 2), "top_logprobs"),
        (hf.option("stream", True), "stream"),
        (hf.option("model", "x/y"), "model"),
        (hf.logit_bias({"42": 101}), "logit_bias[42]"),
        (hf.temperature("hot"), "temperature"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_a_specific_invalid_input(modify: Any, field: str) -> None:
    found = problem(modify(hf.chat(MODEL, ["hi"])))
    assert found is not None
    assert found.field == field
    assert found.reason


@pytest.mark.parametrize(
    "model",
    [
        "",
        "has space",
        "/leading",
        "trailing/",
        "a//b",
        "a/../b",
        "x" * 201,
        "a/b:bad provider",
        "a/b:",
        "tab\there",
    ],
)
def test_bad_model_ids(model: str) -> None:
    found = problem(hf.chat(model, ["hi"]))
    assert found is not None
    assert found.field == "model"


@pytest.mark.parametrize(
    "model", ["gpt2", MODEL, f"{MODEL}:groq", f"{MODEL}:fastest", "org/model.v2-0_1:hf-inference"]
)
def test_good_model_ids(model: str) -> None:
    assert problem(hf.chat(model, ["hi"])) is None


def test_prompt_over_the_size_limit() -> None:
    huge = "x" * 10_000_000
    found = problem(hf.chat(MODEL, [huge]))
    assert found is not None
    assert found.field == "messages"
    assert "1,000,000" in found.reason
    assert problem(hf.chat(MODEL, [huge]), hf.Limits(max_input_chars=20_000_000)) is None


def test_validate_returns_a_result() -> None:
    assert hf.validate(hf.chat(MODEL, ["hi"])) == Success(None)
    assert isinstance(hf.validate(hf.chat(MODEL, [])), Failure)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_temperature_accepted_exactly_in_range(t: float) -> None:
    found = problem(hf.temperature(t)(hf.chat(MODEL, ["hi"])))
    assert (found is None) == (math.isfinite(t) and 0.0 <= t <= 2.0)


# ---------------------------------------------------------------- decoding


COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": MODEL,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello!", "reasoning_content": "hmm"},
            "finish_reason": "stop",
            "logprobs": {
                "content": [
                    {
                        "token": "Hello",
                        "logprob": -0.1,
                        "top_logprobs": [{"token": "Hi", "logprob": -2.0}],
                    }
                ]
            },
        }
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    "system_fingerprint": "fp",
    "brand_new_field": {"anything": [1, 2]},
}


def test_decode_completion_tolerates_extra_fields() -> None:
    out = hf.chat(MODEL, ["x"]).decode(raw_reply(200, hf.json_dumps(COMPLETION)))
    answer = out.unwrap()
    assert answer.text == "Hello!"
    assert answer.finish_reason == "stop"
    assert answer.usage == hf.Usage(5, 2, 7)
    assert answer.message.reasoning == "hmm"
    assert answer.choices[0].logprobs[0].top[0].token == "Hi"


def test_decode_tool_calls() -> None:
    body = dict(COMPLETION)
    body["choices"] = [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "f", "arguments": '{"a": 1}'},
                    }
                ],
            },
        }
    ]
    answer = hf.chat(MODEL, ["x"]).decode(raw_reply(200, hf.json_dumps(body))).unwrap()
    # the answer's call is the wire's Struct; as the request side's ToolCall it is the same call
    assert answer.tool_calls == (answer_tool_call(id="c1", name="f", arguments='{"a": 1}'),)
    assert answer.tool_calls[0].to_tool_call() == hf.ToolCall("c1", "f", '{"a": 1}')
    assert answer.tool_calls[0].parsed_arguments() == Success({"a": 1})
    assert answer.text == ""
    assert isinstance(hf.ToolCall("c", "f", "{nope").parsed_arguments(), Failure)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"id": "x", "choices": [',
        b"[]",
        b'{"choices": "no"}',
        b'{"choices": [{"index": 0}]}',
        b"<html>502</html>",
    ],
)
def test_malformed_bodies_are_malformed_response(body: bytes) -> None:
    out = hf.chat(MODEL, ["x"]).decode(raw_reply(200, body, {"X-Request-Id": "r1"}))
    assert isinstance(out, Failure)
    err = out.failure()
    assert isinstance(err, hf.MalformedResponse)
    assert err.request_id == "r1"


def test_a_200_carrying_an_error_object_is_that_error() -> None:
    out = hf.chat(MODEL, ["x"]).decode(
        raw_reply(200, b'{"error": "Model is overloaded", "error_type": "overloaded"}')
    )
    assert out.failure() == ErrorEvent("Model is overloaded", "overloaded")
    assert hf.is_retryable(out.failure())


# ---------------------------------------------------------------- streaming codec


def ev(obj: Any) -> SseEvent:
    return SseEvent(hf.json_dumps(obj))


def chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> SseEvent:
    return ev(
        {
            "id": "c",
            "model": MODEL,
            "created": 1,
            "object": "chat.completion.chunk",
            "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
        }
    )


def test_codec_turns_events_into_chunks_and_assembles() -> None:
    events = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk({}, "stop"),
        ev(
            {
                "id": "c",
                "choices": [],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            }
        ),
    ]
    chunks = [CHAT_CODEC.event(e, None) for e in events]
    assert all(isinstance(c, hf.ChatChunk) for c in chunks)
    typed = [c for c in chunks if isinstance(c, hf.ChatChunk)]
    assert [c.text for c in typed] == ["", "Hel", "lo", "", ""]
    assert CHAT_CODEC.final(typed[3]) and not CHAT_CODEC.final(typed[1])
    answer = CHAT_CODEC.assemble(typed)
    assert answer.text == "Hello"
    assert answer.finish_reason == "stop"
    assert answer.usage == hf.Usage(3, 2, 5)
    assert CHAT_CODEC.text(typed) == "Hello"


def test_codec_done_error_and_broken() -> None:
    assert CHAT_CODEC.event(SseEvent(b"[DONE]"), None) is DONE
    err = CHAT_CODEC.event(ev({"error": "boom", "error_type": "generation"}), "rid")
    assert err == ErrorEvent("boom", "generation", request_id="rid")
    assert isinstance(CHAT_CODEC.event(SseEvent(b"not json"), None), Broken)
    assert isinstance(CHAT_CODEC.event(SseEvent(b"[1, 2]"), None), Broken)
    wrong = CHAT_CODEC.event(SseEvent(b'{"choices": 5}'), None)
    assert isinstance(wrong, hf.MalformedResponse)
    assert wrong.reason.endswith("choices: expected an array, got a number")
    named = CHAT_CODEC.event(SseEvent(b"overloaded", "error"), None)
    assert named == ErrorEvent("overloaded")


def test_streamed_tool_calls_are_merged_by_index() -> None:
    events = [
        chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ],
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
        chunk({}, "tool_calls"),
    ]
    typed = [c for c in (CHAT_CODEC.event(e, None) for e in events) if isinstance(c, hf.ChatChunk)]
    answer = CHAT_CODEC.assemble(typed)
    assert answer.tool_calls == (
        answer_tool_call(id="call_1", name="get_weather", arguments='{"city": "Paris"}'),
    )
    assert answer.message.content is None
    assert answer.finish_reason == "tool_calls"


def test_n_choices_assemble_separately() -> None:
    events = [
        chunk({"content": "a"}, index=0),
        chunk({"content": "b"}, index=1),
        chunk({"content": "c"}, index=0),
        chunk({}, "stop", 1),
        chunk({}, "stop", 0),
    ]
    typed = [c for c in (CHAT_CODEC.event(e, None) for e in events) if isinstance(c, hf.ChatChunk)]
    answer = CHAT_CODEC.assemble(typed)
    assert [c.message.content for c in answer.choices] == ["ac", "b"]


_deltas: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.fixed_dictionaries({"content": st.text(max_size=8)}),
    st.fixed_dictionaries({"role": st.just("assistant"), "content": st.just("")}),
    st.fixed_dictionaries({}),
    st.fixed_dictionaries({"reasoning_content": st.text(max_size=5)}),
    st.fixed_dictionaries({"content": st.text(max_size=3), "tool_calls": st.just([])}),
)
_raw_events = st.one_of(
    st.builds(
        lambda d, f, i: hf.json_dumps(
            {
                "id": "c",
                "model": MODEL,
                "created": 1,
                "choices": [{"index": i, "delta": d, "finish_reason": f}],
            }
        ),
        _deltas,
        st.sampled_from([None, "stop", 3]),
        st.sampled_from([0, 1, "x"]),
    ),
    st.sampled_from(
        [
            b"[DONE]",
            b"not json",
            b'{"error": "x"}',
            b"[]",
            b'{"choices": []}',
            b'{"choices": [1]}',
            b'{"choices": [{"delta": "x", "index": 0}]}',
        ]
    ),
)


@given(st.lists(_raw_events, max_size=12))
def test_plain_data_bytes_decode_like_full_events(datas: list[bytes]) -> None:
    # the runner hands plain events over as bare data bytes (sse.feed_lean): same meaning
    lean = CHAT_CODEC.events(datas, "rid")
    full = CHAT_CODEC.events([SseEvent(d) for d in datas], "rid")
    assert lean == full


# ---------------------------------------------------------------- one assembly path


def test_null_tool_calls_take_the_typed_path() -> None:
    """together sends "tool_calls": null in every delta: it decodes as a plain delta, in C."""
    from hf_pure.tasks.chat_chunk import CHUNK_DECODER

    data = (
        b'{"id":"c","created":1,"model":"m","choices":[{"index":0,'
        b'"delta":{"content":"Hi","tool_calls":null},"finish_reason":null}]}'
    )
    typed = CHUNK_DECODER.decode(data)  # raised a ValidationError before: the slow path
    assert typed.choices[0].tool_calls == ()
    assert typed == CHAT_CODEC.event(SseEvent(data.replace(b',"tool_calls":null', b"")), None)


_plain_chunks = st.lists(
    st.builds(
        lambda role, content, finish, ident, created, empty: hf.ChatChunk(
            id=ident,
            model=ident and MODEL,
            created=created,
            choices=()
            if empty
            else (
                hf.ChunkChoice(delta=hf.Delta(content=content, role=role), finish_reason=finish),
            ),
        ),
        role=st.sampled_from([None, "", "assistant", "user"]),
        content=st.sampled_from([None, "", "a", "bc"]),
        finish=st.sampled_from([None, "", "stop", "length"]),
        ident=st.sampled_from(["", "c1", "c2"]),
        created=st.sampled_from([0, 0, 5, 7]),
        empty=st.booleans(),
    ),
    max_size=6,
)


@given(_plain_chunks)
def test_the_fast_fold_equals_the_general_one(chunks: list[hf.ChatChunk]) -> None:
    from hf_pure.tasks.chat_stream import _assemble_general, _assemble_plain

    fast = _assemble_plain(chunks)
    assert fast is not None  # these are all plain streams
    assert fast == _assemble_general(chunks)


def test_role_and_created_are_the_first_given() -> None:
    """sambanova repeats the role; some providers send created 0 before the real time: the
    answer takes the first non-empty role and the first non-zero id, model and created."""
    chunks = [
        hf.ChatChunk(created=0, choices=(hf.ChunkChoice(delta=hf.Delta(role="assistant")),)),
        hf.ChatChunk(
            id="c",
            model=MODEL,
            created=5,
            choices=(hf.ChunkChoice(delta=hf.Delta(content="a", role="user")),),
        ),
        hf.ChatChunk(
            id="d",
            created=9,
            choices=(hf.ChunkChoice(delta=hf.Delta(content="b"), finish_reason="stop"),),
        ),
    ]
    answer = CHAT_CODEC.assemble(chunks)
    assert (answer.id, answer.model, answer.created) == ("c", MODEL, 5)
    assert answer.choices[0].message.role == "assistant"
    assert answer.text == "ab"
    assert answer.finish_reason == "stop"
