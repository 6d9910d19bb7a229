"""Chat streaming: the codec from SSE events to typed chunks (:mod:`hf_pure.tasks.chat_chunk`),
and the chunks folded into the whole answer.

Loaded with the first stream (``ChatRequest.codec``), so that ``import hf_pure`` pays neither
for these types nor for msgspec's import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import attrs

from hf_pure.core.codec import JSONDecodeError
from hf_pure.core.errors import HfError
from hf_pure.core.request import DONE, Broken, Done
from hf_pure.core.sse import DONE_DATA, SseEvent
from hf_pure.core.sse import plain_event as _plain_event
from hf_pure.core.value import Value
from hf_pure.tasks._event import read_event
from hf_pure.tasks.chat_chunk import (
    CHUNK_DECODER,
    ChatChunk,
    ChunkChoice,
    ChunkUsage,
    Delta,
    FunctionDelta,
    ToolCallDelta,
    chunk_from_json,
)
from hf_pure.tasks.chat_reply import (
    ChatCompletion,
    Choice,
    Usage,
    answer_message,
    answer_tool_call,
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
                return CHUNK_DECODER.decode(data)  # the typed path: nearly every event
            except JSONDecodeError:  # not JSON, or not a chunk's shape: read it leniently
                pass
        if data == DONE_DATA:
            return DONE
        return read_event(event, request_id, chunk_from_json)

    def events(
        self, events: Sequence[bytes | SseEvent], request_id: str | None
    ) -> tuple[list[ChatChunk], HfError | Done | Broken | None]:
        # decode_events with the typed path inlined: this loop runs once per token, and a
        # plain event arrives as its data bytes alone (sse.feed_lean)
        out: list[ChatChunk] = []
        append = out.append
        decode = CHUNK_DECODER.decode
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
    return Usage(
        prompt_tokens=last.prompt_tokens,
        completion_tokens=last.completion_tokens,
        total_tokens=last.total_tokens,
    )


def _header(chunks: Sequence[ChatChunk]) -> tuple[str, str, int]:
    """The answer's id, model and creation time: the first non-empty of each (providers leave
    them empty in some chunks, and TGI sends ``"id": ""`` in all)."""
    first_id = next((c.id for c in chunks if c.id), "")
    model = next((c.model for c in chunks if c.model), "")
    created = next((c.created for c in chunks if c.created), 0)
    return first_id, model, created


# One fold, two speeds: ``_assemble_plain`` is ``_assemble_general`` specialised to the common
# stream (one choice of text), and a property test holds them equal wherever the fast one
# answers. Their rules: the role is the first non-empty one a choice sent (sambanova repeats
# it), the finish reason the last; id, model and created as ``_header`` says.


def _assemble_plain(chunks: Sequence[ChatChunk]) -> ChatCompletion | None:
    """The common stream, folded fast: one choice (index 0) of text, a role and a finish
    reason, no tool calls or reasoning. None when the stream is anything else."""
    texts: list[str] = []
    append = texts.append
    role = None
    finish = None
    seen = False
    for chunk in chunks:
        choices = chunk.choices
        if not choices:
            continue
        if len(choices) != 1:
            return None
        first_choice = choices[0]
        delta = first_choice.delta
        content = delta.content
        finish_reason = first_choice.finish_reason
        if (
            first_choice.index != 0
            or delta.tool_calls
            or delta.reasoning_content
            or delta.reasoning
        ):
            return None
        seen = True
        if content:
            append(content)
        if role is None and delta.role:
            role = delta.role
        if finish_reason:
            finish = finish_reason
    first_id, model, created = _header(chunks)
    message = answer_message(role=role or "assistant", content="".join(texts))
    return ChatCompletion(
        id=first_id,
        model=model,
        created=created,
        choices=(Choice(index=0, message=message, finish_reason=finish),) if seen else (),
        usage=_final_usage(chunks),
    )


def assemble_chat(chunks: Sequence[ChatChunk]) -> ChatCompletion:
    """Fold streamed chunks into the whole answer (text, tool calls, finish reason, usage)."""
    plain = _assemble_plain(chunks)
    return plain if plain is not None else _assemble_general(chunks)


def _assemble_general(chunks: Sequence[ChatChunk]) -> ChatCompletion:
    """Any stream: choices by index, tool call pieces merged by their index, reasoning."""
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
            for d in deltas or ():
                slot = calls.setdefault(index, {}).setdefault(d.index, [None, None, []])
                slot[0] = slot[0] or d.id
                slot[1] = slot[1] or d.name
                slot[2].append(d.arguments)
    choices = []
    for index in sorted(texts):
        tool_calls = tuple(
            answer_tool_call(
                id=slot[0] or "", name=slot[1] or "", arguments="".join(slot[2]) or "{}"
            )
            for _, slot in sorted(calls.get(index, {}).items())
        )
        text = "".join(texts[index])
        message = answer_message(
            role=roles.get(index, "assistant"),
            content=text if text or not tool_calls else None,
            tool_calls=tool_calls,
            reasoning="".join(reasoning[index]) if index in reasoning else None,
        )
        choices.append(Choice(index=index, message=message, finish_reason=finish.get(index)))
    first_id, model, created = _header(chunks)
    return ChatCompletion(
        id=first_id,
        model=model,
        created=created,
        choices=tuple(choices),
        usage=_final_usage(chunks),
    )


__all__ = [
    "CHAT_CODEC",
    "ChatChunk",
    "ChatStreamCodec",
    "ChunkChoice",
    "ChunkUsage",
    "Delta",
    "FunctionDelta",
    "ToolCallDelta",
    "assemble_chat",
]
