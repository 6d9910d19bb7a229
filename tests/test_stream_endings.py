"""Streams end cleanly in every case, and the runner takes only what it is given: over real
sockets against the loopback emulator (no mocking of aiohttp)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence

import aiohttp
import pytest
from conftest import ask, config_for, failure_of
from returns.result import Success
from toolz import pipe

import hf_pure as hf
from hf_pure.testing import Emulator, Fault

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
TGI = "bigscience/bloom-560m"


# ---------------------------------------------------------------- after the runner's block


@pytest.mark.usefixtures("no_warnings")
async def test_a_stream_read_after_its_runner_closed_ends_interrupted(emulator: Emulator) -> None:
    async with hf.open_runner(config_for(emulator), token=emulator.token) as runner:
        stream = runner.stream(ask())
    assert [c async for c in stream] == []
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert "runner was closed" in err.reason
    assert emulator.requests == []  # nothing was sent


@pytest.mark.usefixtures("no_warnings")
async def test_a_stream_cut_by_its_runner_closing_keeps_what_arrived(
    emulator: Emulator,
) -> None:
    emulator.script("chat", Fault.stall(after=3, seconds=5.0))  # still open when the block ends
    async with hf.open_runner(config_for(emulator), token=emulator.token) as runner:
        stream = runner.stream(ask())
        first = await anext(stream)
    rest = [c async for c in stream]
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert "runner was closed" in err.reason
    assert err.received == "".join(c.text for c in (first, *rest))
    assert err.chunks == 1 + len(rest)


async def test_run_after_the_runner_closed_is_a_failure(emulator: Emulator) -> None:
    async with hf.open_runner(config_for(emulator), token=emulator.token) as runner:
        pass
    err = failure_of(await runner.run(ask()))
    assert isinstance(err, hf.ConnectionFailed)
    assert "runner was closed" in err.reason


# ---------------------------------------------------------------- one reader


async def test_a_second_reader_gets_a_clear_error(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.delay(0.2))  # both tasks ask while the request is in flight
    stream = runner.stream(ask())
    first, second = await asyncio.gather(stream.collect(), stream.collect(), return_exceptions=True)
    assert isinstance(second, RuntimeError)
    assert not isinstance(second, AssertionError | StopAsyncIteration)
    assert "another task is already reading this stream" in str(second)
    assert isinstance(first, Success)  # the first reader is not disturbed
    assert first.unwrap().text == (await runner.run(ask())).unwrap().text


async def test_a_second_reader_mid_stream_gets_the_same_error(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=5.0))
    stream = runner.stream(ask())
    await anext(stream)
    await anext(stream)  # both chunks sent so far are handed out: the next read waits
    reader = asyncio.create_task(anext(stream))
    await asyncio.sleep(0.05)
    with pytest.raises(RuntimeError, match="already reading"):
        await anext(stream)
    await stream.aclose()  # closing from another task ends the waiting reader
    with pytest.raises(StopAsyncIteration):
        await reader
    closed = failure_of(stream.result)
    assert isinstance(closed, hf.StreamInterrupted)
    assert "closed by the caller" in closed.reason


# ---------------------------------------------------------------- a server that ignores stream


@pytest.mark.usefixtures("no_warnings")
async def test_a_whole_json_answer_to_a_stream_comes_as_one_chunk(
    runner: hf.Runner, emulator: Emulator
) -> None:
    whole = (await runner.run(ask())).unwrap()
    emulator.script("chat", Fault.ignore_stream())
    stream = runner.stream(ask())
    chunks = [c async for c in stream]
    assert emulator.requests[-1].json()["stream"] is True  # type: ignore[index]
    assert len(chunks) == 1
    assert isinstance(chunks[0], hf.ChatChunk)
    assert chunks[0].text == whole.text
    assert chunks[0].finish_reason == whole.finish_reason
    answer = stream.result.unwrap()
    assert answer.text == whole.text
    assert answer.usage == whole.usage


async def test_a_whole_json_tool_call_comes_as_one_chunk(
    runner: hf.Runner, emulator: Emulator
) -> None:
    weather = hf.tool(
        "get_weather",
        "weather",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    req = hf.tools(weather)(hf.chat(MODEL, ["Weather in Paris?"]))
    plain = (await runner.run(req)).unwrap()
    emulator.script("chat", Fault.ignore_stream())
    stream = runner.stream(req)
    (chunk,) = [c async for c in stream]
    (call,) = chunk.choices[0].tool_calls
    assert (call.name, call.arguments) == (plain.tool_calls[0].name, plain.tool_calls[0].arguments)
    assert stream.result.unwrap().tool_calls == plain.tool_calls


async def test_a_whole_json_text_generation_comes_as_one_chunk(
    runner: hf.Runner, emulator: Emulator
) -> None:
    req = pipe(hf.text_generation(TGI, "The sea"), hf.max_tokens(6))
    whole = (await runner.run(req)).unwrap()
    emulator.script("text-generation", Fault.ignore_stream())
    stream = runner.stream(req)
    chunks = [c async for c in stream]
    assert [c.text for c in chunks] == [whole.text]
    assert stream.result.unwrap().text == whole.text


async def test_an_error_status_to_a_stream_still_gives_no_chunk(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.status(503, {"error": "loading", "estimated_time": 3.0}))
    stream = runner.stream(ask())
    assert [c async for c in stream] == []
    assert isinstance(failure_of(stream.result), hf.ModelLoading)


# ---------------------------------------------------------------- total_timeout


async def test_run_of_a_streaming_request_is_bounded_by_total_timeout(
    emulator: Emulator,
) -> None:
    # each wait for data is within read_timeout: only the total bound can end it
    emulator.script("chat", Fault.stall(after=3, seconds=3.0))
    config = config_for(emulator, total_timeout=0.5, read_timeout=5.0, max_connections=1)
    async with hf.open_runner(config, token=emulator.token) as runner:
        started = time.monotonic()
        err = failure_of(await runner.run(hf.streaming()(ask())))
        elapsed = time.monotonic() - started
        assert isinstance(err, hf.Timeout)
        assert (err.phase, err.seconds) == ("total", 0.5)
        assert elapsed < 2.0
        async with asyncio.timeout(3):  # the one connection was released
            assert (await runner.run(ask())).unwrap().text


async def test_run_of_a_streaming_request_within_total_timeout(emulator: Emulator) -> None:
    config = config_for(emulator, total_timeout=5.0)
    async with hf.open_runner(config, token=emulator.token) as runner:
        streamed = (await runner.run(hf.streaming()(ask()))).unwrap()
        assert streamed.text == (await runner.run(ask())).unwrap().text


# ---------------------------------------------------------------- a borrowed session


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_raise_for_status_session_gives_the_same_error_kinds(
    emulator: Emulator, streamed: bool
) -> None:
    async def call(runner: hf.Runner) -> hf.HfError:
        if streamed:
            return failure_of(await runner.stream(ask()).collect())
        return failure_of(await runner.run(ask()))

    async with aiohttp.ClientSession(raise_for_status=True) as session:
        async with hf.open_runner(
            config_for(emulator), token=emulator.token, session=session
        ) as runner:
            emulator.script("chat", Fault.status(429, headers={"Retry-After": "3"}))
            limited = await call(runner)
            assert isinstance(limited, hf.RateLimited)
            assert limited.retry_after == 3.0
            emulator.script(
                "chat", Fault.status(503, {"error": "Model is loading", "estimated_time": 20.0})
            )
            loading = await call(runner)
            assert isinstance(loading, hf.ModelLoading)
            assert loading.estimated_time == 20.0
        async with hf.open_runner(config_for(emulator), token="hf_wrong", session=session) as bad:
            assert isinstance(await call(bad), hf.Unauthorized)
        assert not session.closed


# ---------------------------------------------------------------- the token's type


@pytest.mark.parametrize("token", [b"hf_bytes_token", 12345, ["hf_in_a_list"], ("hf_x",)])
async def test_a_wrong_typed_token_is_a_type_error_never_the_environment(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, token: object
) -> None:
    monkeypatch.setenv("HF_TOKEN", emulator.token)  # another account's token, to be left alone
    monkeypatch.setenv("HUGGINGFACE_API_KEY", emulator.token)
    with pytest.raises(TypeError, match=r"token=") as caught:
        async with hf.open_runner(config_for(emulator), token=token):  # type: ignore[arg-type]
            pytest.fail("a runner was opened")
    assert type(token).__name__ in str(caught.value)
    assert "hf_bytes_token" not in str(caught.value)  # the value itself is never shown
    assert emulator.requests == []


# ---------------------------------------------------------------- chunks kept only when asked


def holders(items: Sequence[object]) -> list[int]:
    """How many references each item has (the same for items nothing else holds)."""
    return [sys.getrefcount(item) for item in items]


async def test_a_stream_folds_its_chunks_and_keeps_none(runner: hf.Runner) -> None:
    req = pipe(ask(), hf.max_tokens(40))
    stream = runner.stream(req)
    got = [c async for c in stream]
    assert len(got) > 1
    answer, whole = stream.result.unwrap(), (await runner.run(req)).unwrap()
    assert (answer.text, answer.finish_reason, answer.usage) == (
        whole.text,
        whole.finish_reason,
        whole.usage,
    )
    assert answer.text == "".join(c.text for c in got)
    alone = holders([object(), object()])[0]
    assert holders(got) == [alone] * len(got)  # the stream holds none of them
    with pytest.raises(RuntimeError, match=r"keep_chunks=True"):
        _ = stream.chunks


async def test_keep_chunks_keeps_every_chunk(runner: hf.Runner) -> None:
    stream = runner.stream(ask(), keep_chunks=True)
    first = await anext(stream)
    assert stream.chunks[0] is first
    rest = [c async for c in stream]
    assert list(stream.chunks) == [first, *rest]
    alone = holders([object(), object()])[0]
    assert holders(rest) == [alone + 1] * len(rest)  # and the stream's own list
    assert stream.result.unwrap() == hf.assemble_chat(stream.chunks)


async def test_a_cut_stream_keeps_what_was_folded(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.stream_error(after=3))
    stream = runner.stream(ask())
    got = [c async for c in stream]
    err = failure_of(stream.result)
    assert isinstance(err, hf.ErrorEvent)
    assert (err.chunks, err.received) == (3, "".join(c.text for c in got))
    emulator.script("chat", Fault.cut(after=4))
    cut = runner.stream(ask())
    got = [c async for c in cut]
    interrupted = failure_of(cut.result)
    assert isinstance(interrupted, hf.StreamInterrupted)
    assert (interrupted.chunks, interrupted.received) == (4, "".join(c.text for c in got))


async def test_a_text_generation_stream_folds_its_tokens(runner: hf.Runner) -> None:
    req = pipe(hf.text_generation(TGI, "The sea"), hf.max_tokens(12))
    whole = (await runner.run(req)).unwrap()
    stream = runner.stream(req, keep_chunks=True)
    got = [c async for c in stream]
    assert all(isinstance(c, hf.TextGenerationChunk) for c in got)
    assert stream.result.unwrap() == whole
    assert "".join(c.text for c in got) == whole.text
    assert list(stream.chunks) == got
