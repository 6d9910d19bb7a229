"""A sync stream's control handle, used from another thread: pausing holds the iterating
thread and stops the socket reads (nothing buffers without bound), cancelling wakes it and
releases the connection, dropping the handle cancels. The emulator runs on its own loop in
a thread of its own (``Served``, as in test_sync)."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import failure_of
from returns.result import Success
from test_sync import Served, eventually, serving, stream_request, sync_runner
from toolz import pipe

import hf_pure as hf
from hf_pure.shell.stream_control import CANCELLED, DROPPED, buffer_bound
from hf_pure.shell.sync_stream import READ_AHEAD
from hf_pure.testing import Fault

TOKENS = 600


@pytest.fixture
def big() -> Iterator[Served]:
    with serving(reply_tokens=TOKENS) as served:
        yield served


def big_request() -> hf.ChatRequest:
    """Many large chunks: 8 choices x 600 tokens, 20 logprobs each (~8 MiB of SSE, far more
    than every buffer on the way)."""
    request: hf.ChatRequest = pipe(stream_request(TOKENS), hf.n(8), hf.logprobs(20))
    return request


@pytest.fixture
def served() -> Iterator[Served]:
    with serving() as s:
        yield s


def reason_of(result: hf.Result[Any, hf.HfError]) -> str:
    err = failure_of(result)
    assert isinstance(err, hf.StreamInterrupted), err
    return err.reason


class Reader:
    """Iterates a sync stream in a thread of its own; ``taken`` counts the chunks so far."""

    def __init__(self, stream: hf.SyncStream[Any, Any]) -> None:
        self.stream = stream
        self.taken = 0
        self.thread = threading.Thread(target=self._read, name="test reader")
        self.thread.start()

    def _read(self) -> None:
        for _ in self.stream:
            self.taken += 1

    def join(self, within: float) -> None:
        self.thread.join(within)
        assert not self.thread.is_alive(), "the reader was not woken"


def acquired(runner: hf.SyncRunner) -> int:
    """Connections the sync runner's session holds."""
    return len(runner.runner.session.connector._acquired)  # type: ignore[union-attr]


def test_pause_from_another_thread_holds_the_reader_and_the_socket(big: Served) -> None:
    with sync_runner(big) as runner:
        unpaused = runner.stream(big_request())
        whole = unpaused.collect().unwrap()
        total = unpaused._inner.bytes_received  # type: ignore[attr-defined]
        stream = runner.stream(big_request())
        control = stream.control()
        control.pause()  # before the first chunk: nothing is sent until resumed
        reader = Reader(stream)
        time.sleep(0.2)
        assert reader.taken == 0 and control.paused
        control.resume()
        assert eventually(lambda: reader.taken > 10)
        control.pause()
        inner: Any = stream._inner
        taken = reader.taken

        def still() -> bool:  # the pump stopped: the async stream reads nothing more
            before: int = inner.bytes_received
            time.sleep(0.1)
            after: int = inner.bytes_received
            return before == after

        assert eventually(still)
        time.sleep(0.3)
        assert reader.taken <= taken + 1  # (one chunk may have been taken as pause() ran)
        assert len(stream._pipe.buffer) <= READ_AHEAD + 64  # the read-ahead, bounded
        content = inner._resp.content  # aiohttp's buffer: bounded, and the answer is not in it
        assert content.total_bytes - inner.bytes_received <= buffer_bound(
            content.get_read_buffer_limits()[1]
        )
        assert content.total_bytes < total // 2
        control.resume()
        reader.join(10.0)
        assert stream.result.unwrap().choices == whole.choices


def read_ahead(stream: hf.SyncStream[Any, Any]) -> None:
    """Take one chunk, then let the pump read ahead until it pauses (its buffer full)."""
    next(stream)
    assert eventually(lambda: len(stream._pipe.buffer) >= READ_AHEAD - 1)


def in_thread(step: Callable[[], None]) -> None:
    thread = threading.Thread(target=step, name="test controller")
    thread.start()
    thread.join(5.0)


def test_pause_holds_the_chunks_read_ahead_too(big: Served) -> None:
    with sync_runner(big) as runner:
        stream = runner.stream(big_request())
        control = stream.control()
        read_ahead(stream)
        in_thread(control.pause)
        reader = Reader(stream)
        time.sleep(0.2)
        assert reader.taken == 0  # a full buffer, and not one chunk taken while paused
        in_thread(control.resume)
        reader.join(10.0)
        assert isinstance(stream.result, Success)


def test_cancel_ends_a_pump_held_by_its_read_ahead(big: Served) -> None:
    with sync_runner(big) as runner:
        stream = runner.stream(big_request())
        control = stream.control()
        read_ahead(stream)  # the pump waits for the reader to catch up
        in_thread(control.cancel)
        reader = Reader(stream)
        reader.join(2.0)
        assert reader.taken == 0  # the chunks read ahead are dropped
        assert reason_of(stream.result) == CANCELLED
        assert eventually(lambda: acquired(runner) == 0)


def test_cancel_from_another_thread_wakes_the_reader_and_releases(served: Served) -> None:
    served.emu.script("chat", Fault.stall(after=3, seconds=30.0))
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request())
        control = stream.control()
        reader = Reader(stream)
        assert eventually(lambda: reader.taken == 3)
        time.sleep(0.05)  # the reader waits for the 4th chunk, which would take 30 s
        assert acquired(runner) == 1
        started = time.monotonic()
        control.cancel()
        reader.join(2.0)
        assert time.monotonic() - started < 2.0
        assert control.cancelled
        err = failure_of(stream.result)
        assert isinstance(err, hf.StreamInterrupted)
        assert err.reason == CANCELLED
        assert err.chunks == 3 and err.received
        assert eventually(lambda: acquired(runner) == 0)
        assert isinstance(runner.run(stream_request()), Success)


def test_cancel_wakes_a_paused_reader(big: Served) -> None:
    with sync_runner(big) as runner:
        stream = runner.stream(big_request())
        control = stream.control()
        reader = Reader(stream)
        assert eventually(lambda: reader.taken > 0)
        control.pause()
        time.sleep(0.1)
        control.cancel()
        reader.join(2.0)
        assert reason_of(stream.result) == CANCELLED
        assert not control.paused
        assert eventually(lambda: acquired(runner) == 0)


def test_cancel_before_iterating_sends_nothing(served: Served) -> None:
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request())
        control = stream.control()
        control.cancel()
        assert reason_of(stream.result) == CANCELLED
        assert stream.done
        assert list(stream) == []
        assert served.chat_requests() == 0


def test_cancel_after_the_end_keeps_the_whole_answer(served: Served) -> None:
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request())
        control = stream.control()
        answer = stream.collect()
        control.cancel()
        assert stream.result == answer
        assert isinstance(answer, Success)


def test_dropping_the_handle_cancels_the_sync_stream(served: Served) -> None:
    served.emu.script("chat", Fault.stall(after=2, seconds=30.0))
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request())
        control = stream.control()
        reader = Reader(stream)
        assert eventually(lambda: reader.taken == 2)
        handle = weakref.ref(control)
        del control
        gc.collect()
        assert handle() is None
        reader.join(2.0)
        assert reason_of(stream.result) == DROPPED
        assert eventually(lambda: acquired(runner) == 0)


def test_a_sync_stream_without_a_handle_is_not_cancelled(served: Served) -> None:
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request())
        assert stream.control() is stream.control()  # asked twice, dropped: cancelled, so
        other = runner.stream(stream_request())  # a stream never asked for its handle
        gc.collect()
        assert isinstance(other.collect(), Success)
        assert reason_of(stream.result) == DROPPED


def test_a_reliable_sync_stream_has_the_same_control(served: Served) -> None:
    served.emu.script("chat", Fault.stall(after=2, seconds=30.0))
    with sync_runner(served) as plain:
        reliable = hf.SyncReliableRunner(plain, hf.Policy())
        stream = reliable.stream(stream_request())
        control = stream.control()
        reader = Reader(stream)
        assert eventually(lambda: reader.taken == 2)
        control.cancel()
        reader.join(2.0)
        assert reason_of(stream.result) == CANCELLED
        assert dict(reliable.reliable.snapshot().metrics.requests) == {}  # nothing counted


class Endless:
    """An async stream whose chunks are all buffered already: each one arrives without the
    pump's task giving the loop a turn (as aiohttp hands out data it holds), until it is
    cancelled or closed."""

    def __init__(self) -> None:
        self.ended: str | None = None
        self.sent = 0
        self._paused = False

    def __aiter__(self) -> Endless:
        return self

    async def __anext__(self) -> int:
        if self.ended is not None:
            raise StopAsyncIteration
        self.sent += 1
        return self.sent

    async def aclose(self) -> None:
        self.ended = self.ended or "closed"

    @property
    def done(self) -> bool:
        return self.ended is not None

    chunks: tuple[int, ...] = ()
    result: Any = None
    reply_info: Any = None

    def _pause(self) -> None:
        self._paused = True

    def _resume(self) -> None:
        self._paused = False

    def _cancel(self, reason: str) -> None:
        self.ended = self.ended or reason


def test_a_cancel_landing_between_two_chunks_ends_the_pump_with_its_reason() -> None:
    """The control cancels from another thread while the pump's task is between two chunks;
    its own call to end the stream is queued behind that task. The pump must neither refill
    the buffer the cancel cleared nor pause waiting for a reader that takes nothing: it ends
    the stream with the control's reason (was: it read 256 more chunks and waited for ever)."""
    from hf_pure.shell.sync_stream import _Pipe, _pump

    async def run() -> tuple[Endless, _Pipe[int]]:
        inner = Endless()
        pipe: _Pipe[int] = _Pipe(asyncio.get_running_loop())
        pipe.cut = CANCELLED  # (what _cancel does under the lock, as the task reads on)
        await asyncio.wait_for(_pump(inner, pipe), 2.0)
        return inner, pipe

    inner, pipe = asyncio.run(run())
    assert inner.ended == CANCELLED
    assert inner.sent == 1 and not pipe.buffer and pipe.ended and not pipe.paused
