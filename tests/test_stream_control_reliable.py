"""A reliable stream's control handle: it drives whichever attempt is current (held before it
sends, held while read), cancels wherever the stream waits (to send, to retry, for a chunk),
and a cancelled stream gives its admission back without counting anything."""

from __future__ import annotations

import asyncio
import gc

from conftest import FakeTime, failure_of
from returns.result import Success
from test_reliable_stream import REQ, TRIAL, chat_posts, open_breaker, outcomes, reliable_for
from test_stream_control import woken

import hf_pure as hf
from hf_pure.reliability.retry import RetryPolicy
from hf_pure.shell.stream_control import CANCELLED, DROPPED
from hf_pure.testing import Emulator, Fault

SLOW_RETRY = RetryPolicy(max_attempts=3, base=30.0, cap=30.0)


def reason_of(result: hf.Result[object, hf.HfError]) -> str:
    err = failure_of(result)
    assert isinstance(err, hf.StreamInterrupted), err
    return err.reason


async def test_pause_holds_the_attempt_before_it_sends(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = reliable_for(runner, FakeTime())
    stream = reliable.stream(REQ)
    control = stream.control()
    assert stream.control() is control
    control.pause()
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.2)
    assert not reader.done()
    assert chat_posts(emulator) == 0  # admitted, but held before sending
    control.resume()
    assert isinstance(await reader, Success)
    assert outcomes(reliable) == {"success": 1}


async def test_pause_mid_stream_holds_the_reader_and_resume_finishes_it(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = reliable_for(runner, FakeTime())
    whole = (await runner.run(REQ)).unwrap()
    stream = reliable.stream(REQ)
    control = stream.control()
    first = await anext(stream)
    control.pause()
    assert control.paused
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.2)
    assert not reader.done()
    control.resume()
    answer = (await reader).unwrap()
    assert answer.text == whole.text
    assert answer.text.startswith(first.text)
    assert outcomes(reliable) == {"success": 1}


async def test_cancel_mid_stream_keeps_what_arrived_and_counts_nothing(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time, breaker=TRIAL)  # one trial at a time
    await open_breaker(reliable, emulator, time)  # the next stream is the one trial allowed
    before = outcomes(reliable)
    emulator.script("chat", Fault.stall(after=2, seconds=30.0))
    stream = reliable.stream(REQ)
    control = stream.control()
    first = await anext(stream)
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.05)
    control.cancel()
    result = await woken(reader)
    assert reason_of(result) == CANCELLED
    err = failure_of(result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.received.startswith(first.text) and err.chunks >= 1
    assert outcomes(reliable) == before  # nothing counted...
    breaker = reliable.snapshot().breakers["meta-llama/Llama-3.1-8B-Instruct"]
    assert breaker.mode.value == "half_open" and breaker.in_flight == 0  # ...the slot given back
    assert isinstance(await reliable.stream(REQ).collect(), Success)  # the next trial may go


async def test_cancel_while_waiting_to_retry_ends_at_once(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(
        runner, hf.Policy(retry=SLOW_RETRY), clock=asyncio.get_running_loop().time
    )
    emulator.script("chat", Fault.status(503))  # then a 30 s backoff before the retry
    stream = reliable.stream(REQ)
    control = stream.control()
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.3)
    assert chat_posts(emulator) == 1 and not reader.done()
    control.cancel()
    result = await woken(reader)  # the reader is not cancelled: it ends
    assert reason_of(result) == CANCELLED
    assert chat_posts(emulator) == 1  # no retry
    assert stream.result == result


async def test_cancel_while_the_attempt_waits_for_its_reply(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = reliable_for(runner, FakeTime())
    emulator.script("chat", Fault.delay(30.0))
    stream = reliable.stream(REQ)
    control = stream.control()
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.2)
    control.cancel()
    assert reason_of(await woken(reader)) == CANCELLED
    assert outcomes(reliable) == {}  # neither a failure nor retried


async def test_aclose_from_another_task_stops_an_opening_stream(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = reliable_for(runner, FakeTime())
    emulator.script("chat", Fault.delay(30.0))
    stream = reliable.stream(REQ)
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.2)
    await stream.aclose()
    assert "closed by the caller" in reason_of(await woken(reader))


async def test_cancel_before_reading_sends_nothing(runner: hf.Runner, emulator: Emulator) -> None:
    reliable = reliable_for(runner, FakeTime())
    stream = reliable.stream(REQ)
    control = stream.control()
    control.cancel()
    assert [c async for c in stream] == []
    assert reason_of(stream.result) == CANCELLED
    assert chat_posts(emulator) == 0


async def test_dropping_the_handle_cancels_the_reliable_stream(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = reliable_for(runner, FakeTime())
    emulator.script("chat", Fault.stall(after=2, seconds=30.0))
    stream = reliable.stream(REQ)
    control = stream.control()
    await anext(stream)
    reader = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.05)
    del control
    gc.collect()
    assert reason_of(await woken(reader)) == DROPPED
    assert outcomes(reliable) == {}
