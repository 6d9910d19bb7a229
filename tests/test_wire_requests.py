"""Requests as the service takes them (issue 9, section 5), asserted on the HttpCall alone.

The expectations are written from WIRE.md ("Chat routes per provider", the TGI facts), not read
from the client's tables, so a wrong row in ``CHAT_ROUTES`` fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from toolz import pipe

import hf_pure as hf
from hf_pure.core.codec import loads
from hf_pure.tasks.chat import CHAT_ROUTES

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
LIMITS = hf.Limits()
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def sent(request: Any, *, stream: bool = False) -> tuple[str, Any]:
    assert request.check(LIMITS) is None
    call = request.to_stream_call() if stream else request.to_call()
    assert call.body is not None
    return call.path, loads(call.body)


# ---------------------------------------------------------------- chat routes per provider

# WIRE.md, "Chat routes per provider": POST {router}/{provider}{route}
WIRE_ROUTES = [
    ("fireworks-ai", "/inference/v1/chat/completions"),
    ("novita", "/v3/openai/chat/completions"),
    ("groq", "/openai/v1/chat/completions"),
    ("cohere", "/compatibility/v1/chat/completions"),
    ("deepinfra", "/v1/openai/chat/completions"),
    *(
        (name, "/v1/chat/completions")
        for name in [
            "together",
            "nebius",
            "sambanova",
            "cerebras",
            "hyperbolic",
            "featherless-ai",
            "scaleway",
            "nscale",
            "baseten",
            "ovhcloud",
            "publicai",
            "zai-org",
            "openai",
        ]
    ),
]


@pytest.mark.parametrize(("provider", "route"), WIRE_ROUTES, ids=[p for p, _ in WIRE_ROUTES])
def test_via_a_provider_posts_to_its_real_chat_route(provider: str, route: str) -> None:
    for stream in (False, True):
        path, body = sent(pipe(hf.chat(MODEL, ["hi"]), hf.via(provider)), stream=stream)
        assert path == f"/{provider}{route}"
        assert body["model"] == MODEL


def test_the_route_table_holds_exactly_the_providers_with_their_own_path() -> None:
    special = {p: r for p, r in WIRE_ROUTES if r != "/v1/chat/completions"}
    assert dict(CHAT_ROUTES) == special
    with pytest.raises(TypeError):
        CHAT_ROUTES["groq"] = "/x"  # type: ignore[index]  # data, not mutable state


def test_via_hf_inference_puts_the_repo_in_the_path_and_none_is_the_router() -> None:
    path, body = sent(pipe(hf.chat(f"{MODEL}:hf-inference", ["hi"]), hf.via("hf-inference")))
    assert path == f"/hf-inference/models/{MODEL}/v1/chat/completions"
    assert body["model"] == f"{MODEL}:hf-inference"
    path, _ = sent(pipe(hf.chat(MODEL, ["hi"]), hf.via("groq"), hf.via(None)))
    assert path == "/v1/chat/completions"


@pytest.mark.parametrize("provider", ["fal-ai", "replicate", "wavespeed", "black-forest-labs"])
def test_a_provider_without_chat_is_refused_before_sending(provider: str) -> None:
    found = pipe(hf.chat(MODEL, ["hi"]), hf.via(provider)).check(LIMITS)
    assert found is not None
    assert found.field == "route"
    assert "no chat" in found.reason


# ---------------------------------------------------------------- structured output


def test_json_schema_goes_in_the_openai_form_through_the_router() -> None:
    for via in (None, "groq", "together"):
        _, body = sent(pipe(hf.chat(MODEL, ["hi"]), hf.json_schema("city", SCHEMA), hf.via(via)))
        assert body["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "city", "schema": SCHEMA, "strict": True},
        }


def test_json_schema_goes_in_tgi_grammar_form_on_hf_inference() -> None:
    req = pipe(hf.chat(MODEL, ["hi"]), hf.json_schema("city", SCHEMA), hf.via("hf-inference"))
    for stream in (False, True):
        _, body = sent(req, stream=stream)
        assert body["response_format"] == {"type": "json_object", "value": SCHEMA}
    assert req.response_format["type"] == "json_schema"  # the request keeps what was asked


def test_json_mode_goes_in_tgi_grammar_form_on_hf_inference() -> None:
    _, body = sent(pipe(hf.chat(MODEL, ["hi"]), hf.json_mode(), hf.via("hf-inference")))
    assert body["response_format"] == {"type": "json_object", "value": {"type": "object"}}
    _, body = sent(pipe(hf.chat(MODEL, ["hi"]), hf.json_mode()))
    assert body["response_format"] == {"type": "json_object"}


def test_a_grammar_given_as_is_goes_as_is_on_hf_inference() -> None:
    grammar = {"type": "json_object", "value": SCHEMA}
    req = pipe(hf.chat(MODEL, ["hi"]), hf.response_format(grammar), hf.via("hf-inference"))
    assert sent(req)[1]["response_format"] == grammar
    regex = {"type": "regex", "value": "[0-9]+"}
    req = pipe(hf.chat(MODEL, ["hi"]), hf.response_format(regex), hf.via("hf-inference"))
    assert sent(req)[1]["response_format"] == regex


# ---------------------------------------------------------------- text generation


def test_text_generation_always_sends_parameters() -> None:
    for stream in (False, True):
        path, body = sent(hf.text_generation("gpt2", "Once"), stream=stream)
        assert path == "/hf-inference/models/gpt2"
        assert body["parameters"] == {}
        path, body = sent(pipe(hf.text_generation("gpt2", "Once"), hf.seed(1)), stream=stream)
        assert body["parameters"] == {"seed": 1}
