"""The cache's expiry order: a persistent binary min-heap of ``(expires_at, key)`` pairs.

The heap is an ``immutables.Map`` from position (``0 .. n - 1``) to pair, with the usual array
layout (the children of ``i`` are ``2i + 1`` and ``2i + 2``; no pair is earlier than its
parent), so the entry that expires first is always at position 0 and an old version stays
valid forever. A push is O(log n) map writes at worst and one write when the expiries come in
order (as they do with one default TTL and a clock that moves forward, the common case); a pop
is O(log n) writes.

The cache keeps the heap *lazily*: an entry replaced, read as expired, deleted or evicted for
room leaves its pair behind. A pair is current only while its key's entry still has that
expiry; a stale pair is dropped when it reaches the top, and :func:`expiry_of` rebuilds the
heap from the entries alone (O(n log n)) once the pairs outnumber twice the entries. Stale
pairs never hide an expired entry: each entry's own pair is in the heap, and the top pair is
the earliest of all.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import Final, TypeAlias, TypeVar

import immutables

K = TypeVar("K")

#: Position -> ``(expires_at, key)``; position 0 holds the earliest expiry.
Heap: TypeAlias = immutables.Map[int, tuple[float, K]]

_AT: Final = itemgetter(0)


def heap_push(heap: Heap[K], expires_at: float, key: K) -> Heap[K]:
    """``heap`` with ``(expires_at, key)`` added."""
    i = len(heap)
    if not i or heap[(i - 1) >> 1][0] <= expires_at:  # in order: the common case
        return heap.set(i, (expires_at, key))
    m = heap.mutate()
    while i:
        parent = (i - 1) >> 1
        above = m[parent]
        if above[0] <= expires_at:
            break
        m[i] = above
        i = parent
    m[i] = (expires_at, key)
    return m.finish()


def heap_pop(heap: Heap[K]) -> Heap[K]:
    """``heap`` without its top pair (``heap`` must not be empty)."""
    n = len(heap) - 1
    last = heap[n]
    if not n:
        return heap.delete(0)
    at = last[0]
    m = heap.mutate()
    del m[n]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        low = m[child]
        if child + 1 < n:
            right = m[child + 1]
            if right[0] < low[0]:
                child += 1
                low = right
        if low[0] >= at:
            break
        m[i] = low
        i = child
    m[i] = last
    return m.finish()


def expiry_of(pairs: Iterable[tuple[float, K]]) -> Heap[K]:
    """A heap of exactly ``pairs`` (a sorted sequence is a heap): O(n log n)."""
    return immutables.Map(enumerate(sorted(pairs, key=_AT)))


def heap_problem(heap: Heap[K]) -> str | None:
    """Why ``heap`` is not a heap, or None. O(n)."""
    n = len(heap)
    for i in range(n):
        if i not in heap:
            return f"expiry heap of {n} pairs has no position {i}"
        pair = heap[i]
        if not isinstance(pair, tuple) or len(pair) != 2:
            return f"expiry heap position {i} is not an (expires_at, key) pair"
        if i and not heap[(i - 1) >> 1][0] <= pair[0]:
            return f"expiry heap position {i} expires before its parent"
    return None
