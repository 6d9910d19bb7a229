"""A stream's control handle (async): pause is backpressure, cancel ends the stream and
releases its connection, dropping the handle cancels. Over real sockets against the loopback
emulator (no mocking of aiohttp)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import aiohttp
import pytest
from conftest import ask, config_for, failure_of
from returns.result import Success
from toolz import pipe

import hf_pure as hf
from hf_pure.shell.stream_control import CANCELLED, DROPPED, buffer_bound
from hf_pure.testing import Emulator, Fault
from hf_pure.testing.fixtures import EmulatorFactory

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
T = TypeVar("T")


def big() -> hf.ChatRequest:
    """Many large chunks: 8 choices x 600 tokens with 20 logprobs each (~8 MiB of SSE)."""
    request: hf.ChatRequest = pipe(
        hf.chat(MODEL, [hf.user("Tell me everything")]),
        hf.max_tokens(600),
        hf.n(8),
        hf.logprobs(20),
    )
    return request


class Watched:
    """A borrowed session with one connection at most, that remembers each reply, so a test
    can read how many bytes aiohttp took from the socket (``content.total_bytes``)."""

    def __init__(self) -> None:
        self.replies: list[aiohttp.ClientResponse] = []
        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(self._ended)
        self.connector = aiohttp.TCPConnector(limit=1)
        self.session = aiohttp.ClientSession(connector=self.connector, trace_configs=[trace])

    async def _ended(
        self, session: Any, context: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        self.replies.append(params.response)

    def taken(self) -> int:
        """Bytes of the last reply's body aiohttp took from the socket so far."""
        return self.replies[-1].content.total_bytes

    def bound(self) -> int:
        """What the last reply's connection may buffer while its reader is paused."""
        return buffer_bound(self.replies[-1].content.get_read_buffer_limits()[1])

    def held(self) -> int:
        """Connections the session holds (acquired and not given back)."""
        return len(self.connector._acquired)


@pytest.fixture
async def emulator(emulator_factory: EmulatorFactory) -> Emulator:
    """The emulator of this module answers up to 600 tokens (``big()`` asks for them)."""
    return await emulator_factory(reply_tokens=600)


@pytest.fixture
async def watched(emulator: Emulator) -> AsyncIterator[tuple[hf.Runner, Watched]]:
    seen = Watched()
    config = config_for(emulator)
    async with (
        seen.session,
        hf.open_runner(config, token=emulator.token, session=seen.session) as r,
    ):
        yield r, seen


def reason_of(result: hf.Result[Any, hf.HfError]) -> str:
    """Why a stream that must have been interrupted was."""
    err = failure_of(result)
    assert isinstance(err, hf.StreamInterrupted), err
    return err.reason


async def woken(task: asyncio.Task[T], within: float = 0.5) -> T:
    """The task's value, once it has ended by itself within ``within`` seconds (never
    cancelled for being late, unlike ``wait_for``, so a late wake-up can't pass for one)."""
    done, _ = await asyncio.wait({task}, timeout=within)
    assert done, f"not woken within {within} s"
    return task.result()


async def settle(seen: Watched) -> int:
    """Wait until aiohttp stops taking bytes (its buffer is full); the bytes taken."""
    before = -1
    for _ in range(100):
        await asyncio.sleep(0.05)
        now = seen.taken()
        if now == before:
            return now
        before = now
    raise AssertionError(f"aiohttp kept reading a paused stream: {before} bytes")


# ---------------------------------------------------------------- pause: backpressure


async def test_a_paused_stream_reads_nothing_and_buffers_a_bounded_amount(
    watched: tuple[hf.Runner, Watched],
) -> None:
    runner, seen = watched
    unpaused = runner.stream(big())
    count = len([c async for c in unpaused])
    whole, total = unpaused.result.unwrap(), unpaused.bytes_received
    assert total > 8 * seen.bound()  # the answer is far larger than what may be buffered

    stream = runner.stream(big())
    control = stream.control()
    first = [await anext(stream) for _ in range(5)]
    control.pause()
    assert control.paused
    reader = asyncio.create_task(anext(stream))  # waits: a paused stream hands out nothing
    received = stream.bytes_received
    taken = await settle(seen)
    assert not reader.done()
    assert stream.bytes_received == received  # the stream read nothing more
    assert taken - received <= seen.bound()  # aiohttp holds a bounded amount: TCP the rest
    assert taken < total // 4
    await asyncio.sleep(0.3)
    assert seen.taken() == taken  # still paused, still nothing more
    control.resume()
    assert not control.paused
    rest = [await reader] + [c async for c in stream]
    answer = stream.result.unwrap()
    assert answer.choices == whole.choices  # the whole answer, nothing lost or doubled
    assert answer.usage == whole.usage
    assert len(first) + len(rest) == count
    assert stream.bytes_received == seen.taken() == total


async def test_a_stream_paused_between_two_reads_reads_no_more(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=0.3))  # 2 events, silence, the end
    stream = runner.stream(ask())
    control = stream.control()
    [await anext(stream) for _ in range(2)]  # every chunk sent so far: the next read waits
    control.pause()
    reader = asyncio.create_task(anext(stream))
    await asyncio.sleep(0.6)  # the body ended meanwhile...
    assert not stream.done  # ...unread: the paused reader does not read the socket
    control.resume()
    with pytest.raises(StopAsyncIteration):
        await woken(reader)
    assert "body ended" in reason_of(stream.result)


async def test_pause_before_the_first_read_sends_nothing_until_resumed(
    runner: hf.Runner, emulator: Emulator
) -> None:
    stream = runner.stream(ask())
    control = stream.control()
    control.pause()
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.2)
    assert not reader.done()
    assert emulator.requests == []  # held before the request was sent
    control.resume()
    assert isinstance(await reader, Success)
    assert len(emulator.requests) == 1


@pytest.mark.parametrize("read", ["anext", "async for"])
async def test_chunks_already_read_are_held_too(
    runner: hf.Runner, emulator: Emulator, read: str
) -> None:
    emulator.events_per_write = 100  # the whole answer in one read: every chunk is ready
    stream = runner.stream(ask())
    control = stream.control()
    await anext(stream)
    control.pause()
    rest = stream.collect() if read == "async for" else anext(stream)
    reader: asyncio.Task[Any] = asyncio.create_task(rest)
    await asyncio.sleep(0.1)
    assert stream.done  # every chunk has arrived...
    assert not reader.done()  # ...and none is handed out while paused
    control.resume()
    await woken(reader)
    assert isinstance(await stream.collect(), Success)


async def test_a_read_in_flight_when_paused_is_held_when_it_returns(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=0.3))
    stream = runner.stream(ask())
    control = stream.control()
    [await anext(stream) for _ in range(2)]
    reader = asyncio.create_task(anext(stream))
    await asyncio.sleep(0.1)  # the reader waits in a read
    control.pause()
    for _ in range(100):  # until the body has ended: the read returned, and what it gave...
        if stream.done:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.05)
    assert stream.done and not reader.done()  # ...is held
    control.resume()
    with pytest.raises(StopAsyncIteration):
        await woken(reader)


async def test_a_handle_made_outside_the_loop_cancels_when_dropped(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=30.0))
    stream = runner.stream(ask())
    control = await asyncio.to_thread(stream.control)  # (made where no loop runs)
    await anext(stream)
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.05)
    del control
    gc.collect()
    assert reason_of(await woken(reader)) == DROPPED


async def test_resume_without_pause_and_pause_after_the_end_change_nothing(
    runner: hf.Runner,
) -> None:
    stream = runner.stream(ask())
    control = stream.control()
    control.resume()
    answer = await stream.collect()
    control.pause()
    control.resume()
    assert stream.result == answer
    assert isinstance(answer, Success)


# ---------------------------------------------------------------- cancel


async def test_cancel_wakes_a_waiting_reader_keeps_what_arrived_and_releases(
    watched: tuple[hf.Runner, Watched], emulator: Emulator
) -> None:
    runner, seen = watched
    emulator.script("chat", Fault.stall(after=3, seconds=30.0))
    stream = runner.stream(ask())
    control = stream.control()
    got = [await anext(stream) for _ in range(3)]
    reader = asyncio.create_task(anext(stream))  # waits for data that will not come
    await asyncio.sleep(0.05)
    assert seen.held() == 1
    control.cancel()
    assert control.cancelled
    with pytest.raises(StopAsyncIteration):
        await woken(reader)  # at once, not after the stall
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == CANCELLED
    assert err.received == "".join(c.text for c in got)
    assert err.chunks == 3
    assert seen.held() == 0
    # the one connection the session may have is free: another call gets it at once
    assert isinstance(await asyncio.wait_for(runner.run(ask()), 5.0), Success)


async def test_cancel_wakes_a_paused_reader(
    watched: tuple[hf.Runner, Watched], emulator: Emulator
) -> None:
    runner, seen = watched
    stream = runner.stream(big())
    control = stream.control()
    await anext(stream)
    control.pause()
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.1)
    control.cancel()
    err = failure_of(await woken(reader))
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == CANCELLED
    assert not control.paused
    assert seen.held() == 0


async def test_cancel_while_the_request_waits_for_its_reply(
    watched: tuple[hf.Runner, Watched], emulator: Emulator
) -> None:
    runner, seen = watched
    emulator.script("chat", Fault.delay(30.0))  # no headers for 30 s
    stream = runner.stream(ask())
    control = stream.control()
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.2)
    control.cancel()
    err = failure_of(await woken(reader))  # the reader is not cancelled
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == CANCELLED
    assert seen.held() == 0
    assert isinstance(await asyncio.wait_for(runner.run(ask()), 5.0), Success)


async def test_the_readers_own_cancellation_still_propagates_while_opening(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.delay(30.0))
    stream = runner.stream(ask())
    control = stream.control()
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.2)
    reader.cancel()  # the task's own cancel, and the control's at the same time
    control.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert reason_of(stream.result) == CANCELLED


async def test_cancel_before_the_first_read_sends_nothing(
    runner: hf.Runner, emulator: Emulator
) -> None:
    stream = runner.stream(ask())
    stream.control().cancel()  # (the handle dies here too: cancelled already, nothing more)
    assert [c async for c in stream] == []
    assert reason_of(stream.result) == CANCELLED
    assert emulator.requests == []


async def test_cancel_after_the_end_keeps_the_whole_answer(runner: hf.Runner) -> None:
    stream = runner.stream(ask())
    control = stream.control()
    answer = await stream.collect()
    control.cancel()
    assert stream.result == answer
    assert isinstance(answer, Success)


async def test_aclose_wakes_a_paused_reader(runner: hf.Runner) -> None:
    stream = runner.stream(big())
    control = stream.control()
    await anext(stream)
    control.pause()
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.05)
    await stream.aclose()
    err = failure_of(await woken(reader))
    assert isinstance(err, hf.StreamInterrupted)
    assert "closed by the caller" in err.reason


async def test_aclose_while_the_request_is_sent_reads_nothing_after(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.delay(0.3))
    stream = runner.stream(ask())
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.1)
    await stream.aclose()
    await reader
    assert stream.bytes_received == 0  # the reply that came after was closed, not read
    assert "closed by the caller" in reason_of(stream.result)


# ---------------------------------------------------------------- the handle's lifetime


async def test_dropping_the_handle_cancels_the_stream(
    watched: tuple[hf.Runner, Watched], emulator: Emulator
) -> None:
    runner, seen = watched
    emulator.script("chat", Fault.stall(after=2, seconds=30.0))
    stream = runner.stream(ask())
    control = stream.control()
    await anext(stream)
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.05)
    handle = weakref.ref(control)
    del control
    gc.collect()
    assert handle() is None  # nothing kept it alive (no cycle through the stream)
    err = failure_of(await woken(reader))
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == DROPPED
    assert seen.held() == 0


async def test_a_stream_without_a_handle_is_not_cancelled(runner: hf.Runner) -> None:
    stream = runner.stream(ask())
    gc.collect()
    assert isinstance(await stream.collect(), Success)


async def test_asking_again_gives_the_same_handle(runner: hf.Runner) -> None:
    stream = runner.stream(ask())
    control = stream.control()
    assert stream.control() is control  # so a second holder can't cancel by dropping its own
    assert isinstance(await stream.collect(), Success)
    assert not control.cancelled


async def test_the_handle_does_not_keep_its_stream_alive(runner: hf.Runner) -> None:
    stream = runner.stream(ask())
    control = stream.control()
    gone = weakref.ref(stream)
    del stream
    gc.collect()
    assert gone() is None
    control.pause()  # a stream that is gone: every call is a no-op
    control.cancel()
    assert not control.paused
    assert "stream gone" in repr(control)
