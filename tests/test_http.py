"""RawReply's headers: converted on construction to one frozen, hashable, case-insensitive value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

import hf_pure as hf
from hf_pure.core.http import Headers


def test_a_plain_dict_with_retry_after_keeps_its_wait() -> None:
    reply = hf.RawReply(status=429, headers={"Retry-After": "2"}, body=b"")
    error = hf.error_from_reply(reply)
    assert isinstance(error, hf.RateLimited)
    assert error.retry_after == 2.0
    assert hf.retry_after_seconds({"Retry-After": "2"}) == 2.0


def test_every_form_of_headers_gives_the_same_value() -> None:
    forms = (
        {"Content-Type": "text/plain", "X-Request-Id": "r1"},
        [("content-type", "text/plain"), ("x-request-id", "r1")],
        CIMultiDictProxy(CIMultiDict({"CONTENT-TYPE": "text/plain", "x-Request-ID": "r1"})),
    )
    replies = [hf.RawReply(status=200, headers=h, body=b"") for h in forms]
    assert all(type(r.headers) is Headers for r in replies)
    assert len(set(replies)) == 1  # hashable, and equal whatever the case of the names
    assert all((r.request_id, r.content_type) == ("r1", "text/plain") for r in replies)


def test_headers_are_a_frozen_mapping() -> None:
    headers = Headers([("Set-Cookie", "a"), ("set-cookie", "b"), ("Vary", "Origin")])
    assert headers["SET-COOKIE"] == "a"  # the first of a repeated name
    assert headers.getall("set-cookie") == ("a", "b")
    assert headers.get("missing") is None
    assert headers.get("missing", "x") == "x"
    assert list(headers) == ["set-cookie", "vary"]
    assert len(headers) == 2
    assert "vary" in headers
    assert dict(headers) == {"set-cookie": "a", "vary": "Origin"}
    with pytest.raises(KeyError):
        headers["missing"]
    with pytest.raises(AttributeError):
        headers._names = ()
    with pytest.raises(AttributeError):
        headers.extra = 1


def test_a_reply_does_not_change_when_the_callers_dict_does() -> None:
    given_headers = {"Retry-After": "2"}
    reply = hf.RawReply(status=429, headers=given_headers, body=b"")
    given_headers["Retry-After"] = "999"
    assert reply.headers["retry-after"] == "2"


@pytest.mark.parametrize(
    "bad",
    [{"Retry-After": 2}, {b"retry-after": "2"}, [("only-a-name",)], [("a", "b", "c")]],
)
def test_wrong_typed_headers_are_a_type_error_naming_headers(bad: object) -> None:
    with pytest.raises(TypeError, match="headers"):
        hf.RawReply(status=200, headers=bad, body=b"")  # type: ignore[arg-type]


def test_raw_reply_names_a_body_given_in_the_wrong_place() -> None:
    with pytest.raises(TypeError, match="body"):
        hf.raw_reply(429, {"Retry-After": "2"}, b"")  # type: ignore[arg-type]
    assert hf.raw_reply(429, b"", {"Retry-After": "2"}).headers["retry-after"] == "2"


names = st.text(alphabet="abcXYZ-", min_size=1, max_size=6)


@given(st.lists(st.tuples(names, st.text(max_size=5)), max_size=6), st.data())
def test_lookup_ignores_the_case_of_names(
    pairs: list[tuple[str, str]], data: st.DataObject
) -> None:
    headers = Headers(pairs)
    for name, _ in pairs:
        cased = "".join(data.draw(st.sampled_from((c.lower(), c.upper()))) for c in name)
        # the model: the first pair whose name matches, ignoring case
        expected = next(v for n, v in pairs if n.lower() == name.lower())
        assert headers.get(cased) == expected
    assert hash(headers) == hash(Headers([(n.upper(), v) for n, v in pairs]))
