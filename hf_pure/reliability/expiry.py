"""The cache's expiry order: which entry expires first, found without a scan.

An :class:`Expiry` knows every entry's expiry in one of two persistent parts:

    log   : Map[chunk, (key, ... 32 keys)] + head   the keys in put order, 32 to a chunk like
                                                    the recency order, while their expiries
                                                    never decrease (``last``: the latest);
                                                    with one default TTL and a clock moving
                                                    forward, every put: one tuple append
    heap  : Map[position, (expires_at, key)]        a binary min-heap of the puts that came
                                                    out of order (a shorter per-put TTL, a
                                                    clock that went back): O(log n) writes

An entry names its place: ``put`` is its slot in the log, or -1 for the heap. A slot or pair
whose entry has moved on (replaced, read as expired, deleted, evicted) is *stale*, and dropped
when it comes first. Stale ones never hide an expired entry: the log's first current slot is
its earliest expiry, and the heap's top is the heap's. Once the log and heap hold more than
four times the entries (plus a slack), :func:`expiry_rebuilt` renumbers the entries into a
fresh log (O(n log n), after at least 3n puts). The log holds keys only, no new object per put that
lives on: a busy cache's garbage collector has no more to walk than without the index.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Final, Generic, TypeVar

import immutables

from hf_pure.core.state import State
from hf_pure.reliability.recency import _CHUNK, _EXPIRES, _KEY, _MASK, _PUT, _SHIFT, Entry

K = TypeVar("K")
V = TypeVar("V")

_AT: Final = itemgetter(0)


class Expiry(State, Generic[K], frozen=True, kw_only=True):
    """Where each entry's expiry is kept: see the module docstring."""

    log: immutables.Map[int, tuple[K, ...]]
    head: tuple[K, ...]
    low: int
    tick: int
    last: float
    heap: immutables.Map[int, tuple[float, K]]


EMPTY: Final[Expiry[Any]] = Expiry(
    log=immutables.Map(), head=(), low=0, tick=0, last=-1.0, heap=immutables.Map()
)


#: Rebuild once the slots and pairs held outnumber this many times the entries (plus a slack).
STALE_FACTOR: Final = 4


def expiry_size(index: Expiry[Any]) -> int:
    """Slots and pairs held, stale ones included."""
    return index.tick - index.low + len(index.heap)


def expiry_push(index: Expiry[K], expires_at: float, key: K) -> tuple[Expiry[K], int]:
    """``index`` with a put's expiry added, and the entry's ``put`` (its slot, or -1)."""
    if expires_at < index.last:  # out of order (never true of a NaN): into the heap
        heap = _push(index.heap, (expires_at, key))
        return Expiry(
            log=index.log,
            head=index.head,
            low=index.low,
            tick=index.tick,
            last=index.last,
            heap=heap,
        ), -1
    tick = index.tick
    head = (*index.head, key)
    log = index.log
    if len(head) == _CHUNK:
        log = log.set(tick >> _SHIFT, head)
        head = ()
    return Expiry(
        log=log, head=head, low=index.low, tick=tick + 1, last=expires_at, heap=index.heap
    ), tick


def expiry_drop(
    index: Expiry[K], entries: immutables.Map[K, Entry[V, K]], now: float
) -> tuple[Expiry[K], immutables.Map[K, Entry[V, K]], int]:
    """Remove every entry expired at ``now``, earliest first: the new index and entries, and
    how many went. Stale slots and pairs met on the way are dropped."""
    log, head, low, tick, heap = index.log, index.head, index.low, index.tick, index.heap
    if not heap and low < tick:  # the common case: a current first slot, not expired yet
        chunk = low >> _SHIFT
        held = entries.get((head if chunk == tick >> _SHIFT else log[chunk])[low & _MASK])
        if held is not None and held[_PUT] == low and now < held[_EXPIRES]:
            return index, entries, 0
    top = tick >> _SHIFT
    gone = 0
    while True:
        first: Entry[V, K] | None = None  # the log's first current entry
        while low < tick:
            chunk = low >> _SHIFT
            held = entries.get((head if chunk == top else log[chunk])[low & _MASK])
            if held is not None and held[_PUT] == low:
                first = held
                break
            low += 1  # a stale slot
            if not low & _MASK:
                log = log.delete(chunk)
        if heap:
            at, key = heap[0]
            held = entries.get(key)
            if held is None or held[_PUT] != -1 or held[_EXPIRES] != at:  # a stale pair
                heap = _pop(heap)
                continue
            if first is None or at < first[_EXPIRES]:
                first = held
        if first is None or now < first[_EXPIRES]:
            break
        entries = entries.delete(first[_KEY])
        gone += 1
        if first[_PUT] == -1:
            heap = _pop(heap)
        else:
            low += 1
            if not low & _MASK:
                log = log.delete((low - 1) >> _SHIFT)
    if not gone and low == index.low and heap is index.heap:
        return index, entries, 0
    return Expiry(log=log, head=head, low=low, tick=tick, last=index.last, heap=heap), entries, gone


def expiry_rebuilt(
    entries: immutables.Map[K, Entry[V, K]],
) -> tuple[Expiry[K], immutables.Map[K, Entry[V, K]]]:
    """A fresh index of ``entries`` alone, all in the log, and the entries renumbered to it."""
    ordered = sorted(entries.values(), key=_EXPIRES_OF)
    keys = [entry[_KEY] for entry in ordered]
    renumbered = entries.mutate()
    for i, entry in enumerate(ordered):
        renumbered[entry[_KEY]] = (*entry[:_PUT], i)
    full = len(keys) & ~_MASK
    log = immutables.Map((i >> _SHIFT, tuple(keys[i : i + _CHUNK])) for i in range(0, full, _CHUNK))
    last = ordered[-1][_EXPIRES] if ordered else -1.0
    index = Expiry(
        log=log, head=tuple(keys[full:]), low=0, tick=len(keys), last=last, heap=immutables.Map()
    )
    return index, renumbered.finish()


_EXPIRES_OF: Final = itemgetter(_EXPIRES)


def expiry_problem(index: Expiry[K], entries: immutables.Map[K, Entry[V, K]]) -> str | None:
    """Why ``index`` does not describe ``entries`` as the transitions keep it, or None. O(n)."""
    if not 0 <= index.low <= index.tick or len(index.head) != index.tick & _MASK:
        return f"expiry log out of shape: low={index.low}, tick={index.tick}"
    top = index.tick >> _SHIFT
    for chunk in range(index.low >> _SHIFT, top):
        if len(index.log.get(chunk, ())) != _CHUNK:
            return f"expiry log chunk {chunk} is missing or not {_CHUNK} keys long"
    heap = index.heap
    for i in range(len(heap)):
        if i not in heap:
            return f"expiry heap of {len(heap)} pairs has no position {i}"
        if i and not heap[(i - 1) >> 1][0] <= heap[i][0]:
            return f"expiry heap position {i} expires before its parent"
    pairs = {(key, at) for at, key in heap.values()}
    previous = -1.0
    logged = sorted((e[_PUT], e) for e in entries.values() if e[_PUT] != -1)
    for put, entry in logged:
        key = entry[_KEY]
        if not index.low <= put < index.tick:
            return f"entry {key!r} has expiry slot {put} outside [{index.low}, {index.tick})"
        chunk = put >> _SHIFT
        keys = index.head if chunk == top else index.log.get(chunk, ())
        if (put & _MASK) >= len(keys) or keys[put & _MASK] != key:
            return f"entry {key!r} has expiry slot {put}, which the log does not map to it"
        if not previous <= entry[_EXPIRES] <= index.last:
            return f"entry {key!r} is out of expiry order in the log"
        previous = entry[_EXPIRES]
    for entry in entries.values():
        if entry[_PUT] == -1 and (entry[_KEY], entry[_EXPIRES]) not in pairs:
            return f"entry {entry[_KEY]!r} expires at {entry[_EXPIRES]}, which the heap lacks"
    return None


# ------------------------------------------------------------- the heap, in a persistent map


def _push(
    heap: immutables.Map[int, tuple[float, K]], pair: tuple[float, K]
) -> immutables.Map[int, tuple[float, K]]:
    m = heap.mutate()
    i = len(heap)
    while i:
        parent = (i - 1) >> 1
        above = m[parent]
        if above[0] <= pair[0]:
            break
        m[i] = above
        i = parent
    m[i] = pair
    return m.finish()


def _pop(heap: immutables.Map[int, tuple[float, K]]) -> immutables.Map[int, tuple[float, K]]:
    n = len(heap) - 1
    last = heap[n]
    if not n:
        return heap.delete(0)
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
        if low[0] >= last[0]:
            break
        m[i] = low
        i = child
    m[i] = last
    return m.finish()
