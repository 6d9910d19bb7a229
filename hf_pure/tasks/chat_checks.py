"""What a chat request must hold: the checks :meth:`ChatRequest.check` runs, all pure.

Options are checked by the table :data:`CHAT_CHECKS` (names not listed pass through to the
server), reserved body keys by :data:`CHAT_RESERVED`; messages, tools and the route by the
functions below. Every check returns the first ``InvalidInput`` (naming the field, down to
``messages[2].content[1]``) or None, and never raises, whatever the request holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from hf_pure.core.codec import has_lone_surrogate
from hf_pure.core.config import Limits
from hf_pure.core.error_base import InvalidInput
from hf_pure.tasks.messages import ROLES, ContentPart, ImagePart, Message, TextPart, ToolCall
from hf_pure.tasks.options import Check, RawJson, Unsendable, thaw
from hf_pure.tasks.tools import Tool
from hf_pure.tasks.validate import (
    check_bool,
    check_float,
    check_int,
    check_stops,
    check_str,
    is_provider_name,
)

TOOL_CHOICES: Final = frozenset({"auto", "none", "required"})

#: Providers the router knows that serve no chat at all (queue or polling APIs for media).
NO_CHAT: Final = frozenset({"fal-ai", "replicate", "wavespeed", "black-forest-labs"})


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


def _check_response_format(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    spec = thaw(value)
    if type(value) is not RawJson or not isinstance(spec, dict):
        return InvalidInput(
            name,
            'must be an object such as {"type": "json_object"} (hf.json_mode(), '
            f"hf.json_schema(name, schema)), got {type(spec).__name__}",
        )
    kind = spec.get("type")
    if not isinstance(kind, str) or not kind:
        return InvalidInput(f"{name}.type", "must be a string such as 'json_object'")
    if kind != "json_schema":
        return None
    inner = spec.get("json_schema")
    if not isinstance(inner, dict):
        return InvalidInput(f"{name}.json_schema", "must be an object with a name and a schema")
    if not isinstance(inner.get("name"), str) or not inner["name"]:
        return InvalidInput(f"{name}.json_schema.name", "must be a non-empty string")
    if not isinstance(inner.get("schema"), dict):
        return InvalidInput(f"{name}.json_schema.schema", "must be a JSON schema object (a dict)")
    return check_bool(f"{name}.json_schema.strict", inner.get("strict"))


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
        "response_format": _check_response_format,
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
        # text-generation (TGI) parameters no chat endpoint reads:
        "max_new_tokens": "chat calls it max_tokens (hf.max_tokens sets the right one)",
        "details": "a text-generation parameter: it doesn't apply to chat (see logprobs())",
        "return_full_text": "a text-generation parameter: it doesn't apply to chat",
        "do_sample": "a text-generation parameter: it doesn't apply to chat (set temperature)",
        "truncate": "a text-generation parameter: it doesn't apply to chat",
    }
)


def check_messages(messages: tuple[Message, ...], limits: Limits) -> InvalidInput | None:
    if not messages:
        return InvalidInput("messages", "at least one message is needed")
    total = 0
    for i, m in enumerate(messages):
        content = m.content
        if (  # the common case, checked fast: plain text in a plain message
            type(content) is str
            and m.role in PLAIN_ROLES
            and m.name is None
            and not m.tool_calls
            and (content.isascii() or not has_lone_surrogate(content))
        ):
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


PLAIN_ROLES: Final = frozenset({"system", "user", "assistant", "developer"})


def _message_problem(i: int, m: Message) -> InvalidInput | None:
    where = f"messages[{i}]"
    content = m.content
    if isinstance(content, Unsendable):  # first: it may stand for the whole list of messages
        return InvalidInput(content.at(where), content.reason)
    if type(m.role) is not str or m.role not in ROLES:
        return InvalidInput(
            f"{where}.role", f"unknown role {m.role!r}; use one of {', '.join(sorted(ROLES))}"
        )
    if content is None:
        if not (m.role == "assistant" and m.tool_calls):
            return InvalidInput(
                f"{where}.content",
                "is missing (only an assistant message with tool calls may have no content)",
            )
    elif isinstance(content, str):
        problem = check_str(f"{where}.content", content)
        if problem is not None:
            return problem
    else:
        problem = _parts_problem(f"{where}.content", content)
        if problem is not None:
            return problem
    for j, call in enumerate(m.tool_calls):
        problem = _call_problem(f"{where}.tool_calls[{j}]", call)
        if problem is not None:
            return problem
    if m.role == "tool" and not m.tool_call_id:
        return InvalidInput(f"{where}.tool_call_id", "a tool message must name the call it answers")
    return (check_str(f"{where}.name", m.name, empty=False) if m.name is not None else None) or (
        check_str(f"{where}.tool_call_id", m.tool_call_id) if m.tool_call_id is not None else None
    )


def _parts_problem(where: str, parts: tuple[ContentPart, ...]) -> InvalidInput | None:
    if not parts:
        return InvalidInput(where, "has no parts")
    for k, p in enumerate(parts):
        at = f"{where}[{k}]"
        if isinstance(p, TextPart):
            if not isinstance(p.text, str):
                return InvalidInput(at, "a text part needs a string")
            problem = check_str(at, p.text)
        elif isinstance(p, ImagePart):
            if not (isinstance(p.url, str) and p.url.startswith(("http://", "https://", "data:"))):
                return InvalidInput(at, "an image part needs an http(s) or data: URL")
            problem = check_str(at, p.url) or (
                check_str(f"{at}.detail", p.detail) if p.detail is not None else None
            )
        else:
            problem = None  # a RawPart is canonical JSON already
        if problem is not None:
            return problem
    return None


def _call_problem(where: str, call: ToolCall) -> InvalidInput | None:
    return (
        check_str(f"{where}.id", call.id)
        or check_str(f"{where}.name", call.name, empty=False)
        or check_str(f"{where}.arguments", call.arguments)
        or check_str(f"{where}.type", call.type, empty=False)
    )


def check_tools(tools: tuple[Tool, ...], tool_choice: object) -> InvalidInput | None:
    names = set()
    for i, t in enumerate(tools):
        where = f"tools[{i}]"
        if not isinstance(t, Tool):
            return InvalidInput(where, f"expected hf.tool(...) values, got {type(t).__name__}")
        name = t.name
        if (
            type(name) is not str
            or not name.replace("-", "_").isidentifier()
            or not name.isascii()
            or len(name) > 64
        ):
            return InvalidInput(f"{where}.name", f"{name!r}: use 1-64 letters, digits, _ or -")
        if name in names:
            return InvalidInput(f"{where}.name", f"{name!r} appears twice")
        names.add(name)
        params = t.parameters
        if type(params) is Unsendable:
            return InvalidInput(params.at(f"{where}.parameters"), params.reason)
        problem = check_str(f"{where}.description", t.description)
        if problem is not None:
            return problem
        if t.strict is not None and type(t.strict) is not bool:
            return InvalidInput(f"{where}.strict", "must be true, false or None")
    if tool_choice is None or tool_choice in TOOL_CHOICES:
        if tool_choice in ("required",) and not tools:
            return InvalidInput("tool_choice", "'required' needs at least one tool")
        return None
    if tool_choice not in names:
        return InvalidInput("tool_choice", f"{tool_choice!r} is not one of the tools given")
    return None


def check_route(route: object) -> InvalidInput | None:
    if not is_provider_name(route):
        return InvalidInput("route", f"{route!r} is not a provider name")
    if route in NO_CHAT:
        return InvalidInput(
            "route", f"{route} serves no chat completions: use another provider, or via(None)"
        )
    return None
