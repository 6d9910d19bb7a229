"""A whole answer as one chunk (``StreamCodec.as_chunk``), for a server that ignored
``"stream": true``: the chunk carries the answer's text, and assembling that one chunk gives
back what the answer says (text, role, tool calls, reasoning, finish reason, usage)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import hf_pure as hf
from hf_pure.tasks.chat_reply import answer_message, answer_tool_call
from hf_pure.tasks.chat_stream import CHAT_CODEC
from hf_pure.tasks.text_generation import TEXT_GENERATION_CODEC

text = st.text(max_size=20)
names = st.text("abcdefghij_", min_size=1, max_size=8)
calls = st.lists(
    st.builds(
        answer_tool_call,
        id=st.text("abc123", min_size=1, max_size=6),
        name=names,
        arguments=st.sampled_from(['{"a": 1}', "{}", '{"city": "Paris"}']),
    ),
    max_size=3,
)


@st.composite
def messages(draw: st.DrawFn) -> hf.AnswerMessage:
    tool_calls = draw(calls)
    content = draw(st.none() if tool_calls else text.filter(bool))
    return answer_message(
        role="assistant",
        content=content,
        tool_calls=tuple(tool_calls),
        reasoning=draw(st.none() | text.filter(bool)),
    )


@st.composite
def completions(draw: st.DrawFn) -> hf.ChatCompletion:
    n = draw(st.integers(1, 3))
    choices = tuple(
        hf.Choice(
            index=i,
            message=draw(messages()),
            finish_reason=draw(st.sampled_from(["stop", "length", "tool_calls"])),
        )
        for i in range(n)
    )
    usage = draw(st.none() | st.builds(hf.Usage, *(st.integers(0, 10**6),) * 3))
    return hf.ChatCompletion(
        id=draw(text),
        model=draw(names),
        created=draw(st.integers(0, 2**40)),
        choices=choices,
        usage=usage,
    )


@settings(max_examples=40, deadline=None)
@given(completions())
def test_a_chat_answer_as_one_chunk_assembles_back(answer: hf.ChatCompletion) -> None:
    chunk = CHAT_CODEC.as_chunk(answer)
    assert isinstance(chunk, hf.ChatChunk)
    assert chunk.text == answer.text
    assert CHAT_CODEC.text([chunk]) == answer.text
    assert CHAT_CODEC.final(chunk)  # a whole answer is complete
    back = CHAT_CODEC.assemble([chunk])
    assert (back.id, back.model, back.created) == (answer.id, answer.model, answer.created)
    assert back.usage == answer.usage
    assert len(back.choices) == len(answer.choices)
    for got, want in zip(back.choices, answer.choices, strict=True):
        assert (got.index, got.finish_reason) == (want.index, want.finish_reason)
        assert got.message.role == want.message.role
        assert got.message.text == want.message.text
        assert got.message.tool_calls == want.message.tool_calls
        assert got.message.reasoning == want.message.reasoning


@settings(max_examples=40, deadline=None)
@given(
    text,
    st.none()
    | st.builds(hf.GenerationDetails, finish_reason=names, generated_tokens=st.integers(0, 99)),
)
def test_a_text_generation_as_one_chunk(
    generated: str, details: hf.GenerationDetails | None
) -> None:
    answer = hf.TextGeneration(generated, details)
    chunk = TEXT_GENERATION_CODEC.as_chunk(answer)
    assert chunk.text == generated
    assert TEXT_GENERATION_CODEC.final(chunk)
    assert TEXT_GENERATION_CODEC.assemble([chunk]) == answer
