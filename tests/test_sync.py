"""The sync facade: the same values and Results as the async runner, without await, from any
thread, inside a running event loop, with Ctrl-C, closing and abandoned streams cleaning up.

The emulator runs on its own loop in a thread of its own (``served``): a test blocking in the
sync runner would otherwise block the loop serving it.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import os
import re
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs
import pytest
from conftest import ask, config_for, failure_of
from returns.result import Success
from toolz import pipe

import hf_pure as hf
from hf_pure.shell.sync_loop import CANCEL_WAIT, MAIN_TASK, READ_SIZE, SYNC_CLOSED
from hf_pure.shell.sync_stream import READ_AHEAD, SYNC_STREAM_CLOSED
from hf_pure.testing import Emulator, Fault

T = TypeVar("T")
LOOP_THREAD = "hf_pure sync runner"


class Served:
    """An emulator on a loop in its own thread; ``on_loop`` runs a coroutine there."""

    def __init__(self, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test emulator")
        self.thread.start()
        self.emu = self.on_loop(Emulator(**options).start())

    def on_loop(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def chat_requests(self) -> int:
        return sum(1 for seen in self.emu.requests if seen.path == "/v1/chat/completions")

    def close(self) -> None:
        self.on_loop(self.emu.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@contextmanager
def serving(**options: Any) -> Iterator[Served]:
    served = Served(**options)
    try:
        yield served
    finally:
        served.close()


@pytest.fixture
def served() -> Iterator[Served]:
    with serving() as s:
        yield s


@contextmanager
def sync_runner(served: Served, **fields: object) -> Iterator[hf.SyncRunner]:
    with hf.open_sync_runner(config_for(served.emu, **fields), token=served.emu.token) as r:
        yield r


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == LOOP_THREAD]


def eventually(check: Callable[[], bool], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def stream_request(tokens: int = 8) -> hf.ChatRequest:
    request: hf.ChatRequest = pipe(ask(), hf.max_tokens(tokens))
    return request


def texts(chunks: Any) -> list[str]:
    return [c.choices[0].delta.content or "" for c in chunks if c.choices]


# ------------------------------------------------------------------------ the same answers


def test_run_gives_the_async_runners_answer_and_errors(served: Served) -> None:
    invalid = pipe(ask(), hf.temperature(9.0))

    async def the_async_way() -> list[hf.Result[hf.ChatCompletion, hf.HfError]]:
        config = config_for(served.emu)
        async with hf.open_runner(config, token=served.emu.token) as runner:
            served.emu.script("chat", Fault.status(429, headers={"Retry-After": "7"}))
            return [await runner.run(r) for r in (ask(), ask(), invalid)]

    expected = asyncio.run(the_async_way())
    with sync_runner(served) as runner:
        served.emu.script("chat", Fault.status(429, headers={"Retry-After": "7"}))
        got = [runner.run(r) for r in (ask(), ask(), invalid)]
    limited = failure_of(got[0])
    assert isinstance(limited, hf.RateLimited) and limited.retry_after == 7
    assert attrs.evolve(limited, request_id=None) == attrs.evolve(
        failure_of(expected[0]), request_id=None
    )
    assert isinstance(got[1], Success) and isinstance(expected[1], Success)
    assert got[1].unwrap().text == expected[1].unwrap().text != ""
    assert isinstance(failure_of(got[2]), hf.InvalidInput)
    assert got[2] == expected[2]


def test_stream_is_a_plain_iterator_of_the_async_streams_chunks(served: Served) -> None:
    async def the_async_way() -> tuple[list[str], str]:
        async with hf.open_runner(config_for(served.emu), token=served.emu.token) as runner:
            stream = runner.stream(stream_request())
            chunks = [c async for c in stream]
            return texts(chunks), stream.result.unwrap().text

    want_texts, want_answer = asyncio.run(the_async_way())
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request())
        got = list(stream)
        assert texts(got) == want_texts
        assert stream.done
        match stream.result:
            case Success(answer):
                assert answer.text == want_answer == "".join(want_texts)
            case other:
                pytest.fail(f"stream failed: {other}")
        assert list(stream) == []  # exhausted


def test_stream_result_before_the_end_says_it_was_not_read(served: Served) -> None:
    with sync_runner(served) as runner, runner.stream(stream_request()) as stream:
        error = failure_of(stream.result)
        assert isinstance(error, hf.StreamInterrupted)
        assert "not read to its end" in error.reason
        assert served.chat_requests() == 0  # nothing is sent before the first next()
        assert stream.collect().unwrap().text != ""
        assert served.chat_requests() == 1


def test_stream_options_pass_through_to_the_async_runner(served: Served) -> None:
    # keep_chunks= and the like go to Runner.stream as they are: an unknown one is its error
    with sync_runner(served) as runner, pytest.raises(TypeError, match="no_such_option"):
        runner.stream(stream_request(), no_such_option=1)


def test_chunks_behave_as_the_async_streams(served: Served) -> None:
    """``chunks`` is the async stream's: whatever it keeps (or refuses to give without
    ``keep_chunks=True``, once Runner.stream takes it), the sync stream answers the same."""
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request())
        got = list(stream)
        inner: Any = stream._inner
        try:
            kept = inner.chunks
        except RuntimeError as refused:
            with pytest.raises(RuntimeError, match=re.escape(str(refused))):
                stream.chunks  # noqa: B018
        else:
            assert stream.chunks == kept == tuple(got)
        if "keep_chunks" in inspect.signature(hf.Runner.stream).parameters:
            keeping = runner.stream(stream_request(), keep_chunks=True)
            assert keeping.chunks == ()
            read = tuple(keeping)
            assert keeping.chunks == read != ()
        else:  # not on this runner yet: passed through, and refused there
            with pytest.raises(TypeError, match="keep_chunks"):
                runner.stream(stream_request(), keep_chunks=True)


def test_run_many_runs_concurrently_and_keeps_the_order(served: Served) -> None:
    requests = [pipe(ask(f"question {i}"), hf.max_tokens(2 + i)) for i in range(6)]
    with sync_runner(served) as runner:
        served.emu.script("chat", Fault.delay(0.3))  # held back: the others overtake it
        started = time.monotonic()
        results = runner.run_many(requests)
        spent = time.monotonic() - started
        one_by_one = [runner.run(r) for r in requests]
    assert [r.unwrap().text for r in results] == [r.unwrap().text for r in one_by_one]
    assert [len(r.unwrap().text.split()) for r in results] == [2 + i for i in range(6)]
    assert spent < 0.3 * 2


# ------------------------------------------------------------------------ where it runs


def test_works_inside_a_running_event_loop_as_in_jupyter(served: Served) -> None:
    request = ask()

    async def notebook_cell(runner: hf.SyncRunner) -> tuple[object, list[str]]:
        asyncio.get_running_loop()  # a loop is running here, as in a notebook
        blocked = asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="running event loop"):
            asyncio.run(blocked)  # what a hand-written sync wrapper would do
        blocked.close()
        return runner.run(request), texts(runner.stream(stream_request()))

    with sync_runner(served) as runner:
        result, streamed = asyncio.run(notebook_cell(runner))
    assert isinstance(result, Success)
    assert streamed and "".join(streamed) != ""

    async def open_it_there_too() -> object:
        with sync_runner(served) as inner:
            return inner.run(request)

    assert isinstance(asyncio.run(open_it_there_too()), Success)


def test_many_threads_share_one_loop_and_one_session(served: Served) -> None:
    results: list[object] = []
    lock = threading.Lock()
    with sync_runner(served) as runner:

        def work(i: int) -> None:
            for j in range(6):
                got = runner.run(ask(f"thread {i} call {j}"))
                streamed = runner.stream(stream_request(3)).collect()
                with lock:
                    results.extend([got, streamed])

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(loop_threads()) == 1
        session = runner.runner.session
    assert len(results) == 8 * 6 * 2
    assert all(isinstance(r, Success) for r in results), [r for r in results if r is not Success]
    assert served.chat_requests() == 8 * 6 * 2
    assert session.closed


def test_calling_it_from_code_on_its_own_loop_is_refused(served: Served) -> None:
    seen: list[BaseException] = []
    with sync_runner(served) as runner:

        def on_change(change: hf.HealthChange) -> None:  # runs on the runner's loop
            try:
                runner.run(ask())
            except RuntimeError as exc:
                seen.append(exc)

        config = hf.HealthConfig(failure_threshold=1)
        with hf.sync_health_monitor(
            runner, ["http://127.0.0.1:9"], interval=10, config=config, on_change=on_change
        ) as monitor:
            assert monitor.check_now() == (False,)
        assert len(seen) == 1 and "its own event loop" in str(seen[0])

        async def nested() -> object:
            return runner.run(ask())

        with pytest.raises(RuntimeError, match="its own event loop"):
            runner._thread.call(nested)
        assert isinstance(runner.run(ask()), Success)  # still serving


def test_a_token_of_the_wrong_type_is_a_type_error_and_leaves_no_thread() -> None:
    before = len(loop_threads())
    with pytest.raises(TypeError, match="token"):
        hf.open_sync_runner(token=b"hf_bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ClientConfig"):
        hf.open_sync_runner("https://router.huggingface.co")  # type: ignore[arg-type]
    assert len(loop_threads()) == before


# ------------------------------------------------------------------------ closing


def _open_fds() -> int | None:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def test_close_leaves_no_thread_task_connection_or_loop(served: Served) -> None:
    gc.collect()
    threads_before = set(threading.enumerate())
    fds_before = _open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner = hf.open_sync_runner(config_for(served.emu), token=served.emu.token)
        # the third chat request (half_read) stalls after 3 events, holding its connection
        served.emu.script("chat", Fault.delay(0), Fault.delay(0), Fault.stall(3, seconds=10))
        assert runner.run(ask()).unwrap().text
        finished = runner.stream(stream_request())
        assert finished.collect().unwrap().text
        half_read = runner.stream(stream_request(20))
        assert next(half_read) is not None  # left open: close() must end it
        session, loop = runner.runner.session, runner.loop
        assert not runner.closed
        runner.close()
        runner.close()  # idempotent
        assert runner.closed
        assert loop.is_closed()
        assert session.closed
        assert not asyncio.all_tasks(loop)
        assert set(threading.enumerate()) == threads_before
        assert isinstance(failure_of(half_read.result), hf.StreamInterrupted)
        rest = list(half_read)  # what was read before the close is still handed out; no more
        cut = failure_of(half_read.result)
        assert isinstance(cut, hf.StreamInterrupted)
        assert cut.chunks == len(rest) + 1 <= 3
        del runner, finished, half_read, session
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning | RuntimeWarning)]
    assert leaks == []
    if fds_before is not None:  # Linux: every socket, pipe and epoll fd it made is closed
        # (eventually: the emulator, in this process too, closes its end when it sees ours go)
        assert eventually(lambda: _open_fds() == fds_before), (_open_fds(), fds_before)


def test_a_dropped_runner_is_closed_by_its_finalizer(served: Served) -> None:
    runner = hf.open_sync_runner(config_for(served.emu), token=served.emu.token)
    assert isinstance(runner.run(ask()), Success)
    loop = runner.loop
    del runner
    gc.collect()
    assert loop.is_closed()
    assert loop_threads() == []


def test_close_cancels_the_calls_still_running(served: Served) -> None:
    served.emu.script("chat", Fault.delay(10))
    out: list[object] = []
    with sync_runner(served) as runner:
        worker = threading.Thread(target=lambda: out.append(runner.run(ask())))
        worker.start()
        assert eventually(lambda: served.chat_requests() == 1)
        started = time.monotonic()
    worker.join(5)
    assert time.monotonic() - started < 3
    assert not worker.is_alive()
    error = failure_of(out[0])  # type: ignore[arg-type]
    assert error == hf.ConnectionFailed(SYNC_CLOSED)


def test_calls_after_close_fail_without_sending(served: Served) -> None:
    with sync_runner(served) as runner:
        pass
    assert failure_of(runner.run(ask())) == hf.ConnectionFailed(SYNC_CLOSED)
    result, sent, received = runner.run_measured(ask())
    assert failure_of(result) == hf.ConnectionFailed(SYNC_CLOSED) and (sent, received) == (0, 0)
    assert [failure_of(r) for r in runner.run_many([ask(), ask()])] == [
        hf.ConnectionFailed(SYNC_CLOSED)
    ] * 2
    call = hf.HttpCall(method="GET", path="/api/models", base="hub")
    assert failure_of(runner.send(call)) == hf.ConnectionFailed(SYNC_CLOSED)
    stream = runner.stream(stream_request())
    assert list(stream) == []
    assert failure_of(stream.result) == hf.StreamInterrupted("", 0, SYNC_STREAM_CLOSED)
    with pytest.raises(RuntimeError, match="closed"), hf.sync_health_monitor(runner, ["x"]):
        pass
    assert served.chat_requests() == 0


# ------------------------------------------------------------------------ streams ending early


def _no_calls_left(runner: hf.SyncRunner) -> bool:
    """No call and no task running on the runner's loop but the one holding it open."""
    tasks = [t for t in asyncio.all_tasks(runner.loop) if t.get_name() != MAIN_TASK]
    return not runner._thread.calls and not tasks


def test_closing_a_stream_cancels_its_read(served: Served) -> None:
    served.emu.script("chat", Fault.stall(after=3, seconds=10))
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request(20))
        first = [next(stream), next(stream)]
        started = time.monotonic()
        stream.close()
        assert time.monotonic() - started < 2
        assert list(stream) == []
        error = failure_of(stream.result)
        assert isinstance(error, hf.StreamInterrupted)
        assert error.chunks >= len(first)
        assert eventually(lambda: _no_calls_left(runner))
        assert isinstance(runner.run(ask()), Success)


def test_an_abandoned_stream_cancels_its_read(served: Served) -> None:
    served.emu.script("chat", Fault.stall(after=3, seconds=10))
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request(20))
        next(stream)
        assert runner._thread.calls  # the pump is reading
        del stream
        gc.collect()
        assert eventually(lambda: _no_calls_left(runner), within=3)


def test_a_stream_never_started_and_closed_sends_nothing(served: Served) -> None:
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request())
        stream.close()
        assert list(stream) == []
        error = failure_of(stream.result)
        assert isinstance(error, hf.StreamInterrupted) and "closed by the caller" in error.reason
    assert served.chat_requests() == 0


def test_a_slow_reader_holds_back_the_pump(served: Served) -> None:
    # long enough (~600 kB) that neither the pump's read-ahead nor aiohttp's own socket
    # buffer (a few 64 kB reads) can hold all of it
    tokens = 12 * READ_AHEAD
    with serving(reply_tokens=tokens, events_per_write=64) as big, sync_runner(big) as runner:
        stream = runner.stream(stream_request(tokens))
        first = next(stream)
        time.sleep(0.5)  # plenty for the pump to read every chunk if it didn't pause
        buffered = len(stream._pipe.buffer)
        assert READ_AHEAD - 1 <= buffered <= READ_AHEAD + 64
        read = stream._inner.bytes_received  # type: ignore[attr-defined]
        time.sleep(0.2)
        assert stream._inner.bytes_received == read  # type: ignore[attr-defined]  # paused
        rest = list(stream)
        assert stream._inner.bytes_received > read  # type: ignore[attr-defined]
        answer = stream.result.unwrap()
    assert len(texts([first, *rest])) >= tokens
    assert len(answer.text.split()) == tokens


# ------------------------------------------------------------------------ Ctrl-C


@contextmanager
def sigint_after(seconds: float) -> Iterator[None]:
    """Deliver a real SIGINT to this process after ``seconds`` (the default handler raises
    KeyboardInterrupt in the main thread, interrupting the wait it is blocked in)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(seconds, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need the main"
)
def test_ctrl_c_during_a_call_cancels_it_on_the_loop(served: Served) -> None:
    served.emu.script("chat", Fault.delay(10))
    with sync_runner(served) as runner:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt), sigint_after(0.3):
            runner.run(ask())
        assert time.monotonic() - started < CANCEL_WAIT
        assert eventually(lambda: _no_calls_left(runner), within=2)
        assert isinstance(runner.run(ask()), Success)  # usable after the interrupt


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need the main"
)
def test_ctrl_c_while_a_stream_waits_cancels_its_read(served: Served) -> None:
    served.emu.script("chat", Fault.stall(after=2, seconds=10))
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request(20))
        got = []
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt), sigint_after(0.3):
            for chunk in stream:
                got.append(chunk)
        assert time.monotonic() - started < CANCEL_WAIT
        error = failure_of(stream.result)
        assert isinstance(error, hf.StreamInterrupted) and error.reason == "cancelled"
        assert len(got) == 2
        assert eventually(lambda: _no_calls_left(runner), within=2)


# ------------------------------------------------------------------------ reliable and health


async def _no_sleep(seconds: float) -> None:
    pass


def attempts(reliable: hf.SyncReliableRunner) -> dict[str, int]:
    """Attempts recorded in the metrics, by outcome kind."""
    out: dict[str, int] = {}
    for (_, _, kind), count in reliable.snapshot().metrics.requests.items():
        out[kind] = out.get(kind, 0) + count
    return out


def test_the_sync_reliable_runner_retries_and_keeps_its_state(served: Served) -> None:
    served.emu.script("chat", Fault.status(503), Fault.status(503))
    with sync_runner(served) as runner:
        reliable = hf.SyncReliableRunner(runner, hf.Policy(), sleep=_no_sleep)
        assert reliable.run(ask()).unwrap().text
        assert served.chat_requests() == 3
        assert attempts(reliable) == {"success": 1, "ServerError": 2}
        changed = reliable.update({"retry.max_attempts": 1})
        assert isinstance(changed, Success)
        assert reliable.policy.retry.max_attempts == 1
        served.emu.script("chat", Fault.status(503))
        assert isinstance(failure_of(reliable.run(ask())), hf.ServerError)  # no retry now
        assert isinstance(reliable.rollback(), Success)
        assert reliable.policy.retry.max_attempts != 1
        stream = reliable.stream(stream_request())
        assert texts(stream) and isinstance(stream.result, Success)
        assert attempts(reliable) == {"success": 2, "ServerError": 3}
    with pytest.raises(TypeError, match="SyncRunner"):
        hf.SyncReliableRunner(object())  # type: ignore[arg-type]


def test_the_sync_health_monitor_probes_in_the_background(served: Served) -> None:
    changes: list[hf.HealthChange] = []
    with sync_runner(served) as runner:
        url = served.emu.url
        with hf.sync_health_monitor(
            runner, [url, "http://127.0.0.1:9"], interval=0.05, on_change=changes.append
        ) as monitor:
            assert eventually(lambda: monitor.rounds >= 3)  # while this thread only waits
            assert monitor.healthy == (True, False)
            assert monitor.check_now() == (True, False)
            assert monitor.endpoints == (url, "http://127.0.0.1:9")
        assert eventually(lambda: _no_calls_left(runner))
        rounds = monitor.rounds
        time.sleep(0.2)
        assert monitor.rounds == rounds  # stopped with the block
    assert [c.healthy for c in changes] == [False]
    assert changes == list(monitor.changes)


def test_the_sync_health_monitor_feeds_a_reliable_runners_failover(served: Served) -> None:
    policy = hf.Policy(
        failover=hf.FailoverConfig(
            endpoints=(hf.Endpoint(url="http://127.0.0.1:9"), hf.Endpoint(url=served.emu.url))
        )
    )
    with sync_runner(served) as runner:
        reliable = hf.SyncReliableRunner(runner, policy, sleep=_no_sleep)
        config = hf.HealthConfig(failure_threshold=1)
        with hf.sync_health_monitor(reliable, interval=10, config=config) as monitor:
            assert monitor.check_now() == (False, True)
        assert reliable.run(ask()).unwrap().text  # sent to the healthy one straight away
        assert attempts(reliable) == {"success": 1}
        assert served.chat_requests() == 1


def test_a_pooled_connection_the_server_closed_while_idle_is_not_reused(served: Served) -> None:
    with sync_runner(served) as runner:
        assert isinstance(runner.run(ask()), Success)  # its connection is kept in the pool
        served.on_loop(served.emu.close())  # closes every connection, while nothing runs
        served.on_loop(served.emu.start())  # back on the same port
        time.sleep(0.2)
        assert isinstance(runner.run(ask()), Success)
        assert isinstance(runner.stream(stream_request()).collect(), Success)


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need the main"
)
def test_ctrl_c_during_a_handed_over_call_cancels_it(served: Served) -> None:
    # a health monitor keeps the loop running in the background thread, so the call is
    # handed over and the interrupt arrives in the wait, not in the loop
    with (
        sync_runner(served) as runner,
        hf.sync_health_monitor(runner, [served.emu.url], interval=30),
    ):
        served.emu.script("chat", Fault.delay(10))
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt), sigint_after(0.3):
            runner.run(ask())
        assert time.monotonic() - started < CANCEL_WAIT
        assert eventually(lambda: not runner._thread.calls)
        assert isinstance(runner.run(ask()), Success)


async def _where() -> tuple[str, bool, object]:
    """Which thread runs the loop, whether it runs, and the SIGINT handler, seen from it."""
    return threading.current_thread().name, True, signal.getsignal(signal.SIGINT)


def test_the_caller_runs_the_loop_when_it_is_free_and_the_thread_otherwise(
    served: Served,
) -> None:
    with sync_runner(served) as runner:
        me = threading.current_thread().name
        assert runner._thread.call(_where)[0] == me  # nothing else to run: run here
        assert not runner.loop.is_running()  # and nobody runs it between calls
        with hf.sync_health_monitor(runner, [served.emu.url], interval=30):
            assert eventually(runner.loop.is_running)  # the probe task needs it: the thread
            assert runner._thread.call(_where)[0] == LOOP_THREAD
            assert isinstance(runner.run(ask()), Success)  # handed over
        assert eventually(lambda: not runner.loop.is_running())
        served.emu.script("chat", Fault.stall(after=3, seconds=10))
        stream = runner.stream(stream_request(20))
        next(stream)
        assert runner._thread.call(_where)[0] == LOOP_THREAD  # a stream is being pumped
        stream.close()
        assert eventually(lambda: not runner.loop.is_running())
        assert runner._thread.call(_where)[0] == me


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need the main"
)
def test_the_sigint_handler_is_swapped_only_for_the_call_and_only_if_default(
    served: Served,
) -> None:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with sync_runner(served) as runner:
            during = runner._thread.call(_where)[2]
            assert during is not signal.default_int_handler  # cancels the call instead
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored

            def own(signum: int, frame: object) -> None:
                pass

            signal.signal(signal.SIGINT, own)
            assert runner._thread.call(_where)[2] is own  # a program's own handler stays
            assert signal.getsignal(signal.SIGINT) is own
    finally:
        signal.signal(signal.SIGINT, previous)


def test_calls_from_other_threads_while_a_stream_is_read(served: Served) -> None:
    with sync_runner(served) as runner:
        stream = runner.stream(stream_request(30))
        got = [next(stream)]
        results: list[object] = []
        workers = [
            threading.Thread(target=lambda: results.append(runner.run(ask()))) for _ in range(4)
        ]
        for w in workers:
            w.start()
        got += list(stream)
        for w in workers:
            w.join()
        assert all(isinstance(r, Success) for r in results) and len(results) == 4
        assert stream.result.unwrap().text == "".join(texts(got))


def test_the_emulated_sync_runner_runs_offline_and_leaves_nothing() -> None:
    before = set(threading.enumerate())
    with hf.emulated_sync_runner(reply_tokens=5) as (runner, emulator):
        emulator.script("chat", Fault.status(503))
        assert isinstance(failure_of(runner.run(ask())), hf.ServerError)
        assert len(runner.run(pipe(ask(), hf.max_tokens(50))).unwrap().text.split()) == 5
    assert runner.closed and not emulator.running
    assert set(threading.enumerate()) == before


# ------------------------------------------------------------------------ how a call ends


class _Escape(BaseException):
    """An exception that is not an ``Exception`` (as KeyboardInterrupt and SystemExit)."""


@pytest.mark.parametrize("escape", [SystemExit, _Escape])
def test_a_base_exception_raised_in_a_call_reaches_its_caller_whoever_runs_the_loop(
    served: Served, escape: type[BaseException]
) -> None:
    async def raising() -> None:
        raise escape("from inside the call")

    with sync_runner(served) as runner:
        with pytest.raises(escape):  # run by this thread, on the loop
            runner._thread.call(raising)
        assert isinstance(runner.run(ask()), Success)
        with hf.sync_health_monitor(runner, [served.emu.url], interval=30):
            assert eventually(runner.loop.is_running)  # the background thread runs it
            raised: list[BaseException] = []

            def handed_over() -> None:
                try:
                    runner._thread.call(raising)
                except BaseException as exc:  # what the caller sees
                    raised.append(exc)

            caller = threading.Thread(target=handed_over)
            caller.start()
            caller.join(5)
            assert not caller.is_alive()  # the loop thread did not die with the exception
            assert [type(e) for e in raised] == [escape]
            assert isinstance(runner.run(ask()), Success)  # still served by that thread


def test_a_handed_over_call_cancelled_before_it_starts_ends_cancelled(served: Served) -> None:
    made: list[object] = []

    async def body() -> str:
        return "ran"

    def make() -> Any:
        coro = body()
        made.append(coro)
        return coro

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sync_runner(served) as runner:
            thread = runner._thread
            with hf.sync_health_monitor(runner, [served.emu.url], interval=30):
                assert eventually(runner.loop.is_running)
                outcomes = []
                for _ in range(20):
                    call = thread.submit(make)
                    thread.cancel_soon(call)  # before, or just after, its task's first step
                    assert call.wait(5) and call.settled
                    outcomes.append(call.cancelled or call.value == "ran")
                assert all(outcomes)
                assert eventually(lambda: not thread.calls)
            assert isinstance(runner.run(ask()), Success)
        made.clear()  # the coroutines made: each was awaited (or closed unawaited: warned)
        gc.collect()
    assert [w for w in caught if "never awaited" in str(w.message)] == []


def test_its_loop_reads_sockets_64_kib_at_a_time(served: Served) -> None:
    # asyncio's 256 KiB reads each map and unmap a buffer (see sync_loop.READ_SIZE)
    host, port = served.emu.url.removeprefix("http://").split(":")

    async def read_size() -> object:
        transport, _ = await asyncio.get_running_loop().create_connection(
            asyncio.Protocol, host, int(port)
        )
        try:
            return getattr(transport, "max_size", None)
        finally:
            transport.close()

    with sync_runner(served) as runner:
        assert runner._thread.call(read_size) == READ_SIZE == 64 * 1024
        assert isinstance(runner.run(ask()), Success)
