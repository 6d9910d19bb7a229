"""Metrics: a fold of request outcomes into counters, a latency sketch and a rolling window.

Every finished request becomes an :class:`Outcome` value; ``metrics_record(m, outcome)`` folds
it into a :class:`Metrics` value. Nothing keeps samples and memory is bounded:

* **counters** per ``(model, endpoint, outcome kind)``, cache hits, bytes sent and received
  (one entry per distinct label set the program uses; kinds are the closed HfError names);
* a **latency histogram** in the DDSketch style: value ``x`` goes to bucket
  ``ceil(log(x) / log(gamma))`` with ``gamma = (1 + a) / (1 - a)``, ``a = 0.01``. Bucket ``i``
  holds ``(gamma**(i-1), gamma**i]`` and answers ``2 * gamma**i / (1 + gamma)``, which is within
  1 % of every value in it. Indices are bounded to the range of ``[MIN_VALUE, MAX_VALUE]``
  (1 µs .. 100 000 s), so there are at most ``MAX_BUCKETS`` (1267) buckets whatever is
  recorded: smaller values (and 0, negatives, NaN, counted as 0) fold into the lowest bucket,
  larger ones (and +inf) are clamped to ``MAX_VALUE``. The sum is kept as an integer number
  of nanoseconds so that merging is exact;
* a **rolling window** of the last 60 seconds in per-second slots: slot ``sec % 60`` holds the
  requests, errors and bytes of second ``sec = floor(outcome.at)``. A slot is replaced when a
  newer second with the same residue arrives; an outcome for a second older than its slot's
  is dropped (it is at least 60 s older than data already seen, so out of every window that
  data can be in). An outcome whose ``at`` is NaN, infinite or beyond 1e15 stays out of the
  window (it is still counted).

Quantiles use the nearest-rank definition: of ``n`` recorded latencies, the ``q``-quantile is
the ``r``-th smallest with ``r = max(1, ceil(q * n))``. The estimate is the representative
value of the bucket holding that rank, clamped to the recorded ``[min, max]``, so it is within
1 % of the exact value for latencies in ``[MIN_VALUE, MAX_VALUE]``; ranks 1 and ``n`` answer
the recorded min and max, which are exact. Cache hits are counted as requests (and in the
window) but not in the latency histogram, which measures round trips.

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

ALPHA: Final = 0.01
GAMMA: Final = (1 + ALPHA) / (1 - ALPHA)
MIN_VALUE: Final = 1e-6
MAX_VALUE: Final = 1e5
WINDOW_SECONDS: Final = 60
SUCCESS: Final = "success"

_INV_LOG_GAMMA: Final = 1.0 / math.log(GAMMA)
INDEX_MIN: Final = math.ceil(math.log(MIN_VALUE) * _INV_LOG_GAMMA)
INDEX_MAX: Final = math.ceil(math.log(MAX_VALUE) * _INV_LOG_GAMMA)
MAX_BUCKETS: Final = INDEX_MAX - INDEX_MIN + 1
_REPRESENTATIVE: Final = 2.0 / (1.0 + GAMMA)
_NS: Final = 1e9
_FAR: Final = 1e15  # |at| beyond this (or NaN) is not a usable time: kept out of the window
_ceil = math.ceil
_log = math.log
_floor = math.floor
_isnan = math.isnan

Key = tuple[str, str, str]


@attrs.frozen(repr=False)
class Outcome(Value):
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


@attrs.frozen(repr=False)
class Histogram(Value):
    """A log-bucketed sketch: bucket index -> count, plus count, exact sum (ns), min and max.

    ``min`` and ``max`` are 0.0 while ``count`` is 0.
    """

    counts: immutables.Map[int, int] = attrs.field(factory=immutables.Map)
    count: int = 0
    sum_ns: int = 0
    min: float = 0.0
    max: float = 0.0

    @property
    def sum(self) -> float:
        """The sum of the recorded (clamped) values, in seconds."""
        return self.sum_ns / _NS


EMPTY_HISTOGRAM: Final = Histogram()


def bucket_index(value: float) -> int:
    """The bucket a value falls in (clamped to ``INDEX_MIN .. INDEX_MAX``; NaN -> lowest)."""
    if value > MIN_VALUE:
        if value < MAX_VALUE:
            i = _ceil(_log(value) * _INV_LOG_GAMMA)
            return INDEX_MIN if i < INDEX_MIN else INDEX_MAX if i > INDEX_MAX else i
        return INDEX_MAX
    return INDEX_MIN


def bucket_value(index: int) -> float:
    """The representative value of a bucket: within ``ALPHA`` of everything it holds."""
    return float(GAMMA**index * _REPRESENTATIVE)


def _place(value: float, n: int, lo: float, hi: float) -> tuple[int, float, float, float]:
    """Where one more value goes in a histogram of ``n`` values spanning ``[lo, hi]``: its
    bucket, the value as recorded (clamped to ``[0, MAX_VALUE]``; NaN counts as 0) and the
    new span."""
    if value > MIN_VALUE:
        if value < MAX_VALUE:
            i = _ceil(_log(value) * _INV_LOG_GAMMA)
            if i < INDEX_MIN:
                i = INDEX_MIN
            elif i > INDEX_MAX:
                i = INDEX_MAX
        else:
            value = MAX_VALUE
            i = INDEX_MAX
    else:
        if not value >= 0.0:  # negative or NaN
            value = 0.0
        i = INDEX_MIN
    if not n:
        return i, value, value, value
    if value < lo:
        return i, value, value, hi
    if value > hi:
        return i, value, lo, value
    return i, value, lo, hi


def histogram_add(h: Histogram, value: float) -> Histogram:
    """``h`` with one more value (clamped to ``[0, MAX_VALUE]``; NaN counts as 0)."""
    i, value, lo, hi = _place(value, h.count, h.min, h.max)
    counts = h.counts
    return Histogram(
        counts.set(i, counts.get(i, 0) + 1), h.count + 1, h.sum_ns + int(value * _NS + 0.5), lo, hi
    )


def histogram_merge(a: Histogram, b: Histogram) -> Histogram:
    """The histogram of both inputs' values (associative, commutative, identity: empty)."""
    if not b.count:
        return a
    if not a.count:
        return b
    big, small = (a, b) if len(a.counts) >= len(b.counts) else (b, a)
    with big.counts.mutate() as counts:
        for i, c in small.counts.items():
            counts[i] = counts.get(i, 0) + c
        merged = counts.finish()
    return Histogram(
        merged,
        a.count + b.count,
        a.sum_ns + b.sum_ns,
        a.min if a.min <= b.min else b.min,
        a.max if a.max >= b.max else b.max,
    )


def _rank(q: float, n: int) -> int:
    """The 1-based nearest rank of quantile ``q`` among ``n`` values."""
    r = _ceil(q * n) if q > 0.0 else 1
    return 1 if r < 1 else n if r > n else r


def _quantiles(h: Histogram, qs: tuple[float, ...]) -> tuple[float | None, ...]:
    n = h.count
    if not n:
        return tuple(None for _ in qs)
    wanted = sorted((_rank(q, n), k) for k, q in enumerate(qs) if not _isnan(q))
    answers: list[float | None] = [None] * len(qs)
    if not wanted:
        return tuple(answers)
    lo, hi = h.min, h.max
    j = 0
    while j < len(wanted) and wanted[j][0] == 1:  # the smallest value is known exactly
        answers[wanted[j][1]] = lo
        j += 1
    seen = 0
    counts = h.counts
    for i in sorted(counts.keys()):
        seen += counts[i]
        while j < len(wanted) and wanted[j][0] <= seen:
            if wanted[j][0] == n:  # and so is the largest
                answers[wanted[j][1]] = hi
            else:
                v = bucket_value(i)
                answers[wanted[j][1]] = lo if v < lo else hi if v > hi else v
            j += 1
        if j == len(wanted):
            break
    # counts that disagree with ``count`` (foreign data): the rest are the largest value
    while j < len(wanted):
        answers[wanted[j][1]] = hi
        j += 1
    return tuple(answers)


def histogram_quantile(h: Histogram, q: float) -> float | None:
    """The nearest-rank ``q``-quantile estimate (``q`` clamped to [0, 1]); None when empty
    or ``q`` is NaN."""
    return _quantiles(h, (q,))[0]


Slot = tuple[int, int, int, int, int]
"""One second of the rolling window: ``(sec, requests, errors, bytes_sent, bytes_received)``
(a plain tuple: it is rebuilt on every record, and a tuple costs a tenth of a class)."""


class Metrics(State, frozen=True):
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
        requests,
        cache_hits,
        bytes_sent,
        bytes_received,
        window,
        h.counts,
        h.count,
        h.sum_ns,
        h.min,
        h.max,
    )


EMPTY: Final[Metrics] = Metrics()


def metrics_record(m: Metrics, outcome: Outcome) -> Metrics:
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
    no Outcome value is built)."""
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
            requests,
            m.cache_hits + 1,
            m.bytes_sent + sent,
            m.bytes_received + received,
            window,
            m.latency_counts,
            m.latency_count,
            m.latency_sum_ns,
            m.latency_min,
            m.latency_max,
        )
    # histogram_add on the Metrics' own fields (this runs once per request)
    n = m.latency_count
    i, value, lo, hi = _place(latency, n, m.latency_min, m.latency_max)
    counts = m.latency_counts
    return Metrics(
        requests,
        m.cache_hits,
        m.bytes_sent + sent,
        m.bytes_received + received,
        window,
        counts.set(i, counts.get(i, 0) + 1),
        n + 1,
        m.latency_sum_ns + int(value * _NS + 0.5),
        lo,
        hi,
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


QUANTILES: Final = (0.5, 0.95, 0.99)


def quantiles(m: Metrics) -> tuple[float | None, float | None, float | None]:
    """p50, p95, p99 of every latency recorded (cache hits excluded); None when none."""
    p50, p95, p99 = _quantiles(m.latency, QUANTILES)
    return (p50, p95, p99)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float | None) -> str:
    if value is None or _isnan(value):
        return "NaN"
    if value == math.inf:
        return "+Inf"
    if value == -math.inf:
        return "-Inf"
    return repr(float(value))


def to_prometheus(m: Metrics) -> str:
    """The Prometheus text exposition format (version 0.0.4) of ``m``, lines sorted."""
    lines = [
        "# HELP hf_pure_requests_total Requests finished, by model, endpoint and outcome.",
        "# TYPE hf_pure_requests_total counter",
    ]
    for (model, endpoint, kind), count in sorted(m.requests.items()):
        lines.append(
            f'hf_pure_requests_total{{model="{_label(model)}",endpoint="{_label(endpoint)}",'
            f'outcome="{_label(kind)}"}} {count}'
        )
    lines += [
        "# HELP hf_pure_bytes_total Bytes of request and reply bodies, by direction.",
        "# TYPE hf_pure_bytes_total counter",
        f'hf_pure_bytes_total{{direction="sent"}} {m.bytes_sent}',
        f'hf_pure_bytes_total{{direction="received"}} {m.bytes_received}',
        "# HELP hf_pure_cache_hits_total Requests answered from the local cache.",
        "# TYPE hf_pure_cache_hits_total counter",
        f"hf_pure_cache_hits_total {m.cache_hits}",
        "# HELP hf_pure_request_duration_seconds Request latency (cache hits excluded).",
        "# TYPE hf_pure_request_duration_seconds summary",
    ]
    for q, v in zip(QUANTILES, quantiles(m), strict=True):
        lines.append(f'hf_pure_request_duration_seconds{{quantile="{q}"}} {_number(v)}')
    lines.append(f"hf_pure_request_duration_seconds_sum {_number(m.latency.sum)}")
    lines.append(f"hf_pure_request_duration_seconds_count {m.latency.count}")
    return "\n".join(lines) + "\n"
