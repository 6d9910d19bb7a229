"""A chat stream folded as it arrives: the accumulator, the fold over a batch of chunks, and the
whole answer at the end.

The rules (the same as assembling all the chunks at once, in one pass):

- choices by their index, in index order; every index a chunk named is a choice;
- a choice's text, and its reasoning (``reasoning_content`` or ``reasoning``), are its pieces
  in order; the role is the first non-empty one it sent (sambanova repeats it), the finish
  reason the last non-empty one;
- tool call pieces merge by their index within their choice: the first non-empty id and
  name, the arguments in order (``"{}"`` when none came); a choice with tool calls and no
  text has no content;
- the answer's id, model and creation time are the first non-empty of each (providers leave
  them empty in some chunks, TGI sends ``"id": ""`` in all); its usage the last reported.

The fold is pure: an accumulator and the next chunks in, a new accumulator out, so a stream
can fold each read's batch and keep no chunk. Folding in any split equals folding at once
(tests/test_stream_fold.py holds it against a model written from the rules above).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from hf_pure.tasks._fold import Rope, grow, joined
from hf_pure.tasks.chat_chunk import ChatChunk, ChunkUsage
from hf_pure.tasks.chat_reply import (
    ChatCompletion,
    Choice,
    Usage,
    answer_message,
    answer_tool_call,
)

# Accumulators are values (frozen, hashable, compared field by field) that hold only strings,
# numbers and values built before them: untracked by the cyclic GC, as the chunks are.


class ToolCallFold(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One tool call of a choice so far (its pieces merged by ``index``)."""

    index: int
    id: str = ""
    name: str = ""
    arguments: Rope = ()


class ChoiceFold(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One choice so far."""

    index: int
    text: Rope = ()
    role: str = ""
    finish_reason: str | None = None
    reasoning: Rope = ()
    tool_calls: tuple[ToolCallFold, ...] = ()  # by index


class ChatFold(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """A chat stream so far: what the whole answer is made of, and how many chunks came."""

    count: int = 0
    id: str = ""
    model: str = ""
    created: int = 0
    usage: ChunkUsage | None = None
    choices: tuple[ChoiceFold, ...] = ()  # by index

    @property
    def text(self) -> str:
        """Choice 0's text so far (what a cut stream keeps)."""
        for choice in self.choices:
            if choice.index == 0:
                return joined(choice.text)
        return ""


NO_CHAT: Final = ChatFold()


def _header(acc: ChatFold, chunks: Sequence[ChatChunk]) -> tuple[str, str, int]:
    """id, model and created: the first non-empty of each, the accumulator's first."""
    first_id, model, created = acc.id, acc.model, acc.created
    if not first_id:
        first_id = next((c.id for c in chunks if c.id), "")
    if not model:
        model = next((c.model for c in chunks if c.model), "")
    if not created:
        created = next((c.created for c in chunks if c.created), 0)
    return first_id, model, created


def _find(choices: tuple[ChoiceFold, ...], index: int) -> ChoiceFold | None:
    if choices and choices[0].index == index:  # the common stream: one choice, index 0
        return choices[0]
    return next((c for c in choices if c.index == index), None)


def _put(choices: tuple[ChoiceFold, ...], new: ChoiceFold) -> tuple[ChoiceFold, ...]:
    """``choices`` (by index) with ``new`` in its place."""
    if len(choices) == 1 and choices[0].index == new.index:  # the common stream: one choice
        return (new,)
    for i, c in enumerate(choices):
        if c.index == new.index:
            return (*choices[:i], new, *choices[i + 1 :])
        if c.index > new.index:
            return (*choices[:i], new, *choices[i:])
    return (*choices, new)


# One fold, two speeds: ``fold_plain`` is ``fold_general`` specialised to the common batch
# (one choice of text: a role, a finish reason, no tool calls or reasoning), and a property
# test holds them equal wherever the fast one answers.


def fold_plain(acc: ChatFold, chunks: Sequence[ChatChunk]) -> ChatFold | None:
    """``chunks`` folded into ``acc`` when each has at most one choice, index 0, with no tool
    calls or reasoning; None otherwise."""
    texts: list[str] = []
    append = texts.append
    role = None
    finish = None
    seen = False
    usage = acc.usage
    for chunk in chunks:
        if chunk.usage is not None:
            usage = chunk.usage
        choices = chunk.choices
        if not choices:
            continue
        try:
            (first_choice,) = choices
        except ValueError:  # more than one choice
            return None
        delta = first_choice.delta
        if first_choice.index or delta.tool_calls or delta.reasoning_content or delta.reasoning:
            return None
        seen = True
        content = delta.content
        if content:
            append(content)
        if role is None and delta.role:
            role = delta.role
        if first_choice.finish_reason:
            finish = first_choice.finish_reason
    choices_so_far = acc.choices
    if seen:
        old = _find(choices_so_far, 0)
        if old is None:
            zero = ChoiceFold(
                index=0, text=grow((), "".join(texts)), role=role or "", finish_reason=finish
            )
        else:
            zero = ChoiceFold(
                index=0,
                text=grow(old.text, "".join(texts)) if texts else old.text,
                role=old.role or role or "",
                finish_reason=finish or old.finish_reason,
                reasoning=old.reasoning,
                tool_calls=old.tool_calls,
            )
        choices_so_far = _put(choices_so_far, zero)
    first_id, model, created = acc.id, acc.model, acc.created
    if not (first_id and model and created):  # after the first read, each is known
        first_id, model, created = _header(acc, chunks)
    return ChatFold(
        count=acc.count + len(chunks),
        id=first_id,
        model=model,
        created=created,
        usage=usage,
        choices=choices_so_far,
    )


class _Calls:
    """One tool call's pieces within one batch (mutable, local to ``fold_general``)."""

    __slots__ = ("arguments", "id", "name")

    def __init__(self, old: ToolCallFold | None) -> None:
        self.id = old.id if old is not None else ""
        self.name = old.name if old is not None else ""
        self.arguments: list[str] = []


class _Choice:
    """One choice's pieces within one batch (mutable, local to ``fold_general``)."""

    __slots__ = ("calls", "finish", "old", "reasoning", "role", "texts")

    def __init__(self, old: ChoiceFold | None) -> None:
        self.old = old
        self.texts: list[str] = []
        self.reasoning: list[str] = []
        self.role = old.role if old is not None else ""
        self.finish = old.finish_reason if old is not None else None
        self.calls: dict[int, _Calls] = {}

    def old_call(self, index: int) -> ToolCallFold | None:
        old = self.old
        if old is None:
            return None
        return next((t for t in old.tool_calls if t.index == index), None)

    def folded(self, index: int) -> ChoiceFold:
        old = self.old
        calls = {c.index: c for c in old.tool_calls} if old is not None else {}
        for at, got in self.calls.items():
            prev = calls.get(at)
            rope = prev.arguments if prev is not None else ()
            calls[at] = ToolCallFold(
                index=at,
                id=got.id,
                name=got.name,
                arguments=grow(rope, "".join(got.arguments)),
            )
        return ChoiceFold(
            index=index,
            text=grow(old.text if old is not None else (), "".join(self.texts)),
            role=self.role,
            finish_reason=self.finish,
            reasoning=grow(old.reasoning if old is not None else (), "".join(self.reasoning)),
            tool_calls=tuple(calls[at] for at in sorted(calls)),
        )


def fold_general(acc: ChatFold, chunks: Sequence[ChatChunk]) -> ChatFold:
    """``chunks`` folded into ``acc``: any stream (choices by index, tool calls, reasoning)."""
    olds = {c.index: c for c in acc.choices}
    work: dict[int, _Choice] = {}
    usage = acc.usage
    for chunk in chunks:
        if chunk.usage is not None:
            usage = chunk.usage
        for c in chunk.choices:
            index = c.index
            w = work.get(index)
            if w is None:
                w = work[index] = _Choice(olds.get(index))
            delta = c.delta
            if delta.content:
                w.texts.append(delta.content)
            thought = delta.reasoning_content or delta.reasoning
            if thought:
                w.reasoning.append(thought)
            if delta.role and not w.role:
                w.role = delta.role
            if c.finish_reason:
                w.finish = c.finish_reason
            for d in delta.tool_calls or ():
                slot = w.calls.get(d.index)
                if slot is None:
                    slot = w.calls[d.index] = _Calls(w.old_call(d.index))
                slot.id = slot.id or d.id or ""
                slot.name = slot.name or d.name or ""
                slot.arguments.append(d.arguments)
    merged = dict(olds)
    for index, w in work.items():
        merged[index] = w.folded(index)
    first_id, model, created = _header(acc, chunks)
    return ChatFold(
        count=acc.count + len(chunks),
        id=first_id,
        model=model,
        created=created,
        usage=usage,
        choices=tuple(merged[i] for i in sorted(merged)),
    )


def fold_chat(acc: ChatFold, chunks: Sequence[ChatChunk]) -> ChatFold:
    """``chunks`` (the next ones, in order) folded into ``acc``."""
    if not chunks:
        return acc
    plain = fold_plain(acc, chunks)
    return plain if plain is not None else fold_general(acc, chunks)


def _choice(c: ChoiceFold) -> Choice:
    tool_calls = tuple(
        answer_tool_call(id=t.id, name=t.name, arguments=joined(t.arguments) or "{}")
        for t in c.tool_calls
    )
    text = joined(c.text)
    message = answer_message(
        role=c.role or "assistant",
        content=text if text or not tool_calls else None,
        tool_calls=tool_calls,
        reasoning=joined(c.reasoning) if c.reasoning else None,
    )
    return Choice(index=c.index, message=message, finish_reason=c.finish_reason)


def chat_answer(acc: ChatFold) -> ChatCompletion:
    """The whole answer a folded stream gives."""
    last = acc.usage
    usage = (
        None
        if last is None
        else Usage(
            prompt_tokens=last.prompt_tokens,
            completion_tokens=last.completion_tokens,
            total_tokens=last.total_tokens,
        )
    )
    return ChatCompletion(
        id=acc.id,
        model=acc.model,
        created=acc.created,
        choices=tuple(_choice(c) for c in acc.choices),
        usage=usage,
    )


__all__ = [
    "NO_CHAT",
    "ChatFold",
    "ChoiceFold",
    "ToolCallFold",
    "chat_answer",
    "fold_chat",
    "fold_general",
    "fold_plain",
]
