"""The token estimator: the crate's three strategies to the token, per-message overhead, and
``fits`` agreeing with the estimate. Pure: no loop, no server."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from toolz import pipe

import hf_pure as hf
from hf_pure.tasks.inference import TaskSpec, task_request
from hf_pure.tasks.tokens import MESSAGE_OVERHEAD

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
STRATEGIES = list(hf.TokenStrategy)


def by_the_rule(text: str, strategy: hf.TokenStrategy) -> int:
    """The crate's rules in exact arithmetic: chars / 4, words x 1.3, chars / 3.5, rounded up."""
    if strategy is hf.TokenStrategy.ESTIMATION:
        return math.ceil(Fraction(len(text), 4))
    if strategy is hf.TokenStrategy.WORD_BASED:
        return math.ceil(Fraction(len(text.split())) * Fraction(13, 10))
    return math.ceil(Fraction(len(text)) / Fraction(7, 2))


# ------------------------------------------------------------------------ text


def test_the_crates_own_examples() -> None:
    assert hf.count_text("The quick brown fox jumps over the lazy dog", "estimation") == 11
    assert hf.count_text("Hello world from Rust programming", "word_based") == 7
    assert hf.count_text("Test message", "character_based") == 4
    assert hf.count_text("Test message") == 4  # character_based is the default
    assert [hf.count_text("", s) for s in STRATEGIES] == [0, 0, 0]


@given(st.text(max_size=300), st.sampled_from(STRATEGIES))
def test_each_strategy_is_its_rule(text: str, strategy: hf.TokenStrategy) -> None:
    assert hf.count_text(text, strategy) == by_the_rule(text, strategy)
    assert hf.estimate_tokens(text, strategy) == by_the_rule(text, strategy)
    assert hf.count_text(text, strategy.value) == hf.count_text(text, strategy)


@given(st.text(max_size=200), st.text(max_size=200), st.sampled_from(STRATEGIES))
def test_more_text_never_counts_fewer_tokens(text: str, more: str, strategy: str) -> None:
    assert hf.estimate_tokens(text + more, strategy) >= hf.estimate_tokens(text, strategy)
    assert hf.estimate_tokens(more + text, strategy) >= hf.estimate_tokens(text, strategy)


def test_strategy_names_and_types_are_checked() -> None:
    with pytest.raises(ValueError, match="'characters'"):
        hf.count_text("x", "characters")
    with pytest.raises(TypeError, match="strategy"):
        hf.count_text("x", 4)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text"):
        hf.count_text(b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="estimate_tokens"):
        hf.estimate_tokens(42)


# ------------------------------------------------------------------------ messages

texts = st.text(max_size=80)
roles = st.sampled_from(["system", "user", "assistant", "tool", "developer"])
messages = st.builds(hf.Message, role=roles, content=texts)


@given(st.lists(messages, max_size=6), messages, st.sampled_from(STRATEGIES))
def test_each_message_adds_its_overhead_role_and_content(
    history: list[hf.Message], message: hf.Message, strategy: hf.TokenStrategy
) -> None:
    own = MESSAGE_OVERHEAD + hf.count_text(message.role, strategy)
    own += hf.count_text(message.text, strategy)
    assert hf.estimate_tokens(message, strategy) == own
    assert hf.estimate_tokens([*history, message], strategy) == (
        hf.estimate_tokens(history, strategy) + own
    )
    assert hf.estimate_tokens([], strategy) == 0


def test_what_a_message_counts() -> None:
    count = hf.count_text
    call = hf.ToolCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}')
    asked = hf.assistant(None, tool_calls=[call])
    assert hf.estimate_tokens(asked) == (
        MESSAGE_OVERHEAD + count("assistant") + count("get_weather") + count('{"city": "Paris"}')
    )
    parts = hf.user([hf.text_part("what is "), hf.image_url("https://x.example/a.png"), "this"])
    assert hf.estimate_tokens(parts) == MESSAGE_OVERHEAD + count("user") + count(
        "what is "
    ) + count("this")  # the image part counts nothing (documented)
    named = hf.Message(role="user", content="hi", name="alice")
    assert hf.estimate_tokens(named) == MESSAGE_OVERHEAD + count("user") + count("hi") + count(
        "alice"
    )
    assert hf.estimate_tokens(["plain text"]) == hf.estimate_tokens([hf.user("plain text")])


def test_a_chat_request_counts_its_messages_and_tools() -> None:
    weather = hf.tool(
        "get_weather", "The weather in a city", {"type": "object", "properties": {"city": {}}}
    )
    conversation = [hf.system("Be brief."), hf.user("Weather in Paris?")]
    plain = hf.chat(MODEL, conversation)
    assert hf.estimate_tokens(plain) == hf.estimate_tokens(conversation)
    with_tools = pipe(plain, hf.tools(weather))
    schema = weather.parameters
    assert isinstance(schema, bytes)
    tool_tokens = (
        hf.count_text("get_weather")
        + hf.count_text("The weather in a city")
        + hf.count_text(schema.decode())
    )
    assert hf.estimate_tokens(with_tools) == hf.estimate_tokens(plain) + tool_tokens


def test_text_generation_and_task_requests_count_their_text() -> None:
    prompt = "Once upon a time, in a lighthouse"
    generation = pipe(hf.text_generation("gpt2", prompt), hf.max_tokens(20))
    assert hf.estimate_tokens(generation) == hf.count_text(prompt)
    spec = TaskSpec(task="sentence-similarity", decode=lambda reply: hf.Success(reply.body))
    inputs = {"source_sentence": "a cat", "sentences": ["a dog", "a kitten sat"]}
    similarity = task_request(spec, "sentence-transformers/all-MiniLM-L6-v2", inputs)
    assert hf.estimate_tokens(similarity) == sum(
        hf.count_text(t) for t in ("a cat", "a dog", "a kitten sat")
    )
    image = task_request(spec, "google/vit-base-patch16-224", b"\x89PNG....")
    assert hf.estimate_tokens(image) == 0


# ------------------------------------------------------------------------ fits


@given(
    st.lists(messages, min_size=1, max_size=5),
    st.one_of(st.none(), st.integers(1, 4000)),
    st.integers(1, 5000),
    st.sampled_from(STRATEGIES),
)
def test_fits_is_the_estimate_plus_max_tokens_against_the_window(
    conversation: list[hf.Message], max_tokens: int | None, window: int, strategy: str
) -> None:
    request = hf.chat(MODEL, conversation)
    if max_tokens is not None:
        request = pipe(request, hf.max_tokens(max_tokens))
    fit = hf.fits(request, window, strategy)
    prompt = hf.estimate_tokens(request, strategy)
    asked = max_tokens or 0
    assert (fit.prompt, fit.completion, fit.window) == (prompt, asked, window)
    assert fit.spare == window - prompt - asked
    assert fit.fits is (prompt + asked <= window) is bool(fit)


def test_fits_says_by_how_much() -> None:
    request = pipe(hf.chat(MODEL, [hf.user("x" * 70)]), hf.max_tokens(100))
    prompt = hf.estimate_tokens(request)
    assert prompt == MESSAGE_OVERHEAD + hf.count_text("user") + 20
    exactly = hf.fits(request, prompt + 100)
    assert exactly and exactly.spare == 0
    over = hf.fits(request, prompt + 99)
    assert not over and over.spare == -1
    generation = pipe(hf.text_generation("gpt2", "abc"), hf.max_tokens(10))
    assert hf.fits(generation, 11).completion == 10
    assert hf.fits("just text", 3).completion == 0


def test_fits_checks_the_window() -> None:
    with pytest.raises(TypeError, match="context_window"):
        hf.fits("x", 10.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="context_window"):
        hf.fits("x", True)
    with pytest.raises(ValueError, match="context_window"):
        hf.fits("x", 0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
any_message = st.one_of(
    st.text(max_size=30),
    st.dictionaries(
        st.sampled_from(["role", "content", "name", "tool_calls", "tool_call_id"]), json_values
    ),
    json_values,
)


@given(st.lists(any_message, max_size=5), st.sampled_from(STRATEGIES))
def test_any_conversation_data_is_estimated_without_raising(
    conversation: list[object], strategy: str
) -> None:
    request = hf.chat(MODEL, conversation)  # type: ignore[arg-type]
    estimate = hf.estimate_tokens(request, strategy)
    assert estimate >= MESSAGE_OVERHEAD * len(request.messages)
    assert hf.fits(request, 10**6, strategy).prompt == estimate
