"""Health checks: probe requests, the healthy-status table, and the consecutive-failure fold."""

from __future__ import annotations

import math

import msgspec
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from returns.result import Failure, Success

from hf_pure.core.http import HttpCall
from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.failover import Endpoint, FailoverConfig
from hf_pure.reliability.health import (
    EndpointHealth,
    HealthBoard,
    HealthConfig,
    Probe,
    ProbeKind,
    board_healthy,
    board_record,
    board_start,
    failover_heard,
    health_record,
    probe_call,
    probe_due,
    probe_healthy,
)
from hf_pure.reliability.policy import Policy, ReliabilityState, policy_start

# --- probes --------------------------------------------------------------------------------


def test_ping_is_a_head_request_with_the_timeout() -> None:
    call = probe_call(Probe(ProbeKind.PING, "/health", timeout=2.0))
    assert call == HttpCall("HEAD", "/health", "router", timeout=2.0)
    assert call.body is None and call.content_type is None


def test_lightweight_is_a_get() -> None:
    call = probe_call(Probe(ProbeKind.LIGHTWEIGHT, "/v1/models"))
    assert call == HttpCall("GET", "/v1/models", "router", timeout=5.0)


def test_full_posts_its_tiny_body_as_json() -> None:
    probe = Probe(ProbeKind.FULL, "/models/gpt2", b'{"inputs": "hi"}', 1.5)
    call = probe_call(probe)
    assert call.method == "POST"
    assert call.path == "/models/gpt2"
    assert call.base == "router"
    assert call.body == b'{"inputs": "hi"}'
    assert call.content_type == "application/json"
    assert call.timeout == 1.5
    assert orjson.loads(probe_call(Probe(ProbeKind.FULL)).body or b"") == {"inputs": "ping"}


def test_default_probe_is_a_ping_of_the_root() -> None:
    assert probe_call(Probe()) == HttpCall("HEAD", "/", timeout=5.0)


# The table of the brief, written out per status class: (1xx, 2xx, 3xx, 4xx, 5xx).
EXPECTED = {
    ProbeKind.PING: (False, True, True, False, False),
    ProbeKind.LIGHTWEIGHT: (False, True, False, False, False),
    ProbeKind.FULL: (False, True, False, True, False),
}


@pytest.mark.parametrize("kind", list(ProbeKind))
def test_probe_healthy_for_every_status(kind: ProbeKind) -> None:
    for status in range(100, 600):
        assert probe_healthy(kind, status) is EXPECTED[kind][status // 100 - 1], status
    assert probe_healthy(kind, None) is False
    for odd in (0, 1, 99, 600, 999, -200, 2000):
        assert probe_healthy(kind, odd) is False


@given(st.sampled_from(list(ProbeKind)), st.one_of(st.none(), st.integers()))
def test_probe_healthy_is_total(kind: ProbeKind, status: int | None) -> None:
    ok = probe_healthy(kind, status)
    in_range = status is not None and 100 <= status <= 599
    assert ok == (in_range and status is not None and EXPECTED[kind][status // 100 - 1])


@pytest.mark.parametrize(
    ("kind", "status", "ok"),
    [
        (ProbeKind.PING, 204, True),
        (ProbeKind.PING, 301, True),
        (ProbeKind.PING, 404, False),
        (ProbeKind.LIGHTWEIGHT, 304, False),
        (ProbeKind.FULL, 422, True),  # the server is up and said the input is wrong
        (ProbeKind.FULL, 429, True),
        (ProbeKind.FULL, 503, False),
        (ProbeKind.FULL, None, False),
    ],
)
def test_probe_healthy_examples(kind: ProbeKind, status: int | None, ok: bool) -> None:
    assert probe_healthy(kind, status) is ok


# --- config --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"failure_threshold": 0}, "failure_threshold"),
        ({"failure_threshold": True}, "failure_threshold"),
        ({"failure_threshold": 2.0}, "failure_threshold"),
        ({"interval": 0.0}, "interval"),
        ({"interval": -1}, "interval"),
        ({"interval": math.inf}, "interval"),
        ({"interval": math.nan}, "interval"),
        ({"interval": "30"}, "interval"),
    ],
)
def test_config_is_validated(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        HealthConfig(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [{"failure_threshold": 0}, {"failure_threshold": -3}, {"interval": 0}, {"interval": -1.5}],
)
def test_bad_config_data_is_a_failure_not_an_exception(fields: dict[str, object]) -> None:
    out = from_plain(HealthConfig, {**to_plain(HealthConfig()), **fields})
    assert isinstance(out, Failure)
    assert next(iter(fields)) in out.failure().reason


def test_config_defaults() -> None:
    assert HealthConfig() == HealthConfig(3, 30.0)


# --- the fold ------------------------------------------------------------------------------

CONFIG = HealthConfig()


def test_three_failures_make_an_endpoint_unhealthy_and_one_success_heals_it() -> None:
    s = EndpointHealth()
    assert s.healthy
    s = health_record(CONFIG, s, False, None, 1.0)
    s = health_record(CONFIG, s, False, 5.0, 2.0)
    assert s.healthy and s.consecutive_failures == 2
    s = health_record(CONFIG, s, False, None, 3.0)
    assert not s.healthy and s.consecutive_failures == 3
    s = health_record(CONFIG, s, False, None, 4.0)
    assert not s.healthy and s.consecutive_failures == 4
    s = health_record(CONFIG, s, True, 0.12, 5.0)
    assert s == EndpointHealth(True, 0, 5, 4, 0.12, 5.0)


def test_a_success_resets_the_run() -> None:
    s = EndpointHealth()
    for ok in (False, False, True, False, False):
        s = health_record(CONFIG, s, ok, 0.1, 0.0)
    assert s.healthy and s.consecutive_failures == 2 and s.failures == 4 and s.probes == 5


def test_a_failure_never_heals_even_under_a_raised_threshold() -> None:
    s = EndpointHealth()
    for _ in range(3):
        s = health_record(CONFIG, s, False, None, 0.0)
    assert not s.healthy
    s = health_record(HealthConfig(failure_threshold=10), s, False, None, 1.0)
    assert not s.healthy


def test_threshold_one_fails_at_once() -> None:
    s = health_record(HealthConfig(failure_threshold=1), EndpointHealth(), False, None, 0.0)
    assert not s.healthy


def test_probe_due() -> None:
    s = EndpointHealth()
    assert probe_due(CONFIG, s, 0.0)
    s = health_record(CONFIG, s, True, 0.1, 100.0)
    assert not probe_due(CONFIG, s, 129.9)
    assert probe_due(CONFIG, s, 130.0)


def test_board_records_per_endpoint_and_says_when_health_changes() -> None:
    board = board_start(["a", "b"])
    assert board.endpoints == ("a", "b")
    assert board_healthy(board) == (True, True)
    changes = []
    for t in range(4):
        board, changed = board_record(CONFIG, board, 1, False, None, float(t))
        changes.append(changed)
    assert changes == [False, False, True, False]
    assert board_healthy(board) == (True, False)
    assert board.states[0] == EndpointHealth()
    board, changed = board_record(CONFIG, board, 1, True, 0.2, 9.0)
    assert changed and board_healthy(board) == (True, True)
    board, changed = board_record(CONFIG, board, 0, True, 0.3, 9.5)
    assert not changed and board.states[0].last_latency == 0.3


@pytest.mark.parametrize("index", [2, -1, 10])
def test_board_record_refuses_a_missing_endpoint(index: int) -> None:
    with pytest.raises(IndexError):
        board_record(CONFIG, board_start(["a", "b"]), index, True, 0.1, 0.0)


def test_board_needs_one_state_per_endpoint() -> None:
    with pytest.raises(ValueError, match=r"^states: "):
        HealthBoard(("a", "b"), (EndpointHealth(),))
    assert isinstance(from_plain(HealthBoard, {"endpoints": ["a"], "states": []}), Failure)


def test_empty_board() -> None:
    board = board_start([])
    assert board_healthy(board) == ()


# --- serialization -------------------------------------------------------------------------

states = st.builds(
    EndpointHealth,
    st.booleans(),
    st.integers(0, 100),
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.none() | st.floats(0, 1e6),
    st.none() | st.floats(-1e9, 1e9),
)


def _round_trip(cls: type[object], value: object) -> None:
    plain = to_plain(value)
    assert from_plain(cls, plain) == Success(value)
    assert from_plain(cls, orjson.loads(orjson.dumps(plain))) == Success(value)


@given(
    states,
    st.lists(st.text(max_size=20), max_size=4).flatmap(
        lambda names: st.tuples(
            st.just(tuple(names)), st.lists(states, min_size=len(names), max_size=len(names))
        )
    ),
    st.integers(1, 10),
    st.floats(0.001, 1e6),
)
def test_values_round_trip(
    state: EndpointHealth,
    board_parts: tuple[tuple[str, ...], list[EndpointHealth]],
    threshold: int,
    interval: float,
) -> None:
    _round_trip(EndpointHealth, state)
    _round_trip(HealthBoard, HealthBoard(board_parts[0], tuple(board_parts[1])))
    _round_trip(HealthConfig, HealthConfig(threshold, interval))
    for kind in ProbeKind:  # bytes stay bytes: plain data, though not JSON text
        probe = Probe(kind, "/x", b"{}", 1.0)
        assert from_plain(Probe, to_plain(probe)) == Success(probe)


def test_probe_kind_travels_as_its_name() -> None:
    assert to_plain(Probe(ProbeKind.FULL))["kind"] == "full"


# --- the stateful test against a reference model -------------------------------------------


class HealthMachine(RuleBasedStateMachine):
    """Reference: an endpoint is unhealthy iff its trailing run of failed probes >= T."""

    @initialize(threshold=st.integers(1, 5), n=st.integers(1, 4))
    def start(self, threshold: int, n: int) -> None:
        self.config = HealthConfig(failure_threshold=threshold)
        self.board = board_start(f"ep{i}" for i in range(n))
        self.history: list[list[tuple[bool, float | None, float]]] = [[] for _ in range(n)]
        self.clock = 0.0

    def _ref_healthy(self, i: int) -> bool:
        run = 0
        for ok, _, _ in reversed(self.history[i]):
            if ok:
                break
            run += 1
        return run < self.config.failure_threshold

    @rule(dt=st.floats(0.0, 100.0))
    def advance(self, dt: float) -> None:
        self.clock += dt

    @rule(
        data=st.data(),
        ok=st.booleans(),
        latency=st.none() | st.floats(0.0, 10.0),
    )
    def probe(self, data: st.DataObject, ok: bool, latency: float | None) -> None:
        i = data.draw(st.integers(0, len(self.history) - 1))
        was = self._ref_healthy(i)
        self.board, changed = board_record(self.config, self.board, i, ok, latency, self.clock)
        self.history[i].append((ok, latency, self.clock))
        assert changed == (was != self._ref_healthy(i))

    @rule(status=st.none() | st.integers(0, 700), kind=st.sampled_from(list(ProbeKind)))
    def probe_with_status(self, status: int | None, kind: ProbeKind) -> None:
        ok = probe_healthy(kind, status)
        self.board, _ = board_record(self.config, self.board, 0, ok, 0.5, self.clock)
        self.history[0].append((ok, 0.5, self.clock))

    @invariant()
    def matches_the_reference(self) -> None:
        assert board_healthy(self.board) == tuple(
            self._ref_healthy(i) for i in range(len(self.history))
        )
        for state, history in zip(self.board.states, self.history, strict=True):
            assert state.probes == len(history)
            assert state.failures == sum(not ok for ok, _, _ in history)
            run = 0
            for ok, _, _ in reversed(history):
                if ok:
                    break
                run += 1
            assert state.consecutive_failures == run
            if history:
                assert (state.last_latency, state.last_checked) == history[-1][1:]
            else:
                assert state == EndpointHealth()
            due = probe_due(self.config, state, self.clock)
            assert due == (not history or self.clock - history[-1][2] >= 30.0)

    @invariant()
    def round_trips(self) -> None:
        assert from_plain(HealthBoard, to_plain(self.board)) == Success(self.board)


HealthMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestHealthMachine = HealthMachine.TestCase


# --------------------------------------------------------------------------------------------
# failover_heard: the one transition by which a probe's verdict reaches the reliability state
# --------------------------------------------------------------------------------------------

URLS = ("http://a.test", "http://b.test", "http://c.test")


def _policy_and_state() -> tuple[Policy, ReliabilityState]:
    failover = FailoverConfig(endpoints=tuple(Endpoint(url=u) for u in URLS))
    policy = Policy(failover=failover)
    return policy, policy_start(policy, now=0.0)


@pytest.mark.parametrize("index", range(len(URLS)))
def test_an_unhealthy_verdict_marks_only_that_endpoint(index: int) -> None:
    policy, state = _policy_and_state()
    after = failover_heard(policy.failover, state, URLS[index], False, 5.0)
    assert after.failover is not None and state.failover is not None
    assert [e.healthy for e in after.failover.endpoints] == [i != index for i in range(3)]
    # nothing else in the state moves
    assert msgspec.structs.replace(after, failover=state.failover) == state


def test_a_healthy_verdict_heals_and_ends_a_cooldown() -> None:
    policy, state = _policy_and_state()
    assert state.failover is not None
    cooling = msgspec.structs.replace(
        state.failover.endpoints[1], healthy=False, cooling_until=100.0
    )
    endpoints = (state.failover.endpoints[0], cooling, state.failover.endpoints[2])
    sick = msgspec.structs.replace(
        state, failover=msgspec.structs.replace(state.failover, endpoints=endpoints)
    )
    after = failover_heard(policy.failover, sick, URLS[1], True, 5.0)
    assert after.failover is not None
    healed = after.failover.endpoints[1]
    assert (healed.healthy, healed.cooling_until) == (True, None)


def test_a_verdict_on_an_unknown_endpoint_or_without_failover_changes_nothing() -> None:
    policy, state = _policy_and_state()
    assert failover_heard(policy.failover, state, "http://elsewhere.test", False, 5.0) is state
    plain = policy_start(Policy(), now=0.0)
    assert failover_heard(None, plain, URLS[0], False, 5.0) is plain
    assert failover_heard(policy.failover, plain, URLS[0], False, 5.0) is plain


def test_the_health_loop_changes_state_only_through_the_pure_transitions() -> None:
    import ast
    from pathlib import Path

    source = Path(__file__).parent.parent / "hf_pure" / "shell" / "health_loop.py"
    tree = ast.parse(source.read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert {"board_record", "failover_heard"} <= called
    # the loop builds no state itself: no struct surgery, no failover internals
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "msgspec" not in modules
    assert "failover_set_health" not in imported
