"""Chat messages and tools as values: what a conversation is made of.

Messages are built with :func:`system`, :func:`user`, :func:`assistant`, :func:`tool_result`
(or given as OpenAI-style dicts and plain strings); tools with :func:`tool`. Nothing here does
IO. The request that carries them is :mod:`hf_pure.tasks.chat`; the reply types are in
:mod:`hf_pure.tasks.chat_reply`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, dumps, dumps_canonical, excerpt, fragment, loads
from hf_pure.core.value import Value, ValueEq
from hf_pure.tasks.options import Unsendable, unsendable_json

# Tool and tool live in tasks/tools.py; re-exported here, where they were first imported from.
from hf_pure.tasks.tools import Tool as Tool  # noqa: PLC0414
from hf_pure.tasks.tools import tool as tool  # noqa: PLC0414

if TYPE_CHECKING:  # the answer's Structs, which load with the first reply
    from hf_pure.core.errors import MalformedResponse
    from hf_pure.tasks.chat_reply import AnswerMessage, AnswerToolCall

ROLES: Final = frozenset({"system", "user", "assistant", "tool", "developer"})

Json: TypeAlias = Any

# --------------------------------------------------------------------------- message values


@attrs.frozen(repr=False, eq=False)
class TextPart(ValueEq):
    """A text piece of a multi-part message."""

    text: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


@attrs.frozen(repr=False, eq=False)
class ImagePart(ValueEq):
    """An image piece: an https URL or a ``data:`` URL (see :func:`image_part`)."""

    url: str
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        image: dict[str, Any] = {"url": self.url}
        if self.detail is not None:
            image["detail"] = self.detail
        return {"type": "image_url", "image_url": image}


@attrs.frozen(repr=False, eq=False)
class RawPart(ValueEq):
    """Any other content part (e.g. ``input_audio``), kept as canonical JSON and sent as is."""

    json: bytes

    def to_json(self) -> Any:
        return fragment(self.json)


ContentPart: TypeAlias = TextPart | ImagePart | RawPart
Content: TypeAlias = str | tuple[ContentPart, ...] | Unsendable | None

_PART_HELP: Final = "a part is a str, hf.text_part(...), hf.image_url(...) or a dict with a 'type'"


def _kind(value: object) -> str:
    return type(value).__name__


def _part(value: object) -> ContentPart | Unsendable:
    if isinstance(value, TextPart | ImagePart | RawPart):
        return value
    if isinstance(value, str):
        return TextPart(text=value)
    if not isinstance(value, Mapping):
        return Unsendable(f"{_PART_HELP}, got {_kind(value)}")
    kind = value.get("type")
    if kind == "text":
        text = value.get("text")
        if isinstance(text, str):
            return TextPart(text=text)
        return Unsendable("a text part needs a string")
    image = value.get("image_url")
    if kind == "image_url" and isinstance(image, Mapping):
        url, detail = image.get("url"), image.get("detail")
        if isinstance(url, str) and (detail is None or isinstance(detail, str)):
            return ImagePart(url=url, detail=detail)
        return Unsendable("an image part needs a url string (and a detail string, if any)")
    if not isinstance(kind, str):
        return Unsendable(f"{_PART_HELP}; this dict has no 'type'")
    part = dict(value)
    return unsendable_json(part) or RawPart(json=dumps_canonical(part))


def _freeze_content(value: Any) -> Content:
    """Message content: text, parts, or None; anything else is held as :class:`Unsendable`
    (a dict is not sent as its keys, nor bytes as numbers)."""
    if value is None or type(value) is str or type(value) is Unsendable:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return Unsendable(
            "is a dict: content is text or a list of parts (json.dumps a value to send it as "
            "text; hf.tool_result sends a dict as its JSON)",
            ".content",
        )
    if isinstance(value, bytes | bytearray | memoryview):
        return Unsendable(
            "is bytes: decode them to text, or send an image with hf.image_part(data)", ".content"
        )
    if isinstance(value, set | frozenset):
        return Unsendable("is a set: parts need an order, pass a list", ".content")
    if not isinstance(value, Iterable):
        return Unsendable(f"must be text or a list of parts, got {_kind(value)}", ".content")
    parts = []
    for i, item in enumerate(value):
        part = _part(item)
        if type(part) is Unsendable:
            return Unsendable(part.reason, f".content[{i}]{part.field}")
        parts.append(part)
    return tuple(parts)  # type: ignore[arg-type]


@attrs.frozen(repr=False, eq=False)
class ToolCall(ValueEq):
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
            from hf_pure.core.errors import MalformedResponse  # loads with the first error

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


#: What a message's ``tool_calls`` may be given as.
ToolCallLike: TypeAlias = "ToolCall | AnswerToolCall | Mapping[str, Any]"


def _freeze_calls(value: Iterable[ToolCallLike] | None) -> tuple[ToolCall, ...]:
    """Tool calls as hf.ToolCall values (an answer's tool calls and OpenAI-style dicts are read
    into them). A wrong type is a TypeError naming ``tool_calls``: tool calls come from code (a
    reply's ``tool_calls``); dicts from outside go through :func:`as_message`, which reports
    instead of raising."""
    if value is None or value == ():
        return ()
    if type(value) is tuple and all(type(c) is ToolCall for c in value):
        return value
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise TypeError(f"tool_calls must be a sequence of hf.ToolCall values, got {_kind(value)}")
    calls: list[ToolCall] = []
    for i, item in enumerate(value):
        if isinstance(item, ToolCall):
            calls.append(item)
            continue
        call = _tool_call(item) if isinstance(item, Mapping) else _from_answer(item)
        if not isinstance(call, ToolCall):
            why = (
                call.reason
                if type(call) is Unsendable
                else f"expected an hf.ToolCall, an answer's tool call or a dict, got {_kind(item)}"
            )
            raise TypeError(f"tool_calls[{i}]: {why}")
        calls.append(call)
    return tuple(calls)


def _from_answer(value: object) -> Message | ToolCall | None:
    """An answer's message or tool call (the Structs a reply is made of) as the request side's
    value, or None for anything else."""
    from hf_pure.tasks.chat_reply import AnswerMessage, AnswerToolCall  # loaded with replies

    if isinstance(value, AnswerMessage):
        return value.to_message()
    if isinstance(value, AnswerToolCall):
        return value.to_tool_call()
    return None


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
        content = self.content
        if isinstance(content, str):
            return content
        if type(content) is not tuple:
            return ""
        return "".join(p.text for p in content if isinstance(p, TextPart))

    def to_json(self) -> dict[str, Any]:
        content = self.content  # an Unsendable stays: the encoder refuses it (check() first)
        out: dict[str, Any] = {
            "role": self.role,
            "content": [p.to_json() for p in content] if type(content) is tuple else content,
        }
        if self.name is not None:
            out["name"] = self.name
        if self.tool_calls:
            out["tool_calls"] = [c.to_json() for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out


# The message builders below build positionally, against the house rule, on purpose: one runs
# per message of every request, and keywords cost ~0.3 µs more per call (measured).


def system(text: str) -> Message:
    return Message("system", text)


def developer(text: str) -> Message:
    return Message("developer", text)


def user(content: str | Iterable[ContentPart | str | Mapping[str, Any]]) -> Message:
    """A user message: text, or parts (text and images) for vision-language models."""
    return Message("user", content)


def assistant(
    content: str | None = None, tool_calls: Iterable[ToolCall | AnswerToolCall] = ()
) -> Message:
    return Message(role="assistant", content=content, tool_calls=tool_calls)


def tool_result(
    tool_call_id: str, content: str | Mapping[str, Any], name: str | None = None
) -> Message:
    """The answer to a tool call, sent back as a ``tool`` message; a dict is sent as its JSON
    text (canonical: sorted keys), which is what a model reads."""
    if isinstance(content, Mapping):
        data = dict(content)
        problem = unsendable_json(data, ".content")
        text = problem if problem is not None else dumps_canonical(data).decode()
        return Message(role="tool", content=text, name=name, tool_call_id=tool_call_id)
    return Message(role="tool", content=content, name=name, tool_call_id=tool_call_id)


def text_part(text: str) -> TextPart:
    return TextPart(text=text)


def image_part(data: bytes, mime: str = "image/png", detail: str | None = None) -> ImagePart:
    """An image given as bytes, sent inline as a base64 ``data:`` URL."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(
            f"image_part(): data must be the image's bytes, got {_kind(data)} "
            "(for an image on the web use hf.image_url(url))"
        )
    if not isinstance(mime, str):
        raise TypeError(f"image_part(): mime must be a str such as 'image/png', got {_kind(mime)}")
    return ImagePart(
        url=f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", detail=detail
    )


def image_url(url: str, detail: str | None = None) -> ImagePart:
    return ImagePart(url=url, detail=detail)


def _unsendable_message(reason: str, field: str) -> Message:
    """A stand-in for a message that can't be sent: check() reports ``reason`` at ``field``."""
    return Message(role="user", content=Unsendable(reason, field))


def message_from_json(obj: Mapping[str, Any], default_role: str = "") -> Message:
    """A Message from an OpenAI-style dict (``{"role": ..., "content": ...}``). Never raises:
    a field of the wrong type gives a message that ``check()`` reports, naming the field."""
    role = obj.get("role")
    if role is None:
        role = default_role
    if type(role) is not str:
        return _unsendable_message(f"must be a string such as 'user', got {_kind(role)}", ".role")
    for key in ("name", "tool_call_id"):
        value = obj.get(key)
        if value is not None and type(value) is not str:
            return _unsendable_message(f"must be a string, got {_kind(value)}", f".{key}")
    calls = obj.get("tool_calls")
    read: list[ToolCall] = []
    if calls:
        if not isinstance(calls, list | tuple):
            return _unsendable_message(f"must be a list, got {_kind(calls)}", ".tool_calls")
        for i, c in enumerate(calls):
            call = (
                _tool_call(c)
                if isinstance(c, Mapping)
                else Unsendable(f"must be a dict, got {_kind(c)}")
            )
            if type(call) is Unsendable:
                return _unsendable_message(call.reason, f".tool_calls[{i}]{call.field}")
            read.append(call)  # type: ignore[arg-type]
    reasoning = obj.get("reasoning_content") or obj.get("reasoning")
    return Message(
        role=role,
        content=obj.get("content"),
        name=obj.get("name"),
        tool_calls=tuple(read),
        tool_call_id=obj.get("tool_call_id"),
        reasoning=reasoning if type(reasoning) is str else None,
    )


def as_message(value: object) -> Message:
    """A Message from a Message, a str (a user message), an OpenAI-style dict or an answer's
    message (``answer.message``); anything else gives a message that ``check()`` reports (so
    data never raises here)."""
    if isinstance(value, Message):
        return value
    if isinstance(value, str):
        return Message("user", value)
    if isinstance(value, Mapping):
        return message_from_json(value)
    answer = _from_answer(value)
    if isinstance(answer, Message):
        return answer
    return _unsendable_message(
        "expected a message (hf.user(...)), an answer's message, an OpenAI-style dict or a str, "
        f"got {_kind(value)}",
        "",
    )


#: What a conversation's messages may be given as: a Message, a str (a user message), an
#: OpenAI-style dict, or an answer's message (``answer.message``).
MessageLike: TypeAlias = "Message | str | Mapping[str, Any] | AnswerMessage"


def _freeze_messages(value: Iterable[MessageLike]) -> tuple[Message, ...]:
    """Messages as a tuple. A str, a dict, bytes or a set where a list of messages belongs is
    never iterated (a str would go as one message per letter): it is held for check() to
    report under ``messages``, with the fix."""
    kind = type(value)
    if kind is tuple or kind is list:  # the common case, before any ABC check
        for m in value:  # a loop, not all(<genexpr>): lists are short, this runs per request
            if type(m) is not Message:
                return tuple(as_message(m) for m in value)
        return value if kind is tuple else tuple(value)  # type: ignore[return-value,arg-type]
    if isinstance(value, str):
        reason = (
            "is a str, not a list of messages (it would go as one message per letter): "
            "pass [hf.user(text)]"
        )
    elif isinstance(value, Mapping):
        reason = "is one message (a dict), not a list of messages: pass [message]"
    elif isinstance(value, set | frozenset):
        reason = "is a set: messages need an order, pass a list"
    elif isinstance(value, bytes | bytearray | memoryview) or not isinstance(value, Iterable):
        reason = f"must be a list of messages such as [hf.user(text)], got {_kind(value)}"
    else:
        return tuple(as_message(m) for m in value)
    return (_unsendable_message(reason, "messages"),)


def _tool_call(obj: Mapping[str, Any]) -> ToolCall | Unsendable:
    fn = obj.get("function")
    fn = fn if isinstance(fn, Mapping) else {}
    args = fn.get("arguments")
    if not isinstance(args, str):  # some providers send an object instead of JSON text
        problem = unsendable_json(args, ".function.arguments")
        if problem is not None:
            return problem
        args = dumps(args).decode() if args is not None else "{}"
    return ToolCall(
        id=str(obj.get("id") or ""),
        name=str(fn.get("name") or ""),
        arguments=args,
        type=str(obj.get("type") or "function"),
    )
