"""The documented reply shapes of WIRE.md as hypothesis strategies (see
:mod:`hf_pure.testing.strategies`, which changes their fields). Imports nothing of the client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from hypothesis import strategies as st

SearchStrategy = st.SearchStrategy
Json = Any


def chars() -> SearchStrategy[str]:
    return st.characters(exclude_categories=["Cs"])


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
    return st.fixed_dictionaries(fields, optional={"index": _ints(0, 3)})  # vLLM adds one


def _logprobs() -> SearchStrategy[dict[str, Json]]:
    top = _obj({"token": _words(), "logprob": st.floats(-30, 0)}, bytes=st.just([104]))
    item = _obj(
        {"token": _words(), "logprob": st.floats(-30, 0)},
        top_logprobs=st.lists(top, max_size=2),
        bytes=st.just([104]),
    )
    return _obj({"content": _maybe(st.lists(item, max_size=3))})


def _part() -> SearchStrategy[dict[str, Json]]:
    text = _obj({"type": st.just("text"), "text": _words()})
    other = st.just({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}})
    return text | other


def _message() -> SearchStrategy[dict[str, Json]]:
    """An assistant message, with what providers add: ``reasoning_content`` (DeepSeek, vLLM)
    or ``reasoning`` (groq, OpenRouter), ``"tool_calls": null`` or ``[]``, content as an array
    of parts, OpenAI's ``refusal``/``annotations``/``audio``/``function_call`` beside it."""
    content = _maybe(_words()) | st.lists(_part(), max_size=2)
    return _obj(
        {"role": st.just("assistant"), "content": content},
        tool_calls=_maybe(st.lists(_tool_call(), max_size=2)),
        reasoning_content=_maybe(_words()),
        reasoning=_maybe(_words()),
        refusal=st.none(),
        annotations=st.just([]),
        audio=st.none(),
        function_call=st.none(),
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
        top_tokens=st.lists(st.lists(_tgi_token(), max_size=2), max_size=2),
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

SHAPES: Final[Mapping[str, Callable[[], SearchStrategy[Json]]]] = MappingProxyType(
    {
        "chat": chat_completions,
        "chat_chunk": chat_chunks,
        "tgi": tgi_replies,
        "tgi_event": tgi_events,
        "error": error_bodies,
        **_TASKS,
    }
)

KINDS: Final = tuple(SHAPES)
