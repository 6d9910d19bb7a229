"""Modifiers: curried functions ``request -> request`` that compose with ``toolz.pipe``.

Each takes its setting and returns a function of the request, so a pipeline reads top down::

    pipe(hf.chat(model, [hf.user("Hi")]), hf.temperature(0.3), hf.max_tokens(64), hf.streaming())

Modifiers never validate (the request's ``check`` looks at everything, all at once, before
anything is sent) and never raise for data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from hf_pure.tasks.chat import ChatRequest
from hf_pure.tasks.messages import Message, Tool, as_message
from hf_pure.tasks.validate import freeze_strs

if TYPE_CHECKING:  # only for types: chat users don't pay for loading text generation
    from hf_pure.tasks.text_generation import TextGenerationRequest

R = TypeVar("R", "ChatRequest", "TextGenerationRequest")
ChatModifier = Callable[[ChatRequest], ChatRequest]
TgiModifier = Callable[["TextGenerationRequest"], "TextGenerationRequest"]


# ---------------------------------------------------------------- shared by chat and TGI


def option(name: str, value: Any) -> Callable[[R], R]:
    """Set any option (or TGI parameter) by its wire name; None removes it."""

    def apply(request: R) -> R:
        return request.with_option(name, value)

    return apply


def temperature(value: float) -> Callable[[R], R]:
    """Sampling temperature (chat: [0, 2]; TGI: (0, 2])."""
    return option("temperature", value)


def top_p(value: float) -> Callable[[R], R]:
    """Nucleus sampling (chat: [0, 1]; TGI: (0, 1))."""
    return option("top_p", value)


def seed(value: int) -> Callable[[R], R]:
    return option("seed", value)


def stop(*sequences: str) -> Callable[[R], R]:
    """Stop sequences (replacing any set before; none given clears them)."""
    return option("stop", freeze_strs(sequences) or None)


def max_tokens(value: int) -> Callable[[R], R]:
    """Most tokens to generate (chat ``max_tokens``, TGI ``max_new_tokens``)."""

    def apply(request: R) -> R:
        return request.with_option(request.max_tokens_option, value)

    return apply


def streaming(enabled: bool = True) -> Callable[[R], R]:
    """Mark the request to travel as SSE: ``runner.run`` then streams on the wire and returns
    the assembled answer; ``runner.stream`` streams either way."""

    def apply(request: R) -> R:
        return attrs.evolve(request, stream=enabled)

    return apply


def cacheable(enabled: bool = True) -> Callable[[R], R]:
    """Allow the reliability cache to keep this request's answer (e.g. chat at seed and
    temperature 0, where the caller knows answers repeat)."""

    def apply(request: R) -> R:
        return attrs.evolve(request, cacheable=enabled)

    return apply


# ---------------------------------------------------------------- chat only


def chat_option(name: str, value: Any) -> ChatModifier:
    def apply(request: ChatRequest) -> ChatRequest:
        return request.with_option(name, value)

    return apply


def provider(name: str) -> ChatModifier:
    """Pin the provider with a ``model:provider`` suffix (``fastest``/``cheapest`` too);
    replaces any suffix already there."""

    def apply(request: ChatRequest) -> ChatRequest:
        repo = request.model.partition(":")[0]
        return attrs.evolve(request, model=f"{repo}:{name}")

    return apply


def via(route: str | None) -> ChatModifier:
    """Send through a provider's own route (e.g. ``"hf-inference"``) instead of the router's
    OpenAI endpoint; None goes back to the router."""

    def apply(request: ChatRequest) -> ChatRequest:
        return attrs.evolve(request, route=route)

    return apply


def tools(*defined: Tool) -> ChatModifier:
    """Functions the model may call (replacing any given before)."""

    def apply(request: ChatRequest) -> ChatRequest:
        return attrs.evolve(request, tools=defined)

    return apply


def tool_choice(choice: str) -> ChatModifier:
    """``"auto"``, ``"none"``, ``"required"`` or the name of one tool to force."""
    return chat_option("tool_choice", choice)


def response_format(spec: Mapping[str, Any]) -> ChatModifier:
    """Any ``response_format`` object, e.g. ``{"type": "json_object"}``."""
    return chat_option("response_format", dict(spec))


def json_mode() -> ChatModifier:
    """Ask for a JSON object answer."""
    return response_format({"type": "json_object"})


def json_schema(name: str, schema: Mapping[str, Any], *, strict: bool = True) -> ChatModifier:
    """Ask for an answer that follows a JSON schema."""
    return response_format(
        {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": dict(schema), "strict": strict},
        }
    )


def n(count: int) -> ChatModifier:
    """How many alternative answers to generate."""
    return chat_option("n", count)


def presence_penalty(value: float) -> ChatModifier:
    return chat_option("presence_penalty", value)


def frequency_penalty(value: float) -> ChatModifier:
    return chat_option("frequency_penalty", value)


def logit_bias(bias: Mapping[str, float]) -> ChatModifier:
    return chat_option("logit_bias", dict(bias))


def logprobs(top: int | None = None) -> ChatModifier:
    """Return log probabilities (and the ``top`` alternatives per token)."""

    def apply(request: ChatRequest) -> ChatRequest:
        return request.with_option("logprobs", True).with_option("top_logprobs", top)

    return apply


def stream_usage(enabled: bool = True) -> ChatModifier:
    """Ask for token usage at the end of a stream (on by default)."""

    def apply(request: ChatRequest) -> ChatRequest:
        return attrs.evolve(request, include_usage=enabled)

    return apply


def extra_body(**fields: Any) -> ChatModifier:
    """Body fields hf_pure doesn't model (e.g. ``reasoning_effort="low"``), as JSON values."""

    def apply(request: ChatRequest) -> ChatRequest:
        for name, value in fields.items():
            request = request.with_option(name, value)
        return request

    return apply


def add_messages(*messages: Message | str | Mapping[str, Any]) -> ChatModifier:
    """Append messages (e.g. an assistant answer and a tool result) to the conversation."""
    extra = tuple(as_message(m) for m in messages)

    def apply(request: ChatRequest) -> ChatRequest:
        return attrs.evolve(request, messages=request.messages + extra)

    return apply


def with_messages(messages: Iterable[Message | str | Mapping[str, Any]]) -> ChatModifier:
    """Replace the whole conversation."""
    frozen = tuple(as_message(m) for m in messages)

    def apply(request: ChatRequest) -> ChatRequest:
        return attrs.evolve(request, messages=frozen)

    return apply


def system_prompt(text: str) -> ChatModifier:
    """Set the system message (replacing a leading system message if there is one)."""

    def apply(request: ChatRequest) -> ChatRequest:
        rest = request.messages
        if rest and rest[0].role == "system":
            rest = rest[1:]
        return attrs.evolve(request, messages=(Message("system", text), *rest))

    return apply


# ---------------------------------------------------------------- text generation only


def tgi_option(name: str, value: Any) -> TgiModifier:
    def apply(request: TextGenerationRequest) -> TextGenerationRequest:
        return request.with_option(name, value)

    return apply


def top_k(value: int) -> TgiModifier:
    return tgi_option("top_k", value)


def repetition_penalty(value: float) -> TgiModifier:
    return tgi_option("repetition_penalty", value)


def return_full_text(enabled: bool = True) -> TgiModifier:
    return tgi_option("return_full_text", enabled)


def details(enabled: bool = True) -> TgiModifier:
    """Ask TGI for details: finish reason, token ids and log probabilities, seed."""
    return tgi_option("details", enabled)


def do_sample(enabled: bool = True) -> TgiModifier:
    return tgi_option("do_sample", enabled)


def truncate(tokens: int) -> TgiModifier:
    """Keep only the last ``tokens`` tokens of the prompt."""
    return tgi_option("truncate", tokens)
