"""The chat request's fast paths agree with the general ones on every request: the fused
check gives exactly what the full check gives, and the plain body encodes to the same bytes
as the general body. Requests are generated broadly, valid and not (bad models, roles, text
with surrogates, options out of range or of the wrong type, tools, routes), so that a
shortcut that passed something the full check refuses, or reordered a key, shows up."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import example, given, settings
from hypothesis import strategies as st

import hf_pure as hf
from hf_pure.core.codec import dumps
from hf_pure.tasks.chat import general_body

LIMITS = hf.Limits(max_input_chars=60, max_tokens=500)

models = st.one_of(
    st.sampled_from(["meta-llama/Llama-3.1-8B-Instruct", "gpt2"]),
    st.sampled_from(
        [
            "m/x:groq",
            "m/x:nope!",
            "",
            "bad model",
            "/lead",
            "trail/",
            "a//b",
            "a/.hidden",
            "caf\u00e9/model",
            "x" * 300,
        ]
    ),
)
texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["hi", "", "\ud800 lone", "caf\u00e9", "x" * 70]),
)
roles = st.sampled_from(["user", "system", "assistant", "developer", "tool", "robot"])


def mostly(plain: Any, *others: Any) -> st.SearchStrategy[Any]:
    """``plain`` three times in four, else one of ``others``: the fast paths see plain
    requests often enough to be tested, and every kind of departure from them too."""
    return st.one_of(st.just(plain), st.just(plain), st.just(plain), st.sampled_from(others))


@st.composite
def messages(draw: st.DrawFn) -> hf.Message:
    return hf.Message(
        role=draw(roles),
        content=draw(
            st.one_of(
                st.sampled_from(["hi", "", "x" * 70]),
                texts,
                st.none(),
                st.just([hf.text_part("part")]),
            )
        ),
        name=draw(mostly(None, "", "bob")),
        tool_calls=draw(mostly((), (hf.ToolCall(id="c1", name="f", arguments="{}"),))),
        tool_call_id=draw(mostly(None, "", "c1")),
    )


option_names = st.sampled_from(
    [
        "temperature",
        "top_p",
        "max_tokens",
        "seed",
        "n",
        "presence_penalty",
        "frequency_penalty",
        "stop",
        "logprobs",
        "top_logprobs",
        "tool_choice",
        "response_format",
        "custom_field",
        "max_new_tokens",
    ]
)
option_values = st.one_of(
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=5),
    st.lists(st.text(max_size=3), max_size=3),
    st.just({"type": "json_object"}),
)


@st.composite
def requests(draw: st.DrawFn) -> hf.ChatRequest:
    request = hf.chat(draw(models), draw(st.lists(messages(), max_size=3)))
    for name, value in draw(st.lists(st.tuples(option_names, option_values), max_size=3)):
        request = request.with_option(name, value)
    request = attrs.evolve(request, tools=draw(mostly((), (hf.tool("f"),))))
    route = draw(mostly(None, "groq", "hf-inference", "fal-ai"))
    return attrs.evolve(request, route=route)


_PLAIN = hf.chat("gpt2", [hf.user("hi")])


@settings(max_examples=600, deadline=None)
@given(requests())
# the edges of each quick rule, always tried besides the generated requests
@example(hf.chat("gpt2", [hf.user("x" * 70)]))  # over max_input_chars
@example(hf.chat("gpt2", [hf.user("x" * 30), hf.user("y" * 31)]))  # over it in total
@example(hf.chat("gpt2", [hf.Message(role="robot", content="hi")]))
@example(hf.chat("gpt2", [hf.Message(role="tool", content="hi")]))  # no tool_call_id
@example(hf.chat("gpt2", []))
@example(hf.chat("x" * 300, [hf.user("hi")]))
@example(_PLAIN.with_option("max_tokens", 501))
@example(_PLAIN.with_option("max_tokens", 0))
@example(_PLAIN.with_option("max_tokens", True))
@example(_PLAIN.with_option("temperature", 2.5))
@example(_PLAIN.with_option("temperature", float("inf")))
@example(_PLAIN.with_option("n", 129))
@example(_PLAIN.with_option("seed", 2**64))
@example(_PLAIN.with_option("top_p", "0.5"))
def test_the_fused_check_answers_what_the_full_check_answers(request: hf.ChatRequest) -> None:
    assert request.check(LIMITS) == request.full_check(LIMITS)


@settings(max_examples=600, deadline=None)
@given(requests(), st.booleans())
def test_the_plain_body_is_the_general_body_byte_for_byte(
    request: hf.ChatRequest, stream: bool
) -> None:
    if request.check(LIMITS) is not None:
        return  # only a request that passed check() is ever encoded
    expected: dict[str, Any] = general_body(request)
    if stream:
        expected["stream"] = True
        if request.include_usage:
            expected["stream_options"] = {"include_usage": True}
    assert dumps(request.body(stream=stream)) == dumps(expected)
    call = request.to_stream_call() if stream else request.to_call()
    assert call.body == dumps(expected)


def test_the_common_request_takes_both_fast_paths() -> None:
    # the shortcut must actually be taken for the request users send most, or it is dead code
    from hf_pure.tasks.chat import _plain_body, _plainly_valid

    request = hf.chat("meta-llama/Llama-3.1-8B-Instruct", [hf.system("Be brief."), hf.user("Hi")])
    request = request.with_option("max_tokens", 64).with_option("temperature", 0.2)
    assert _plainly_valid(request, LIMITS)
    assert _plain_body(request) is not None
    # and a request the quick rules can't vouch for goes to the full check
    assert not _plainly_valid(request.with_option("max_tokens", 501), LIMITS)
    assert request.with_option("max_tokens", 501).check(LIMITS) is not None


option_names = st.sampled_from(["a", "b", "max_tokens", "seed", "stop", "temperature", "z"])


@given(
    st.dictionaries(option_names, st.integers(), max_size=6),
    option_names,
    st.one_of(st.none(), st.integers()),
)
def test_set_option_gives_the_options_sorted_by_name_with_one_pair_per_name(
    start: dict[str, int], name: str, value: int | None
) -> None:
    """The rule, with a dict as the model: the name set to the value (None removes it), the
    other pairs as they were, all in name order."""
    from hf_pure.tasks.options import set_option

    options = tuple(sorted(start.items()))
    model = {**start, name: value}
    if value is None:
        del model[name]
    assert set_option(options, name, value) == tuple(sorted(model.items()))
