"""A paused stream whose runner closes: its reader wakes at once and the stream ends as one
cut by its runner closing does (``CLOSED_BEFORE_END``), instead of being held for ever. The
async stream (paused mid-stream, before its first read, or after the close), the reliable
stream, the sync stream. Over real sockets against the loopback emulator; each wait for the
reader is bounded, so a hang fails the test instead of blocking it."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager

import aiohttp
import pytest
from conftest import FakeTime, ask, config_for, failure_of
from test_reliable_stream import REQ, chat_posts, outcomes, reliable_for
from test_runner_timeouts import client_tasks, until
from test_stream_control_sync import big_request, in_thread, read_ahead
from test_sync import Served, _no_sleep, attempts, eventually, loop_threads, serving, sync_runner

import hf_pure as hf
from hf_pure.shell.stream import CLOSED_BEFORE_END
from hf_pure.shell.sync_call import SYNC_CLOSED_BEFORE_END
from hf_pure.testing import Emulator, Fault

GUARD = 3.0  # seconds a woken reader may take to end: past them, it hung


@pytest.fixture(params=[False, True], ids=["own session", "borrowed session"])
async def borrowed(request: pytest.FixtureRequest) -> AsyncIterator[aiohttp.ClientSession | None]:
    """No session (the runner makes its own, closed with it), or one the runner borrows,
    still open for the whole test (nothing then closes the connection behind the runner)."""
    if not request.param:
        yield None
        return
    async with aiohttp.ClientSession() as session:
        yield session


def runner_for(
    emulator: Emulator, session: aiohttp.ClientSession | None
) -> AbstractAsyncContextManager[hf.Runner]:
    return hf.open_runner(config_for(emulator), token=emulator.token, session=session)


async def rest_of(stream: hf.Stream[hf.ChatChunk, hf.ChatCompletion]) -> list[hf.ChatChunk]:
    return [chunk async for chunk in stream]


# ---------------------------------------------------------------- the async stream


@pytest.mark.usefixtures("no_warnings")
async def test_closing_the_runner_wakes_the_reader_of_a_paused_stream(
    emulator: Emulator, borrowed: aiohttp.ClientSession | None
) -> None:
    emulator.script("chat", Fault.stall(after=3, seconds=5.0))  # still open when the block ends
    async with runner_for(emulator, borrowed) as runner:
        stream = runner.stream(ask())
        control = stream.control()
        first = await anext(stream)
        control.pause()
        reader = asyncio.create_task(rest_of(stream))
        await until(lambda: stream._reading)  # the reader is held by the pause
        session = runner.session
    rest = await asyncio.wait_for(reader, GUARD)
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == CLOSED_BEFORE_END
    # as when the close cuts a stream being read: the chunks read are handed out, then the end
    assert err.chunks == 1 + len(rest)
    assert err.received == "".join(c.text for c in (first, *rest))
    assert not control.paused
    assert stream._resp is None  # its connection was closed, even on a session left open
    assert session.connector is None or not session.connector._acquired
    assert client_tasks() == []


@pytest.mark.usefixtures("no_warnings")
async def test_closing_the_runner_ends_a_stream_being_read_also_on_a_borrowed_session(
    emulator: Emulator, borrowed: aiohttp.ClientSession | None
) -> None:
    """Not paused: its reader waits for the server's next event (which comes 5 s later).
    The close ends it at once, as it ends the calls under way, also when the session is
    borrowed and stays open (nothing else would close the connection behind the runner)."""
    emulator.script("chat", Fault.stall(after=3, seconds=5.0))
    async with runner_for(emulator, borrowed) as runner:
        stream = runner.stream(ask())
        first = await anext(stream)
        reader = asyncio.create_task(rest_of(stream))
        await until(lambda: stream._reading and not stream._ready)  # waiting on the socket
        session = runner.session
    rest = await asyncio.wait_for(reader, GUARD)
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == CLOSED_BEFORE_END
    assert err.received == "".join(c.text for c in (first, *rest))
    assert stream._resp is None
    assert session.connector is None or not session.connector._acquired
    assert client_tasks() == []


@pytest.mark.usefixtures("no_warnings")
@pytest.mark.parametrize(
    "when", ["reader waiting", "read after the close", "paused after the close"]
)
async def test_a_stream_paused_before_its_first_read_ends_when_the_runner_closes(
    emulator: Emulator, when: str, borrowed: aiohttp.ClientSession | None
) -> None:
    reader: asyncio.Task[hf.Result[hf.ChatCompletion, hf.HfError]] | None = None
    async with runner_for(emulator, borrowed) as runner:
        stream = runner.stream(ask())
        control = stream.control()
        if when != "paused after the close":
            control.pause()
        if when == "reader waiting":
            reader = asyncio.create_task(stream.collect())
            await until(lambda: stream._reading)  # held before anything is sent
    if when == "paused after the close":
        control.pause()  # a closed runner holds nothing: nothing would wake it
    if reader is None:
        reader = asyncio.create_task(stream.collect())
    result = await asyncio.wait_for(reader, GUARD)
    assert failure_of(result) == hf.StreamInterrupted("", 0, CLOSED_BEFORE_END)
    assert not control.paused
    assert emulator.requests == []  # nothing was sent
    assert client_tasks() == []


# ---------------------------------------------------------------- the reliable stream


@pytest.mark.usefixtures("no_warnings")
@pytest.mark.parametrize("when", ["mid-stream", "before the first read"])
async def test_closing_the_runner_ends_a_paused_reliable_stream(
    emulator: Emulator, when: str
) -> None:
    emulator.script("chat", Fault.stall(after=3, seconds=5.0))
    async with hf.open_runner(config_for(emulator), token=emulator.token) as runner:
        time = FakeTime()
        reliable = reliable_for(runner, time)
        stream = reliable.stream(REQ)
        control = stream.control()
        if when == "mid-stream":
            await anext(stream)
        control.pause()
        reader = asyncio.create_task(stream.collect())
        # held by the pause in the attempt it drives (mid-stream: before its next chunk;
        # else before the attempt sends)
        await until(lambda: stream._attempt is not None and stream._attempt._reading)
    result = await asyncio.wait_for(reader, GUARD)
    err = failure_of(result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == CLOSED_BEFORE_END
    assert chat_posts(emulator) == (1 if when == "mid-stream" else 0)  # nothing sent once closed
    assert time.slept == []  # no retry waited for: no attempt can be sent once it is closed
    assert outcomes(reliable) == {}  # the close says nothing of the endpoint: not counted
    assert not control.paused  # ended, as the plain stream's control tells
    assert client_tasks() == []


# ---------------------------------------------------------------- the sync stream


@pytest.fixture
def big() -> Iterator[Served]:
    with serving(reply_tokens=600) as served:
        yield served


def pause_then_close(big: Served, when: str) -> None:
    """Pause a sync stream (mid-stream: with its read-ahead buffered), let a reader thread
    wait on it, close the sync runner: the reader ends within the guard."""
    taken: list[object] = []
    with sync_runner(big) as runner:
        stream = runner.stream(big_request())
        control = stream.control()
        if when == "mid-stream":
            read_ahead(stream)  # chunks wait in the pump's buffer
            assert eventually(lambda: stream._pipe.paused)  # it is full: the pump waits
        in_thread(control.pause)
        buffered = len(stream._pipe.buffer)  # (READ_AHEAD, or 0: nothing read yet)
        # a daemon: a reader held for ever must not keep the test process alive
        reader = threading.Thread(target=lambda: taken.extend(stream), daemon=True)
        reader.start()
        assert eventually(lambda: stream._pipe.waiting)  # held by the pause
    reader.join(GUARD)
    if reader.is_alive():
        control.resume()  # let it go before failing
    assert not reader.is_alive(), "the reader was not woken by the close"
    # as when the close cuts a stream being read: the chunks read ahead are handed out
    assert len(taken) == buffered
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == SYNC_CLOSED_BEFORE_END  # as the async one says it, not "cancelled"
    assert err.chunks >= len(taken) + (1 if when == "mid-stream" else 0)
    assert list(stream) == []  # the end
    if when == "before the first read":
        assert big.chat_requests() == 0  # nothing was sent
    assert not control.paused
    assert loop_threads() == []


@pytest.mark.parametrize("when", ["mid-stream", "before the first read"])
def test_closing_the_sync_runner_wakes_the_reader_of_a_paused_stream(
    big: Served, when: str
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pause_then_close(big, when)
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning | RuntimeWarning)]
    assert leaks == []


def test_closing_the_sync_runner_ends_a_stream_being_read_as_closed() -> None:
    """Not paused, its pump waiting for the server's next event: the stream ends as the
    async one its runner's close cuts, and its reader gets what was read."""
    with serving() as served:
        served.emu.script("chat", Fault.stall(after=3, seconds=5.0))
        with sync_runner(served) as runner:
            stream = runner.stream(ask())
            first = next(stream)
            # the two chunks before the stall are read ahead; the pump waits on the socket
            assert eventually(lambda: len(stream._pipe.buffer) == 2)
        rest = list(stream)
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == SYNC_CLOSED_BEFORE_END
    assert err.received == "".join(c.text for c in (first, *rest))
    assert loop_threads() == []


def test_closing_the_sync_runner_ends_a_reliable_stream_being_read_uncounted() -> None:
    """The sync reliable runner's stream, its pump waiting for the server's next event: the
    close ends it with the sync runner's reason, sends no retry, and counts nothing (the
    close says nothing of the endpoint)."""
    with serving() as served:
        served.emu.script("chat", Fault.stall(after=3, seconds=5.0))
        with sync_runner(served) as runner:
            reliable = hf.SyncReliableRunner(runner, hf.Policy(), sleep=_no_sleep)
            stream = reliable.stream(ask())
            first = next(stream)
            assert eventually(lambda: len(stream._pipe.buffer) == 2)
        rest = list(stream)
        assert served.chat_requests() == 1
    err = failure_of(stream.result)
    assert isinstance(err, hf.StreamInterrupted)
    assert err.reason == SYNC_CLOSED_BEFORE_END
    assert err.received == "".join(c.text for c in (first, *rest))
    assert attempts(reliable) == {}
    assert loop_threads() == []
