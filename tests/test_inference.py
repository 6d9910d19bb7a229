"""The shared hf-inference task request: path, body, binary inputs, checks, value semantics."""

from __future__ import annotations

import base64
import json
from types import MappingProxyType
from typing import Any

import msgspec
from returns.result import Result, Success

import hf_pure as hf
from hf_pure.core.errors import HfError
from hf_pure.core.http import RawReply
from hf_pure.tasks._decode import decode_json, lazy_decoder
from hf_pure.tasks._read import Bad, fields, number, text
from hf_pure.tasks.inference import TaskRequest, TaskSpec, task_request
from hf_pure.tasks.validate import check_int

LIMITS = hf.Limits()


def _echo(reply: RawReply) -> Result[bytes, HfError]:
    return Success(reply.body)


def _no_empty(inputs: Any, limits: hf.Limits) -> hf.InvalidInput | None:
    return hf.InvalidInput("inputs", "is empty") if inputs == "" else None


SPEC = TaskSpec(
    task="summarization",
    decode=_echo,
    checks=MappingProxyType({"max_length": lambda n, v, _: check_int(n, v, 1)}),
    check_inputs=_no_empty,
)
PIPELINE = TaskSpec(
    task="feature-extraction", decode=_echo, pipeline=True, root=frozenset({"normalize"})
)


def test_path_names_the_model_and_only_pipeline_tasks_name_the_task() -> None:
    assert task_request(SPEC, "facebook/bart-large-cnn", "x").to_call().path == (
        "/hf-inference/models/facebook/bart-large-cnn"
    )
    assert task_request(PIPELINE, "BAAI/bge-large-en-v1.5", "x").to_call().path == (
        "/hf-inference/models/BAAI/bge-large-en-v1.5/pipeline/feature-extraction"
    )


def test_body_puts_parameters_in_their_object_and_root_options_at_the_root() -> None:
    plain = json.loads(task_request(SPEC, "m/x", "text").to_call().body or b"")
    assert plain == {"inputs": "text"}  # no parameters set: no object
    call = task_request(
        PIPELINE, "m/x", ["a", "b"], {"normalize": True, "truncate": None}
    ).to_call()
    assert json.loads(call.body or b"") == {"inputs": ["a", "b"], "normalize": True}
    with_params = task_request(SPEC, "m/x", "t", {"max_length": 5}).to_call()
    assert json.loads(with_params.body or b"") == {"inputs": "t", "parameters": {"max_length": 5}}
    assert with_params.content_type == "application/json"


def test_binary_inputs_go_raw_without_parameters_and_as_base64_with_them() -> None:
    data = b"\x89PNG\r\n\x1a\n rest"
    raw = task_request(SPEC, "m/x", data, content_type="image/png").to_call()
    assert raw.body == data and raw.content_type == "image/png"
    with_params = task_request(SPEC, "m/x", data, {"max_length": 3}, content_type="image/png")
    body = json.loads(with_params.to_call().body or b"")
    assert base64.b64decode(body["inputs"]) == data
    assert body["parameters"] == {"max_length": 3}


def test_check_reports_model_inputs_and_parameters_by_field() -> None:
    assert task_request(SPEC, "m/x", "ok").check(LIMITS) is None
    bad_model = task_request(SPEC, "bad model", "ok").check(LIMITS)
    assert bad_model is not None and bad_model.field == "model"
    empty = task_request(SPEC, "m/x", "").check(LIMITS)
    assert empty is not None and empty.field == "inputs"
    nan = task_request(SPEC, "m/x", {"a": float("nan")}).check(LIMITS)
    assert nan is not None and nan.field == "inputs.a"
    low = task_request(SPEC, "m/x", "ok", {"max_length": 0}).check(LIMITS)
    assert low is not None and low.field == "max_length"
    reserved = task_request(SPEC, "m/x", "ok").with_option("inputs", "x").check(LIMITS)
    assert reserved is not None and reserved.field == "inputs"
    number_model = task_request(SPEC, 42, "ok").check(LIMITS)  # type: ignore[arg-type]
    assert number_model is not None and number_model.field == "model"


def test_requests_are_values_equal_by_content_whatever_the_option_order() -> None:
    a = task_request(SPEC, "m/x", ["a", "b"], {"max_length": 5, "min_length": 1})
    b = (
        task_request(SPEC, "m/x", ("a", "b"))
        .with_option("min_length", 1)
        .with_option("max_length", 5)
    )
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert a != task_request(PIPELINE, "m/x", ["a", "b"], {"max_length": 5, "min_length": 1})
    assert a.option("max_length") == 5 and a.option("nope") is None
    assert a.task == "summarization"


def test_repr_shows_the_size_of_binary_inputs_not_the_bytes() -> None:
    shown = repr(task_request(SPEC, "m/x", b"\x00" * 5000, content_type="audio/wav"))
    assert "<5000 bytes>" in shown and len(shown) < 300
    assert isinstance(task_request(SPEC, "m/x", "t"), TaskRequest)


# -- the shared strict-then-lenient decode ------------------------------------------------


class Label(msgspec.Struct, frozen=True):
    label: str
    score: float


_STRICT = lazy_decoder(list[Label])


def _lenient(obj: Any) -> tuple[Label, ...] | Bad:
    if type(obj) is not list:
        return Bad("", "expected an array")
    out = []
    for i, item in enumerate(obj):
        if type(item) is not dict:
            return Bad(f"[{i}]", "expected an object")
        got = fields(item, f"[{i}]", (("label", text), ("score", number)))
        if isinstance(got, Bad):
            return got
        out.append(Label(label=got[0] or "", score=got[1] or 0.0))
    return tuple(out)


def _reply(body: bytes) -> RawReply:
    return hf.raw_reply(200, body)


def test_strict_path_and_lenient_path_agree_and_wrong_data_names_the_field() -> None:
    strict = decode_json(_reply(b'[{"label":"a","score":0.5}]'), _STRICT, _lenient, tuple)
    assert strict == Success((Label(label="a", score=0.5),))
    # a missing score: the strict type refuses, the reader tolerates it
    lenient = decode_json(_reply(b'[{"label":"a"}]'), _STRICT, _lenient, tuple)
    assert lenient == Success((Label(label="a", score=0.0),))
    wrong = decode_json(_reply(b'[{"label":3,"score":0.5}]'), _STRICT, _lenient, tuple)
    error = wrong.failure()
    assert isinstance(error, hf.MalformedResponse) and "[0].label" in error.message


def test_an_error_object_in_a_2xx_body_is_the_error_not_a_default_value() -> None:
    class Loose(msgspec.Struct, frozen=True):
        text: str = ""

    got = decode_json(
        _reply(b'{"error":"model overloaded"}'), lazy_decoder(Loose), lambda o: Loose()
    )
    error = got.failure()
    assert isinstance(error, hf.ErrorEvent) and "overloaded" in error.message
    not_json = decode_json(_reply(b"<html>"), _STRICT, _lenient).failure()
    assert isinstance(not_json, hf.MalformedResponse)


def _pick(name: str, value: Any, limits: hf.Limits) -> hf.InvalidInput | None:
    return None if value in ("a", "b") else hf.InvalidInput(name, "must be 'a' or 'b'")


def _sized(request: TaskRequest[int], reply: RawReply) -> Result[int, HfError]:
    return Success(len(request.inputs) + len(reply.body))


def _unused(reply: RawReply) -> Result[int, HfError]:
    return Success(-1)  # decode_for wins: this one must not be used


LOCAL = TaskSpec(
    task="feature-extraction",
    decode=_unused,
    checks=MappingProxyType({"pick": _pick}),
    pipeline=True,
    local=frozenset({"pick"}),
    decode_for=_sized,
)


def test_local_options_are_checked_but_never_sent() -> None:
    request = task_request(LOCAL, "m/x", ["a", "b", "c"], {"pick": "a", "other": 1})
    assert json.loads(request.to_call().body or b"") == {
        "inputs": ["a", "b", "c"],
        "parameters": {"other": 1},
    }
    assert request.option("pick") == "a"
    wrong = task_request(LOCAL, "m/x", "t", {"pick": "z"}).check(LIMITS)
    assert wrong is not None and wrong.field == "pick"


def test_decode_for_sees_the_request_and_cacheable_is_set_by_the_builder() -> None:
    request = task_request(LOCAL, "m/x", ["a", "b", "c"], cacheable=True)
    assert request.decode(_reply(b"12")) == Success(5)  # 3 inputs + 2 body bytes
    assert request.cacheable and not task_request(LOCAL, "m/x", "t").cacheable
