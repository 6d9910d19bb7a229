"""Every fault kind of the loopback emulator, observed over real sockets with plain aiohttp."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate
from typing import Any

import aiohttp
import orjson
import pytest
from conftest import sse_data

from hf_pure.testing import Emulator, Fault
from hf_pure.testing.emulator import _noisy

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
CHAT = "/v1/chat/completions"
TGI = "/hf-inference/models/gpt2"
BODY = {"model": LLAMA, "messages": [{"role": "user", "content": "Say something"}]}
STREAM_BODY = {**BODY, "stream": True, "max_tokens": 6}  # 1 role + 6 words + finish + DONE
TGI_STREAM = {"inputs": "Once", "parameters": {"max_new_tokens": 5}, "stream": True}


async def post(
    http: aiohttp.ClientSession, body: object = BODY, path: str = CHAT
) -> tuple[int, bytes, aiohttp.ClientResponse]:
    async with http.post(path, data=orjson.dumps(body)) as resp:
        raw = await resp.read()
    return resp.status, raw, resp


async def read_events_until_error(
    http: aiohttp.ClientSession, body: object, path: str = CHAT
) -> tuple[list[bytes], BaseException | None]:
    """Lines starting with ``data`` read before the body ended, and the error that ended it."""
    lines: list[bytes] = []
    async with http.post(path, data=orjson.dumps(body)) as resp:
        assert resp.status == 200
        try:
            async for line in resp.content:
                if line.startswith(b"data"):
                    lines.append(line.strip())
        except (TimeoutError, aiohttp.ClientError) as exc:
            return lines, exc
    return lines, None


# ---------------------------------------------------------------- status faults


async def test_status_with_retry_after_and_default_body(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("chat", Fault.status(429, headers={"Retry-After": "7"}))
    status, raw, resp = await post(http)
    assert status == 429
    assert orjson.loads(raw) == {"error": "Too Many Requests"}
    assert resp.headers["Retry-After"] == "7"
    assert resp.headers["X-Request-Id"] == "emu-1"
    date = formatdate(time.time() + 30, usegmt=True)
    emulator.script("chat", Fault.status(429, headers={"Retry-After": date}))
    status, _, resp = await post(http)
    assert (status, resp.headers["Retry-After"]) == (429, date)


async def test_status_bodies(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    loading = {"error": "Model X is currently loading", "estimated_time": 20.0}
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    emulator.script(
        "chat",
        Fault.status(503, loading),
        Fault.status(502, html),
        Fault.status(422, {"error": "Input validation error: bad", "error_type": "validation"}),
        Fault.status(500, b"plain failure", headers={"X-Request-Id": "upstream-7"}),
    )
    status, raw, resp = await post(http)
    assert (status, orjson.loads(raw)) == (503, loading)
    assert resp.content_type == "application/json"
    status, raw, resp = await post(http)
    assert (status, raw.decode()) == (502, html)
    assert resp.content_type == "text/html"
    status, raw, _ = await post(http)
    assert status == 422
    assert orjson.loads(raw)["error_type"] == "validation"
    status, raw, resp = await post(http)
    assert (status, raw) == (500, b"plain failure")
    assert resp.headers["X-Request-Id"] == "upstream-7"
    with pytest.raises(ValueError):
        Fault.status(99)


# ---------------------------------------------------------------- scripting


async def test_script_order_then_normal_behaviour(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("chat", Fault.status(500), Fault.status(429))
    emulator.script("chat", Fault.status(503))
    assert emulator.pending("chat") == 3
    statuses = [(await post(http))[0] for _ in range(5)]
    assert statuses == [500, 429, 503, 200, 200]
    assert emulator.pending("chat") == 0


async def test_routes_are_separate_and_star_comes_second(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("hub", Fault.status(500))
    emulator.script("text-generation", Fault.status(418))
    emulator.script("*", Fault.status(502), Fault.status(504))
    emulator.script("chat", Fault.status(429))
    assert (await post(http))[0] == 429  # own route first
    assert (await post(http))[0] == 502  # then "*"
    async with http.get("/api/models/gpt2") as resp:
        assert resp.status == 500
    assert (await post(http, {"inputs": "x"}, TGI))[0] == 418
    async with http.get("/") as resp:
        assert resp.status == 504  # "*" covers every route
    assert (await post(http))[0] == 200


async def test_always_until_clear(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    emulator.always("chat", Fault.status(503))
    emulator.script("chat", Fault.status(429))
    assert [(await post(http))[0] for _ in range(3)] == [429, 503, 503]
    async with http.get("/api/models/gpt2") as resp:
        assert resp.status == 200
    emulator.always("*", Fault.status(500))
    emulator.clear("chat")
    assert (await post(http))[0] == 500
    emulator.clear()
    assert (await post(http))[0] == 200
    with pytest.raises(TypeError):
        emulator.script("chat", "not a fault")  # type: ignore[arg-type]


# ---------------------------------------------------------------- delay, headers, malformed, drop


async def test_delay_then_normal_answer(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    emulator.script("chat", Fault.delay(0.2))
    start = time.monotonic()
    status, raw, _ = await post(http)
    assert time.monotonic() - start >= 0.19
    assert status == 200
    assert orjson.loads(raw)["object"] == "chat.completion"


async def test_headers_fault(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    emulator.script("chat", Fault.headers({"X-Request-Id": "req-abc", "RateLimit": "limit=5"}))
    status, raw, resp = await post(http)
    assert status == 200
    assert orjson.loads(raw)["choices"]
    assert resp.headers["X-Request-Id"] == "req-abc"
    assert resp.headers["RateLimit"] == "limit=5"
    _, _, resp = await post(http)
    assert resp.headers["X-Request-Id"] == "emu-2"


async def test_malformed_json(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    emulator.script("chat", Fault.malformed(), Fault.malformed(b'{"choices": nope}'))
    status, raw, resp = await post(http)
    assert status == 200
    assert resp.content_type == "application/json"
    assert raw == b'{"id": "x", "choices": ['
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)
    assert (await post(http))[1] == b'{"choices": nope}'


async def test_drop_closes_without_reply(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    emulator.script("chat", Fault.drop())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(http)
    assert (await post(http))[0] == 200
    assert len(emulator.requests) == 2


# ---------------------------------------------------------------- cut


async def test_cut_stream_clean_ends_before_done(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("chat", Fault.cut(after=3))
    lines, exc = await read_events_until_error(http, STREAM_BODY)
    assert exc is None
    assert len(lines) == 3
    assert all(line != b"data: [DONE]" for line in lines)
    emulator.script("chat", Fault.cut(after=1000))  # never the final event
    lines, exc = await read_events_until_error(http, STREAM_BODY)
    assert exc is None
    assert len(lines) == 9 - 1
    assert lines[-1] != b"data: [DONE]"


async def test_cut_stream_unclean_is_a_payload_error(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("chat", Fault.cut(after=2, clean=False))
    lines, exc = await read_events_until_error(http, STREAM_BODY)
    assert isinstance(exc, aiohttp.ClientPayloadError)
    assert len(lines) == 2
    assert (await post(http))[0] == 200


async def test_cut_tgi_stream_lacks_the_final_text(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("text-generation", Fault.cut(after=99))
    _, raw, _ = await post(http, TGI_STREAM, TGI)
    events = [orjson.loads(e) for e in sse_data(raw)]
    assert len(events) == 4
    assert all(e["generated_text"] is None for e in events)


async def test_cut_non_streaming(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    _, whole, _ = await post(http)
    emulator.script("chat", Fault.cut(clean=True), Fault.cut(clean=False))
    status, raw, _ = await post(http)
    assert status == 200
    assert raw == whole.replace(b"chatcmpl-emu-1", b"chatcmpl-emu-2")[: len(whole) // 2]
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)
    with pytest.raises(aiohttp.ClientPayloadError):
        await post(http)


# ---------------------------------------------------------------- stall


async def test_stall_stream_trips_a_read_timeout(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=30))
    start = time.monotonic()
    lines: list[bytes] = []
    timeout = aiohttp.ClientTimeout(sock_read=0.2)
    async with http.post(CHAT, data=orjson.dumps(STREAM_BODY), timeout=timeout) as resp:
        with pytest.raises(TimeoutError):
            async for line in resp.content:
                if line.startswith(b"data"):
                    lines.append(line)
    elapsed = time.monotonic() - start
    assert len(lines) == 2
    assert 0.19 <= elapsed < 5


async def test_stall_stream_then_clean_end_without_final(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("chat", Fault.stall(after=4, seconds=0.2))
    start = time.monotonic()
    lines, exc = await read_events_until_error(http, STREAM_BODY)
    assert time.monotonic() - start >= 0.19
    assert exc is None
    assert len(lines) == 4


async def test_stall_non_streaming_withholds_the_body(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("chat", Fault.stall(seconds=0.3))
    start = time.monotonic()
    async with http.post(CHAT, data=orjson.dumps(BODY)) as resp:
        headers_at = time.monotonic() - start
        assert resp.status == 200
        raw = await resp.read()
    body_at = time.monotonic() - start
    assert body_at - headers_at >= 0.25  # the headers came well before the body
    assert orjson.loads(raw)["object"] == "chat.completion"


async def test_close_ends_stalled_requests_quickly(emulator: Emulator) -> None:
    emulator.script("chat", Fault.stall(after=1, seconds=60))
    headers = {"Authorization": f"Bearer {emulator.token}"}
    async with (
        aiohttp.ClientSession(emulator.url, headers=headers) as session,
        session.post(CHAT, data=orjson.dumps(STREAM_BODY)) as resp,
    ):
        first = await resp.content.readline()
        assert first.startswith(b"data: ")
        start = time.monotonic()
        await emulator.close()
        assert time.monotonic() - start < 2
        with pytest.raises(aiohttp.ClientPayloadError):
            await asyncio.wait_for(resp.read(), 5)


# ---------------------------------------------------------------- stream error, noise, garbage


async def test_stream_error_mid_stream(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    emulator.script(
        "chat",
        Fault.stream_error(after=2),
        Fault.stream_error(after=1, error={"error": "overloaded", "error_type": "overloaded"}),
    )
    _, raw, _ = await post(http, STREAM_BODY)
    events = sse_data(raw)
    assert len(events) == 3
    assert orjson.loads(events[-1]) == {
        "error": "Emulated generation error",
        "error_type": "generation",
    }
    assert "[DONE]" not in events
    _, raw, _ = await post(http, STREAM_BODY)
    assert orjson.loads(sse_data(raw)[-1]) == {"error": "overloaded", "error_type": "overloaded"}


async def test_stream_error_tgi_framing_and_non_streaming(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("text-generation", Fault.stream_error(after=1))
    _, raw, _ = await post(http, TGI_STREAM, TGI)
    assert raw.split(b"\n\n")[1].startswith(b'data:{"error"')
    emulator.script("chat", Fault.stream_error())
    status, raw, _ = await post(http)
    assert status == 500
    assert orjson.loads(raw)["error_type"] == "generation"


async def test_sse_noise_decodes_to_the_same_events(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    _, clean, _ = await post(http, STREAM_BODY)
    emulator.script("chat", Fault.sse_noise())
    _, noisy, resp = await post(http, STREAM_BODY)
    assert resp.content_type == "text/event-stream"
    for marker in (b"\r\n", b": keep-alive", b"event: message", b"id: ", b"retry: ", b"data:{"):
        assert marker in noisy
    strip_id = [orjson.loads(e) if e != "[DONE]" else e for e in sse_data(clean)]
    noisy_events = [orjson.loads(e) if e != "[DONE]" else e for e in sse_data(noisy)]
    for event in (*strip_id, *noisy_events):
        if isinstance(event, dict):
            event.pop("id")
    assert noisy_events == strip_id


async def test_sse_noise_pieces_split_events_lines_and_crlf(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    _, clean, _ = await post(http, STREAM_BODY)
    events = [block + b"\n\n" for block in clean.split(b"\n\n") if block]
    pieces = _noisy(events)
    assert len(pieces) > len(events)
    joined = b"".join(pieces)
    assert sse_data(joined) == sse_data(clean)
    assert any(p.endswith(b"\r") for p in pieces)  # a \r\n pair split across writes
    assert any(b"\r\n\r\n" not in p and b"data:" in p and not p.endswith(b"\n") for p in pieces)


async def test_sse_noise_on_tgi(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    _, clean, _ = await post(http, TGI_STREAM, TGI)
    emulator.script("text-generation", Fault.sse_noise())
    _, noisy, _ = await post(http, TGI_STREAM, TGI)
    assert noisy != clean
    assert sse_data(noisy) == sse_data(clean)


async def test_sse_garbage_then_the_stream_continues(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    _, clean, _ = await post(http, STREAM_BODY)
    emulator.script("chat", Fault.sse_garbage(after=2))
    _, raw, _ = await post(http, STREAM_BODY)
    events = sse_data(raw)
    assert events[2] == "this is not json"
    assert events[-1] == "[DONE]"
    assert len(events) == len(sse_data(clean)) + 1


async def test_sse_faults_leave_non_streaming_answers_alone(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.script("chat", Fault.sse_noise(), Fault.sse_garbage(after=1))
    for _ in range(2):
        status, raw, _ = await post(http)
        assert status == 200
        assert orjson.loads(raw)["object"] == "chat.completion"


def test_fault_constructors_validate() -> None:
    with pytest.raises(ValueError):
        Fault.delay(-1)
    with pytest.raises(ValueError):
        Fault.cut(after=-1)
    with pytest.raises(ValueError):
        Fault.headers({"Bad Name": "x"})
    fault: Any = Fault.status(404)
    assert fault == Fault.status(404)
    assert hash(fault) == hash(Fault.status(404))
