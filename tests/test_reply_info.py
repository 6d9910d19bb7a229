"""Reply metadata, pure: the rate-limit headers read as a value (both families, total on any
text), ReplyInfo and Replied as values, and with_reply_info() as a request value that
delegates to the request it wraps."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.core.failures import retry_after_seconds
from hf_pure.core.rate_limit import ietf_param, parse_duration
from hf_pure.core.wrappers import (
    UNKNOWN_REPLY,
    RepliedCodec,
    StreamingWithReplyInfo,
)

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
CHAT: hf.ChatRequest = pipe(hf.chat(MODEL, ["Hi"]), hf.max_tokens(8))
ANSWER = (
    b'{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}]}'
)

# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("59.991s", 59.991),
        ("1.5", 1.5),
        ("30", 30.0),
        (" 2s ", 2.0),
        ("0s", 0.0),
        ("500us", 0.0005),
        ("7ns", 7e-9),
    ],
)
def test_durations_are_read_as_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", " ", "s", "-1s", "1x", "1.2.3s", "ms", "1m-2s", "∞s", "."])
def test_a_duration_that_cant_be_read_is_none(text: str) -> None:
    assert parse_duration(text) is None


# ---------------------------------------------------------------- the two header families


OPENAI = {
    "x-ratelimit-limit-requests": "600",
    "x-ratelimit-remaining-requests": "599",
    "x-ratelimit-reset-requests": "100ms",
    "x-ratelimit-limit-tokens": "200000",
    "x-ratelimit-remaining-tokens": "199976",
    "x-ratelimit-reset-tokens": "6m0s",
}


def test_openai_style_headers() -> None:
    assert hf.rate_limit_of(OPENAI) == hf.RateLimit(
        limit_requests=600,
        remaining_requests=599,
        reset_requests=0.1,
        limit_tokens=200000,
        remaining_tokens=199976,
        reset_tokens=360.0,
    )


@pytest.mark.parametrize(
    "headers",
    [
        # the Hub's structured form
        {"RateLimit": '"api";r=499;t=112', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'},
        # the draft's earlier forms
        {"RateLimit": "limit=500, remaining=499, reset=112", "RateLimit-Policy": "500;w=300"},
        {
            "RateLimit-Limit": "500",
            "RateLimit-Remaining": "499",
            "RateLimit-Reset": "112",
            "RateLimit-Policy": "500;w=300",
        },
    ],
)
def test_ietf_headers_fill_the_request_fields(headers: dict[str, str]) -> None:
    assert hf.rate_limit_of(headers) == hf.RateLimit(
        limit_requests=500, remaining_requests=499, reset_requests=112.0, window=300.0
    )


def test_names_are_case_insensitive_and_openai_comes_first() -> None:
    headers = {"X-RateLimit-Remaining-Requests": "7", "ratelimit": '"api";r=3;t=1'}
    found = hf.rate_limit_of(headers)
    assert found.remaining_requests == 7
    assert found.reset_requests == 1.0  # what OpenAI's left unset, the IETF header fills


def test_no_headers_is_all_none_and_not_known() -> None:
    found = hf.rate_limit_of({"content-type": "application/json"})
    assert found == hf.RateLimit()
    assert not found.known
    assert hf.rate_limit_of(OPENAI).known


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"x-ratelimit-remaining-requests": "-1"}, "remaining_requests"),
        ({"x-ratelimit-remaining-requests": "1.5"}, "remaining_requests"),
        ({"x-ratelimit-remaining-requests": "٣"}, "remaining_requests"),  # a non-ASCII digit
        ({"x-ratelimit-remaining-requests": "9" * 5000}, "remaining_requests"),
        ({"x-ratelimit-limit-tokens": "lots"}, "limit_tokens"),
        ({"x-ratelimit-reset-tokens": "soon"}, "reset_tokens"),
        ({"RateLimit": '"api";r=many;t=1'}, "remaining_requests"),
        ({"RateLimit": '"api";r=2.5'}, "remaining_requests"),
        ({"RateLimit-Policy": '"api";w=forever'}, "window"),
    ],
)
def test_a_garbled_header_leaves_its_field_none(headers: dict[str, str], field: str) -> None:
    assert getattr(hf.rate_limit_of(headers), field) is None


def test_ietf_param_reads_the_first_number_of_a_name() -> None:
    assert ietf_param('"api";r=499;t=112', ("t", "reset")) == 112.0
    assert ietf_param("limit=10, remaining=0, reset=9", ("t", "reset")) == 9.0
    assert ietf_param('"a";r=1, "b";r=2', ("r",)) == 1.0
    assert ietf_param("t=", ("t",)) is None
    assert ietf_param("nothing here", ("t",)) is None


def test_the_429_wait_reads_the_same_parameters() -> None:
    """failures.py's Retry-After fallback reuses ietf_param: the same forms as before."""
    assert retry_after_seconds({"RateLimit": '"api";r=0;t=42'}) == 42.0
    assert retry_after_seconds({"RateLimit": "limit=10, remaining=0, reset=9"}) == 9.0
    assert retry_after_seconds({"RateLimit": "x t=5"}) == 5.0
    assert retry_after_seconds({"RateLimit": "30"}) == 30.0  # a bare number: seconds
    assert retry_after_seconds({"RateLimit": '"api";r=0'}) is None


_header_names = st.sampled_from(
    [
        "ratelimit",
        "RateLimit-Policy",
        "ratelimit-limit",
        "RateLimit-Remaining",
        "ratelimit-reset",
        *(
            f"x-ratelimit-{what}-{unit}"
            for what in ("limit", "remaining", "reset")
            for unit in ("requests", "tokens")
        ),
        "x-request-id",
    ]
)


@given(st.dictionaries(_header_names, st.text(), max_size=8))
def test_any_header_values_never_raise(headers: dict[str, str]) -> None:
    found = hf.rate_limit_of(headers)
    for name in ("limit_requests", "remaining_requests", "limit_tokens", "remaining_tokens"):
        value = getattr(found, name)
        assert value is None or (type(value) is int and value >= 0)
    for name in ("reset_requests", "reset_tokens", "window"):
        value = getattr(found, name)
        assert value is None or (type(value) is float and 0 <= value < float("inf"))
    assert hf.ReplyInfo(200, headers).rate_limit == found


@given(st.lists(st.tuples(st.text(max_size=30), st.text()), max_size=6))
def test_any_headers_at_all_never_raise(pairs: list[tuple[str, str]]) -> None:
    info = hf.ReplyInfo(200, pairs)
    assert isinstance(info.rate_limit, hf.RateLimit)
    assert info.request_id == {k.lower(): v for k, v in reversed(pairs)}.get("x-request-id")


@given(st.text())
def test_any_duration_text_never_raises(text: str) -> None:
    value = parse_duration(text)
    assert value is None or 0 <= value < float("inf")


@given(st.text(alphabet="0123456789.hmsun µ", max_size=20))
def test_durations_of_plausible_characters_never_raise(text: str) -> None:
    value = parse_duration(text)
    assert value is None or 0 <= value < float("inf")


# ---------------------------------------------------------------- ReplyInfo and Replied


def test_reply_info_reads_its_headers() -> None:
    info = hf.ReplyInfo(200, {"X-Request-Id": "r-1", **OPENAI})
    assert info.request_id == "r-1"
    assert info.rate_limit.remaining_requests == 599
    assert info.headers["x-ratelimit-limit-requests"] == "600"
    assert info == hf.ReplyInfo(200, [("x-request-id", "r-1"), *OPENAI.items()])
    assert hash(info) == hash(hf.ReplyInfo(200, {"x-request-id": "r-1", **OPENAI}))
    assert info != hf.ReplyInfo(201, {"X-Request-Id": "r-1", **OPENAI})
    assert hf.ReplyInfo(200, {}).request_id is None


def test_replied_is_a_value_with_flat_accessors() -> None:
    info = hf.ReplyInfo(200, {"x-request-id": "r-1", "RateLimit": '"api";r=9;t=1'})
    pair: tuple[str, ...] = ("a", "b")
    replied = hf.Replied(pair, info)
    assert replied.value == ("a", "b")
    assert replied.request_id == "r-1"
    assert replied.status == 200
    assert replied.headers is info.headers
    assert replied.rate_limit.remaining_requests == 9
    assert replied == hf.Replied(("a", "b"), info)
    assert hash(replied) == hash(hf.Replied(("a", "b"), info))
    assert replied != hf.Replied(("a",), info)
    assert replied != hf.Replied(("a", "b"), hf.ReplyInfo(200, {"x-request-id": "r-2"}))
    assert hf.evolve(replied, value=("c",)).value == ("c",)
    assert "r-1" in repr(replied)


# ---------------------------------------------------------------- the wrapper as a request


def test_the_wrapper_is_a_value_and_a_cache_key_of_its_own() -> None:
    wrapped = hf.with_reply_info()(CHAT)
    assert wrapped == hf.with_reply_info()(CHAT)
    assert hash(wrapped) == hash(hf.with_reply_info()(CHAT))
    assert wrapped != CHAT  # type: ignore[comparison-overlap]
    assert len({wrapped, CHAT}) == 2
    assert wrapped.request is CHAT
    assert pickle.loads(pickle.dumps(wrapped)) == wrapped
    assert copy.deepcopy(wrapped) == wrapped


def test_the_wrapper_delegates_to_the_request() -> None:
    wrapped = hf.with_reply_info()(CHAT)
    assert isinstance(wrapped, StreamingWithReplyInfo)  # chat can stream
    limits = hf.Limits()
    assert wrapped.to_call() == CHAT.to_call()
    assert wrapped.to_stream_call() == CHAT.to_stream_call()
    assert wrapped.check(limits) is None
    assert wrapped.cacheable is False
    assert hf.with_reply_info()(hf.cacheable()(CHAT)).cacheable is True
    assert wrapped.model == MODEL  # what the reliable runner's breakers key on
    assert wrapped.stream is False
    assert hf.with_reply_info()(hf.streaming()(CHAT)).stream is True
    assert wrapped.timeout is None
    bad = hf.with_reply_info()(hf.temperature(9.0)(CHAT))
    assert bad.check(limits) == CHAT.with_option("temperature", 9.0).check(limits)


def test_a_request_that_cant_stream_gets_a_wrapper_that_cant_either() -> None:
    hub = hf.model_info("bert-base-uncased")
    wrapped = hf.with_reply_info()(hub)
    assert isinstance(wrapped, hf.WithReplyInfo)
    assert not hasattr(wrapped, "to_stream_call")
    assert not hasattr(wrapped, "codec")
    assert wrapped.model == hub.model == "bert-base-uncased"
    assert wrapped.to_call() == hub.to_call()


def test_decode_wraps_a_success_and_passes_an_error_through() -> None:
    wrapped = hf.with_reply_info()(CHAT)
    reply = hf.raw_reply(200, ANSWER, {"x-request-id": "r-7", **OPENAI})
    decoded = wrapped.decode(reply)
    assert isinstance(decoded, Success)
    replied = decoded.unwrap()
    assert replied.value == CHAT.decode(reply).unwrap()
    assert replied.request_id == "r-7"
    assert replied.rate_limit.remaining_tokens == 199976
    broken = hf.raw_reply(200, b'{"choices": 3}', {"x-request-id": "r-8"})
    assert wrapped.decode(broken) == CHAT.decode(broken)
    assert isinstance(wrapped.decode(broken), Failure)


def test_as_curl_and_validate_see_through_the_wrapper() -> None:
    wrapped = hf.with_reply_info()(CHAT)
    assert hf.as_curl(wrapped) == hf.as_curl(CHAT)
    streamed = hf.with_reply_info()(hf.streaming()(CHAT))
    assert hf.as_curl(streamed) == hf.as_curl(hf.streaming()(CHAT))
    assert hf.validate(hf.with_reply_info()(hf.temperature(9.0)(CHAT))) == hf.validate(
        hf.temperature(9.0)(CHAT)
    )


def test_evolve_changes_the_wrapped_request_and_names_the_fields() -> None:
    wrapped = hf.with_reply_info()(CHAT)
    hotter = hf.evolve(wrapped, request=hf.temperature(0.5)(CHAT))
    assert hotter.request.to_call().body != CHAT.to_call().body
    with pytest.raises(TypeError, match="has no field 'temperature'"):
        hf.evolve(wrapped, temperature=0.5)


def test_a_modifier_applied_after_the_wrapper_says_to_apply_it_last() -> None:
    wrapped = hf.with_reply_info()(CHAT)
    with pytest.raises(AttributeError, match=r"apply with_reply_info\(\) last in pipe"):
        hf.temperature(0.5)(wrapped)  # type: ignore[type-var]
    with pytest.raises(AttributeError, match="no attribute 'messages'"):
        _ = wrapped.messages  # type: ignore[attr-defined]


def test_the_codec_answers_replied_with_the_head_it_was_given() -> None:
    streamed = hf.with_reply_info()(hf.streaming()(CHAT))
    codec = streamed.codec
    assert isinstance(codec, RepliedCodec)
    inner = CHAT.codec
    event = hf.SseEvent(
        b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}'
    )
    chunks, ending = codec.events([event], "r-1")
    assert (chunks, ending) == inner.events([event], "r-1")
    info = hf.ReplyInfo(200, {"x-request-id": "r-1"})
    acc = codec.fold(codec.head(codec.start(), info), chunks)
    assert (acc.text, acc.count) == ("Hi", 1)
    answer = codec.finish(acc)
    assert answer == hf.Replied(inner.finish(inner.fold(inner.start(), chunks)), info)
    assert codec.as_chunk(answer) == inner.as_chunk(answer.value)
    assert codec.final(chunks[0]) == inner.final(chunks[0])
    # folded without a head (not through a runner): the reply is unknown, not invented
    assert codec.finish(codec.fold(codec.start(), chunks)).info == UNKNOWN_REPLY
