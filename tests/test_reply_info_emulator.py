"""Reply metadata end to end, against the emulator: runner.run, a streamed run, runner.stream
(its reply_info and result), a server that ignores "stream", errors, the reliable runner (and
its cache), the sync runner; and the rate-limit headers the emulator sends."""

from __future__ import annotations

import aiohttp
import pytest
from conftest import ask, config_for, failure_of

import hf_pure as hf
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.retry import NO_RETRY
from hf_pure.testing import Emulator, Fault
from hf_pure.testing._rate_limits import HF_INFERENCE_QUOTA, ROUTER_REQUESTS, ROUTER_TOKENS

EMBED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
UNLIMITED = BucketConfig(per_second=10_000.0, per_minute=None, per_hour=None)


def seen_id(emulator: Emulator, index: int = -1) -> str:
    """The request id the emulator gave its request number ``index`` (emu-<n>, from 1)."""
    number = len(emulator.requests) if index == -1 else index + 1
    return f"emu-{number}"


async def test_run_answers_replied_with_the_replys_id_and_rate_limit(
    runner: hf.Runner, emulator: Emulator
) -> None:
    request = hf.with_reply_info()(ask())
    first = (await runner.run(request)).unwrap()
    assert first.request_id == seen_id(emulator) == "emu-1"
    assert first.status == 200
    assert first.value.text == (await runner.run(ask())).unwrap().text  # the same answer
    second = (await runner.run(request)).unwrap()
    assert second.request_id == "emu-3"
    limit = second.rate_limit
    assert limit.limit_requests == ROUTER_REQUESTS
    assert limit.remaining_requests == ROUTER_REQUESTS - 3  # three chat requests so far
    assert first.rate_limit.remaining_requests == ROUTER_REQUESTS - 1
    assert limit.limit_tokens == ROUTER_TOKENS
    assert limit.remaining_tokens == ROUTER_TOKENS - 3 * emulator.reply_tokens
    assert limit.reset_requests is not None and 0 < limit.reset_requests <= 60
    assert second.headers["content-type"].startswith("application/json")


async def test_an_hf_inference_task_reads_the_ietf_headers(
    runner: hf.Runner, emulator: Emulator
) -> None:
    request = hf.with_reply_info()(hf.feature_extraction(EMBED_MODEL, ["a", "b"]))
    replied = (await runner.run(request)).unwrap()
    assert isinstance(replied.value, hf.Embeddings) and len(replied.value.vectors) == 2
    assert replied.request_id == seen_id(emulator)
    assert replied.rate_limit == hf.RateLimit(
        limit_requests=HF_INFERENCE_QUOTA,
        remaining_requests=HF_INFERENCE_QUOTA - 1,
        reset_requests=replied.rate_limit.reset_requests,
        window=300.0,
    )
    again = (await runner.run(request)).unwrap()
    assert again.rate_limit.remaining_requests == HF_INFERENCE_QUOTA - 2


async def test_a_streamed_run_answers_replied_with_the_streams_headers(
    runner: hf.Runner, emulator: Emulator
) -> None:
    request = hf.with_reply_info()(hf.streaming()(ask()))
    replied = (await runner.run(request)).unwrap()
    assert b'"stream":true' in emulator.requests[-1].body  # it went as a stream
    assert replied.request_id == seen_id(emulator)
    assert replied.headers["content-type"].startswith("text/event-stream")
    assert replied.rate_limit.remaining_requests == ROUTER_REQUESTS - 1
    assert replied.value.text == (await runner.run(hf.streaming()(ask()))).unwrap().text


async def test_a_stream_tells_its_reply_info_once_the_head_arrived(
    runner: hf.Runner, emulator: Emulator
) -> None:
    stream = runner.stream(hf.with_reply_info()(ask()))
    assert stream.reply_info is None  # nothing sent yet
    chunks = [chunk async for chunk in stream]
    assert all(isinstance(chunk, hf.ChatChunk) for chunk in chunks)  # the request's own chunks
    info = stream.reply_info
    assert info is not None
    assert info.request_id == seen_id(emulator)
    assert info.rate_limit.remaining_requests == ROUTER_REQUESTS - 1
    replied = stream.result.unwrap()
    assert replied.info == info
    assert replied.value.text == "".join(chunk.text for chunk in chunks)


async def test_an_unwrapped_stream_tells_its_reply_info_too(
    runner: hf.Runner, emulator: Emulator
) -> None:
    stream = runner.stream(ask())
    first = await anext(aiter(stream))
    assert isinstance(first, hf.ChatChunk)
    info = stream.reply_info
    assert info is not None and info.request_id == seen_id(emulator)
    await stream.aclose()
    assert stream.reply_info == info  # kept after the stream ended


async def test_a_server_that_ignores_stream_still_gives_replied(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.ignore_stream())
    stream = runner.stream(hf.with_reply_info()(ask()))
    chunks = [chunk async for chunk in stream]
    assert len(chunks) == 1  # the whole answer as one chunk
    replied = stream.result.unwrap()
    assert replied.request_id == seen_id(emulator)
    assert replied.headers["content-type"].startswith("application/json")
    assert replied.value.text == chunks[0].text


async def test_errors_are_the_requests_own(runner: hf.Runner, emulator: Emulator) -> None:
    missing = failure_of(await runner.run(hf.with_reply_info()(hf.chat("nobody/nothing", ["x"]))))
    assert isinstance(missing, hf.NotFound)
    assert missing.request_id == seen_id(emulator)  # an error carries its request id already
    emulator.script("chat", Fault.status(429, headers={"RateLimit": '"api";r=0;t=7'}))
    limited = failure_of(await runner.run(hf.with_reply_info()(ask())))
    assert limited == hf.RateLimited(7.0, "Too Many Requests", seen_id(emulator))
    sent = len(emulator.requests)
    refused = failure_of(await runner.run(hf.with_reply_info()(hf.temperature(9.0)(ask()))))
    assert isinstance(refused, hf.InvalidInput) and refused.field == "temperature"
    assert len(emulator.requests) == sent  # nothing was sent
    emulator.script("chat", Fault.stream_error(after=2))
    stream = runner.stream(hf.with_reply_info()(ask()))
    _ = [chunk async for chunk in stream]
    cut = failure_of(stream.result)
    assert isinstance(cut, hf.ErrorEvent) and cut.chunks == 2
    assert stream.reply_info is not None  # the head had arrived before the error


async def test_the_reliable_runner_returns_replied_and_a_cache_hit_the_cached_one(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED, retry=NO_RETRY))
    request = hf.with_reply_info()(hf.cacheable()(ask()))
    first = (await reliable.run(request)).unwrap()
    second = (await reliable.run(request)).unwrap()
    assert second == first  # served from the cache: the reply that filled it
    assert second.request_id == "emu-1"
    assert len(emulator.requests) == 1
    assert reliable.snapshot().metrics.cache_hits == 1
    plain = (await reliable.run(hf.cacheable()(ask()))).unwrap()  # its own cache key
    assert plain.text == first.value.text
    assert len(emulator.requests) == 2
    metrics = reliable.snapshot().metrics.requests
    assert metrics[(ask().model, "", "success")] >= 1  # counted under the request's model


async def test_the_reliable_stream_keeps_the_request_chunks(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED, retry=NO_RETRY))
    request = hf.with_reply_info()(hf.streaming()(ask()))
    streamed = (await reliable.run(request)).unwrap()
    assert streamed.request_id == seen_id(emulator)
    chunks = [chunk async for chunk in reliable.stream(request)]
    assert "".join(chunk.text for chunk in chunks) == streamed.value.text


def test_the_sync_runner_returns_replied() -> None:
    with hf.emulated_sync_runner() as (runner, _):
        replied = runner.run(hf.with_reply_info()(ask())).unwrap()
        assert replied.request_id == "emu-1"
        assert replied.rate_limit.remaining_requests == ROUTER_REQUESTS - 1
        streamed = runner.run(hf.with_reply_info()(hf.streaming()(ask()))).unwrap()
        assert streamed.request_id == "emu-2"
        assert streamed.value.text == replied.value.text


async def test_a_reliable_stream_tells_the_reply_info_of_its_attempt(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED, retry=NO_RETRY))
    stream = reliable.stream(ask())
    assert stream.reply_info is None  # nothing sent yet
    first = await anext(aiter(stream))
    info = stream.reply_info
    assert first is not None and info is not None
    assert info.status == 200 and info.request_id == seen_id(emulator)
    assert info.rate_limit.remaining_requests == ROUTER_REQUESTS - 1
    await stream.collect()
    assert stream.reply_info == info  # kept after the stream ended


def test_a_sync_stream_tells_its_reply_info() -> None:
    with hf.emulated_sync_runner() as (runner, _):
        stream = runner.stream(ask())
        assert stream.reply_info is None  # nothing sent yet
        text = "".join(chunk.text for chunk in stream)
        info = stream.reply_info
        assert text and info is not None
        assert info.status == 200 and info.request_id == "emu-1"
        assert info.headers["content-type"].startswith("text/event-stream")
        assert info.rate_limit.remaining_requests == ROUTER_REQUESTS - 1


# ---------------------------------------------------------------- the emulator's headers


@pytest.mark.parametrize(
    ("path", "body", "family"),
    [
        ("/v1/chat/completions", {"model": "meta-llama/Llama-3.1-8B-Instruct:groq"}, "openai"),
        ("/groq/openai/v1/chat/completions", {"model": "llama-3.1-8b-instant"}, "openai"),
        (
            "/hf-inference/models/meta-llama/Llama-3.1-8B-Instruct/v1/chat/completions",
            {"model": "meta-llama/Llama-3.1-8B-Instruct"},
            "ietf",
        ),
        (f"/hf-inference/models/{EMBED_MODEL}", None, "ietf"),
    ],
)
async def test_the_emulator_sends_rate_limit_headers_on_successes(
    http: aiohttp.ClientSession, path: str, body: dict[str, str] | None, family: str
) -> None:
    payload = (
        {"inputs": "hi"}
        if body is None
        else {**body, "messages": [{"role": "user", "content": "Hi"}]}
    )
    async with http.post(path, json=payload) as resp:
        assert resp.status == 200, await resp.text()
        headers = resp.headers
    if family == "openai":
        assert headers["x-ratelimit-remaining-requests"] == str(ROUTER_REQUESTS - 1)
        assert hf.rate_limit_of(headers).reset_tokens is not None
        assert "RateLimit" not in headers
    else:
        assert headers["RateLimit"].startswith(f'"api";r={HF_INFERENCE_QUOTA - 1};t=')
        assert headers["RateLimit-Policy"] == f'"fixed window";"api";q={HF_INFERENCE_QUOTA};w=300'
        assert "x-ratelimit-remaining-requests" not in headers


async def test_the_emulator_sends_none_on_errors(http: aiohttp.ClientSession) -> None:
    body = {"model": "nobody/nothing", "messages": [{"role": "user", "content": "Hi"}]}
    async with http.post("/v1/chat/completions", json=body) as resp:
        assert resp.status == 404
        assert not any(
            name.lower().startswith(("x-ratelimit", "ratelimit")) for name in resp.headers
        )


async def test_every_request_counts_against_the_window(
    runner: hf.Runner, emulator: Emulator
) -> None:
    await runner.run(hf.chat("nobody/nothing", ["x"]))  # a 404 counts too
    replied = (await runner.run(hf.with_reply_info()(ask()))).unwrap()
    assert replied.rate_limit.remaining_requests == ROUTER_REQUESTS - 2


async def test_a_fresh_runner_config_sees_the_same_window(emulator: Emulator) -> None:
    """The quota is the emulator's (the server's), not a runner's."""
    for expected in (1, 2):
        async with hf.open_runner(config_for(emulator), token=emulator.token) as runner:
            replied = (await runner.run(hf.with_reply_info()(ask()))).unwrap()
            assert replied.rate_limit.remaining_requests == ROUTER_REQUESTS - expected
    assert isinstance(await runner.run(ask()), hf.Failure)  # that runner is closed


def test_go_durations_as_the_emulator_writes_them() -> None:
    from hf_pure.core.rate_limit import parse_duration
    from hf_pure.testing._rate_limits import go_duration

    for seconds in (0.02, 0.5, 1.0, 59.991, 60.0, 360.0, 3723.5):
        written = go_duration(seconds)
        assert parse_duration(written) == pytest.approx(seconds, abs=1e-3), written
    assert go_duration(360.0) == "6m0s"
    assert go_duration(0.02) == "20ms"
