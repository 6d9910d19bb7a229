"""The cache's recency order: 32-tick chunks of keys, a filling head, and the watermarks.

See ``hf_pure.reliability.cache`` for what the slots mean; this module holds the helpers that
append a slot, walk the slots oldest first, and renumber the live entries (a compaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, TypeAlias, TypeVar

import immutables

K = TypeVar("K")
V = TypeVar("V")

# Positions in an entry tuple ``(value, expires_at, tick, key, put)``.
_VALUE: Final = 0
_EXPIRES: Final = 1
_TICK: Final = 2
_KEY: Final = 3
_PUT: Final = 4

#: One cache entry: ``(value, expires_at, tick, key, put)``; ``put`` is the entry's slot in
#: the expiry log, or -1 when its expiry is in the expiry heap (``reliability.expiry``). A
#: plain tuple: it is built on every put and get-hit, and a tuple costs ~10 ns where even a
#: Struct costs ~60.
Entry: TypeAlias = tuple[V, float, int, K, int]

_SLACK: Final = 64  # stale ticks (and expiry pairs) always allowed: small caches never compact
_CHUNK: Final = 32  # ticks per recency chunk
_SHIFT: Final = 5  # tick >> _SHIFT is its chunk
_MASK: Final = 31  # tick & _MASK is its slot in the chunk


def stamped(
    entries: immutables.Map[K, Entry[V, K]],
    order: immutables.Map[int, tuple[K, ...]],
    head: tuple[K, ...],
    tick: int,
    low: int,
    key: K,
) -> tuple[
    immutables.Map[K, Entry[V, K]], immutables.Map[int, tuple[K, ...]], tuple[K, ...], int, int
]:
    """The recency order once ``key`` (whose entry, in ``entries``, already has ``tick``) is
    appended as the newest slot, and ``tick`` handed out: ``head`` joins ``order`` when full,
    and too many stale slots make a compaction."""
    head = (*head, key)
    if len(head) == _CHUNK:
        order = order.set(tick >> _SHIFT, head)
        head = ()
    tick += 1
    if tick - low > 2 * len(entries) + _SLACK:
        return compacted(entries, order, head, tick, low)
    return entries, order, head, tick, low


def _slots(
    order: immutables.Map[int, tuple[K, ...]], head: tuple[K, ...], tick: int, low: int
) -> Iterator[tuple[int, K]]:
    """Every ``(tick, key)`` slot from ``low`` up to ``tick``, oldest first, stale ones too
    (a slot a hand-made state lacks is skipped)."""
    top = tick >> _SHIFT
    t = low
    while t < tick:
        chunk = t >> _SHIFT
        keys = head if chunk == top else order.get(chunk, ())
        end = min(tick, (chunk + 1) << _SHIFT)
        base = chunk << _SHIFT
        for u in range(t, end):
            if u - base < len(keys):
                yield u, keys[u - base]
        t = end


def live_keys(
    entries: immutables.Map[K, Entry[V, K]],
    order: immutables.Map[int, tuple[K, ...]],
    head: tuple[K, ...],
    tick: int,
    low: int,
) -> Iterator[K]:
    """The keys held, least recently used first."""
    for t, key in _slots(order, head, tick, low):
        live = entries.get(key)
        if live is not None and live[_TICK] == t:
            yield key


def compacted(
    entries: immutables.Map[K, Entry[V, K]],
    order: immutables.Map[int, tuple[K, ...]],
    head: tuple[K, ...],
    tick: int,
    low: int,
) -> tuple[
    immutables.Map[K, Entry[V, K]], immutables.Map[int, tuple[K, ...]], tuple[K, ...], int, int
]:
    """The live entries renumbered, oldest first, from the first multiple of 32 at or above
    ``tick``, so no stale slot is left: O(n), and it comes after at least n re-stamps."""
    keys = list(live_keys(entries, order, head, tick, low))
    base = (tick + _MASK) & ~_MASK
    with entries.mutate() as renumbered:
        for i, key in enumerate(keys):
            entry = renumbered[key]
            renumbered[key] = (entry[_VALUE], entry[_EXPIRES], base + i, entry[_KEY], entry[_PUT])
        entries = renumbered.finish()
    full = len(keys) & ~_MASK
    chunks = immutables.Map(
        ((base + i) >> _SHIFT, tuple(keys[i : i + _CHUNK])) for i in range(0, full, _CHUNK)
    )
    return entries, chunks, tuple(keys[full:]), base + len(keys), base
