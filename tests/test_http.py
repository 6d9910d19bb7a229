"""RawReply's headers (one frozen, hashable, case-insensitive value), the runner's cheap replies,
and HttpCall's cheap constructor."""

from __future__ import annotations

import copy
import gc
import inspect
import pickle
import weakref
from collections.abc import Iterator, KeysView, Mapping, ValuesView

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

import hf_pure as hf
from hf_pure.core.http import Headers, HttpCall, reply_from_wire


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


# ------------------------------------------------------ repeated names; the runner's replies


def wire_headers(pairs: list[tuple[str, str]]) -> CIMultiDictProxy[str]:
    """Headers as aiohttp hands them over."""
    return CIMultiDictProxy(CIMultiDict(pairs))


def test_a_repeated_header_name_keeps_every_pair_in_place() -> None:
    # a multidict's keys() names a repeated header once while values() gives each value:
    # zipped naively, every header after the repeat read its neighbour's value
    headers = Headers(
        wire_headers([("Set-Cookie", "a"), ("set-cookie", "b"), ("X-Request-Id", "r1")])
    )
    assert headers.get("x-request-id") == "r1"
    assert headers.getall("SET-COOKIE") == ("a", "b")
    assert headers.pairs == (("Set-Cookie", "a"), ("set-cookie", "b"), ("X-Request-Id", "r1"))
    reply = reply_from_wire(
        429, wire_headers([("Vary", "a"), ("Vary", "b"), ("Retry-After", "7")]), b"", None
    )
    assert reply.headers["retry-after"] == "7"
    error = hf.error_from_reply(reply)
    assert isinstance(error, hf.RateLimited)
    assert error.retry_after == 7.0


class CountingHeaders(Mapping[str, str]):
    """A mapping that counts how often its names and values are read."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self.pairs = pairs
        self.reads = 0

    def __getitem__(self, name: str) -> str:
        return self.pairs[name]

    def __iter__(self) -> Iterator[str]:
        self.reads += 1
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def keys(self) -> KeysView[str]:
        self.reads += 1
        return self.pairs.keys()

    def values(self) -> ValuesView[str]:
        self.reads += 1
        return self.pairs.values()


def test_the_runners_reply_reads_its_headers_only_when_asked_and_once() -> None:
    source = CountingHeaders({"Content-Type": "application/json", "X-Request-Id": "r9"})
    reply = reply_from_wire(200, source, b"{}", 12.5)
    assert (reply.status, reply.body, reply.received_at) == (200, b"{}", 12.5)
    assert source.reads == 0  # a successful decode reads the body only
    assert reply.request_id == "r9"
    reads = source.reads
    assert reply.content_type == "application/json"
    assert reply.headers.getall("x-request-id") == ("r9",)
    assert source.reads == reads  # made once, kept
    held = weakref.ref(source)
    del source
    gc.collect()
    assert held() is None  # the wrapped mapping is let go once read


statuses = st.integers(100, 599)
bodies = st.binary(max_size=20)
header_pairs = st.lists(st.tuples(names, st.text(alphabet="ab c/=;", max_size=5)), max_size=6)


@given(statuses, header_pairs, bodies, st.one_of(st.none(), st.floats(0, 2e9)))
def test_the_runners_reply_is_the_same_value_as_a_built_one(
    status: int, pairs: list[tuple[str, str]], body: bytes, received_at: float | None
) -> None:
    fast = reply_from_wire(status, wire_headers(pairs), body, received_at)
    built = hf.RawReply(
        status=status, headers=wire_headers(pairs), body=body, received_at=received_at
    )
    untouched = reply_from_wire(status, wire_headers(pairs), body, received_at)
    assert untouched == built and built == untouched  # equal before its headers were read
    assert hash(reply_from_wire(status, wire_headers(pairs), body, received_at)) == hash(built)
    assert repr(fast) == repr(built)
    assert fast.headers.pairs == tuple(pairs)
    assert dict(fast.headers) == dict(built.headers)
    assert (fast.request_id, fast.content_type) == (built.request_id, built.content_type)
    assert type(fast.headers) is Headers
    assert attrs.evolve(fast, status=status) == built
    assert attrs.asdict(fast, recurse=False) == attrs.asdict(built, recurse=False)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.status = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        fast.headers.missing  # type: ignore[attr-defined]  # noqa: B018


# ---------------------------------------------------------------- HttpCall


def test_http_call_builds_the_same_value_by_position_and_by_keyword() -> None:
    fields = {
        "method": "POST",
        "path": "/v1/chat/completions",
        "base": "hub",
        "query": (("a", "1"),),
        "body": b"{}",
        "content_type": "application/json",
        "stream": True,
        "timeout": 2.5,
    }
    by_keyword = HttpCall(**fields)  # type: ignore[arg-type]
    by_position = HttpCall(*fields.values())  # type: ignore[arg-type]
    assert by_keyword == by_position
    assert hash(by_keyword) == hash(by_position)
    assert {name: getattr(by_keyword, name) for name in fields} == fields  # nothing shuffled
    assert HttpCall("GET", "/") == HttpCall(method="GET", path="/", base="router", query=())
    assert HttpCall("GET", "/") != HttpCall("GET", "/", timeout=1.0)
    same_fields: object = ("GET", "/", "router", (), None, None, False, None)
    assert HttpCall("GET", "/") != same_fields


def test_http_call_constructor_matches_its_fields() -> None:
    """The hand-written constructor takes exactly the attrs fields, in order, with their
    defaults: a field added to one and not the other fails here."""
    params = inspect.signature(HttpCall).parameters
    fields = attrs.fields(HttpCall)
    assert list(params) == [f.name for f in fields]
    for field in fields:
        default = params[field.name].default
        assert default == (
            inspect.Parameter.empty if field.default is attrs.NOTHING else field.default
        )


def test_http_call_is_a_frozen_value() -> None:
    call = HttpCall("POST", "/x", body=b"{}", timeout=1.0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        call.path = "/y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        call.extra = 1  # type: ignore[attr-defined]
    assert attrs.evolve(call, path="/y") == HttpCall("POST", "/y", body=b"{}", timeout=1.0)
    assert pickle.loads(pickle.dumps(call)) == call
    assert copy.deepcopy(call) == call
    assert type(copy.copy(call)) is HttpCall
    assert repr(call) == (
        "HttpCall(method='POST', path='/x', base='router', query=(), body=b'{}', "
        "content_type=None, stream=False, timeout=1.0)"
    )
    match call:
        case HttpCall(method="POST", path=path):
            assert path == "/x"
        case _:
            pytest.fail("HttpCall does not match by field")
    with pytest.raises(TypeError):
        HttpCall("GET")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        HttpCall("GET", "/", colour="red")  # type: ignore[call-arg]
