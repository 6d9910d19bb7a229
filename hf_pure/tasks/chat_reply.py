"""Chat replies as values, and the total decoder of a whole (non-streamed) chat answer.

The reply is read field by field with the shared total readers (:mod:`hf_pure.tasks._read`):
a wrong type anywhere is a ``MalformedResponse`` naming the field, and the ``Message`` of each
choice is built only from values already checked (never through the converter that takes
user input).
"""

from __future__ import annotations

from typing import Any

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, dumps_canonical, loads
from hf_pure.core.errors import HfError
from hf_pure.core.failures import error_from_event, malformed
from hf_pure.core.http import RawReply
from hf_pure.core.value import ValueEq
from hf_pure.tasks._read import (
    Bad,
    Spec,
    array,
    each,
    fields,
    integer,
    json_text,
    kind_of,
    mapping,
    need_object,
    number,
    path_of,
    reencode,
    text,
)
from hf_pure.tasks.messages import ContentPart, Message, RawPart, TextPart, ToolCall


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
        return self.choices[0].message if self.choices else Message(role="assistant", content="")

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        return self.message.tool_calls

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason if self.choices else None


def answer_message(
    *,
    role: str = "assistant",
    content: str | tuple[ContentPart, ...] | None = None,
    tool_calls: tuple[ToolCall, ...] = (),
    reasoning: str | None = None,
) -> Message:
    """The message of an answer, as the decoders and the stream fold build it (one place to
    construct it, whatever type a reply's message is)."""
    return Message(role=role, content=content, tool_calls=tool_calls, reasoning=reasoning)


def answer_tool_call(
    *, id: str, name: str, arguments: str = "{}", type: str = "function"
) -> ToolCall:
    """A tool call of an answer, as the decoders and the stream fold build it."""
    return ToolCall(id=id, name=name, arguments=arguments, type=type)


_USAGE: Spec = (
    ("prompt_tokens", integer),
    ("completion_tokens", integer),
    ("total_tokens", integer),
)


def read_usage(value: Any, at: str, key: str | int) -> Usage | Bad | None:
    """The token counts of a reply or chunk (None when absent); a missing total is the sum."""
    obj = mapping(value, at, key)
    if obj is None or isinstance(obj, Bad):
        return obj
    got = fields(obj, path_of(at, key), _USAGE)
    if isinstance(got, Bad):
        return got
    prompt, completion, total = got
    prompt, completion = prompt or 0, completion or 0
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total if total is not None else prompt + completion,
    )


_TOP: Spec = (("token", text), ("logprob", number))
_TOKEN: Spec = (("token", text), ("logprob", number), ("top_logprobs", array))


def _top(item: Any, at: str) -> TopLogprob | Bad:
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, _TOP)
    if isinstance(got, Bad):
        return got
    token, logprob = got
    return TopLogprob(token=token or "", logprob=logprob if logprob is not None else 0.0)


def _token_logprob(item: Any, at: str) -> TokenLogprob | Bad:
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, _TOKEN)
    if isinstance(got, Bad):
        return got
    token, logprob, tops = got
    top = each(tops, at, "top_logprobs", _top)
    if isinstance(top, Bad):
        return top
    return TokenLogprob(token=token or "", logprob=logprob if logprob is not None else 0.0, top=top)


def _logprobs(value: Any, at: str) -> tuple[TokenLogprob, ...] | Bad:
    obj = mapping(value, at, "logprobs")
    if obj is None or isinstance(obj, Bad):
        return () if obj is None else obj
    at = f"{at}.logprobs"
    content = array(obj.get("content"), at, "content")
    if isinstance(content, Bad):
        return content
    return each(content, at, "content", _token_logprob)


_CALL: Spec = (("id", text), ("type", text), ("function", mapping))
#: A tool call's ``function`` object, in a reply and in a stream delta alike.
FUNCTION_FIELDS: Spec = (("name", text), ("arguments", json_text))


def read_tool_call(item: Any, at: str) -> ToolCall | Bad:
    """One tool call of a message; ``arguments`` given as an object (as some providers send
    them) is kept as its JSON text."""
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, _CALL)
    if isinstance(got, Bad):
        return got
    call_id, kind, function = got
    name: str | None = None
    arguments: str | None = None
    if function is not None:
        fn = fields(function, f"{at}.function", FUNCTION_FIELDS)
        if isinstance(fn, Bad):
            return fn
        name, arguments = fn
    return ToolCall(
        id=call_id or "", name=name or "", arguments=arguments or "{}", type=kind or "function"
    )


def _part(item: Any, at: str) -> ContentPart | Bad:
    """A content part of a reply: text parts as text, any other part kept as its JSON."""
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, (("type", text), ("text", text)))
    if isinstance(got, Bad):
        return got
    kind, words = got
    if kind == "text" and words is not None:
        return TextPart(text=words)
    if reencode(obj) is None:
        return Bad(at, "not encodable as JSON")
    return RawPart(json=dumps_canonical(obj))


def _content(value: Any, at: str) -> str | tuple[ContentPart, ...] | Bad | None:
    if value is None or type(value) is str:
        return value
    if type(value) is list:
        return each(value, at, "content", _part)
    return Bad(f"{at}.content", f"expected text or an array of parts, got {kind_of(value)}")


_MESSAGE: Spec = (
    ("role", text),
    ("tool_calls", array),
    ("reasoning_content", text),
    ("reasoning", text),
)


def read_message(value: Any, at: str) -> Message | Bad:
    """The assistant message of a choice."""
    obj = need_object(value, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, _MESSAGE)
    if isinstance(got, Bad):
        return got
    role, calls, reasoning_content, reasoning = got
    content = _content(obj.get("content"), at)
    if isinstance(content, Bad):
        return content
    tool_calls = each(calls, at, "tool_calls", read_tool_call)
    if isinstance(tool_calls, Bad):
        return tool_calls
    return Message(
        role=role or "assistant",
        content=content,
        tool_calls=tool_calls,
        reasoning=reasoning_content or reasoning,
    )


#: A choice's scalar fields, in a reply and in a stream chunk alike.
CHOICE_FIELDS: Spec = (("index", integer), ("finish_reason", text))


def _choice(item: Any, at: str, position: int) -> Choice | Bad:
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, CHOICE_FIELDS)
    if isinstance(got, Bad):
        return got
    index, finish_reason = got
    message = read_message(obj.get("message"), f"{at}.message")
    if isinstance(message, Bad):
        return message
    logprobs = _logprobs(obj.get("logprobs"), at)
    if isinstance(logprobs, Bad):
        return logprobs
    return Choice(
        index=index if index is not None else position,
        message=message,
        finish_reason=finish_reason,
        logprobs=logprobs,
    )


_COMPLETION: Spec = (
    ("id", text),
    ("model", text),
    ("created", integer),
    ("system_fingerprint", text),
    ("usage", read_usage),
)


def completion_from_json(obj: Any) -> ChatCompletion | Bad:
    """A ChatCompletion from parsed JSON, or what is wrong with it (field path and reason)."""
    if type(obj) is not dict:
        return Bad("", f"expected a JSON object, got {kind_of(obj)}")
    raw_choices = obj.get("choices")
    if type(raw_choices) is not list:
        what = "missing" if raw_choices is None else f"got {kind_of(raw_choices)}"
        return Bad("choices", f"expected an array of choices, {what}")
    got = fields(obj, "", _COMPLETION)
    if isinstance(got, Bad):
        return got
    reply_id, model, created, fingerprint, usage = got
    choices = []
    for i, item in enumerate(raw_choices):
        choice = _choice(item, f"choices[{i}]", i)
        if isinstance(choice, Bad):
            return choice
        choices.append(choice)
    return ChatCompletion(
        id=reply_id or "",
        model=model or "",
        created=created or 0,
        choices=tuple(choices),
        usage=usage,
        system_fingerprint=fingerprint,
    )


def decode_completion(reply: RawReply) -> Result[ChatCompletion, HfError]:
    """Decode a 2xx chat reply. Total: any body gives Success or a specific Failure."""
    try:
        obj = loads(reply.body)
    except JSONDecodeError:
        return Failure(malformed(reply, "the body is not valid JSON"))
    if type(obj) is dict and "error" in obj and "choices" not in obj:
        return Failure(error_from_event(obj, reply.request_id))
    parsed = completion_from_json(obj)
    if isinstance(parsed, Bad):
        return Failure(malformed(reply, parsed.message))
    return Success(parsed)
