"""Structured output through the emulator: its JSON instance of a schema (checked against the
schema by the spec-written checker in structured_samples, and by decoding into the class),
TGI's ``grammar`` parameter on text generation, and round trips through the runner on the
router (OpenAI form) and on hf-inference (TGI's grammar form):
chat with hf.structured(cls) -> parse_answer -> an instance of cls."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import orjson
import pytest
from conftest import failure_of
from returns.result import Success
from structured_samples import CLASSES, Node, Order, Point, Ticket, Tree, conforms
from toolz import pipe

import hf_pure as hf
from hf_pure.testing._answers import Invalid
from hf_pure.testing._structured import DEEP, instance_of

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
ROUTES = ["router", "hf-inference"]


def ask(cls: type, route: str, **options: Any) -> hf.ChatRequest:
    request: hf.ChatRequest = pipe(
        hf.chat(LLAMA, [hf.user("Describe it as JSON")]), hf.structured(cls, **options)
    )
    return hf.via("hf-inference")(request) if route == "hf-inference" else request


# ---------------------------------------------------------------- the emulator's instance


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_the_instance_fits_the_schema_and_the_class(cls: type, strict: bool) -> None:
    schema = hf.json_schema_of(cls, strict=strict)
    value = instance_of(schema)
    assert conforms(value, schema)
    assert isinstance(hf.parse_answer(json.dumps(value), cls).unwrap(), cls)
    assert instance_of(schema) == value  # deterministic


def test_the_instance_follows_the_rules() -> None:
    """Written from the module's rules: strings "emulated" (then "emulated 2", ...), numbers
    1, 2, ... by position, enums their first value, every property near the top, one item."""
    assert instance_of(hf.json_schema_of(Point)) == {"x": 1, "y": 1.0}
    assert instance_of(hf.json_schema_of(Order)) == {
        "items": [{"name": "emulated", "qty": 1}],
        "size": "large",
        "status": "new",
        "note": "emulated",
        "at": [1.0, 2.0],
        "tags": ["emulated"],
    }


def test_a_recursive_schema_ends() -> None:
    """A node's child is two JSON levels below it (object, array, object): the children
    arrays at depths 1 and 3 are below DEEP (4) and get one node each; the one at 5 is empty."""
    assert DEEP == 4
    value = instance_of(hf.json_schema_of(Node))
    chain = 0
    while value["children"]:
        [value] = value["children"]
        chain += 1
    assert chain == 2


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, 0.5),
        ({"type": "integer", "minimum": 10}, 10),
        ({"type": "integer", "exclusiveMinimum": 10}, 11),
        ({"type": "integer", "maximum": -5}, -5),
        ({"type": "integer", "minimum": 10, "multipleOf": 7}, 14),
        ({"type": "string", "minLength": 12}, "emulatedxxxx"),
        ({"type": "string", "maxLength": 3}, "emu"),
        ({"type": "string", "format": "date-time"}, "2024-01-01T12:00:00Z"),
        ({"type": "string", "format": "uuid"}, "00000000-0000-4000-8000-000000000000"),
        ({"type": "string", "contentEncoding": "base64"}, "ZW11bGF0ZWQgMA=="),
        ({"const": {"a": [1]}}, {"a": [1]}),
        ({"enum": [3, "x"]}, 3),
        ({"type": ["null", "boolean"]}, True),
        ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, 1),
        (
            {"type": "array", "items": {"type": "integer"}, "minItems": 3, "uniqueItems": True},
            [1, 2, 3],
        ),
        (
            {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
            ["emulated", 2],
        ),
        (
            {"type": "array", "prefixItems": [{"type": "string"}], "items": False},
            ["emulated"],
        ),
        ({"type": "array", "items": {"type": "string"}, "maxItems": 0}, []),
        (
            {
                "allOf": [
                    {"$ref": "#/$defs/a"},
                    {"properties": {"b": {"type": "boolean"}}, "required": ["b"]},
                ],
                "$defs": {"a": {"properties": {"a": {"type": "integer"}}, "required": ["a"]}},
            },
            {"a": 1, "b": True},
        ),
        ({"$ref": "#/$defs/x~1y", "$defs": {"x/y": {"type": "null"}}}, None),
        (True, "emulated"),
    ],
)
def test_keywords(schema: Any, expected: Any) -> None:
    assert instance_of(schema) == expected
    assert type(instance_of(schema)) is type(expected)
    if isinstance(schema, dict) and "allOf" not in schema:
        assert conforms(expected, schema)


@pytest.mark.parametrize(
    ("schema", "said"),
    [
        ({"$ref": "#/$defs/missing"}, "points at nothing"),
        ({"$ref": "https://example.com/schema.json"}, "only local"),
        ({"type": "object", "properties": {"me": {"$ref": "#"}}, "required": ["me"]}, "finite"),
        ({"anyOf": [False]}, "no branch"),
        ({"type": "array", "prefixItems": [True], "items": False, "minItems": 3}, "at least 3"),
        ({"type": "array", "minItems": 2, "maxItems": 1}, "at least 2 items and at most 1"),
        ({"type": "object", "properties": {"a": False}, "required": ["a"]}, "must be an object"),
    ],
)
def test_a_schema_without_an_instance_is_refused(schema: Any, said: str) -> None:
    with pytest.raises(Invalid, match=said):
        instance_of(schema)


# ---------------------------------------------------------------- on the wire, plain aiohttp


async def post(http: aiohttp.ClientSession, path: str, body: object) -> tuple[int, Any]:
    async with http.post(path, data=orjson.dumps(body)) as resp:
        return resp.status, orjson.loads(await resp.read())


SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city"],
}
HELLO = [{"role": "user", "content": "Weather?"}]


@pytest.mark.parametrize(
    ("path", "response_format"),
    [
        (
            "/v1/chat/completions",
            {"type": "json_schema", "json_schema": {"name": "w", "schema": {"$ref": "#/x"}}},
        ),
        (
            f"/hf-inference/models/{LLAMA}/v1/chat/completions",
            {"type": "json_object", "value": {"$ref": "#/x"}},
        ),
    ],
)
async def test_a_dangling_ref_is_a_validation_error(
    http: aiohttp.ClientSession, path: str, response_format: Any
) -> None:
    status, data = await post(
        http, path, {"model": LLAMA, "messages": HELLO, "response_format": response_format}
    )
    assert status == 422
    assert data["error_type"] == "validation"
    assert "points at nothing" in data["error"]


@pytest.mark.parametrize("value", [SCHEMA, json.dumps(SCHEMA)])
async def test_tgi_answers_a_json_grammar_with_json(
    http: aiohttp.ClientSession, value: Any
) -> None:
    grammar = {"type": "json", "value": value}
    body = {"inputs": "Weather:", "parameters": {"grammar": grammar, "max_new_tokens": 50}}
    status, data = await post(http, "/hf-inference/models/gpt2", body)
    assert status == 200, data
    assert json.loads(data[0]["generated_text"]) == {"city": "emulated", "days": 1}


@pytest.mark.parametrize(
    ("grammar", "said"),
    [
        ({"type": "regex", "value": "[a-z]+"}, "regex"),
        ({"type": "xml", "value": "<a/>"}, "unknown variant"),
        ({"type": "json"}, "missing field `value`"),
        ({"type": "json", "value": 3}, "valid JSON object"),
        ({"type": "json", "value": "{not json"}, "valid JSON object"),
        ("json", "must be an object"),
    ],
)
async def test_tgi_refuses_other_grammars(
    http: aiohttp.ClientSession, grammar: Any, said: str
) -> None:
    body = {"inputs": "Weather:", "parameters": {"grammar": grammar}}
    status, data = await post(http, "/hf-inference/models/gpt2", body)
    assert status == 422
    assert said in data["error"]


# ---------------------------------------------------------------- round trips, the runner


@pytest.mark.parametrize("route", ROUTES)
async def test_chat_structured_point_parses_into_a_point(runner: hf.Runner, route: str) -> None:
    answer = await runner.run(ask(Point, route))
    assert hf.parse_answer(answer, Point) == Success(Point(x=1, y=1.0))


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("cls", [Order, Ticket, Node, Tree], ids=lambda c: c.__name__)
async def test_every_sample_class_round_trips(
    runner: hf.Runner, cls: type, route: str, strict: bool
) -> None:
    answer = (await runner.run(ask(cls, route, strict=strict))).unwrap()
    schema = hf.json_schema_of(cls, strict=strict)
    assert json.loads(answer.text) == instance_of(schema)  # the schema the emulator was sent
    parsed: Any = hf.parse_answer(answer, cls).unwrap()
    assert isinstance(parsed, cls)
    assert conforms(json.loads(hf.json_dumps(parsed)), schema)


@pytest.mark.parametrize("route", ROUTES)
async def test_a_streamed_answer_parses_too(runner: hf.Runner, route: str) -> None:
    result = await runner.stream(ask(Order, route)).collect()
    assert isinstance(hf.parse_answer(result, Order).unwrap(), Order)


async def test_text_generation_structured_parses(runner: hf.Runner) -> None:
    request = pipe(hf.text_generation("gpt2", "A point:"), hf.structured(Point), hf.max_tokens(30))
    assert hf.parse_answer(await runner.run(request), Point) == Success(Point(x=1, y=1.0))
    streamed = await runner.stream(request).collect()
    assert hf.parse_answer(streamed, Point) == Success(Point(x=1, y=1.0))


async def test_a_grammar_answer_cut_at_max_tokens_says_so(runner: hf.Runner) -> None:
    request = pipe(
        hf.text_generation("gpt2", "An order:"),
        hf.structured(Order),
        hf.max_tokens(3),
        hf.details(),
    )
    answer = (await runner.run(request)).unwrap()
    assert answer.details is not None and answer.details.finish_reason == "length"
    error = failure_of(hf.parse_answer(answer, Order))
    assert isinstance(error, hf.MalformedResponse)
    assert "cut at its token limit" in error.reason


async def test_a_failed_call_passes_through_parse_answer(runner: hf.Runner) -> None:
    request = pipe(hf.chat("nobody/nothing", ["hi"]), hf.structured(Point))
    error = failure_of(hf.parse_answer(await runner.run(request), Point))
    assert isinstance(error, hf.NotFound)
