"""Model status as values, pure: decided from status codes, headers and body fields (never from
the words of a message), and the wait plan, checked against a model written from its rule."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.core.http import raw_reply
from hf_pure.tasks.hub_reply import ModelProvider
from hf_pure.tasks.hub_status import (
    PATIENT_POLL,
    QUICK_POLL,
    STEADY_POLL,
    ModelReady,
    ModelStatus,
    PollAgain,
    StopWaiting,
    WaitPlan,
    WaitState,
    status_from_error,
    status_from_info,
    status_from_reply,
    status_from_result,
    wait_start,
    wait_step,
)

M = "org/model"
WARM_INFO = (
    b'{"id":"org/model","inference":"warm","inferenceProviderMapping":'
    b'{"groq":{"providerId":"m","status":"live","task":"conversational"},'
    b'"novita":{"providerId":"m","status":"staging","task":"conversational"}}}'
)
COLD_INFO = (
    b'{"id":"org/model","inferenceProviderMapping":'
    b'{"novita":{"providerId":"m","status":"staging","task":"conversational"}}}'
)


def seen(status: int, body: bytes = b"", headers: dict[str, str] | None = None, **kw: Any) -> Any:
    return status_from_reply(M, raw_reply(status, body, headers or {}), **kw)


# ------------------------------------------------------------------ from replies


def test_a_2xx_task_answer_is_available() -> None:
    assert seen(200, b"[]") == hf.Available(model=M)


def test_the_hub_says_available_when_warm_or_live() -> None:
    assert seen(200, WARM_INFO, hub=True) == hf.Available(model=M, providers=("groq",))
    cold = seen(200, COLD_INFO, hub=True)
    assert isinstance(cold, hf.Unavailable) and not cold.transient
    assert isinstance(seen(200, b"<html>", hub=True), hf.Unavailable)


def test_not_found_and_the_hubs_repo_not_found_code() -> None:
    body = b'{"error":"Model org/model does not exist"}'
    assert seen(404, body) == hf.ModelNotFound(model=M, detail="Model org/model does not exist")
    # the Hub answers 401 for a private or missing repo, and says so in X-Error-Code
    private = seen(
        401, b'{"error":"Invalid username or password."}', {"X-Error-Code": "RepoNotFound"}
    )
    assert isinstance(private, hf.ModelNotFound)


@pytest.mark.parametrize("code", [401, 403])
def test_gated_is_the_hubs_gated_repo_code(code: int) -> None:
    body = b'{"error":"Access to model org/model is restricted."}'
    assert seen(code, body, {"X-Error-Code": "GatedRepo"}) == hf.Gated(
        model=M, detail="Access to model org/model is restricted."
    )
    # the same words without the code are not read as gated: it is refused access
    refused = seen(code, body)
    assert isinstance(refused, hf.Unavailable)
    assert (refused.status, refused.transient) == (code, False)


def test_loading_is_a_503_with_a_number_estimated_time() -> None:
    assert seen(503, b'{"error":"Model org/model is currently loading","estimated_time":20.0}') == (
        hf.Loading(model=M, estimated_time=20.0)
    )
    assert seen(503, b'{"error":"x","estimated_time":7}') == hf.Loading(model=M, estimated_time=7.0)


@pytest.mark.parametrize(
    "body",
    [
        b'{"error":"Model org/model is currently loading"}',  # the words alone decide nothing
        b'{"error":"loading","estimated_time":"20"}',
        b'{"error":"loading","estimated_time":-1}',
        b'{"error":"loading","estimated_time":true}',
        b"Service Unavailable",
    ],
)
def test_a_503_without_a_usable_estimate_is_transiently_unavailable(body: bytes) -> None:
    got = seen(503, body)
    assert isinstance(got, hf.Unavailable)
    assert (got.status, got.transient) == (503, True)


@pytest.mark.parametrize(
    ("code", "transient"),
    [(429, True), (500, True), (502, True), (504, True), (501, False), (400, False), (422, False)],
)
def test_other_statuses_are_unavailable_and_transient_when_asking_again_may_work(
    code: int, transient: bool
) -> None:
    got = seen(code, b'{"error":"nope"}')
    assert got == hf.Unavailable(model=M, reason="nope", status=code, transient=transient)


def test_a_redirect_not_followed_says_where_to() -> None:
    got = seen(307, b"Temporary Redirect", {"Location": "/api/models/new/id"})
    assert isinstance(got, hf.Unavailable) and not got.transient
    assert "/api/models/new/id" in got.reason


def test_a_proxy_page_is_described_not_dumped() -> None:
    got = seen(502, b"<html><title>502 Bad Gateway</title><body>...</body></html>")
    assert isinstance(got, hf.Unavailable) and got.transient
    assert "502 Bad Gateway" in got.reason


# ------------------------------------------------------------------ from runner results


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (hf.ModelLoading(12.0, "loading"), hf.Loading(model=M, estimated_time=12.0)),
        (hf.NotFound("gone"), hf.ModelNotFound(model=M, detail="gone")),
    ],
)
def test_errors_that_name_a_status(error: hf.HfError, expected: ModelStatus) -> None:
    assert status_from_error(M, error) == expected


@pytest.mark.parametrize(
    ("error", "status", "transient"),
    [
        (hf.Unauthorized(401, "bad token"), 401, False),
        (hf.RateLimited(3.0), None, True),
        (hf.ServerError(503, "down"), 503, True),
        (hf.ServerError(501, "no"), 501, False),
        (hf.BadRequest(422, "bad input"), 422, False),
        (hf.Timeout("total", 5.0), None, True),
        (hf.ConnectionFailed("refused"), None, True),
    ],
)
def test_other_errors_are_unavailable(
    error: hf.HfError, status: int | None, transient: bool
) -> None:
    got = status_from_error(M, error)
    assert got == hf.Unavailable(model=M, reason=error.message, status=status, transient=transient)


def test_results_of_info_and_of_tasks() -> None:
    info = hf.ModelInfo(
        id=M, providers=(ModelProvider(provider="groq", provider_id="m", status="live"),)
    )
    assert status_from_result(M, Success(info)) == hf.Available(model=M, providers=("groq",))
    assert status_from_result(M, Success("an answer")) == hf.Available(model=M)
    assert status_from_result(M, Failure(hf.NotFound())) == hf.ModelNotFound(model=M)
    assert status_from_info(hf.ModelInfo(id=M, inference="warm")) == hf.Available(model=M)


# ------------------------------------------------------------------ the wait plan


def test_the_presets_poll_every_2_5_and_10_seconds() -> None:
    assert [p.interval for p in (QUICK_POLL, STEADY_POLL, PATIENT_POLL)] == [2.0, 5.0, 10.0]
    assert (WaitPlan.quick(), WaitPlan.steady(), WaitPlan.patient()) == (
        QUICK_POLL,
        STEADY_POLL,
        PATIENT_POLL,
    )
    assert all(p.deadline > p.interval for p in (QUICK_POLL, STEADY_POLL, PATIENT_POLL))


@pytest.mark.parametrize(
    "fields", [{"interval": 0}, {"deadline": -1.0}, {"interval": math.inf}, {"honour_estimate": 1}]
)
def test_a_bad_plan_is_refused_at_construction(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError if "honour_estimate" not in fields else TypeError):
        WaitPlan(**fields)  # type: ignore[arg-type]


def test_a_loading_model_is_polled_after_its_estimate_until_it_answers() -> None:
    state = wait_start(100.0)
    state, first = wait_step(STEADY_POLL, state, hf.Loading(model=M, estimated_time=20.0), 100.0)
    assert first == PollAgain(after=20.0)
    state, second = wait_step(STEADY_POLL, state, hf.Loading(model=M, estimated_time=1.0), 120.0)
    assert second == PollAgain(after=5.0)  # the interval is the least wait
    state, third = wait_step(STEADY_POLL, state, hf.Available(model=M), 125.0)
    assert third == ModelReady(status=hf.Available(model=M))
    assert state == WaitState(started=100.0, polls=3)


def test_the_last_poll_is_at_the_deadline() -> None:
    plan = WaitPlan(deadline=30.0, interval=10.0)
    state = wait_start(0.0)
    state, decision = wait_step(plan, state, hf.Loading(model=M, estimated_time=100.0), 0.0)
    assert decision == PollAgain(after=30.0)
    state, decision = wait_step(plan, state, hf.Loading(model=M, estimated_time=100.0), 30.0)
    assert isinstance(decision, StopWaiting) and "gave up after 30 s and 2 polls" in decision.reason


@pytest.mark.parametrize(
    "status",
    [
        hf.ModelNotFound(model=M),
        hf.Gated(model=M),
        hf.Unavailable(model=M, reason="refused", status=403),
    ],
)
def test_a_status_that_waiting_cannot_change_stops_at_once(status: ModelStatus) -> None:
    _, decision = wait_step(STEADY_POLL, wait_start(0.0), status, 0.0)
    assert decision == StopWaiting(status=status, reason=status.message)


# A model of the rule, written from the docstring of wait_step (not from its code):
# ready on Available; stop on a status that won't change by waiting; otherwise, before the
# deadline, wait the interval or the honoured estimate if longer, never past the deadline
# (within a microsecond of the deadline is at it).


def expected(plan: WaitPlan, start: float, status: ModelStatus, now: float) -> str | float:
    if isinstance(status, hf.Available):
        return "ready"
    waiting = isinstance(status, hf.Loading) or (
        isinstance(status, hf.Unavailable) and status.transient
    )
    if not waiting or now >= start + plan.deadline - 1e-6:
        return "stop"
    wait = plan.interval
    if isinstance(status, hf.Loading) and plan.honour_estimate and status.estimated_time:
        wait = max(wait, status.estimated_time)
    return min(wait, start + plan.deadline - now)


STATUSES = st.one_of(
    st.builds(hf.Loading, model=st.just(M), estimated_time=st.none() | st.floats(0, 500)),
    st.builds(
        hf.Unavailable,
        model=st.just(M),
        reason=st.just("r"),
        status=st.sampled_from([None, 429, 503, 400]),
        transient=st.booleans(),
    ),
    st.just(hf.Available(model=M)),
    st.just(hf.ModelNotFound(model=M)),
    st.just(hf.Gated(model=M)),
)
PLANS = st.builds(
    WaitPlan,
    deadline=st.floats(0.5, 2000),
    interval=st.floats(0.1, 60),
    honour_estimate=st.booleans(),
)


@given(PLANS, st.floats(-1e6, 1e6), st.lists(STATUSES, min_size=1, max_size=40))
def test_driving_the_plan_matches_the_rule_and_never_passes_the_deadline(
    plan: WaitPlan, start: float, statuses: list[ModelStatus]
) -> None:
    state, now = wait_start(start), start
    for polls, status in enumerate(statuses, start=1):
        state, decision = wait_step(plan, state, status, now)
        assert state.polls == polls and state.started == start
        want = expected(plan, start, status, now)
        if want == "ready":
            assert isinstance(decision, ModelReady) and decision.status == status
            return
        if want == "stop":
            assert isinstance(decision, StopWaiting) and decision.status == status
            return
        assert isinstance(decision, PollAgain)
        assert decision.after == pytest.approx(want)
        assert decision.after > 0
        now += decision.after
        assert now <= start + plan.deadline + 1e-6 * max(1.0, abs(start))
