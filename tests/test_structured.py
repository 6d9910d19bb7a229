"""Structured outputs, pure: the schema of a class (checked against dicts written by hand from
the rules in hf_pure/tasks/_schema.py's docstring and OpenAI's strict mode), the answer decoded
into the class (wrong fields named by path, code fences tolerated), and the modifier's wire
forms (the OpenAI form on the router, TGI's grammar form on hf-inference, TGI's ``grammar``
parameter on text generation)."""

from __future__ import annotations

import json
import math
from typing import Any, Literal

import attrs
import msgspec
import pytest
from hypothesis import given
from returns.result import Failure, Success
from structured_samples import (
    CLASSES,
    INSTANCES,
    Item,
    Node,
    Order,
    Point,
    Reading,
    Segment,
    Size,
    Ticket,
    Tree,
    conforms,
    obeys_strict,
    refs_in,
)
from toolz import pipe

import hf_pure as hf
from hf_pure.core.codec import loads

LIMITS = hf.Limits()
MODEL = "meta-llama/Llama-3.1-8B-Instruct"

# ---------------------------------------------------------------- schemas, written by hand

POINT_STRICT = {
    "title": "Point",
    "type": "object",
    "properties": {"x": {"type": "integer"}, "y": {"type": "number", "default": 0.0}},
    "required": ["x", "y"],
    "additionalProperties": False,
}
POINT_LOOSE = {
    "title": "Point",
    "type": "object",
    "properties": {"x": {"type": "integer"}, "y": {"type": "number", "default": 0.0}},
    "required": ["x"],
}


def item(strict: bool) -> dict[str, Any]:
    closed = {"additionalProperties": False} if strict else {}
    return {
        "title": "Item",
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "qty": {"type": "integer", "minimum": 1, "description": "how many"},
        },
        "required": ["name", "qty"],
        **closed,
    }


def order(strict: bool) -> dict[str, Any]:
    null_default = {} if strict else {"default": None}
    fields = ["items", "size", "status", "note", "at", "tags"]
    return {
        "title": "Order",
        "description": "An order.",
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item(strict)},
            "size": {"title": "Size", "enum": ["large", "small"], "type": "string"},
            "status": {"enum": ["new", "paid"], "type": "string"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], **null_default},
            "at": {  # a fixed tuple: no "items": false (maxItems says it)
                "type": "array",
                "prefixItems": [{"type": "number"}, {"type": "number"}],
                "minItems": 2,
                "maxItems": 2,
                "default": [0.0, 0.0],
            },
            "tags": {"type": "array", "items": {"type": "string"}, "default": []},
        },
        "required": fields if strict else fields[:3],
        **({"additionalProperties": False} if strict else {}),
    }


def node(strict: bool) -> dict[str, Any]:
    return {
        "title": "Node",
        "type": "object",
        "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}, "default": []},
        },
        "required": ["value", "children"] if strict else ["value"],
        **({"additionalProperties": False} if strict else {}),
    }


def test_an_attrs_class_in_both_forms() -> None:
    assert hf.json_schema_of(Point) == POINT_STRICT
    assert hf.json_schema_of(Point, strict=False) == POINT_LOOSE


@pytest.mark.parametrize("strict", [True, False])
def test_a_struct_with_nested_optional_tuple_literal_enum_and_meta(strict: bool) -> None:
    assert hf.json_schema_of(Order, strict=strict) == order(strict)


@pytest.mark.parametrize("strict", [True, False])
def test_an_attrs_class_holding_a_struct_an_int_enum_and_a_mixed_literal(strict: bool) -> None:
    fields = ["title", "priority", "code", "done", "order"]
    expected = {
        "title": "Ticket",
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "priority": {"title": "Priority", "enum": [1, 2], "type": "integer"},
            "code": {"enum": [1, "a"], "type": ["integer", "string"]},
            "done": {"type": "boolean", "default": False},
            "order": {
                "anyOf": [order(strict), {"type": "null"}],
                **({} if strict else {"default": None}),
            },
        },
        "required": fields if strict else fields[:3],
        **({"additionalProperties": False} if strict else {}),
    }
    assert hf.json_schema_of(Ticket, strict=strict) == expected


def test_a_dataclass_and_a_default_factory() -> None:
    assert hf.json_schema_of(Reading, strict=False) == {
        "title": "Reading",
        "type": "object",
        "properties": {
            "sensor": {"type": "string"},
            "values": {"type": "array", "items": {"type": "integer"}, "default": []},
        },
        "required": ["sensor"],
    }


def test_a_class_used_twice_is_inlined_twice_without_refs() -> None:
    schema = hf.json_schema_of(Segment)
    assert refs_in(schema) == []
    assert "$defs" not in schema
    assert schema["description"] == "Two points."
    assert schema["properties"] == {"start": POINT_STRICT, "end": POINT_STRICT}


@pytest.mark.parametrize("strict", [True, False])
def test_a_class_that_contains_itself_keeps_its_definition(strict: bool) -> None:
    assert hf.json_schema_of(Node, strict=strict) == {
        **node(strict),
        "$defs": {"Node": node(strict)},
    }
    tree = hf.json_schema_of(Tree, strict=strict)
    assert tree["properties"]["root"] == {"$ref": "#/$defs/Node"}
    assert tree["$defs"] == {"Node": node(strict)}
    assert tree["required"] == (["root", "name"] if strict else ["root"])


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_strict_schema_obeys_openais_strict_rules(cls: type) -> None:
    schema = hf.json_schema_of(cls)
    assert obeys_strict(schema) == []
    assert all(ref.startswith("#/$defs/") for ref in refs_in(schema))
    assert set(schema.get("$defs", {})) <= {"Node"}  # only the class that contains itself


def test_properties_keep_the_field_order() -> None:
    assert list(hf.json_schema_of(Order)["properties"]) == [
        "items",
        "size",
        "status",
        "note",
        "at",
        "tags",
    ]


def test_each_call_gives_a_fresh_schema() -> None:
    first = hf.json_schema_of(Point)
    first["properties"]["x"]["type"] = "string"
    assert hf.json_schema_of(Point) == POINT_STRICT


# ---------------------------------------------------------------- what can't be a schema


@attrs.frozen
class Complex:
    z: complex


@attrs.frozen
class HoldsComplex:
    name: str
    inner: list[Complex]


class Counts(msgspec.Struct):
    counts: dict[str, int]


@attrs.frozen
class Loose:
    anything: Any


class Pair(msgspec.Struct, array_like=True):
    a: int
    b: str


@attrs.frozen
class NotANumber:
    x: float = math.nan


@attrs.frozen
class Unresolved:
    x: Missing  # type: ignore[name-defined]  # noqa: F821


@pytest.mark.parametrize(
    ("cls", "strict", "named"),
    [
        (Complex, True, ["Complex.z", "complex"]),
        (HoldsComplex, False, ["Complex.z", "complex"]),
        (Counts, True, ["Counts.counts", "free keys", "strict=False"]),
        (Loose, True, ["Loose.anything", "any type", "strict=False"]),
        (Pair, True, ["Pair", "array", "object at the root"]),
        (NotANumber, False, ["NotANumber", ".properties.x.default", "NaN"]),
        (Unresolved, True, ["Unresolved", "Missing"]),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_a_class_that_cant_be_a_schema_is_a_type_error_naming_it(
    cls: type, strict: bool, named: list[str]
) -> None:
    with pytest.raises(TypeError) as raised:
        hf.json_schema_of(cls, strict=strict)
    for word in named:
        assert word in str(raised.value)
    with pytest.raises(TypeError):
        hf.structured(cls, strict=strict)


def test_what_strict_mode_refuses_the_plain_form_takes() -> None:
    assert hf.json_schema_of(Counts, strict=False)["properties"]["counts"] == {
        "type": "object",
        "additionalProperties": {"type": "integer"},
    }
    assert hf.json_schema_of(Loose, strict=False)["properties"]["anything"] == {}
    assert hf.json_schema_of(Pair, strict=False)["type"] == "array"


@pytest.mark.parametrize("given_cls", [int, dict, Point(x=1), "Point", list[Point], None], ids=repr)
def test_only_classes_are_taken(given_cls: Any) -> None:
    for call in (hf.json_schema_of, hf.structured, lambda c: hf.parse_answer("{}", c)):
        with pytest.raises(TypeError, match="attrs class, a msgspec Struct"):
            call(given_cls)
    with pytest.raises(TypeError, match="pass its class"):
        hf.json_schema_of(Point(x=1))  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_strict_and_name_are_checked(bad: Any) -> None:
    with pytest.raises(TypeError, match="strict"):
        hf.json_schema_of(Point, strict=bad)
    with pytest.raises(TypeError, match="strict"):
        hf.structured(Point, strict=bad)


@pytest.mark.parametrize("bad", [1, b"Point", Point])
def test_a_name_is_a_str(bad: Any) -> None:
    with pytest.raises(TypeError, match="name"):
        hf.structured(Point, name=bad)


# ---------------------------------------------------------------- parsing answers


def completion(text: str | None, finish: str = "stop", calls: bool = False) -> hf.ChatCompletion:
    tool_calls = (hf.AnswerToolCall(id="c1", function=_function("f", "{}")),) if calls else None
    message = hf.AnswerMessage(content=text, wire_tool_calls=tool_calls)
    return hf.ChatCompletion(
        id="x",
        model=MODEL,
        created=0,
        choices=(hf.Choice(index=0, message=message, finish_reason=finish),),
    )


def _function(name: str, arguments: str) -> Any:
    from hf_pure.tasks.chat_reply import FunctionCall

    return FunctionCall(name=name, arguments=arguments)


def malformed(result: hf.Result[Any, hf.HfError]) -> hf.MalformedResponse:
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, hf.MalformedResponse), error
    return error


ORDER = Order(items=[Item(name="tea", qty=2)], size=Size.SMALL, status="new")
ORDER_JSON = '{"items":[{"name":"tea","qty":2}],"size":"small","status":"new"}'


def test_every_kind_of_answer_parses() -> None:
    chat = completion(ORDER_JSON)
    tgi = hf.TextGeneration(generated_text=ORDER_JSON)
    for answer in (ORDER_JSON, chat, chat.choices[0], chat.message, tgi, Success(chat)):
        assert hf.parse_answer(answer, Order) == Success(ORDER)


def test_a_failure_passes_through() -> None:
    error = hf.Timeout(phase="total", seconds=3.0)
    assert hf.parse_answer(Failure(error), Order) == Failure(error)


@pytest.mark.parametrize(
    "text",
    [
        f"```json\n{ORDER_JSON}\n```",
        f"```JSON\n{ORDER_JSON}\n```",
        f"```\n{ORDER_JSON}\n```",
        f"  \n```json\n{ORDER_JSON}\n```\n\n",
        f"```{ORDER_JSON}```",
        f"```json\n\n  {ORDER_JSON}  \n\n```",
        f"\n\n{ORDER_JSON}\n",
    ],
)
def test_a_fence_around_the_whole_answer_is_tolerated(text: str) -> None:
    assert hf.parse_answer(text, Order) == Success(ORDER)


@pytest.mark.parametrize(
    "text",
    [
        f"Here it is:\n```json\n{ORDER_JSON}\n```",
        f"```json\n{ORDER_JSON}\n```\nHope that helps!",
        f"```json\n{ORDER_JSON}\n```\n```json\n{ORDER_JSON}\n```",
        f"```json\n{ORDER_JSON}",
    ],
)
def test_prose_or_broken_fences_are_not_json(text: str) -> None:
    assert "not JSON" in malformed(hf.parse_answer(text, Order)).reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '{"items":[{"name":"tea","qty":"2"}],"size":"small","status":"new"}',
            "items[0].qty: expected int, got str",
        ),
        (
            '{"items":[{"name":"tea","qty":2},{"qty":1}],"size":"small","status":"new"}',
            "items[1].name: missing (the field is required)",
        ),
        (
            '{"items":[{"name":"tea","qty":0}],"size":"small","status":"new"}',
            "items[0].qty: expected int >= 1",
        ),
        ('{"items":[],"size":"medium","status":"new"}', "size: invalid enum value 'medium'"),
        ('{"items":[],"size":"small","status":"lost"}', "status: invalid enum value 'lost'"),
        ('{"items":[],"size":"small","status":"new","at":[1.0]}', "at: expected array of length 2"),
        (
            '{"items":[],"size":"small","status":"new","note":5}',
            "note: expected str | null, got int",
        ),
        ('{"items":{},"size":"small","status":"new"}', "items: expected array, got object"),
        ('{"size":"small","status":"new"}', "items: missing (the field is required)"),
        ("[1, 2]", "expected object, got array"),
        ("3", "expected object, got int"),
    ],
)
def test_a_reply_that_doesnt_fit_names_the_field(text: str, reason: str) -> None:
    error = malformed(hf.parse_answer(text, Order))
    assert error.reason.startswith(reason), error.reason
    assert error.reason.endswith("(reading the answer as Order)")
    assert error.status == 200
    assert error.excerpt.startswith(text[:20])


def test_an_unknown_field_is_named_when_the_class_forbids_them() -> None:
    class Closed(msgspec.Struct, forbid_unknown_fields=True):
        a: int

    assert hf.parse_answer('{"x": 1, "extra": 2}', Point) == Success(Point(x=1))  # ignored
    error = malformed(hf.parse_answer('{"a": 1, "extra": 2}', Closed))
    assert error.reason.startswith("extra: is not a field of the class")


@attrs.frozen
class Positive:
    x: int = attrs.field(validator=attrs.validators.ge(0))


def test_an_attrs_validator_refusing_the_answer_is_malformed() -> None:
    error = malformed(hf.parse_answer('{"x": -1}', Positive))
    assert "'x' must be >= 0" in error.reason
    assert hf.parse_answer('{"x": 3}', Positive) == Success(Positive(x=3))


@pytest.mark.parametrize(
    "text", ["hello", '{"items": [', "", "   ", "\ud800", ORDER_JSON + " and more"]
)
def test_text_that_isnt_json_is_malformed_never_an_exception(text: str) -> None:
    error = malformed(hf.parse_answer(text, Order))
    assert "not JSON" in error.reason or "no text" in error.reason


def test_json_nested_past_the_decoders_depth_is_malformed() -> None:
    deep = '{"anything": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert "not JSON" in malformed(hf.parse_answer(deep, Loose)).reason
    assert hf.parse_answer('{"anything": [[1]]}', Loose) == Success(Loose(anything=[[1]]))


def test_a_cut_answer_says_so() -> None:
    cut = completion(ORDER_JSON[:30], finish="length")
    assert "cut at its token limit" in malformed(hf.parse_answer(cut, Order)).reason
    whole = completion(ORDER_JSON[:30], finish="stop")
    assert "cut" not in malformed(hf.parse_answer(whole, Order)).reason
    details = hf.GenerationDetails(finish_reason="length", generated_tokens=3)
    tgi = hf.TextGeneration(generated_text=ORDER_JSON[:30], details=details)
    assert "cut at its token limit" in malformed(hf.parse_answer(tgi, Order)).reason


def test_an_answer_without_text_is_malformed() -> None:
    assert "tool calls" in malformed(hf.parse_answer(completion(None, calls=True), Order)).reason
    empty = hf.ChatCompletion(id="", model=MODEL, created=0, choices=())
    assert "no text" in malformed(hf.parse_answer(empty, Order)).reason


@pytest.mark.parametrize("answer", [b"{}", 3, None, {"x": 1}])
def test_a_wrong_answer_type_is_a_type_error(answer: Any) -> None:
    with pytest.raises(TypeError, match="answer must be"):
        hf.parse_answer(answer, Point)


@given(INSTANCES)
def test_any_instance_as_json_parses_back_equal(value: Any) -> None:
    text = msgspec.json.encode(value).decode()
    cls = type(value)
    assert hf.parse_answer(text, cls) == Success(value)
    assert hf.parse_answer(f"```json\n{text}\n```", cls) == Success(value)
    assert hf.parse_answer(completion(text), cls) == Success(value)


@given(INSTANCES)
def test_both_schemas_accept_every_instance(value: Any) -> None:
    plain = json.loads(msgspec.json.encode(value))
    for strict in (True, False):
        assert conforms(plain, hf.json_schema_of(type(value), strict=strict))


@pytest.mark.parametrize(
    ("value", "schema"),
    [
        ({"x": 1}, POINT_LOOSE),
        ({"x": 1, "y": 2}, POINT_STRICT),
        ({"items": [], "size": "small", "status": "new"}, order(False)),
    ],
)
def test_the_checker_is_honest(value: Any, schema: dict[str, Any]) -> None:
    """The schema checker the properties rely on refuses what the schema refuses."""
    assert conforms(value, schema)
    assert not conforms({**value, "x": "1"} if "x" in value else {**value, "size": "m"}, schema)
    assert not conforms([], schema)
    if schema.get("additionalProperties") is False:
        assert not conforms({**value, "extra": 1}, schema)


# ---------------------------------------------------------------- the modifier, on the wire


def body_of(request: Any) -> tuple[str, Any]:
    assert request.check(LIMITS) is None
    call = request.to_call()
    assert call.body is not None
    return call.path, call.body


def test_structured_on_the_router_is_the_openai_form_in_field_order() -> None:
    path, raw = body_of(pipe(hf.chat(MODEL, ["hi"]), hf.structured(Order)))
    assert path == "/v1/chat/completions"
    assert loads(raw)["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Order", "schema": order(True), "strict": True},
    }
    sent = json.loads(raw)  # json keeps the order of keys as sent
    properties = sent["response_format"]["json_schema"]["schema"]["properties"]
    assert list(properties) == ["items", "size", "status", "note", "at", "tags"]


def test_structured_takes_a_name_and_the_plain_form() -> None:
    _, raw = body_of(pipe(hf.chat(MODEL, ["hi"]), hf.structured(Point, "pt", strict=False)))
    assert loads(raw)["response_format"]["json_schema"] == {
        "name": "pt",
        "schema": POINT_LOOSE,
        "strict": False,
    }


def test_structured_via_hf_inference_is_tgis_grammar_form() -> None:
    request = pipe(hf.chat(MODEL, ["hi"]), hf.structured(Order), hf.via("hf-inference"))
    path, raw = body_of(request)
    assert path == f"/hf-inference/models/{MODEL}/v1/chat/completions"
    assert loads(raw)["response_format"] == {"type": "json_object", "value": order(True)}
    assert next(iter(json.loads(raw)["response_format"]["value"]["properties"])) == "items"


def test_structured_on_text_generation_is_tgis_grammar_parameter() -> None:
    path, raw = body_of(pipe(hf.text_generation("gpt2", "A point:"), hf.structured(Point)))
    assert path == "/hf-inference/models/gpt2"
    assert loads(raw)["parameters"]["grammar"] == {"type": "json", "value": POINT_STRICT}
    assert "response_format" not in loads(raw)["parameters"]


def test_structured_elsewhere_is_reported_by_check() -> None:
    request = pipe(hf.summarization("facebook/bart-large-cnn", "Long text."), hf.structured(Point))
    problem = request.check(LIMITS)
    assert isinstance(problem, hf.InvalidInput)
    assert problem.field == "response_format"
    assert "chat and text generation" in problem.reason


def test_equal_settings_give_equal_requests() -> None:
    one = pipe(hf.chat(MODEL, ["hi"]), hf.structured(Order), hf.temperature(0.0))
    two = pipe(hf.chat(MODEL, ["hi"]), hf.temperature(0.0), hf.structured(Order))
    assert one == two
    assert hash(one) == hash(two)
    assert one != pipe(hf.chat(MODEL, ["hi"]), hf.structured(Order, strict=False))


CITY = msgspec.defstruct("Citt\u00e0", [("nome", str)])  # a class name OpenAI's alphabet lacks


def test_the_default_name_is_in_openais_alphabet() -> None:
    _, raw = body_of(pipe(hf.chat(MODEL, ["hi"]), hf.structured(CITY)))
    assert loads(raw)["response_format"]["json_schema"]["name"] == "Citt_"


def test_a_literal_is_an_enum_of_its_values_with_their_type() -> None:
    class Vote(msgspec.Struct):
        choice: Literal["yes", "no"]
        weight: Literal[1, 2, 3] = 1

    for strict in (True, False):
        properties = hf.json_schema_of(Vote, strict=strict)["properties"]
        assert sorted(properties["choice"]["enum"]) == ["no", "yes"]  # msgspec sorts them
        assert properties["choice"]["type"] == "string"
        assert sorted(properties["weight"]["enum"]) == [1, 2, 3]
        assert properties["weight"]["type"] == "integer"
