"""Inputs are taken honestly (issue 9, section 2): nothing a caller gives is sent as something
else, and nothing raises from ``run()`` that ``check()`` could have named.

The rule under test: what a request *sends* (messages and their content, tools, option values,
the model, the prompt) is data, so a builder or modifier takes any value, and ``check()``
reports what can't go on the wire as ``InvalidInput`` naming the field; on/off switches and
``image_part``'s bytes steer the client, so a wrong type there is a ``TypeError`` naming the
argument. Either way no internals leak (no AttributeError, no "dictionary update sequence").
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.core.codec import loads
from hf_pure.core.config import make_config
from hf_pure.tasks.options import Unsendable
from hf_pure.testing import Emulator

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
TGI = "gpt2"
LIMITS = hf.Limits()
LONE = "\ud800"


def field_of(request: Any) -> str:
    found = request.check(LIMITS)
    assert found is not None, "expected check() to refuse the request"
    assert isinstance(found, hf.InvalidInput)
    assert found.reason
    return str(found.field)


def reason_of(request: Any) -> str:
    found = request.check(LIMITS)
    assert found is not None
    return str(found.reason)


def body(request: Any) -> Any:
    assert request.check(LIMITS) is None
    call = request.to_call()
    assert call.body is not None
    return loads(call.body)


def chat(*modifiers: Callable[[Any], Any]) -> Any:
    return pipe(hf.chat(MODEL, [hf.user("hi")]), *modifiers)


def tgi(*modifiers: Callable[[Any], Any]) -> Any:
    return pipe(hf.text_generation(TGI, "Once upon a time"), *modifiers)


# ---------------------------------------------------------------- a str is not a list of messages


def test_a_str_as_messages_is_not_split_into_letters() -> None:
    req = hf.chat(MODEL, "hello")
    assert len(req.messages) == 1  # not five one-letter messages
    found = req.check(LIMITS)
    assert found is not None
    assert found.field == "messages"
    assert "hf.user" in found.reason  # the fix, in the message
    assert isinstance(hf.validate(req), Failure)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("hello", "str"),
        ({"role": "user", "content": "hi"}, "one message"),
        ({hf.user("a"), hf.user("b")}, "set"),
        (b"hello", "bytes"),
        (5, "int"),
        (None, "NoneType"),
    ],
)
def test_what_is_not_a_list_of_messages_is_reported_with_the_fix(given: Any, words: str) -> None:
    for req in (hf.chat(MODEL, given), chat(hf.with_messages(given))):
        found = req.check(LIMITS)
        assert found is not None
        assert found.field == "messages"
        assert words in found.reason


def test_an_item_that_is_not_a_message_names_its_index() -> None:
    req = hf.chat(MODEL, [hf.user("hi"), 42])  # type: ignore[list-item]
    assert field_of(req) == "messages[1]"
    assert field_of(chat(hf.add_messages(b"raw"))) == "messages[1]"  # type: ignore[arg-type]


# ---------------------------------------------------------------- content is text or parts


NOT_CONTENT = [{"q": 1}, {"q"}, frozenset({"q"}), b"hi", bytearray(b"hi"), 5, 1.5, True, object()]


BUILDERS: list[tuple[str, Callable[[Any], hf.Message]]] = [
    ("user", hf.user),
    ("system", hf.system),
    ("developer", hf.developer),
    ("assistant", hf.assistant),
    ("tool_result", lambda c: hf.tool_result("call_1", c)),
]
CONTENT_CASES = [
    pytest.param(build, content, id=f"{name}-{type(content).__name__}")
    for name, build in BUILDERS
    for content in NOT_CONTENT
    if not (name == "tool_result" and isinstance(content, dict))  # sent as JSON: see below
]


@pytest.mark.parametrize(("build", "content"), CONTENT_CASES)
def test_non_text_content_is_invalid_input_not_its_keys(build: Any, content: Any) -> None:
    req = hf.chat(MODEL, [build(content)])
    assert field_of(req) == "messages[0].content"


@pytest.mark.parametrize("content", NOT_CONTENT, ids=lambda c: type(c).__name__)
def test_non_text_content_in_an_openai_dict_or_system_prompt(content: Any) -> None:
    assert field_of(hf.chat(MODEL, [{"role": "user", "content": content}])) == (
        "messages[0].content"
    )
    assert field_of(chat(hf.system_prompt(content))) == "messages[0].content"


def test_a_dict_is_never_sent_as_its_keys() -> None:
    req = hf.chat(MODEL, [hf.user({"q": 1})])
    assert "dict" in reason_of(req)
    with pytest.raises(TypeError):  # sent without check(): refused, not sent as "q"
        req.to_call()


@pytest.mark.parametrize(
    ("part", "field"),
    [
        (5, "messages[0].content[1]"),
        ({"text": "no type"}, "messages[0].content[1]"),
        ({"type": "text", "text": 5}, "messages[0].content[1]"),
        ({"type": "image_url", "image_url": {"url": 5}}, "messages[0].content[1]"),
        (
            {"type": "input_audio", "input_audio": {"data": b"x"}},
            "messages[0].content[1].input_audio.data",
        ),
        (hf.image_url("https://x/cat.png", detail=5), "messages[0].content[1].detail"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_part_names_its_index(part: Any, field: str) -> None:
    assert field_of(hf.chat(MODEL, [hf.user(["look", part])])) == field


def test_good_parts_still_go_as_they_are() -> None:
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    sent = body(hf.chat(MODEL, [hf.user(["look", {"type": "text", "text": "t"}, audio])]))
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "look"},
        {"type": "text", "text": "t"},
        audio,
    ]


def test_a_dict_given_to_tool_result_is_sent_as_its_json_text() -> None:
    result = {"temp_c": 18, "city": "Paris", "hourly": [17.5, 18]}
    sent = body(hf.chat(MODEL, [hf.user("weather?"), hf.tool_result("call_1", result)]))
    content = sent["messages"][1]["content"]
    assert isinstance(content, str)
    assert loads(content) == result  # the values are all there
    assert content == '{"city":"Paris","hourly":[17.5,18],"temp_c":18}'  # canonical JSON
    nan = hf.chat(MODEL, [hf.tool_result("call_1", {"temp_c": math.nan})])
    assert field_of(nan) == "messages[0].content.temp_c"


# ---------------------------------------------------------------- lone surrogates


SURROGATE_CASES: list[tuple[str, Callable[[], Any], str]] = [
    ("content", lambda: chat(hf.with_messages([hf.user(f"a{LONE}b")])), "messages[0].content"),
    (
        "dict content",
        lambda: hf.chat(MODEL, [{"role": "user", "content": LONE}]),
        "messages[0].content",
    ),
    ("text part", lambda: hf.chat(MODEL, [hf.user(["ok", LONE])]), "messages[0].content[1]"),
    (
        "image url",
        lambda: hf.chat(MODEL, [hf.user([hf.image_url(f"https://x/{LONE}.png")])]),
        "messages[0].content[0]",
    ),
    (
        "message name",
        lambda: hf.chat(MODEL, [hf.Message("user", "hi", name=LONE)]),
        "messages[0].name",
    ),
    (
        "tool_call_id",
        lambda: hf.chat(MODEL, [hf.user("hi"), hf.tool_result(LONE, "18")]),
        "messages[1].tool_call_id",
    ),
    (
        "tool call arguments",
        lambda: hf.chat(
            MODEL, [hf.assistant(None, [hf.ToolCall("c1", "f", f'{{"x": "{LONE}"}}')])]
        ),
        "messages[0].tool_calls[0].arguments",
    ),
    (
        "system prompt",
        lambda: chat(hf.system_prompt(f"be {LONE}")),
        "messages[0].content",
    ),
    ("tool description", lambda: chat(hf.tools(hf.tool("f", LONE))), "tools[0].description"),
    (
        "tool schema",
        lambda: chat(hf.tools(hf.tool("f", "", {"properties": {"x": {"description": LONE}}}))),
        "tools[0].parameters.properties.x.description",
    ),
    ("tool name", lambda: chat(hf.tools(hf.tool(f"f{LONE}"))), "tools[0].name"),
    ("stop", lambda: chat(hf.stop("ok", LONE)), "stop[1]"),
    ("tool_choice", lambda: chat(hf.tools(hf.tool("f")), hf.tool_choice(LONE)), "tool_choice"),
    ("extra_body", lambda: chat(hf.extra_body(user=LONE)), "user"),
    ("extra_body nested", lambda: chat(hf.extra_body(meta={"k": [LONE]})), "meta.k[0]"),
    ("extra_body key", lambda: chat(hf.extra_body(meta={LONE: 1})), "meta.\\ud800"),
    (
        "json_schema",
        lambda: chat(hf.json_schema("r", {"title": LONE})),
        "response_format.json_schema.schema.title",
    ),
    ("model", lambda: hf.chat(f"org/m{LONE}", ["hi"]), "model"),
    ("provider suffix", lambda: chat(hf.provider(f"groq{LONE}")), "model"),
    ("tgi prompt", lambda: hf.text_generation(TGI, f"Once {LONE}"), "prompt"),
    ("tgi stop", lambda: tgi(hf.stop(LONE)), "stop[0]"),
    ("tgi model", lambda: hf.text_generation(f"gpt{LONE}", "hi"), "model"),
]


@pytest.mark.parametrize(
    ("request_", "field"),
    [(r, f) for _, r, f in SURROGATE_CASES],
    ids=[name for name, _, _ in SURROGATE_CASES],
)
def test_a_lone_surrogate_anywhere_is_invalid_input_before_sending(
    request_: Callable[[], Any], field: str
) -> None:
    assert field_of(request_()) == field
    found = request_().check(LIMITS)
    found.message.encode("utf-8")  # the error itself can be printed (the CLI prints it)


def test_the_surrogate_reason_says_where_and_how_to_clean_it() -> None:
    reason = reason_of(hf.chat(MODEL, [hf.user(f"abc{LONE}")]))
    assert "character 3" in reason
    assert "encode('utf-8', 'replace')" in reason


def test_valid_non_ascii_text_and_real_astral_characters_pass() -> None:
    text = "Grüße, 你好, 😀 — “quoted”"
    assert (
        body(hf.chat(MODEL, [hf.user(text), hf.user(["x", text])]))["messages"][0]["content"]
        == text
    )
    assert body(chat(hf.stop(text), hf.extra_body(user=text)))["stop"] == [text]
    assert body(hf.text_generation(TGI, text))["inputs"] == text


async def test_run_returns_invalid_input_for_a_surrogate_instead_of_raising(
    emulator: Emulator,
) -> None:
    config = make_config(router_url=emulator.url, hub_url=emulator.url).unwrap()
    async with hf.open_runner(config, token=emulator.token) as runner:
        for req in (hf.chat(MODEL, [hf.user(LONE)]), hf.text_generation(TGI, LONE)):
            result = await runner.run(req)
            assert isinstance(result, Failure)
            assert isinstance(result.failure(), hf.InvalidInput)


def test_the_cli_reports_undecodable_argv_without_a_traceback() -> None:
    # Python turns argv bytes that aren't UTF-8 into lone surrogates (surrogateescape)
    done = subprocess.run(
        [sys.executable, "-m", "hf_pure", "chat", b"hi \xff there", "--emulator"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2  # a usage error: the CLI refuses text that isn't UTF-8
    assert "Traceback" not in stderr
    assert "argument prompt: is not valid UTF-8 text (byte 0xff at position 3)" in stderr


# ---------------------------------------------------------------- router_url: the OpenAI habit


@pytest.mark.parametrize(
    "url",
    [
        "https://router.huggingface.co/v1",
        "https://router.huggingface.co/v1/",
        "https://router.huggingface.co",
        "https://router.huggingface.co/",
    ],
)
def test_a_router_url_ending_in_v1_is_accepted_and_stripped(url: str) -> None:
    assert hf.ClientConfig(router_url=url).router_url == "https://router.huggingface.co"
    assert make_config(router_url=url).unwrap().router_url == "https://router.huggingface.co"


def test_only_a_trailing_v1_segment_is_stripped() -> None:
    assert hf.ClientConfig(router_url="https://proxy/v1x").router_url == "https://proxy/v1x"
    assert hf.ClientConfig(router_url="https://proxy/api").router_url == "https://proxy/api"


async def test_a_v1_router_url_reaches_the_chat_route(emulator: Emulator) -> None:
    config = make_config(router_url=emulator.url + "/v1", hub_url=emulator.url).unwrap()
    async with hf.open_runner(config, token=emulator.token) as runner:
        result = await runner.run(pipe(hf.chat(MODEL, [hf.user("hi")]), hf.max_tokens(4)))
    assert isinstance(result, Success), result


# ---------------------------------------------------------------- JSON values are plain JSON


@pytest.mark.parametrize(
    ("bad", "path", "words"),
    [
        (math.nan, "", "JSON number"),
        (math.inf, "", "JSON number"),
        (b"raw", "", "bytes"),
        ({1, 2}, "", "set"),
        (object(), "", "not a JSON value"),
        ({"a": [1, {"b": -math.inf}]}, ".a[1].b", "JSON number"),
        ({1: "int key"}, "", "key"),
    ],
    ids=["nan", "inf", "bytes", "set", "object", "nested-inf", "int-key"],
)
def test_non_json_is_invalid_input_naming_the_field(bad: Any, path: str, words: str) -> None:
    schema = {"type": "object", "properties": {"x": bad}}
    cases = [
        (chat(hf.tools(hf.tool("f", "", schema))), f"tools[0].parameters.properties.x{path}"),
        (
            chat(hf.json_schema("r", schema)),
            f"response_format.json_schema.schema.properties.x{path}",
        ),
        (chat(hf.extra_body(meta=bad)), f"meta{path}"),
        (chat(hf.extra_body(meta=[bad])), f"meta[0]{path}"),
        (chat(hf.option("meta", {"x": bad})), f"meta.x{path}"),
        (tgi(hf.option("grammar", {"value": bad})), f"grammar.value{path}"),
    ]
    for req, field in cases:
        assert field_of(req) == field
        assert words in reason_of(req)


def test_nan_is_not_sent_as_null_and_bytes_not_as_base64() -> None:
    # before: msgspec wrote NaN as null and bytes as base64, silently
    for req in (chat(hf.extra_body(x=math.nan)), chat(hf.extra_body(x=b"hi"))):
        assert isinstance(hf.validate(req), Failure)
        with pytest.raises(TypeError):
            req.to_call()  # an Unsendable is refused by the encoder, never sent as data


def test_plain_json_schemas_still_go_as_canonical_json() -> None:
    schema = {"type": "object", "properties": {"b": {"type": "number"}, "a": {"enum": [1, 2.5]}}}
    sent = body(chat(hf.tools(hf.tool("f", "d", schema)), hf.extra_body(meta={"z": 1, "a": None})))
    assert sent["tools"][0]["function"]["parameters"] == schema
    assert sent["meta"] == {"a": None, "z": 1}


def test_a_tool_schema_that_is_not_a_dict_is_invalid_input() -> None:
    req = chat(hf.tools(hf.tool("f", "", "{}")))  # type: ignore[arg-type]
    assert field_of(req) == "tools[0].parameters"
    assert "dict" in reason_of(req)


def test_unsendable_is_a_value() -> None:
    a, b = Unsendable("why", ".x"), Unsendable("why", ".x")
    assert a == b and hash(a) == hash(b) and a != Unsendable("why", ".y")
    assert a.at("stop") == "stop.x" and Unsendable("r", "messages").at("messages[0]") == "messages"
    with pytest.raises(AttributeError):
        a.reason = "changed"
    assert hash(chat(hf.extra_body(x=math.nan))) == hash(chat(hf.extra_body(x=math.nan)))


# ---------------------------------------------------------------- options of the other task


CHAT_ONLY = [
    ("json_mode", hf.json_mode(), "response_format"),
    ("json_schema", hf.json_schema("r", {"type": "object"}), "response_format"),
    ("response_format", hf.response_format({"type": "json_object"}), "response_format"),
    ("tool_choice", hf.tool_choice("auto"), "tool_choice"),
    ("logprobs", hf.logprobs(3), "logprobs"),
    ("provider", hf.provider("groq"), "provider"),
    ("via", hf.via("groq"), "route"),
    ("tools", hf.tools(hf.tool("f")), "tools"),
    ("stream_usage", hf.stream_usage(False), "stream_options"),
    ("n", hf.n(2), "n"),
    ("presence_penalty", hf.presence_penalty(0.5), "presence_penalty"),
    ("frequency_penalty", hf.frequency_penalty(0.5), "frequency_penalty"),
    ("logit_bias", hf.logit_bias({"1": 2.0}), "logit_bias"),
    ("add_messages", hf.add_messages(hf.user("x")), "messages"),
    ("with_messages", hf.with_messages([hf.user("x")]), "messages"),
    ("system_prompt", hf.system_prompt("x"), "messages"),
]


@pytest.mark.parametrize(
    ("name", "modify", "field"), CHAT_ONLY, ids=[name for name, _, _ in CHAT_ONLY]
)
def test_a_chat_modifier_on_text_generation_says_it_does_not_apply(
    name: str, modify: Any, field: str
) -> None:
    req = tgi(modify)
    assert field_of(req) == field
    assert f"{name}()" in reason_of(req)
    assert "doesn't apply to text generation" in reason_of(req)
    assert field_of(hf.text_generation(f"{TGI}:groq", "hi")) == "model"  # no gpt2:groq either


TGI_ONLY = [
    ("top_k", hf.top_k(5)),
    ("repetition_penalty", hf.repetition_penalty(1.1)),
    ("return_full_text", hf.return_full_text()),
    ("details", hf.details()),
    ("do_sample", hf.do_sample()),
    ("truncate", hf.truncate(10)),
]


@pytest.mark.parametrize(("name", "modify"), TGI_ONLY, ids=[n for n, _ in TGI_ONLY])
def test_a_text_generation_modifier_on_chat_says_it_does_not_apply(name: str, modify: Any) -> None:
    req = chat(modify)
    assert field_of(req) == name
    assert "doesn't apply to chat" in reason_of(req)


def test_shared_modifiers_apply_to_both_tasks() -> None:
    for modify in (hf.temperature(0.5), hf.top_p(0.5), hf.seed(1), hf.stop("x"), hf.max_tokens(4)):
        assert chat(modify).check(LIMITS) is None
        assert tgi(modify).check(LIMITS) is None
    assert body(tgi(hf.max_tokens(4)))["parameters"] == {"max_new_tokens": 4}
    assert field_of(tgi(hf.option("max_tokens", 4))) == "max_tokens"
    assert field_of(chat(hf.option("max_new_tokens", 4))) == "max_new_tokens"


# ---------------------------------------------------------------- one way to set an option


def test_every_way_to_set_an_option_makes_the_same_request() -> None:
    base = hf.chat(MODEL, [hf.user("hi")])
    ways = [
        hf.n(2)(base),
        hf.option("n", 2)(base),
        hf.extra_body(n=2)(base),
        base.with_option("n", 2),
        hf.ChatRequest(model=MODEL, messages=base.messages, options={"n": 2}),
        hf.ChatRequest(model=MODEL, messages=base.messages, options=[("n", 2)]),
    ]
    assert all(w == ways[0] and hash(w) == hash(ways[0]) for w in ways)
    stops = [
        hf.stop("a", "b")(base),
        hf.stop(["a", "b"])(base),
        hf.option("stop", ["a", "b"])(base),
    ]
    assert all(s == stops[0] for s in stops) and stops[0].stop == ("a", "b")


# ---------------------------------------------------------------- wrong types name the argument


def _chat_with(message: Any) -> Any:
    return hf.chat(MODEL, [message])


WRONG_TYPES: list[tuple[str, Callable[[], Any]]] = [
    # builders of messages and parts: content is data (InvalidInput); names too
    ("user(b'hi')", lambda: _chat_with(hf.user(b"hi"))),  # type: ignore[arg-type]
    ("user(5)", lambda: _chat_with(hf.user(5))),  # type: ignore[arg-type]
    ("system(None)", lambda: _chat_with(hf.system(None))),  # type: ignore[arg-type]
    ("developer([])", lambda: _chat_with(hf.developer([]))),  # type: ignore[arg-type]
    ("assistant(5)", lambda: _chat_with(hf.assistant(5))),  # type: ignore[arg-type]
    ("assistant(tool_calls=5)", lambda: _chat_with(hf.assistant("x", 5))),  # type: ignore[arg-type]
    ("assistant(tool_calls=[5])", lambda: _chat_with(hf.assistant("x", [5]))),  # type: ignore[list-item]
    ("tool_result(5, ...)", lambda: _chat_with(hf.tool_result(5, "x"))),  # type: ignore[arg-type]
    ("tool_result(..., name=5)", lambda: _chat_with(hf.tool_result("c", "x", 5))),  # type: ignore[arg-type]
    ("text_part(5)", lambda: _chat_with(hf.user([hf.text_part(5)]))),  # type: ignore[arg-type]
    ("image_part('cat.png')", lambda: hf.image_part("cat.png")),  # type: ignore[arg-type]
    ("image_part(mime=5)", lambda: hf.image_part(b"x", 5)),  # type: ignore[arg-type]
    ("image_url(5)", lambda: _chat_with(hf.user([hf.image_url(5)]))),  # type: ignore[arg-type]
    ("Message(role=5)", lambda: _chat_with(hf.Message(5, "x"))),  # type: ignore[arg-type]
    ("dict role 5", lambda: _chat_with({"role": 5, "content": "x"})),
    ("dict tool_calls 5", lambda: _chat_with({"role": "assistant", "tool_calls": 5})),
    ("dict tool_calls [5]", lambda: _chat_with({"role": "assistant", "tool_calls": [5]})),
    ("dict name []", lambda: _chat_with({"role": "user", "content": "x", "name": []})),
    ("ToolCall(5, 5, 5)", lambda: _chat_with(hf.assistant(None, [hf.ToolCall(5, 5, 5)]))),  # type: ignore[arg-type]
    # tools
    ("tool(5)", lambda: chat(hf.tools(hf.tool(5)))),  # type: ignore[arg-type]
    ("tool(description=5)", lambda: chat(hf.tools(hf.tool("f", 5)))),  # type: ignore[arg-type]
    ("tool(parameters=[])", lambda: chat(hf.tools(hf.tool("f", "", [])))),  # type: ignore[arg-type]
    ("tool(strict='yes')", lambda: chat(hf.tools(hf.tool("f", strict="yes")))),  # type: ignore[arg-type]
    ("tools(5)", lambda: chat(hf.tools(5))),  # type: ignore[arg-type]
    # the request builders
    ("chat(5, ...)", lambda: hf.chat(5, ["hi"])),  # type: ignore[arg-type]
    ("chat(..., 5)", lambda: hf.chat(MODEL, 5)),  # type: ignore[arg-type]
    ("ChatRequest(options=5)", lambda: hf.ChatRequest(model=MODEL, messages=["hi"], options=5)),  # type: ignore[arg-type]
    (
        "ChatRequest(options={1: 2})",
        lambda: hf.ChatRequest(model=MODEL, messages=["hi"], options={1: 2}),  # type: ignore[arg-type]
    ),
    ("text_generation(5, ...)", lambda: hf.text_generation(5, "hi")),  # type: ignore[arg-type]
    ("text_generation(..., 5)", lambda: hf.text_generation(TGI, 5)),  # type: ignore[arg-type]
    ("text_generation(..., b'')", lambda: hf.text_generation(TGI, b"hi")),  # type: ignore[arg-type]
    # modifiers shared by both tasks
    ("option(5, 1)", lambda: chat(hf.option(5, 1))),  # type: ignore[arg-type]
    ("option('x', object())", lambda: chat(hf.option("x", object()))),
    ("temperature('hot')", lambda: chat(hf.temperature("hot"))),  # type: ignore[arg-type]
    ("top_p([1])", lambda: tgi(hf.top_p([1]))),  # type: ignore[arg-type]
    ("seed('1')", lambda: chat(hf.seed("1"))),  # type: ignore[arg-type]
    ("stop(5)", lambda: chat(hf.stop(5))),  # type: ignore[arg-type]
    ("stop({'a'})", lambda: tgi(hf.stop({"a"}))),  # type: ignore[arg-type]
    ("max_tokens('8')", lambda: chat(hf.max_tokens("8"))),  # type: ignore[arg-type]
    ("streaming('yes')", lambda: chat(hf.streaming("yes"))),  # type: ignore[arg-type]
    ("cacheable(1)", lambda: tgi(hf.cacheable(1))),  # type: ignore[arg-type]
    # chat modifiers
    ("provider(5)", lambda: chat(hf.provider(5))),  # type: ignore[arg-type]
    ("via(5)", lambda: chat(hf.via(5))),  # type: ignore[arg-type]
    ("tool_choice(5)", lambda: chat(hf.tool_choice(5))),  # type: ignore[arg-type]
    ("tool_choice({})", lambda: chat(hf.tool_choice({"type": "function"}))),  # type: ignore[arg-type]
    ("response_format('json_object')", lambda: chat(hf.response_format("json_object"))),  # type: ignore[arg-type]
    ("response_format(5)", lambda: chat(hf.response_format(5))),  # type: ignore[arg-type]
    ("response_format({})", lambda: chat(hf.response_format({}))),
    ("json_schema(5, {})", lambda: chat(hf.json_schema(5, {}))),  # type: ignore[arg-type]
    ("json_schema('r', 'x')", lambda: chat(hf.json_schema("r", "x"))),  # type: ignore[arg-type]
    ("json_schema(strict='x')", lambda: chat(hf.json_schema("r", {}, strict="x"))),  # type: ignore[arg-type]
    ("n('2')", lambda: chat(hf.n("2"))),  # type: ignore[arg-type]
    ("presence_penalty(None+)", lambda: chat(hf.presence_penalty([0.1]))),  # type: ignore[arg-type]
    ("frequency_penalty('x')", lambda: chat(hf.frequency_penalty("x"))),  # type: ignore[arg-type]
    ("logit_bias(5)", lambda: chat(hf.logit_bias(5))),  # type: ignore[arg-type]
    ("logit_bias('x')", lambda: chat(hf.logit_bias("x"))),  # type: ignore[arg-type]
    ("logit_bias({'1': 'x'})", lambda: chat(hf.logit_bias({"1": "x"}))),  # type: ignore[dict-item]
    ("logprobs('3')", lambda: chat(hf.logprobs("3"))),  # type: ignore[arg-type]
    ("stream_usage('no')", lambda: chat(hf.stream_usage("no"))),  # type: ignore[arg-type]
    ("extra_body(x=set())", lambda: chat(hf.extra_body(x={1}))),
    ("add_messages(5)", lambda: chat(hf.add_messages(5))),  # type: ignore[arg-type]
    ("with_messages('hi')", lambda: chat(hf.with_messages("hi"))),
    ("system_prompt(5)", lambda: chat(hf.system_prompt(5))),  # type: ignore[arg-type]
    # text-generation modifiers
    ("top_k('5')", lambda: tgi(hf.top_k("5"))),  # type: ignore[arg-type]
    ("repetition_penalty('x')", lambda: tgi(hf.repetition_penalty("x"))),  # type: ignore[arg-type]
    ("return_full_text('yes')", lambda: tgi(hf.return_full_text("yes"))),  # type: ignore[arg-type]
    ("details(1)", lambda: tgi(hf.details(1))),  # type: ignore[arg-type]
    ("do_sample('no')", lambda: tgi(hf.do_sample("no"))),  # type: ignore[arg-type]
    ("truncate(1.5)", lambda: tgi(hf.truncate(1.5))),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("build", [b for _, b in WRONG_TYPES], ids=[n for n, _ in WRONG_TYPES])
def test_a_wrong_type_is_a_named_type_error_or_invalid_input(build: Callable[[], Any]) -> None:
    try:
        request = build()
    except TypeError as exc:  # a switch or a builder argument: named, in words
        message = str(exc)
        assert "()" in message or "options" in message or "tool_calls" in message, message
        assert "object has no attribute" not in message
        assert "not iterable" not in message
        return
    found = request.check(LIMITS)  # data: check names the field, and never raises
    assert isinstance(found, hf.InvalidInput), found
    assert found.field and found.reason
    assert isinstance(hf.validate(request), Failure)
    hash(request)  # still a value (a cache key)


def test_with_option_keeps_every_other_field() -> None:
    # with_option builds positionally (it runs once per modifier): a field added to a request
    # class in another position must not be silently shuffled or dropped.
    import attrs

    chat_req = pipe(
        hf.chat(f"{MODEL}:groq", [hf.user("hi")]),
        hf.tools(hf.tool("f")),
        hf.streaming(),
        hf.stream_usage(False),
        hf.via("groq"),
        hf.cacheable(),
    )
    tgi_req = pipe(hf.text_generation(TGI, "Once"), hf.streaming(), hf.cacheable())
    for req in (chat_req, tgi_req):
        changed = req.with_option("seed", 7)
        for field in attrs.fields(type(req)):
            if field.name != "options":
                assert getattr(changed, field.name) == getattr(req, field.name), field.name
        assert changed.seed == 7


def test_any_mapping_at_the_top_is_taken_as_a_json_object() -> None:
    from types import MappingProxyType

    schema = MappingProxyType({"type": "object"})
    sent = body(
        chat(
            hf.tools(hf.tool("f", "", schema)),
            hf.json_schema("r", schema),
            hf.extra_body(meta=MappingProxyType({"a": 1})),
        )
    )
    assert sent["tools"][0]["function"]["parameters"] == {"type": "object"}
    assert sent["response_format"]["json_schema"]["schema"] == {"type": "object"}
    assert sent["meta"] == {"a": 1}
    tool_msg = hf.chat(MODEL, [hf.tool_result("c", MappingProxyType({"t": 1}))])
    assert body(tool_msg)["messages"][0]["content"] == '{"t":1}'


def test_the_json_and_unicode_checks_themselves() -> None:
    from hf_pure.core.codec import has_lone_surrogate, non_json

    assert not has_lone_surrogate("ascii") and not has_lone_surrogate("é中😀")
    assert has_lone_surrogate("\ud83d\ude00")  # a surrogate *pair* written out is not text
    assert has_lone_surrogate("é\udcff") and has_lone_surrogate("😀\ud800")
    assert non_json({"a": [1, 2.5, None, True, "x", {"b": ()}]}) is None
    assert non_json({"a": [1, {"b": math.nan}]}) == (
        ".a[1].b",
        "nan is not a JSON number (JSON has no NaN or infinity)",
    )
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert non_json(deep) == ("", "is nested too deeply to be sent as JSON")  # no RecursionError
    assert isinstance(hf.validate(chat(hf.extra_body(deep=deep))), Failure)


def test_the_trusted_constructors_set_every_field_as_attrs_init_does() -> None:
    # chat(), text_generation() and with_option build through the slots' descriptors, skipping
    # attrs' __init__: the field list must be attrs' own, in its order, plus the hash cache,
    # and the request equal to, and hashed as, the one __init__ makes.
    import attrs

    from hf_pure.tasks import chat as chat_module
    from hf_pure.tasks import text_generation as tgi_module

    for fields, cls in (
        (chat_module.CHAT_TRUSTED_FIELDS, hf.ChatRequest),
        (tgi_module.TGI_TRUSTED_FIELDS, hf.TextGenerationRequest),
    ):
        names = tuple(f.name for f in attrs.fields(cls))
        assert (*names, "_attrs_cached_hash") == fields, cls
    built = pipe(hf.chat(MODEL, [hf.user("hi")]), hf.max_tokens(5), hf.temperature(0.5))
    made = hf.ChatRequest(
        model=MODEL, messages=[hf.user("hi")], options={"max_tokens": 5, "temperature": 0.5}
    )
    assert built == made and hash(built) == hash(made)
    assert hash(built) == hash(built)  # the cached hash works on a trusted request
    tgi = pipe(hf.text_generation(TGI, "Once"), hf.max_tokens(3))
    tgi_made = hf.TextGenerationRequest(model=TGI, prompt="Once", options={"max_new_tokens": 3})
    assert tgi == tgi_made and hash(tgi) == hash(tgi_made)
    assert attrs.evolve(built, stream=True).stream  # still an attrs value to evolve


def test_json_schema_keeps_the_property_order_on_the_wire() -> None:
    # models tend to write properties in schema order: the schema must not be sent sorted
    schema = {
        "type": "object",
        "properties": {"zeta": {"type": "string"}, "alpha": {"type": "integer"}},
    }
    sent = hf.chat(MODEL, [hf.user("hi")])
    sent = hf.json_schema("r", schema)(sent)
    body = sent.to_call().body or b""
    assert body.index(b'"zeta"') < body.index(b'"alpha"')
    assert sent.check(LIMITS) is None
    bad = hf.json_schema("r", {"type": "object", "minimum": float("nan")})(
        hf.chat(MODEL, [hf.user("hi")])
    )
    problem = bad.check(LIMITS)
    assert problem is not None and problem.field.startswith("response_format")
