"""The reliability shell against the emulator: breaker, Retry-After, failover, health, and
concurrent callers on one state cell."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from conftest import FakeTime
from returns.result import Failure, Result, Success

import hf_pure as hf
from hf_pure.core.http import HttpCall, RawReply
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.failover import Endpoint, FailoverConfig
from hf_pure.reliability.policy import replay
from hf_pure.reliability.retry import NO_RETRY, RetryPolicy
from hf_pure.testing import Emulator, Fault
from hf_pure.testing.fixtures import EmulatorFactory

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
REQ = hf.max_tokens(4)(hf.chat(MODEL, ["hello"]))
UNLIMITED = BucketConfig(per_second=10_000.0, per_minute=None, per_hour=None)


async def test_run_reliably_threads_the_state(runner: hf.Runner) -> None:
    policy = hf.Policy(bucket=UNLIMITED)
    state = hf.policy_start(policy, 0.0)
    result, state = await hf.run_reliably(runner, policy, state, REQ)
    assert isinstance(result, Success)
    assert state.metrics.requests[(MODEL, "", "success")] == 1


async def test_a_burst_of_503s_opens_the_breaker_and_it_closes_after_the_timeout(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    policy = hf.Policy(bucket=UNLIMITED, retry=NO_RETRY)
    reliable = hf.ReliableRunner(runner, policy, clock=time.clock, sleep=time.sleep)
    emulator.always("chat", Fault.status(503, {"error": "upstream unavailable"}))
    for _ in range(5):
        assert isinstance((await reliable.run(REQ)).failure(), hf.ServerError)
    sent = len(emulator.requests)
    refused = (await reliable.run(REQ)).failure()
    assert isinstance(refused, hf.CircuitOpen)
    assert len(emulator.requests) == sent  # the open breaker sends nothing
    emulator.clear()
    time.now += 59.0
    assert isinstance((await reliable.run(REQ)).failure(), hf.CircuitOpen)
    time.now += 1.0  # the open timeout has passed: trials go through, and succeed
    assert isinstance(await reliable.run(REQ), Success)
    assert isinstance(await reliable.run(REQ), Success)
    assert MODEL not in reliable.snapshot().breakers  # closed and fresh: out of the map


class Exploding:
    """A request whose decoder has a bug: ``runner.run`` raises (a bug is not a result)."""

    cacheable = False

    def __init__(self, inner: hf.ChatRequest) -> None:
        self.inner = inner
        self.model = inner.model

    def check(self, limits: hf.Limits) -> hf.InvalidInput | None:
        return self.inner.check(limits)

    def to_call(self) -> HttpCall:
        return self.inner.to_call()

    def decode(self, reply: RawReply) -> Result[hf.ChatCompletion, hf.HfError]:
        raise RuntimeError("a bug in a decoder")


async def test_a_trial_that_raises_gives_its_slot_back(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    breaker = hf.BreakerConfig(failure_threshold=1, success_threshold=1, open_timeout=10.0)
    policy = hf.Policy(bucket=UNLIMITED, retry=NO_RETRY, breaker=breaker)
    reliable = hf.ReliableRunner(
        runner, policy, clock=time.clock, sleep=time.sleep, record_events=True
    )
    emulator.script("chat", Fault.status(503))
    assert isinstance((await reliable.run(REQ)).failure(), hf.ServerError)  # now open
    time.now += 10.0  # a half-open trial is allowed, and it raises
    with pytest.raises(RuntimeError, match="a bug in a decoder"):
        await reliable.run(Exploding(REQ))
    assert reliable.snapshot().breakers[MODEL].in_flight == 0  # the slot is given back
    assert reliable.events is not None  # and the log says so
    assert replay(reliable.policy, reliable.initial_state, reliable.events) == reliable.snapshot()
    assert isinstance(await reliable.run(REQ), Success)  # the next trial goes out
    assert MODEL not in reliable.snapshot().breakers  # closed and fresh: out of the map


ANSWER_BODY = (
    b'{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"hi there"},"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}'
)
DOWN_BODY = b'{"error":"upstream down"}'


async def test_the_metrics_count_the_bytes_of_every_exchange(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    policy = hf.Policy(bucket=UNLIMITED, retry=NO_RETRY)
    reliable = hf.ReliableRunner(runner, policy, clock=time.clock, sleep=time.sleep)
    emulator.script("chat", Fault.status(503, DOWN_BODY), Fault.status(200, ANSWER_BODY))
    assert isinstance((await reliable.run(REQ)).failure(), hf.ServerError)
    assert (await reliable.run(REQ)).unwrap().text == "hi there"
    metrics = reliable.snapshot().metrics
    sent = [len(r.body) for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert len(sent) == 2
    assert sent[0] > 0
    assert metrics.bytes_sent == sum(sent)
    assert metrics.bytes_received == len(DOWN_BODY) + len(ANSWER_BODY)
    assert hf.bytes_per_second(metrics, time.now) == (sum(sent) + metrics.bytes_received) / 60
    exposed = hf.to_prometheus(metrics)
    assert f'hf_pure_bytes_total{{direction="received"}} {metrics.bytes_received}\n' in exposed
    assert f'hf_pure_bytes_total{{direction="sent"}} {sum(sent)}\n' in exposed


async def test_run_measured_is_run_with_the_sizes_of_the_bodies(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.script("chat", Fault.status(200, ANSWER_BODY))
    result, sent, received = await runner.run_measured(REQ)
    assert result.unwrap().text == "hi there"
    assert (sent, received) == (len(emulator.requests[0].body), len(ANSWER_BODY))
    bad = hf.chat(MODEL, [])  # refused before sending: nothing exchanged
    refused, *sizes = await runner.run_measured(bad)
    assert isinstance(refused.failure(), hf.InvalidInput)
    assert sizes == [0, 0]
    assert len(emulator.requests) == 1


async def test_the_event_log_replays_the_jitter_of_retries(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    breaker = hf.BreakerConfig(failure_threshold=1, success_threshold=1, open_timeout=1.0)
    policy = hf.Policy(bucket=UNLIMITED, breaker=breaker, retry=RetryPolicy(3, 2.0, 5.0))
    reliable = hf.ReliableRunner(
        runner, policy, clock=time.clock, sleep=time.sleep, record_events=True
    )
    emulator.script("chat", Fault.status(503))
    assert isinstance(await reliable.run(REQ), Success)  # a jittered retry after the trip
    assert reliable.events is not None
    assert replay(reliable.policy, reliable.initial_state, reliable.events) == reliable.snapshot()


async def test_a_429_with_retry_after_is_waited_out(runner: hf.Runner, emulator: Emulator) -> None:
    time = FakeTime()
    policy = hf.Policy(bucket=UNLIMITED)
    reliable = hf.ReliableRunner(runner, policy, clock=time.clock, sleep=time.sleep)
    emulator.script("chat", Fault.status(429, headers={"Retry-After": "7"}))
    result = await reliable.run(REQ)
    assert isinstance(result, Success)
    assert len(time.slept) == 1
    assert time.slept[0] >= 7.0  # never sooner than the server asked


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(429, headers={"Retry-After": "100000"}),
        Fault.status(503, {"error": "Model is currently loading", "estimated_time": 1e308}),
    ],
    ids=["retry-after-100000", "estimated-time-1e308"],
)
async def test_a_server_wait_past_the_bound_is_not_slept(
    runner: hf.Runner, emulator: Emulator, fault: Fault
) -> None:
    time = FakeTime()
    # no deadline, so only max_server_wait (60 s by default) can stop the wait
    policy = hf.Policy(bucket=UNLIMITED, breaker=None, retry=RetryPolicy(deadline=None))
    reliable = hf.ReliableRunner(runner, policy, clock=time.clock, sleep=time.sleep)
    emulator.script("chat", fault)
    result = await reliable.run(REQ)
    assert isinstance(result.failure(), hf.RateLimited | hf.ModelLoading)  # the server's error
    assert time.slept == []  # given up at once, not slept for a day (or forever)
    # a wait under the bound is still waited out, deadline or not
    emulator.script("chat", Fault.status(429, headers={"Retry-After": "59"}))
    assert isinstance(await reliable.run(REQ), Success)
    assert time.slept and time.slept[0] >= 59.0


async def test_retries_stop_at_max_attempts_with_backoff(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    policy = hf.Policy(bucket=UNLIMITED, breaker=None, retry=RetryPolicy(4, 0.5, 10.0))
    reliable = hf.ReliableRunner(runner, policy, clock=time.clock, sleep=time.sleep)
    emulator.always("chat", Fault.status(500))
    result = await reliable.run(REQ)
    assert isinstance(result.failure(), hf.ServerError)
    assert len(emulator.requests) == 4
    assert len(time.slept) == 3
    assert all(0 <= s <= 10.0 for s in time.slept)


async def test_client_errors_are_not_retried(runner: hf.Runner, emulator: Emulator) -> None:
    time = FakeTime()
    reliable = hf.ReliableRunner(
        runner, hf.Policy(bucket=UNLIMITED), clock=time.clock, sleep=time.sleep
    )
    result = await reliable.run(hf.chat("nobody/nothing", ["x"]))
    assert isinstance(result.failure(), hf.NotFound)
    assert len(emulator.requests) == 1
    assert time.slept == []


async def test_cacheable_requests_are_served_from_the_cache(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED))
    request = hf.cacheable()(REQ)
    first = (await reliable.run(request)).unwrap()
    second = (await reliable.run(request)).unwrap()
    assert first == second
    assert len(emulator.requests) == 1
    assert reliable.snapshot().metrics.cache_hits == 1


async def test_local_rate_limit_spaces_requests(runner: hf.Runner) -> None:
    time = FakeTime()
    policy = hf.Policy(bucket=BucketConfig(per_second=2.0, per_minute=None, per_hour=None))
    reliable = hf.ReliableRunner(runner, policy, clock=time.clock, sleep=time.sleep)
    for _ in range(4):
        assert isinstance(await reliable.run(REQ), Success)
    assert sum(time.slept) == pytest.approx(1.0)  # 2 free, then 2 more at 0.5 s each


async def test_a_thousand_concurrent_requests_lose_no_update(runner: hf.Runner) -> None:
    policy = hf.Policy(bucket=UNLIMITED, cache=None)
    reliable = hf.ReliableRunner(runner, policy, record_events=True)
    results = await asyncio.gather(*(reliable.run(REQ) for _ in range(1000)))
    assert all(isinstance(r, Success) for r in results)
    state = reliable.snapshot()
    assert state.metrics.requests[(MODEL, "", "success")] == 1000
    assert state.metrics.latency.count == 1000
    assert reliable.events is not None
    assert replay(reliable.policy, reliable.initial_state, reliable.events) == state


async def test_settings_change_applies_and_rolls_back(runner: hf.Runner) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED))
    bad = reliable.update({"breaker.failure_threshold": 0})
    assert isinstance(bad, Failure)
    assert isinstance(bad.failure(), hf.ConfigError)
    assert reliable.settings.version == 1
    good = reliable.update({"bucket.per_second": 1.0, "retry.max_attempts": 1})
    assert isinstance(good, Success)
    assert reliable.policy.bucket is not None
    assert reliable.policy.bucket.per_second == 1.0
    assert reliable.settings.version == 2
    assert isinstance(reliable.rollback(), Success)
    assert reliable.policy.bucket == UNLIMITED
    assert reliable.settings.version == 3


async def wait_for(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll a condition the health monitor's own loop makes true (it has no event to wait on
    by design: its only output is its state)."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_failover_moves_away_from_a_dead_endpoint_and_back(
    emulator_factory: EmulatorFactory,
) -> None:
    first = await emulator_factory()
    second = await emulator_factory()
    assert first.token == second.token
    failover = FailoverConfig((Endpoint(first.url), Endpoint(second.url)), cooldown=0.2)
    policy = hf.Policy(
        bucket=UNLIMITED, breaker=None, failover=failover, retry=RetryPolicy(3, 0.01, 0.05)
    )
    config = hf.ClientConfig(router_url=first.url)
    async with hf.open_runner(config, token=first.token) as runner:
        reliable = hf.ReliableRunner(runner, policy)
        changes: list[hf.HealthChange] = []
        async with hf.health_monitor(reliable, interval=0.05, on_change=changes.append) as mon:
            assert isinstance(await reliable.run(REQ), Success)
            assert len(first.requests) >= 1
            assert not [r for r in second.requests if r.path.endswith("completions")]

            await first.close()  # the first endpoint dies
            result = await reliable.run(REQ)  # the retry goes to the second at once
            assert isinstance(result, Success), result
            assert [r for r in second.requests if r.path.endswith("completions")]
            await wait_for(lambda: mon.healthy == (False, True))
            before = len([r for r in second.requests if r.path.endswith("completions")])
            assert isinstance(await reliable.run(REQ), Success)
            after = len([r for r in second.requests if r.path.endswith("completions")])
            assert after == before + 1

            await first.start()  # it comes back on the same port
            await wait_for(lambda: mon.healthy == (True, True))
            first.reset_log()
            assert isinstance(await reliable.run(REQ), Success)
            assert [r for r in first.requests if r.path.endswith("completions")]
        assert [(c.endpoint, c.healthy) for c in changes] == [
            (first.url, False),
            (first.url, True),
        ]
        assert mon.rounds >= 3


async def test_leaving_the_monitor_stops_it_at_once(runner: hf.Runner, emulator: Emulator) -> None:
    before = {t.get_name() for t in asyncio.all_tasks()}
    async with hf.health_monitor(runner, [emulator.url], interval=0.01) as monitor:
        await wait_for(lambda: monitor.rounds >= 2)
    await asyncio.sleep(0)
    after = {t.get_name() for t in asyncio.all_tasks()}
    assert "hf_pure health monitor" not in after - before
    rounds = monitor.rounds
    await asyncio.sleep(0.05)
    assert monitor.rounds == rounds  # nothing probes after the block
