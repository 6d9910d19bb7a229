"""The TTL-LRU cache: examples, hypothesis properties, and a rule-based machine checked against
an ``OrderedDict`` reference model with an injected clock."""

from __future__ import annotations

import math
import random
from collections import OrderedDict
from typing import Any

import attrs
import immutables
import msgspec
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from returns.result import Failure, Success

from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.cache import (
    FOREVER,
    MISS,
    CacheConfig,
    CacheState,
    CacheStats,
    Miss,
    cache_delete,
    cache_empty,
    cache_get,
    cache_keys,
    cache_problem,
    cache_purge_expired,
    cache_put,
    cache_size,
)
from hf_pure.reliability.expiry import expiry_size

# --------------------------------------------------------------------------- reference model


@attrs.define
class Model:
    """The obviously-correct cache: an OrderedDict (oldest first) of key -> (value, expires_at)
    and four counters. Nothing clever, and O(n) where it likes. Written from the rule: a put
    that leaves more than ``capacity`` entries drops every expired entry, then the least
    recently used live ones until ``capacity`` is met."""

    capacity: int
    ttl: float
    items: OrderedDict[Any, tuple[Any, float]] = attrs.field(factory=OrderedDict)
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    expirations: int = 0

    def copy(self) -> Model:
        return attrs.evolve(self, items=OrderedDict(self.items))

    def get(self, key: Any, now: float) -> Any:
        if key not in self.items:
            self.misses += 1
            return MISS
        value, expires_at = self.items[key]
        if now >= expires_at:
            del self.items[key]
            self.misses += 1
            self.expirations += 1
            return MISS
        self.items.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: Any, value: Any, now: float, ttl: float | None) -> None:
        if ttl is None:
            ttl = self.ttl
        if not ttl > 0:
            self.items.pop(key, None)
            return
        self.items[key] = (value, min(now + ttl, FOREVER))
        self.items.move_to_end(key)
        # Room is made by the expired entries first, all of them (as cachetools does) ...
        if len(self.items) > self.capacity:
            for k in [k for k, (_, expires_at) in self.items.items() if now >= expires_at]:
                del self.items[k]
                self.expirations += 1
        # ... then by the least recently used live ones.
        while len(self.items) > self.capacity:
            self.items.popitem(last=False)
            self.evictions += 1

    def delete(self, key: Any) -> None:
        self.items.pop(key, None)

    def purge(self, now: float) -> None:
        dead = [k for k, (_, expires_at) in self.items.items() if now >= expires_at]
        for k in dead:
            del self.items[k]
        self.expirations += len(dead)

    def stats(self) -> CacheStats:
        return CacheStats(self.hits, self.misses, self.evictions, self.expirations)


def contents(state: CacheState[Any, Any]) -> list[tuple[Any, Any, float]]:
    """(key, value, expires_at), least recently used first."""
    return [(k, state.entries[k][0], state.entries[k][1]) for k in cache_keys(state)]


def model_contents(model: Model) -> list[tuple[Any, Any, float]]:
    return [(k, v, e) for k, (v, e) in model.items.items()]


def snapshot(state: CacheState[Any, Any]) -> tuple[Any, ...]:
    """Everything in a state, as plain Python containers (independent of the state itself)."""
    return (dict(state.entries), dict(state.order), state.head, state.tick, state.low, state.stats)


# --------------------------------------------------------------------------- config


def test_config_defaults() -> None:
    config = CacheConfig()
    assert (config.capacity, config.ttl) == (1000, 300.0)


@pytest.mark.parametrize("capacity", [0, -1, True, 1.5, "3", None])
def test_config_refuses_bad_capacity(capacity: Any) -> None:
    with pytest.raises(ValueError, match=r"^capacity: must be an integer >= 1$"):
        CacheConfig(capacity=capacity)


@pytest.mark.parametrize("ttl", [0, 0.0, -1.0, math.nan, math.inf, -math.inf, True, "5", None])
def test_config_refuses_bad_ttl(ttl: Any) -> None:
    with pytest.raises(ValueError, match=r"^ttl: must be a "):
        CacheConfig(ttl=ttl)


def test_config_accepts_int_ttl_and_capacity_one() -> None:
    config = CacheConfig(capacity=1, ttl=5)
    assert (config.capacity, config.ttl) == (1, 5)


# --------------------------------------------------------------------------- examples

CFG = CacheConfig(capacity=3, ttl=10.0)


def test_empty_cache() -> None:
    empty = cache_empty()
    assert cache_size(empty) == 0
    assert empty.stats == CacheStats()
    assert cache_empty() is empty
    assert cache_problem(empty) is None
    state, got = cache_get(CFG, empty, "k", 0.0)
    assert got is MISS
    assert state.stats == CacheStats(misses=1)
    assert empty.stats == CacheStats()  # the shared empty state is untouched


def test_put_then_get_hits() -> None:
    state = cache_put(CFG, cache_empty(), "k", 42, 0.0)
    state, got = cache_get(CFG, state, "k", 1.0)
    if got is MISS:
        pytest.fail("expected a hit")
    doubled: int = got * 2  # mypy: `got is MISS` narrowed the union to the value type
    assert doubled == 84
    assert state.stats == CacheStats(hits=1)
    assert cache_size(state) == 1


def test_miss_is_a_single_enum_member() -> None:
    assert list(Miss) == [MISS]
    assert isinstance(MISS, Miss)
    assert MISS is Miss.MISS


def test_falsy_values_and_none_key_are_cached() -> None:
    state: CacheState[Any, Any] = cache_empty()
    for key, value in [(None, 0), ("", None), (0, ""), ((), False)]:
        state = cache_put(CacheConfig(capacity=10), state, key, value, 0.0)
    for key, value in [(None, 0), ("", None), (0, ""), ((), False)]:
        state, got = cache_get(CFG, state, key, 1.0)
        assert got is not MISS and got == value
    assert state.stats.hits == 4


def test_entry_expires_exactly_at_put_time_plus_ttl() -> None:
    state = cache_put(CFG, cache_empty(), "k", 1, 100.0)
    state, got = cache_get(CFG, state, "k", 109.999)
    assert got == 1
    state, got = cache_get(CFG, state, "k", 110.0)
    assert got is MISS
    assert state.stats == CacheStats(hits=1, misses=1, expirations=1)
    assert cache_size(state) == 0
    assert cache_problem(state) is None


def test_per_entry_ttl_overrides_the_default() -> None:
    state = cache_put(CFG, cache_empty(), "short", 1, 0.0, ttl=1.0)
    state = cache_put(CFG, state, "long", 2, 0.0, ttl=1000.0)
    state, short = cache_get(CFG, state, "short", 5.0)
    state, long = cache_get(CFG, state, "long", 500.0)
    assert (short, long) == (MISS, 2)


@pytest.mark.parametrize("ttl", [0.0, -3.0, math.nan, -math.inf])
def test_non_positive_ttl_stores_nothing_and_drops_the_old_value(ttl: float) -> None:
    state = cache_put(CFG, cache_empty(), "k", 1, 0.0)
    state = cache_put(CFG, state, "other", 2, 0.0)
    after = cache_put(CFG, state, "k", 99, 1.0, ttl=ttl)
    assert cache_keys(after) == ("other",)
    assert after.stats == state.stats
    _, got = cache_get(CFG, after, "k", 1.0)
    assert got is MISS
    # and on an absent key it changes nothing at all
    assert cache_put(CFG, state, "absent", 1, 1.0, ttl=ttl) is state


def test_infinite_ttl_never_expires_and_stays_json() -> None:
    state = cache_put(CFG, cache_empty(), "k", 1, 5.0, ttl=math.inf)
    assert state.entries["k"][1] == FOREVER
    assert math.isfinite(FOREVER)
    _, got = cache_get(CFG, state, "k", 1e300)
    assert got == 1
    assert cache_purge_expired(state, 1e300) is state
    assert orjson.loads(orjson.dumps(to_plain(state))) == to_plain(state)


def test_lru_eviction_respects_gets() -> None:
    config = CacheConfig(capacity=2, ttl=100.0)
    state = cache_put(config, cache_empty(), "a", 1, 0.0)
    state = cache_put(config, state, "b", 2, 1.0)
    state, _ = cache_get(config, state, "a", 2.0)  # a is now the most recent
    state = cache_put(config, state, "c", 3, 3.0)  # so b goes
    assert cache_keys(state) == ("a", "c")
    assert state.stats == CacheStats(hits=1, evictions=1)


def test_an_expired_entry_makes_room_before_a_live_one_is_evicted() -> None:
    # The reproduction: only 1 has expired at 11 (put at 0, ttl 10), and 1 is the
    # most recently used; 2 (put at 5, live until 15) must survive the put of 3.
    config = CacheConfig(capacity=2, ttl=10.0)
    state = cache_put(config, cache_empty(), 1, "one", 0.0)
    state = cache_put(config, state, 2, "two", 5.0)
    state, got = cache_get(config, state, 1, 6.0)
    assert got == "one"
    state = cache_put(config, state, 3, "three", 11.0)
    state, got = cache_get(config, state, 2, 11.0)
    assert got == "two"
    assert cache_keys(state) == (3, 2)
    assert state.stats == CacheStats(hits=2, expirations=1)


def test_every_expired_entry_goes_before_the_least_recent_live_one() -> None:
    # Per-put TTLs: expiry order is not put order. Three expired entries (b, d, c in expiry
    # order) all go at the put that needs room; a (the least recent, live) stays.
    config = CacheConfig(capacity=4, ttl=100.0)
    state = cache_put(config, cache_empty(), "a", 1, 0.0)
    state = cache_put(config, state, "b", 2, 0.0, ttl=3.0)
    state = cache_put(config, state, "c", 3, 0.0, ttl=5.0)
    state = cache_put(config, state, "d", 4, 0.0, ttl=4.0)
    state = cache_put(config, state, "e", 5, 6.0)
    assert cache_keys(state) == ("a", "e")
    assert state.stats == CacheStats(expirations=3)
    assert cache_problem(state) is None
    # with nothing expired, the least recently used live entry goes
    state = cache_put(config, state, "f", 6, 7.0)
    state = cache_put(config, state, "g", 7, 7.0)
    state = cache_put(config, state, "h", 8, 7.0)
    assert cache_keys(state) == ("e", "f", "g", "h")
    assert state.stats == CacheStats(evictions=1, expirations=3)


def test_replacing_does_not_evict_and_refreshes_recency_and_expiry() -> None:
    config = CacheConfig(capacity=2, ttl=10.0)
    state = cache_put(config, cache_empty(), "a", 1, 0.0)
    state = cache_put(config, state, "b", 2, 0.0)
    state = cache_put(config, state, "a", 11, 5.0)
    assert cache_keys(state) == ("b", "a")
    assert state.stats == CacheStats()
    state, got = cache_get(config, state, "a", 12.0)  # the replacement's expiry: 15
    assert got == 11
    state = cache_put(config, state, "c", 3, 12.0)
    assert cache_keys(state) == ("a", "c")
    # b had expired at 10, so dropping it for room counts as an expiration
    assert state.stats == CacheStats(hits=1, expirations=1)


def test_capacity_one_keeps_only_the_latest() -> None:
    config = CacheConfig(capacity=1)
    state: CacheState[str, int] = cache_empty()
    for i in range(5):
        state = cache_put(config, state, f"k{i}", i, float(i))
        assert cache_size(state) == 1
    assert cache_keys(state) == ("k4",)
    assert state.stats.evictions == 4


def test_a_shrunk_capacity_takes_effect_at_the_next_put() -> None:
    big = CacheConfig(capacity=10)
    state: CacheState[int, int] = cache_empty()
    for i in range(8):
        state = cache_put(big, state, i, i, 0.0)
    state, _ = cache_get(big, state, 0, 1.0)
    small = CacheConfig(capacity=3)
    state, _ = cache_get(small, state, 1, 1.0)  # gets never trim
    assert cache_size(state) == 8
    state = cache_put(small, state, 99, 99, 1.0)
    assert cache_keys(state) == (0, 1, 99)
    assert state.stats.evictions == 6
    assert cache_problem(state) is None


def test_eviction_scans_past_many_holes_left_by_a_hot_key() -> None:
    config = CacheConfig(capacity=3, ttl=1e6)
    state = cache_put(config, cache_empty(), "cold", 0, 0.0)
    state = cache_put(config, state, "hot", 1, 0.0)
    state = cache_put(config, state, "warm", 2, 0.0)
    for i in range(500):  # alternate so that each hit re-stamps: 500 holes in the order
        state, _ = cache_get(config, state, "hot" if i % 2 else "warm", 1.0)
    state, _ = cache_get(config, state, "cold", 1.0)  # cold is now the most recent
    state = cache_put(config, state, "new", 3, 2.0)
    assert cache_keys(state) == ("hot", "cold", "new")  # warm was the least recent
    assert state.low > 400  # the watermark moved up past the holes it scanned
    assert cache_problem(state) is None


def test_a_repeated_hit_on_the_most_recent_entry_changes_no_map() -> None:
    state = cache_put(CFG, cache_empty(), "k", 1, 0.0)
    after, got = cache_get(CFG, state, "k", 1.0)
    assert got == 1
    assert after.entries is state.entries and after.order is state.order
    assert after.head is state.head
    assert after.tick == state.tick


def test_delete() -> None:
    state = cache_put(CFG, cache_empty(), "a", 1, 0.0)
    state = cache_put(CFG, state, "b", 2, 0.0)
    after = cache_delete(state, "a")
    assert cache_keys(after) == ("b",)
    assert after.stats == state.stats
    assert cache_delete(after, "a") is after
    assert cache_problem(after) is None


def test_purge_expired() -> None:
    config = CacheConfig(capacity=5, ttl=10.0)
    state = cache_put(config, cache_empty(), "a", 1, 0.0)
    state = cache_put(config, state, "b", 2, 5.0)
    state = cache_put(config, state, "c", 3, 0.0, ttl=100.0)
    assert cache_purge_expired(state, 9.0) is state
    purged = cache_purge_expired(state, 12.0)
    assert cache_keys(purged) == ("b", "c")
    assert purged.stats == CacheStats(expirations=1)
    purged = cache_purge_expired(purged, 50.0)
    assert cache_keys(purged) == ("c",)
    assert purged.stats == CacheStats(expirations=2)
    assert cache_problem(purged) is None


def test_putting_miss_is_a_programmer_error() -> None:
    with pytest.raises(TypeError, match="MISS"):
        cache_put(CFG, cache_empty(), "k", MISS, 0.0)


def test_cache_problem_finds_inconsistent_states() -> None:
    good = cache_put(CFG, cache_empty(), "a", 1, 0.0)
    good = cache_put(CFG, good, "b", 2, 0.0)
    assert cache_problem(good) is None
    assert (good.head, good.tick, good.low) == (("a", "b"), 2, 0)
    lost_slot = msgspec.structs.replace(good, head=("a",))
    wrong_key = msgspec.structs.replace(good, head=("b", "b"))
    short_chunk = msgspec.structs.replace(good, order=immutables.Map({7: ("a",)}))
    low_above = msgspec.structs.replace(good, low=1)
    tick_behind = msgspec.structs.replace(good, tick=1, head=("a",))
    entry_ahead = msgspec.structs.replace(
        good, entries=good.entries.set("a", (1, 300.0, 5, "a", 0))
    )
    low_past_tick = msgspec.structs.replace(good, low=5)
    nan_expiry = msgspec.structs.replace(
        good, entries=good.entries.set("a", (1, math.nan, 0, "a", 0))
    )
    negative = msgspec.structs.replace(good, hits=-1)
    other_key = msgspec.structs.replace(good, entries=good.entries.set("a", (1, 10.0, 0, "b", 0)))
    late_expiry = msgspec.structs.replace(
        good, entries=good.entries.set("a", (1, 900.0, 0, "a", 0))
    )
    expiry = msgspec.structs.replace(good.expiry, head=("b", "b"))
    lost_expiry = msgspec.structs.replace(good, expiry=expiry)
    heap_lacks = msgspec.structs.replace(
        good, entries=good.entries.set("a", (1, 300.0, 0, "a", -1))
    )
    short_entry = msgspec.structs.replace(good, entries=good.entries.set("a", (1, 10.0, 0)))  # type: ignore[arg-type]
    for bad, words in [
        (lost_slot, "newest chunk holds 1 keys"),
        (wrong_key, "does not map"),
        (short_chunk, "chunk 7 holds 1 keys"),
        (low_above, "recency ticks"),
        (tick_behind, "entries but only 1"),
        (entry_ahead, "outside"),
        (low_past_tick, "watermarks"),
        (nan_expiry, "NaN"),
        (negative, "negative"),
        (other_key, "is not (value, expires_at, tick, 'a', put)"),
        (late_expiry, "out of expiry order"),
        (lost_expiry, "expiry slot 0, which the log does not map"),
        (heap_lacks, "which the heap lacks"),
        (short_entry, "is not (value"),
    ]:
        problem = cache_problem(bad)
        assert problem is not None and words in problem, (bad, problem)


def test_put_on_an_inconsistent_state_does_not_loop_forever() -> None:
    good = cache_put(CacheConfig(capacity=2), cache_empty(), "a", 1, 0.0)
    bad = msgspec.structs.replace(good, head=("x",))  # the recency order lost a's tick
    out = cache_put(CacheConfig(capacity=1), bad, "b", 2, 0.0)
    assert cache_problem(out) is not None  # it says so, rather than hanging or raising


# --------------------------------------------------------------------------- serialization


def test_config_and_stats_round_trip() -> None:
    config = CacheConfig(capacity=7, ttl=12.5)
    assert from_plain(CacheConfig, to_plain(config)) == Success(config)
    stats = CacheStats(1, 2, 3, 4)
    assert from_plain(CacheStats, to_plain(stats)) == Success(stats)
    assert isinstance(from_plain(CacheConfig, {"capacity": 0, "ttl": 1.0}), Failure)
    assert isinstance(from_plain(CacheStats, {"hits": 1, "bogus": 2}), Failure)


def test_state_round_trips_as_json() -> None:
    config = CacheConfig(capacity=3, ttl=10.0)
    state: CacheState[str, int] = cache_empty()
    for i, key in enumerate("abcdab"):
        state = cache_put(config, state, key, i, float(i))
    state, _ = cache_get(config, state, "c", 7.0)
    plain = to_plain(state)
    assert plain["entries"] == [[k, list(v)] for k, v in state.entries.items()]
    back = from_plain(CacheState[str, int], orjson.loads(orjson.dumps(plain)))
    assert back == Success(state)
    restored = back.unwrap()
    assert cache_keys(restored) == cache_keys(state)
    # the restored state carries on exactly like the original
    assert cache_put(config, restored, "z", 9, 8.0) == cache_put(config, state, "z", 9, 8.0)


def test_state_from_bad_plain_data_is_a_failure() -> None:
    plain = to_plain(cache_put(CFG, cache_empty(), "a", 1, 0.0))
    for bad, words in [
        ({**plain, "extra": 1}, "unknown field(s) extra"),
        ({**plain, "entries": [["a", ["not an int", 1.0, 0, "a", 0]]]}, "CacheState.entries"),
        ({k: v for k, v in plain.items() if k != "tick"}, "missing field tick"),
        ([1, 2], "expected an object for CacheState"),
    ]:
        out = from_plain(CacheState[str, int], bad)
        assert isinstance(out, Failure), bad
        assert words in out.failure().reason, (words, out)


# --------------------------------------------------------------------------- properties

KEYS = st.sampled_from(("a", "b", "c", "d", "e", "f", "g"))
TTLS = st.none() | st.sampled_from((0.0, -1.0, math.nan, math.inf, 5.0)) | st.floats(0.001, 60)
DTS = st.sampled_from((0.0, 5.0, 10.0)) | st.floats(0, 40)

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("get"), KEYS),
        st.tuples(st.just("put"), KEYS, st.integers(-5, 1000), TTLS),
        st.tuples(st.just("delete"), KEYS),
        st.tuples(st.just("advance"), DTS),
        st.tuples(st.just("purge")),
    ),
    max_size=60,
)


def run_ops(
    config: CacheConfig, ops: list[tuple[Any, ...]]
) -> tuple[list[CacheState[str, int]], list[tuple[float, str, Any]]]:
    """Apply ``ops``; the states after each op, and every get's (now, key, answer)."""
    state: CacheState[str, int] = cache_empty()
    states = [state]
    answers: list[tuple[float, str, Any]] = []
    now = 0.0
    for op in ops:
        match op:
            case ("get", key):
                state, got = cache_get(config, state, key, now)
                answers.append((now, key, got))
            case ("put", key, value, ttl):
                state = cache_put(config, state, key, value, now, ttl)
            case ("delete", key):
                state = cache_delete(state, key)
            case ("advance", dt):
                now += dt
            case ("purge",):
                state = cache_purge_expired(state, now)
        states.append(state)
    return states, answers


CONFIGS = st.builds(CacheConfig, capacity=st.integers(1, 5), ttl=st.floats(0.5, 30))


@settings(max_examples=150, deadline=None)
@given(CONFIGS, OPS)
def test_never_exceeds_capacity_and_stays_consistent(
    config: CacheConfig, ops: list[tuple[Any, ...]]
) -> None:
    states, _ = run_ops(config, ops)
    for state in states:
        assert cache_size(state) <= config.capacity
        assert cache_problem(state) is None


@settings(max_examples=150, deadline=None)
@given(CONFIGS, OPS)
def test_never_returns_an_expired_entry(config: CacheConfig, ops: list[tuple[Any, ...]]) -> None:
    # Each put stores a value unique to it, so a hit names the put it came from.
    numbered = [("put", op[1], i, op[3]) if op[0] == "put" else op for i, op in enumerate(ops)]
    now = 0.0
    expiry: dict[int, float] = {}
    put_key: dict[int, str] = {}
    for op in numbered:
        if op[0] == "advance":
            now += op[1]
        elif op[0] == "put":
            ttl = config.ttl if op[3] is None else op[3]
            expiry[op[2]] = now + ttl
            put_key[op[2]] = op[1]
    _, answers = run_ops(config, numbered)
    for at, key, got in answers:
        if got is not MISS:
            assert put_key[got] == key
            assert at < expiry[got], (at, got, expiry[got])


@settings(max_examples=150, deadline=None)
@given(CONFIGS, OPS)
def test_old_versions_are_unaffected_by_later_operations(
    config: CacheConfig, ops: list[tuple[Any, ...]]
) -> None:
    states, _ = run_ops(config, ops)
    before = [snapshot(s) for s in states]
    # Branch from every version as well: more history built on old states changes nothing.
    for i, state in enumerate(states):
        cache_put(config, state, "a", -1, 1e9)
        cache_get(config, state, "b", 0.0)
        cache_purge_expired(state, 1e9)
        cache_delete(state, "c")
        assert snapshot(state) == before[i]
    assert [snapshot(s) for s in states] == before


@settings(max_examples=100, deadline=None)
@given(CONFIGS, OPS)
def test_any_state_round_trips_through_json(
    config: CacheConfig, ops: list[tuple[Any, ...]]
) -> None:
    states, _ = run_ops(config, ops)
    state = states[-1]
    back = from_plain(CacheState[str, int], orjson.loads(orjson.dumps(to_plain(state))))
    assert back == Success(state)
    assert snapshot(back.unwrap()) == snapshot(state)


# --------------------------------------------------------------------------- rule-based machine


class CacheMachine(RuleBasedStateMachine):
    """Random gets, puts, deletes, purges, capacity changes and clock jumps, each applied to
    the cache and to the reference model; old versions are kept and re-checked."""

    def __init__(self) -> None:
        super().__init__()
        self.config = CacheConfig()
        self.state: CacheState[str, int] = cache_empty()
        self.model = Model(capacity=1, ttl=1.0)
        self.now = 0.0
        self.saved: list[tuple[CacheState[str, int], Model]] = []
        self.shrunk_since_put = False

    @initialize(capacity=st.integers(1, 5), ttl=st.floats(0.5, 30), start=st.floats(0, 1e6))
    def setup(self, capacity: int, ttl: float, start: float) -> None:
        self.config = CacheConfig(capacity=capacity, ttl=ttl)
        self.model = Model(capacity=capacity, ttl=ttl)
        self.now = start

    @rule(dt=DTS)
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(key=KEYS)
    def get(self, key: str) -> None:
        self.state, got = cache_get(self.config, self.state, key, self.now)
        assert got == self.model.get(key, self.now)

    @rule(key=KEYS, value=st.integers(-5, 1000), ttl=TTLS)
    def put(self, key: str, value: int, ttl: float | None) -> None:
        self.state = cache_put(self.config, self.state, key, value, self.now, ttl)
        self.model.put(key, value, self.now, ttl)
        if ttl is None or ttl > 0:  # a put that stores trims; one that only drops does not
            self.shrunk_since_put = False

    @rule(key=KEYS)
    def delete(self, key: str) -> None:
        self.state = cache_delete(self.state, key)
        self.model.delete(key)

    @rule()
    def purge(self) -> None:
        self.state = cache_purge_expired(self.state, self.now)
        self.model.purge(self.now)

    @rule(capacity=st.integers(1, 5))
    def resize(self, capacity: int) -> None:
        self.config = CacheConfig(capacity=capacity, ttl=self.config.ttl)
        self.model.capacity = capacity
        self.shrunk_since_put = self.shrunk_since_put or cache_size(self.state) > capacity

    @rule()
    def save(self) -> None:
        self.saved.append((self.state, self.model.copy()))

    @precondition(lambda self: bool(self.saved))
    @rule(data=st.data())
    def branch(self, data: st.DataObject) -> None:
        """Continue from an old version (and its model): the old one must still be intact."""
        i = data.draw(st.integers(0, len(self.saved) - 1))
        self.state, model = self.saved[i]
        self.model = model.copy()
        self.model.capacity = self.config.capacity
        self.shrunk_since_put = cache_size(self.state) > self.config.capacity

    @invariant()
    def matches_the_model(self) -> None:
        assert contents(self.state) == model_contents(self.model)
        assert self.state.stats == self.model.stats()

    @invariant()
    def within_capacity_and_consistent(self) -> None:
        # A shrunk capacity takes effect at the next put; until then the size may exceed it.
        if not self.shrunk_since_put:
            assert cache_size(self.state) <= self.config.capacity
        assert cache_problem(self.state) is None
        # the expiry index's stale slots stay bounded (rebuilt past twice the entries)
        assert expiry_size(self.state.expiry) <= 4 * cache_size(self.state) + 64 + 1

    @invariant()
    def saved_versions_unchanged(self) -> None:
        for state, model in self.saved:
            assert contents(state) == model_contents(model)
            assert state.stats == model.stats()


TestCacheMachine = CacheMachine.TestCase
TestCacheMachine.settings = settings(max_examples=80, stateful_step_count=50, deadline=None)


def test_stale_recency_ticks_stay_bounded_under_hits_alone() -> None:
    # hits leave their old tick behind (stale); a cache that only reads must not grow
    config = CacheConfig(capacity=50, ttl=1e9)
    state = cache_empty()
    for i in range(50):
        state = cache_put(config, state, i, i, 0.0)
    for round_ in range(40):
        for i in range(50):
            state, got = cache_get(config, state, (i * 7 + round_) % 50, 1.0)
            assert got == (i * 7 + round_) % 50
        assert state.tick - state.low <= 2 * len(state.entries) + 64
        assert len(state.order) * 32 <= state.tick - state.low
    assert cache_problem(state) is None
    # and eviction still removes the least recently used, skipping every stale tick
    state, _ = cache_get(config, state, 3, 2.0)
    lru = cache_keys(state)[0]
    state = cache_put(config, state, "new", 0, 2.0)
    assert lru not in cache_keys(state)
    assert 3 in cache_keys(state)
    assert cache_size(state) == 50


@pytest.mark.parametrize("seed", range(6))
def test_long_runs_across_chunks_and_compactions_match_the_model(seed: int) -> None:
    # Thousands of ticks: the recency order fills and drops many 32-tick chunks and compacts
    # repeatedly (the rule-based machine above rarely gets that far); old versions stay intact.
    rng = random.Random(seed)
    capacity = rng.choice([2, 3, 17, 32, 33, 70])
    config = CacheConfig(capacity=capacity, ttl=400.0)
    model = Model(capacity=capacity, ttl=400.0)
    state: CacheState[int, int] = cache_empty()
    keys = range(capacity * 2 + 3)
    now = 0.0
    saved: list[tuple[CacheState[int, int], list[tuple[Any, Any, float]]]] = []
    compactions = 0
    for step in range(4000):
        now += rng.random()
        roll = rng.random()
        held = list(model.items)
        reading = step % 1000 >= 800  # a read-only phase: stale slots pile up, then compact
        key = rng.choice(held) if held and (reading or rng.random() < 0.5) else rng.choice(keys)
        before = state.tick
        if reading or roll < 0.6:
            state, got = cache_get(config, state, key, now)
            assert got == model.get(key, now)
        elif roll < 0.95:
            # odd seeds mix in per-put TTLs, so expiry order is not put order (the heap)
            ttl = rng.uniform(1.0, 800.0) if seed % 2 and rng.random() < 0.3 else None
            state = cache_put(config, state, key, step, now, ttl)
            model.put(key, step, now, ttl)
        else:
            state = cache_delete(state, key)
            model.delete(key)
        compactions += state.tick > before + 1  # a stamp moves it by one; a compaction more
        assert contents(state) == model_contents(model)
        assert state.stats == model.stats()
        assert state.tick - state.low <= 2 * len(state.entries) + 64 + 32
        if step % 97 == 0:
            assert cache_problem(state) is None
            saved.append((state, contents(state)))
    assert state.tick > 1500  # many chunks went by
    assert compactions > 0
    for old, seen in saved:
        assert contents(old) == seen


def test_slots_and_map_hold_the_same_key_object_not_the_callers_lookup_key() -> None:
    # An equal key built anew finds the entry; the recency slots and the map go on holding
    # the one stored object (so they match by identity, and the lookup object is not kept).
    put_key, lookup_key = "".join(["ke", "y"]), "".join(["k", "ey"])
    assert put_key == lookup_key and put_key is not lookup_key
    config = CacheConfig(capacity=4)
    state = cache_put(config, cache_empty(), put_key, 1, 0.0)
    state = cache_put(config, state, "other", 2, 0.0)
    state, got = cache_get(config, state, lookup_key, 1.0)
    assert got == 1
    assert state.head[-1] is put_key
    assert state.entries[lookup_key][3] is put_key
    assert all(k is not lookup_key for k in state.entries)
    # a put under an equal new key replaces the value and the stored object, consistently
    state = cache_put(config, state, lookup_key, 3, 2.0)
    stored = next(k for k in state.entries if k == put_key)
    assert stored is lookup_key and state.entries[put_key][3] is lookup_key
    assert state.head[-1] is lookup_key
    assert cache_keys(state) == ("other", "key")
    assert cache_problem(state) is None


# --------------------------------------------------------------------------- exceptions


class Brittle:
    """A key whose ``__hash__`` or ``__eq__`` raises from one chosen call on, for ``burst``
    calls (counted over every Brittle key, while ``armed``): a transient failure, or a
    comparison with a foreign type that keeps failing while a transition tries to undo."""

    calls = 0
    fail_at = -1
    burst = 1
    armed = False

    def __init__(self, name: int) -> None:
        self.name = name

    def _tick(self) -> None:
        if Brittle.armed:
            Brittle.calls += 1
            if Brittle.fail_at <= Brittle.calls < Brittle.fail_at + Brittle.burst:
                raise RuntimeError("brittle key")

    def __hash__(self) -> int:
        self._tick()
        return self.name % 3  # collisions, so that lookups call __eq__ too

    def __eq__(self, other: object) -> bool:
        self._tick()
        return isinstance(other, Brittle) and other.name == self.name


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10_000), fail_at=st.integers(1, 400), burst=st.integers(1, 4))
def test_a_key_that_raises_midway_leaves_every_version_as_it_was(
    seed: int, fail_at: int, burst: int
) -> None:
    # Whatever call of a key's __hash__/__eq__ raises, inside whichever transition, every
    # state made before reads as it did, and the cache carries on from any of them.
    rng = random.Random(seed)
    config = CacheConfig(capacity=4, ttl=50.0)
    state: CacheState[Brittle, int] = cache_empty()
    saved: list[tuple[CacheState[Brittle, int], tuple[Any, ...]]] = []
    raised = 0
    Brittle.calls, Brittle.fail_at, Brittle.burst = 0, fail_at, burst
    try:
        for step in range(120):
            key, now = Brittle(rng.randrange(8)), step / 2
            reading, ttl = rng.random() < 0.5, rng.choice([None, 20.0])
            Brittle.armed = True
            try:
                if reading:
                    state, _ = cache_get(config, state, key, now)
                else:
                    state = cache_put(config, state, key, step, now, ttl)
            except RuntimeError:
                raised += 1
            finally:
                Brittle.armed = False
            if step % 10 == 0:
                saved.append((state, snapshot(state)))
    finally:
        Brittle.fail_at = -1
    assert (raised > 0) == (Brittle.calls >= fail_at)
    for old, seen in saved:
        assert snapshot(old) == seen
        assert cache_problem(old) is None
        cache_put(config, old, Brittle(99), 0, 100.0)  # and it carries on


def test_holding_an_old_version_does_not_keep_the_history_since() -> None:
    # ReliableRunner keeps its initial state for replay, and callers keep snapshots: an old
    # version must cost what it holds, not every change made after it.
    import gc
    import tracemalloc

    config = CacheConfig(capacity=100, ttl=1e9)
    first = cache_empty()
    state = first

    def steps(count: int) -> None:
        nonlocal state
        for i in range(count):
            state = cache_put(config, state, i % 300, i, 0.0)
            state, _ = cache_get(config, state, (i * 7) % 300, 0.0)

    def live() -> int:
        # A full collection first: it empties the interpreter's free lists (tuples of up to
        # 20 items, 2000 of each size), which tracemalloc counts as held. What they held
        # depended on when the last full collection ran (so on what else was loaded: the test
        # failed with pytest's cache plugin on and passed with it off), not on the cache.
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    steps(2_000)
    tracemalloc.start()
    try:
        steps(5_000)
        after_few = live()
        steps(30_000)
        after_many = live()
    finally:
        tracemalloc.stop()
    assert after_many - after_few < 256 * 1024, (after_few, after_many)
    assert cache_size(first) == 0 and cache_size(state) == 100
