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
removes or adds fields, :func:`wire_json` mixes both, :func:`wire_bodies` and
:func:`sse_streams` give them as bytes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, Final

from hypothesis import strategies as st

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


def _chars() -> SearchStrategy[str]:
    return st.characters(exclude_categories=["Cs"])


@cache
def _text() -> SearchStrategy[str]:
    # no lone surrogates: they can't be written as UTF-8, so no server sends them raw
    chars = _chars()
    return st.sampled_from(ODD_STRINGS) | st.text(chars, max_size=12)


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


# --------------------------------------------------------------------------- the real shapes


def _ints(low: int = 0, high: int = 2**31) -> SearchStrategy[int]:
    return st.integers(low, high)


_WORDS: Final = ("", " the", " lighthouse", "Hel", "lo", "</s>", "é", "\U0001f680", " ", "\n")


def _words() -> SearchStrategy[str]:
    # mostly from a list (drawing text is what makes a shape slow to generate); odd text
    # arrives through the replaced fields
    return st.sampled_from(_WORDS)


def _maybe(value: SearchStrategy[Json]) -> SearchStrategy[Json]:
    return st.none() | value


def _opt_fields(**fields: SearchStrategy[Json]) -> SearchStrategy[dict[str, Json]]:
    return st.fixed_dictionaries({}, optional=fields)


def _obj(
    required: dict[str, SearchStrategy[Json]], **optional: SearchStrategy[Json]
) -> SearchStrategy[dict[str, Json]]:
    return st.fixed_dictionaries(required, optional=optional)


def _usage() -> SearchStrategy[dict[str, Json]]:
    return _obj(
        {"prompt_tokens": _ints(), "completion_tokens": _ints()},
        total_tokens=_ints(),
        prompt_tokens_details=st.just({"cached_tokens": 0}),
    )


def _tool_call(index: bool = False) -> SearchStrategy[dict[str, Json]]:
    arguments = st.sampled_from(['{"city": "Paris"}', "{}", '{"a": [1, 2]}', ""]) | st.just(
        {"city": "Paris"}  # some providers send the arguments as an object
    )
    fields: dict[str, SearchStrategy[Json]] = {
        "id": st.sampled_from(["call_1", "call_2", ""]),
        "type": st.just("function"),
        "function": _obj({"name": st.sampled_from(["get_weather", "f"]), "arguments": arguments}),
    }
    if index:
        fields["index"] = _ints(0, 3)
    return st.fixed_dictionaries(fields)


def _logprobs() -> SearchStrategy[dict[str, Json]]:
    top = _obj({"token": _words(), "logprob": st.floats(-30, 0)}, bytes=st.just([104]))
    item = _obj(
        {"token": _words(), "logprob": st.floats(-30, 0)},
        top_logprobs=st.lists(top, max_size=2),
        bytes=st.just([104]),
    )
    return _obj({"content": _maybe(st.lists(item, max_size=3))})


def _message() -> SearchStrategy[dict[str, Json]]:
    content = _maybe(_words()) | st.lists(_obj({"type": st.just("text"), "text": _words()}))
    return _obj(
        {"role": st.just("assistant"), "content": content},
        tool_calls=_maybe(st.lists(_tool_call(), max_size=2)),
        reasoning_content=_words(),
        refusal=st.none(),
    )


def chat_completions() -> SearchStrategy[dict[str, Json]]:
    """A chat completion as the router and the providers send it."""
    choice = _obj(
        {
            "index": _ints(0, 3),
            "message": _message(),
            "finish_reason": _maybe(st.sampled_from(["stop", "length", "tool_calls"])),
        },
        logprobs=_maybe(_logprobs()),
    )
    return _obj(
        {
            "id": st.sampled_from(["chatcmpl-1", ""]),
            "object": st.just("chat.completion"),
            "created": _ints(0, 2**32),
            "model": st.sampled_from(["meta-llama/Llama-3.1-8B-Instruct", "tgi"]),
            "choices": st.lists(choice, min_size=1, max_size=2),
        },
        usage=_usage(),
        system_fingerprint=_maybe(_words()),
    )


def chat_chunks() -> SearchStrategy[dict[str, Json]]:
    """The data of one chat stream event, in the variants providers send (role repeated,
    ``"tool_calls": null`` in every delta, usage in every chunk, extra fields)."""
    delta = _opt_fields(
        role=_maybe(st.just("assistant")),
        content=_maybe(_words()),
        tool_calls=_maybe(st.lists(_tool_call(index=True), max_size=2)),
        reasoning_content=_maybe(_words()),
        reasoning=_maybe(_words()),
    )
    choice = _obj(
        {
            "index": _ints(0, 2),
            "delta": delta,
            "finish_reason": _maybe(st.sampled_from(["stop", "length", "tool_calls"])),
        },
        logprobs=st.none(),
        content_filter_results=st.just({}),
    )
    return _obj(
        {
            "id": st.sampled_from(["chatcmpl-1", ""]),
            "object": st.just("chat.completion.chunk"),
            "created": _ints(0, 2**32),
            "model": st.sampled_from(["meta-llama/Llama-3.1-8B-Instruct", ""]),
            "choices": st.lists(choice, max_size=2),
        },
        usage=_maybe(_usage()),
        system_fingerprint=_maybe(_words()),
    )


def _tgi_token() -> SearchStrategy[dict[str, Json]]:
    return _obj(
        {
            "id": _ints(0, 2**17),
            "text": _words(),
            "logprob": _maybe(st.floats(-30, 0)),
            "special": st.booleans(),
        }
    )


def _tgi_details() -> SearchStrategy[dict[str, Json]]:
    best = _obj(
        {
            "generated_text": _words(),
            "finish_reason": st.just("length"),
            "generated_tokens": _ints(),
            "seed": _maybe(_ints(0, 2**64 - 1)),
        }
    )
    return _obj(
        {
            "finish_reason": st.sampled_from(["length", "eos_token", "stop_sequence"]),
            "generated_tokens": _ints(),
            "seed": _maybe(_ints(0, 2**64 - 1)),  # TGI's seeds go beyond int64
            "prefill": st.lists(_tgi_token(), max_size=2),
            "tokens": st.lists(_tgi_token(), max_size=3),
        },
        best_of_sequences=st.lists(best, max_size=2),
    )


def tgi_replies() -> SearchStrategy[Json]:
    """A text generation reply: ``[{"generated_text", "details"?}]`` (or the bare object)."""
    item = _obj({"generated_text": _words()}, details=_tgi_details())
    return st.lists(item, min_size=1, max_size=2) | item


def tgi_events() -> SearchStrategy[dict[str, Json]]:
    """One TGI stream event: a token, and on the last one the text and the details."""
    return _obj(
        {
            "index": _ints(0, 2**10),
            "token": _tgi_token(),
            "generated_text": _maybe(_words()),
            "details": _maybe(_tgi_details()),
        },
        top_tokens=st.none(),
    )


def error_bodies() -> SearchStrategy[dict[str, Json]]:
    """An error body: a message or a list of them, maybe a type, warnings, an estimated time,
    the OpenAI style object."""
    message = _words() | st.lists(_words(), max_size=2)
    plain = _obj(
        {"error": message},
        error_type=st.sampled_from(
            ["validation", "generation", "overloaded", "incomplete_generation"]
        ),
        warnings=st.lists(_words(), max_size=2),
        estimated_time=st.floats(0, 100),
    )
    openai = _obj(
        {"error": _obj({"message": _words()}, type=_words(), code=_ints(400, 599) | _words())}
    )
    return plain | openai


# the hf-inference tasks (the WIRE.md table and the recorded replies)


def _label_scores() -> SearchStrategy[list[dict[str, Json]]]:
    return st.lists(_obj({"label": _words(), "score": st.floats(0, 1)}), max_size=3)


def _vector() -> SearchStrategy[list[float]]:
    return st.lists(st.floats(-1, 1), max_size=4)


def _box() -> SearchStrategy[dict[str, Json]]:
    return st.fixed_dictionaries({k: _ints(0, 4096) for k in ("xmin", "ymin", "xmax", "ymax")})


_TASKS: Final[Mapping[str, Callable[[], SearchStrategy[Json]]]] = MappingProxyType(
    {
        "feature-extraction": lambda: (
            _vector()
            | st.lists(_vector(), max_size=3)
            | st.lists(st.lists(_vector(), max_size=3), max_size=2)
        ),
        "sentence-similarity": lambda: st.lists(st.floats(-1, 1), max_size=4),
        "summarization": lambda: st.lists(_obj({"summary_text": _words()}), min_size=1, max_size=2),
        "translation": lambda: st.lists(
            _obj({"translation_text": _words()}), min_size=1, max_size=2
        ),
        "text-classification": lambda: _label_scores() | st.lists(_label_scores(), max_size=2),
        "token-classification": lambda: st.lists(
            _obj(
                {
                    "entity_group": _words(),
                    "score": st.floats(0, 1),
                    "word": _words(),
                    "start": _ints(0, 100),
                    "end": _ints(0, 100),
                }
            ),
            max_size=3,
        ),
        "fill-mask": lambda: st.lists(
            _obj(
                {
                    "sequence": _words(),
                    "score": st.floats(0, 1),
                    "token": _ints(0, 50000),
                    "token_str": _words(),
                }
            ),
            max_size=3,
        ),
        "question-answering": lambda: (
            _obj(
                {
                    "answer": _words(),
                    "score": st.floats(0, 1),
                    "start": _ints(0, 100),
                    "end": _ints(0, 100),
                }
            )
            | st.lists(
                _obj(
                    {"answer": _words(), "score": st.floats(0, 1), "start": _ints(), "end": _ints()}
                ),
                max_size=2,
            )
        ),
        "zero-shot-classification": lambda: (
            _label_scores()
            | _obj(
                {
                    "sequence": _words(),
                    "labels": st.lists(_words(), max_size=3),
                    "scores": st.lists(st.floats(0, 1), max_size=3),
                }
            )
        ),
        "table-question-answering": lambda: _obj(
            {
                "answer": _words(),
                "coordinates": st.lists(st.lists(_ints(0, 9), min_size=2, max_size=2), max_size=2),
                "cells": st.lists(_words(), max_size=2),
                "aggregator": st.sampled_from(["NONE", "SUM", "AVERAGE"]),
            }
        ),
        "image-classification": _label_scores,
        "object-detection": lambda: st.lists(
            _obj({"label": _words(), "score": st.floats(0, 1), "box": _box()}), max_size=3
        ),
        "image-segmentation": lambda: st.lists(
            _obj(
                {"score": _maybe(st.floats(0, 1)), "label": _words(), "mask": st.just("iVBORw0=")}
            ),
            max_size=2,
        ),
        "image-to-text": lambda: (
            st.lists(_obj({"generated_text": _words()}), min_size=1, max_size=1)
            | _obj({"generated_text": _words()})
        ),
        "automatic-speech-recognition": lambda: _obj(
            {"text": _words()},
            chunks=st.lists(
                _obj(
                    {
                        "timestamp": st.lists(st.floats(0, 60), min_size=2, max_size=2),
                        "text": _words(),
                    },
                    speaker=_words(),
                ),
                max_size=2,
            ),
        ),
        "audio-classification": _label_scores,
        "audio-to-audio": lambda: st.lists(
            _obj(
                {
                    "label": _words(),
                    "content-type": st.just("audio/flac"),
                    "blob": st.just("ZkxhQw=="),
                }
            ),
            max_size=2,
        ),
    }
)

TASK_KINDS: Final = tuple(_TASKS)

_SHAPES: Final[Mapping[str, Callable[[], SearchStrategy[Json]]]] = MappingProxyType(
    {
        "chat": chat_completions,
        "chat_chunk": chat_chunks,
        "tgi": tgi_replies,
        "tgi_event": tgi_events,
        "error": error_bodies,
        **_TASKS,
    }
)

KINDS: Final = tuple(_SHAPES)


def task_replies(task: str) -> SearchStrategy[Json]:
    """The reply of one hf-inference task (one of ``TASK_KINDS``), as the table shows it."""
    return valid(task)


def valid(kind: str) -> SearchStrategy[Json]:
    """The shape ``kind`` (one of ``KINDS``) exactly as documented."""
    try:
        make = _SHAPES[kind]
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


__all__ = [
    "KINDS",
    "ODD_NUMBERS",
    "ODD_STRINGS",
    "TASK_KINDS",
    "chat_chunks",
    "chat_completions",
    "encode",
    "error_bodies",
    "json_values",
    "mutated",
    "sse_streams",
    "task_replies",
    "tgi_events",
    "tgi_replies",
    "valid",
    "wire_bodies",
    "wire_json",
]
