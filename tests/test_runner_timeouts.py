"""The runner's bounds over real sockets against the emulator: the total timeout kept by the
runner's watchdog (slow headers, slow bodies, per-call timeouts, many calls at once), the
connect bound kept by aiohttp, cancellation by the caller (also at the deadline itself), the
runner closing with calls under way; and the one Result of a call."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator

import aiohttp
import attrs
import pytest
from conftest import ask, config_for, failure_of
from returns.result import Failure, Result, Success

import hf_pure as hf
from hf_pure.core.http import HttpCall, RawReply
from hf_pure.shell.stream import CLOSED_BEFORE_END
from hf_pure.shell.transport import RUNNER_CLOSED
from hf_pure.testing import Emulator, Fault


async def until(condition: Callable[[], object], seconds: float = 3.0) -> None:
    """Wait until ``condition()`` holds (the emulator's log, the watchdog's state: nothing
    here has an event to wait on)."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


@pytest.fixture
async def quick(emulator: Emulator) -> AsyncIterator[hf.Runner]:
    """A runner with a 0.3 s total timeout and ONE connection (a leaked one hangs the next)."""
    config = config_for(emulator, total_timeout=0.3, max_connections=1)
    async with hf.open_runner(config, token=emulator.token) as runner:
        yield runner


async def next_call_works(runner: hf.Runner) -> None:
    async with asyncio.timeout(3):
        assert (await runner.run(ask())).unwrap().text


def client_tasks() -> list[asyncio.Task[object]]:
    """The tasks left besides this test's and the emulator's (it shares the loop)."""
    here = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks()
        if task is not here
        and not getattr(task.get_coro(), "__qualname__", "").startswith("RequestHandler.")
    ]


def no_timer_left(runner: hf.Runner) -> bool:
    return runner._watchdog.pending == 0 and runner._watchdog.armed_for is None


# ---------------------------------------------------------------- the total timeout


@pytest.mark.parametrize(
    "fault",
    [Fault.delay(2.0), Fault.stall(seconds=2.0)],
    ids=["slow headers", "slow body"],
)
async def test_slow_headers_and_a_slow_body_are_a_total_timeout(
    quick: hf.Runner, emulator: Emulator, fault: Fault
) -> None:
    emulator.script("chat", fault)
    started = time.monotonic()
    err = failure_of(await quick.run(ask()))
    elapsed = time.monotonic() - started
    assert err == hf.Timeout("total", 0.3)
    assert 0.3 <= elapsed < 1.5
    await next_call_works(quick)  # the one connection was released


async def test_a_timed_out_call_leaves_its_task_as_it_was(
    quick: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.delay(2.0))
    async with asyncio.timeout(5):  # an enclosing timeout of the caller's is not disturbed
        assert isinstance(failure_of(await quick.run(ask())), hf.Timeout)
        task = asyncio.current_task()
        assert task is not None
        assert task.cancelling() == 0
        await asyncio.sleep(0.05)  # not cancelled by a leftover request
    assert no_timer_left(quick)


async def test_a_calls_own_timeout_bounds_it_either_way(emulator: Emulator) -> None:
    call = ask().to_call()
    config = config_for(emulator, total_timeout=0.3)
    async with hf.open_runner(config, token=emulator.token) as runner:
        emulator.script("chat", Fault.delay(2.0))
        shorter = await runner.send(attrs.evolve(call, timeout=0.1))
        assert failure_of(shorter) == hf.Timeout("total", 0.1)
        emulator.script("chat", Fault.delay(0.6))
        longer = await runner.send(attrs.evolve(call, timeout=3.0))  # longer than the total
        assert isinstance(longer, Success)
        assert longer.unwrap().status == 200


async def test_many_calls_at_once_each_keep_their_own_timeout(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.always("chat", Fault.delay(0.4))
    call = ask().to_call()
    timeouts = [0.15, 3.0, 0.2, 2.0, 0.25, 4.0] * 4
    started = time.monotonic()
    results = await asyncio.gather(*(runner.send(attrs.evolve(call, timeout=t)) for t in timeouts))
    assert time.monotonic() - started < 2.5
    for seconds, result in zip(timeouts, results, strict=True):
        if seconds < 0.4:
            assert failure_of(result) == hf.Timeout("total", seconds)
        else:
            assert result.unwrap().status == 200
    assert runner._watchdog.pending == 0


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose listener never accepts and whose backlog is full: a connect hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))  # in progress (EINPROGRESS): never accepted
        fillers.append(filler)
    try:
        yield port
    finally:
        for s in (*fillers, listener):
            s.close()


async def test_the_connect_bound_is_still_aiohttps(unanswered_port: int) -> None:
    await asyncio.sleep(0.05)  # let the fillers take the backlog
    url = f"http://127.0.0.1:{unanswered_port}"
    config = hf.ClientConfig(router_url=url, connect_timeout=0.2, total_timeout=10.0)
    async with hf.open_runner(config, token="hf_x") as runner:
        started = time.monotonic()
        err = failure_of(await runner.run(ask()))
        assert time.monotonic() - started < 2.0
    assert err == hf.Timeout("connect", 0.2)


def test_whole_calls_carry_no_aiohttp_total_and_streams_keep_their_read_bound() -> None:
    config = hf.ClientConfig(connect_timeout=3.0, read_timeout=7.0, total_timeout=11.0)
    runner = hf.Runner(config, session=None)  # type: ignore[arg-type]  # only the bounds
    whole, streamed = ask().to_call(), ask().to_stream_call()
    for call in (whole, attrs.evolve(whole, timeout=2.0)):
        bounds = runner._timeout_for(call)
        assert (bounds.total, bounds.sock_connect, bounds.sock_read) == (None, 3.0, None)
    bounds = runner._timeout_for(streamed)
    assert (bounds.total, bounds.sock_connect, bounds.sock_read) == (None, 3.0, 7.0)
    bounds = runner._timeout_for(attrs.evolve(streamed, timeout=2.0))
    assert (bounds.total, bounds.sock_connect, bounds.sock_read) == (None, 3.0, 2.0)


# ---------------------------------------------------------------- the caller's cancellation


async def test_a_callers_cancel_propagates_and_releases_the_connection(
    quick: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.delay(2.0))
    task = asyncio.create_task(quick.run(ask()))
    await until(lambda: emulator.requests)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert quick._watchdog.pending == 0
    await next_call_works(quick)


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_callers_cancel_at_the_deadline_itself_still_propagates(
    quick: hf.Runner, emulator: Emulator, streamed: bool
) -> None:
    """The caller's task.cancel() in the same loop iteration as the watchdog's timer: the
    call ends cancelled, not timed out, and its connection goes back."""
    emulator.script("chat", Fault.stall(after=1, seconds=3.0) if streamed else Fault.delay(3.0))
    request = hf.streaming()(ask()) if streamed else ask()
    task = asyncio.create_task(quick.run(request))
    await until(lambda: quick._watchdog.armed_for is not None)
    deadline = quick._watchdog.armed_for
    assert deadline is not None
    asyncio.get_running_loop().call_at(deadline, task.cancel)  # due with the watchdog's timer
    with pytest.raises(asyncio.CancelledError):
        await task
    assert quick._watchdog.pending == 0
    await next_call_works(quick)


# ---------------------------------------------------------------- the runner closing


async def test_closing_the_runner_ends_a_call_under_way(emulator: Emulator) -> None:
    emulator.script("chat", Fault.delay(5.0))
    async with hf.open_runner(config_for(emulator), token=emulator.token) as runner:
        task = asyncio.create_task(runner.run(ask()))
        await until(lambda: emulator.requests)
        started = time.monotonic()
    err = failure_of(await task)
    assert time.monotonic() - started < 1.0
    assert err == hf.ConnectionFailed(RUNNER_CLOSED)
    assert no_timer_left(runner)
    assert client_tasks() == []


async def test_closing_the_runner_ends_a_streamed_run_with_what_arrived(
    emulator: Emulator,
) -> None:
    emulator.script("chat", Fault.stall(after=2, seconds=5.0))
    async with hf.open_runner(config_for(emulator), token=emulator.token) as runner:
        task = asyncio.create_task(runner.run_measured(hf.streaming()(ask())))
        await until(lambda: emulator.requests)
        await asyncio.sleep(0.3)  # the two events before the stall arrive
    result, sent, received = await task
    err = failure_of(result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == CLOSED_BEFORE_END
    assert err.chunks == 2
    assert sent > 0
    assert received > 0
    assert no_timer_left(runner)


async def test_a_closed_runner_on_a_borrowed_session_sends_nothing_more(
    emulator: Emulator,
) -> None:
    emulator.script("chat", Fault.delay(5.0))
    async with aiohttp.ClientSession() as session:
        async with hf.open_runner(
            config_for(emulator), token=emulator.token, session=session
        ) as runner:
            task = asyncio.create_task(runner.run(ask()))
            await until(lambda: emulator.requests)
        assert failure_of(await task) == hf.ConnectionFailed(RUNNER_CLOSED)
        sent = len(emulator.requests)
        assert failure_of(await runner.run(ask())) == hf.ConnectionFailed(RUNNER_CLOSED)
        assert failure_of(await runner.send(ask().to_call())) == hf.ConnectionFailed(RUNNER_CLOSED)
        streamed = failure_of(await runner.run(hf.streaming()(ask())))
        assert isinstance(streamed, hf.StreamInterrupted)
        assert streamed.reason == CLOSED_BEFORE_END
        assert len(emulator.requests) == sent  # nothing more was sent
        assert no_timer_left(runner)
        assert not session.closed
        async with hf.open_runner(
            config_for(emulator), token=emulator.token, session=session
        ) as again:
            assert (await again.run(ask())).unwrap().text


# ---------------------------------------------------------------- one Result per call


class Recorded:
    """A chat request whose decoder answers a Result made in advance."""

    cacheable = False

    def __init__(self, answer: Result[object, hf.HfError]) -> None:
        self.inner = ask()
        self.answer = answer

    def check(self, limits: hf.Limits) -> hf.InvalidInput | None:
        return self.inner.check(limits)

    def to_call(self) -> HttpCall:
        return self.inner.to_call()

    def decode(self, reply: RawReply) -> Result[object, hf.HfError]:
        assert isinstance(reply, RawReply)
        return self.answer


async def test_the_decoders_result_is_the_calls_result(runner: hf.Runner) -> None:
    answer: Result[object, hf.HfError] = Success("decoded")
    assert await runner.run(Recorded(answer)) is answer  # not unwrapped and wrapped again
    result, sent, received = await runner.run_measured(Recorded(answer))
    assert result is answer
    assert sent == len(ask().to_call().body or b"")
    assert received > 0
    refused: Result[object, hf.HfError] = Failure(hf.MalformedResponse(200, "odd"))
    assert await runner.run(Recorded(refused)) == refused


async def test_send_answers_the_whole_reply_whatever_its_status(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.status(429, headers={"Retry-After": "4"}))
    limited = (await runner.send(ask().to_call())).unwrap()
    assert limited.status == 429
    assert limited.headers["retry-after"] == "4"
    assert limited.request_id is not None
    assert limited == RawReply(
        status=429,
        headers=dict(limited.headers.pairs),
        body=limited.body,
        received_at=limited.received_at,
    )
    ok = (await runner.send(ask().to_call())).unwrap()
    assert ok.status == 200
    assert ok.content_type == "application/json"
