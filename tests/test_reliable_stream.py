"""``ReliableRunner.stream``: run's admission, retries only before the first chunk, one
record at the end, and an unfinished stream gives its admission back."""

from __future__ import annotations

import asyncio
import gc

import pytest
from conftest import FakeTime
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.policy import replay
from hf_pure.reliability.retry import NO_RETRY, RetryPolicy
from hf_pure.testing import Emulator, Fault

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
REQ = hf.max_tokens(4)(hf.chat(MODEL, ["hello"]))
UNLIMITED = BucketConfig(per_second=10_000.0, per_minute=None, per_hour=None)
RETRY = RetryPolicy(max_attempts=3, base=0.5, cap=1.0)
TRIAL = hf.BreakerConfig(failure_threshold=1, success_threshold=1, open_timeout=10.0)


def reliable_for(runner: hf.Runner, time: FakeTime, **policy: object) -> hf.ReliableRunner:
    settings: dict[str, object] = {"bucket": UNLIMITED, "retry": RETRY, **policy}
    return hf.ReliableRunner(
        runner,
        hf.Policy(**settings),  # type: ignore[arg-type]
        clock=time.clock,
        sleep=time.sleep,
        record_events=True,
    )


def chat_posts(emulator: Emulator) -> int:
    return len([r for r in emulator.requests if r.path.endswith("/chat/completions")])


def outcomes(reliable: hf.ReliableRunner) -> dict[str, int]:
    return {kind: n for (_, _, kind), n in reliable.snapshot().metrics.requests.items()}


async def open_breaker(reliable: hf.ReliableRunner, emulator: Emulator, time: FakeTime) -> None:
    """One failure opens the TRIAL breaker; then its timeout passes: a trial may go."""
    emulator.script("chat", Fault.status(503))
    assert isinstance(await reliable.run(REQ), Failure)  # a 503 (a retry is refused: open)
    assert reliable.snapshot().breakers[MODEL].mode.value == "open"
    time.now += 10.0


async def test_a_stream_gives_the_chunks_and_records_its_end(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time)
    whole = (await runner.run(REQ)).unwrap()
    async with reliable.stream(REQ) as stream:
        texts = []
        async for chunk in stream:
            texts.append(chunk.text)
            time.now += 0.5  # the stream takes time: the latency is to its end
    assert len(texts) > 1
    assert stream.done
    answer = stream.result.unwrap()
    assert "".join(texts) == answer.text == whole.text
    assert outcomes(reliable) == {"success": 1}
    assert reliable.snapshot().metrics.latency.max == pytest.approx(0.5 * len(texts), rel=0.02)
    assert reliable.events is not None
    assert replay(reliable.policy, reliable.initial_state, reliable.events) == reliable.snapshot()


async def test_a_failure_before_the_first_chunk_is_retried(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time)
    emulator.script("chat", Fault.status(503), Fault.drop())
    result = await reliable.stream(REQ).collect()
    assert isinstance(result, Success)
    assert chat_posts(emulator) == 3
    assert len(time.slept) == 2
    assert outcomes(reliable) == {"ServerError": 1, "ConnectionFailed": 1, "success": 1}


async def test_the_chunks_are_kept_only_when_asked(runner: hf.Runner, emulator: Emulator) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time)
    plain = reliable.stream(REQ)
    with pytest.raises(RuntimeError, match=r"keep_chunks=True"):
        _ = plain.chunks
    assert isinstance(await plain.collect(), Success)
    with pytest.raises(RuntimeError, match=r"keep_chunks=True"):
        _ = plain.chunks
    emulator.script("chat", Fault.status(503))  # a failed attempt first: its chunks are none
    kept = reliable.stream(REQ, keep_chunks=True)
    assert kept.chunks == ()
    got = [chunk async for chunk in kept]
    assert len(got) > 1
    assert list(kept.chunks) == got
    assert kept.result.unwrap() == hf.assemble_chat(got)
    assert chat_posts(emulator) == 3


async def test_after_the_first_chunk_nothing_is_retried(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time)
    emulator.script("chat", Fault.cut(after=2))
    stream = reliable.stream(REQ)
    chunks = [chunk async for chunk in stream]
    assert len(chunks) >= 1
    assert isinstance(stream.result.failure(), hf.StreamInterrupted)
    assert chat_posts(emulator) == 1
    assert time.slept == []
    assert outcomes(reliable) == {"StreamInterrupted": 1}


async def test_an_open_breaker_refuses_the_stream_and_sends_nothing(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time, breaker=TRIAL, retry=NO_RETRY)
    await open_breaker(reliable, emulator, time)
    time.now -= 4.0  # 4 s before a trial is allowed
    sent = chat_posts(emulator)
    stream = reliable.stream(REQ)
    assert [chunk async for chunk in stream] == []
    refused = stream.result.failure()
    assert isinstance(refused, hf.CircuitOpen)
    assert refused.retry_in == pytest.approx(4.0)
    assert refused.resume_at is not None
    assert chat_posts(emulator) == sent


async def test_giving_up_after_the_retries_ends_with_the_last_error(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time, breaker=None)
    emulator.always("chat", Fault.status(500))
    stream = reliable.stream(REQ)
    assert [chunk async for chunk in stream] == []
    assert isinstance(stream.result.failure(), hf.ServerError)
    assert chat_posts(emulator) == 3
    assert outcomes(reliable) == {"ServerError": 3}


async def test_closing_early_gives_the_trial_slot_back_and_counts_nothing(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time, breaker=TRIAL)
    await open_breaker(reliable, emulator, time)
    before = outcomes(reliable)
    emulator.script("chat", Fault.stall(after=1, seconds=30.0))
    async with reliable.stream(REQ) as stream:
        async for _ in stream:
            assert reliable.snapshot().breakers[MODEL].in_flight == 1  # the trial is held
            break
    assert reliable.snapshot().breakers[MODEL].in_flight == 0
    assert outcomes(reliable) == before
    assert isinstance(stream.result.failure(), hf.StreamInterrupted)
    assert isinstance(await reliable.run(REQ), Success)  # the next trial goes out
    assert reliable.events is not None
    assert replay(reliable.policy, reliable.initial_state, reliable.events) == reliable.snapshot()


async def test_closing_a_stream_whose_answer_had_all_arrived_records_it(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time, breaker=TRIAL)
    await open_breaker(reliable, emulator, time)
    broke = False
    async with reliable.stream(REQ) as stream:
        async for _ in stream:
            if isinstance(stream.result, Success):  # all received, not all handed out
                broke = not stream.done
                break
    assert broke
    assert isinstance(stream.result, Success)
    assert reliable.snapshot().breaker(MODEL).mode.value == "closed"  # the trial succeeded
    assert outcomes(reliable)["success"] == 1


async def test_a_dropped_stream_gives_its_slot_back(runner: hf.Runner, emulator: Emulator) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time, breaker=TRIAL)
    await open_breaker(reliable, emulator, time)
    emulator.script("chat", Fault.stall(after=1, seconds=30.0))
    stream = reliable.stream(REQ)
    await stream.__anext__()
    assert reliable.snapshot().breakers[MODEL].in_flight == 1
    del stream
    gc.collect()
    await asyncio.sleep(0)  # the give-back runs on the loop
    assert reliable.snapshot().breakers[MODEL].in_flight == 0
    assert isinstance(await reliable.run(REQ), Success)


async def test_a_cancelled_stream_gives_its_slot_back(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time, breaker=TRIAL)
    await open_breaker(reliable, emulator, time)
    emulator.script("chat", Fault.stall(after=1, seconds=30.0))
    stream = reliable.stream(REQ)

    async def read() -> None:
        async for _ in stream:
            pass

    task = asyncio.create_task(read())
    await asyncio.sleep(0.2)
    assert reliable.snapshot().breakers[MODEL].in_flight == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert reliable.snapshot().breakers[MODEL].in_flight == 0
    assert isinstance(stream.result, Failure)


async def test_streams_pass_the_cache_over(runner: hf.Runner, emulator: Emulator) -> None:
    time = FakeTime()
    reliable = reliable_for(runner, time)
    cached = hf.cacheable()(REQ)
    assert isinstance(await reliable.run(cached), Success)
    assert isinstance(await reliable.run(cached), Success)  # from the cache
    assert chat_posts(emulator) == 1
    assert isinstance(await reliable.stream(cached).collect(), Success)
    assert chat_posts(emulator) == 2  # a cached whole answer can't be streamed: it is sent
    assert reliable.snapshot().metrics.cache_hits == 1


async def test_a_stream_cancelled_while_waiting_to_retry_ends_interrupted(
    runner: hf.Runner, emulator: Emulator
) -> None:
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await gate.wait()  # a retry wait that only cancellation ends

    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED, retry=RETRY), sleep=sleep)
    emulator.script("chat", Fault.status(503))
    stream = reliable.stream(REQ)
    task = asyncio.create_task(stream.collect())
    await asyncio.sleep(0.2)
    assert chat_posts(emulator) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    ended = stream.result.failure()
    assert isinstance(ended, hf.StreamInterrupted)
    assert "cancelled" in ended.reason
    assert [chunk async for chunk in stream] == []  # ended: nothing more, no error


async def test_two_tasks_reading_one_stream_get_a_clear_error(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED))
    emulator.script("chat", Fault.delay(0.3))
    stream = reliable.stream(REQ)
    first = asyncio.create_task(stream.__anext__())
    await asyncio.sleep(0.05)
    with pytest.raises(RuntimeError, match="another task"):
        await stream.__anext__()
    await first
    assert isinstance(await stream.collect(), Success)


async def test_streams_wait_out_the_local_rate_limit(runner: hf.Runner, emulator: Emulator) -> None:
    time = FakeTime()
    slow = BucketConfig(per_second=1.0, per_minute=None, per_hour=None)
    reliable = reliable_for(runner, time, bucket=slow)
    for _ in range(3):
        assert isinstance(await reliable.stream(REQ).collect(), Success)
    assert sum(time.slept) == pytest.approx(2.0)  # 1 free, then 1 s each
    assert chat_posts(emulator) == 3


async def test_the_metrics_count_the_bytes_of_a_stream(
    runner: hf.Runner, emulator: Emulator
) -> None:
    import aiohttp

    time = FakeTime()
    reliable = reliable_for(runner, time)
    assert (await reliable.stream(REQ).collect()).unwrap().text
    sent = emulator.requests[-1].body
    # the same stream read raw, by another client: what the metrics must count
    headers = {"Authorization": f"Bearer {emulator.token}", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emulator.url}/v1/chat/completions", data=sent, headers=headers) as resp,
    ):
        raw = await resp.read()
    metrics = reliable.snapshot().metrics
    assert len(sent) > 0
    assert len(raw) > 0
    assert metrics.bytes_sent == len(sent)
    assert metrics.bytes_received == len(raw)
    result, sent_size, received_size = await runner.run_measured(hf.streaming()(REQ))
    assert result.unwrap().text
    assert (sent_size, received_size) == (len(emulator.requests[-1].body), len(raw))
