"""Metrics: counters, the latency sketch, the rolling window, merging and Prometheus text."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from returns.result import Success

from hf_pure.core.serial import from_plain, to_plain
from hf_pure.reliability.metrics import (
    ALPHA,
    EMPTY,
    EMPTY_HISTOGRAM,
    INDEX_MAX,
    INDEX_MIN,
    MAX_BUCKETS,
    MAX_VALUE,
    MIN_VALUE,
    Histogram,
    Metrics,
    RequestOutcome,
    bucket_index,
    bucket_value,
    bytes_per_second,
    error_rate,
    histogram_add,
    histogram_merge,
    histogram_quantile,
    merge,
    metrics_record,
    quantiles,
    requests_per_second,
    to_prometheus,
    window_totals,
)

# --- the reference model: keep every outcome, compute everything the obvious way -----------

TOLERANCE = ALPHA * (1 + 1e-9)  # the 1 % bound, with room for float rounding at bucket edges


def fold(outcomes: Iterable[RequestOutcome], m: Metrics = EMPTY) -> Metrics:
    for o in outcomes:
        m = metrics_record(m, o)
    return m


def exact_quantile(values: list[float], q: float) -> float:
    """Nearest rank: the r-th smallest with r = max(1, ceil(q * n)), r clamped to n."""
    ordered = sorted(values)
    n = len(ordered)
    r = min(n, max(1, math.ceil(q * n)))
    return ordered[r - 1]


def in_window(o: RequestOutcome, now: float) -> bool:
    return math.floor(now) - 59 <= math.floor(o.at) <= math.floor(now)


def ref_window(outcomes: list[RequestOutcome], now: float) -> tuple[int, int, int, int]:
    seen = [o for o in outcomes if in_window(o, now)]
    return (
        len(seen),
        sum(o.kind != "success" for o in seen),
        sum(o.bytes_sent for o in seen),
        sum(o.bytes_received for o in seen),
    )


def ref_counters(outcomes: list[RequestOutcome]) -> dict[tuple[str, str, str], int]:
    return dict(Counter((o.model, o.endpoint, o.kind) for o in outcomes))


def close(estimate: float | None, exact: float) -> bool:
    return estimate is not None and abs(estimate - exact) <= TOLERANCE * exact


# --- strategies ----------------------------------------------------------------------------

latencies = st.floats(min_value=MIN_VALUE, max_value=MAX_VALUE)
kinds = st.sampled_from(["success", "success", "RateLimited", "Timeout", "ServerError"])
names = st.sampled_from(["", "m1", 'we"ird\\model\nname'])
times = st.floats(min_value=0.0, max_value=500.0)


@st.composite
def outcomes(draw: st.DrawFn, at: st.SearchStrategy[float] = times) -> RequestOutcome:
    return RequestOutcome(
        draw(latencies),
        draw(kinds),
        draw(names),
        draw(st.sampled_from(["", "a", "b"])),
        draw(st.integers(0, 10_000)),
        draw(st.integers(0, 10_000)),
        draw(st.booleans()),
        draw(at),
    )


outcome_lists = st.lists(outcomes(), max_size=30)


# --- examples ------------------------------------------------------------------------------


def test_bucket_scheme_is_the_ddsketch_one() -> None:
    gamma = (1 + ALPHA) / (1 - ALPHA)
    assert bucket_index(1.0) == 0
    assert bucket_index(gamma * 1.0001) == 2
    assert bucket_index(0.5) == math.ceil(math.log(0.5) / math.log(gamma))
    assert bucket_value(0) == pytest.approx(2 / (1 + gamma))
    assert MAX_BUCKETS == INDEX_MAX - INDEX_MIN + 1 < 1300


def test_one_outcome_is_counted_everywhere() -> None:
    o = RequestOutcome(0.25, "success", "m", "e", 10, 200, False, 5.5)
    m = metrics_record(EMPTY, o)
    assert dict(m.requests) == {("m", "e", "success"): 1}
    assert (m.bytes_sent, m.bytes_received, m.cache_hits) == (10, 200, 0)
    assert m.latency.count == 1
    assert m.latency.sum == 0.25
    assert quantiles(m) == (0.25, 0.25, 0.25)  # clamped to the recorded min and max: exact
    assert window_totals(m, 5.9) == (1, 0, 10, 200)
    assert requests_per_second(m, 6.0) == 1 / 60
    assert bytes_per_second(m, 6.0) == 210 / 60
    assert error_rate(m, 6.0) == 0.0


def test_empty_metrics_answer_zero_and_none() -> None:
    assert quantiles(EMPTY) == (None, None, None)
    assert error_rate(EMPTY, 100.0) == 0.0
    assert requests_per_second(EMPTY, 100.0) == 0.0
    assert bytes_per_second(EMPTY, 100.0) == 0.0
    assert histogram_quantile(EMPTY_HISTOGRAM, 0.5) is None


def test_cache_hits_count_as_requests_but_not_as_latency() -> None:
    m = fold(
        [
            RequestOutcome(0.5, "success", "m", "e", at=1.0),
            RequestOutcome(0.0, "success", "m", "e", cache_hit=True, at=1.0),
        ]
    )
    assert m.requests[("m", "e", "success")] == 2
    assert m.cache_hits == 1
    assert m.latency.count == 1
    assert quantiles(m) == (0.5, 0.5, 0.5)
    assert window_totals(m, 1.0)[0] == 2


def test_error_rate_counts_every_kind_but_success() -> None:
    kinds = ["success", "success", "Timeout", "success", "RateLimited"]
    m = fold(RequestOutcome(0.1, k, at=10.0) for k in kinds)
    assert error_rate(m, 10.0) == 2 / 5
    assert m.requests[("", "", "Timeout")] == 1


def test_requests_per_second_over_the_last_minute() -> None:
    m = fold(RequestOutcome(0.1, "success", at=100.0 + i * 0.5) for i in range(240))  # 100 .. 219.5
    # at 219.9 the window is seconds 160..219: 120 outcomes
    assert requests_per_second(m, 219.9) == 2.0
    assert window_totals(m, 219.9)[0] == 120


def test_the_window_forgets_after_sixty_seconds() -> None:
    m = metrics_record(EMPTY, RequestOutcome(0.1, "Timeout", bytes_sent=7, at=10.5))
    assert window_totals(m, 10.5) == (1, 1, 7, 0)
    assert window_totals(m, 69.999) == (1, 1, 7, 0)  # seconds 10..69
    assert window_totals(m, 70.0) == (0, 0, 0, 0)  # seconds 11..70
    assert window_totals(m, 9.99) == (0, 0, 0, 0)  # not yet
    assert error_rate(m, 70.0) == 0.0
    assert m.requests[("", "", "Timeout")] == 1  # the counters never forget


def test_an_outcome_older_than_its_slot_is_dropped_from_the_window_only() -> None:
    m = fold([RequestOutcome(0.1, "success", at=75.0), RequestOutcome(0.1, "success", at=15.0)])
    assert window_totals(m, 75.0) == (1, 0, 0, 0)
    assert sum(m.requests.values()) == 2


@pytest.mark.parametrize("bad", [math.nan, -1.0, math.inf, -math.inf, 1e300])
def test_bad_latencies_and_times_are_clamped_not_raised(bad: float) -> None:
    m = metrics_record(EMPTY, RequestOutcome(bad, "success", at=bad))
    h = m.latency
    assert h.count == 1
    assert set(h.counts.keys()) <= {INDEX_MIN, INDEX_MAX}
    assert math.isfinite(h.sum) and 0.0 <= h.min == h.max <= MAX_VALUE
    p50 = quantiles(m)[0]
    assert p50 is not None and math.isfinite(p50)
    if abs(bad) < 1e15:
        assert window_totals(m, max(bad, 0.0))[0] == 1
    else:
        assert len(m.window) == 0 and window_totals(m, bad) == (0, 0, 0, 0)
    assert histogram_quantile(h, math.nan) is None


def test_quantile_q_is_clamped() -> None:
    h = EMPTY_HISTOGRAM
    for v in (1.0, 2.0, 3.0):
        h = histogram_add(h, v)
    assert histogram_quantile(h, -1.0) == 1.0
    assert histogram_quantile(h, 0.0) == 1.0
    assert histogram_quantile(h, 2.0) == 3.0
    assert close(histogram_quantile(h, 0.5), 2.0)


def test_prometheus_text() -> None:
    m = fold(
        [
            RequestOutcome(0.5, "success", 'org/m"1', "https://a\\b", 10, 20, at=1.0),
            RequestOutcome(0.5, "Timeout", "m\n2", "", at=1.0),
            RequestOutcome(0.0, "success", "m3", "", cache_hit=True, at=1.0),
        ]
    )
    text = to_prometheus(m)
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines[:2] == [
        "# HELP hf_pure_requests_total Requests finished, by model, endpoint and outcome.",
        "# TYPE hf_pure_requests_total counter",
    ]
    assert 'hf_pure_requests_total{model="m\\n2",endpoint="",outcome="Timeout"} 1' in lines
    assert (
        'hf_pure_requests_total{model="org/m\\"1",endpoint="https://a\\\\b",outcome="success"} 1'
        in lines
    )
    assert 'hf_pure_bytes_total{direction="sent"} 10' in lines
    assert 'hf_pure_bytes_total{direction="received"} 20' in lines
    assert "hf_pure_cache_hits_total 1" in lines
    assert "# TYPE hf_pure_request_duration_seconds summary" in lines
    assert 'hf_pure_request_duration_seconds{quantile="0.5"} 0.5' in lines
    assert 'hf_pure_request_duration_seconds{quantile="0.99"} 0.5' in lines
    assert "hf_pure_request_duration_seconds_sum 1.0" in lines
    assert "hf_pure_request_duration_seconds_count 2" in lines
    for name in ("requests_total", "bytes_total", "cache_hits_total"):
        assert f"# TYPE hf_pure_{name} counter" in lines
        assert any(line.startswith(f"# HELP hf_pure_{name} ") for line in lines)


def test_prometheus_text_of_nothing_says_nan_for_quantiles() -> None:
    lines = to_prometheus(EMPTY).splitlines()
    assert 'hf_pure_request_duration_seconds{quantile="0.95"} NaN' in lines
    assert "hf_pure_request_duration_seconds_count 0" in lines
    assert not any(line.startswith("hf_pure_requests_total{") for line in lines)


def _parse_labels(text: str) -> dict[str, str]:
    """A small parser of a Prometheus label set body (between the braces)."""
    labels: dict[str, str] = {}
    i = 0
    while i < len(text):
        eq = text.index("=", i)
        name = text[i:eq]
        assert text[eq + 1] == '"'
        j = eq + 2
        value = []
        while text[j] != '"':
            if text[j] == "\\":
                value.append({"\\": "\\", '"': '"', "n": "\n"}[text[j + 1]])
                j += 2
            else:
                value.append(text[j])
                j += 1
        labels[name] = "".join(value)
        i = j + 1
        if i < len(text):
            assert text[i] == ","
            i += 1
    return labels


@settings(max_examples=60, deadline=None)
@given(outcome_lists)
def test_prometheus_counters_parse_back_to_the_counts(items: list[RequestOutcome]) -> None:
    m = fold(items)
    found: dict[tuple[str, str, str], int] = {}
    for line in to_prometheus(m).splitlines():
        if line.startswith("#"):
            assert line.startswith(("# HELP ", "# TYPE "))
            continue
        head, _, value = line.rpartition(" ")
        float(value)  # every sample value is a number Prometheus can read
        if head.startswith("hf_pure_requests_total{"):
            labels = _parse_labels(head[len("hf_pure_requests_total{") : -1])
            found[(labels["model"], labels["endpoint"], labels["outcome"])] = int(value)
    assert found == ref_counters(items)


# --- properties ----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(latencies)
def test_a_bucket_answers_within_one_percent_of_its_values(x: float) -> None:
    i = bucket_index(x)
    assert INDEX_MIN <= i <= INDEX_MAX
    assert abs(bucket_value(i) - x) <= TOLERANCE * x


@settings(max_examples=150, deadline=None)
@given(
    st.lists(latencies, min_size=1, max_size=200),
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=5),
)
def test_quantiles_are_within_one_percent(values: list[float], qs: list[float]) -> None:
    h = EMPTY_HISTOGRAM
    for v in values:
        h = histogram_add(h, v)
    for q in [*qs, 0.5, 0.95, 0.99]:
        assert close(histogram_quantile(h, q), exact_quantile(values, q)), q
    m = fold(RequestOutcome(v, "success") for v in values)
    p50, p95, p99 = quantiles(m)
    assert close(p50, exact_quantile(values, 0.5))
    assert close(p95, exact_quantile(values, 0.95))
    assert close(p99, exact_quantile(values, 0.99))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=100))
def test_memory_is_bounded_whatever_is_recorded(values: list[float]) -> None:
    h = EMPTY_HISTOGRAM
    for v in values:
        h = histogram_add(h, v)
    assert len(h.counts) <= MAX_BUCKETS
    assert all(INDEX_MIN <= i <= INDEX_MAX for i in h.counts)
    assert h.count == sum(h.counts.values()) == len(values)
    assert math.isfinite(h.sum)
    if values:
        assert 0.0 <= h.min <= h.max <= MAX_VALUE


def test_memory_is_bounded_across_the_whole_range() -> None:
    h = EMPTY_HISTOGRAM
    x = 1e-9
    while x < 1e7:
        h = histogram_add(h, x)
        x *= 1.005
    assert len(h.counts) == MAX_BUCKETS
    m = fold(RequestOutcome(0.1, "success", at=float(t)) for t in range(1000))
    assert len(m.window) == 60


@settings(max_examples=100, deadline=None)
@given(outcome_lists, times)
def test_the_window_holds_exactly_the_last_sixty_seconds(
    items: list[RequestOutcome], dt: float
) -> None:
    now = max((o.at for o in items), default=0.0) + dt
    m = fold(items)
    assert window_totals(m, now) == ref_window(items, now)


@settings(max_examples=100, deadline=None)
@given(outcome_lists, outcome_lists)
def test_recording_is_merging_a_singleton(
    xs: list[RequestOutcome], ys: list[RequestOutcome]
) -> None:
    assert fold(xs + ys) == merge(fold(xs), fold(ys))


@settings(max_examples=100, deadline=None)
@given(outcome_lists, outcome_lists, outcome_lists)
def test_merge_is_associative_and_commutative(
    xs: list[RequestOutcome], ys: list[RequestOutcome], zs: list[RequestOutcome]
) -> None:
    a, b, c = fold(xs), fold(ys), fold(zs)
    assert merge(merge(a, b), c) == merge(a, merge(b, c))
    assert merge(a, b) == merge(b, a)
    assert merge(a, EMPTY) == a == merge(EMPTY, a)
    assert merge(a, Metrics()) == a  # an equal, not identical, empty value too
    ha, hb, hc = a.latency, b.latency, c.latency
    assert histogram_merge(histogram_merge(ha, hb), hc) == histogram_merge(
        ha, histogram_merge(hb, hc)
    )
    assert histogram_merge(ha, hb) == histogram_merge(hb, ha)
    assert histogram_merge(ha, Histogram()) == ha


def _round_trip_json(cls: type[object], value: object) -> None:
    plain = to_plain(value)
    assert from_plain(cls, plain) == Success(value)
    assert from_plain(cls, orjson.loads(orjson.dumps(plain))) == Success(value)


@settings(max_examples=60, deadline=None)
@given(outcome_lists)
def test_metrics_round_trip_through_plain_json(items: list[RequestOutcome]) -> None:
    m = fold(items)
    _round_trip_json(Metrics, m)
    _round_trip_json(Histogram, m.latency)
    for o in items:
        _round_trip_json(RequestOutcome, o)


def test_from_plain_refuses_extra_keys() -> None:
    plain = to_plain(EMPTY)
    plain["extra"] = 1
    assert not isinstance(from_plain(Metrics, plain), Success)


# --- the stateful test: two workers and a clock against the reference model ----------------


class MetricsMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.clock = 1000.0
        self.workers = [EMPTY, EMPTY]
        self.seen: list[list[RequestOutcome]] = [[], []]

    @rule(dt=st.one_of(st.floats(0.0, 2.0), st.floats(0.0, 120.0)))
    def advance(self, dt: float) -> None:
        self.clock += dt

    @rule(
        worker=st.integers(0, 1),
        o=outcomes(at=st.just(0.0)),
    )
    def record(self, worker: int, o: RequestOutcome) -> None:
        o = RequestOutcome(
            o.latency,
            o.kind,
            o.model,
            o.endpoint,
            o.bytes_sent,
            o.bytes_received,
            o.cache_hit,
            self.clock,
        )
        self.workers[worker] = metrics_record(self.workers[worker], o)
        self.seen[worker].append(o)

    @precondition(lambda self: bool(self.seen[0] or self.seen[1]))
    @rule()
    def check_merge_matches_everything_seen(self) -> None:
        merged = merge(self.workers[0], self.workers[1])
        self._check(merged, self.seen[0] + self.seen[1])
        assert merged == merge(self.workers[1], self.workers[0])

    @invariant()
    def each_worker_matches_its_reference(self) -> None:
        for m, seen in zip(self.workers, self.seen, strict=True):
            self._check(m, seen)

    def _check(self, m: Metrics, seen: list[RequestOutcome]) -> None:
        assert dict(m.requests) == ref_counters(seen)
        assert m.cache_hits == sum(o.cache_hit for o in seen)
        assert m.bytes_sent == sum(o.bytes_sent for o in seen)
        assert m.bytes_received == sum(o.bytes_received for o in seen)
        assert window_totals(m, self.clock) == ref_window(seen, self.clock)
        requests, errors, sent, received = ref_window(seen, self.clock)
        assert requests_per_second(m, self.clock) == requests / 60
        assert bytes_per_second(m, self.clock) == (sent + received) / 60
        assert error_rate(m, self.clock) == (errors / requests if requests else 0.0)
        timed = [o.latency for o in seen if not o.cache_hit]
        assert m.latency.count == len(timed)
        assert len(m.latency.counts) <= MAX_BUCKETS and len(m.window) <= 60
        if timed:
            for got, q in zip(quantiles(m), (0.5, 0.95, 0.99), strict=True):
                assert close(got, exact_quantile(timed, q))
        else:
            assert quantiles(m) == (None, None, None)


MetricsMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=40, deadline=None)
TestMetricsMachine = MetricsMachine.TestCase
