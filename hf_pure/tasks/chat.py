"""Chat completions through the router (OpenAI-compatible), as pure values.

Build a request with :func:`chat`, refine it with modifiers in ``toolz.pipe``, send it with the
runner. Nothing here does IO; :meth:`ChatRequest.check` finds bad input before anything is sent.

    req = pipe(
        hf.chat("meta-llama/Llama-3.1-8B-Instruct", [hf.system("Be brief."), hf.user("Hi")]),
        hf.temperature(0.2),
        hf.max_tokens(64),
        hf.provider("groq"),
    )
"""


from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import attrs
from returns.result import Result

from hf_pure.core.codec import dumps
from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.http import HttpCall, RawReply, repo_path
from hf_pure.core.value import Value
from hf_pure.tasks.chat_reply import ChatCompletion, decode_completion
from hf_pure.tasks.messages import (
    ROLES,
    ImagePart,
    Message,
    TextPart,
    Tool,
    _freeze_messages,
)
from hf_pure.tasks.options import (
    Check,
    Option,
    Options,
    check_options,
    freeze,
    freeze_options,
    set_option,
    thaw,
    wire,
)
from hf_pure.tasks.validate import (
    check_bool,
    check_float,
    check_int,
    check_model,
    check_stops,
    is_provider_name,
)

if TYPE_CHECKING:
    from hf_pure.tasks.chat_stream import ChatStreamCodec

CHAT_PATH: Final = "/v1/chat/completions"
TOOL_CHOICES: Final = frozenset({"auto", "none", "required"})


# --------------------------------------------------------------------------- the request


def _freeze_tools(value: Iterable[Tool]) -> tuple[Tool, ...]:
    return value if type(value) is tuple else tuple(value)


def _check_bias(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    bias = thaw(value)
    if not isinstance(bias, dict):
        return InvalidInput(name, "must map token ids to biases")
    for token, amount in bias.items():
        problem = check_float(f"{name}[{token}]", amount, -100.0, 100.0)
        if problem is not None:
            return problem
    return None


def _check_tool_choice(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    if isinstance(value, str) and value:
        return None
    return InvalidInput(name, "must be 'auto', 'none', 'required' or a tool's name")


#: What each known chat option must hold. Options not listed pass through to the server.
CHAT_CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "temperature": lambda n, v, _: check_float(n, v, 0.0, 2.0),
        "top_p": lambda n, v, _: check_float(n, v, 0.0, 1.0),
        "max_tokens": lambda n, v, lim: check_int(n, v, 1, lim.max_tokens),
        "stop": lambda n, v, _: check_stops(n, v),
        "seed": lambda n, v, _: check_int(n, v, -(2**63), 2**64 - 1),
        "n": lambda n, v, _: check_int(n, v, 1, 128),
        "presence_penalty": lambda n, v, _: check_float(n, v, -2.0, 2.0),
        "frequency_penalty": lambda n, v, _: check_float(n, v, -2.0, 2.0),
        "logit_bias": _check_bias,
        "logprobs": lambda n, v, _: check_bool(n, v),
        "top_logprobs": lambda n, v, _: check_int(n, v, 0, 20),
        "tool_choice": _check_tool_choice,
    }
)

#: Body keys an option may not take over, and what to use instead.
CHAT_RESERVED: Mapping[str, str] = MappingProxyType(
    {
        "model": "it is the request's model",
        "messages": "use add_messages / with_messages",
        "tools": "use tools(...)",
        "stream": "use streaming() or runner.stream",
        "stream_options": "use stream_usage()",
    }
)


@attrs.frozen(cache_hash=True, repr=False)
class ChatRequest(Value):
    """A chat completion request: a model, messages, and the options the caller set.

    ``options`` holds only what was set (see :mod:`hf_pure.tasks.options`); read them as
    typed attributes (``request.temperature``) and set them with modifiers
    (``hf.temperature(0.2)``) or :meth:`with_option`. ``route`` None sends through the
    router's OpenAI endpoint, a provider name (``"hf-inference"``) through its own route.
    """

    model: str
    messages: tuple[Message, ...] = attrs.field(converter=_freeze_messages)
    options: Options = attrs.field(default=(), converter=freeze_options)
    tools: tuple[Tool, ...] = attrs.field(default=(), converter=_freeze_tools)
    stream: bool = False
    include_usage: bool = True
    route: str | None = None
    cacheable: bool = False

    temperature = Option[float]("temperature")
    top_p = Option[float]("top_p")
    max_tokens = Option[int]("max_tokens")
    stop = Option[tuple[str, ...]]("stop")
    seed = Option[int]("seed")
    n = Option[int]("n")
    presence_penalty = Option[float]("presence_penalty")
    frequency_penalty = Option[float]("frequency_penalty")
    logit_bias = Option[dict[str, float]]("logit_bias")
    logprobs = Option[bool]("logprobs")
    top_logprobs = Option[int]("top_logprobs")
    response_format = Option[dict[str, Any]]("response_format")
    tool_choice = Option[str]("tool_choice")

    max_tokens_option = "max_tokens"  # the name the shared max_tokens modifier sets

    def with_option(self, name: str, value: Any) -> ChatRequest:
        """This request with one option set (None removes it); the value is frozen."""
        return ChatRequest(
            self.model,
            self.messages,
            set_option(self.options, name, freeze(value)),
            self.tools,
            self.stream,
            self.include_usage,
            self.route,
            self.cacheable,
        )

    # -- validation -----------------------------------------------------------------------

    def check(self, limits: Limits) -> InvalidInput | None:
        """The first thing wrong with this request, or None. Never raises."""
        return (
            check_model(self.model, limits)
            or _check_messages(self.messages, limits)
            or check_options(self.options, CHAT_CHECKS, limits, CHAT_RESERVED)
            or _check_tools(self.tools, self.tool_choice)
            or (
                InvalidInput("top_logprobs", "needs logprobs=True")
                if self.top_logprobs is not None and not self.logprobs
                else None
            )
            or (
                InvalidInput("route", f"{self.route!r} is not a provider name")
                if self.route is not None and not is_provider_name(self.route)
                else None
            )
        )

    # -- wire -----------------------------------------------------------------------------

    def _path(self) -> str:
        if self.route is None:
            return CHAT_PATH
        if self.route == "hf-inference":
            repo = self.model.partition(":")[0]
            return f"/hf-inference/models/{repo_path(repo)}{CHAT_PATH}"
        return f"/{self.route}{CHAT_PATH}"

    def body(self, *, stream: bool) -> dict[str, Any]:
        """The JSON body as a dict (what :meth:`to_call` encodes)."""
        out: dict[str, Any] = {name: wire(value) for name, value in self.options}
        out["model"] = self.model
        out["messages"] = [m.to_json() for m in self.messages]
        if self.tools:
            out["tools"] = [t.to_json() for t in self.tools]
        choice = out.get("tool_choice")
        if choice is not None and choice not in TOOL_CHOICES:
            out["tool_choice"] = {"type": "function", "function": {"name": choice}}
        if stream:
            out["stream"] = True
            if self.include_usage:
                out["stream_options"] = {"include_usage": True}
        return out

    def to_call(self) -> HttpCall:
        return HttpCall(
            "POST",
            self._path(),
            body=dumps(self.body(stream=False)),
            content_type="application/json",
        )

    def to_stream_call(self) -> HttpCall:
        return HttpCall(
            "POST",
            self._path(),
            body=dumps(self.body(stream=True)),
            content_type="application/json",
            stream=True,
        )

    def decode(self, reply: RawReply) -> Result[ChatCompletion, HfError]:
        return decode_completion(reply)

    @property
    def codec(self) -> ChatStreamCodec:
        from hf_pure.tasks.chat_stream import CHAT_CODEC  # loaded with the first stream

        return CHAT_CODEC


def chat(model: str, messages: Iterable[Message | str | Mapping[str, Any]]) -> ChatRequest:
    """A chat request. Messages may be :class:`Message` values, plain strings (user messages)
    or OpenAI-style dicts."""
    return ChatRequest(model, _freeze_messages(messages))


def _check_messages(messages: tuple[Message, ...], limits: Limits) -> InvalidInput | None:
    if not messages:
        return InvalidInput("messages", "at least one message is needed")
    total = 0
    for i, m in enumerate(messages):
        content = m.content
        if type(content) is str and m.role in _PLAIN_ROLES:  # the common case, checked fast
            total += len(content)
        else:
            problem = _message_problem(i, m)
            if problem is not None:
                return problem
            total += len(m.text)
        if total > limits.max_input_chars:
            return InvalidInput(
                "messages",
                f"the text is over {limits.max_input_chars:,} characters "
                "(raise Limits.max_input_chars to allow more)",
            )
    return None


_PLAIN_ROLES: Final = frozenset({"system", "user", "assistant", "developer"})


def _message_problem(i: int, m: Message) -> InvalidInput | None:
    where = f"messages[{i}]"
    if m.role not in ROLES:
        return InvalidInput(
            f"{where}.role", f"unknown role {m.role!r}; use one of {', '.join(sorted(ROLES))}"
        )
    content = m.content
    if content is None:
        if not (m.role == "assistant" and m.tool_calls):
            return InvalidInput(
                f"{where}.content",
                "is missing (only an assistant message with tool calls may have no content)",
            )
    elif not isinstance(content, str):
        if not content:
            return InvalidInput(f"{where}.content", "has no parts")
        for p in content:
            if isinstance(p, TextPart) and not isinstance(p.text, str):
                return InvalidInput(f"{where}.content", "a text part needs a string")
            if isinstance(p, ImagePart) and not (
                isinstance(p.url, str) and p.url.startswith(("http://", "https://", "data:"))
            ):
                return InvalidInput(
                    f"{where}.content", "an image part needs an http(s) or data: URL"
                )
    if m.role == "tool" and not m.tool_call_id:
        return InvalidInput(f"{where}.tool_call_id", "a tool message must name the call it answers")
    return None


def _check_tools(tools: tuple[Tool, ...], tool_choice: str | None) -> InvalidInput | None:
    names = set()
    for t in tools:
        if not isinstance(t, Tool):
            return InvalidInput("tools", f"expected hf.tool(...) values, got {type(t).__name__}")
        if not t.name or not t.name.replace("-", "_").isidentifier() or len(t.name) > 64:
            return InvalidInput("tools", f"tool name {t.name!r}: use 1-64 letters, digits, _ or -")
        if t.name in names:
            return InvalidInput("tools", f"tool name {t.name!r} appears twice")
        names.add(t.name)
    if tool_choice is None or tool_choice in TOOL_CHOICES:
        if tool_choice in ("required",) and not tools:
            return InvalidInput("tool_choice", "'required' needs at least one tool")
        return None
    if tool_choice not in names:
        return InvalidInput("tool_choice", f"{tool_choice!r} is not one of the tools given")
    return None

