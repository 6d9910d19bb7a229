"""Mapping replies to HfError values: statuses, bodies, headers; total over any input."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import hf_pure as hf
from hf_pure.core.errors import ErrorEvent
from hf_pure.core.failures import error_from_event, error_from_reply, retry_after_seconds
from hf_pure.core.http import raw_reply
from hf_pure.testing.strategies import KINDS, wire_bodies


def test_401_bad_token() -> None:
    err = error_from_reply(raw_reply(401, b'{"error":"Invalid username or password."}'))
    assert err == hf.Unauthorized(401, "Invalid username or password.")
    assert "token" in err.message


def test_404_unknown_model_keeps_request_id() -> None:
    err = error_from_reply(
        raw_reply(404, b'{"error":"Model x/y does not exist"}', {"X-Request-Id": "abc"})
    )
    assert err == hf.NotFound("Model x/y does not exist", "abc")
    assert "abc" in str(err)


def test_429_retry_after_seconds() -> None:
    err = error_from_reply(raw_reply(429, b'{"error":"slow down"}', {"Retry-After": "7"}))
    assert err == hf.RateLimited(7.0, "slow down")


def test_429_retry_after_http_date_uses_the_reply_date_header() -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    later = datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC)
    headers = {
        "Retry-After": format_datetime(later, usegmt=True),
        "Date": format_datetime(now, usegmt=True),
    }
    err = error_from_reply(raw_reply(429, b"{}", headers))
    assert isinstance(err, hf.RateLimited)
    assert err.retry_after == pytest.approx(30.0)


def test_http_date_without_date_header_uses_received_at() -> None:
    later = datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC)
    headers = {"Retry-After": format_datetime(later, usegmt=True)}
    wait = retry_after_seconds(raw_reply(429, b"", headers).headers, later.timestamp() - 12)
    assert wait == pytest.approx(12.0)


def test_http_date_in_the_past_is_zero_and_unknown_without_reference() -> None:
    past = format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True)
    assert retry_after_seconds(raw_reply(429, b"", {"Retry-After": past}).headers, 2e9) == 0.0
    assert retry_after_seconds(raw_reply(429, b"", {"Retry-After": past}).headers) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"RateLimit": '"api";r=0;t=42'}, 42.0),
        ({"RateLimit": "limit=10, remaining=0, reset=9"}, 9.0),
        ({"RateLimit-Reset": "3"}, 3.0),
        ({"X-RateLimit-Reset": "1700000060", "Date": "Tue, 14 Nov 2023 22:13:20 GMT"}, 60.0),
        ({"Retry-After": "nonsense"}, None),
        ({"Retry-After": "-5"}, None),
        ({"Retry-After": "inf"}, None),
    ],
)
def test_ratelimit_headers(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(raw_reply(429, b"", headers).headers) == expected


def test_503_loading_with_estimated_time() -> None:
    body = b'{"error":"Model x is currently loading","estimated_time":20.0}'
    err = error_from_reply(raw_reply(503, body))
    assert err == hf.ModelLoading(20.0, "Model x is currently loading")
    assert hf.is_retryable(err)
    assert hf.server_wait(err) == 20.0


def test_html_502_from_a_proxy() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    err = error_from_reply(raw_reply(502, page, {"Content-Type": "text/html"}))
    assert isinstance(err, hf.ServerError)
    assert err.status == 502
    assert "HTML page" in err.detail
    assert "502 Bad Gateway" in err.detail


def test_422_validation_error_type() -> None:
    body = b'{"error":"Input validation error: `temperature` must be strictly positive",'
    body += b'"error_type":"validation"}'
    err = error_from_reply(raw_reply(422, body))
    assert isinstance(err, hf.BadRequest)
    assert err.error_type == "validation"
    assert not hf.is_retryable(err)


@pytest.mark.parametrize("kind", ["generation", "incomplete_generation"])
def test_tgi_generation_errors(kind: str) -> None:
    err = error_from_reply(raw_reply(500, b'{"error":"boom","error_type":"%s"}' % kind.encode()))
    assert err == hf.GenerationFailed(kind, "boom", 500)


def test_tgi_overloaded_is_retryable() -> None:
    err = error_from_reply(raw_reply(429, b'{"error":"busy","error_type":"overloaded"}'))
    assert isinstance(err, hf.Overloaded)
    assert hf.is_retryable(err)


def test_error_list_and_warnings() -> None:
    body = b'{"error":["first","second"],"warnings":["w"]}'
    assert error_from_reply(raw_reply(400, body)) == hf.BadRequest(400, "first; second")


def test_openai_style_error_object() -> None:
    body = b'{"error":{"message":"bad model","type":"invalid_request_error"}}'
    err = error_from_reply(raw_reply(400, body))
    assert err == hf.BadRequest(400, "bad model", "invalid_request_error")


def test_plain_text_and_error_headers() -> None:
    err = error_from_reply(raw_reply(500, b"", {"X-Error-Message": "kaput", "X-Error-Code": "E1"}))
    assert err == hf.ServerError(500, "kaput")
    text = error_from_reply(raw_reply(418, b"I'm a teapot\n\n  really"))
    assert text == hf.BadRequest(418, "I'm a teapot really")


def test_mid_stream_error_events_are_error_events_without_invented_statuses() -> None:
    assert error_from_event({"error": "oops", "error_type": "generation"}, "r") == ErrorEvent(
        "oops", "generation", None, request_id="r"
    )
    assert error_from_event({"error": "x", "error_type": "validation"}) == ErrorEvent(
        "x", "validation"
    )
    # a status the event itself names is kept as its code, not taken for the HTTP status
    assert error_from_event({"error": "x", "status": 429}) == ErrorEvent("x", None, 429)
    assert error_from_event({"error": {"message": "m", "code": 503}}).code == 503
    assert error_from_event({"error": "x", "status": 7}).code is None  # not a status
    plain = error_from_event({"error": "plain"})
    assert plain == ErrorEvent("plain")
    assert "HTTP" not in plain.message and "plain" in plain.message


@pytest.mark.parametrize(
    ("event", "retryable"),
    [
        (ErrorEvent("x", "overloaded"), True),
        (ErrorEvent("x", None, 429), True),
        (ErrorEvent("x", None, 408), True),
        (ErrorEvent("x", None, 400), False),
        (ErrorEvent("x", None, 503), True),
        (ErrorEvent("x", None, 501), False),
        (ErrorEvent("x", "generation"), False),
        (ErrorEvent("x", "validation", 422), False),
        (ErrorEvent("x"), False),
    ],
)
def test_error_events_retry_as_what_they_say(event: ErrorEvent, retryable: bool) -> None:
    assert hf.is_retryable(event) is retryable


def test_an_error_event_ending_a_stream_keeps_the_text_before_it() -> None:
    from hf_pure.core.request import ended_by
    from hf_pure.tasks.chat_stream import CHAT_CODEC

    chunks = [hf.ChatChunk(choices=(hf.ChunkChoice(delta=hf.Delta(content=t)),)) for t in "ab"]
    folded = CHAT_CODEC.fold(CHAT_CODEC.start(), chunks)
    err = ended_by(folded, ErrorEvent("boom", "generation"))
    assert err == ErrorEvent("boom", "generation", received="ab", chunks=2)
    assert "after 2 chunks" in err.message
    other = hf.ServerError(500)
    assert ended_by(folded, other) is other


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (hf.RateLimited(1.0), True),
        (hf.ServerError(500), True),
        (hf.ServerError(501), False),
        (hf.Timeout("read", 1.0), True),
        (hf.ConnectionFailed("x"), True),
        (hf.StreamInterrupted("", 0, "cut"), True),
        (hf.BadRequest(400), False),
        (hf.BadRequest(408), True),  # a timeout on the way: HTTP lets the client repeat it
        (hf.BadRequest(422), False),
        (hf.Unauthorized(401), False),
        (hf.Unauthorized(403), False),
        (hf.NotFound(), False),
        (hf.InvalidInput("f", "r"), False),
        (hf.MalformedResponse(200, "x"), False),
        (hf.CircuitOpen(5.0), False),
        (hf.RateLimitedLocally(1.0), False),
        (hf.NoHealthyEndpoint(("a",)), False),
    ],
)
def test_is_retryable(error: hf.HfError, retryable: bool) -> None:
    assert hf.is_retryable(error) is retryable


@given(
    status=st.integers(min_value=100, max_value=599),
    body=st.sampled_from(KINDS).flatmap(wire_bodies) | st.binary(max_size=300),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "Retry-After",
                "RateLimit",
                "Date",
                "X-Error-Message",
                "Content-Type",
                "RateLimit-Reset",
                "X-Request-Id",
            ]
        ),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    ),
)
def test_error_mapping_is_total(status: int, body: bytes, headers: dict[str, str]) -> None:
    err = error_from_reply(raw_reply(status, body, headers))
    assert isinstance(err, hf.HfErrorBase)
    assert isinstance(err.message, str)
    assert err.message


@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
    )
)
def test_error_from_event_is_total(obj: object) -> None:
    assert isinstance(error_from_event({"error": obj, "error_type": obj}), hf.HfErrorBase)
