"""A reliable pipeline that says what its reliability machines do, as they do it: the circuit
breaker going closed -> open -> half_open -> closed, the token bucket making a request wait,
failover switching endpoints, and at the end the metrics.

python examples/reliable_pipeline.py              # the real service, when a token is found
python examples/reliable_pipeline.py --emulator   # two emulators, the first one failing

Against the emulators the run is scripted, so it shows every transition: the primary answers
503 three times (its breaker opens and failover benches it, while the backup answers), the
bucket (2 requests a second) makes requests wait, and once the breaker's timeout has passed a
trial goes to the primary, which has recovered, and closes the breaker. Waits are skipped, not
slept (the clock jumps over them), so the run takes a moment. Against the real service there
are no scripted faults: the same pipeline runs on the router, waits for real, and reports.

How it watches: every transition of a ``ReliableRunner`` is a new state value written to
``reliable.state``. A subclass that turns that attribute into a property sees each one, old
and new, and prints what differs. The waits go through the ``sleep`` it is given; the event
log says what each is for (a ``Drawn`` just before it: a retry's backoff; an ``Admitted``:
the bucket).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Mapping

from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.shell.env import load_token
from hf_pure.testing import Emulator, Fault

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
QUESTIONS = (
    "What is a lighthouse?",
    "What is a fog horn?",
    "What is a buoy?",
    "What is a harbour?",
    "What is a pier?",
)
LAST_QUESTION = "And a breakwater?"


def policy_for(endpoints: Mapping[str, str]) -> hf.Policy:
    """The pipeline's policy: one breaker per endpoint, 2 requests a second, a retry that
    goes to another endpoint, and failover in priority order (the first endpoint while it is
    available)."""
    return hf.Policy(
        breaker=hf.BreakerConfig(failure_threshold=3, success_threshold=1, open_timeout=10.0),
        breaker_key=hf.BreakerKey.ENDPOINT,
        bucket=hf.BucketConfig(per_second=2.0, per_minute=None, per_hour=None),
        cache=None,
        retry=hf.RetryPolicy(max_attempts=2, base=0.1, cap=1.0, deadline=60.0),
        failover=hf.FailoverConfig(
            tuple(hf.Endpoint(url) for url in endpoints.values()),
            strategy=hf.Strategy.PRIORITY,
            threshold=3,
            cooldown=10.0,  # as long as the breaker's timeout: both let the endpoint back together
        ),
    )


class SkipClock:
    """A clock whose waits are skipped: ``sleep`` moves it forward instead of sleeping."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped

    async def sleep(self, seconds: float) -> None:
        self.skipped += seconds
        await asyncio.sleep(0)


class WatchedRunner(hf.ReliableRunner):
    """A ReliableRunner that prints each transition of its state as it happens."""

    def __init__(
        self,
        runner: hf.Runner,
        policy: hf.Policy,
        names: Mapping[str, str],
        *,
        skip_waits: bool,
    ) -> None:
        self.names = {url: name for name, url in names.items()}
        self.lines: list[str] = []  # what was printed, in order
        self._last_endpoint: str | None = None
        skipping = SkipClock() if skip_waits else None
        self._now = skipping or time.monotonic
        self._pause = skipping.sleep if skipping else asyncio.sleep
        self._start = self._now()
        super().__init__(runner, policy, clock=self._now, sleep=self._sleep, record_events=True)

    # -- the state cell: every transition is a new value written here ---------------------

    @property  # the attribute ReliableRunner writes, watched
    def state(self) -> hf.ReliabilityState:
        return self._state

    @state.setter
    def state(self, new: hf.ReliabilityState) -> None:
        old = getattr(self, "_state", None)
        self._state = new
        if old is not None:
            for line in self._changes(old, new):
                self.say(line)

    def _changes(self, old: hf.ReliabilityState, new: hf.ReliabilityState) -> list[str]:
        """What differs between two states, in the order it happened: an attempt's outcome,
        then the endpoint picked or benched, then the breakers."""
        lines = []
        for (model, url, kind), count in new.metrics.requests.items():
            if count > old.metrics.requests.get((model, url, kind), 0):
                lines.append(f"{self.names.get(url, url)} answered: {kind}")
        if old.failover is not None and new.failover is not None and self.policy.failover:
            pairs = zip(
                self.policy.failover.endpoints,
                old.failover.endpoints,
                new.failover.endpoints,
                strict=True,
            )
            for endpoint, before, after in pairs:
                name = self.names.get(endpoint.url, endpoint.url)
                if after.in_flight > before.in_flight:  # admitted: this endpoint was picked
                    if self._last_endpoint not in (None, name):
                        lines.append(f"failover: {self._last_endpoint} -> {name}")
                    self._last_endpoint = name
                    lines.append(f"sending to {name}")
                if after.cooling_until is not None and after.cooling_until != before.cooling_until:
                    lines.append(f"failover: {name} benched until t={self._t(after.cooling_until)}")
        for key in sorted(set(old.breakers.keys()) | set(new.breakers.keys())):
            before_mode = old.breakers.get(key, hf.BreakerState()).mode
            after_mode = new.breakers.get(key, hf.BreakerState()).mode
            if before_mode != after_mode:
                lines.append(f"breaker[{self.names.get(key, key)}]: {before_mode} -> {after_mode}")
        return lines

    # -- waits ----------------------------------------------------------------------------

    async def _sleep(self, seconds: float) -> None:
        last = self.events[-1] if self.events else None
        if isinstance(last, hf.Drawn):
            self.say(f"retry: backing off {seconds:.2f} s")
        else:
            self.say(f"bucket: waiting {seconds:.2f} s for a token")
        if self.events is not None:
            del self.events[:-1]  # only the last event is read; keep the log short
        await self._pause(seconds)

    async def wait_for_trial(self) -> None:
        """Sleep until every open breaker allows a trial (no wait when none is open)."""
        timeout = self.policy.breaker.open_timeout if self.policy.breaker else 0.0
        opened = [
            b.opened_at
            for b in self.state.breakers.values()
            if b.mode is hf.BreakerMode.OPEN and b.opened_at is not None
        ]
        if opened:
            wait = max(0.0, max(opened) + timeout - self._now())
            self.say(f"waiting {wait:.2f} s for the breaker's trial")
            await self._pause(wait + 0.01)  # a little past it: the clock's rounding

    # -- output ---------------------------------------------------------------------------

    def now(self) -> float:
        """The pipeline's clock (waits skipped, when they are)."""
        return self._now()

    def _t(self, at: float) -> str:
        return f"{at - self._start:.2f}"

    def say(self, line: str) -> None:
        self.lines.append(line)
        print(f"[t={self._t(self._now()):>6}] {line}")


async def ask(reliable: hf.ReliableRunner, question: str) -> None:
    """One step of the pipeline: a short answer, or the error that ended it."""
    request: hf.ChatRequest = pipe(hf.chat(MODEL, [hf.user(question)]), hf.max_tokens(12))
    print(f"> {question}")
    match await reliable.run(request):
        case Success(answer):
            print(f"  {answer.text[:60]!r}")
        case Failure(error):
            print(f"  [{type(error).__name__}: {error.message}]")


def summary(metrics: hf.Metrics, names: Mapping[str, str], now: float) -> list[str]:
    """The metrics as a few lines: attempts per endpoint and outcome, the error rate over the
    last minute and the latency quantiles."""
    labels = {url: name for name, url in names.items()}
    lines = [
        f"{labels.get(endpoint, endpoint)}: {count} x {kind}"
        for (_, endpoint, kind), count in sorted(metrics.requests.items())
    ]
    p50, p95, _ = hf.quantiles(metrics)
    lines.append(f"error rate (last 60 s): {hf.error_rate(metrics, now):.0%}")
    if p50 is not None and p95 is not None:
        lines.append(f"latency p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    return lines


async def main(
    runner: hf.Runner, endpoints: Mapping[str, str], *, skip_waits: bool = True
) -> WatchedRunner:
    """Run the pipeline over ``endpoints`` (name -> base URL, in priority order), printing
    each transition; the runner is returned, to look at its state afterwards."""
    reliable = WatchedRunner(runner, policy_for(endpoints), endpoints, skip_waits=skip_waits)
    for question in QUESTIONS:
        await ask(reliable, question)
    await reliable.wait_for_trial()
    await ask(reliable, LAST_QUESTION)
    print("\n== metrics")
    for line in summary(reliable.snapshot().metrics, endpoints, reliable.now()):
        print(line)
    print("\n== Prometheus (requests)")
    for line in hf.to_prometheus(reliable.snapshot().metrics).splitlines():
        if line.startswith("hf_pure_requests_total"):
            print(line)
    return reliable


async def emulated() -> WatchedRunner:
    """Two emulators as two endpoints, the first answering 503 three times."""
    async with hf.emulated_runner() as (runner, primary), Emulator() as backup:
        primary.script("chat", *[Fault.status(503)] * 3)
        return await main(runner, {"primary": primary.url, "backup": backup.url})


async def _cli(args: list[str]) -> None:
    emulator = "--emulator" in args
    if not emulator and not isinstance(load_token(), Success):
        print("no Hugging Face token found: using two emulators", file=sys.stderr)
        emulator = True
    if emulator:
        await emulated()
        return
    async with hf.open_runner() as runner:
        await main(runner, {"router": runner.config.router_url}, skip_waits=False)


if __name__ == "__main__":
    asyncio.run(_cli(sys.argv[1:]))
