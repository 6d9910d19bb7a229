"""Chat stream chunks as values: msgspec Structs shaped like the wire, decoded straight from an
event's JSON, and their total fallback reader for events the typed decode refuses.

Loaded with the first stream (through :mod:`hf_pure.tasks.chat_stream`), so that
``import hf_pure`` pays neither for these types nor for msgspec's import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Final, TypeAlias

import msgspec

from hf_pure.core.codec import typed_decoder
from hf_pure.tasks._read import (
    Bad,
    Spec,
    array,
    each,
    fields,
    integer,
    mapping,
    need_object,
    text,
)
from hf_pure.tasks.chat_reply import CHOICE_FIELDS, FUNCTION_FIELDS

# Per-chunk values are msgspec Structs shaped like the wire: frozen, hashable, matchable, and
# decoded straight from the event's JSON in C (a chunk costs about what parsing it to dicts
# alone would). Properties give the flat view: ``choice.content`` is ``choice.delta.content``.
# Integers are bounded as the total readers bound them, so that a number the fallback would
# refuse never slips through the typed path; an event the typed decode refuses is read again by
# the total readers (``chunk_from_json``), which say which field was wrong.
#
# ``gc=False``: the cyclic garbage collector does not track chunks. A chunk holds only strings,
# numbers and chunk values built before it, so it can't close a cycle; tracked, the hundreds
# alive at a time (a read's batch, the chunks a caller keeps) made collections walk them all.

Int: TypeAlias = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class FunctionDelta(msgspec.Struct, frozen=True, gc=False):
    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(msgspec.Struct, frozen=True, gc=False):
    """A piece of a streamed tool call; pieces with the same ``index`` add up."""

    index: Int = 0
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None

    @property
    def name(self) -> str | None:
        return self.function.name if self.function is not None else None

    @property
    def arguments(self) -> str:
        return (self.function.arguments or "") if self.function is not None else ""


class Delta(msgspec.Struct, frozen=True, gc=False):
    """What a chunk adds to one choice. ``tool_calls`` is as on the wire: None when absent or
    ``null`` (together sends ``null`` in every delta); ``ChunkChoice.tool_calls`` is never None."""

    content: str | None = None
    role: str | None = None
    tool_calls: tuple[ToolCallDelta, ...] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None


_NO_DELTA: Final = Delta()


class ChunkChoice(msgspec.Struct, frozen=True, gc=False):
    index: Int = 0
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
        return self.delta.tool_calls or ()

    @property
    def reasoning(self) -> str | None:
        return self.delta.reasoning_content or self.delta.reasoning


class ChunkUsage(msgspec.Struct, frozen=True, gc=False):
    prompt_tokens: Int = 0
    completion_tokens: Int = 0
    total_tokens: Int = 0


class ChatChunk(msgspec.Struct, frozen=True, gc=False):
    """One streamed chunk. ``text`` is the new text of the choice of index 0 ("" when none)."""

    id: str = ""
    model: str = ""
    created: Int = 0
    choices: tuple[ChunkChoice, ...] = ()
    usage: ChunkUsage | None = None
    # Private, and always UNSET: an event with a top-level "error" member (any value) is an
    # error event, which the codec reads by the total path. Typed UnsetType, the typed decode
    # refuses such an event in passing (no JSON value is UNSET), so that a decoded chunk is
    # never one; looking for b'"error"' in every event's bytes first cost a third of the decode.
    _error: msgspec.UnsetType = msgspec.field(default=msgspec.UNSET, name="error")

    def __repr__(self) -> str:
        return (
            f"ChatChunk(id={self.id!r}, model={self.model!r}, created={self.created!r}, "
            f"choices={self.choices!r}, usage={self.usage!r})"
        )

    @property
    def text(self) -> str:
        """The new text of the choice of index 0 ("" when the chunk has none): with several
        choices (``n``), a chunk may list another choice first, or only another one, and
        joining ``text`` over a stream gives the answer's text, not a mix of choices."""
        choices = self.choices
        if len(choices) == 1:  # the common chunk
            only = choices[0]
            return (only.delta.content or "") if only.index == 0 else ""
        return "".join(c.delta.content or "" for c in choices if c.index == 0)

    @property
    def finish_reason(self) -> str | None:
        """The finish reason of the choice of index 0, once it has one (see :attr:`text`)."""
        reason = None
        for choice in self.choices:
            if choice.index == 0 and choice.finish_reason:
                reason = choice.finish_reason
        return reason


CHUNK_DECODER: Final = typed_decoder(ChatChunk)


def decode_batch(datas: Sequence[bytes | object]) -> list[ChatChunk] | None:
    """The chunks of a read's events in one decode, when every one is a plain event (its data
    bytes, as ``sse.feed_lean`` gives it) whose data the typed decode accepts; None otherwise
    (the caller decodes them one by one, which says what is wrong and where).

    The data go to msgspec as JSON lines, one line per event: a data line holds no newline
    (checked: joined, the data hold none), so each line is exactly one event's data,
    decoded alone exactly as ``CHUNK_DECODER.decode`` would decode it; an empty data line,
    which ``decode_lines`` skips, shows as fewer chunks than events."""
    try:
        lines = b"\n".join(datas)  # type: ignore[arg-type]
    except TypeError:  # an SseEvent among them: not a plain event
        return None
    if b"".join(datas).find(b"\n") >= 0:  # type: ignore[arg-type]  # find: cheaper than `in`
        return None
    try:
        chunks = CHUNK_DECODER.decode_lines(lines)
    except ValueError:
        return None
    return chunks if len(chunks) == len(datas) else None

_NO_CHOICES: tuple[ChunkChoice, ...] = ()


# ------------------------------------------------------------------ the total fallback
# Each reader gives what the typed decode gives for the same JSON when that decode accepts it
# (same defaults: a missing index is 0; tests/test_decode_fuzz.py checks it), and a Bad naming
# the field otherwise.

_TOOL_DELTA: Spec = (("index", integer), ("id", text), ("type", text), ("function", mapping))


def _tool_delta(item: Any, at: str) -> ToolCallDelta | Bad:
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, _TOOL_DELTA)
    if isinstance(got, Bad):
        return got
    index, call_id, kind, function = got
    fn = None
    if function is not None:
        read = fields(function, f"{at}.function", FUNCTION_FIELDS)
        if isinstance(read, Bad):
            return read
        fn = FunctionDelta(name=read[0], arguments=read[1])
    return ToolCallDelta(index=index or 0, id=call_id, type=kind, function=fn)


_DELTA: Spec = (
    ("content", text),
    ("role", text),
    ("tool_calls", array),
    ("reasoning_content", text),
    ("reasoning", text),
)


def _delta(value: Any, at: str) -> Delta | Bad:
    if value is None:
        return _NO_DELTA
    obj = need_object(value, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, _DELTA)
    if isinstance(got, Bad):
        return got
    content, role, calls, reasoning_content, reasoning = got
    deltas = None if calls is None else each(calls, at, "tool_calls", _tool_delta)
    if isinstance(deltas, Bad):
        return deltas
    return Delta(
        content=content,
        role=role,
        tool_calls=deltas,
        reasoning_content=reasoning_content,
        reasoning=reasoning,
    )


def _chunk_choice(item: Any, at: str) -> ChunkChoice | Bad:
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, CHOICE_FIELDS)
    if isinstance(got, Bad):
        return got
    index, finish_reason = got
    delta = _delta(obj.get("delta"), f"{at}.delta")
    if isinstance(delta, Bad):
        return delta
    return ChunkChoice(index=index or 0, delta=delta, finish_reason=finish_reason)


_USAGE: Spec = (
    ("prompt_tokens", integer),
    ("completion_tokens", integer),
    ("total_tokens", integer),
)
_CHUNK_FIELDS: Spec = (
    ("id", text),
    ("model", text),
    ("created", integer),
    ("choices", array),
    ("usage", mapping),
)


def chunk_from_json(obj: dict[str, Any]) -> ChatChunk | Bad:
    """A chunk from a parsed event object, or what is wrong with it."""
    got = fields(obj, "", _CHUNK_FIELDS)
    if isinstance(got, Bad):
        return got
    chunk_id, model, created, raw_choices, raw_usage = got
    choices = []
    for i, item in enumerate(raw_choices or ()):
        choice = _chunk_choice(item, f"choices[{i}]")
        if isinstance(choice, Bad):
            return choice
        choices.append(choice)
    usage = None
    if raw_usage is not None:
        counts = fields(raw_usage, "usage", _USAGE)
        if isinstance(counts, Bad):
            return counts
        usage = ChunkUsage(
            prompt_tokens=counts[0] or 0,
            completion_tokens=counts[1] or 0,
            total_tokens=counts[2] or 0,
        )
    return ChatChunk(
        id=chunk_id or "",
        model=model or "",
        created=created or 0,
        choices=tuple(choices) if choices else _NO_CHOICES,
        usage=usage,
        _error=obj.get("error", msgspec.UNSET),  # as the typed decode notes it
    )
