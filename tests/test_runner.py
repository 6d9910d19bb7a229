"""The runner over real sockets against the loopback emulator (no mocking of aiohttp)."""

from __future__ import annotations

import asyncio
import gc
import socket
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
from conftest import ask, config_for, failure_of
from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.core.errors import ErrorEvent
from hf_pure.testing import Emulator, Fault

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
TGI = "bigscience/bloom-560m"


# ---------------------------------------------------------------- plain requests


async def test_chat_round_trip_and_headers(runner: hf.Runner, emulator: Emulator) -> None:
    answer = (await runner.run(ask())).unwrap()
    assert answer.text
    assert len(answer.text.split()) == 8
    assert answer.finish_reason == "length"
    assert answer.usage is not None
    assert answer.usage.completion_tokens == 8
    seen = emulator.requests[-1]
    assert seen.path == "/v1/chat/completions"
    assert seen.authorized  # the emulator's token went (its log keeps "Bearer <redacted>")
    assert seen.header("authorization") == "Bearer <redacted>"
    assert seen.header("user-agent") == f"hf_pure/{hf.__version__}"
    assert seen.header("accept") == "application/json"
    assert seen.header("content-type") == "application/json"
    assert seen.json() == {
        "model": MODEL,
        "max_tokens": 8,
        "messages": [{"role": "user", "content": "Tell me about lighthouses"}],
    }


async def test_same_request_same_answer(runner: hf.Runner) -> None:
    first = (await runner.run(ask())).unwrap()
    second = (await runner.run(ask())).unwrap()
    assert first.text == second.text


async def test_text_generation_with_details(runner: hf.Runner, emulator: Emulator) -> None:
    req = pipe(hf.text_generation(TGI, "The sea"), hf.max_tokens(5), hf.details())
    out = (await runner.run(req)).unwrap()
    assert out.details is not None
    assert out.details.generated_tokens == 5
    assert len(out.details.tokens) == 5
    assert emulator.requests[-1].path == f"/hf-inference/models/{TGI}"


async def test_invalid_input_sends_nothing(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.reset_log()
    for bad in (
        hf.temperature(3.0)(ask()),
        hf.chat(MODEL, []),
        hf.chat("bad model", ["x"]),
        hf.chat(MODEL, ["x" * 10_000_000]),
    ):
        assert isinstance(failure_of(await runner.run(bad)), hf.InvalidInput)
        stream = runner.stream(bad)
        assert [c async for c in stream] == []
        assert isinstance(failure_of(stream.result), hf.InvalidInput)
    assert emulator.requests == []


async def test_a_broken_token_fails_every_call_without_sending(emulator: Emulator) -> None:
    async with hf.open_runner(config_for(emulator), token="hf_abc\nX-Evil: 1") as runner:
        err = failure_of(await runner.run(ask()))
        assert isinstance(err, hf.InvalidInput)
        assert "X-Evil" not in str(err)
    assert emulator.requests == []


async def test_wrong_token_is_unauthorized(emulator: Emulator) -> None:
    async with hf.open_runner(config_for(emulator), token="hf_wrong") as runner:
        err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.Unauthorized)
    assert err.status == 401
    assert "hf_wrong" not in str(err)


async def test_no_token_401_says_where_it_looked(emulator: Emulator) -> None:
    hint = hf.MissingToken(("HF_TOKEN", "~/.cache/huggingface/token"))
    async with aiohttp.ClientSession() as session:
        runner = hf.Runner(config_for(emulator), session, token_hint=hint)
        err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.Unauthorized)
    assert "no token was sent" in err.detail
    assert "HF_TOKEN" in err.detail


async def test_token_echoed_by_a_server_is_scrubbed(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.status(500, {"error": f"bad header Bearer {emulator.token}"}))
    err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.ServerError)
    assert emulator.token not in repr(err)
    assert emulator.token not in str(err)
    assert "********" in err.detail


async def test_unknown_model_is_not_found(runner: hf.Runner) -> None:
    err = failure_of(await runner.run(hf.chat("nobody/nothing", ["hi"])))
    assert isinstance(err, hf.NotFound)
    assert err.request_id is not None


async def test_429_retry_after_seconds_and_date(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.status(429, headers={"Retry-After": "3"}))
    err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.RateLimited)
    assert err.retry_after == 3.0
    when = datetime.now(UTC) + timedelta(seconds=40)
    emulator.script("chat", Fault.status(429, headers={"Retry-After": format_datetime(when, True)}))
    err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.RateLimited)
    assert err.retry_after is not None
    assert 30 <= err.retry_after <= 41


async def test_503_model_loading(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script(
        "chat", Fault.status(503, {"error": "Model is currently loading", "estimated_time": 20.0})
    )
    err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.ModelLoading)
    assert err.estimated_time == 20.0


async def test_html_502_page(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script(
        "chat",
        Fault.status(
            502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
        ),
    )
    err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.ServerError)
    assert "502 Bad Gateway" in err.detail


async def test_request_id_is_kept(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.status(500, headers={"X-Request-Id": "req-42"}))
    assert failure_of(await runner.run(ask())).request_id == "req-42"


@pytest.mark.parametrize("body", [b"this is not json", b'{"id": "x", "choices": ['])
async def test_200_with_a_bad_body(runner: hf.Runner, emulator: Emulator, body: bytes) -> None:
    emulator.script("chat", Fault.malformed(body))
    err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.MalformedResponse)
    assert err.status == 200


async def test_truncated_body_and_dropped_connection(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.cut(after=1, clean=False))
    assert isinstance(failure_of(await runner.run(ask())), hf.ConnectionFailed)
    emulator.script("chat", Fault.cut(after=1, clean=True))
    assert isinstance(failure_of(await runner.run(ask())), hf.MalformedResponse)
    emulator.script("chat", Fault.drop())
    assert isinstance(failure_of(await runner.run(ask())), hf.ConnectionFailed)
    assert (await runner.run(ask())).unwrap().text  # the runner is fine afterwards


async def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = hf.ClientConfig(router_url=f"http://127.0.0.1:{port}")
    async with hf.open_runner(config, token="hf_x") as runner:
        err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.ConnectionFailed)
    assert str(port) in err.reason


async def test_total_timeout(emulator: Emulator) -> None:
    emulator.script("chat", Fault.delay(2.0))
    async with hf.open_runner(config_for(emulator, total_timeout=0.3), token=emulator.token) as r:
        err = failure_of(await r.run(ask()))
    assert err == hf.Timeout("total", 0.3)


async def test_borrowed_session_is_left_open(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with hf.open_runner(
            config_for(emulator), token=emulator.token, session=session
        ) as runner:
            assert (await runner.run(ask())).unwrap().text
        assert not session.closed


# ---------------------------------------------------------------- streams


async def test_stream_typed_chunks_and_result(runner: hf.Runner, emulator: Emulator) -> None:
    whole = (await runner.run(ask())).unwrap()
    stream = runner.stream(ask())
    chunks = [chunk async for chunk in stream]
    assert all(isinstance(c, hf.ChatChunk) for c in chunks)
    assert "".join(c.text for c in chunks) == whole.text
    answer = stream.result.unwrap()
    assert answer.text == whole.text
    assert answer.finish_reason == "length"
    assert answer.usage is not None  # stream_options.include_usage is on by default
    assert emulator.requests[-1].header("accept") == "text/event-stream"
    body = emulator.requests[-1].json()
    assert isinstance(body, dict)
    assert body["stream"] is True


async def test_run_on_a_streaming_request_assembles_the_answer(runner: hf.Runner) -> None:
    whole = (await runner.run(ask())).unwrap()
    streamed = (await runner.run(hf.streaming()(ask()))).unwrap()
    assert streamed.text == whole.text
    assert streamed.usage == whole.usage


async def test_stream_tool_call(runner: hf.Runner) -> None:
    weather = hf.tool(
        "get_weather",
        "weather",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    req = hf.tools(weather)(hf.chat(MODEL, ["Weather in Paris?"]))
    streamed = await runner.stream(req).collect()
    plain = await runner.run(req)
    assert streamed.unwrap().tool_calls == plain.unwrap().tool_calls
    call = streamed.unwrap().tool_calls[0]
    assert call.name == "get_weather"
    assert call.parsed_arguments().unwrap() == {"city": "emulated"}


async def test_text_generation_stream(runner: hf.Runner) -> None:
    req = pipe(hf.text_generation(TGI, "The sea"), hf.max_tokens(6))
    stream = runner.stream(req)
    texts = [c.text async for c in stream]
    assert len(texts) == 6
    assert stream.result.unwrap().text == (await runner.run(req)).unwrap().text


@pytest.mark.parametrize("clean", [True, False])
async def test_cut_stream_keeps_what_arrived(
    runner: hf.Runner, emulator: Emulator, clean: bool
) -> None:
    emulator.script("chat", Fault.cut(after=4, clean=clean))
    stream = runner.stream(ask())
    got = "".join([c.text async for c in stream])
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.received == got
    assert err.chunks == 4
    assert got  # some text did arrive (the first chunk is the role, then words)


async def test_cut_text_generation_stream(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("text-generation", Fault.cut(after=3))
    stream = runner.stream(pipe(hf.text_generation(TGI, "x"), hf.max_tokens(10)))
    got = "".join([c.text async for c in stream])
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.received == got
    assert err.chunks == 3


async def test_idle_stream_times_out(emulator: Emulator) -> None:
    emulator.script("chat", Fault.stall(after=3, seconds=3.0))
    config = config_for(emulator, read_timeout=0.3)
    async with hf.open_runner(config, token=emulator.token) as runner:
        stream = runner.stream(ask())
        async with asyncio.timeout(2.5):
            chunks = [c async for c in stream]
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert len(chunks) == 3
    assert "read timeout" in err.reason


async def test_mid_stream_error_event(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.stream_error(after=3))
    stream = runner.stream(ask())
    chunks = [c async for c in stream]
    assert len(chunks) == 3
    err = failure_of(stream.result)
    # an error event, as the server sent it: its type and the text before it, no HTTP status
    assert isinstance(err, ErrorEvent)
    assert err.error_type == "generation"
    assert (err.chunks, err.received) == (3, "".join(c.text for c in chunks))
    assert err.received


async def test_noisy_but_valid_sse_decodes_the_same(runner: hf.Runner, emulator: Emulator) -> None:
    clean = await runner.stream(ask()).collect()
    emulator.script("chat", Fault.sse_noise())
    noisy = await runner.stream(ask()).collect()
    assert noisy.unwrap().text == clean.unwrap().text
    emulator.script("text-generation", Fault.sse_noise())
    tgi = pipe(hf.text_generation(TGI, "x"), hf.max_tokens(7))
    assert (await runner.stream(tgi).collect()).unwrap().text == (
        await runner.run(tgi)
    ).unwrap().text


async def test_garbage_data_line_interrupts(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.sse_garbage(after=2))
    stream = runner.stream(ask())
    chunks = [c async for c in stream]
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert "not valid JSON" in err.reason
    assert len(chunks) == 2


async def test_stream_error_status(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.status(429, headers={"Retry-After": "5"}))
    stream = runner.stream(ask())
    assert [c async for c in stream] == []
    err = failure_of(stream.result)
    assert isinstance(err, hf.RateLimited)
    assert err.retry_after == 5.0


async def test_result_before_the_end_says_so(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=5.0))  # so it cannot end early
    stream = runner.stream(ask())
    first = await anext(stream)
    assert isinstance(first, hf.ChatChunk)
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert "not read to its end" in err.reason
    await stream.aclose()
    assert "closed by the caller" in failure_of(stream.result).reason  # type: ignore[union-attr]


# ---------------------------------------------------------------- releasing connections


@pytest.fixture
async def one_connection(emulator: Emulator) -> AsyncIterator[hf.Runner]:
    """A runner with a pool of ONE connection: a leaked connection makes the next call hang."""
    async with hf.open_runner(config_for(emulator, max_connections=1), token=emulator.token) as r:
        yield r


async def next_call_works(runner: hf.Runner) -> None:
    async with asyncio.timeout(3):
        assert (await runner.run(ask())).unwrap().text


async def test_breaking_out_of_a_stream_releases_it(
    one_connection: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=5.0))  # still open when we break
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async for _ in one_connection.stream(ask()):
            break
        gc.collect()
        await next_call_works(one_connection)


async def test_async_with_releases_it(one_connection: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=5.0))  # still open when we leave
    async with one_connection.stream(ask()) as stream:
        await anext(stream)
    assert isinstance(stream.result, Failure)
    await next_call_works(one_connection)


async def test_cancelling_a_stream_releases_it(
    one_connection: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=5.0))
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in one_connection.stream(ask()):
            started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await next_call_works(one_connection)


async def test_completed_streams_reuse_the_connection(
    one_connection: hf.Runner, emulator: Emulator
) -> None:
    for _ in range(5):
        assert isinstance(await one_connection.stream(ask()).collect(), Success)
    await next_call_works(one_connection)
