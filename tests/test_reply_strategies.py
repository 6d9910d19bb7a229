"""The strategies for driving a reliability policy: whole replies (status, headers, body) and
the time between events. What they promise, checked over what they draw; and every reply
they give is one the client reads without raising (a non-2xx never reads as a success)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure

import hf_pure as hf
from hf_pure.testing.strategies import (
    RETRY_AFTER,
    ROUND_STEPS,
    STATUSES,
    STATUSES_MORE,
    clock_steps,
    statuses,
    wire_replies,
)

FEW = settings(max_examples=150, deadline=None)
CHAT = hf.chat("meta-llama/Llama-3.1-8B-Instruct", ["hi"])


@FEW
@given(statuses())
def test_a_status_is_an_http_status(status: int) -> None:
    assert type(status) is int and 100 <= status <= 599


def test_the_listed_statuses_are_the_ones_a_client_tells_apart() -> None:
    listed = set(STATUSES) | set(STATUSES_MORE)
    assert {200, 204, 400, 401, 404, 422, 429, 500, 501, 503} <= listed
    assert all(100 <= s <= 599 for s in listed)


@FEW
@given(wire_replies("chat"))
def test_a_reply_is_status_headers_body(reply: tuple[int, dict[str, str], bytes]) -> None:
    status, headers, body = reply
    assert 100 <= status <= 599 and isinstance(body, bytes)
    assert all(type(k) is str and type(v) is str for k, v in headers.items())
    assert set(headers) <= {"Retry-After", "x-request-id"}
    if "Retry-After" in headers:
        assert status in (429, 503) and headers["Retry-After"] in RETRY_AFTER


@FEW
@given(wire_replies("chat"))
def test_every_reply_reads_without_raising(reply: tuple[int, dict[str, str], bytes]) -> None:
    status, headers, body = reply
    out = hf.decode_reply(CHAT, hf.raw_reply(status, body, headers))
    if not 200 <= status < 300:
        assert isinstance(out, Failure)
    if isinstance(out, Failure):
        assert isinstance(out.failure(), hf.HfErrorBase)


@FEW
@given(wire_replies("feature-extraction", changes=1))
def test_a_task_kind_gives_its_replies(reply: tuple[int, dict[str, str], bytes]) -> None:
    status, headers, body = reply
    out = hf.decode_reply(hf.feature_extraction("m", "hi"), hf.raw_reply(status, body, headers))
    assert isinstance(out, hf.Success | Failure)


def test_replies_cover_success_failure_and_rate_limits() -> None:
    seen: set[str] = set()

    @settings(max_examples=600, deadline=None, database=None)
    @given(wire_replies("chat"))
    def draw(reply: tuple[int, dict[str, str], bytes]) -> None:
        status, headers, body = reply
        out = hf.decode_reply(CHAT, hf.raw_reply(status, body, headers))
        seen.add("ok" if isinstance(out, hf.Success) else type(out.failure()).__name__)
        if "Retry-After" in headers:
            seen.add("retry-after")

    draw()
    assert {"ok", "ServerError", "RateLimited", "BadRequest", "retry-after"} <= seen


@FEW
@given(st.floats(0.001, 1e6), st.data())
def test_a_clock_step_is_finite_and_within_the_bound(bound: float, data: st.DataObject) -> None:
    step = data.draw(clock_steps(bound))
    assert type(step) is float and math.isfinite(step) and 0.0 <= step <= bound


def test_clock_steps_include_the_round_ones_up_to_the_bound() -> None:
    seen: set[float] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(clock_steps(10.0))
    def draw(step: float) -> None:
        seen.add(step)

    draw()
    assert {0.0, 10.0} <= seen
    assert not {s for s in ROUND_STEPS if s > 10.0} & seen


@pytest.mark.parametrize("bound", [0.0, -1.0, math.nan])
def test_a_clock_step_bound_must_be_positive(bound: float) -> None:
    with pytest.raises(ValueError, match="max_step"):
        clock_steps(bound)
