"""Failover: endpoint selection strategies, failure windows, cooldowns and probes, all pure."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)
from returns.result import Success

from hf_pure.core.errors import NoHealthyEndpoint
from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.failover import (
    Endpoint,
    EndpointState,
    FailoverConfig,
    FailoverState,
    Strategy,
    failover_available,
    failover_record,
    failover_select,
    failover_set_health,
    failover_start,
)
from hf_pure.reliability.rand import Rng

URLS = ("https://a.example", "https://b.example", "https://c.example", "https://d.example")


def config(n: int = 3, strategy: Strategy = Strategy.PRIORITY, **kw: Any) -> FailoverConfig:
    return FailoverConfig(tuple(Endpoint(u) for u in URLS[:n]), strategy, **kw)


def picks(
    cfg: FailoverConfig, state: FailoverState, count: int, now: float = 0.0
) -> tuple[FailoverState, list[int | NoHealthyEndpoint]]:
    """Select ``count`` times, finishing each request at once (ok, no latency)."""
    out: list[int | NoHealthyEndpoint] = []
    for _ in range(count):
        state, chosen = failover_select(cfg, state, now)
        out.append(chosen)
        if isinstance(chosen, int):
            state = failover_record(cfg, state, chosen, True, None, now)
    return state, out


def fail(
    cfg: FailoverConfig, state: FailoverState, index: int, times: int, now: float
) -> FailoverState:
    for _ in range(times):
        state = failover_record(cfg, state, index, False, None, now)
    return state


# ----------------------------------------------------------------------------- config


def test_defaults() -> None:
    cfg = FailoverConfig((Endpoint("https://a.example"),))
    assert cfg.strategy is Strategy.PRIORITY
    assert (cfg.window, cfg.threshold, cfg.cooldown) == (60.0, 5, 30.0)
    assert cfg.fallback_to_first is False and cfg.latency_alpha == 0.2
    assert Endpoint("x").weight == 1.0
    assert [s.value for s in Strategy] == [
        "priority",
        "round_robin",
        "random",
        "sticky",
        "least_busy",
        "least_latency",
        "weighted",
    ]


def test_config_accepts_lists_and_strategy_names() -> None:
    cfg = FailoverConfig([Endpoint("a"), Endpoint("b")], "round_robin")
    assert cfg.endpoints == (Endpoint("a"), Endpoint("b"))
    assert cfg.strategy is Strategy.ROUND_ROBIN


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: FailoverConfig(()), "endpoints"),
        (lambda: FailoverConfig((Endpoint("a"), Endpoint("a"))), "endpoints"),
        (lambda: FailoverConfig(("a",)), "endpoints"),  # type: ignore[arg-type]
        (lambda: FailoverConfig((Endpoint("a"),), "fastest"), "strategy"),
        (lambda: FailoverConfig((Endpoint("a"),), window=0), "window"),
        (lambda: FailoverConfig((Endpoint("a"),), window=math.inf), "window"),
        (lambda: FailoverConfig((Endpoint("a"),), threshold=0), "threshold"),
        (lambda: FailoverConfig((Endpoint("a"),), threshold=2.0), "threshold"),  # type: ignore[arg-type]
        (lambda: FailoverConfig((Endpoint("a"),), cooldown=-1.0), "cooldown"),
        (lambda: FailoverConfig((Endpoint("a"),), cooldown=math.nan), "cooldown"),
        (lambda: FailoverConfig((Endpoint("a"),), fallback_to_first=1), "fallback_to_first"),  # type: ignore[arg-type]
        (lambda: FailoverConfig((Endpoint("a"),), latency_alpha=0.0), "latency_alpha"),
        (lambda: FailoverConfig((Endpoint("a"),), latency_alpha=1.5), "latency_alpha"),
        (lambda: Endpoint(""), "url"),
        (lambda: Endpoint(" https://a.example"), "url"),
        (lambda: Endpoint("https://a.example\n"), "url"),
        (lambda: Endpoint("a", 0.0), "weight"),
        (lambda: Endpoint("a", -1.0), "weight"),
        (lambda: Endpoint("a", math.inf), "weight"),
        (lambda: Endpoint("a", True), "weight"),
    ],
)
def test_config_validation(make: Any, field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        make()


def test_cooldown_zero_is_allowed_and_benches_nobody() -> None:
    cfg = config(2, cooldown=0.0, threshold=1)
    state = fail(cfg, failover_start(cfg), 0, 1, 5.0)
    assert failover_available(cfg, state, 5.0) == (0, 1)


# ----------------------------------------------------------------------------- strategies


def test_priority_takes_the_first_available() -> None:
    cfg = config(3)
    state = failover_start(cfg)
    state, got = picks(cfg, state, 3)
    assert got == [0, 0, 0]
    state = failover_set_health(cfg, state, 0, False, 0.0)
    state, got = picks(cfg, state, 2)
    assert got == [1, 1]
    state = failover_set_health(cfg, state, 0, True, 0.0)
    assert picks(cfg, state, 1)[1] == [0]


def test_round_robin_rotates_through_the_available() -> None:
    cfg = config(3, Strategy.ROUND_ROBIN)
    state = failover_start(cfg)
    state, got = picks(cfg, state, 7)
    assert got == [0, 1, 2, 0, 1, 2, 0]
    state = failover_set_health(cfg, state, 2, False, 0.0)
    state, got = picks(cfg, state, 4)
    assert got == [1, 0, 1, 0]


def test_sticky_stays_then_moves_on_and_sticks() -> None:
    cfg = config(3, Strategy.STICKY)
    state = failover_start(cfg)
    state, got = picks(cfg, state, 3)
    assert got == [0, 0, 0]
    state = failover_set_health(cfg, state, 0, False, 0.0)
    state, got = picks(cfg, state, 2)
    assert got == [1, 1]
    state = failover_set_health(cfg, state, 0, True, 0.0)  # 0 is back: sticky stays on 1
    state, got = picks(cfg, state, 2)
    assert got == [1, 1]
    state = failover_set_health(cfg, state, 1, False, 0.0)
    state = failover_set_health(cfg, state, 2, False, 0.0)
    state, got = picks(cfg, state, 1)
    assert got == [0]  # wraps around in order


def test_random_is_uniform_ish_and_seeded() -> None:
    cfg = config(3, Strategy.RANDOM)
    _, first = picks(cfg, failover_start(cfg, seed=7), 3000)
    _, again = picks(cfg, failover_start(cfg, seed=7), 3000)
    _, other = picks(cfg, failover_start(cfg, seed=8), 3000)
    assert first == again
    assert first != other
    counts = Counter(first)
    assert set(counts) == {0, 1, 2}
    assert all(800 < counts[i] < 1200 for i in range(3))


def test_least_busy_spreads_requests_in_flight() -> None:
    cfg = config(3, Strategy.LEAST_BUSY)
    state = failover_start(cfg)
    chosen = []
    for _ in range(6):  # nobody finishes
        state, i = failover_select(cfg, state, 0.0)
        chosen.append(i)
    assert chosen == [0, 1, 2, 0, 1, 2]
    assert [e.in_flight for e in state.endpoints] == [2, 2, 2]
    state = failover_record(cfg, state, 2, True, None, 0.0)
    assert failover_select(cfg, state, 0.0)[1] == 2


def test_least_latency_tries_unsampled_first_then_the_fastest() -> None:
    cfg = config(3, Strategy.LEAST_LATENCY, latency_alpha=0.5)
    state = failover_start(cfg)
    for i, latency in ((0, 0.3), (1, 0.1), (2, 0.2)):
        state, chosen = failover_select(cfg, state, 0.0)
        assert chosen == i  # each unsampled endpoint, in order
        state = failover_record(cfg, state, i, True, latency, 0.0)
    assert failover_select(cfg, state, 0.0)[1] == 1
    state = failover_record(cfg, state, 1, True, 0.5, 0.0)  # EWMA: 0.5*0.5 + 0.5*0.1 = 0.3
    assert state.endpoints[1].latency == pytest.approx(0.3)
    assert failover_select(cfg, state, 0.0)[1] == 2


def test_least_latency_prefers_unsampled_even_over_a_zero_sample() -> None:
    cfg = config(2, Strategy.LEAST_LATENCY)
    state, first = failover_select(cfg, failover_start(cfg), 0.0)
    assert first == 0
    state = failover_record(cfg, state, 0, True, 0.0, 0.0)
    assert failover_select(cfg, state, 0.0)[1] == 1


def test_weighted_converges_to_the_weights() -> None:
    weights = (1.0, 2.0, 7.0)
    cfg = FailoverConfig(
        tuple(Endpoint(u, w) for u, w in zip(URLS, weights, strict=False)), Strategy.WEIGHTED
    )
    _, got = picks(cfg, failover_start(cfg, seed=12345), 20_000)
    counts = Counter(got)
    for i, w in enumerate(weights):
        assert counts[i] / 20_000 == pytest.approx(w / sum(weights), abs=0.02)


def test_weighted_ignores_unavailable_weight() -> None:
    cfg = FailoverConfig((Endpoint("a", 100.0), Endpoint("b", 1.0)), Strategy.WEIGHTED)
    state = failover_set_health(cfg, failover_start(cfg), 0, False, 0.0)
    _, got = picks(cfg, state, 50)
    assert set(got) == {1}


# ----------------------------------------------------------------------------- failures


def test_threshold_starts_a_cooldown_that_ends_by_itself() -> None:
    cfg = config(2, threshold=3, cooldown=30.0)
    state = fail(cfg, failover_start(cfg), 0, 2, 10.0)
    assert failover_available(cfg, state, 10.0) == (0, 1)
    assert state.endpoints[0].failures == (10.0, 10.0)
    state = fail(cfg, state, 0, 1, 11.0)
    assert state.endpoints[0].cooling_until == 41.0
    assert state.endpoints[0].failures == ()  # the window starts afresh
    assert failover_available(cfg, state, 40.9) == (1,)
    assert failover_select(cfg, state, 20.0)[1] == 1
    assert failover_available(cfg, state, 41.0) == (0, 1)
    assert failover_select(cfg, state, 41.0)[1] == 0


def test_the_window_forgets_old_failures() -> None:
    cfg = config(2, threshold=3, window=60.0)
    state = fail(cfg, failover_start(cfg), 0, 2, 0.0)
    tripped = fail(cfg, state, 0, 1, 59.5)
    assert failover_available(cfg, tripped, 59.5) == (1,)
    forgot = fail(cfg, state, 0, 1, 60.0)  # the two at t=0 are exactly a window old
    assert failover_available(cfg, forgot, 60.0) == (0, 1)
    assert forgot.endpoints[0].failures == (60.0,)


def test_successes_do_not_erase_failures() -> None:
    cfg = config(2, threshold=3)
    state = fail(cfg, failover_start(cfg), 0, 2, 0.0)
    state = failover_record(cfg, state, 0, True, 0.1, 1.0)
    state = fail(cfg, state, 0, 1, 2.0)
    assert failover_available(cfg, state, 2.0) == (1,)


def test_healthy_probe_ends_a_cooldown_early() -> None:
    cfg = config(2, threshold=1, cooldown=100.0)
    state = fail(cfg, failover_start(cfg), 0, 1, 0.0)
    assert failover_available(cfg, state, 5.0) == (1,)
    state = failover_set_health(cfg, state, 0, True, 5.0)
    assert failover_available(cfg, state, 5.0) == (0, 1)
    assert state.endpoints[0].cooling_until is None


def test_unhealthy_probe_benches_until_a_healthy_one() -> None:
    cfg = config(2)
    state = failover_set_health(cfg, failover_start(cfg), 1, False, 0.0)
    assert failover_available(cfg, state, 0.0) == (0,)
    assert failover_available(cfg, state, 1e9) == (0,)  # time alone does not heal it
    state = failover_set_health(cfg, state, 1, True, 1e9)
    assert failover_available(cfg, state, 1e9) == (0, 1)


def test_a_healthy_probe_keeps_the_failure_window() -> None:
    cfg = config(2, threshold=3)
    state = fail(cfg, failover_start(cfg), 0, 2, 0.0)
    state = failover_set_health(cfg, state, 0, True, 1.0)
    state = fail(cfg, state, 0, 1, 2.0)
    assert failover_available(cfg, state, 2.0) == (1,)


def test_more_failures_while_cooling_extend_but_never_shorten() -> None:
    cfg = config(2, threshold=2, cooldown=10.0)
    state = fail(cfg, failover_start(cfg), 0, 2, 0.0)
    assert state.endpoints[0].cooling_until == 10.0
    state = fail(cfg, state, 0, 2, 5.0)
    assert state.endpoints[0].cooling_until == 15.0
    state = fail(cfg, state, 0, 1, 6.0)  # one failure: below the threshold again
    assert state.endpoints[0].cooling_until == 15.0


def test_a_shorter_cooldown_after_a_config_change_does_not_shorten_a_running_one() -> None:
    long = config(2, threshold=1, cooldown=100.0)
    state = fail(long, failover_start(long), 0, 1, 0.0)
    short = config(2, threshold=1, cooldown=10.0)
    state = fail(short, state, 0, 1, 1.0)
    assert state.endpoints[0].cooling_until == 100.0
    assert failover_available(short, state, 50.0) == (1,)


def test_no_healthy_endpoint_and_fallback_to_first() -> None:
    cfg = config(2, threshold=1)
    state = fail(cfg, fail(cfg, failover_start(cfg), 0, 1, 0.0), 1, 1, 0.0)
    after, got = failover_select(cfg, state, 1.0)
    assert got == NoHealthyEndpoint(URLS[:2])
    assert after == state  # nothing counted
    fb = config(2, threshold=1, fallback_to_first=True)
    after, got = failover_select(fb, state, 1.0)
    assert got == 0
    assert after.endpoints[0].in_flight == 1


def test_excluded_endpoints_are_never_picked_and_avoid_is_only_a_preference_among_the_rest() -> (
    None
):
    cfg = config(3)
    state = failover_start(cfg)
    after, got = failover_select(cfg, state, 0.0, exclude=frozenset({0}))
    assert got == 1
    assert [e.in_flight for e in after.endpoints] == [0, 1, 0]
    assert after.endpoints[0] == state.endpoints[0]  # the excluded one is untouched
    # avoiding 1 leaves 2; avoiding 1 and 2 leaves nothing outside exclude, so avoid yields
    assert failover_select(cfg, state, 0.0, frozenset({1}), frozenset({0}))[1] == 2
    assert failover_select(cfg, state, 0.0, frozenset({1, 2}), frozenset({0}))[1] == 1
    after, got = failover_select(cfg, state, 0.0, exclude=frozenset({0, 1, 2}))
    assert got == NoHealthyEndpoint(URLS[:3])
    assert after == state


def test_fallback_to_first_skips_excluded_endpoints() -> None:
    cfg = config(3, threshold=1, fallback_to_first=True)
    state = failover_start(cfg)
    for i in range(3):
        state = fail(cfg, state, i, 1, 0.0)  # every endpoint benched
    assert failover_select(cfg, state, 1.0)[1] == 0
    assert failover_select(cfg, state, 1.0, exclude=frozenset({0}))[1] == 1
    after, got = failover_select(cfg, state, 1.0, exclude=frozenset({0, 1, 2}))
    assert got == NoHealthyEndpoint(URLS[:3])
    assert after == state


def test_record_leaves_flight_and_never_goes_negative() -> None:
    cfg = config(1)
    state, _ = failover_select(cfg, failover_start(cfg), 0.0)
    assert state.endpoints[0].in_flight == 1
    state = failover_record(cfg, state, 0, False, None, 0.0)
    assert state.endpoints[0].in_flight == 0
    state = failover_record(cfg, state, 0, True, None, 0.0)
    assert state.endpoints[0].in_flight == 0


def test_latency_from_failures_and_odd_samples_is_ignored() -> None:
    cfg = config(1, latency_alpha=0.5)
    state = failover_start(cfg)
    state = failover_record(cfg, state, 0, False, 0.001, 0.0)
    assert state.endpoints[0].latency is None
    for bad in (-1.0, math.nan, math.inf):
        state = failover_record(cfg, state, 0, True, bad, 0.0)
        assert state.endpoints[0].latency is None
    state = failover_record(cfg, state, 0, True, 2.0, 0.0)
    assert state.endpoints[0].latency == 2.0
    state = failover_record(cfg, state, 0, True, None, 0.0)
    assert state.endpoints[0].latency == 2.0
    slow = config(1, latency_alpha=0.2)
    state = failover_record(slow, state, 0, True, 1.0, 0.0)  # 0.2 * 1 + 0.8 * 2
    assert state.endpoints[0].latency == pytest.approx(1.8)


def test_out_of_range_indexes_change_nothing() -> None:
    cfg = config(2)
    state = failover_start(cfg)
    for index in (-1, 2, 99):
        assert failover_record(cfg, state, index, False, None, 0.0) is state
        assert failover_set_health(cfg, state, index, False, 0.0) is state


def test_start_and_repr() -> None:
    cfg = config(3)
    state = failover_start(cfg, seed=5)
    assert state == FailoverState(endpoints=(EndpointState(),) * 3, cursor=0, rng=Rng(5))
    assert repr(EndpointState()) == (
        "EndpointState(failures=(), cooling_until=None, healthy=True, in_flight=0, latency=None)"
    )


# ----------------------------------------------------------------------------- round trips

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
endpoint_states = st.builds(
    EndpointState,
    failures=st.lists(finite, max_size=4).map(tuple),
    cooling_until=st.none() | finite,
    healthy=st.booleans(),
    in_flight=st.integers(0, 100),
    latency=st.none() | st.floats(0.0, 100.0),
)
failover_states = st.builds(
    FailoverState,
    endpoints=st.lists(endpoint_states, min_size=1, max_size=4).map(tuple),
    cursor=st.integers(0, 3),
    rng=st.integers(0, 2**64 - 1).map(Rng),
)
quarters = st.integers(0, 400).map(lambda q: q / 4)  # exact in binary: no rounding surprises
configs = st.builds(
    FailoverConfig,
    endpoints=st.integers(1, 4).flatmap(
        lambda n: st.tuples(
            *(st.builds(Endpoint, st.just(URLS[i]), st.floats(0.1, 10.0)) for i in range(n))
        )
    ),
    strategy=st.sampled_from(Strategy),
    window=quarters.filter(lambda q: q > 0),
    threshold=st.integers(1, 6),
    cooldown=quarters,
    fallback_to_first=st.booleans(),
    latency_alpha=st.sampled_from([0.2, 0.5, 1.0]),
)


@given(configs)
def test_config_round_trip(cfg: FailoverConfig) -> None:
    plain = json.loads(json.dumps(to_plain(cfg)))
    assert from_plain(FailoverConfig, plain) == Success(cfg)


@given(failover_states)
def test_state_round_trip(state: FailoverState) -> None:
    plain = json.loads(json.dumps(to_plain(state)))
    assert from_plain(FailoverState, plain) == Success(state)


def test_round_trip_refuses_bad_data() -> None:
    plain = to_plain(config(2))
    assert not isinstance(from_plain(FailoverConfig, {**plain, "strategy": "nope"}), Success)
    assert not isinstance(from_plain(FailoverConfig, {**plain, "endpoints": []}), Success)
    assert not isinstance(from_plain(FailoverConfig, {**plain, "extra": 1}), Success)
    assert to_plain(config(1))["strategy"] == "priority"


# ----------------------------------------------------------------------------- properties

Event = tuple[str, int, bool, float]
events = st.lists(
    st.tuples(
        st.sampled_from(["select", "ok", "fail", "probe", "wait"]),
        st.integers(0, 3),
        st.booleans(),
        quarters,
    ),
    max_size=40,
)


def replay(cfg: FailoverConfig, seed: int, script: list[Event]) -> list[object]:
    state = failover_start(cfg, seed)
    now = 0.0
    seen: list[object] = []
    for kind, index, flag, amount in script:
        if kind == "select":
            avail = failover_available(cfg, state, now)
            before = state
            state, chosen = failover_select(cfg, state, now)
            seen.append(chosen)
            if isinstance(chosen, int):
                assert chosen in avail or (not avail and cfg.fallback_to_first and chosen == 0)
                assert state.endpoints[chosen].in_flight == before.endpoints[chosen].in_flight + 1
            else:
                assert not avail and not cfg.fallback_to_first
                assert state == before
        elif kind in ("ok", "fail"):
            state = failover_record(cfg, state, index, kind == "ok", amount, now)
        elif kind == "probe":
            state = failover_set_health(cfg, state, index, flag, now)
        else:
            now += amount
    seen.append(state)
    return seen


@settings(max_examples=150)
@given(configs, st.integers(0, 2**32), events)
def test_never_picks_unavailable_and_matches_the_reference(
    cfg: FailoverConfig, seed: int, script: list[Event]
) -> None:
    # (was: the same script replayed twice gives the same picks, which could not fail)
    seen = replay(cfg, seed, script)  # checks each pick's availability as it goes
    model = ReferenceFailover(cfg)
    rng = Rng(seed)
    n = len(cfg.endpoints)
    now = 0.0
    want: list[object] = []
    for kind, index, flag, amount in script:
        if kind == "select":
            draw, stepped = rng.next()
            if cfg.strategy in (Strategy.RANDOM, Strategy.WEIGHTED) and model.available(now):
                rng = stepped
            pick = model.select(now, draw)
            want.append(
                NoHealthyEndpoint(tuple(e.url for e in cfg.endpoints)) if pick is None else pick
            )
        elif kind in ("ok", "fail") and index < n:
            model.record(index, kind == "ok", amount, now)
        elif kind == "probe" and index < n:
            model.probe(index, flag)
        elif kind == "wait":
            now += amount
    assert seen[:-1] == want
    final = seen[-1]
    assert isinstance(final, FailoverState)
    assert [e.in_flight for e in final.endpoints] == [e.in_flight for e in model.eps]
    assert final.rng == rng


@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(st.just(n), st.lists(st.booleans(), min_size=n, max_size=n))
    ),
    st.integers(0, 10),
    st.integers(1, 4),
)
def test_round_robin_visits_each_available_once_per_cycle(
    shape: tuple[int, list[bool]], warmup: int, cycles: int
) -> None:
    n, up = shape
    cfg = config(n, Strategy.ROUND_ROBIN)
    state, _ = picks(cfg, failover_start(cfg), warmup)
    for i, healthy in enumerate(up):
        state = failover_set_health(cfg, state, i, healthy, 0.0)
    avail = failover_available(cfg, state, 0.0)
    state, got = picks(cfg, state, cycles * len(avail))
    if not avail:
        assert all(isinstance(g, NoHealthyEndpoint) for g in got)
        return
    for c in range(cycles):
        cycle = got[c * len(avail) : (c + 1) * len(avail)]
        picked = [g for g in cycle if isinstance(g, int)]
        assert len(picked) == len(cycle)
        assert sorted(picked) == list(avail)


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 3)), max_size=40))
def test_least_busy_never_picks_a_busier_endpoint(script: list[tuple[bool, int]]) -> None:
    cfg = config(4, Strategy.LEAST_BUSY)
    state = failover_start(cfg)
    for select, index in script:
        if select:
            loads = [e.in_flight for e in state.endpoints]
            state, chosen = failover_select(cfg, state, 0.0)
            assert isinstance(chosen, int)
            assert loads[chosen] == min(loads)
            assert chosen == loads.index(min(loads))  # ties by order
        else:
            state = failover_record(cfg, state, index, True, None, 0.0)


@given(
    st.integers(1, 6), quarters.filter(lambda q: q > 0), st.lists(quarters, min_size=1, max_size=12)
)
def test_the_window_counts_only_recent_failures(
    threshold: int, window: float, gaps: list[float]
) -> None:
    cfg = config(1, threshold=threshold, window=window, cooldown=0.0)
    state = failover_start(cfg)
    now = 0.0
    times: list[float] = []
    for gap in gaps:
        now += gap
        state = failover_record(cfg, state, 0, False, None, now)
        times = [t for t in times if now - t < window] + [now]
        if len(times) >= threshold:
            times = []
        assert list(state.endpoints[0].failures) == times
        assert all(now - t < window for t in state.endpoints[0].failures)


# ----------------------------------------------------------------------------- state machine


class RefEndpoint:
    def __init__(self) -> None:
        self.failures: list[float] = []
        self.cooling_until: float | None = None
        self.healthy = True
        self.in_flight = 0
        self.latency: float | None = None


class ReferenceFailover:
    """The failover rules, written as plainly as possible over mutable lists.

    Chance is an input: ``select`` is given the draw in [0, 1) that the random and weighted
    strategies take (the test reads it from the state's Rng, and checks that exactly one draw
    was taken); the model does not run the generator, and picks by the rule's intervals."""

    def __init__(self, cfg: FailoverConfig) -> None:
        self.cfg = cfg
        self.eps = [RefEndpoint() for _ in cfg.endpoints]
        self.cursor = 0

    def available(self, now: float) -> list[int]:
        return [
            i
            for i, e in enumerate(self.eps)
            if e.healthy and (e.cooling_until is None or now >= e.cooling_until)
        ]

    def select(self, now: float, draw: float, exclude: frozenset[int] = frozenset()) -> int | None:
        avail = [i for i in self.available(now) if i not in exclude]
        n = len(self.eps)
        strategy = self.cfg.strategy
        if not avail:
            # the fallback is the first endpoint that is not excluded, if there is one
            allowed = [i for i in range(n) if i not in exclude]
            if not self.cfg.fallback_to_first or not allowed:
                return None
            pick = allowed[0]
        elif strategy is Strategy.PRIORITY:
            pick = avail[0]
        elif strategy is Strategy.ROUND_ROBIN:
            # the first available one met walking forward from the cursor, wrapping
            walk = [(self.cursor + k) % n for k in range(n)]
            pick = next(i for i in walk if i in avail)
            self.cursor = (pick + 1) % n
        elif strategy is Strategy.STICKY:
            walk = [(self.cursor + k) % n for k in range(n)]
            pick = next(i for i in walk if i in avail)
            self.cursor = pick
        elif strategy is Strategy.RANDOM:
            # each available endpoint owns an equal slice [k/m, (k+1)/m) of [0, 1)
            m = len(avail)
            pick = next((i for k, i in enumerate(avail) if draw < (k + 1) / m), avail[-1])
        elif strategy is Strategy.LEAST_BUSY:
            pick = min(avail, key=lambda i: (self.eps[i].in_flight, i))
        elif strategy is Strategy.LEAST_LATENCY:
            fresh = [i for i in avail if self.eps[i].latency is None]
            pick = fresh[0] if fresh else min(avail, key=lambda i: (self.eps[i].latency, i))
        else:
            # each available endpoint owns a slice of [0, total) as long as its weight
            weights = [self.cfg.endpoints[i].weight for i in avail]
            target = draw * sum(weights)
            ends = [sum(weights[: k + 1]) for k in range(len(avail))]
            pick = next((i for i, end in zip(avail, ends, strict=True) if target < end), avail[-1])
        self.eps[pick].in_flight += 1
        return pick

    def record(self, index: int, ok: bool, latency: float | None, now: float) -> None:
        e = self.eps[index]
        e.in_flight = max(0, e.in_flight - 1)
        if ok:
            if latency is not None and math.isfinite(latency) and latency >= 0:
                a = self.cfg.latency_alpha
                e.latency = latency if e.latency is None else a * latency + (1 - a) * e.latency
            return
        e.failures = [t for t in e.failures if now - t < self.cfg.window] + [now]
        if len(e.failures) >= self.cfg.threshold:
            e.failures = []
            until = now + self.cfg.cooldown
            e.cooling_until = until if e.cooling_until is None else max(e.cooling_until, until)

    def probe(self, index: int, healthy: bool) -> None:
        e = self.eps[index]
        e.healthy = healthy
        if healthy:
            e.cooling_until = None


class FailoverMachine(RuleBasedStateMachine):
    """Random events and an injected clock; every answer checked against the reference."""

    sent = Bundle("sent")

    def __init__(self) -> None:
        super().__init__()
        self.cfg = config(1)
        self.state = failover_start(self.cfg)
        self.model = ReferenceFailover(self.cfg)
        self.now = 0.0

    @initialize(cfg=configs, seed=st.integers(0, 2**32))
    def setup(self, cfg: FailoverConfig, seed: int) -> None:
        self.cfg = cfg
        self.state = failover_start(cfg, seed)
        self.model = ReferenceFailover(cfg)

    @rule(seconds=quarters)
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @rule(target=sent, data=st.data())
    def select(self, data: st.DataObject) -> int:
        n = len(self.cfg.endpoints)
        exclude = frozenset(data.draw(st.sets(st.integers(0, n - 1), max_size=n), "exclude"))
        avail = [i for i in self.model.available(self.now) if i not in exclude]
        before = self.state.rng
        draw, after = before.next()  # the draw a random pick takes: the model's input
        self.state, got = failover_select(self.cfg, self.state, self.now, exclude=exclude)
        want = self.model.select(self.now, draw, exclude)
        chance = self.cfg.strategy in (Strategy.RANDOM, Strategy.WEIGHTED) and bool(avail)
        assert self.state.rng == (after if chance else before)  # one draw, and only then
        if want is None:
            assert got == NoHealthyEndpoint(tuple(e.url for e in self.cfg.endpoints))
            return -1
        assert got == want
        assert want not in exclude
        assert want in avail or (not avail and self.cfg.fallback_to_first)
        return want

    @rule(index=sent, ok=st.booleans(), latency=st.none() | st.sampled_from([0.0, 0.05, 0.5, 2.0]))
    def finish(self, index: int, ok: bool, latency: float | None) -> None:
        if index < 0:
            return
        self.state = failover_record(self.cfg, self.state, index, ok, latency, self.now)
        self.model.record(index, ok, latency, self.now)

    @rule(data=st.data(), ok=st.booleans())
    def stray_record(self, data: st.DataObject, ok: bool) -> None:
        index = data.draw(st.integers(0, len(self.cfg.endpoints) - 1))
        self.state = failover_record(self.cfg, self.state, index, ok, 0.1, self.now)
        self.model.record(index, ok, 0.1, self.now)

    @rule(data=st.data(), healthy=st.booleans())
    def probe(self, data: st.DataObject, healthy: bool) -> None:
        index = data.draw(st.integers(0, len(self.cfg.endpoints) - 1))
        self.state = failover_set_health(self.cfg, self.state, index, healthy, self.now)
        self.model.probe(index, healthy)

    @invariant()
    def same_availability(self) -> None:
        assert list(failover_available(self.cfg, self.state, self.now)) == self.model.available(
            self.now
        )

    @invariant()
    def same_counters(self) -> None:
        for mine, ref in zip(self.state.endpoints, self.model.eps, strict=True):
            assert mine.in_flight == ref.in_flight
            assert mine.healthy == ref.healthy
            assert len([t for t in mine.failures if self.now - t < self.cfg.window]) == len(
                [t for t in ref.failures if self.now - t < self.cfg.window]
            )
            if ref.latency is None:
                assert mine.latency is None
            else:
                assert mine.latency == pytest.approx(ref.latency)

    @invariant()
    def plain_round_trip(self) -> None:
        assert from_plain(FailoverState, to_plain(self.state)) == Success(self.state)


TestFailoverMachine = FailoverMachine.TestCase
TestFailoverMachine.settings = settings(max_examples=80, stateful_step_count=40, deadline=None)
