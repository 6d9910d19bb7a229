"""Chat streaming: the codec from SSE events to typed chunks (:mod:`hf_pure.tasks.chat_chunk`),
folded as they arrive into the whole answer (:mod:`hf_pure.tasks.chat_fold`).

Loaded with the first stream (``ChatRequest.codec``), so that ``import hf_pure`` pays neither
for these types nor for msgspec's import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import attrs

from hf_pure.core.codec import JSONDecodeError
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
    decode_batch,
)
from hf_pure.tasks.chat_fold import (
    NO_CHAT,
    ChatFold,
    chat_answer,
    fold_chat,
    fold_general,
    fold_plain,
)
from hf_pure.tasks.chat_reply import ChatCompletion

if TYPE_CHECKING:
    from hf_pure.core.errors import HfError


@attrs.frozen(repr=False)
class ChatStreamCodec(Value):
    """SSE events of a chat stream to :class:`ChatChunk` values, and chunks to the answer."""

    def event(
        self, event: SseEvent, request_id: str | None
    ) -> ChatChunk | HfError | Done | Broken | None:
        data = event.data
        if event.event == "message":
            try:
                return CHUNK_DECODER.decode(data)  # the typed path: nearly every event
            except JSONDecodeError:  # not JSON, not a chunk's shape, or an "error" member
                pass
        if data == DONE_DATA:
            return DONE
        return read_event(event, request_id, chunk_from_json)

    def events(
        self, events: Sequence[bytes | SseEvent], request_id: str | None
    ) -> tuple[list[ChatChunk], HfError | Done | Broken | None]:
        # A read of plain chunk events (and the closing [DONE]): one decode for them all.
        if len(events) > 1:
            done = events[-1] == DONE_DATA
            batch = decode_batch(events[:-1] if done else events)
            if batch is not None:
                return batch, DONE if done else None
        # decode_events with the typed path inlined: this loop runs once per token, and a
        # plain event arrives as its data bytes alone (sse.feed_lean)
        out: list[ChatChunk] = []
        append = out.append
        decode = CHUNK_DECODER.decode
        item: ChatChunk | HfError | Done | Broken | None
        for raw in events:
            if type(raw) is bytes:
                try:
                    chunk = decode(raw)  # refuses an event with an "error" member
                except JSONDecodeError:  # [DONE], or read leniently
                    if raw == DONE_DATA:
                        return out, DONE
                else:
                    append(chunk)
                    continue
                item = read_event(_plain_event(raw), request_id, chunk_from_json)
            else:
                item = self.event(raw, request_id)  # type: ignore[arg-type]
            if type(item) is not ChatChunk:
                return out, item  # type: ignore[return-value]
            append(item)
        return out, None

    def final(self, chunk: ChatChunk) -> bool:
        return any(c.finish_reason for c in chunk.choices)

    def start(self) -> ChatFold:
        return NO_CHAT

    def fold(self, acc: ChatFold, chunks: Sequence[ChatChunk]) -> ChatFold:
        return fold_chat(acc, chunks)

    def finish(self, acc: ChatFold) -> ChatCompletion:
        return chat_answer(acc)

    def text(self, chunks: Sequence[ChatChunk]) -> str:
        """Choice 0's text in ``chunks`` (what a stream cut after them keeps)."""
        return fold_chat(NO_CHAT, chunks).text

    def assemble(self, chunks: Sequence[ChatChunk]) -> ChatCompletion:
        """The whole answer from all the chunks at once."""
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


def assemble_chat(chunks: Sequence[ChatChunk]) -> ChatCompletion:
    """Fold streamed chunks into the whole answer (text, tool calls, finish reason, usage)."""
    return chat_answer(fold_chat(NO_CHAT, chunks))


def _assemble_plain(chunks: Sequence[ChatChunk]) -> ChatCompletion | None:
    """The fast fold at once: None unless every chunk is a plain one (see ``fold_plain``)."""
    acc = fold_plain(NO_CHAT, chunks)
    return None if acc is None else chat_answer(acc)


def _assemble_general(chunks: Sequence[ChatChunk]) -> ChatCompletion:
    """The general fold at once."""
    return chat_answer(fold_general(NO_CHAT, chunks))


__all__ = [
    "CHAT_CODEC",
    "ChatChunk",
    "ChatFold",
    "ChatStreamCodec",
    "ChunkChoice",
    "ChunkUsage",
    "Delta",
    "FunctionDelta",
    "ToolCallDelta",
    "assemble_chat",
]
