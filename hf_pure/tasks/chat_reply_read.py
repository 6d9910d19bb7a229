"""The total readers of a whole chat answer: the slow path of
:func:`hf_pure.tasks.chat_reply.decode_completion`, for bodies the typed decode refuses.

Each reader takes JSON already parsed and answers the same Struct the typed decode builds (so
it gives what the typed decode gives wherever that accepts the body: ``tests/test_replies.py``
holds the two equal), or a :class:`~hf_pure.tasks._read.Bad` naming the field. What it takes
beyond the typed decode is what providers really send: ``null`` for a field with a default, a
missing ``index`` (the choice's position) or ``total_tokens`` (the sum), content as an array of
parts, a tool call's ``arguments`` as an object (kept as its JSON text), integers beyond int64.
"""

from __future__ import annotations

from typing import Any

from hf_pure.core.codec import dumps_canonical
from hf_pure.tasks._read import (
    Bad,
    Spec,
    array,
    each,
    fields,
    integer,
    kind_of,
    mapping,
    need_object,
    number,
    path_of,
    reencode,
    text,
)
from hf_pure.tasks.chat_reply import (
    CHOICE_FIELDS,
    FUNCTION_FIELDS,
    AnswerMessage,
    AnswerToolCall,
    ChatCompletion,
    Choice,
    ChoiceLogprobs,
    FunctionCall,
    TokenLogprob,
    TopLogprob,
    Usage,
)
from hf_pure.tasks.messages import ContentPart, RawPart, TextPart

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
    return TokenLogprob(
        token=token or "", logprob=logprob if logprob is not None else 0.0, top_logprobs=top
    )


def _logprobs(value: Any, at: str) -> ChoiceLogprobs | Bad | None:
    obj = mapping(value, at, "logprobs")
    if obj is None or isinstance(obj, Bad):
        return obj
    at = f"{at}.logprobs"
    content = array(obj.get("content"), at, "content")
    if isinstance(content, Bad):
        return content
    tokens = each(content, at, "content", _token_logprob)
    if isinstance(tokens, Bad):
        return tokens
    return ChoiceLogprobs(content=tokens)


_CALL: Spec = (("id", text), ("type", text), ("function", mapping))


def read_tool_call(item: Any, at: str) -> AnswerToolCall | Bad:
    """One tool call of a message; ``arguments`` given as an object (as some providers send
    them) is kept as its JSON text."""
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, _CALL)
    if isinstance(got, Bad):
        return got
    call_id, kind, function = got
    fn = FunctionCall()
    if function is not None:
        read = fields(function, f"{at}.function", FUNCTION_FIELDS)
        if isinstance(read, Bad):
            return read
        name, arguments = read
        fn = FunctionCall(
            name=name if name is not None else "",
            arguments=arguments if arguments is not None else "{}",
        )
    return AnswerToolCall(
        id=call_id if call_id is not None else "",
        type=kind if kind is not None else "function",
        function=fn,
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


def read_message(value: Any, at: str) -> AnswerMessage | Bad:
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
    tool_calls = None if calls is None else each(calls, at, "tool_calls", read_tool_call)
    if isinstance(tool_calls, Bad):
        return tool_calls
    return AnswerMessage(
        role=role if role is not None else "assistant",
        content=content,
        wire_tool_calls=tool_calls,
        reasoning_content=reasoning_content,
        wire_reasoning=reasoning,
    )


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
        wire_logprobs=logprobs,
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
