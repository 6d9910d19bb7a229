"""The latency sketch of the metrics: a log-bucketed histogram in the DDSketch style.

Value ``x`` goes to bucket ``ceil(log(x) / log(gamma))`` with ``gamma = (1 + a) / (1 - a)``,
``a = 0.01``. Bucket ``i`` holds ``(gamma**(i-1), gamma**i]`` and answers
``2 * gamma**i / (1 + gamma)``, which is within 1 % of every value in it. Indices are bounded
to the range of ``[MIN_VALUE, MAX_VALUE]`` (1 µs .. 100 000 s), so there are at most
``MAX_BUCKETS`` (1267) buckets whatever is recorded: smaller values (and 0, negatives, NaN,
counted as 0) fold into the lowest bucket, larger ones (and +inf) are clamped to
``MAX_VALUE``. The sum is kept as an integer number of nanoseconds so that merging is exact.

Quantiles use the nearest-rank definition: of ``n`` recorded latencies, the ``q``-quantile is
the ``r``-th smallest with ``r = max(1, ceil(q * n))``. The estimate is the representative
value of the bucket holding that rank, clamped to the recorded ``[min, max]``, so it is within
1 % of the exact value for latencies in ``[MIN_VALUE, MAX_VALUE]``; ranks 1 and ``n`` answer
the recorded min and max, which are exact.

``histogram_merge`` is associative and commutative with the empty histogram as identity.
"""

from __future__ import annotations

import math
from typing import Final

import attrs
import immutables

from hf_pure.core.value import Value

ALPHA: Final = 0.01
GAMMA: Final = (1 + ALPHA) / (1 - ALPHA)
MIN_VALUE: Final = 1e-6
MAX_VALUE: Final = 1e5

_INV_LOG_GAMMA: Final = 1.0 / math.log(GAMMA)
INDEX_MIN: Final = math.ceil(math.log(MIN_VALUE) * _INV_LOG_GAMMA)
INDEX_MAX: Final = math.ceil(math.log(MAX_VALUE) * _INV_LOG_GAMMA)
MAX_BUCKETS: Final = INDEX_MAX - INDEX_MIN + 1
_REPRESENTATIVE: Final = 2.0 / (1.0 + GAMMA)
NS: Final = 1e9  # the sum's unit: nanoseconds
_ceil = math.ceil
_log = math.log
_isnan = math.isnan


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
        return self.sum_ns / NS


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


def place(value: float, n: int, lo: float, hi: float) -> tuple[int, float, float, float]:
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
    i, value, lo, hi = place(value, h.count, h.min, h.max)
    counts = h.counts
    return Histogram(
        counts.set(i, counts.get(i, 0) + 1), h.count + 1, h.sum_ns + int(value * NS + 0.5), lo, hi
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


def histogram_quantiles(h: Histogram, qs: tuple[float, ...]) -> tuple[float | None, ...]:
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
    return histogram_quantiles(h, (q,))[0]
