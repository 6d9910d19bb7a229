"""The policy's ``admit`` / ``record`` against a model written from the rules.

The model is plain Python over mutable fields, from the call-path order in
``hf_pure/reliability/policy.py`` (cache, failover, breaker, bucket, commit) and each machine's
own table in docs/reliability.md; it calls nothing of the implementation. Time is an input
(steps of a quarter second and more, so every level and wait is exact in binary), and so is
every reply. The configuration is small enough that each machine's interesting states come
up: a breaker that opens after two failures and closes after one good trial, a bucket of two
requests a second, two endpoints in priority order that bench after one failure, and a cache.
It runs twice: with one breaker for all, and with one breaker per endpoint (failover then
routes around an endpoint whose breaker refuses).
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.core.errors import CircuitOpen, NoHealthyEndpoint, RateLimitedLocally, ServerError
from hf_pure.reliability.breaker import BreakerConfig, BreakerMode
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.cache import CacheConfig
from hf_pure.reliability.failover import Endpoint, FailoverConfig, Strategy
from hf_pure.reliability.policy import (
    BreakerKey,
    Policy,
    Reject,
    Send,
    Serve,
    Wait,
    admit,
    policy_start,
    record,
)

URLS = ("https://a.example", "https://b.example")
POLICY = Policy(
    breaker=BreakerConfig(
        failure_threshold=2, success_threshold=1, open_timeout=5.0, half_open_max_calls=1
    ),
    breaker_key=BreakerKey.GLOBAL,
    bucket=BucketConfig(per_second=2.0, per_minute=None, per_hour=None),
    cache=CacheConfig(capacity=100, ttl=10.0),
    failover=FailoverConfig(
        endpoints=tuple(Endpoint(url=u) for u in URLS),
        strategy=Strategy.PRIORITY,
        threshold=1,
        cooldown=3.0,
    ),
    max_wait=0.4,
)
MODEL_ID = "meta-llama/Llama-3.1-8B-Instruct"
CACHED = hf.cacheable()(hf.seed(1)(hf.chat(MODEL_ID, ["hi"])))
PLAIN = hf.chat(MODEL_ID, ["hello"])


@attrs.define
class Breaker:
    """One breaker's rule: two consecutive failures open it for 5 s, then one trial at a
    time; a good trial closes it, a bad one re-opens it."""

    mode: str = "closed"
    failures: int = 0
    opened_at: float = 0.0
    trials: int = 0

    def fresh(self) -> bool:
        return self.mode == "closed" and self.failures == 0

    def refusal(self, now: float) -> float | None:
        """None: a call may go out now; else the time a trial is allowed (now: when the
        trial in flight has reported)."""
        if self.mode == "open" and now < self.opened_at + 5.0:
            return self.opened_at + 5.0
        if self.mode == "half_open" and self.trials >= 1:
            return now
        return None

    def take(self) -> None:
        if self.mode == "open":
            self.mode, self.trials = "half_open", 1
        elif self.mode == "half_open":
            self.trials += 1

    def record(self, ok: bool, now: float) -> None:
        if self.mode == "closed":
            self.failures = 0 if ok else self.failures + 1
            if self.failures >= 2:
                self.mode, self.opened_at, self.failures = "open", now, 0
        elif self.mode == "half_open" and self.trials > 0:
            self.trials -= 1
            if ok:
                self.mode, self.trials = "closed", 0
            else:
                self.mode, self.opened_at, self.trials = "open", now, 0


@attrs.define
class Model:
    """Every machine's rule, written out again.

    ``per_endpoint``: one breaker per endpoint (else one for all, "*"); failover then passes
    over an endpoint whose breaker refuses, and refuses with CircuitOpen only when every
    endpoint it has available refuses, naming the first to allow a trial.
    """

    per_endpoint: bool = False
    now: float = 0.0
    cache: dict[Any, tuple[Any, float]] = attrs.field(factory=dict)  # request -> value, expiry
    breakers: dict[str, Breaker] = attrs.field(factory=dict)  # absent: fresh
    level: float = 2.0  # the bucket starts full
    updated: float = 0.0
    cooling: list[float | None] = attrs.field(factory=lambda: [None, None])
    in_flight: list[int] = attrs.field(factory=lambda: [0, 0])

    def key(self, index: int) -> str:
        return URLS[index] if self.per_endpoint else "*"

    def breaker(self, index: int) -> Breaker:
        return self.breakers.get(self.key(index), Breaker())

    def admit(self, request: Any) -> tuple[str, Any]:
        now = self.now
        cacheable = bool(request.cacheable)
        # 1. the cache: a fresh entry is served; an expired one is forgotten
        if cacheable and request in self.cache:
            value, expires = self.cache[request]
            if now < expires:
                return "serve", value
            del self.cache[request]
        # 2. failover, priority: the first endpoint not cooling down (and, with a breaker
        # per endpoint, whose breaker admits)
        free = [i for i in (0, 1) if self.cooling[i] is None or now >= self.cooling[i]]  # type: ignore[operator]
        if not free:
            return "reject", NoHealthyEndpoint
        candidates = free if self.per_endpoint else free[:1]
        # 3. the breaker
        admitting = [i for i in candidates if self.breaker(i).refusal(now) is None]
        if not admitting:
            until, index = min((self.breaker(i).refusal(now), i) for i in candidates)
            return "reject", (CircuitOpen, until, self.key(index))
        index = admitting[0]
        # 4. the bucket: refill at 2 a second up to 2, then one token or a wait
        self.level = min(2.0, self.level + (now - self.updated) * 2.0)
        self.updated = now
        if self.level < 1.0:
            wait = (1.0 - self.level) / 2.0
            return ("wait", wait) if wait <= 0.4 else ("reject", RateLimitedLocally)
        # 5. commit: the token, the trial, the endpoint in flight
        self.level -= 1.0
        breaker = self.breaker(index)
        breaker.take()
        self._keep(index, breaker)
        self.in_flight[index] += 1
        return "send", (URLS[index], index, cacheable)

    def _keep(self, index: int, breaker: Breaker) -> None:
        """A breaker back to fresh is no entry; any other is kept."""
        key = self.key(index)
        if breaker.fresh():
            self.breakers.pop(key, None)
        else:
            self.breakers[key] = breaker

    def record(self, request: Any, index: int, cacheable: bool, ok: bool, value: Any) -> None:
        now = self.now
        # the breaker: consecutive failures open it; a trial's outcome decides
        breaker = self.breaker(index)
        breaker.record(ok, now)
        self._keep(index, breaker)
        # failover: out of flight; one failure benches for 3 s (never shortening a bench)
        self.in_flight[index] = max(0, self.in_flight[index] - 1)
        cooling = self.cooling[index]
        if cooling is not None and now >= cooling:
            cooling = None
        if not ok:
            cooling = now + 3.0 if cooling is None else max(cooling, now + 3.0)
        self.cooling[index] = cooling
        # the cache keeps a cacheable success for 10 s
        if ok and cacheable:
            self.cache[request] = (value, now + 10.0)


class PolicyMachine(RuleBasedStateMachine):
    policy = POLICY

    def __init__(self) -> None:
        super().__init__()
        self.state = policy_start(self.policy, 0.0)
        self.model = Model(per_endpoint=self.policy.breaker_key is BreakerKey.ENDPOINT)
        self.pending: list[tuple[Any, Send]] = []
        self.replies = 0

    @rule(dt=st.sampled_from([0.0, 0.25, 0.5, 1.0, 3.0, 6.0, 11.0]))
    def time_passes(self, dt: float) -> None:
        self.model.now += dt

    @rule(cached=st.booleans())
    def admit(self, cached: bool) -> None:
        request = CACHED if cached else PLAIN
        self.state, decision = admit(self.policy, self.state, request, self.model.now)
        kind, detail = self.model.admit(request)
        if kind == "serve":
            assert decision == Serve(value=detail)
        elif kind == "wait":
            assert isinstance(decision, Wait)
            assert decision.seconds == pytest.approx(detail, abs=1e-9)
        elif kind == "reject":
            assert isinstance(decision, Reject)
            if isinstance(detail, tuple):
                error, until, key = detail
                assert isinstance(decision.error, error)
                assert (decision.error.until, decision.error.key) == (until, key)
            else:
                assert isinstance(decision.error, detail)
        else:
            assert isinstance(decision, Send)
            assert (decision.endpoint, decision.index, decision.cacheable) == detail
            self.pending.append((request, decision))

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data(), ok=st.booleans())
    def reply(self, data: st.DataObject, ok: bool) -> None:
        request, decision = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        self.replies += 1
        value = f"answer {self.replies}"
        result = Success(value) if ok else Failure(ServerError(status=500))
        now = self.model.now
        self.state = record(self.policy, self.state, request, decision, result, 0.1, now)
        assert decision.index is not None
        self.model.record(request, decision.index, decision.cacheable, ok, value)

    @invariant()
    def the_breakers_agree(self) -> None:
        # the map holds exactly the breakers that are not fresh, each as the rule has it
        assert set(self.state.breakers.keys()) == set(self.model.breakers)
        for key, want in self.model.breakers.items():
            breaker = self.state.breakers[key]
            assert breaker.mode.value == want.mode
            if breaker.mode is BreakerMode.HALF_OPEN:
                assert breaker.in_flight == want.trials
            if breaker.mode is BreakerMode.CLOSED:
                assert breaker.failures == want.failures
            if breaker.mode is BreakerMode.OPEN:
                assert breaker.opened_at == want.opened_at

    @invariant()
    def the_endpoints_agree(self) -> None:
        failover = self.state.failover
        assert failover is not None
        assert [e.in_flight for e in failover.endpoints] == self.model.in_flight
        now = self.model.now
        for e, cooling in zip(failover.endpoints, self.model.cooling, strict=True):
            benched = e.cooling_until is not None and now < e.cooling_until
            assert benched == (cooling is not None and now < cooling)


TestPolicyMachine = PolicyMachine.TestCase
TestPolicyMachine.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


class EndpointPolicyMachine(PolicyMachine):
    """The same rules with one breaker per endpoint: a bench (3 s) shorter than the breaker's
    open timeout (5 s), so an endpoint comes back to failover while its breaker is open."""

    policy = attrs.evolve(POLICY, breaker_key=BreakerKey.ENDPOINT)


TestEndpointPolicyMachine = EndpointPolicyMachine.TestCase
TestEndpointPolicyMachine.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None
)


def test_a_hand_worked_run() -> None:
    # Two failures open the breaker (and bench endpoint a, then b); a cached answer is served
    # with no token; the bucket makes a caller wait, then refuses a wait past max_wait.
    state = policy_start(POLICY, 0.0)
    state, d1 = admit(POLICY, state, CACHED, 0.0)
    assert d1 == Send(endpoint=URLS[0], index=0, key="*", cacheable=True)
    state = record(POLICY, state, CACHED, d1, Success("A"), 0.1, 0.0)
    state, served = admit(POLICY, state, CACHED, 1.0)
    assert served == Serve(value="A")
    state, d2 = admit(POLICY, state, PLAIN, 1.0)
    assert isinstance(d2, Send) and d2.index == 0
    state = record(POLICY, state, PLAIN, d2, Failure(ServerError(status=500)), 0.1, 1.0)
    state, d3 = admit(POLICY, state, PLAIN, 1.0)  # a is benched until 4: b
    assert isinstance(d3, Send) and d3.index == 1
    # the bucket: full (2) at 0, one taken; full again at 1, two taken: 0 left, and a token
    # is 0.5 s away, past max_wait (0.4 s): refused at once
    state, waiting = admit(POLICY, state, PLAIN, 1.0)
    assert isinstance(waiting, Reject) and isinstance(waiting.error, RateLimitedLocally)
    state, waiting = admit(POLICY, state, PLAIN, 1.25)  # half a token: 0.25 s to wait
    assert isinstance(waiting, Wait) and waiting.seconds == pytest.approx(0.25)
    state = record(POLICY, state, PLAIN, d3, Failure(ServerError(status=500)), 0.1, 1.0)
    state, refused = admit(POLICY, state, PLAIN, 2.0)  # both benched until 4
    assert isinstance(refused, Reject) and isinstance(refused.error, NoHealthyEndpoint)
    state, refused = admit(POLICY, state, PLAIN, 4.0)  # a is back; the breaker opened at 1
    assert isinstance(refused, Reject) and isinstance(refused.error, CircuitOpen)
    assert refused.error.until == 6.0
    state, trial = admit(POLICY, state, PLAIN, 6.0)
    assert isinstance(trial, Send)
    state, second = admit(POLICY, state, PLAIN, 6.0)
    assert isinstance(second, Reject) and isinstance(second.error, CircuitOpen)
    assert second.error.until == 6.0  # a trial is in flight: ask again once it reports
    state = record(POLICY, state, PLAIN, trial, Success("ok"), 0.1, 6.0)
    assert "*" not in state.breakers  # closed and fresh again: out of the map
