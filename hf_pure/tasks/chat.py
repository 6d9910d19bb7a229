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
from hf_pure.core.error_base import InvalidInput
from hf_pure.core.http import HttpCall, RawReply, repo_path
from hf_pure.core.value import Value
from hf_pure.tasks.chat_checks import (
    CHAT_CHECKS,
    CHAT_RESERVED,
    PLAIN_ROLES,
    TOOL_CHOICES,
    check_messages,
    check_route,
    check_tools,
)
from hf_pure.tasks.messages import Message, MessageLike, _freeze_messages
from hf_pure.tasks.options import (
    Option,
    Options,
    RawJson,
    check_options,
    freeze,
    freeze_options,
    set_option,
    wire,
)
from hf_pure.tasks.tools import Tool
from hf_pure.tasks.validate import (
    check_model,
)

if TYPE_CHECKING:
    from hf_pure.core.errors import HfError
    from hf_pure.tasks.chat_reply import ChatCompletion
    from hf_pure.tasks.chat_stream import ChatStreamCodec

CHAT_PATH: Final = "/v1/chat/completions"

#: Each provider's own chat route under ``{router}/{provider}`` (``via(provider)``), from the
#: recorded exchanges in WIRE.md; a provider not listed uses :data:`CHAT_PATH`. hf-inference
#: puts the model in the path (``/models/{repo id}/v1/chat/completions``).
CHAT_ROUTES: Mapping[str, str] = MappingProxyType(
    {
        "fireworks-ai": "/inference/v1/chat/completions",
        "novita": "/v3/openai/chat/completions",
        "groq": "/openai/v1/chat/completions",
        "cohere": "/compatibility/v1/chat/completions",
        "deepinfra": "/v1/openai/chat/completions",
    }
)


# --------------------------------------------------------------------------- the request


def _freeze_tools(value: Iterable[Tool]) -> tuple[Tool, ...]:
    return value if type(value) is tuple else tuple(value)


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

    task = "chat"  # what task-specific modifiers compare with (see hf_pure.tasks.modifiers)
    max_tokens_option = "max_tokens"  # the name the shared max_tokens modifier sets

    def with_option(self, name: str, value: Any) -> ChatRequest:
        """This request with one option set (None removes it); the value is frozen. The one
        way options are set: every modifier and ``extra_body`` come through here."""
        return _trusted(
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
        if self.route is None and not self.tools and _plainly_valid(self, limits):
            return None  # the common request, passed in one pass (see _plainly_valid)
        return self.full_check(limits)

    def full_check(self, limits: Limits) -> InvalidInput | None:
        """Every check, in order (what :meth:`check` falls back to): the first problem."""
        return (
            check_model(self.model, limits)
            or check_messages(self.messages, limits)
            or check_options(self.options, CHAT_CHECKS, limits, CHAT_RESERVED)
            or check_tools(self.tools, self.tool_choice)
            or (
                InvalidInput("top_logprobs", "needs logprobs=True")
                if self.top_logprobs is not None and not self.logprobs
                else None
            )
            or (check_route(self.route) if self.route is not None else None)
        )

    # -- wire -----------------------------------------------------------------------------

    def _path(self) -> str:
        route = self.route
        if route is None:
            return CHAT_PATH
        if route == "hf-inference":
            repo = self.model.partition(":")[0]
            return f"/hf-inference/models/{repo_path(repo)}{CHAT_PATH}"
        return f"/{route}{CHAT_ROUTES.get(route, CHAT_PATH)}"

    def body(self, *, stream: bool) -> dict[str, Any]:
        """The JSON body as a dict (what :meth:`to_call` encodes)."""
        out = _plain_body(self) if not self.tools else None
        if out is None:
            out = general_body(self)
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
        from hf_pure.tasks import chat_reply  # loaded with the first reply (and msgspec with it)

        return chat_reply.decode_completion(reply)

    @property
    def codec(self) -> ChatStreamCodec:
        from hf_pure.tasks.chat_stream import CHAT_CODEC  # loaded with the first stream

        return CHAT_CODEC


def general_body(request: ChatRequest) -> dict[str, Any]:
    """The body of any request, without ``stream`` (what :meth:`ChatRequest.body` falls back
    to when the plain path doesn't apply)."""
    out: dict[str, Any] = {name: wire(value) for name, value in request.options}
    out["model"] = request.model
    out["messages"] = [m.to_json() for m in request.messages]
    if request.tools:
        out["tools"] = [t.to_json() for t in request.tools]
    choice = out.get("tool_choice")
    if choice is not None and choice not in TOOL_CHOICES:
        out["tool_choice"] = {"type": "function", "function": {"name": choice}}
    if request.route == "hf-inference" and "response_format" in out:
        out["response_format"] = tgi_grammar(request.response_format)
    return out


# ------------------------------------------------------------------ the fast paths
# The common request (text messages, numeric options, no tools, the router's own route) is
# checked and encoded by the two functions below in one pass each; anything else falls back
# to the full check and the general body. tests/test_chat_fast_paths.py holds each fast path
# equal to its general path on generated requests: the same answer from check(), the same
# bytes on the wire.

#: Options the fused check reads itself: (low, high, integer?) with None for "no bound"; the
#: bounds restate CHAT_CHECKS, and the property test compares the two on every request.
_FAST_RANGES: Mapping[str, tuple[float, float | None, bool]] = MappingProxyType(
    {
        "temperature": (0.0, 2.0, False),
        "top_p": (0.0, 1.0, False),
        "max_tokens": (1, None, True),  # high: limits.max_tokens
        "seed": (-(2**63), 2**64 - 1, True),
        "n": (1, 128, True),
        "presence_penalty": (-2.0, 2.0, False),
        "frequency_penalty": (-2.0, 2.0, False),
    }
)


def _plainly_valid(request: ChatRequest, limits: Limits) -> bool:
    """True when ``request`` is certainly valid by the quick rules; False means "ask the full
    check" (which may still find nothing wrong)."""
    model = request.model
    if not (
        type(model) is str
        and ":" not in model
        and 0 < len(model) <= limits.max_model_id_chars
        and model.isascii()
        and model.isprintable()
        and " " not in model
        and "//" not in model
        and "/." not in model
        and model[0] not in "/."
        and model[-1] != "/"
    ):
        return False
    messages = request.messages
    if not messages:
        return False
    total = 0
    for m in messages:
        content = m.content
        if not (
            type(content) is str
            and content.isascii()
            and m.role in PLAIN_ROLES
            and m.name is None
            and not m.tool_calls
            and m.tool_call_id is None
        ):
            return False
        total += len(content)
    if total > limits.max_input_chars:
        return False
    for name, value in request.options:
        bounds = _FAST_RANGES.get(name)
        if bounds is None:
            return False
        low, high, integer = bounds
        kind = type(value)
        if integer:
            if kind is not int:
                return False
            if name == "max_tokens":
                high = limits.max_tokens
        elif kind is not float and kind is not int:
            return False
        if not low <= value or (high is not None and not value <= high):  # NaN fails both
            return False
    return True


def _plain_body(request: ChatRequest) -> dict[str, Any] | None:
    """The body of a request whose messages are plain text and whose options are plain
    values, built without the general path's per-message methods; None for anything else."""
    out: dict[str, Any] = {}
    for name, value in request.options:
        if type(value) is RawJson or name == "tool_choice":
            return None
        out[name] = value
    messages: list[dict[str, Any]] = []
    append = messages.append
    for m in request.messages:
        content = m.content
        if (
            type(content) is not str
            or m.name is not None
            or m.tool_calls
            or m.tool_call_id is not None
        ):
            return None
        append({"role": m.role, "content": content})
    out["model"] = request.model
    out["messages"] = messages
    return out


# The trusted constructor: a request from fields that are already frozen (what chat() and
# with_option() hold), set straight through the slots' descriptors. It skips attrs' __init__
# and its converters, which would only check again what is known (1.5 µs of a 2.3 µs
# construction, once per builder and per modifier). tests/test_chat.py checks it sets every
# field, in attrs' order, and gives a request equal to (and hashed as) the one __init__ makes.
CHAT_TRUSTED_FIELDS: Final = (
    "model",
    "messages",
    "options",
    "tools",
    "stream",
    "include_usage",
    "route",
    "cacheable",
    "_attrs_cached_hash",
)
(_s_model, _s_messages, _s_options, _s_tools, _s_stream, _s_usage, _s_route, _s_cache, _s_hash) = (
    ChatRequest.__dict__[name].__set__ for name in CHAT_TRUSTED_FIELDS
)
_new: Final = object.__new__


def _trusted(
    model: str,
    messages: tuple[Message, ...],
    options: Options,
    tools: tuple[Tool, ...],
    stream: bool,
    include_usage: bool,
    route: str | None,
    cacheable: bool,
) -> ChatRequest:
    request: ChatRequest = _new(ChatRequest)
    _s_model(request, model)
    _s_messages(request, messages)
    _s_options(request, options)
    _s_tools(request, tools)
    _s_stream(request, stream)
    _s_usage(request, include_usage)
    _s_route(request, route)
    _s_cache(request, cacheable)
    _s_hash(request, None)
    return request


def chat(model: str, messages: Iterable[MessageLike]) -> ChatRequest:
    """A chat request. Messages may be :class:`Message` values, plain strings (user messages)
    or OpenAI-style dicts. ``messages`` is a list: a single str is not split into letters but
    reported by ``check()`` (``InvalidInput("messages", ...)``) with the fix."""
    return _trusted(model, _freeze_messages(messages), (), (), False, True, None, False)


def tgi_grammar(spec: Any) -> Any:
    """``response_format`` in TGI's grammar form, which the hf-inference chat route takes:
    ``{"type": "json_object", "value": <schema>}`` (an OpenAI ``json_schema`` gives its schema;
    ``json_object`` any object). Other formats go as they are."""
    if not isinstance(spec, dict):
        return spec
    kind = spec.get("type")
    if kind == "json_schema":
        inner = spec.get("json_schema")
        schema = inner.get("schema") if isinstance(inner, dict) else None
        return {"type": "json_object", "value": schema}
    if kind == "json_object" and "value" not in spec:
        return {"type": "json_object", "value": {"type": "object"}}
    return spec
