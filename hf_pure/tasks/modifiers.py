"""Modifiers: curried functions ``request -> request`` that compose with ``toolz.pipe``.

Each takes its setting and returns a function of the request, so a pipeline reads top down::

    pipe(hf.chat(model, [hf.user("Hi")]), hf.temperature(0.3), hf.max_tokens(64), hf.streaming())

Modifiers never validate (the request's ``check`` looks at everything, all at once, before
anything is sent) and never raise for data: what they are given goes into the request, and a
value that can't be sent is held as ``Unsendable`` for ``check`` to report. There is one way
to set an option, the request's ``with_option`` (:meth:`ChatRequest.with_option`, through
:func:`option` or :func:`_scoped`), and one way to change a field, ``attrs.evolve``.

A modifier made for one task and applied to another (``json_mode`` on text generation,
``top_k`` on chat) records that under its option name, so ``check`` gives
``InvalidInput(<option>, "json_mode() is for chat: it doesn't apply to text generation")``
instead of sending an unknown parameter. The generic :func:`option` and :func:`extra_body`
send any name as it is. On/off switches (``streaming``, ``cacheable``, ``stream_usage``) only
steer the client, so a non-bool there is a TypeError naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, cast

import attrs

from hf_pure.core.codec import dumps
from hf_pure.tasks.chat import ChatRequest
from hf_pure.tasks.messages import Message, MessageLike, _freeze_messages, as_message
from hf_pure.tasks.options import RawJson, Unsendable, unsendable_json
from hf_pure.tasks.tools import Tool

if TYPE_CHECKING:  # only for types: chat users don't pay for loading text generation
    from hf_pure.tasks.text_generation import TextGenerationRequest

R = TypeVar("R", "ChatRequest", "TextGenerationRequest")


class _Settable(Protocol):
    """Any request with options (chat, text generation, every hf-inference task)."""

    def with_option(self, name: str, value: Any) -> Self: ...


class _Marked(Protocol):
    """Any request the reliable runner may cache."""

    @property
    def cacheable(self) -> bool: ...


S = TypeVar("S", bound=_Settable)
K = TypeVar("K", bound=_Marked)
ChatModifier = Callable[[ChatRequest], ChatRequest]
TgiModifier = Callable[["TextGenerationRequest"], "TextGenerationRequest"]


# ---------------------------------------------------------------- shared by chat and TGI


_TASKS: Mapping[str, str] = MappingProxyType({"chat": "chat", "text-generation": "text generation"})


def option(name: str, value: Any) -> Callable[[S], S]:
    """Set any option (a TGI or task parameter) by its wire name; None removes it."""
    if not isinstance(name, str):
        raise TypeError(f"option(): name must be the option's wire name (a str), got {name!r}")

    return _option(name, value)


def _option(name: str, value: Any) -> Callable[[S], S]:
    def apply(request: S) -> S:
        return request.with_option(name, value)

    return apply


def _elsewhere(modifier: str, task: str, other: str, name: str = "") -> Unsendable:
    hint = f" (hf.option({name!r}, ...) sends it anyway)" if name and other == "chat" else ""
    return Unsendable(
        f"{modifier}() is for {_TASKS.get(task, task)}: "
        f"it doesn't apply to {_TASKS.get(other, other)}{hint}"
    )


def _scoped(task: str, modifier: str, name: str, value: Any) -> Callable[[R], R]:
    """Set option ``name`` on a ``task`` request; on any other, record that it doesn't apply."""

    def apply(request: R) -> R:
        if request.task == task:
            return request.with_option(name, value)
        return request.with_option(name, _elsewhere(modifier, task, request.task, name))

    return apply


def _chat_only(modifier: str, name: str, change: ChatModifier) -> ChatModifier:
    """A chat modifier that changes a field (``change``); on another task's request it records
    that it doesn't apply, under ``name``."""

    def apply(request: ChatRequest) -> ChatRequest:
        if request.task == "chat":
            return change(request)
        return request.with_option(name, _elsewhere(modifier, "chat", request.task))

    return apply


def _switch(modifier: str, enabled: object) -> bool:
    if type(enabled) is not bool:
        raise TypeError(f"{modifier}(): enabled must be True or False, got {enabled!r}")
    return enabled


def temperature(value: float) -> Callable[[R], R]:
    """Sampling temperature (chat: [0, 2]; TGI: (0, 2])."""
    return _option("temperature", value)


def top_p(value: float) -> Callable[[R], R]:
    """Nucleus sampling (chat: [0, 1]; TGI: (0, 1))."""
    return _option("top_p", value)


def seed(value: int) -> Callable[[R], R]:
    return _option("seed", value)


def stop(*sequences: str | list[str] | tuple[str, ...]) -> Callable[[R], R]:
    """Stop sequences (replacing any set before; none given clears them). One list or tuple
    is taken as the sequences: ``stop(["a", "b"])`` is ``stop("a", "b")``."""
    given: Any = sequences
    if len(sequences) == 1 and isinstance(sequences[0], list | tuple):
        given = sequences[0]
    return _option("stop", tuple(given) or None)


def max_tokens(value: int) -> Callable[[R], R]:
    """Most tokens to generate (chat ``max_tokens``, TGI ``max_new_tokens``)."""

    def apply(request: R) -> R:
        return request.with_option(request.max_tokens_option, value)

    return apply


def streaming(enabled: bool = True) -> Callable[[R], R]:
    """Mark the request to travel as SSE: ``runner.run`` then streams on the wire and returns
    the assembled answer; ``runner.stream`` streams either way."""
    enabled = _switch("streaming", enabled)

    def apply(request: R) -> R:
        return attrs.evolve(request, stream=enabled)

    return apply


def cacheable(enabled: bool = True) -> Callable[[K], K]:
    """Allow the reliability cache to keep this request's answer (e.g. chat at seed and
    temperature 0, where the caller knows answers repeat; deterministic hf-inference tasks
    such as embeddings are cacheable from the start, ``cacheable(False)`` unmarks them)."""
    enabled = _switch("cacheable", enabled)

    def apply(request: K) -> K:
        changed: K = attrs.evolve(cast("Any", request), cacheable=enabled)  # every request is attrs
        return changed

    return apply


# ---------------------------------------------------------------- chat only


def chat_option(name: str, value: Any, modifier: str = "") -> ChatModifier:
    """Set a chat option (on a text-generation request it records that it doesn't apply)."""
    return _scoped("chat", modifier or name, name, value)


def provider(name: str) -> ChatModifier:
    """Pin the provider with a ``model:provider`` suffix (``fastest``/``cheapest`` too);
    replaces any suffix already there."""

    def change(request: ChatRequest) -> ChatRequest:
        if not isinstance(name, str):
            return request.with_option(
                "provider", Unsendable(f"must be a provider name such as 'groq', got {name!r}")
            )
        repo = request.model.partition(":")[0] if isinstance(request.model, str) else request.model
        return attrs.evolve(request, model=f"{repo}:{name}")

    return _chat_only("provider", "provider", change)


def fastest() -> ChatModifier:
    """Let the router pick the fastest provider serving the model (``model:fastest``)."""
    return provider("fastest")


def cheapest() -> ChatModifier:
    """Let the router pick the cheapest provider serving the model (``model:cheapest``)."""
    return provider("cheapest")


def preferred() -> ChatModifier:
    """Let the router follow the account's provider preference order (``model:preferred``)."""
    return provider("preferred")


def via(route: str | None) -> ChatModifier:
    """Send through a provider's own route (e.g. ``"hf-inference"``, ``"groq"``: each at its
    real path, see ``CHAT_ROUTES``) instead of the router's OpenAI endpoint; None goes back to
    the router."""
    return _chat_only("via", "route", lambda request: attrs.evolve(request, route=route))


def tools(*defined: Tool) -> ChatModifier:
    """Functions the model may call (replacing any given before)."""
    return _chat_only("tools", "tools", lambda request: attrs.evolve(request, tools=defined))


def tool_choice(choice: str) -> ChatModifier:
    """``"auto"``, ``"none"``, ``"required"`` or the name of one tool to force."""
    return chat_option("tool_choice", choice)


def response_format(spec: Mapping[str, Any]) -> ChatModifier:
    """Any ``response_format`` object, e.g. ``{"type": "json_object"}``. On the hf-inference
    route it is sent in TGI's grammar form (``{"type": "json_object", "value": schema}``)."""
    return chat_option("response_format", spec)


def json_mode() -> ChatModifier:
    """Ask for a JSON object answer."""
    return chat_option("response_format", {"type": "json_object"}, "json_mode")


def json_schema(name: str, schema: Mapping[str, Any], *, strict: bool = True) -> ChatModifier:
    """Ask for an answer that follows a JSON schema. The schema goes on the wire with its keys
    in the order given (models tend to write properties in schema order), not sorted as other
    JSON options are frozen."""
    given = dict(schema) if isinstance(schema, Mapping) else schema
    inner = {"name": name, "schema": given, "strict": strict}
    spec = {"type": "json_schema", "json_schema": inner}
    problem = unsendable_json(spec)
    return chat_option("response_format", problem or RawJson(dumps(spec)), "json_schema")


def n(count: int) -> ChatModifier:
    """How many alternative answers to generate."""
    return chat_option("n", count)


def presence_penalty(value: float) -> ChatModifier:
    return chat_option("presence_penalty", value)


def frequency_penalty(value: float) -> ChatModifier:
    return chat_option("frequency_penalty", value)


def logit_bias(bias: Mapping[str | int, float]) -> ChatModifier:
    """Token ids (as str or int) to biases in [-100, 100]."""
    given: Any = bias
    if isinstance(bias, Mapping):
        given = {str(k) if type(k) is int else k: v for k, v in bias.items()}
    return chat_option("logit_bias", given)


def logprobs(top: int | None = None) -> ChatModifier:
    """Return log probabilities (and the ``top`` alternatives per token)."""
    both = (chat_option("logprobs", True, "logprobs"), chat_option("top_logprobs", top, "logprobs"))

    def apply(request: ChatRequest) -> ChatRequest:
        return both[1](both[0](request))

    return apply


def stream_usage(enabled: bool = True) -> ChatModifier:
    """Ask for token usage at the end of a stream (on by default)."""
    enabled = _switch("stream_usage", enabled)
    return _chat_only(
        "stream_usage",
        "stream_options",
        lambda request: attrs.evolve(request, include_usage=enabled),
    )


def extra_body(**fields: Any) -> ChatModifier:
    """Body fields hf_pure doesn't model (e.g. ``reasoning_effort="low"``), as JSON values."""
    setters = tuple(_option(name, value) for name, value in fields.items())

    def apply(request: ChatRequest) -> ChatRequest:
        for set_one in setters:
            request = set_one(request)
        return request

    return apply


def add_messages(*messages: MessageLike) -> ChatModifier:
    """Append messages (e.g. an assistant answer and a tool result) to the conversation."""
    extra = tuple(as_message(m) for m in messages)
    return _chat_only(
        "add_messages",
        "messages",
        lambda request: attrs.evolve(request, messages=request.messages + extra),
    )


def with_messages(messages: Iterable[MessageLike]) -> ChatModifier:
    """Replace the whole conversation (a list: a single str is reported, not split)."""
    frozen = _freeze_messages(messages)
    return _chat_only(
        "with_messages", "messages", lambda request: attrs.evolve(request, messages=frozen)
    )


def system_prompt(text: str) -> ChatModifier:
    """Set the system message (replacing a leading system message if there is one)."""

    def change(request: ChatRequest) -> ChatRequest:
        rest = request.messages
        if rest and rest[0].role == "system":
            rest = rest[1:]
        return attrs.evolve(request, messages=(Message(role="system", content=text), *rest))

    return _chat_only("system_prompt", "messages", change)


# ---------------------------------------------------------------- text generation only


def tgi_option(name: str, value: Any, modifier: str = "") -> TgiModifier:
    """Set a TGI parameter (on a chat request it records that it doesn't apply)."""
    return _scoped("text-generation", modifier or name, name, value)


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
