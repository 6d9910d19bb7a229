"""Metrics: a fold of request outcomes into counters, a latency sketch and a rolling window.

Every finished request becomes a :class:`RequestOutcome` value; ``metrics_record(m, outcome)``
folds it into a :class:`Metrics` value. Nothing keeps samples and memory is bounded:

* **counters** per ``(model, endpoint, outcome kind)``, cache hits, bytes sent and received
  (one entry per distinct label set the program uses; kinds are the closed HfError names);
* a **latency histogram** (:mod:`hf_pure.reliability.histogram`: log buckets within 1 %,
  at most 1267 of them whatever is recorded, an exact integer sum);
* a **rolling window** of the last 60 seconds in per-second slots: slot ``sec % 60`` holds the
  requests, errors and bytes of second ``sec = floor(outcome.at)``. A slot is replaced when a
  newer second with the same residue arrives; an outcome for a second older than its slot's
  is dropped (it is at least 60 s older than data already seen, so out of every window that
  data can be in). An outcome whose ``at`` is NaN, infinite or beyond 1e15 stays out of the
  window (it is still counted).

Quantiles are the histogram's nearest-rank estimates (within 1 %; min and max exact). Cache
hits are counted as requests (and in the window) but not in the latency histogram, which
measures round trips. :mod:`hf_pure.reliability.prometheus` writes the text exposition format.

The rolling window at ``now`` covers the seconds ``floor(now) - 59 .. floor(now)``; rates
divide by the full 60 s (so they ramp up during the first minute, as Prometheus' ``rate``
would). ``error_rate`` is errors / requests in the window (0.0 without requests); an error is
any outcome whose ``kind`` is not ``"success"``.

``merge(a, b)`` adds counters and buckets, takes min/max, and combines window slots per
residue by "newer second wins, equal seconds add". It is associative and commutative with
``EMPTY`` as identity, exactly (all sums are integers), and ``metrics_record(m, o)`` equals
``merge(m, metrics_record(EMPTY, o))``: workers fold locally and combine in any order.

Transitions (every event leaves the machine in its one state, "counting")::

    event                        effect
    record(o), o.cache_hit       requests[model, endpoint, kind] += 1; cache_hits += 1;
                                 bytes += o.bytes; window slot += (1, err, bytes)
    record(o), not cache hit     as above but latency histogram += o.latency
                                 instead of cache_hits += 1
    window slot, o second newer  slot replaced by (second, 1, err, bytes)
    window slot, same second     slot counts added
    window slot, o second older  window unchanged (outcome older than 60 s of newer data)
    merge(a, b)                  counters and buckets added; min/max combined;
                                 window slots combined by the same three rules
"""

from __future__ import annotations

import math
from typing import Final

import attrs
import immutables
import msgspec

from hf_pure.core.state import State
from hf_pure.core.value import Value
from hf_pure.reliability.histogram import (
    ALPHA,
    EMPTY_HISTOGRAM,
    GAMMA,
    INDEX_MAX,
    INDEX_MIN,
    MAX_BUCKETS,
    MAX_VALUE,
    MIN_VALUE,
    NS,
    Histogram,
    bucket_index,
    bucket_value,
    histogram_add,
    histogram_merge,
    histogram_quantile,
    histogram_quantiles,
    place,
)
from hf_pure.reliability.prometheus import QUANTILES, to_prometheus

WINDOW_SECONDS: Final = 60
SUCCESS: Final = "success"
_FAR: Final = 1e15  # |at| beyond this (or NaN) is not a usable time: kept out of the window
_floor = math.floor

Key = tuple[str, str, str]


@attrs.frozen(repr=False)
class RequestOutcome(Value):
    """One finished request. ``kind`` is ``"success"`` or the HfError class name.

    ``latency`` in seconds; ``at`` is when it finished (monotonic seconds, for the window).
    """

    latency: float
    kind: str
    model: str = ""
    endpoint: str = ""
    bytes_sent: int = 0
    bytes_received: int = 0
    cache_hit: bool = False
    at: float = 0.0


Slot = tuple[int, int, int, int, int]
"""One second of the rolling window: ``(sec, requests, errors, bytes_sent, bytes_received)``
(a plain tuple: it is rebuilt on every record, and a tuple costs a tenth of a class)."""


class Metrics(State, frozen=True, kw_only=True):
    """Everything recorded so far. Build from ``EMPTY`` with ``metrics_record`` or ``merge``.

    ``requests`` maps ``(model, endpoint, kind)`` to a count; ``window`` maps ``sec % 60`` to
    the slot of the newest second seen with that residue. The latency histogram's fields are
    kept inline (``latency_*``), so that recording a request builds one value, not two;
    ``latency`` gives them as a :class:`Histogram`.
    """

    requests: immutables.Map[Key, int] = msgspec.field(default_factory=immutables.Map)
    cache_hits: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    window: immutables.Map[int, Slot] = msgspec.field(default_factory=immutables.Map)
    latency_counts: immutables.Map[int, int] = msgspec.field(default_factory=immutables.Map)
    latency_count: int = 0
    latency_sum_ns: int = 0
    latency_min: float = 0.0
    latency_max: float = 0.0

    @property
    def latency(self) -> Histogram:
        return Histogram(
            self.latency_counts,
            self.latency_count,
            self.latency_sum_ns,
            self.latency_min,
            self.latency_max,
        )


def _with_latency(
    requests: immutables.Map[Key, int],
    cache_hits: int,
    bytes_sent: int,
    bytes_received: int,
    window: immutables.Map[int, Slot],
    h: Histogram,
) -> Metrics:
    return Metrics(
        requests=requests,
        cache_hits=cache_hits,
        bytes_sent=bytes_sent,
        bytes_received=bytes_received,
        window=window,
        latency_counts=h.counts,
        latency_count=h.count,
        latency_sum_ns=h.sum_ns,
        latency_min=h.min,
        latency_max=h.max,
    )


EMPTY: Final[Metrics] = Metrics()


def metrics_record(m: Metrics, outcome: RequestOutcome) -> Metrics:
    """``m`` with one more outcome folded in."""
    o = outcome
    return metrics_add(
        m,
        o.latency,
        o.kind,
        o.model,
        o.endpoint,
        o.bytes_sent,
        o.bytes_received,
        o.cache_hit,
        o.at,
    )


def metrics_add(
    m: Metrics,
    latency: float,
    kind: str,
    model: str = "",
    endpoint: str = "",
    sent: int = 0,
    received: int = 0,
    cache_hit: bool = False,
    at: float = 0.0,
) -> Metrics:
    """:func:`metrics_record` with the outcome's fields given directly (the per-request path:
    no RequestOutcome value is built)."""
    key = (model, endpoint, kind)
    requests = m.requests
    requests = requests.set(key, requests.get(key, 0) + 1)
    window = m.window
    if -_FAR < at < _FAR:
        sec = _floor(at)
        k = sec % WINDOW_SECONDS
        err = 0 if kind == SUCCESS else 1
        slot = window.get(k)
        if slot is None or slot[0] < sec:
            window = window.set(k, (sec, 1, err, sent, received))
        elif slot[0] == sec:
            window = window.set(
                k, (sec, slot[1] + 1, slot[2] + err, slot[3] + sent, slot[4] + received)
            )
    if cache_hit:
        return Metrics(
            requests=requests,
            cache_hits=m.cache_hits + 1,
            bytes_sent=m.bytes_sent + sent,
            bytes_received=m.bytes_received + received,
            window=window,
            latency_counts=m.latency_counts,
            latency_count=m.latency_count,
            latency_sum_ns=m.latency_sum_ns,
            latency_min=m.latency_min,
            latency_max=m.latency_max,
        )
    # histogram_add on the Metrics' own fields (this runs once per request)
    n = m.latency_count
    i, value, lo, hi = place(latency, n, m.latency_min, m.latency_max)
    counts = m.latency_counts
    return Metrics(
        requests=requests,
        cache_hits=m.cache_hits,
        bytes_sent=m.bytes_sent + sent,
        bytes_received=m.bytes_received + received,
        window=window,
        latency_counts=counts.set(i, counts.get(i, 0) + 1),
        latency_count=n + 1,
        latency_sum_ns=m.latency_sum_ns + int(value * NS + 0.5),
        latency_min=lo,
        latency_max=hi,
    )


def _merge_slot(a: Slot, b: Slot) -> Slot:
    if a[0] != b[0]:
        return a if a[0] > b[0] else b
    return (a[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4])


def merge(a: Metrics, b: Metrics) -> Metrics:
    """Both workers' metrics as one (associative, commutative, ``EMPTY`` is the identity)."""
    if b is EMPTY:
        return a
    if a is EMPTY:
        return b
    with a.requests.mutate() as requests:
        for key, c in b.requests.items():
            requests[key] = requests.get(key, 0) + c
        merged_requests = requests.finish()
    with a.window.mutate() as window:
        for k, slot in b.window.items():
            mine = window.get(k)
            window[k] = slot if mine is None else _merge_slot(mine, slot)
        merged_window = window.finish()
    return _with_latency(
        merged_requests,
        a.cache_hits + b.cache_hits,
        a.bytes_sent + b.bytes_sent,
        a.bytes_received + b.bytes_received,
        merged_window,
        histogram_merge(a.latency, b.latency),
    )


def window_totals(m: Metrics, now: float) -> tuple[int, int, int, int]:
    """``(requests, errors, bytes_sent, bytes_received)`` of the seconds
    ``floor(now) - 59 .. floor(now)``."""
    if not -_FAR < now < _FAR:
        return (0, 0, 0, 0)
    top = _floor(now)
    low = top - (WINDOW_SECONDS - 1)
    requests = errors = sent = received = 0
    for sec, r, e, s, b in m.window.values():
        if low <= sec <= top:
            requests += r
            errors += e
            sent += s
            received += b
    return (requests, errors, sent, received)


def error_rate(m: Metrics, now: float) -> float:
    """Errors / requests over the rolling window (0.0 when it holds no request)."""
    requests, errors, _, _ = window_totals(m, now)
    return errors / requests if requests else 0.0


def requests_per_second(m: Metrics, now: float) -> float:
    """Requests in the rolling window / 60 s."""
    return window_totals(m, now)[0] / WINDOW_SECONDS


def bytes_per_second(m: Metrics, now: float) -> float:
    """Bytes sent plus received in the rolling window / 60 s."""
    _, _, sent, received = window_totals(m, now)
    return (sent + received) / WINDOW_SECONDS


def quantiles(m: Metrics) -> tuple[float | None, float | None, float | None]:
    """p50, p95, p99 of every latency recorded (cache hits excluded); None when none."""
    p50, p95, p99 = histogram_quantiles(m.latency, QUANTILES)
    return (p50, p95, p99)


__all__ = [
    "ALPHA",
    "EMPTY",
    "EMPTY_HISTOGRAM",
    "GAMMA",
    "INDEX_MAX",
    "INDEX_MIN",
    "MAX_BUCKETS",
    "MAX_VALUE",
    "MIN_VALUE",
    "QUANTILES",
    "SUCCESS",
    "WINDOW_SECONDS",
    "Histogram",
    "Key",
    "Metrics",
    "RequestOutcome",
    "Slot",
    "bucket_index",
    "bucket_value",
    "bytes_per_second",
    "error_rate",
    "histogram_add",
    "histogram_merge",
    "histogram_quantile",
    "merge",
    "metrics_add",
    "metrics_record",
    "quantiles",
    "requests_per_second",
    "to_prometheus",
    "window_totals",
]
