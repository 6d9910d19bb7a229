"""Chat replies as values, and the total decoder of a whole (non-streamed) chat answer.

The answer is a tree of frozen msgspec Structs shaped like the wire (``ChatCompletion`` →
``Choice`` → ``AnswerMessage`` → ``AnswerToolCall`` → ``FunctionCall``), decoded straight
from the body in C when it has the documented shape; properties give the flat view
(``answer.text``, ``message.tool_calls``, ``call.arguments``). A body the typed decode refuses
is read by the total readers (:mod:`hf_pure.tasks.chat_reply_read`, over
:mod:`hf_pure.tasks._read`), which build the same Structs or say which field is wrong.

Where the flat view and the wire disagree in shape, the wire's field keeps the wire's name on
the wire and a ``wire_`` name in Python: ``message.wire_tool_calls`` is the array as sent
(None when absent or ``null``), ``message.tool_calls`` is never None.

What users build (requests, and the messages of a conversation) stays attrs
(:mod:`hf_pure.tasks.messages`); :meth:`AnswerMessage.to_message` gives an answer's message as
one, and the message converters accept an answer's message and tool calls as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import msgspec
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, excerpt, loads, typed_decoder
from hf_pure.core.http import RawReply
from hf_pure.tasks._read import Spec, integer, json_text, text
from hf_pure.tasks._reply import Float, Int, decode_leniently
from hf_pure.tasks.messages import ContentPart, Message, TextPart, ToolCall

if TYPE_CHECKING:
    from hf_pure.core.errors import HfError, MalformedResponse

#: A choice's scalar fields, in a reply and in a stream chunk alike.
CHOICE_FIELDS: Final[Spec] = (("index", integer), ("finish_reason", text))
#: A tool call's ``function`` object, in a reply and in a stream delta alike.
FUNCTION_FIELDS: Final[Spec] = (("name", text), ("arguments", json_text))


class Usage(msgspec.Struct, frozen=True, gc=False):
    prompt_tokens: Int = 0
    completion_tokens: Int = 0
    total_tokens: Int = 0


class TopLogprob(msgspec.Struct, frozen=True, gc=False):
    token: str = ""
    logprob: Float = 0.0


class TokenLogprob(msgspec.Struct, frozen=True, gc=False):
    token: str = ""
    logprob: Float = 0.0
    top_logprobs: tuple[TopLogprob, ...] = ()

    @property
    def top(self) -> tuple[TopLogprob, ...]:
        """The most likely tokens at this position."""
        return self.top_logprobs


class ChoiceLogprobs(msgspec.Struct, frozen=True, gc=False):
    """A choice's ``logprobs`` object: one entry per generated token."""

    content: tuple[TokenLogprob, ...] = ()


class FunctionCall(msgspec.Struct, frozen=True, gc=False):
    """A tool call's ``function``: the name and the arguments as the model wrote them."""

    name: str = ""
    arguments: str = "{}"


_NO_FUNCTION: Final = FunctionCall()


class AnswerToolCall(msgspec.Struct, frozen=True, gc=False):
    """A call the model asks for (``{"id", "type", "function": {"name", "arguments"}}``).
    ``name`` and ``arguments`` read ``function``; ``arguments`` is the JSON text as the model
    wrote it ("{}" when it wrote nothing). Put it back into a conversation as it is
    (``hf.assistant(tool_calls=answer.tool_calls)``) or as :meth:`to_tool_call`."""

    id: str = ""
    type: str = "function"
    function: FunctionCall = _NO_FUNCTION

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def arguments(self) -> str:
        return self.function.arguments or "{}"

    def parsed_arguments(self) -> Result[Any, MalformedResponse]:
        """The arguments as JSON values, or a Failure when the model wrote invalid JSON."""
        arguments = self.arguments
        try:
            return Success(loads(arguments))
        except JSONDecodeError:
            from hf_pure.core.errors import MalformedResponse  # loads with the first error

            return Failure(
                MalformedResponse(
                    200,
                    f"tool call {self.name!r} arguments are not valid JSON",
                    excerpt(arguments.encode("utf-8", "replace")),
                )
            )

    def to_tool_call(self) -> ToolCall:
        """This call as the request side's :class:`hf.ToolCall`."""
        return ToolCall(id=self.id, name=self.name, arguments=self.arguments, type=self.type)

    def to_json(self) -> dict[str, Any]:
        return self.to_tool_call().to_json()


class AnswerMessage(msgspec.Struct, frozen=True, gc=False):
    """The assistant message of a choice. ``content`` is text, None (a message of tool calls
    only), or, as a few providers send it, a tuple of parts; ``text`` is always text.
    ``reasoning`` is the reasoning text some models return (``reasoning_content`` or
    ``reasoning`` on the wire). Put it back into a conversation as it is
    (``[*history, answer.message]``) or as :meth:`to_message`."""

    role: str = "assistant"
    # The typed decode takes text or null here; an array of parts goes through the readers,
    # which build the parts (hf.TextPart, hf.RawPart): msgspec can't decode a union of them.
    if TYPE_CHECKING:
        content: str | tuple[ContentPart, ...] | None = None
    else:
        content: str | None = None
    wire_tool_calls: tuple[AnswerToolCall, ...] | None = msgspec.field(
        default=None, name="tool_calls"
    )
    reasoning_content: str | None = None
    wire_reasoning: str | None = msgspec.field(default=None, name="reasoning")

    @property
    def tool_calls(self) -> tuple[AnswerToolCall, ...]:
        return self.wire_tool_calls or ()

    @property
    def reasoning(self) -> str | None:
        return self.reasoning_content or self.wire_reasoning

    @property
    def text(self) -> str:
        """The text of the message (text parts joined); "" when it has none."""
        content = self.content
        if type(content) is str:
            return content
        if type(content) is not tuple:
            return ""
        return "".join(p.text for p in content if isinstance(p, TextPart))

    def to_message(self) -> Message:
        """This message as the request side's :class:`hf.Message`, to send it back."""
        return Message(
            role=self.role,
            content=self.content,
            tool_calls=tuple(c.to_tool_call() for c in self.tool_calls),
            reasoning=self.reasoning,
        )

    def to_json(self) -> dict[str, Any]:
        """The message as it is sent back in a conversation."""
        return self.to_message().to_json()


_NO_MESSAGE: Final = AnswerMessage(content="")


class Choice(msgspec.Struct, frozen=True, gc=False):
    """One answer of ``n``. ``logprobs`` is one entry per generated token (empty unless asked
    for with ``hf.logprobs``); ``wire_logprobs`` is the wire's object (None when absent)."""

    index: Int
    message: AnswerMessage
    finish_reason: str | None = None
    wire_logprobs: ChoiceLogprobs | None = msgspec.field(default=None, name="logprobs")

    @property
    def logprobs(self) -> tuple[TokenLogprob, ...]:
        found = self.wire_logprobs
        return found.content if found is not None else ()


class ChatCompletion(msgspec.Struct, frozen=True, gc=False):
    """A whole chat answer. ``text``, ``message``, ``tool_calls`` and ``finish_reason`` read
    choice 0."""

    id: str
    model: str
    created: Int
    choices: tuple[Choice, ...]
    usage: Usage | None = None
    system_fingerprint: str | None = None

    @property
    def message(self) -> AnswerMessage:
        return self.choices[0].message if self.choices else _NO_MESSAGE

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def tool_calls(self) -> tuple[AnswerToolCall, ...]:
        return self.message.tool_calls

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason if self.choices else None


def answer_message(
    *,
    role: str = "assistant",
    content: str | tuple[ContentPart, ...] | None = None,
    tool_calls: tuple[AnswerToolCall, ...] = (),
    reasoning: str | None = None,
) -> AnswerMessage:
    """The message of an answer, as the stream fold builds it (the one place to construct it,
    whatever type a reply's message is). No tool calls is as the wire's absent ``tool_calls``;
    reasoning goes where most providers send it, ``reasoning_content``."""
    return AnswerMessage(
        role=role,
        content=content,
        wire_tool_calls=tool_calls or None,
        reasoning_content=reasoning,
    )


def answer_tool_call(
    *, id: str, name: str, arguments: str = "{}", type: str = "function"
) -> AnswerToolCall:
    """A tool call of an answer, as the stream fold builds it."""
    return AnswerToolCall(id=id, type=type, function=FunctionCall(name=name, arguments=arguments))


# ------------------------------------------------------------------------------- decoding

_DECODER: Final = typed_decoder(ChatCompletion)


def completion_strict(body: bytes) -> ChatCompletion | None:
    """The fast path: the body decoded straight into a ChatCompletion, or None when it doesn't
    have the strict shape (then
    :func:`~hf_pure.tasks.chat_reply_read.completion_from_json` reads it and says what is wrong).
    It accepts only what the readers accept, and gives what they give."""
    try:
        answer = _DECODER.decode(body)
    except ValueError:
        return None
    usage = answer.usage
    if (
        usage is not None
        and not usage.total_tokens
        and (usage.prompt_tokens or usage.completion_tokens)
    ):
        return None  # a missing total is the sum: only the readers know it was missing
    return answer


def decode_completion(reply: RawReply) -> Result[ChatCompletion, HfError]:
    """Decode a 2xx chat reply. Total: any body gives Success or a specific Failure."""
    answer = completion_strict(reply.body)
    if answer is not None:
        return Success(answer)
    from hf_pure.tasks import chat_reply_read  # the readers: loaded by the first odd reply

    return decode_leniently(reply, chat_reply_read.completion_from_json, _is_error)


def _is_error(obj: Any) -> bool:
    return type(obj) is dict and "error" in obj and "choices" not in obj
