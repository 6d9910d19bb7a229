"""Chat streaming: typed chunks decoded from SSE events, and the chunks folded into the answer.

Loaded with the first stream (``ChatRequest.codec``), so that ``import hf_pure`` pays neither
for these types nor for msgspec's import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import attrs
import msgspec

from hf_pure.core.codec import JSONDecodeError, dumps, excerpt, loads, typed_decoder
from hf_pure.core.errors import HfError
from hf_pure.core.failures import error_from_event
from hf_pure.core.request import DONE, Broken, Done
from hf_pure.core.sse import DONE as DONE_BYTES
from hf_pure.core.sse import SseEvent
from hf_pure.core.sse import plain_event as _plain_event
from hf_pure.core.value import Value
from hf_pure.tasks.chat_reply import ChatCompletion, Choice, Usage, _int, _str, _usage
from hf_pure.tasks.messages import Message, ToolCall

# Per-chunk values are msgspec Structs shaped like the wire: frozen, hashable, matchable, and
# decoded straight from the event's JSON in C (a chunk costs about what parsing it to dicts
# alone would). Properties give the flat view: ``choice.content`` is ``choice.delta.content``.


class FunctionDelta(msgspec.Struct, frozen=True):
    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(msgspec.Struct, frozen=True):
    """A piece of a streamed tool call; pieces with the same ``index`` add up."""

    index: int = 0
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None

    @property
    def name(self) -> str | None:
        return self.function.name if self.function is not None else None

    @property
    def arguments(self) -> str:
        return (self.function.arguments or "") if self.function is not None else ""


class Delta(msgspec.Struct, frozen=True):
    content: str | None = None
    role: str | None = None
    tool_calls: tuple[ToolCallDelta, ...] = ()
    reasoning_content: str | None = None
    reasoning: str | None = None


_NO_DELTA: Final = Delta()


class ChunkChoice(msgspec.Struct, frozen=True):
    index: int = 0
    delta: Delta = _NO_DELTA
    finish_reason: str | None = None

    @property
    def content(self) -> str | None:
        return self.delta.content

    @property
    def role(self) -> str | None:
        return self.delta.role

    @property
    def tool_calls(self) -> tuple[ToolCallDelta, ...]:
        return self.delta.tool_calls

    @property
    def reasoning(self) -> str | None:
        return self.delta.reasoning_content or self.delta.reasoning


class ChunkUsage(msgspec.Struct, frozen=True):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatChunk(msgspec.Struct, frozen=True):
    """One streamed chunk. ``text`` is choice 0's new text ("" when none)."""

    id: str = ""
    model: str = ""
    created: int = 0
    choices: tuple[ChunkChoice, ...] = ()
    usage: ChunkUsage | None = None

    @property
    def text(self) -> str:
        if self.choices:
            return self.choices[0].delta.content or ""
        return ""

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason if self.choices else None


_CHUNK: Final = typed_decoder(ChatChunk)
_NO_CHOICES: tuple[ChunkChoice, ...] = ()


def _tool_deltas(raw: Any) -> tuple[ToolCallDelta, ...]:
    out = []
    for i, d in enumerate(raw if isinstance(raw, list) else ()):
        if not isinstance(d, dict):
            continue
        fn = d.get("function")
        fn = fn if isinstance(fn, dict) else {}
        args = fn.get("arguments")
        text = args if isinstance(args, str) else (None if args is None else dumps(args).decode())
        out.append(
            ToolCallDelta(
                _int(d.get("index"), i),
                _str(d.get("id")) or None,
                _str(d.get("type")),
                FunctionDelta(_str(fn.get("name")), text),
            )
        )
    return tuple(out)


def _chunk_choice(c: Any, i: int) -> ChunkChoice | None:
    """One choice from parsed JSON, leniently (the path for shapes the typed decode refused)."""
    if type(c) is not dict:
        return None
    delta = c.get("delta")
    if type(delta) is not dict:
        delta = {}
    calls = delta.get("tool_calls")
    return ChunkChoice(
        _int(c.get("index"), i),
        Delta(
            _str(delta.get("content")),
            _str(delta.get("role")),
            _tool_deltas(calls) if calls else (),
            _str(delta.get("reasoning_content")),
            _str(delta.get("reasoning")),
        ),
        _str(c.get("finish_reason")),
    )


@attrs.frozen(repr=False)
class ChatStreamCodec(Value):
    """SSE events of a chat stream to :class:`ChatChunk` values, and chunks to the answer."""

    def event(
        self, event: SseEvent, request_id: str | None
    ) -> ChatChunk | HfError | Done | Broken | None:
        data = event.data
        if event.event == "message" and b'"error"' not in data:
            try:
                return _CHUNK.decode(data)  # the typed path: nearly every event
            except JSONDecodeError:  # not JSON, or not a chunk's shape: read it leniently
                pass
        try:
            obj = loads(data)
        except JSONDecodeError:
            return self._not_json(event, request_id)
        return self._general(obj, event, request_id)

    def _not_json(self, event: SseEvent, request_id: str | None) -> HfError | Done | Broken:
        data = event.data
        if data == DONE_BYTES:
            return DONE
        if event.event == "error":
            return error_from_event({"error": data.decode("utf-8", "replace")}, request_id)
        return Broken(f"an event was not valid JSON: {excerpt(data, 60)!r}")

    def _general(
        self, obj: Any, event: SseEvent, request_id: str | None
    ) -> ChatChunk | HfError | Broken:
        if type(obj) is not dict:
            return Broken(f"an event was not a JSON object: {excerpt(event.data, 60)!r}")
        if "error" in obj or event.event == "error":
            return error_from_event(obj, request_id)
        raw = obj.get("choices")
        choices: tuple[ChunkChoice, ...] = _NO_CHOICES
        if raw:
            if type(raw) is not list:
                return Broken("an event's 'choices' was not a list")
            parsed = [_chunk_choice(c, i) for i, c in enumerate(raw)]
            if None in parsed:
                return Broken("an event's choice was not an object")
            choices = tuple(parsed)  # type: ignore[arg-type]
        usage = obj.get("usage")
        counts = _usage(usage) if usage else None
        return ChatChunk(
            _str(obj.get("id")) or "",
            _str(obj.get("model")) or "",
            _int(obj.get("created")),
            choices,
            ChunkUsage(counts.prompt_tokens, counts.completion_tokens, counts.total_tokens)
            if counts is not None
            else None,
        )

    def events(
        self, events: Sequence[bytes | SseEvent], request_id: str | None
    ) -> tuple[list[ChatChunk], HfError | Done | Broken | None]:
        # decode_events with the typed path inlined: this loop runs once per token, and a
        # plain event arrives as its data bytes alone (sse.feed_lean)
        out: list[ChatChunk] = []
        append = out.append
        decode = _CHUNK.decode
        for raw in events:
            if type(raw) is bytes:
                if b'"error"' not in raw:
                    try:
                        append(decode(raw))
                        continue
                    except JSONDecodeError:
                        pass
                event = _plain_event(raw)
            else:
                event = raw  # type: ignore[assignment]
            item = self.event(event, request_id)
            if type(item) is not ChatChunk:
                return out, item  # type: ignore[return-value]
            append(item)
        return out, None

    def final(self, chunk: ChatChunk) -> bool:
        return any(c.finish_reason for c in chunk.choices)

    def text(self, chunks: Sequence[ChatChunk]) -> str:
        return "".join(
            c.choices[0].delta.content or ""
            for c in chunks
            if c.choices and c.choices[0].index == 0
        )

    def assemble(self, chunks: Sequence[ChatChunk]) -> ChatCompletion:
        return assemble_chat(chunks)

    def as_chunk(self, answer: ChatCompletion) -> ChatChunk:
        """The whole answer as one chunk (a server that ignored ``stream`` sent it whole)."""
        usage = answer.usage
        return ChatChunk(
            id=answer.id,
            model=answer.model,
            created=answer.created,
            choices=tuple(
                ChunkChoice(
                    index=choice.index,
                    delta=Delta(
                        content=choice.message.text,
                        role=choice.message.role,
                        tool_calls=tuple(
                            ToolCallDelta(
                                index=i,
                                id=call.id,
                                type=call.type,
                                function=FunctionDelta(name=call.name, arguments=call.arguments),
                            )
                            for i, call in enumerate(choice.message.tool_calls)
                        ),
                        reasoning_content=choice.message.reasoning,
                    ),
                    finish_reason=choice.finish_reason,
                )
                for choice in answer.choices
            ),
            usage=None
            if usage is None
            else ChunkUsage(
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                total_tokens=usage.total_tokens,
            ),
        )


CHAT_CODEC: Final = ChatStreamCodec()


def _final_usage(chunks: Sequence[ChatChunk]) -> Usage | None:
    """The usage the stream reported last (the chunk carrying it comes at the end)."""
    last = next((c.usage for c in reversed(chunks) if c.usage is not None), None)
    if last is None:
        return None
    return Usage(last.prompt_tokens, last.completion_tokens, last.total_tokens)


def _assemble_plain(chunks: Sequence[ChatChunk]) -> ChatCompletion | None:
    """The common stream, folded fast: one choice (index 0) of text, a role and a finish
    reason, no tool calls or reasoning. None when the stream is anything else."""
    texts: list[str] = []
    append = texts.append
    role = "assistant"
    finish = None
    for chunk in chunks:
        choices = chunk.choices
        if not choices:
            continue
        if len(choices) != 1:
            return None
        first_choice = choices[0]
        delta = first_choice.delta
        content = delta.content
        chunk_role = delta.role
        finish_reason = first_choice.finish_reason
        if (
            first_choice.index != 0
            or delta.tool_calls
            or delta.reasoning_content
            or delta.reasoning
        ):
            return None
        if content:
            append(content)
        if chunk_role:
            role = chunk_role
        if finish_reason:
            finish = finish_reason
    first = next((c for c in chunks if c.id or c.model), None)
    usage = _final_usage(chunks)
    message = Message(role, "".join(texts))
    return ChatCompletion(
        first.id if first else "",
        first.model if first else "",
        first.created if first else 0,
        (Choice(0, message, finish),) if chunks and any(c.choices for c in chunks) else (),
        usage,
    )


def assemble_chat(chunks: Sequence[ChatChunk]) -> ChatCompletion:
    """Fold streamed chunks into the whole answer (text, tool calls, finish reason, usage)."""
    plain = _assemble_plain(chunks)
    if plain is not None:
        return plain
    first_id = next((c.id for c in chunks if c.id), "")
    model = next((c.model for c in chunks if c.model), "")
    created = next((c.created for c in chunks if c.created), 0)
    usage = _final_usage(chunks)
    texts: dict[int, list[str]] = {}
    reasoning: dict[int, list[str]] = {}
    roles: dict[int, str] = {}
    finish: dict[int, str] = {}
    calls: dict[int, dict[int, list[Any]]] = {}
    for chunk in chunks:
        for c in chunk.choices:
            index, finish_reason = c.index, c.finish_reason
            delta = c.delta
            content, role, deltas = delta.content, delta.role, delta.tool_calls
            thought = delta.reasoning_content or delta.reasoning
            parts = texts.get(index)
            if parts is None:
                parts = texts[index] = []
            if content:
                parts.append(content)
            if not (role or finish_reason or deltas or thought):
                continue  # a plain token: nothing more to fold
            if thought:
                reasoning.setdefault(index, []).append(thought)
            if role and index not in roles:
                roles[index] = role
            if finish_reason:
                finish[index] = finish_reason
            for d in deltas:
                slot = calls.setdefault(index, {}).setdefault(d.index, [None, None, []])
                slot[0] = slot[0] or d.id
                slot[1] = slot[1] or d.name
                slot[2].append(d.arguments)
    choices = []
    for index in sorted(texts):
        tool_calls = tuple(
            ToolCall(slot[0] or "", slot[1] or "", "".join(slot[2]) or "{}")
            for _, slot in sorted(calls.get(index, {}).items())
        )
        text = "".join(texts[index])
        message = Message(
            roles.get(index, "assistant"),
            text if text or not tool_calls else None,
            tool_calls=tool_calls,
            reasoning="".join(reasoning[index]) if index in reasoning else None,
        )
        choices.append(Choice(index, message, finish.get(index)))
    return ChatCompletion(first_id, model, created, tuple(choices), usage)
