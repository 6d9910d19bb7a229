"""The loopback emulator over real sockets, with plain aiohttp: routes, shapes, determinism."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

import hf_pure.testing
from hf_pure.testing import DEFAULT_MODELS, VOCAB, Emulator, ModelCard, ProviderMapping
from hf_pure.testing.fixtures import EmulatorFactory

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
CHAT = "/v1/chat/completions"
ROOT = Path(hf_pure.testing.__file__).resolve().parents[2]
HELLO = [{"role": "user", "content": "Tell me about rivers and mountains"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "metric": {"type": "boolean"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "note": {"type": "string"},
            },
            "required": ["city", "days", "metric", "unit"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}


def auth(emu: Emulator, token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.token if token is None else token}"}


def sse_data(raw: bytes) -> list[str]:
    """Data of each dispatched SSE event (a small spec-following decoder for the tests)."""
    text = raw.decode().replace("\r\n", "\n")
    out: list[str] = []
    for block in text.split("\n\n"):
        lines = []
        for line in block.split("\n"):
            if line.startswith("data:"):
                value = line[5:]
                lines.append(value[1:] if value.startswith(" ") else value)
        if lines:
            out.append("\n".join(lines))
    return out


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(emulator.url, headers=auth(emulator)) as session:
        yield session


async def post_json(
    http: aiohttp.ClientSession, path: str, body: object
) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with http.post(path, data=orjson.dumps(body)) as resp:
        raw = await resp.read()
    return resp.status, orjson.loads(raw), resp


async def chat(http: aiohttp.ClientSession, **fields: Any) -> dict[str, Any]:
    body = {"model": LLAMA, "messages": HELLO, **fields}
    status, data, _ = await post_json(http, CHAT, body)
    assert status == 200, data
    assert isinstance(data, dict)
    return data


async def chat_stream(http: aiohttp.ClientSession, **fields: Any) -> tuple[bytes, list[str]]:
    body = {"model": LLAMA, "messages": HELLO, "stream": True, **fields}
    async with http.post(CHAT, data=orjson.dumps(body)) as resp:
        assert resp.status == 200
        assert resp.content_type == "text/event-stream"
        raw = await resp.read()
    return raw, sse_data(raw)


# ---------------------------------------------------------------- lifecycle, health, auth


async def test_health_get_and_head(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    async with http.get("/") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}
        assert resp.headers["X-Request-Id"] == "emu-1"
    async with http.head("/") as resp:
        assert resp.status == 200
        assert await resp.read() == b""
        assert resp.headers["X-Request-Id"] == "emu-2"


async def test_urls_and_unbound_emulator(emulator: Emulator) -> None:
    assert emulator.url == emulator.router_url == emulator.hub_url
    assert emulator.url == f"http://127.0.0.1:{emulator.port}"
    assert emulator.port > 0
    with pytest.raises(RuntimeError):
        _ = Emulator().url
    with pytest.raises(ValueError):
        Emulator(reply_tokens=0)


async def test_close_then_start_rebinds_the_same_port(emulator: Emulator) -> None:
    port = emulator.port
    body = orjson.dumps({"model": LLAMA, "messages": HELLO})
    async with aiohttp.ClientSession(emulator.url, headers=auth(emulator)) as session:
        async with session.post(CHAT, data=body) as resp:
            assert resp.status == 200
        await emulator.close()
        assert not emulator.running
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.post(CHAT, data=body) as resp:
                await resp.read()
        await emulator.close()  # closing twice is harmless
        await emulator.start()
        assert emulator.port == port
        assert emulator.running
        async with session.post(CHAT, data=body) as resp:
            assert resp.status == 200
    assert [r.path for r in emulator.requests] == [CHAT, CHAT]


async def test_log_limit_keeps_the_latest_requests(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = await emulator_factory(log_limit=3)
    async with aiohttp.ClientSession(emu.url) as session:
        for i in range(10):
            async with session.get("/", params={"i": str(i)}) as resp:
                assert resp.status == 200
    assert 3 <= len(emu.requests) < 6
    assert emu.requests[-1].query == (("i", "9"),)


async def test_large_request_bodies_are_accepted(http: aiohttp.ClientSession) -> None:
    image = bytes(3 * 1024 * 1024)
    url = "data:image/png;base64," + base64.b64encode(image).decode()
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}]
    body = orjson.dumps({"model": "Qwen/Qwen2.5-VL-7B-Instruct", "messages": messages})
    assert len(body) > 4 * 1024 * 1024  # beyond aiohttp's default 1 MiB request limit
    async with http.post(CHAT, data=io.BytesIO(body)) as resp:
        assert resp.status == 200
        data = await resp.json()
    assert f"{len(image)} bytes" in data["choices"][0]["message"]["content"]


async def test_context_manager_starts_and_closes() -> None:
    async with Emulator(token="hf_other") as emu:
        assert emu.running
        assert emu.token == "hf_other"
        async with aiohttp.ClientSession() as session, session.get(emu.url + "/") as resp:
            assert resp.status == 200
    assert not emu.running


async def test_chat_requires_the_bearer_token(emulator: Emulator) -> None:
    body = orjson.dumps({"model": LLAMA, "messages": HELLO})
    async with aiohttp.ClientSession(emulator.url) as session:
        for headers in ({}, auth(emulator, "hf_wrong"), {"Authorization": "Basic abc"}):
            async with session.post(CHAT, data=body, headers=headers) as resp:
                assert resp.status == 401
                assert await resp.read() == b'{"error":"Invalid username or password."}'
        async with session.post(CHAT, data=body, headers=auth(emulator)) as resp:
            assert resp.status == 200


async def test_hub_allows_anonymous_but_not_a_wrong_token(emulator: Emulator) -> None:
    async with aiohttp.ClientSession(emulator.url) as session:
        async with session.get("/api/models/gpt2") as resp:
            assert resp.status == 200
        async with session.get("/api/models/gpt2", headers=auth(emulator, "nope")) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"] == "Invalid username or password."
        async with session.get("/api/models/gpt2", headers=auth(emulator)) as resp:
            assert resp.status == 200


async def test_unknown_path_and_wrong_method(http: aiohttp.ClientSession) -> None:
    async with http.get("/nowhere/at/all") as resp:
        assert resp.status == 404
    async with http.get(CHAT) as resp:
        assert resp.status == 405
        assert resp.headers["Allow"] == "POST"


# ---------------------------------------------------------------- chat completions (JSON)


async def test_chat_reply_shape(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    data = await chat(http, model=f"{LLAMA}:groq")
    assert data["id"] == "chatcmpl-emu-1"
    assert data["object"] == "chat.completion"
    assert isinstance(data["created"], int)
    assert data["model"] == LLAMA
    assert data["system_fingerprint"]
    assert data["x_emulator"] == {"version": 1}
    [choice] = data["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    words = choice["message"]["content"].split(" ")
    assert len(words) == emulator.reply_tokens
    assert set(words) <= set(VOCAB)
    assert data["usage"] == {
        "prompt_tokens": 6,
        "completion_tokens": emulator.reply_tokens,
        "total_tokens": 6 + emulator.reply_tokens,
    }


async def test_reply_tokens_sets_the_natural_length(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = await emulator_factory(reply_tokens=5)
    async with aiohttp.ClientSession(emu.url, headers=auth(emu)) as session:
        data = await chat(session)
    assert len(data["choices"][0]["message"]["content"].split()) == 5


async def test_max_tokens_truncates_with_length(http: aiohttp.ClientSession) -> None:
    full = (await chat(http))["choices"][0]["message"]["content"].split(" ")
    data = await chat(http, max_tokens=4)
    choice = data["choices"][0]
    assert choice["message"]["content"] == " ".join(full[:4])
    assert choice["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] == 4


async def test_stop_cuts_before_the_first_stop_string(http: aiohttp.ClientSession) -> None:
    words = (await chat(http))["choices"][0]["message"]["content"].split(" ")
    data = await chat(http, stop=["no such text", words[5]])
    choice = data["choices"][0]
    assert choice["message"]["content"] == " ".join(words[:5]) + " "
    assert choice["finish_reason"] == "stop"
    assert data["usage"]["completion_tokens"] == 5


async def test_n_choices_and_seed(http: aiohttp.ClientSession) -> None:
    one = (await chat(http))["choices"][0]["message"]["content"]
    three = await chat(http, n=3)
    contents = [c["message"]["content"] for c in three["choices"]]
    assert [c["index"] for c in three["choices"]] == [0, 1, 2]
    assert contents[0] == one
    assert len(set(contents)) == 3
    assert three["usage"]["completion_tokens"] == 3 * len(one.split())
    seeded = (await chat(http, seed=42))["choices"][0]["message"]["content"]
    assert seeded != one
    assert (await chat(http, seed=42))["choices"][0]["message"]["content"] == seeded


async def test_reply_depends_on_the_last_user_message(http: aiohttp.ClientSession) -> None:
    a = await chat(http, messages=[{"role": "user", "content": "first question"}])
    b = await chat(
        http,
        messages=[
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "an answer"},
            {"role": "user", "content": "second question"},
        ],
    )
    assert a["choices"][0]["message"]["content"] != b["choices"][0]["message"]["content"]
    assert b["usage"]["prompt_tokens"] == 6


async def test_json_object_response_format(http: aiohttp.ClientSession) -> None:
    data = await chat(http, response_format={"type": "json_object"}, max_tokens=3)
    value = orjson.loads(data["choices"][0]["message"]["content"])
    assert isinstance(value, dict)
    assert len(value["answer"].split()) == 3


async def test_image_parts_are_acknowledged(http: aiohttp.ClientSession) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(92)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]
    data = await chat(http, model="Qwen/Qwen2.5-VL-7B-Instruct", messages=messages)
    assert "100 bytes" in data["choices"][0]["message"]["content"]
    assert data["usage"]["prompt_tokens"] == 5


async def test_tool_call_from_required_properties(http: aiohttp.ClientSession) -> None:
    data = await chat(http, tools=[WEATHER_TOOL, TIME_TOOL])
    choice = data["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert orjson.loads(call["function"]["arguments"]) == {
        "city": "emulated",
        "days": 1,
        "metric": True,
        "unit": "celsius",
    }


async def test_tool_choice_names_none_and_tool_results(http: aiohttp.ClientSession) -> None:
    named = await chat(
        http,
        tools=[WEATHER_TOOL, TIME_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    call = named["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "get_time", "arguments": "{}"}
    declined = await chat(http, tools=[WEATHER_TOOL], tool_choice="none")
    assert declined["choices"][0]["finish_reason"] == "stop"
    assert isinstance(declined["choices"][0]["message"]["content"], str)
    after_tool = await chat(
        http,
        tools=[WEATHER_TOOL],
        messages=[
            *HELLO,
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny and 21 degrees"},
        ],
    )
    choice = after_tool["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert "sunny and 21 degrees" in choice["message"]["content"]
    status, err, _ = await post_json(
        http,
        CHAT,
        {
            "model": LLAMA,
            "messages": HELLO,
            "tools": [WEATHER_TOOL],
            "tool_choice": {"type": "function", "function": {"name": "missing"}},
        },
    )
    assert status == 422
    assert err["error_type"] == "validation"


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"messages": None}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "role"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"n": 0}, "`n`"),
        ({"stop": 5}, "stop"),
    ],
)
async def test_chat_validation_errors(
    http: aiohttp.ClientSession, fields: dict[str, Any], needle: str
) -> None:
    body = {"model": LLAMA, "messages": HELLO, **fields}
    body = {k: v for k, v in body.items() if v is not None}
    status, data, _ = await post_json(http, CHAT, body)
    assert status == 422
    assert data["error_type"] == "validation"
    assert data["error"].startswith("Input validation error: ")
    assert needle in data["error"]


async def test_chat_body_that_is_not_json(http: aiohttp.ClientSession) -> None:
    async with http.post(CHAT, data=b"{not json") as resp:
        assert resp.status == 400
        assert "error" in await resp.json()


async def test_unknown_model_and_providers(http: aiohttp.ClientSession) -> None:
    status, data, _ = await post_json(http, CHAT, {"model": "nobody/nothing", "messages": HELLO})
    assert (status, data) == (404, {"error": "Model nobody/nothing does not exist"})
    status, data, _ = await post_json(
        http, CHAT, {"model": f"{LLAMA}:hyperbolic", "messages": HELLO}
    )
    assert status == 400
    assert "hyperbolic" in data["error"]
    for suffix in ("fastest", "cheapest", "together"):
        assert (await chat(http, model=f"{LLAMA}:{suffix}"))["model"] == LLAMA
    status, data, _ = await post_json(http, CHAT, {"model": "gpt2", "messages": HELLO})
    assert status == 400
    assert "not a chat model" in data["error"]


async def test_per_provider_chat_routes(http: aiohttp.ClientSession) -> None:
    body = {"model": LLAMA, "messages": HELLO}
    status, data, _ = await post_json(http, f"/hf-inference/models/{LLAMA}{CHAT}", body)
    assert status == 200
    assert data["id"] == ""
    assert data["model"] == LLAMA
    status, data, _ = await post_json(http, f"/groq/openai{CHAT}", body)
    assert status == 200
    assert data["id"].startswith("chatcmpl-emu-")
    status, data, _ = await post_json(http, f"/groq{CHAT}", body)  # not groq's route
    assert status == 404
    assert "/groq/openai/v1/chat/completions" in data["error"]
    status, data, _ = await post_json(http, f"/hyperbolic{CHAT}", body)
    assert status == 400
    status, data, _ = await post_json(http, f"/hf-inference/models/openai/gpt-oss-20b{CHAT}", body)
    assert status == 400
    status, data, _ = await post_json(http, f"/hf-inference/models/no/model{CHAT}", body)
    assert status == 404


# ---------------------------------------------------------------- chat completions (SSE)


async def test_chat_stream_framing_and_content(http: aiohttp.ClientSession) -> None:
    whole = (await chat(http))["choices"][0]["message"]["content"]
    raw, events = await chat_stream(http)
    assert raw.endswith(b"data: [DONE]\n\n")
    assert all(block.startswith(b"data: ") for block in raw.split(b"\n\n") if block)
    assert events[-1] == "[DONE]"
    chunks = [orjson.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0]["delta"] == {}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all("usage" not in c for c in chunks)
    words = [c["choices"][0]["delta"]["content"] for c in chunks[1:-1]]
    assert len(words) == len(whole.split())
    assert words[0].endswith(" ")
    assert "".join(words) == whole


async def test_chat_stream_usage_and_max_tokens(http: aiohttp.ClientSession) -> None:
    _, events = await chat_stream(http, max_tokens=3, stream_options={"include_usage": True})
    assert events[-1] == "[DONE]"
    usage_chunk = orjson.loads(events[-2])
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] == 3
    finish = orjson.loads(events[-3])
    assert finish["choices"][0]["finish_reason"] == "length"
    assert len(events) == 1 + 3 + 1 + 1 + 1


async def test_chat_stream_tool_call_pieces(http: aiohttp.ClientSession) -> None:
    whole = (await chat(http, tools=[WEATHER_TOOL]))["choices"][0]["message"]["tool_calls"][0]
    _, events = await chat_stream(http, tools=[WEATHER_TOOL])
    assert events[-1] == "[DONE]"
    deltas = [orjson.loads(e)["choices"][0] for e in events[:-1]]
    first = deltas[0]["delta"]["tool_calls"][0]
    assert first["index"] == 0
    assert first["id"] == whole["id"]
    assert first["type"] == "function"
    assert first["function"] == {"name": "get_weather", "arguments": ""}
    pieces = [d["delta"]["tool_calls"][0]["function"]["arguments"] for d in deltas[1:-1]]
    assert len(pieces) >= 2
    assert "".join(pieces) == whole["function"]["arguments"]
    assert deltas[-1]["finish_reason"] == "tool_calls"


async def test_chat_stream_with_n_choices(http: aiohttp.ClientSession) -> None:
    _, events = await chat_stream(http, n=2, max_tokens=2)
    chunks = [orjson.loads(e) for e in events[:-1]]
    by_index: dict[int, str] = {0: "", 1: ""}
    for chunk in chunks:
        choice = chunk["choices"][0]
        by_index[choice["index"]] += choice["delta"].get("content") or ""
    whole = await chat(http, n=2, max_tokens=2)
    assert by_index == {c["index"]: c["message"]["content"] for c in whole["choices"]}


# ---------------------------------------------------------------- text generation (TGI)


async def test_tgi_defaults_and_details(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    status, data, _ = await post_json(http, "/hf-inference/models/gpt2", {"inputs": "Once upon"})
    assert status == 200
    [item] = data
    assert set(item) == {"generated_text"}
    assert len(item["generated_text"].split()) == 20
    status, data, _ = await post_json(
        http,
        "/hf-inference/models/gpt2",
        {
            "inputs": "Once upon",
            "parameters": {"details": True, "max_new_tokens": 100, "seed": 3},
        },
    )
    details = data[0]["details"]
    assert details["finish_reason"] == "eos_token"
    assert details["generated_tokens"] == emulator.reply_tokens
    assert details["seed"] == 3
    assert details["prefill"] == []
    token = details["tokens"][0]
    assert set(token) == {"id", "text", "logprob", "special"}
    assert token["special"] is False
    assert "".join(t["text"] for t in details["tokens"]) == data[0]["generated_text"]


async def test_tgi_parameters(http: aiohttp.ClientSession) -> None:
    path = "/hf-inference/models/bigscience/bloom-560m"
    _, data, _ = await post_json(
        http,
        path,
        {
            "inputs": "Hello",
            "parameters": {"max_new_tokens": 5, "details": True},
        },
    )
    text = data[0]["generated_text"]
    assert len(text.split()) == 5
    assert data[0]["details"]["finish_reason"] == "length"
    _, full, _ = await post_json(
        http,
        path,
        {
            "inputs": "Hello",
            "parameters": {"max_new_tokens": 5, "return_full_text": True},
        },
    )
    assert full[0]["generated_text"] == "Hello" + text
    third = text.split()[2]
    _, stopped, _ = await post_json(
        http,
        path,
        {
            "inputs": "Hello",
            "parameters": {"max_new_tokens": 5, "stop": [third], "details": True},
        },
    )
    assert stopped[0]["generated_text"] == " " + " ".join(text.split()[:3])
    assert stopped[0]["details"]["finish_reason"] == "stop_sequence"
    assert stopped[0]["details"]["generated_tokens"] == 3


async def test_tgi_stream_framing(http: aiohttp.ClientSession) -> None:
    path = "/hf-inference/models/gpt2"
    params = {"max_new_tokens": 6, "details": True}
    _, whole, _ = await post_json(http, path, {"inputs": "Once upon", "parameters": params})
    async with http.post(
        path, data=orjson.dumps({"inputs": "Once upon", "parameters": params, "stream": True})
    ) as resp:
        assert resp.status == 200
        assert resp.content_type == "text/event-stream"
        raw = await resp.read()
    blocks = [b for b in raw.split(b"\n\n") if b]
    assert all(b.startswith(b"data:{") for b in blocks)
    assert b"[DONE]" not in raw
    events = [orjson.loads(e) for e in sse_data(raw)]
    assert len(events) == 6
    assert [e["index"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert all(e["generated_text"] is None and e["details"] is None for e in events[:-1])
    assert events[-1]["generated_text"] == whole[0]["generated_text"]
    assert events[-1]["details"]["finish_reason"] == "length"
    assert events[-1]["details"]["generated_tokens"] == 6
    assert [e["token"] for e in events] == whole[0]["details"]["tokens"]


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": ""},
        {"inputs": 5},
        {"inputs": "x", "parameters": {"temperature": 0}},
        {"inputs": "x", "parameters": {"top_p": 1.0}},
        {"inputs": "x", "parameters": {"top_p": 0}},
        {"inputs": "x", "parameters": {"max_new_tokens": 0}},
        {"inputs": "x", "parameters": {"stop": ["a", "b", "c", "d", "e"]}},
    ],
)
async def test_tgi_validation_errors(http: aiohttp.ClientSession, body: dict[str, Any]) -> None:
    status, data, _ = await post_json(http, "/hf-inference/models/gpt2", body)
    assert status == 422
    assert data["error_type"] == "validation"
    assert data["error"].startswith("Input validation error: ")


async def test_tgi_unknown_and_unsupported_models(http: aiohttp.ClientSession) -> None:
    status, data, _ = await post_json(http, "/hf-inference/models/no/such", {"inputs": "x"})
    assert (status, data) == (404, {"error": "Model no/such does not exist"})
    status, data, _ = await post_json(
        http, "/hf-inference/models/gpt2/pipeline/text-to-video", {"inputs": "x"}
    )
    assert (status, data) == (400, {"error": "Task not supported by the emulator"})


# ---------------------------------------------------------------- Hub


async def test_hub_model_info(http: aiohttp.ClientSession) -> None:
    async with http.get(f"/api/models/{LLAMA}") as resp:
        assert resp.status == 200
        info = await resp.json()
    for key in (
        "id",
        "modelId",
        "pipeline_tag",
        "tags",
        "downloads",
        "likes",
        "private",
        "gated",
        "library_name",
        "sha",
    ):
        assert key in info
    assert info["id"] == info["modelId"] == LLAMA
    assert info["pipeline_tag"] == "text-generation"
    assert info["private"] is False
    assert "inference" not in info
    async with http.head(f"/api/models/{LLAMA}") as resp:
        assert resp.status == 200
        assert await resp.read() == b""


async def test_hub_expand(http: aiohttp.ClientSession) -> None:
    async with http.get(f"/api/models/{LLAMA}", params=[("expand[]", "inference")]) as resp:
        data = await resp.json()
    assert {k for k in data if k != "_id"} == {"id", "inference"}
    assert data["inference"] == "warm"
    params = [("expand[]", "inferenceProviderMapping"), ("expand[]", "pipeline_tag")]
    async with http.get(f"/api/models/{LLAMA}", params=params) as resp:
        data = await resp.json()
    mapping = data["inferenceProviderMapping"]
    assert set(mapping) == {"hf-inference", "groq", "together", "novita"}
    assert mapping["groq"] == {
        "providerId": "llama-3.1-8b-instant",
        "status": "live",
        "task": "conversational",
    }
    assert data["pipeline_tag"] == "text-generation"
    assert "downloads" not in data
    async with http.get("/api/models/gpt2", params=[("expand[]", "bogus")]) as resp:
        assert resp.status == 400


async def test_hub_unknown_model(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/models/no/such-model") as resp:
        assert resp.status == 404
        assert await resp.json() == {"error": "Model no/such-model does not exist"}


async def test_hub_listing_filters_sort_and_limit(http: aiohttp.ClientSession) -> None:
    async def ids(**params: str) -> list[str]:
        async with http.get("/api/models", params=params) as resp:
            assert resp.status == 200
            return [m["id"] for m in await resp.json()]

    everything = await ids()
    assert everything == [card.id for card in DEFAULT_MODELS]
    text_gen = await ids(pipeline_tag="text-generation")
    assert text_gen and all(
        c.pipeline_tag == "text-generation" for c in DEFAULT_MODELS if c.id in text_gen
    )
    assert "sentence-transformers/all-MiniLM-L6-v2" not in text_gen
    assert await ids(search="qwen") == ["Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-VL-7B-Instruct"]
    groq = await ids(inference_provider="groq")
    assert set(groq) == {LLAMA, "openai/gpt-oss-20b"}
    by_likes = await ids(sort="likes", limit="3")
    likes = {c.id: c.likes for c in DEFAULT_MODELS}
    assert by_likes == sorted(likes, key=lambda i: -likes[i])[:3]
    by_downloads = await ids(sort="downloads", pipeline_tag="text-generation")
    assert by_downloads[0] == "gpt2"
    async with http.get("/api/models", params={"limit": "0"}) as resp:
        assert resp.status == 400


async def test_custom_catalog(emulator_factory: EmulatorFactory) -> None:
    card = ModelCard(
        id="acme/tiny-chat",
        pipeline_tag="text-generation",
        providers=(ProviderMapping("acme-cloud", "tiny", "conversational"),),
        tags=("conversational",),
    )
    emu = await emulator_factory(models=[card])
    async with aiohttp.ClientSession(emu.url, headers=auth(emu)) as session:
        data = await chat(session, model="acme/tiny-chat:acme-cloud")
        assert data["model"] == "acme/tiny-chat"
        status, _, _ = await post_json(session, CHAT, {"model": LLAMA, "messages": HELLO})
        assert status == 404


# ---------------------------------------------------------------- determinism and the log


async def test_same_request_same_bytes_except_ids(
    http: aiohttp.ClientSession, emulator_factory: EmulatorFactory
) -> None:
    other = await emulator_factory()
    body = orjson.dumps(
        {
            "model": LLAMA,
            "messages": HELLO,
            "n": 2,
            "logprobs": True,
            "top_logprobs": 2,
            "tools": [WEATHER_TOOL],
            "tool_choice": "none",
        }
    )
    replies = []
    for base in (None, other.url):
        url = CHAT if base is None else base + CHAT
        async with http.post(url, data=body) as resp:
            replies.append(orjson.loads(await resp.read()))
    for reply in replies:
        del reply["id"]
    assert replies[0] == replies[1]
    logprobs = replies[0]["choices"][0]["logprobs"]["content"]
    assert len(logprobs) == 24
    assert len(logprobs[0]["top_logprobs"]) == 2
    streams = []
    for _ in range(2):
        raw, _ = await chat_stream(http, seed=9)
        streams.append(raw.replace(raw.split(b'"id":"')[1].split(b'"')[0], b"ID"))
    assert streams[0] == streams[1]


async def test_requests_are_recorded(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    await chat(http, max_tokens=1)
    async with http.get(
        "/api/models", params=[("search", "gpt"), ("limit", "2")], headers={"X-Custom": "Yes"}
    ) as resp:
        await resp.read()
    first, second = emulator.requests
    assert (first.method, first.path, first.query) == ("POST", CHAT, ())
    assert first.json() == {"model": LLAMA, "messages": HELLO, "max_tokens": 1}
    assert first.header("AUTHORIZATION") == "Bearer <redacted>"
    assert first.authorized
    assert emulator.token not in repr(emulator.requests)
    assert all(name == name.lower() for name, _ in first.headers)
    assert (second.method, second.path) == ("GET", "/api/models")
    assert second.query == (("search", "gpt"), ("limit", "2"))
    assert second.header("x-custom") == "Yes"
    assert second.body == b""
    assert second.json() is None
    emulator.reset_log()
    assert emulator.requests == []


async def test_factory_starts_independent_emulators(
    emulator: Emulator, emulator_factory: EmulatorFactory
) -> None:
    a = await emulator_factory(token="hf_a")
    b = await emulator_factory(token="hf_b", reply_tokens=3)
    assert len({emulator.port, a.port, b.port}) == 3
    async with aiohttp.ClientSession() as session:
        async with session.post(
            a.url + CHAT, headers=auth(b), data=orjson.dumps({"model": LLAMA, "messages": HELLO})
        ) as resp:
            assert resp.status == 401
        async with session.post(
            b.url + CHAT, headers=auth(b), data=orjson.dumps({"model": LLAMA, "messages": HELLO})
        ) as resp:
            data = await resp.json()
    assert len(data["choices"][0]["message"]["content"].split()) == 3
    assert len(a.requests) == 1
    assert len(b.requests) == 1
    assert emulator.requests == []


# ---------------------------------------------------------------- run_emulator


async def test_run_emulator_serves_until_sigterm() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        f"from hf_pure.testing import run_emulator; run_emulator(port={port}, token='hf_t')",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert f"http://127.0.0.1:{port}" in line
        assert "hf_t" in line
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/") as resp,
        ):
            assert resp.status == 200
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0
        assert b"Traceback" not in err
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
