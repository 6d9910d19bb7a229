"""TTL-LRU cache as a pure state machine over persistent maps.

A cache holds at most ``capacity`` entries, each with an expiry time (``now + ttl``; the
config's ``ttl`` unless a put gives its own). A get of a live entry makes it the most recently
used; a put of a new key into a full cache makes room by dropping the expired entries first,
then the least recently used live one (as cachetools' ``TTLCache`` does). Keys are any
hashable values (hf_pure's frozen requests are the intended ones); values are anything except
the marker ``MISS``, which ``cache_get`` answers when it has nothing. Which requests are worth
caching is the policy's decision, not this module's.

Nothing here reads a clock: every transition takes ``now`` (monotonic seconds), and an entry
is expired once ``now >= expires_at`` (so it is served during ``[put time, put time + ttl)``).

Structure (all persistent, so an old state stays valid and unchanged forever)::

    entries : Map[key, (value, expires_at, tick,      the cached values (the key again:
                       key, put)]                    the very object the map holds; ``put``:
                                                     where ``expiry`` keeps its expiry)
    order   : Map[chunk, (key, ... 32 keys)]         recency, 32 ticks per chunk: tick ``t``
                                                     is slot ``t % 32`` of chunk ``t // 32``;
                                                     a smaller tick is older (a slot whose
                                                     key's entry has moved on is stale)
    head    : (key, ...)                             the newest chunk, still filling: the
                                                     keys of ticks ``tick - tick % 32 ..
                                                     tick - 1`` (it joins ``order`` when full)
    tick    : int                                    the next tick to hand out (only grows)
    low     : int                                    no live tick is below it (only grows)
    expiry  : Expiry                                 every entry's expiry: a log in put
                                                     order while that is expiry order, else
                                                     a heap (see ``reliability.expiry``)
    hits, misses, evictions, expirations    the counters (``stats`` gives them as one value)

Each put and each get-hit stamps its entry with a fresh tick and appends its key to ``head``;
the old tick is left behind, *stale* (it no longer matches its key's entry), rather than
deleted. The key appended, and written back on a hit, is the object the map already holds
(kept in the entry), not the equal one the caller looked up with: the slots and the map then
find each other by identity, and the eviction scan never compares two cold keys field by
field (with request keys, a get+put at 100k entries costs a quarter less); nor do the slots
keep the callers' lookup objects alive.

The eviction scan goes upward from ``low``, passing stale slots, to the smallest live
tick: the least recently used entry; a chunk is dropped from ``order`` once ``low`` has passed
it. ``low`` never moves back, so over a run each tick is passed at most once: eviction costs
amortised O(1) map operations.

Why chunks: ``entries`` is keyed by hash, so its writes land all over a large map, but the
recency writes are sequential. Kept 32 to a chunk, they go to one short tuple (``head``) and
to ``order`` once per 32 ticks, and the scan reads the same oldest chunk 32 times in a row:
a busy 100k-entry cache touches the cold parts of memory about half as often as with one map
entry per tick. ``immutables.Map`` is a HAMT, so every ``set``/``delete``/``get`` is
O(log32 n) and shares all untouched nodes with the previous version: no transition copies a
whole map but the occasional compaction below.

Expired entries are found without a scan: the expiry index's first current slot is the
earliest expiry held, so a put over capacity drops entries while the first one has expired
(a slot whose entry has moved on is stale and only passed). A put appends one key to a tuple
when expiries come in order (one default TTL, a clock moving forward), and costs O(log n) map
writes otherwise; once the slots outnumber four times the entries (plus the slack), the index
is rebuilt from the entries.

Stale slots are bounded: once the ticks between ``low`` and ``tick`` outnumber twice the
entries (plus a slack of 64), the live entries are renumbered, oldest first, from the next
multiple of 32 at or above ``tick``: O(n) after at least n re-stamps, so O(1) amortised. (The
amortisation is per line of history: replaying an eviction from the same old state repeats
its scan.)

Transition table (``L`` is the least recently used live entry; "expired" means
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
    put(k, v, ttl)   k absent, size = capacity,  insert k as most recent, then     expirations+n
                     n entries expired (n >= 1)  remove every expired entry
    put(k, v, ttl)   k absent, size = capacity,  insert k as most recent, then     evictions+1
                     none expired                remove L
    delete(k)        -                           remove k if present               -
    purge_expired()  -                           remove every expired entry        expirations+n

A put that stores and leaves more than ``capacity`` entries trims: every expired entry goes,
then least recently used live entries one by one until ``capacity`` is met (so a config whose
capacity shrank takes effect at the next such put; gets never trim); the entry just put is the
most recent and stays unless it is already expired (a ``now`` so large that ``now + ttl``
rounds to ``now``). ``ttl=math.inf`` on a put means "never expires" (stored as the largest
finite float, so the state stays plain JSON).

Expired entries are dropped lazily: by a get that finds them, by a put that needs room, or by
the explicit O(n) maintenance step ``cache_purge_expired``. ``cache_size`` therefore counts
entries held, expired or not; it is never above ``capacity`` after a put that stores.

Every state round-trips through ``to_plain`` / ``from_plain(CacheState[K, V], data)``; a state
loaded from outside can be checked with ``cache_problem`` before use.
"""

from __future__ import annotations

import enum
import math
from typing import Any, Final, Generic, TypeVar

import attrs
import immutables

from hf_pure.core.checks import positive_int, positive_seconds
from hf_pure.core.state import State
from hf_pure.core.value import Value
from hf_pure.reliability.expiry import EMPTY as _NO_EXPIRY
from hf_pure.reliability.expiry import (
    STALE_FACTOR,
    Expiry,
    expiry_drop,
    expiry_problem,
    expiry_push,
    expiry_rebuilt,
    expiry_size,
)
from hf_pure.reliability.recency import (
    _CHUNK,
    _EXPIRES,
    _KEY,
    _MASK,
    _PUT,
    _SHIFT,
    _SLACK,
    _TICK,
    _VALUE,
    Entry,
    live_keys,
    stamped,
)

K = TypeVar("K")
V = TypeVar("V")

#: The largest finite float: the expiry of an entry put with ``ttl=math.inf``.
FOREVER: Final = 1.7976931348623157e308


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


class CacheState(State, Generic[K, V], frozen=True, kw_only=True):
    """The cache's contents and counters; see the module docstring for the fields' meaning.

    Built by :func:`cache_empty` and the transitions, never edited in place.
    """

    entries: immutables.Map[K, Entry[V, K]]
    order: immutables.Map[int, tuple[K, ...]]
    head: tuple[K, ...]
    tick: int
    low: int
    expiry: Expiry[K]
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

_EMPTY: Final[CacheState[Any, Any]] = CacheState(
    entries=immutables.Map(), order=immutables.Map(), head=(), tick=0, low=0, expiry=_NO_EXPIRY
)


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
    s = state
    entry = s.entries.get(key)
    if entry is None:
        return CacheState(
            entries=s.entries, order=s.order, head=s.head, tick=s.tick, low=s.low, expiry=s.expiry,
            hits=s.hits, misses=s.misses + 1,
            evictions=s.evictions, expirations=s.expirations,
        ), MISS  # fmt: skip
    if now >= entry[_EXPIRES]:  # its recency slot and expiry pair go stale
        return CacheState(
            entries=s.entries.delete(key), order=s.order, head=s.head, tick=s.tick, low=s.low,
            expiry=s.expiry, hits=s.hits,
            misses=s.misses + 1, evictions=s.evictions, expirations=s.expirations + 1,
        ), MISS  # fmt: skip
    tick = s.tick
    value = entry[_VALUE]
    if entry[_TICK] == tick - 1:  # already the most recent: nothing to re-stamp
        return CacheState(
            entries=s.entries, order=s.order, head=s.head, tick=tick, low=s.low, expiry=s.expiry,
            hits=s.hits + 1, misses=s.misses,
            evictions=s.evictions, expirations=s.expirations,
        ), value  # fmt: skip
    # The old tick's slot stays behind, stale: the eviction scan passes it when it gets there.
    key = entry[_KEY]  # the key object stored: the map and the slots then compare by identity
    entries = s.entries.set(key, (value, entry[_EXPIRES], tick, key, entry[_PUT]))
    entries, order, head, tick, low = stamped(entries, s.order, s.head, tick, s.low, key)
    return CacheState(
        entries=entries, order=order, head=head, tick=tick, low=low, expiry=s.expiry,
        hits=s.hits + 1, misses=s.misses, evictions=s.evictions,
        expirations=s.expirations,
    ), value  # fmt: skip


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
    ``config.capacity`` the expired entries are removed first (counted as expirations), then
    the least recently used live ones (counted as evictions). A ``ttl`` that is not positive
    (0, negative, NaN) stores nothing and removes the old entry, which it supersedes. Putting
    ``MISS`` is a programmer error (TypeError).
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
    tick = state.tick
    before = state.entries
    expiry, put = expiry_push(state.expiry, expires_at, key)
    entries = before.set(key, (value, expires_at, tick, key, put))
    if len(entries) == len(before):  # a replacement (its old slot goes stale): the map kept
        entries = before.delete(key).set(key, (value, expires_at, tick, key, put))  # the old key
    entries, order, head, tick, low = stamped(
        entries, state.order, state.head, tick, state.low, key
    )
    capacity = config.capacity
    if len(entries) <= capacity:
        if (
            expiry_size(expiry) > STALE_FACTOR * len(entries) + _SLACK
        ):  # too many stale slots: rebuild
            expiry, entries = expiry_rebuilt(entries)
        return CacheState(
            entries=entries, order=order, head=head, tick=tick, low=low, expiry=expiry,
            hits=state.hits, misses=state.misses, evictions=state.evictions,
            expirations=state.expirations,
        )  # fmt: skip
    # Over capacity. First every expired entry goes, earliest expiry first.
    expiry, entries, gone = expiry_drop(expiry, entries, now)
    expirations = state.expirations + gone
    # Then least recently used entries, scanning up from the watermark and passing stale
    # slots; a chunk leaves ``order`` once the scan has passed all of it.
    evictions = state.evictions
    top_chunk = tick >> _SHIFT  # the chunk ``head`` holds
    while len(entries) > capacity and low < tick:  # low = tick: a hand-made, broken state
        chunk = low >> _SHIFT
        keys = head if chunk == top_chunk else order.get(chunk, ())
        slot = low & _MASK
        live = entries.get(keys[slot]) if slot < len(keys) else None
        if live is not None and live[_TICK] == low:  # the least recently used entry
            evictions += 1
            entries = entries.delete(live[_KEY])
        low += 1
        if not low & _MASK and chunk in order:
            order = order.delete(chunk)
    if expiry_size(expiry) > STALE_FACTOR * len(entries) + _SLACK:
        expiry, entries = expiry_rebuilt(entries)
    return CacheState(
        entries=entries, order=order, head=head, tick=tick, low=low, expiry=expiry, hits=state.hits,
        misses=state.misses, evictions=evictions,
        expirations=expirations,
    )  # fmt: skip


def cache_delete(state: CacheState[K, V], key: K) -> CacheState[K, V]:
    """Forget ``key`` (no counter changes); the same state when it was not there."""
    if key not in state.entries:
        return state
    s = state
    return CacheState(
        entries=s.entries.delete(key), order=s.order, head=s.head, tick=s.tick, low=s.low,
        expiry=s.expiry, hits=s.hits, misses=s.misses,
        evictions=s.evictions, expirations=s.expirations,
    )  # fmt: skip


def cache_purge_expired(state: CacheState[K, V], now: float) -> CacheState[K, V]:
    """Remove every entry expired at ``now``, counting each as an expiration. O(n): an explicit
    maintenance step (the other transitions drop expired entries lazily)."""
    dead = [key for key, entry in state.entries.items() if now >= entry[_EXPIRES]]
    if not dead:
        return state
    entries = state.entries.mutate()
    for key in dead:
        del entries[key]
    expiry, kept = expiry_rebuilt(entries.finish())
    s = state
    return CacheState(
        entries=kept, order=s.order, head=s.head, tick=s.tick, low=s.low, expiry=expiry,
        hits=s.hits, misses=s.misses, evictions=s.evictions,
        expirations=s.expirations + len(dead),
    )  # fmt: skip


def cache_keys(state: CacheState[K, V]) -> tuple[K, ...]:
    """The keys held, least recently used first (expired ones included). O(n)."""
    return tuple(live_keys(state.entries, state.order, state.head, state.tick, state.low))


def cache_problem(state: CacheState[Any, Any]) -> str | None:
    """Why ``state`` is not one the transitions could have built, or None when it is.

    O(n). Use it on a state loaded with ``from_plain`` from a store you don't fully trust.
    """
    if state.low < 0 or state.tick < state.low:
        return f"watermarks out of order: low={state.low}, tick={state.tick}"
    if len(state.head) != state.tick & _MASK:
        return (
            f"the newest chunk holds {len(state.head)} keys, but tick {state.tick} says "
            f"{state.tick & _MASK}"
        )
    for chunk, keys in state.order.items():
        if len(keys) != _CHUNK:
            return f"recency chunk {chunk} holds {len(keys)} keys, not {_CHUNK}"
    if state.tick - state.low < len(state.entries):
        return f"{len(state.entries)} entries but only {state.tick - state.low} recency ticks"
    top = state.tick >> _SHIFT
    for key, entry in state.entries.items():
        if len(entry) != 5 or entry[_KEY] != key:
            return f"entry {key!r} is not (value, expires_at, tick, {key!r}, put)"
        tick = entry[_TICK]
        if not state.low <= tick < state.tick:
            return f"entry {key!r} has tick {tick} outside [{state.low}, {state.tick})"
        chunk = tick >> _SHIFT
        keys = state.head if chunk == top else state.order.get(chunk, ())
        slot = tick & _MASK
        if slot >= len(keys) or keys[slot] != key:
            return f"entry {key!r} has tick {tick}, which the recency order does not map to it"
        if math.isnan(entry[_EXPIRES]):
            return f"entry {key!r} has a NaN expiry"
    problem = expiry_problem(state.expiry, state.entries)
    if problem is not None:
        return problem
    stats = state.stats
    if min(stats.hits, stats.misses, stats.evictions, stats.expirations) < 0:
        return "negative counter"
    return None
