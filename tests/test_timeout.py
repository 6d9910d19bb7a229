"""with_timeout(): a request's own timeout. Pure (validation, the calls it makes, curl) and
against the emulator: a slow reply becomes Timeout within the request's bound while the
runner's default stays, for a whole call, a streamed run and an iterated stream; with the
reliable and the sync runner; composed with with_reply_info() in either order."""

from __future__ import annotations

import math
import time

import pytest
from conftest import ask, failure_of
from returns.result import Success
from toolz import pipe

import hf_pure as hf
from hf_pure.core.wrappers import StreamingWithTimeout
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.retry import NO_RETRY
from hf_pure.testing import Emulator, Fault

UNLIMITED = BucketConfig(per_second=10_000.0, per_minute=None, per_hour=None)
LIMITS = hf.Limits()

# ---------------------------------------------------------------- pure


@pytest.mark.parametrize("seconds", ["5", None, True, False, b"1", [1.0]])
def test_a_timeout_that_is_not_a_number_is_a_type_error(seconds: object) -> None:
    with pytest.raises(TypeError, match="with_timeout\\(\\): seconds must be a number"):
        hf.with_timeout(seconds)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds", [0, 0.0, -1, -0.5, math.nan, math.inf, -math.inf, 10**400])
def test_a_number_that_is_no_timeout_is_invalid_input_from_check(seconds: float) -> None:
    request = hf.with_timeout(seconds)(ask())  # a modifier never raises for data
    problem = request.check(LIMITS)
    assert isinstance(problem, hf.InvalidInput)
    assert problem.field == "timeout"
    assert "positive, finite" in problem.reason
    assert isinstance(hf.validate(request).failure(), hf.InvalidInput)


def test_the_own_problem_comes_with_the_requests_check() -> None:
    assert hf.with_timeout(5)(hf.temperature(9.0)(ask())).check(LIMITS).field == "temperature"  # type: ignore[union-attr]
    assert hf.with_timeout(5)(ask()).check(LIMITS) is None


def test_it_sets_the_timeout_of_every_call_of_every_kind() -> None:
    chat = hf.with_timeout(2.5)(ask())
    assert isinstance(chat, StreamingWithTimeout)
    assert chat.to_call() == hf.evolve(ask().to_call(), timeout=2.5)
    assert chat.to_stream_call() == hf.evolve(ask().to_stream_call(), timeout=2.5)
    assert chat.timeout == 2.5
    assert chat.model == ask().model
    assert chat.codec == ask().codec
    hub = hf.with_timeout(3)(hf.model_info("bert-base-uncased"))
    assert isinstance(hub, hf.WithTimeout)
    assert not hasattr(hub, "to_stream_call")
    assert hub.to_call().timeout == 3.0 and type(hub.seconds) is float
    embed = hf.with_timeout(1)(hf.feature_extraction("sentence-transformers/all-MiniLM-L6-v2", "x"))
    assert embed.to_call().timeout == 1.0
    assert embed.cacheable is True  # delegated: embeddings are cacheable from the start


def test_it_is_a_value_and_its_own_cache_key() -> None:
    assert hf.with_timeout(2)(ask()) == hf.with_timeout(2.0)(ask())
    assert hash(hf.with_timeout(2)(ask())) == hash(hf.with_timeout(2.0)(ask()))
    assert hf.with_timeout(2)(ask()) != hf.with_timeout(3)(ask())
    assert hf.with_timeout(2)(ask()) != ask()  # type: ignore[comparison-overlap]
    assert hf.evolve(hf.with_timeout(2)(ask()), seconds=4.0).to_call().timeout == 4.0


def test_as_curl_renders_the_timeout_as_max_time() -> None:
    command = hf.as_curl(hf.with_timeout(7.5)(ask())).unwrap()
    assert "--max-time 7.5" in command
    assert "--max-time" not in hf.as_curl(ask()).unwrap()
    both = pipe(ask(), hf.with_timeout(7.5), hf.with_reply_info())
    assert hf.as_curl(both).unwrap() == command
    # a stream has no total in curl (--max-time would cut a long answer): none is written
    assert "--max-time" not in hf.as_curl(hf.with_timeout(7.5)(hf.streaming()(ask()))).unwrap()


def test_it_composes_with_reply_info_either_way() -> None:
    outer = pipe(ask(), hf.with_timeout(2), hf.with_reply_info())
    inner = pipe(ask(), hf.with_reply_info(), hf.with_timeout(2))
    for request in (outer, inner):
        assert request.timeout == 2.0
        assert request.to_call().timeout == 2.0
        assert request.to_stream_call().timeout == 2.0
    with pytest.raises(AttributeError, match=r"apply with_timeout\(\) last in pipe"):
        hf.max_tokens(3)(hf.with_timeout(2)(ask()))  # type: ignore[type-var]


# ---------------------------------------------------------------- against the emulator


async def test_a_slow_reply_becomes_timeout_while_the_runners_default_stays(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.delay(0.6), Fault.delay(0.6))
    started = time.monotonic()
    error = failure_of(await runner.run(hf.with_timeout(0.15)(ask())))
    assert error == hf.Timeout("total", 0.15)
    assert time.monotonic() - started < 0.55
    assert isinstance(await runner.run(ask()), Success)  # the runner's 120 s: it waits


async def test_a_timeout_long_enough_lets_the_reply_in(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.delay(0.1))
    assert isinstance(await runner.run(hf.with_timeout(5)(ask())), Success)


async def test_a_streamed_run_is_bounded_as_a_whole(runner: hf.Runner, emulator: Emulator) -> None:
    emulator.script("chat", Fault.delay(1.0), Fault.stall(after=2, seconds=0.4))
    started = time.monotonic()
    error = failure_of(await runner.run(hf.with_timeout(0.2)(hf.streaming()(ask()))))
    assert isinstance(error, hf.Timeout) and error.seconds == 0.2
    assert time.monotonic() - started < 0.9
    # unwrapped, the same stall is waited out (the runner's bounds are 60 s a read, 120 s in
    # all): the stream ends without its last event, cut but not timed out
    cut = failure_of(await runner.run(hf.streaming()(ask())))
    assert isinstance(cut, hf.StreamInterrupted)
    assert "timed out" not in cut.reason


async def test_an_iterated_stream_is_bounded_per_read(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=1.0))
    stream = runner.stream(hf.with_timeout(0.2)(ask()))
    started = time.monotonic()
    chunks = [chunk async for chunk in stream]
    assert time.monotonic() - started < 0.9
    assert len(chunks) == 2
    cut = failure_of(stream.result)
    assert isinstance(cut, hf.StreamInterrupted) and cut.chunks == 2
    assert "read timeout of 0.2 s" in cut.reason  # the request's bound, not the runner's 60 s


async def test_a_stream_whose_head_is_slow_times_out_on_its_own_bound(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.delay(1.0))
    stream = runner.stream(hf.with_timeout(0.2)(ask()))
    assert [chunk async for chunk in stream] == []
    assert failure_of(stream.result) == hf.Timeout("read", 0.2)


async def test_timeout_and_reply_info_together(runner: hf.Runner, emulator: Emulator) -> None:
    request = pipe(ask(), hf.with_timeout(5), hf.with_reply_info())
    replied = (await runner.run(request)).unwrap()
    assert replied.request_id == "emu-1"
    emulator.script("chat", Fault.delay(0.6))
    error = failure_of(await runner.run(pipe(ask(), hf.with_reply_info(), hf.with_timeout(0.15))))
    assert error == hf.Timeout("total", 0.15)


async def test_the_reliable_runner_keeps_the_requests_timeout(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED, retry=NO_RETRY))
    emulator.script("chat", Fault.delay(0.6))
    error = failure_of(await reliable.run(hf.with_timeout(0.15)(ask())))
    assert error == hf.Timeout("total", 0.15)
    assert isinstance(await reliable.run(hf.with_timeout(5)(ask())), Success)


def test_the_sync_runner_keeps_the_requests_timeout() -> None:
    with hf.emulated_sync_runner() as (runner, emulator):
        emulator.script("chat", Fault.delay(0.6))
        error = failure_of(runner.run(hf.with_timeout(0.15)(ask())))
        assert error == hf.Timeout("total", 0.15)
        assert isinstance(runner.run(ask()), Success)
