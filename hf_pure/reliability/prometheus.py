"""The metrics in the Prometheus text exposition format (version 0.0.4)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from hf_pure.reliability.histogram import histogram_quantiles

if TYPE_CHECKING:
    from hf_pure.reliability.metrics import Metrics

QUANTILES: Final = (0.5, 0.95, 0.99)  # the latency quantiles reported
_isnan = math.isnan


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
    for q, v in zip(QUANTILES, histogram_quantiles(m.latency, QUANTILES), strict=True):
        lines.append(f'hf_pure_request_duration_seconds{{quantile="{q}"}} {_number(v)}')
    lines.append(f"hf_pure_request_duration_seconds_sum {_number(m.latency.sum)}")
    lines.append(f"hf_pure_request_duration_seconds_count {m.latency.count}")
    return "\n".join(lines) + "\n"
