"""The emulator speaks the wire as the service does (WIRE.md): the grammar form on the
hf-inference chat route, each provider's own chat route, together-shaped streams, a plain
answer to a stream request, and a request log without credentials. Plain aiohttp over real
sockets, so these hold whatever the client sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from conftest import sse_data

from hf_pure.testing import Emulator, Fault, ModelCard, ProviderMapping
from hf_pure.testing.fixtures import EmulatorFactory

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
CHAT = "/v1/chat/completions"
HF_CHAT = f"/hf-inference/models/{LLAMA}{CHAT}"
HELLO = [{"role": "user", "content": "Tell me about rivers"}]
SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "days": {"type": "integer"},
        "metric": {"type": "boolean"},
        "note": {"type": "string"},
    },
    "required": ["city", "days", "metric"],
}
GRAMMAR: dict[str, Any] = {"type": "json_object", "value": SCHEMA}
OPENAI_FORM = {"type": "json_schema", "json_schema": {"name": "weather", "schema": SCHEMA}}

# WIRE.md, "Chat routes per provider": POST {router}/{provider}{route}
OWN_ROUTES = {
    "fireworks-ai": "/inference/v1/chat/completions",
    "novita": "/v3/openai/chat/completions",
    "groq": "/openai/v1/chat/completions",
    "cohere": "/compatibility/v1/chat/completions",
    "deepinfra": "/v1/openai/chat/completions",
}
PLAIN_ROUTE_PROVIDERS = (
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
)
ROUTES = {**OWN_ROUTES, **dict.fromkeys(PLAIN_ROUTE_PROVIDERS, CHAT)}
NO_CHAT = ("fal-ai", "replicate", "wavespeed", "black-forest-labs")
EVERY_ROUTE = sorted(set(ROUTES.values()))


def fits(value: object, schema: dict[str, Any]) -> bool:
    """A small checker for the flat object schemas used here (written from JSON Schema)."""
    types = {"string": str, "integer": int, "boolean": bool, "object": dict}
    if not isinstance(value, dict):
        return False
    props = schema["properties"]
    if not set(schema["required"]) <= set(value) <= set(props):
        return False
    for name, item in value.items():
        want = types[props[name]["type"]]
        if not isinstance(item, want) or (want is int and isinstance(item, bool)):
            return False
    return True


async def post(http: aiohttp.ClientSession, path: str, body: object) -> tuple[int, Any]:
    async with http.post(path, data=orjson.dumps(body)) as resp:
        raw = await resp.read()
    return resp.status, orjson.loads(raw)


async def stream(
    http: aiohttp.ClientSession, path: str, body: dict[str, Any]
) -> tuple[aiohttp.ClientResponse, list[str]]:
    async with http.post(path, data=orjson.dumps({**body, "stream": True})) as resp:
        assert resp.status == 200, await resp.read()
        raw = await resp.read()
    return resp, sse_data(raw)


def streamed_text(events: list[str]) -> str:
    chunks = [orjson.loads(e) for e in events if e != "[DONE]"]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


# ---------------------------------------------------------------- structured output


async def test_the_hf_inference_route_answers_the_grammar_form(
    http: aiohttp.ClientSession,
) -> None:
    body: dict[str, Any] = {"model": LLAMA, "messages": HELLO, "response_format": GRAMMAR}
    status, data = await post(http, HF_CHAT, body)
    assert status == 200, data
    assert fits(orjson.loads(data["choices"][0]["message"]["content"]), SCHEMA)
    _, events = await stream(http, HF_CHAT, body)
    assert fits(orjson.loads(streamed_text(events)), SCHEMA)
    status, data = await post(
        http, HF_CHAT, {**body, "response_format": {**GRAMMAR, "type": "json"}}
    )
    assert status == 200, data


@pytest.mark.parametrize(
    ("response_format", "said"),
    [
        (OPENAI_FORM, "json_schema"),  # the router's form
        ({"type": "json_object"}, "missing field `value`"),
        ({"type": "json_object", "value": "not a schema"}, "JSON schema"),
        ({"type": "text"}, "grammar type"),
        ("json_object", "must be an object"),
    ],
)
async def test_the_hf_inference_route_refuses_other_forms(
    http: aiohttp.ClientSession, response_format: object, said: str
) -> None:
    body = {"model": LLAMA, "messages": HELLO, "response_format": response_format}
    status, data = await post(http, HF_CHAT, body)
    assert status == 422
    assert data["error_type"] == "validation"
    assert said in data["error"]


@pytest.mark.parametrize("path", [CHAT, "/together/v1/chat/completions"])
async def test_the_router_routes_take_the_openai_form_and_refuse_the_grammar(
    http: aiohttp.ClientSession, path: str
) -> None:
    body = {"model": LLAMA, "messages": HELLO, "response_format": OPENAI_FORM}
    status, data = await post(http, path, body)
    assert status == 200, data
    assert fits(orjson.loads(data["choices"][0]["message"]["content"]), SCHEMA)
    status, data = await post(http, path, {**body, "response_format": GRAMMAR})
    assert status == 422
    assert "grammar form" in data["error"]
    assert "hf-inference" in data["error"]


# ---------------------------------------------------------------- chat routes per provider


@pytest.fixture
async def everywhere(emulator_factory: EmulatorFactory) -> AsyncIterator[aiohttp.ClientSession]:
    """An emulator whose one model every provider of WIRE.md's table serves."""
    card = ModelCard(
        id="acme/everywhere-7b",
        pipeline_tag="text-generation",
        providers=tuple(
            ProviderMapping(p, f"everywhere-7b-{p}", "conversational")
            for p in ("hf-inference", *ROUTES, *NO_CHAT)
        ),
        tags=("conversational",),
    )
    emu = await emulator_factory(models=[card])
    async with aiohttp.ClientSession(
        emu.url, headers={"Authorization": f"Bearer {emu.token}"}
    ) as session:
        yield session


@pytest.mark.parametrize("provider", sorted(ROUTES))
async def test_each_provider_answers_on_its_own_route_only(
    everywhere: aiohttp.ClientSession, provider: str
) -> None:
    body = {"model": "acme/everywhere-7b", "messages": HELLO}
    status, data = await post(everywhere, f"/{provider}{ROUTES[provider]}", body)
    assert status == 200, data
    assert data["object"] == "chat.completion"
    own_id = {**body, "model": f"everywhere-7b-{provider}"}  # the provider's name for it
    assert (await post(everywhere, f"/{provider}{ROUTES[provider]}", own_id))[0] == 200
    for route in EVERY_ROUTE:
        if route != ROUTES[provider]:
            status, data = await post(everywhere, f"/{provider}{route}", body)
            assert status == 404, (provider, route)
            assert ROUTES[provider] in data["error"]


@pytest.mark.parametrize("provider", NO_CHAT)
async def test_providers_without_chat_have_no_chat_route(
    everywhere: aiohttp.ClientSession, provider: str
) -> None:
    for route in EVERY_ROUTE:
        status, data = await post(
            everywhere, f"/{provider}{route}", {"model": "acme/everywhere-7b", "messages": HELLO}
        )
        assert status == 404
        assert "no chat" in data["error"]


async def test_hf_inference_chat_is_under_the_model_path(
    everywhere: aiohttp.ClientSession,
) -> None:
    body = {"model": "acme/everywhere-7b", "messages": HELLO}
    status, _ = await post(everywhere, f"/hf-inference/models/acme/everywhere-7b{CHAT}", body)
    assert status == 200
    status, data = await post(everywhere, f"/hf-inference{CHAT}", body)
    assert status == 404
    assert "/hf-inference/models/" in data["error"]


async def test_a_misrouted_request_does_not_take_a_chat_fault(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("chat", Fault.status(429))
    status, _ = await post(http, f"/groq{CHAT}", {"model": LLAMA, "messages": HELLO})
    assert status == 404
    assert emulator.pending("chat") == 1


# ---------------------------------------------------------------- provider-shaped streams


@pytest.mark.parametrize(
    ("path", "model"), [("/together/v1/chat/completions", LLAMA), (CHAT, f"{LLAMA}:together")]
)
async def test_together_streams_send_null_tool_calls_in_every_delta(
    http: aiohttp.ClientSession, path: str, model: str
) -> None:
    resp, events = await stream(http, path, {"model": model, "messages": HELLO, "max_tokens": 5})
    assert resp.headers["retry-after"] == "2"  # on a 200, as together sends it
    assert events[-1] == "[DONE]"
    deltas = [orjson.loads(e)["choices"][0]["delta"] for e in events[:-1]]
    assert len(deltas) == 7  # the role, five words, the finish
    assert all("tool_calls" in d and d["tool_calls"] is None for d in deltas)
    assert len(streamed_text(events).split()) == 5


async def test_other_streams_leave_tool_calls_out(http: aiohttp.ClientSession) -> None:
    for path, model in ((CHAT, LLAMA), ("/groq/openai/v1/chat/completions", LLAMA)):
        resp, events = await stream(http, path, {"model": model, "messages": HELLO})
        assert "retry-after" not in resp.headers
        assert not any("tool_calls" in orjson.loads(e)["choices"][0]["delta"] for e in events[:-1])


async def test_together_tool_call_deltas_carry_the_calls(http: aiohttp.ClientSession) -> None:
    tool = {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}
    _, events = await stream(
        http, "/together/v1/chat/completions", {"model": LLAMA, "messages": HELLO, "tools": [tool]}
    )
    deltas = [orjson.loads(e)["choices"][0]["delta"] for e in events[:-1]]
    assert deltas[0]["tool_calls"][0]["function"]["name"] == "now"
    assert deltas[-1] == {"tool_calls": None}  # the finish


# ---------------------------------------------------------------- a plain answer to a stream


async def test_ignore_stream_answers_a_chat_stream_request_whole(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    body = {"model": LLAMA, "messages": HELLO, "max_tokens": 4}
    _, whole = await post(http, CHAT, body)
    emulator.script("chat", Fault.ignore_stream())
    async with http.post(CHAT, data=orjson.dumps({**body, "stream": True})) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        data = await resp.json()
    assert data["object"] == "chat.completion"
    assert data["choices"] == whole["choices"]
    emulator.always("chat", Fault.ignore_stream())  # a request that did not stream: as ever
    assert (await post(http, CHAT, body))[1]["choices"] == whole["choices"]


async def test_ignore_stream_answers_a_tgi_stream_request_whole(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    path = "/hf-inference/models/gpt2"
    body = {"inputs": "Once", "parameters": {"max_new_tokens": 3}}
    _, whole = await post(http, path, body)
    emulator.script("text-generation", Fault.ignore_stream())
    async with http.post(path, data=orjson.dumps({**body, "stream": True})) as resp:
        assert resp.content_type == "application/json"
        assert await resp.json() == whole


# ---------------------------------------------------------------- the request log


async def test_the_log_never_keeps_a_credential(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    body = orjson.dumps({"model": LLAMA, "messages": HELLO})
    await http.post(CHAT, data=body)
    await http.post(CHAT, data=body, headers={"Authorization": "Bearer hf_someone_else"})
    await http.post(CHAT, data=body, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    await http.get("/api/models", headers={"Proxy-Authorization": "Bearer hf_proxy"})
    right, wrong, basic, hub = emulator.requests
    assert (right.header("authorization"), right.authorized) == ("Bearer <redacted>", True)
    assert (wrong.header("authorization"), wrong.authorized) == ("Bearer <redacted>", False)
    assert (basic.header("authorization"), basic.authorized) == ("Basic <redacted>", False)
    assert hub.header("proxy-authorization") == "Bearer <redacted>"
    logged = repr(emulator.requests)
    for secret in (emulator.token, "hf_someone_else", "dXNlcjpwYXNz", "hf_proxy"):
        assert secret not in logged
