"""Chat replies as values, and the total decoder of a whole (non-streamed) chat answer."""

from __future__ import annotations

from typing import Any

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, loads
from hf_pure.core.errors import HfError
from hf_pure.core.failures import error_from_event, malformed
from hf_pure.core.http import RawReply
from hf_pure.core.value import ValueEq
from hf_pure.tasks.messages import Message, ToolCall, message_from_json


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
