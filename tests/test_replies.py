"""Replies are frozen msgspec Structs shaped like the wire, decoded straight from the body when it
has the documented shape and through the total readers when it doesn't: every alternate shape
of WIRE.md decodes to the value it means, whichever path it took; wrong data is a
MalformedResponse naming the field; an answer's message and tool calls go back into a
conversation as they are."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import msgspec
import pytest
from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.core.errors import ErrorEvent
from hf_pure.core.http import raw_reply
from hf_pure.tasks.chat_reply import (
    ChoiceLogprobs,
    FunctionCall,
    TopLogprob,
    answer_message,
    answer_tool_call,
    completion_strict,
)
from hf_pure.tasks.text_generation_reply import (
    BestOfSequence,
    text_generation_strict,
)

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
CHAT = hf.chat(MODEL, ["hi"])
TGI = hf.text_generation("gpt2", "hi")

# The emulator's replies, byte for byte (a plain answer of 16 tokens, and a tool call).
PLAIN = (
    b'{"id":"chatcmpl-emu-1","object":"chat.completion","created":1700000000,'
    b'"model":"meta-llama/Llama-3.1-8B-Instruct","system_fingerprint":"fp_emulator_1",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":"cherry honey stone '
    b'drizzle"},"logprobs":null,"finish_reason":"length"}],'
    b'"usage":{"prompt_tokens":14,"completion_tokens":16,"total_tokens":30},'
    b'"x_emulator":{"version":1}}'
)
TOOL = (
    b'{"id":"chatcmpl-emu-2","object":"chat.completion","created":1700000000,'
    b'"model":"meta-llama/Llama-3.1-8B-Instruct","system_fingerprint":"fp_emulator_1",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":'
    b'[{"id":"call_afe0","type":"function","function":{"name":"get_weather",'
    b'"arguments":"{\\"city\\":\\"emulated\\"}"}}]},"logprobs":null,'
    b'"finish_reason":"tool_calls"}],'
    b'"usage":{"prompt_tokens":14,"completion_tokens":4,"total_tokens":18},'
    b'"x_emulator":{"version":1}}'
)


def completion(**choice: Any) -> dict[str, Any]:
    """A chat reply with one choice, ``choice``'s keys replacing the plain one's."""
    one = {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 7,
        "model": MODEL,
        "choices": [{**one, **choice}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


def with_message(**message: Any) -> dict[str, Any]:
    return completion(message={"role": "assistant", **message})


def decoded(body: bytes | dict[str, Any], request: Any = CHAT) -> Any:
    data = body if isinstance(body, bytes) else hf.json_dumps(body)
    return request.decode(raw_reply(200, data, {"X-Request-Id": "r1"}))


def answer_of(body: bytes | dict[str, Any]) -> hf.ChatCompletion:
    out = decoded(body)
    assert isinstance(out, Success), out
    answer: hf.ChatCompletion = out.unwrap()
    return answer


def strict_takes(body: bytes | dict[str, Any]) -> bool:
    return completion_strict(body if isinstance(body, bytes) else hf.json_dumps(body)) is not None


# ----------------------------------------------------------------------- the emulator's replies


def test_the_emulators_replies_take_the_typed_path_and_read_as_before() -> None:
    assert strict_takes(PLAIN) and strict_takes(TOOL)
    plain = answer_of(PLAIN)
    assert plain.text == "cherry honey stone drizzle"
    assert (plain.id, plain.model, plain.created) == ("chatcmpl-emu-1", MODEL, 1700000000)
    assert plain.finish_reason == "length"
    assert plain.usage == hf.Usage(prompt_tokens=14, completion_tokens=16, total_tokens=30)
    assert plain.system_fingerprint == "fp_emulator_1"
    assert plain.tool_calls == () and plain.choices[0].logprobs == ()
    call = answer_of(TOOL).tool_calls[0]
    assert (call.id, call.name, call.type) == ("call_afe0", "get_weather", "function")
    assert call.arguments == '{"city":"emulated"}'
    assert call.parsed_arguments() == Success({"city": "emulated"})
    assert answer_of(TOOL).message.content is None and answer_of(TOOL).text == ""


def test_replies_are_frozen_hashable_structs() -> None:
    answer = answer_of(TOOL)
    for value in (answer, answer.choices[0], answer.message, answer.tool_calls[0], answer.usage):
        assert isinstance(value, msgspec.Struct)
        hash(value)
    assert answer == answer_of(TOOL) and hash(answer) == hash(answer_of(TOOL))
    assert answer != answer_of(PLAIN)
    with pytest.raises(AttributeError):
        answer.id = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        answer.message.role = "user"  # type: ignore[misc]


# ----------------------------------------------------------------------- every alternate shape

# (what providers send, whether the typed path takes it, what the answer then says)
ALTERNATES: list[tuple[str, dict[str, Any], bool, dict[str, Any]]] = [
    ("tool_calls null", with_message(content="x", tool_calls=None), True, {"tool_calls": ()}),
    ("tool_calls []", with_message(content="x", tool_calls=[]), True, {"tool_calls": ()}),
    ("content null", with_message(content=None), True, {"content": None, "text": ""}),
    ("content missing", with_message(), True, {"content": None, "text": ""}),
    ("role missing", completion(message={"content": "x"}), True, {"role": "assistant"}),
    (
        "reasoning_content",
        with_message(content="x", reasoning_content="think"),
        True,
        {"reasoning": "think"},
    ),
    (
        "reasoning (groq)",
        with_message(content="x", reasoning="think"),
        True,
        {"reasoning": "think"},
    ),
    (
        "reasoning null",
        with_message(content="x", reasoning_content=None, reasoning=None),
        True,
        {"reasoning": None},
    ),
    (
        "OpenAI's extra fields",
        with_message(content="x", refusal=None, annotations=[], audio=None, function_call=None),
        True,
        {"text": "x"},
    ),
    (
        "content as parts",
        with_message(
            content=[
                {"type": "text", "text": "a"},
                {"type": "image_url", "image_url": {"url": "u"}},
                {"type": "text", "text": "b"},
            ]
        ),
        False,
        {"text": "ab"},
    ),
    ("role null", completion(message={"role": None, "content": "x"}), False, {"role": "assistant"}),
]


@pytest.mark.parametrize(
    ("body", "typed", "expected"),
    [pytest.param(b, t, e, id=name) for name, b, t, e in ALTERNATES],
)
def test_alternate_message_shapes(
    body: dict[str, Any], typed: bool, expected: dict[str, Any]
) -> None:
    assert strict_takes(body) == typed
    message = answer_of(body).message
    for name, value in expected.items():
        assert getattr(message, name) == value, name


def test_role_empty_is_kept_as_sent() -> None:
    """A field present on the wire is kept as it is on both paths (no `or default`)."""
    body = completion(message={"role": "", "content": "x"})
    assert strict_takes(body)
    assert answer_of(body).message.role == ""


def test_content_parts_are_the_request_sides_parts() -> None:
    body = with_message(
        content=[{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "u"}}]
    )
    content = answer_of(body).message.content
    assert isinstance(content, tuple)
    assert content[0] == hf.TextPart("a")
    assert hf.json_loads(content[1].json) == {"type": "image_url", "image_url": {"url": "u"}}  # type: ignore[union-attr]


TOOL_ALTERNATES: list[tuple[str, dict[str, Any], bool, tuple[str, str, str, str]]] = [
    (
        "documented",
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}},
        True,
        ("c", "function", "f", '{"a": 1}'),
    ),
    (
        "arguments as an object",
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": {"a": [1, 2]}}},
        False,
        ("c", "function", "f", '{"a":[1,2]}'),
    ),
    (
        "arguments empty",
        {"id": "c", "function": {"name": "f", "arguments": ""}},
        True,
        ("c", "function", "f", "{}"),
    ),
    (
        "arguments missing",
        {"id": "c", "function": {"name": "f"}},
        True,
        ("c", "function", "f", "{}"),
    ),
    ("function missing", {"id": "c"}, True, ("c", "function", "", "{}")),
    ("function null", {"id": "c", "function": None}, False, ("c", "function", "", "{}")),
    ("id null", {"id": None, "function": {"name": "f"}}, False, ("", "function", "f", "{}")),
    ("type empty", {"id": "c", "type": "", "function": {"name": "f"}}, True, ("c", "", "f", "{}")),
    (
        "vLLM's index",
        {"index": 0, "id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}},
        True,
        ("c", "function", "f", "{}"),
    ),
]


@pytest.mark.parametrize(
    ("call", "typed", "expected"),
    [pytest.param(c, t, e, id=name) for name, c, t, e in TOOL_ALTERNATES],
)
def test_alternate_tool_call_shapes(
    call: dict[str, Any], typed: bool, expected: tuple[str, str, str, str]
) -> None:
    body = with_message(content=None, tool_calls=[call])
    assert strict_takes(body) == typed
    got = answer_of(body).tool_calls[0]
    assert (got.id, got.type, got.name, got.arguments) == expected
    assert isinstance(got.parsed_arguments(), Success)


def test_choice_shapes() -> None:
    # logprobs null (as OpenAI sends it when not asked), absent, and as asked for
    assert strict_takes(completion(logprobs=None))
    assert answer_of(completion(logprobs=None)).choices[0].logprobs == ()
    asked = completion(
        logprobs={
            "content": [
                {
                    "token": "Hi",
                    "logprob": -0.25,
                    "bytes": [72, 105],
                    "top_logprobs": [{"token": "Hello", "logprob": -2, "bytes": None}],
                }
            ],
            "refusal": None,
        }
    )
    assert strict_takes(asked)
    (entry,) = answer_of(asked).choices[0].logprobs
    assert (entry.token, entry.logprob) == ("Hi", -0.25)
    assert entry.top == (TopLogprob(token="Hello", logprob=-2.0),)
    assert type(entry.top[0].logprob) is float  # an integer logprob is read as a float
    # logprobs.content null: the slow path, no entries
    nulled = completion(logprobs={"content": None})
    assert not strict_takes(nulled)
    assert answer_of(nulled).choices[0].logprobs == ()
    assert answer_of(nulled).choices[0].wire_logprobs == ChoiceLogprobs()
    # a missing index is the choice's position (the slow path knows it)
    body = completion()
    body["choices"].append({"message": {"content": "second"}})
    assert not strict_takes(body)
    assert [c.index for c in answer_of(body).choices] == [0, 1]
    # n choices, finish_reason null
    many = completion(finish_reason=None)
    many["choices"].append({"index": 1, "message": {"content": "b"}, "finish_reason": "length"})
    assert strict_takes(many)
    assert [(c.index, c.message.text, c.finish_reason) for c in answer_of(many).choices] == [
        (0, "Hi", None),
        (1, "b", "length"),
    ]


@pytest.mark.parametrize(
    ("change", "typed", "expected"),
    [
        ({"id": ""}, True, ("", MODEL, 7)),  # TGI-served chat sends "id": ""
        ({"id": None}, False, ("", MODEL, 7)),
        ({"created": None}, False, ("c1", MODEL, 0)),
        ({"created": 2**63}, False, ("c1", MODEL, 2**63)),  # beyond int64: the readers take it
        ({"model": None}, False, ("c1", "", 7)),
        ({"system_fingerprint": None}, True, ("c1", MODEL, 7)),
        ({"service_tier": "default", "prompt_logprobs": None}, True, ("c1", MODEL, 7)),
    ],
)
def test_top_level_shapes(
    change: dict[str, Any], typed: bool, expected: tuple[str, str, int]
) -> None:
    body = completion() | change
    assert strict_takes(body) == typed
    answer = answer_of(body)
    assert (answer.id, answer.model, answer.created) == expected
    assert answer.text == "Hi"


def test_missing_fields_at_the_top_take_the_slow_path() -> None:
    for field in ("id", "model", "created"):
        body = {k: v for k, v in completion().items() if k != field}
        assert not strict_takes(body)
        assert isinstance(decoded(body), Success)


@pytest.mark.parametrize(
    ("usage", "typed", "expected"),
    [
        ({"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}, True, (3, 1, 4)),
        ({"prompt_tokens": 3, "completion_tokens": 1}, False, (3, 1, 4)),  # total: the sum
        ({"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 0}, False, (3, 1, 0)),
        ({}, True, (0, 0, 0)),
        ({"prompt_tokens": None, "completion_tokens": 2}, False, (0, 2, 2)),
        (
            {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4, "details": {}},
            True,
            (3, 1, 4),
        ),
    ],
)
def test_usage_shapes(usage: dict[str, Any], typed: bool, expected: tuple[int, int, int]) -> None:
    body = completion() | {"usage": usage}
    assert strict_takes(body) == typed
    got = answer_of(body).usage
    assert got is not None
    assert (got.prompt_tokens, got.completion_tokens, got.total_tokens) == expected


def test_no_usage_and_no_choices() -> None:
    body = completion() | {"usage": None}
    assert strict_takes(body) and answer_of(body).usage is None
    empty = completion() | {"choices": []}
    assert strict_takes(empty)
    answer = answer_of(empty)
    assert (answer.text, answer.tool_calls, answer.finish_reason) == ("", (), None)
    assert answer.message == answer_message(content="")


# ----------------------------------------------------------------------- wrong data, errors


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (with_message(content={"a": 1}), "choices[0].message.content: expected text or an array"),
        (
            with_message(tool_calls=[{"id": "c", "function": {"name": 5}}]),
            "choices[0].message.tool_calls[0].function.name: expected text, got a number",
        ),
        (with_message(tool_calls={"id": "c"}), "choices[0].message.tool_calls: expected an array"),
        (completion(message=None), "choices[0].message: missing"),
        (completion(index=True), "choices[0].index: expected an integer, got a boolean"),
        (completion() | {"usage": {"total_tokens": 2**64}}, "usage.total_tokens: an integer out"),
        (completion() | {"choices": None}, "choices: expected an array of choices, missing"),
        (
            completion(logprobs={"content": [{"token": "a", "logprob": "low"}]}),
            "choices[0].logprobs.content[0].logprob: expected a number, got text",
        ),
        (
            completion(logprobs={"content": [{"token": "a", "logprob": 10**400}]}),
            "choices[0].logprobs.content[0].logprob: a number out of range",
        ),
        (completion() | {"created": 1.5}, "created: expected an integer, got a number"),
    ],
)
def test_wrong_data_is_malformed_naming_the_field(body: dict[str, Any], reason: str) -> None:
    assert not strict_takes(body)
    out = decoded(body)
    assert isinstance(out, Failure)
    error = out.failure()
    assert isinstance(error, hf.MalformedResponse)
    assert error.reason.startswith(reason), error.reason
    assert error.request_id == "r1"


def test_an_error_object_in_a_2xx_body_is_that_error() -> None:
    body = {"error": "Model is overloaded", "error_type": "overloaded"}
    assert decoded(body).failure() == ErrorEvent(
        "Model is overloaded", "overloaded", request_id="r1"
    )
    openai = {"error": {"message": "bad", "type": "invalid_request_error", "code": 400}}
    assert isinstance(decoded(openai).failure(), ErrorEvent)
    # beside choices, the reply is the answer (as before: the choices are what was asked for)
    assert answer_of(completion() | {"error": None}).text == "Hi"


# ----------------------------------------------------------------------- text generation


def tgi_decoded(body: Any) -> Any:
    return decoded(body if isinstance(body, bytes) else hf.json_dumps(body), TGI)


DETAILS = {
    "finish_reason": "length",
    "generated_tokens": 2,
    "seed": 2**64 - 1,  # TGI's seeds go beyond int64
    "prefill": [{"id": 50256, "text": "<|endoftext|>", "logprob": None, "special": True}],
    "tokens": [
        {"id": 15496, "text": "Hello", "logprob": -0.5, "special": False},
        {"id": 0, "text": "!", "logprob": -1, "special": False},
    ],
    "top_tokens": [],
}


def test_text_generation_shapes() -> None:
    plain = [{"generated_text": "Hello!"}]
    assert text_generation_strict(hf.json_dumps(plain)) == hf.TextGeneration("Hello!")
    detailed = [{"generated_text": "Hello!", "details": DETAILS}]
    assert text_generation_strict(hf.json_dumps(detailed)) is not None
    answer = tgi_decoded(detailed).unwrap()
    assert answer.text == "Hello!"
    details = answer.details
    assert (details.finish_reason, details.generated_tokens, details.seed) == (
        "length",
        2,
        2**64 - 1,
    )
    assert details.prefill == (hf.Token(id=50256, text="<|endoftext|>", special=True),)
    assert details.tokens[1] == hf.Token(id=0, text="!", logprob=-1.0)
    assert type(details.tokens[1].logprob) is float
    # the bare object some servers send, and more than one item: the first is the answer
    assert tgi_decoded({"generated_text": "x"}).unwrap() == hf.TextGeneration("x")
    assert text_generation_strict(b'{"generated_text": "x"}') is None
    two = [{"generated_text": "a"}, {"generated_text": 5}]
    assert tgi_decoded(two).unwrap() == hf.TextGeneration("a")
    # best_of
    best = {
        **DETAILS,
        "best_of_sequences": [
            {"generated_text": "b", "finish_reason": "length", "generated_tokens": 1, "seed": 3}
        ],
    }
    got = tgi_decoded([{"generated_text": "a", "details": best}]).unwrap()
    assert got.details.best_of_sequences == (
        BestOfSequence(generated_text="b", finish_reason="length", generated_tokens=1, seed=3),
    )


@pytest.mark.parametrize(
    ("seed", "typed", "ok"),
    [
        (2**63, True, True),
        (2**64 - 1, True, True),
        (-(2**63), True, True),
        (2**64, False, False),  # beyond uint64: the readers refuse it, so the typed path too
        (-(2**63) - 1, False, False),
        (None, True, True),
    ],
)
def test_seeds_are_bounded_as_the_readers_bound_them(
    seed: int | None, typed: bool, ok: bool
) -> None:
    for where in ("details", "best"):
        details: dict[str, Any] = {**DETAILS, "seed": 1}
        if where == "details":
            details["seed"] = seed
        else:
            details["best_of_sequences"] = [{"generated_text": "b", "seed": seed}]
        body = [{"generated_text": "a", "details": details}]
        assert (text_generation_strict(hf.json_dumps(body)) is not None) == typed
        out = tgi_decoded(body)
        assert isinstance(out, Success) == ok
        if not ok:
            assert "seed: an integer out of range" in out.failure().reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], '[0]: expected [{"generated_text": ...}]'),
        ([{"generated_text": None}], "[0].generated_text: expected text, got null"),
        (
            [{"generated_text": "a", "details": {"tokens": [{"id": "x"}]}}],
            "[0].details.tokens[0].id",
        ),
        (
            [{"generated_text": "a", "details": {"tokens": [{"special": 1}]}}],
            "[0].details.tokens[0].special",
        ),
    ],
)
def test_text_generation_wrong_data(body: Any, reason: str) -> None:
    out = tgi_decoded(body)
    assert isinstance(out.failure(), hf.MalformedResponse)
    assert out.failure().reason.startswith(reason), out.failure().reason


def test_text_generation_error_object() -> None:
    out = tgi_decoded({"error": "Input validation error", "error_type": "validation"})
    assert out.failure() == ErrorEvent("Input validation error", "validation", request_id="r1")
    # even beside a generated_text (the bare-object form): the error wins, as before
    assert isinstance(tgi_decoded({"error": "x", "generated_text": "y"}).failure(), ErrorEvent)


def test_text_generation_values_keep_their_positional_form() -> None:
    # the stream fold builds TextGeneration(text, details) positionally, tests Token(id, text)
    assert hf.TextGeneration("a", None) == hf.TextGeneration(generated_text="a")
    assert hf.Token(5, "x") == hf.Token(id=5, text="x", logprob=None, special=False)
    assert isinstance(hf.TextGeneration("a"), msgspec.Struct)


# ----------------------------------------------------------------------- the stream's builders


def test_answer_builders_match_the_decoded_reply() -> None:
    """The stream fold builds answers through answer_message/answer_tool_call: what they build
    is what the whole reply of the same answer decodes to."""
    whole = answer_of(TOOL)
    built = answer_message(
        role="assistant",
        content=None,
        tool_calls=(
            answer_tool_call(id="call_afe0", name="get_weather", arguments='{"city":"emulated"}'),
        ),
    )
    assert built == whole.message
    assert answer_message(content="hi") == answer_of(with_message(content="hi")).message
    thinking = answer_message(content="x", reasoning="r")
    assert thinking == answer_of(with_message(content="x", reasoning_content="r")).message
    assert thinking.reasoning == "r"
    assert answer_tool_call(id="c", name="f").function == FunctionCall(name="f", arguments="{}")


# ----------------------------------------------------------------------- back into a conversation


def test_an_answers_message_goes_back_into_the_conversation() -> None:
    answer = answer_of(with_message(content="Paris.", reasoning_content="hmm"))
    history: list[Any] = [hf.user("Capital of France?")]
    request = hf.chat(MODEL, [*history, answer.message, hf.user("And Spain?")])
    assert request.messages[1] == hf.Message("assistant", "Paris.", reasoning="hmm")
    assert type(request.messages[1]) is hf.Message
    assert request.check(hf.Limits()) is None
    sent = hf.json_loads(request.to_call().body)["messages"]  # type: ignore[arg-type]
    assert sent[1] == {"role": "assistant", "content": "Paris."}  # reasoning is not sent back
    # the same through the modifiers
    assert (
        pipe(hf.chat(MODEL, history), hf.add_messages(answer.message)).messages[1]
        == (request.messages[1])
    )
    assert hf.with_messages([answer.message])(CHAT).messages == (request.messages[1],)
    assert answer.message.to_json() == {"role": "assistant", "content": "Paris."}


def test_an_answers_tool_calls_go_back_as_they_are() -> None:
    answer = answer_of(TOOL)
    expected = hf.ToolCall("call_afe0", "get_weather", '{"city":"emulated"}')
    assert hf.assistant(tool_calls=answer.tool_calls).tool_calls == (expected,)
    assert hf.Message("assistant", None, tool_calls=answer.tool_calls).tool_calls == (expected,)
    assert answer.message.to_message() == hf.assistant(None, [expected])
    request = hf.chat(
        MODEL,
        [
            hf.user("Weather?"),
            answer.message,
            hf.tool_result(answer.tool_calls[0].id, {"temp": 18}),
        ],
    )
    assert request.check(hf.Limits()) is None
    sent = hf.json_loads(request.to_call().body)["messages"]  # type: ignore[arg-type]
    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_afe0",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"emulated"}'},
            }
        ],
    }
    assert answer.tool_calls[0].to_json() == sent[1]["tool_calls"][0]


def test_an_answer_with_content_parts_goes_back() -> None:
    answer = answer_of(with_message(content=[{"type": "text", "text": "a"}]))
    assert hf.chat(MODEL, [answer.message]).messages[0] == hf.Message(
        "assistant", (hf.TextPart("a"),)
    )


def test_a_message_where_a_tool_call_belongs_is_a_type_error() -> None:
    answer = answer_of(TOOL)
    with pytest.raises(TypeError, match=r"tool_calls\[0\]: expected an hf.ToolCall"):
        hf.assistant(tool_calls=[answer.message])  # type: ignore[list-item]
    # and a reply value that is not a message is reported by check(), not sent
    found = hf.chat(MODEL, [answer.usage]).check(hf.Limits())  # type: ignore[list-item]
    assert found is not None and found.field == "messages[0]"


# ----------------------------------------------------------------------- import cost


def test_import_hf_pure_loads_neither_msgspec_nor_the_reply_types() -> None:
    code = (
        "import sys, hf_pure as hf; "
        "print('msgspec' in sys.modules, 'hf_pure.tasks.chat_reply' in sys.modules); "
        "hf.chat('a/b', ['hi']).decode(hf.raw_reply(200, b'{}')); "
        "print('msgspec' in sys.modules, 'hf_pure.tasks.chat_reply_read' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "False False"
    assert out[1] == "True True"  # the first reply loads them (a refused body: the readers too)


# ----------------------------------------------------------------------- the shared idiom


class _Pair(msgspec.Struct, frozen=True):
    a: int  # required: so the typed path refuses an error object (it has no "a")
    b: str = ""


_PAIR = msgspec.json.Decoder(_Pair)


def _strict_pair(body: bytes) -> _Pair | None:
    try:
        return _PAIR.decode(body)
    except ValueError:
        return None


def _read_pair(obj: Any) -> _Pair | Any:
    from hf_pure.tasks._read import Bad, fields, integer, text

    if type(obj) is not dict:
        return Bad("", "expected an object")
    got = fields(obj, "", (("a", integer), ("b", text)))
    return got if isinstance(got, Bad) else _Pair(a=got[0] or 0, b=got[1] or "")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"a": 1, "b": "x"}', Success(_Pair(a=1, b="x"))),  # the typed path
        (b'{"a": null, "b": "x"}', Success(_Pair(a=0, b="x"))),  # refused there: the readers
        (b'{"b": "x"}', Success(_Pair(a=0, b="x"))),
        (b'{"a": "one"}', "a: expected an integer, got text"),
        (b"[1]", "expected an object"),
        (b"nope", "the body is not valid JSON"),
        (b'{"error": "busy", "error_type": "overloaded"}', ErrorEvent("busy", "overloaded")),
    ],
)
def test_decode_strictly_is_the_idiom_for_every_reply(body: bytes, expected: Any) -> None:
    from hf_pure.tasks._reply import decode_strictly

    out = decode_strictly(raw_reply(200, body), _strict_pair, _read_pair)
    if isinstance(expected, str):
        error = out.failure()
        assert isinstance(error, hf.MalformedResponse)
        assert error.reason == expected
    elif isinstance(expected, ErrorEvent):
        assert out.failure() == expected
    else:
        assert out == expected
