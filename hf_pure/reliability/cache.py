"""TTL-LRU cache as a pure state machine over persistent maps.

A cache holds at most ``capacity`` entries, each with an expiry time (``now + ttl``; the
config's ``ttl`` unless a put gives its own). A get of a live entry makes it the most recently
used; a put of a new key into a full cache drops the least recently used entry. Keys are any
hashable values (hf_pure's frozen requests are the intended ones); values are anything except
the marker ``MISS``, which ``cache_get`` answers when it has nothing. Which requests are worth
caching is the policy's decision, not this module's.

Nothing here reads a clock: every transition takes ``now`` (monotonic seconds), and an entry
is expired once ``now >= expires_at`` (so it is served during ``[put time, put time + ttl)``).

Structure (all persistent, so an old state stays valid and unchanged forever)::

    entries : Map[key, (value, expires_at, tick)]   the cached values
    order   : Map[tick, key]                         recency: a smaller tick is older (a
                                                     tick whose key's entry has moved on is stale)
    tick    : int                                    the next tick to hand out (only grows)
    low     : int                                    no live tick is below it (only grows)
    hits, misses, evictions, expirations    the counters (``stats`` gives them as one value)

Each put and each get-hit stamps its entry with a fresh tick and adds it to ``order``; the old
tick is left behind, *stale* (it no longer matches its key's entry), rather than deleted: that
saves one map write per hit, the one on a cold path. The eviction scan goes upward from
``low``, dropping stale and absent ticks as it passes them, to the smallest live tick: the
least recently used entry. ``low`` never moves back, so over a run each tick is passed at most
once: eviction costs amortised O(1) map operations. Stale ticks are bounded: once ``order``
holds more than twice the entries (plus a slack of 64), it is rebuilt from the entries, O(n)
after at least n re-stamps, so O(1) amortised. ``immutables.Map`` is a HAMT, so every
``set``/``delete``/``get`` is O(log32 n) and shares all untouched nodes with the previous
version: no transition copies the whole map but that occasional rebuild. (The amortisation is
per line of history: replaying an eviction from the same old state repeats its scan.)

Transition table (``L`` is the least recently used entry; "expired" means
``now >= expires_at``; "-" means no change)::

    operation        condition                   effect                            stats
    ---------------  --------------------------  --------------------------------  -------------
    get(k)           k absent                    answer MISS                       misses+1
    get(k)           k expired                   remove k; answer MISS             misses+1,
                                                                                   expirations+1
    get(k)           k live                      k becomes most recent;            hits+1
                                                 answer its value
    put(k, v, ttl)   ttl given and not > 0       remove k if present (the new      -
                     (0, negative, NaN)          value supersedes it); store none
    put(k, v, ttl)   k present                   replace value and expiry;         -
                                                 k becomes most recent
    put(k, v, ttl)   k absent, size < capacity   insert k as most recent           -
    put(k, v, ttl)   k absent, size = capacity   insert k as most recent,          L expired:
                                                 then remove L                     expirations+1
                                                                                   L live:
                                                                                   evictions+1
    delete(k)        -                           remove k if present               -
    purge_expired()  -                           remove every expired entry        expirations+n

A put that stores trims the cache down to ``capacity`` by removing least recently used entries
one by one (so a config whose capacity shrank takes effect at the next such put; gets never
trim); the entry just put is the most recent and always stays. ``ttl=math.inf`` on a put
means "never expires" (stored as the largest finite float, so the state stays plain JSON).

Expired entries are dropped lazily: by a get that finds them, by eviction when they are the
least recently used, or by the explicit O(n) maintenance step ``cache_purge_expired``.
``cache_size`` therefore counts entries held, expired or not; it is never above ``capacity``
after a put that stores.

Every state round-trips through ``to_plain`` / ``from_plain(CacheState[K, V], data)``; a state
loaded from outside can be checked with ``cache_problem`` before use.
"""

from __future__ import annotations

import enum
import math
from typing import Any, Final, Generic, TypeAlias, TypeVar

import attrs
import immutables

from hf_pure.core.checks import positive_int, positive_seconds
from hf_pure.core.value import Value

K = TypeVar("K")
V = TypeVar("V")

#: The largest finite float: the expiry of an entry put with ``ttl=math.inf``.
FOREVER: Final = 1.7976931348623157e308

# Positions in an entry tuple ``(value, expires_at, tick)``.
_VALUE: Final = 0
_EXPIRES: Final = 1
_TICK: Final = 2

#: One cache entry: ``(value, expires_at, tick)``. A plain tuple, not an attrs value: it is
#: built on every put and get-hit, and a tuple costs ~10 ns where a frozen attrs value costs ~350.
Entry: TypeAlias = tuple[V, float, int]


@attrs.frozen(repr=False)
class CacheConfig(Value):
    """How many entries the cache holds and how long an entry lives by default (seconds)."""

    capacity: int = attrs.field(default=1000, validator=positive_int)
    ttl: float = attrs.field(default=300.0, validator=positive_seconds)


@attrs.frozen(repr=False)
class CacheStats(Value):
    """Counters: gets answered (hits) or not (misses); entries dropped for room (evictions)
    or because their time was up (expirations)."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    expirations: int = 0


@attrs.frozen(repr=False)
class CacheState(Value, Generic[K, V]):
    """The cache's contents and counters; see the module docstring for the fields' meaning.

    Built by :func:`cache_empty` and the transitions, never edited in place.
    """

    entries: immutables.Map[K, Entry[V]]
    order: immutables.Map[int, K]
    tick: int
    low: int
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    expirations: int = 0

    @property
    def stats(self) -> CacheStats:
        """The counters as one value (they are fields of the state itself, so that a
        transition builds one object, not two)."""
        return CacheStats(self.hits, self.misses, self.evictions, self.expirations)


class Miss(enum.Enum):
    """The type of :data:`MISS`, what :func:`cache_get` answers when it has no live entry."""

    MISS = "MISS"


MISS: Final = Miss.MISS

_SLACK: Final = 64  # stale ticks always allowed, so small caches never rebuild

_EMPTY: Final[CacheState[Any, Any]] = CacheState(immutables.Map(), immutables.Map(), 0, 0)


def cache_empty() -> CacheState[Any, Any]:
    """A cache with nothing in it and zeroed counters."""
    return _EMPTY


def cache_size(state: CacheState[Any, Any]) -> int:
    """Entries held, expired ones included (they are dropped lazily)."""
    return len(state.entries)


def cache_get(
    config: CacheConfig, state: CacheState[K, V], key: K, now: float
) -> tuple[CacheState[K, V], V | Miss]:
    """Look ``key`` up at time ``now``: ``(state, value)`` on a hit, ``(state, MISS)`` otherwise.

    A hit makes the entry the most recently used. An expired entry is removed and counted as
    both an expiration and a miss.
    """
    entry = state.entries.get(key)
    s = state
    if entry is None:
        return CacheState(
            s.entries, s.order, s.tick, s.low, s.hits, s.misses + 1, s.evictions, s.expirations
        ), MISS
    if now >= entry[_EXPIRES]:
        entries = s.entries.delete(key)
        order = s.order.delete(entry[_TICK])
        return CacheState(
            entries, order, s.tick, s.low, s.hits, s.misses + 1, s.evictions, s.expirations + 1
        ), MISS
    tick = s.tick
    if entry[_TICK] == tick - 1:  # already the most recent: nothing to re-stamp
        return CacheState(
            s.entries, s.order, tick, s.low, s.hits + 1, s.misses, s.evictions, s.expirations
        ), entry[_VALUE]
    value = entry[_VALUE]
    entries = s.entries.set(key, (value, entry[_EXPIRES], tick))
    # The old tick stays in ``order``, stale: the eviction scan drops it when it gets there
    # (one map write fewer per hit, and the write it saves is the one on a cold path).
    order = _compacted(s.order.set(tick, key), entries)
    return CacheState(
        entries, order, tick + 1, s.low, s.hits + 1, s.misses, s.evictions, s.expirations
    ), value


def cache_put(
    config: CacheConfig,
    state: CacheState[K, V],
    key: K,
    value: V,
    now: float,
    ttl: float | None = None,
) -> CacheState[K, V]:
    """Store ``value`` under ``key`` until ``now + ttl`` (``config.ttl`` when ``ttl`` is None).

    Replaces any entry for ``key``; the entry becomes the most recently used. Beyond
    ``config.capacity`` the least recently used entries are removed (counted as evictions, or
    as expirations when they had already expired). A ``ttl`` that is not positive (0, negative,
    NaN) stores nothing and removes the old entry, which it supersedes. Putting ``MISS`` is a
    programmer error (TypeError).
    """
    if value is MISS:
        raise TypeError("MISS is the cache's 'nothing' marker and cannot be cached")
    if ttl is None:
        expires_at = now + config.ttl
    elif ttl > 0:
        # ttl=inf (or an overflow) never expires, and the state stays finite (plain JSON).
        expires_at = min(now + ttl, FOREVER)
    else:
        return cache_delete(state, key)
    entries = state.entries
    order = state.order
    tick = state.tick
    entries = entries.set(key, (value, expires_at, tick))
    order = _compacted(order.set(tick, key), entries)  # a replaced entry's old tick: stale
    tick += 1
    capacity = config.capacity
    if len(entries) <= capacity:
        return CacheState(
            entries,
            order,
            tick,
            state.low,
            state.hits,
            state.misses,
            state.evictions,
            state.expirations,
        )
    # Over capacity: remove least recently used entries, scanning up from the watermark.
    low = state.low
    evictions = state.evictions
    expirations = state.expirations
    while len(entries) > capacity:
        while low < tick:
            candidate = order.get(low)
            if candidate is not None:
                live = entries.get(candidate)
                if live is not None and live[_TICK] == low:
                    break
                order = order.delete(low)  # stale: its entry was re-stamped or removed
            low += 1
        if low >= tick:  # only an inconsistent, hand-made state gets here (see cache_problem)
            break
        victim = order[low]
        if now >= entries[victim][_EXPIRES]:
            expirations += 1
        else:
            evictions += 1
        entries = entries.delete(victim)
        order = order.delete(low)
        low += 1
    return CacheState(entries, order, tick, low, state.hits, state.misses, evictions, expirations)


def cache_delete(state: CacheState[K, V], key: K) -> CacheState[K, V]:
    """Forget ``key`` (no counter changes); the same state when it was not there."""
    entry = state.entries.get(key)
    if entry is None:
        return state
    entries = state.entries.delete(key)
    order = state.order.delete(entry[_TICK])
    return CacheState(
        entries,
        order,
        state.tick,
        state.low,
        state.hits,
        state.misses,
        state.evictions,
        state.expirations,
    )


def cache_purge_expired(state: CacheState[K, V], now: float) -> CacheState[K, V]:
    """Remove every entry expired at ``now``, counting each as an expiration. O(n): an explicit
    maintenance step (the other transitions drop expired entries lazily)."""
    dead = [(key, entry[_TICK]) for key, entry in state.entries.items() if now >= entry[_EXPIRES]]
    if not dead:
        return state
    entries = state.entries.mutate()
    order = state.order.mutate()
    for key, tick in dead:
        del entries[key]
        del order[tick]
    return CacheState(
        entries.finish(),
        order.finish(),
        state.tick,
        state.low,
        state.hits,
        state.misses,
        state.evictions,
        state.expirations + len(dead),
    )


def _compacted(
    order: immutables.Map[int, K], entries: immutables.Map[K, Entry[V]]
) -> immutables.Map[int, K]:
    """``order`` without its stale ticks once they outnumber the entries (plus slack):
    a rebuild costs O(n) and comes after at least n re-stamps, so O(1) amortised, and
    ``order`` never holds more than about twice the entries."""
    if len(order) <= 2 * len(entries) + _SLACK:
        return order
    return immutables.Map((entry[_TICK], key) for key, entry in entries.items())


def cache_keys(state: CacheState[K, V]) -> tuple[K, ...]:
    """The keys held, least recently used first (expired ones included). O(n log n)."""
    entries = state.entries
    return tuple(
        key
        for tick, key in sorted(state.order.items())
        if (live := entries.get(key)) is not None and live[_TICK] == tick
    )


def cache_problem(state: CacheState[Any, Any]) -> str | None:
    """Why ``state`` is not one the transitions could have built, or None when it is.

    O(n). Use it on a state loaded with ``from_plain`` from a store you don't fully trust.
    """
    if len(state.order) < len(state.entries):
        return f"{len(state.entries)} entries but only {len(state.order)} recency ticks"
    if state.low < 0 or state.tick < state.low:
        return f"watermarks out of order: low={state.low}, tick={state.tick}"
    for key, entry in state.entries.items():
        tick = entry[_TICK]
        if not state.low <= tick < state.tick:
            return f"entry {key!r} has tick {tick} outside [{state.low}, {state.tick})"
        if tick not in state.order or state.order[tick] != key:
            return f"entry {key!r} has tick {tick}, which the recency order does not map to it"
        if math.isnan(entry[_EXPIRES]):
            return f"entry {key!r} has a NaN expiry"
    stats = state.stats
    if min(stats.hits, stats.misses, stats.evictions, stats.expirations) < 0:
        return "negative counter"
    return None
