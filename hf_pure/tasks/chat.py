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

import base64
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.codec import (
    JSONDecodeError,
    dumps,
    dumps_canonical,
    excerpt,
    fragment,
    loads,
)
from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput, MalformedResponse
from hf_pure.core.failures import error_from_event, malformed
from hf_pure.core.http import HttpCall, RawReply, repo_path
from hf_pure.core.value import Value, ValueEq
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

ROLES: Final = frozenset({"system", "user", "assistant", "tool", "developer"})
CHAT_PATH: Final = "/v1/chat/completions"
TOOL_CHOICES: Final = frozenset({"auto", "none", "required"})

Json: TypeAlias = Any


# --------------------------------------------------------------------------- message values


@attrs.frozen(repr=False)
class TextPart(Value):
    """A text piece of a multi-part message."""

    text: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


@attrs.frozen(repr=False)
class ImagePart(Value):
    """An image piece: an https URL or a ``data:`` URL (see :func:`image_part`)."""

    url: str
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        image: dict[str, Any] = {"url": self.url}
        if self.detail is not None:
            image["detail"] = self.detail
        return {"type": "image_url", "image_url": image}


@attrs.frozen(repr=False)
class RawPart(Value):
    """Any other content part (e.g. ``input_audio``), kept as canonical JSON and sent as is."""

    json: bytes

    def to_json(self) -> Any:
        return fragment(self.json)


ContentPart: TypeAlias = TextPart | ImagePart | RawPart
Content: TypeAlias = str | tuple[ContentPart, ...] | None


def _part(value: ContentPart | str | Mapping[str, Any]) -> ContentPart:
    if isinstance(value, TextPart | ImagePart | RawPart):
        return value
    if isinstance(value, str):
        return TextPart(value)
    if value.get("type") == "text" and isinstance(value.get("text"), str):
        return TextPart(value["text"])
    image = value.get("image_url")
    if value.get("type") == "image_url" and isinstance(image, Mapping):
        return ImagePart(str(image.get("url", "")), image.get("detail"))
    return RawPart(dumps_canonical(dict(value)))


def _freeze_content(value: Any) -> Content:
    if value is None or type(value) is str:
        return value
    return tuple(_part(p) for p in value)


@attrs.frozen(repr=False)
class ToolCall(Value):
    """A call the model asks for. ``arguments`` is the JSON text exactly as the model wrote it."""

    id: str
    name: str
    arguments: str = "{}"
    type: str = "function"

    def parsed_arguments(self) -> Result[Any, MalformedResponse]:
        """The arguments as JSON values, or a Failure when the model wrote invalid JSON."""
        try:
            return Success(loads(self.arguments))
        except JSONDecodeError:
            return Failure(
                MalformedResponse(
                    200,
                    f"tool call {self.name!r} arguments are not valid JSON",
                    excerpt(self.arguments.encode()),
                )
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "function": {"name": self.name, "arguments": self.arguments},
        }


def _freeze_calls(value: Iterable[ToolCall] | None) -> tuple[ToolCall, ...]:
    if not value:
        return ()
    return value if type(value) is tuple else tuple(value)


@attrs.frozen(repr=False)
class Message(Value):
    """One chat message. ``reasoning`` holds reasoning text some models return (not sent back)."""

    role: str
    content: Content = attrs.field(default=None, converter=_freeze_content)
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = attrs.field(default=(), converter=_freeze_calls)
    tool_call_id: str | None = None
    reasoning: str | None = None

    @property
    def text(self) -> str:
        """The text of the message (text parts joined); "" when it has none."""
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    def to_json(self) -> dict[str, Any]:
        content = self.content
        out: dict[str, Any] = {
            "role": self.role,
            "content": content
            if content is None or isinstance(content, str)
            else [p.to_json() for p in content],
        }
        if self.name is not None:
            out["name"] = self.name
        if self.tool_calls:
            out["tool_calls"] = [c.to_json() for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out


def system(text: str) -> Message:
    return Message("system", text)


def developer(text: str) -> Message:
    return Message("developer", text)


def user(content: str | Iterable[ContentPart | str]) -> Message:
    """A user message: text, or parts (text and images) for vision-language models."""
    return Message("user", content)


def assistant(content: str | None = None, tool_calls: Iterable[ToolCall] = ()) -> Message:
    return Message("assistant", content, tool_calls=tuple(tool_calls))


def tool_result(tool_call_id: str, content: str, name: str | None = None) -> Message:
    """The answer to a tool call, sent back as a ``tool`` message."""
    return Message("tool", content, name=name, tool_call_id=tool_call_id)


def text_part(text: str) -> TextPart:
    return TextPart(text)


def image_part(data: bytes, mime: str = "image/png", detail: str | None = None) -> ImagePart:
    """An image given as bytes, sent inline as a base64 ``data:`` URL."""
    return ImagePart(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", detail)


def image_url(url: str, detail: str | None = None) -> ImagePart:
    return ImagePart(url, detail)


def message_from_json(obj: Mapping[str, Any], default_role: str = "") -> Message:
    """A Message from an OpenAI-style dict (``{"role": ..., "content": ...}``)."""
    calls = obj.get("tool_calls")
    role = obj.get("role")
    reasoning = obj.get("reasoning_content") or obj.get("reasoning")
    return Message(
        role if type(role) is str and role else default_role,
        obj.get("content"),
        obj.get("name"),
        tuple(_tool_call(c) for c in calls if isinstance(c, Mapping)) if calls else (),
        obj.get("tool_call_id"),
        reasoning if type(reasoning) is str else None,
    )


def as_message(value: Message | str | Mapping[str, Any]) -> Message:
    if isinstance(value, Message):
        return value
    if isinstance(value, str):
        return Message("user", value)
    return message_from_json(value)


def _freeze_messages(value: Iterable[Message | str | Mapping[str, Any]]) -> tuple[Message, ...]:
    if type(value) is tuple and all(type(m) is Message for m in value):
        return value
    return tuple(as_message(m) for m in value)


# --------------------------------------------------------------------------- tools


@attrs.frozen(repr=False)
class Tool(Value):
    """A function the model may call; ``parameters`` is its JSON schema as canonical JSON."""

    name: str
    description: str = ""
    parameters: bytes = b'{"properties":{},"type":"object"}'
    strict: bool | None = None

    @property
    def schema(self) -> Json:
        return loads(self.parameters)

    def to_json(self) -> dict[str, Any]:
        fn: dict[str, Any] = {"name": self.name, "parameters": fragment(self.parameters)}
        if self.description:
            fn["description"] = self.description
        if self.strict is not None:
            fn["strict"] = self.strict
        return {"type": "function", "function": fn}


def tool(
    name: str,
    description: str = "",
    parameters: Mapping[str, Any] | None = None,
    *,
    strict: bool | None = None,
) -> Tool:
    """Describe a function the model may call (``parameters``: a JSON schema)."""
    schema = dumps_canonical(dict(parameters)) if parameters is not None else None
    if schema is None:
        return Tool(name, description, strict=strict)
    return Tool(name, description, schema, strict)


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


# --------------------------------------------------------------------------- replies


@attrs.frozen(repr=False, eq=False)
class Usage(ValueEq):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@attrs.frozen(repr=False, eq=False)
class TopLogprob(ValueEq):
    token: str
    logprob: float


@attrs.frozen(repr=False, eq=False)
class TokenLogprob(ValueEq):
    token: str
    logprob: float
    top: tuple[TopLogprob, ...] = ()


@attrs.frozen(repr=False, eq=False)
class Choice(ValueEq):
    index: int
    message: Message
    finish_reason: str | None = None
    logprobs: tuple[TokenLogprob, ...] = ()


@attrs.frozen(repr=False, eq=False)
class ChatCompletion(ValueEq):
    """A whole chat answer. ``text``, ``tool_calls`` and ``finish_reason`` read choice 0."""

    id: str
    model: str
    created: int
    choices: tuple[Choice, ...]
    usage: Usage | None = None
    system_fingerprint: str | None = None

    @property
    def message(self) -> Message:
        return self.choices[0].message if self.choices else Message("assistant", "")

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        return self.message.tool_calls

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason if self.choices else None


def _int(value: Any, default: int = 0) -> int:
    return value if type(value) is int else default


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _usage(obj: Any) -> Usage | None:
    if not isinstance(obj, dict):
        return None
    prompt = _int(obj.get("prompt_tokens"))
    completion = _int(obj.get("completion_tokens"))
    return Usage(prompt, completion, _int(obj.get("total_tokens"), prompt + completion))


def _tool_call(obj: Mapping[str, Any]) -> ToolCall:
    fn = obj.get("function")
    fn = fn if isinstance(fn, Mapping) else {}
    args = fn.get("arguments")
    if not isinstance(args, str):  # some providers send an object instead of JSON text
        args = dumps(args).decode() if args is not None else "{}"
    return ToolCall(
        str(obj.get("id") or ""),
        str(fn.get("name") or ""),
        args,
        str(obj.get("type") or "function"),
    )


def _logprobs(obj: Any) -> tuple[TokenLogprob, ...]:
    content = obj.get("content") if isinstance(obj, dict) else None
    if not isinstance(content, list):
        return ()
    out = []
    for item in content:
        if not isinstance(item, dict):
            continue
        tops = item.get("top_logprobs")
        top = tuple(
            TopLogprob(str(t.get("token", "")), float(t.get("logprob", 0.0)))
            for t in (tops if isinstance(tops, list) else ())
            if isinstance(t, dict) and isinstance(t.get("logprob", 0.0), int | float)
        )
        lp = item.get("logprob", 0.0)
        out.append(
            TokenLogprob(
                str(item.get("token", "")), float(lp) if isinstance(lp, int | float) else 0.0, top
            )
        )
    return tuple(out)


def completion_from_json(obj: Any) -> ChatCompletion | str:
    """A ChatCompletion from parsed JSON, or the reason it is not one."""
    if type(obj) is not dict:
        return f"expected a JSON object, got {type(obj).__name__}"
    raw_choices = obj.get("choices")
    if type(raw_choices) is not list:
        return "the reply has no 'choices' list"
    choices = []
    for i, c in enumerate(raw_choices):
        message = c.get("message") if type(c) is dict else None
        if type(message) is not dict:
            return f"choice {i} has no 'message' object"
        logprobs = c.get("logprobs")
        choices.append(
            Choice(
                _int(c.get("index"), i),
                message_from_json(message, "assistant"),
                _str(c.get("finish_reason")),
                _logprobs(logprobs) if logprobs else (),
            )
        )
    usage = obj.get("usage")
    return ChatCompletion(
        _str(obj.get("id")) or "",
        _str(obj.get("model")) or "",
        _int(obj.get("created")),
        tuple(choices),
        _usage(usage) if usage else None,
        _str(obj.get("system_fingerprint")),
    )


def decode_completion(reply: RawReply) -> Result[ChatCompletion, HfError]:
    """Decode a 2xx chat reply. Total: any body gives Success or a specific Failure."""
    try:
        obj = loads(reply.body)
    except JSONDecodeError:
        return Failure(malformed(reply, "the body is not valid JSON"))
    if isinstance(obj, dict) and "error" in obj and "choices" not in obj:
        return Failure(error_from_event(obj, reply.request_id))
    parsed = completion_from_json(obj)
    if isinstance(parsed, str):
        return Failure(malformed(reply, parsed))
    return Success(parsed)
