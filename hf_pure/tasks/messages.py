"""Chat messages and tools as values: what a conversation is made of.

Messages are built with :func:`system`, :func:`user`, :func:`assistant`, :func:`tool_result`
(or given as OpenAI-style dicts and plain strings); tools with :func:`tool`. Nothing here does
IO. The request that carries them is :mod:`hf_pure.tasks.chat`; the reply types are in
:mod:`hf_pure.tasks.chat_reply`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeAlias

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, dumps, dumps_canonical, excerpt, fragment, loads
from hf_pure.core.errors import MalformedResponse
from hf_pure.core.value import Value

ROLES: Final = frozenset({"system", "user", "assistant", "tool", "developer"})

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

