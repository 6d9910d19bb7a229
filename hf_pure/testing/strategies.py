"""Hypothesis strategies for wire-shaped JSON: the real reply shapes of the Hugging Face
endpoints (WIRE.md), with any field replaced by arbitrary JSON of any type and depth.

Fuzzing a decoder with random bytes almost never gets past its JSON parser; these strategies
give it replies that look right everywhere but one or two places, which is where a decoder
that trusts the wire breaks::

    from hypothesis import given
    from hf_pure.testing.strategies import wire_bodies

    @given(wire_bodies("chat"))
    def test_my_pipeline_never_raises(body: bytes) -> None:
        ...  # feed body to the decoder under test

``hypothesis`` is a test dependency: this module imports it, ``hf_pure.testing`` does not.
Like the emulator, it is written from the wire formats and imports nothing of the client.

Shapes (``KINDS``): ``chat`` (a chat completion), ``chat_chunk`` (the data of one chat stream
event), ``tgi`` (a text generation reply with details), ``tgi_event`` (one TGI stream event),
``error`` (an error body), and one per hf-inference task of the WIRE.md table
(``TASK_KINDS``). :func:`valid` gives the shape as documented, :func:`mutated` replaces,
removes or adds fields, :func:`wire_json` mixes both, :func:`edges` moves fields to the edges of
their own type (or null, or away), :func:`wire_bodies` and :func:`sse_streams` give them as
bytes. For whole replies and the time between them (to drive a reliability policy):
:func:`statuses`, :func:`wire_replies` (status, headers, body) and :func:`clock_steps`.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import Any, Final

from hypothesis import strategies as st

from ._wire_shapes import (
    KINDS,
    SHAPES,
    TASK_KINDS,
    chars,
    chat_chunks,
    chat_completions,
    error_bodies,
    tgi_events,
    tgi_replies,
)

SearchStrategy = st.SearchStrategy
Json = Any

# --------------------------------------------------------------------------- arbitrary JSON

#: Strings that have broken decoders: empty, NUL, escapes, bidi controls, combining marks,
#: astral plane, the JSON and SSE punctuation, numbers and keywords as text.
ODD_STRINGS: Final = (
    "",
    "\x00",
    "\\",
    '"',
    "\n\n",
    "data: [DONE]",
    "[DONE]",
    "\u202e\u2066",
    "e\u0301\u0301\u0301",
    "\U0001f9d1\u200d\U0001f680",
    "\ufeff",
    "\uffff",
    "null",
    "true",
    "1e999",
    "-0",
    "NaN",
    "{}",
    "error",
    "assistant",
    "stop",
)

#: Numbers at the edges: 64-bit limits and beyond, a 400-digit integer, the float extremes.
ODD_NUMBERS: Final = (
    0,
    -1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64 - 1,
    2**64,
    -(2**63) - 1,
    10**400,
    -(10**400),
    0.5,
    -0.0,
    1e308,
    -1e308,
    5e-324,
    sys.float_info.max,
)


@cache
def _text() -> SearchStrategy[str]:
    # no lone surrogates: they can't be written as UTF-8, so no server sends them raw
    return st.sampled_from(ODD_STRINGS) | st.text(chars(), max_size=12)


def _scalars() -> SearchStrategy[Json]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(ODD_NUMBERS),
        st.floats(allow_nan=False, allow_infinity=False),
        _text(),
    )


@cache  # a strategy is immutable; building a recursive one is what costs
def json_values(max_leaves: int = 12) -> SearchStrategy[Json]:
    """Any JSON value: null, booleans, integers of any size, finite floats, odd unicode text,
    and arrays and objects nested to any depth."""
    return st.recursive(
        _scalars(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text(), inner, max_size=4),
        max_leaves=max_leaves,
    )


def task_replies(task: str) -> SearchStrategy[Json]:
    """The reply of one hf-inference task (one of ``TASK_KINDS``), as the table shows it."""
    return valid(task)


def valid(kind: str) -> SearchStrategy[Json]:
    """The shape ``kind`` (one of ``KINDS``) exactly as documented."""
    try:
        make = SHAPES[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}") from None
    return make()


# --------------------------------------------------------------------------- changing fields


def _paths(value: Json, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``value`` (the root included), parents before children."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.extend(_paths(item, (*prefix, i)))
    return out


def _replace(value: Json, path: tuple[Any, ...], new: Json) -> Json:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def _delete(value: Json, path: tuple[Any, ...]) -> Json:
    head, rest = path[0], path[1:]
    if not rest:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != head}
        return [v for i, v in enumerate(value) if i != head]
    if isinstance(value, dict):
        return {**value, head: _delete(value[head], rest)}
    copy = list(value)
    copy[head] = _delete(copy[head], rest)
    return copy


_ACTIONS: Final = st.sampled_from(("replace", "replace", "replace", "delete", "add"))


@st.composite
def _mutate(draw: Any, base: SearchStrategy[Json], changes: int) -> Json:
    value = draw(base)
    for _ in range(draw(st.integers(1, changes))):
        paths = _paths(value)
        # the root is one place among many; a field deep inside is where decoders trust most
        path = draw(st.sampled_from(paths[1:] or paths))
        action = draw(_ACTIONS)
        if action == "delete" and path:
            value = _delete(value, path)
        elif action == "add":
            extra = {draw(_text()): draw(json_values(6))}
            target = _get(value, path)
            if isinstance(target, dict):
                value = _replace(value, path, {**target, **extra})
            else:
                value = _replace(value, path, draw(json_values()))
        else:
            value = _replace(value, path, draw(json_values()))
    return value


_INTS: Final = tuple(n for n in ODD_NUMBERS if type(n) is int)
_FLOATS: Final = (*(n for n in ODD_NUMBERS if type(n) is float), 0, -3)


def _edge_of(draw: Any, value: Json) -> Json:
    """A value of the same JSON type as ``value`` at an edge (empty or odd text, a number at a
    64-bit or float limit, an empty array or object), or, less often, null."""
    if draw(st.integers(0, 7)) == 7:
        return None
    if type(value) is str:  # "" is where `x or default` and `x if x is not None` differ
        return draw(st.just("") | st.sampled_from(ODD_STRINGS))
    if type(value) is bool:
        return not value
    if type(value) is int:
        return draw(st.sampled_from(_INTS))
    if type(value) is float:
        return draw(st.sampled_from(_FLOATS))
    if type(value) is list:
        return []
    if type(value) is dict:
        return {}
    return value


def _edged(draw: Any, value: Json) -> Json:
    """``value`` with each field and item, independently, kept (mostly), moved to an edge of
    its type, or (a field) removed."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            roll = draw(st.integers(0, 7))  # 0, where hypothesis shrinks to: kept as it is
            if roll == 7:
                continue  # removed
            out[key] = _edge_of(draw, item) if roll >= 5 else _edged(draw, item)
        return out
    if isinstance(value, list):
        return [
            _edge_of(draw, item) if draw(st.integers(0, 7)) == 7 else _edged(draw, item)
            for item in value
        ]
    return value


@st.composite
def _edge(draw: Any, base: SearchStrategy[Json]) -> Json:
    return _edged(draw, draw(base))


def edges(kind: str) -> SearchStrategy[Json]:
    """The shape ``kind`` as documented, with some fields moved to an edge of their own type
    (empty or odd text, 0 and the 64-bit limits, empty arrays and objects), set to null or
    removed: replies that mostly stay readable, for checking that two ways of reading a reply
    agree (a typed fast path and a lenient one) where a random change would break both."""
    return _edge(valid(kind))


def _get(value: Json, path: tuple[Any, ...]) -> Json:
    for key in path:
        value = value[key]
    return value


def mutated(base: SearchStrategy[Json], changes: int = 3) -> SearchStrategy[Json]:
    """Values of ``base`` with 1 to ``changes`` changes, each at a place chosen anywhere in the
    value (the root, an object, a field, an array item): replaced by arbitrary JSON (any type,
    any depth, huge numbers, odd text), removed, or (in an object) joined by an extra field."""
    return _mutate(base, changes)


def wire_json(kind: str, changes: int = 3) -> SearchStrategy[Json]:
    """The shape ``kind`` (one of ``KINDS``) as documented, or with fields changed."""
    base = valid(kind)
    return base | mutated(base, changes)


def encode(value: Json) -> bytes:
    """JSON bytes as a server writes them (UTF-8, no ASCII escaping; integers of any size)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode()


def wire_bodies(kind: str, changes: int = 3) -> SearchStrategy[bytes]:
    """:func:`wire_json` encoded as a reply body."""
    return wire_json(kind, changes).map(encode)


def sse_streams(kind: str = "chat_chunk", max_events: int = 6) -> SearchStrategy[list[bytes]]:
    """The data of each event of a stream (``chat_chunk`` or ``tgi_event``): wire-shaped
    events, sometimes an error event, a ``[DONE]`` (chat only) or a line that is not JSON."""
    event = wire_bodies(kind)
    odd = st.sampled_from([b"[DONE]", b"not json", b"", b"{"]) | wire_bodies("error", 1)
    return st.lists(event | odd, max_size=max_events)


# --------------------------------------------------------------------------- whole replies

#: Statuses a client has to tell apart: successes (204: no body), the refusals of the request,
#: rate limiting, the server failing (501: not retried), and the ones a client never expects
#: (1xx, 3xx, an unassigned 4xx).
STATUSES: Final = (200, 201, 204, 400, 401, 403, 404, 408, 413, 418, 422, 429, 500, 501, 502)
STATUSES_MORE: Final = (503, 504, 100, 302, 499, 599)


def statuses() -> SearchStrategy[int]:
    """An HTTP status as a server may send it: mostly one of ``STATUSES`` and
    ``STATUSES_MORE``, sometimes any status in 100..599."""
    return st.sampled_from((*STATUSES, *STATUSES_MORE)) | st.integers(100, 599)


#: ``Retry-After`` values: seconds, zero, a fraction, negative, huge, an HTTP date in the past
#: and far in the future, and text that is neither.
RETRY_AFTER: Final = (
    "0",
    "1",
    "7",
    "120",
    "0.5",
    "-1",
    "99999999999999999999",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "soon",
    "",
)


def _odd_body() -> SearchStrategy[bytes]:
    return st.sampled_from([b"", b"<html><body>Bad Gateway</body></html>", b"upstream down", b"{"])


@st.composite
def _reply(draw: Any, kind: str, changes: int) -> tuple[int, dict[str, str], bytes]:
    status = draw(statuses())
    if 200 <= status < 300:
        body = draw(wire_bodies(kind, changes) | wire_bodies("error", 1))
    else:
        body = draw(error_bodies().map(encode) | wire_bodies("error", 1) | _odd_body())
    headers = {}
    if status in (429, 503) and draw(st.booleans()):
        headers["Retry-After"] = draw(st.sampled_from(RETRY_AFTER))
    if draw(st.booleans()):
        headers["x-request-id"] = draw(st.text("0123456789abcdef", min_size=1, max_size=12))
    return status, headers, body


def wire_replies(
    kind: str = "chat", changes: int = 3
) -> SearchStrategy[tuple[int, dict[str, str], bytes]]:
    """A whole reply as a server sends it: ``(status, headers, body)``. A 2xx carries the shape
    ``kind`` (:func:`wire_bodies`: as documented or changed) or an error body; any other status
    an error body, an HTML or text page, or nothing; a 429 or 503 sometimes a ``Retry-After``
    (``RETRY_AFTER``); any, sometimes, a request id. Build the client's reply from it with
    ``hf.raw_reply(status, body, headers)``."""
    return _reply(kind, changes)


#: Steps at which timeouts, windows and refills end in the defaults and usual settings.
ROUND_STEPS: Final = (0.0, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0)


def clock_steps(max_step: float = 120.0) -> SearchStrategy[float]:
    """Time passing between two events, in seconds, never negative: 0 (two events at once),
    the smallest steps, the round numbers where timeouts and windows end (``ROUND_STEPS``, up
    to ``max_step``), and any finite step up to ``max_step``: for driving a reliability policy
    (breaker, bucket, cache, failover) with time passed in."""
    if not max_step > 0:
        raise ValueError(f"max_step must be > 0, got {max_step!r}")
    rounds = [step for step in ROUND_STEPS if step <= max_step]
    return st.sampled_from([*rounds, 5e-324, 1e-9]) | st.floats(
        0.0, max_step, allow_nan=False, allow_infinity=False
    )


__all__ = [
    "KINDS",
    "ODD_NUMBERS",
    "ODD_STRINGS",
    "RETRY_AFTER",
    "ROUND_STEPS",
    "STATUSES",
    "STATUSES_MORE",
    "TASK_KINDS",
    "chat_chunks",
    "chat_completions",
    "clock_steps",
    "edges",
    "encode",
    "error_bodies",
    "json_values",
    "mutated",
    "sse_streams",
    "statuses",
    "task_replies",
    "tgi_events",
    "tgi_replies",
    "valid",
    "wire_bodies",
    "wire_json",
    "wire_replies",
]
