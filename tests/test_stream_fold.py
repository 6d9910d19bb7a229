"""Streams fold as they go: the pure folds of chat and TGI chunks, without IO.

The answers are checked against models written from the rules (docs/design.md, "Streams";
``hf_pure.tasks.chat_fold``'s docstring), not from the fold: folding a stream's chunks in any
split into batches gives the answer the model gives for all of them at once.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import hf_pure as hf
from hf_pure.core.errors import ErrorEvent
from hf_pure.core.request import DONE, assemble
from hf_pure.core.sse import SseEvent
from hf_pure.tasks._fold import grow, joined
from hf_pure.tasks.chat_chunk import ChunkUsage, FunctionDelta, ToolCallDelta
from hf_pure.tasks.chat_fold import NO_CHAT, fold_chat, fold_general, fold_plain
from hf_pure.tasks.chat_reply import answer_message, answer_tool_call
from hf_pure.tasks.chat_stream import CHAT_CODEC
from hf_pure.tasks.text_generation import TEXT_GENERATION_CODEC
from hf_pure.tasks.text_generation_reply import GenerationDetails, Token

# ---------------------------------------------------------------- chunks of every kind

_texts = st.sampled_from([None, "", "a", "bc", "é"])
_tool_deltas = st.builds(
    ToolCallDelta,
    index=st.sampled_from([0, 1, 3]),
    id=st.sampled_from([None, "", "call_1", "call_2"]),
    function=st.none()
    | st.builds(
        FunctionDelta,
        name=st.sampled_from([None, "", "f", "g"]),
        arguments=st.sampled_from([None, "", "{", '"x": 1', "}"]),
    ),
)
_deltas = st.builds(
    hf.Delta,
    content=_texts,
    role=st.sampled_from([None, "", "assistant", "user"]),
    tool_calls=st.none() | st.lists(_tool_deltas, max_size=2).map(tuple),
    reasoning_content=st.sampled_from([None, "", "r"]),
    reasoning=st.sampled_from([None, "", "s"]),
)
_choices = st.builds(
    hf.ChunkChoice,
    index=st.sampled_from([0, 0, 1, 2, -1]),
    delta=_deltas,
    finish_reason=st.sampled_from([None, "", "stop", "length"]),
)
_usages = st.none() | st.builds(
    ChunkUsage,
    prompt_tokens=st.integers(0, 9),
    completion_tokens=st.integers(0, 9),
    total_tokens=st.integers(0, 20),
)
chat_chunks = st.builds(
    hf.ChatChunk,
    id=st.sampled_from(["", "", "c1", "c2"]),
    model=st.sampled_from(["", "m1", "m2"]),
    created=st.sampled_from([0, 0, 5, 7]),
    choices=st.lists(_choices, max_size=3).map(tuple),
    usage=_usages,
)
#: The common stream: one choice of text at index 0 (role, finish reason, usage vary).
plain_chunks = st.builds(
    hf.ChatChunk,
    id=st.sampled_from(["", "c1"]),
    model=st.sampled_from(["", "m1"]),
    created=st.sampled_from([0, 5]),
    choices=st.lists(
        st.builds(
            hf.ChunkChoice,
            delta=st.builds(
                hf.Delta, content=_texts, role=st.sampled_from([None, "", "assistant", "user"])
            ),
            finish_reason=st.sampled_from([None, "", "stop"]),
        ),
        max_size=1,
    ).map(tuple),
    usage=_usages,
)


def splits(items: list[Any], cuts: list[int]) -> list[list[Any]]:
    """``items`` cut into consecutive batches at ``cuts`` (empty batches included)."""
    points = sorted(min(c, len(items)) for c in cuts)
    return [items[a:b] for a, b in zip([0, *points], [*points, len(items)], strict=True)]


# ---------------------------------------------------------------- the rules, written out


def first(values: list[Any], default: Any) -> Any:
    return next((v for v in values if v), default)


def last(values: list[Any], default: Any) -> Any:
    return next((v for v in reversed(values) if v), default)


def chat_model(chunks: list[hf.ChatChunk]) -> hf.ChatCompletion:
    """The whole answer by the rules, all chunks at once."""
    choices = []
    for index in sorted({c.index for chunk in chunks for c in chunk.choices}):
        mine = [c for chunk in chunks for c in chunk.choices if c.index == index]
        deltas = [d for c in mine for d in c.tool_calls]
        calls = tuple(
            answer_tool_call(
                id=first([d.id for d in deltas if d.index == at], ""),
                name=first([d.name for d in deltas if d.index == at], ""),
                arguments="".join(d.arguments for d in deltas if d.index == at) or "{}",
            )
            for at in sorted({d.index for d in deltas})
        )
        text = "".join(c.content or "" for c in mine)
        thoughts = "".join(c.reasoning or "" for c in mine)
        message = answer_message(
            role=first([c.role for c in mine], "assistant"),
            content=text if text or not calls else None,
            tool_calls=calls,
            reasoning=thoughts or None,
        )
        finish = last([c.finish_reason for c in mine], None)
        choices.append(hf.Choice(index=index, message=message, finish_reason=finish))
    usage = next((c.usage for c in reversed(chunks) if c.usage is not None), None)
    return hf.ChatCompletion(
        id=first([c.id for c in chunks], ""),
        model=first([c.model for c in chunks], ""),
        created=first([c.created for c in chunks], 0),
        choices=tuple(choices),
        usage=None
        if usage is None
        else hf.Usage(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens,
        ),
    )


def choice_zero_text(chunks: list[hf.ChatChunk]) -> str:
    return "".join(c.content or "" for chunk in chunks for c in chunk.choices if c.index == 0)


# ---------------------------------------------------------------- chat


@given(st.lists(chat_chunks, max_size=10), st.lists(st.integers(0, 10), max_size=5))
def test_folding_any_split_gives_the_answer_of_the_rules(
    chunks: list[hf.ChatChunk], cuts: list[int]
) -> None:
    acc = CHAT_CODEC.start()
    for batch in splits(chunks, cuts):
        acc = CHAT_CODEC.fold(acc, batch)
        # what a stream cut here keeps: choice 0's text so far, and how many chunks
    assert acc.count == len(chunks)
    assert acc.text == choice_zero_text(chunks)
    expected = chat_model(chunks)
    assert CHAT_CODEC.finish(acc) == expected
    assert assemble(CHAT_CODEC, chunks) == expected  # all at once
    assert hf.assemble_chat(chunks) == expected


@given(st.lists(chat_chunks, max_size=6), st.lists(plain_chunks, max_size=8))
def test_the_fast_fold_equals_the_general_one_from_any_accumulator(
    before: list[hf.ChatChunk], batch: list[hf.ChatChunk]
) -> None:
    acc = fold_general(NO_CHAT, before)
    fast = fold_plain(acc, batch)
    assert fast is not None  # a plain batch
    assert fast == fold_general(acc, batch)


@given(st.lists(chat_chunks, max_size=6), st.lists(chat_chunks, max_size=6))
def test_the_fast_fold_answers_only_for_plain_batches(
    before: list[hf.ChatChunk], batch: list[hf.ChatChunk]
) -> None:
    acc = fold_general(NO_CHAT, before)
    fast = fold_plain(acc, batch)
    plain = all(
        len(c.choices) <= 1
        and all(
            ch.index == 0
            and not ch.tool_calls
            and not ch.delta.reasoning_content
            and not ch.reasoning
            for ch in c.choices
        )
        for c in batch
    )
    assert (fast is not None) == plain
    if fast is not None:
        assert fast == fold_general(acc, batch)


def test_a_fold_leaves_its_accumulator_as_it_was() -> None:
    one = hf.ChatChunk(id="c", choices=(hf.ChunkChoice(delta=hf.Delta(content="a")),))
    two = hf.ChatChunk(choices=(hf.ChunkChoice(delta=hf.Delta(content="b")),))
    acc = fold_chat(NO_CHAT, [one])
    left, right = fold_chat(acc, [two]), fold_chat(acc, [one])
    assert (acc.text, left.text, right.text) == ("a", "ab", "aa")
    assert acc.count == 1
    assert hash(acc) == hash(fold_chat(NO_CHAT, [one]))  # a value: hashable, equal by fields


def test_an_event_with_an_error_member_is_an_error_whatever_else_it_holds() -> None:
    data = b'{"choices":[{"index":0,"delta":{"content":"hi"}}],"error":"boom"}'
    assert CHAT_CODEC.event(SseEvent(data), "rid") == ErrorEvent("boom", request_id="rid")
    chunks, ending = CHAT_CODEC.events([b'{"choices":[]}', data, b"[DONE]"], "rid")
    assert len(chunks) == 1
    assert ending == ErrorEvent("boom", request_id="rid")
    null = b'{"choices":[],"error":null}'  # present, even null: as the total reader says
    assert isinstance(CHAT_CODEC.events([null], None)[1], ErrorEvent)


def test_text_about_an_error_is_text() -> None:
    data = b'{"choices":[{"index":0,"delta":{"content":"\\"error\\": an error"}}],"x":"error"}'
    chunks, ending = CHAT_CODEC.events([data, b"[DONE]"], None)
    assert ending is DONE
    assert [c.text for c in chunks] == ['"error": an error']
    assert repr(chunks[0]).startswith("ChatChunk(id='', model='', created=0, choices=")
    assert "_error" not in repr(chunks[0])


# ---------------------------------------------------------------- TGI


_tokens = st.builds(
    Token,
    id=st.integers(0, 9),
    text=st.sampled_from(["", "a", " b", "</s>"]),
    logprob=st.none() | st.just(-0.5),
    special=st.booleans(),
)
_details = st.none() | st.builds(
    GenerationDetails,
    finish_reason=st.sampled_from(["length", "eos_token"]),
    generated_tokens=st.integers(0, 9),
)
tgi_chunks = st.builds(
    hf.TextGenerationChunk,
    index=st.integers(0, 9),
    token=_tokens,
    generated_text=st.sampled_from([None, None, "", "whole"]),
    details=_details,
)


def tgi_model(chunks: list[hf.TextGenerationChunk]) -> hf.TextGeneration:
    """The rules: the tokens' text (special tokens add none), unless a chunk carried the final
    ``generated_text``: then the last such chunk's text and details."""
    final = [c for c in chunks if c.generated_text is not None]
    if final:
        return hf.TextGeneration(
            generated_text=final[-1].generated_text or "", details=final[-1].details
        )
    return hf.TextGeneration(
        generated_text="".join("" if c.token.special else c.token.text for c in chunks)
    )


@given(st.lists(tgi_chunks, max_size=10), st.lists(st.integers(0, 10), max_size=5))
def test_folding_a_tgi_stream_in_any_split_gives_the_answer_of_the_rules(
    chunks: list[hf.TextGenerationChunk], cuts: list[int]
) -> None:
    codec = TEXT_GENERATION_CODEC
    acc = codec.start()
    for batch in splits(chunks, cuts):
        acc = codec.fold(acc, batch)
    assert acc.count == len(chunks)
    assert acc.text == "".join("" if c.token.special else c.token.text for c in chunks)
    assert codec.finish(acc) == tgi_model(chunks)
    assert codec.assemble(chunks) == tgi_model(chunks)


def test_tgi_events_decode_straight_into_chunks() -> None:
    data = (
        b'{"index":3,"token":{"id":7,"text":" sea","logprob":-0.25,"special":false},'
        b'"generated_text":null,"details":null}'
    )
    chunk = TEXT_GENERATION_CODEC.event(SseEvent(data), None)
    assert chunk == hf.TextGenerationChunk(
        index=3, token=Token(id=7, text=" sea", logprob=-0.25, special=False)
    )


def test_tgi_numbers_beyond_the_typed_bounds_are_read_by_the_rules() -> None:
    """The typed path is bounded tighter than the readers (int64, finite and small floats):
    what lies between is read by the readers; what lies beyond them is refused."""

    def event(token_id: int, logprob: str = "-0.5") -> bytes:
        return b'{"index":1,"token":{"id":%d,"text":"a","logprob":%s,"special":false}}' % (
            token_id,
            logprob.encode(),
        )

    codec = TEXT_GENERATION_CODEC
    big = codec.event(SseEvent(event(2**64 - 1)), None)  # uint64: as TGI's seeds
    assert isinstance(big, hf.TextGenerationChunk) and big.token.id == 2**64 - 1
    assert isinstance(codec.event(SseEvent(event(2**64)), None), hf.MalformedResponse)
    assert isinstance(codec.event(SseEvent(event(-(2**63) - 1)), None), hf.MalformedResponse)
    far = codec.event(SseEvent(event(1, "1e305")), None)  # finite: read
    assert isinstance(far, hf.TextGenerationChunk) and far.token.logprob == 1e305
    huge = codec.event(SseEvent(event(1, str(2**1000 + 1))), None)  # the readers refuse it
    assert isinstance(huge, hf.MalformedResponse)
    details = (
        b'{"index":1,"token":{"id":1,"text":"a"},"generated_text":"a","details":'
        b'{"finish_reason":"length","generated_tokens":1,"seed":18446744073709551615}}'
    )
    last = codec.event(SseEvent(details), None)
    assert isinstance(last, hf.TextGenerationChunk)
    assert last.details is not None and last.details.seed == 2**64 - 1


# ---------------------------------------------------------------- the rope


@given(st.lists(st.text(max_size=40), max_size=200))
def test_a_rope_keeps_the_text_in_few_parts(pieces: list[str]) -> None:
    rope: tuple[str, ...] = ()
    for piece in pieces:
        rope = grow(rope, piece)
    text = "".join(pieces)
    assert joined(rope) == text
    assert all(rope)  # no empty part
    # each part is at least twice the next: a text of n characters is at most log2(n)+1 parts
    assert all(len(a) >= 2 * len(b) for a, b in itertools.pairwise(rope))
    assert len(rope) <= (math.log2(len(text)) + 1 if text else 0)


@given(st.lists(chat_chunks, max_size=10))
def test_the_chunks_texts_join_to_what_a_cut_stream_keeps(chunks: list[hf.ChatChunk]) -> None:
    # chunk.text is choice 0's new text, whichever choice a chunk lists first (with n > 1 a
    # chunk may list another one first, or only another one): joined, it is choice 0's text
    assert "".join(chunk.text for chunk in chunks) == choice_zero_text(chunks)
    assert CHAT_CODEC.fold(CHAT_CODEC.start(), chunks).text == choice_zero_text(chunks)


def test_a_chunk_that_lists_another_choice_first_tells_choice_zero() -> None:
    both = hf.ChatChunk(
        choices=(
            hf.ChunkChoice(index=1, delta=hf.Delta(content="B"), finish_reason="length"),
            hf.ChunkChoice(index=0, delta=hf.Delta(content="A"), finish_reason="stop"),
        )
    )
    assert (both.text, both.finish_reason) == ("A", "stop")
    other = hf.ChatChunk(choices=(hf.ChunkChoice(index=1, delta=hf.Delta(content="B")),))
    assert (other.text, other.finish_reason) == ("", None)
