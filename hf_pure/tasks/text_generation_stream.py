"""Text generation (TGI) streaming: the stream's chunks, their decoders, the fold and the codec.

The stream has no ``[DONE]``: it is complete when an event carries the final
``generated_text``; a body that ends before that is a cut stream.

A chunk is a frozen msgspec Struct decoded straight from the event's bytes; an event the typed
decode refuses, or whose numbers lie beyond what it is bounded to (TGI's seeds and token ids
go beyond int64, which msgspec's bounds can't say), or that carries ``details`` (once, at the
end), is read by the total readers instead, which say which field was wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Final, TypeAlias

import attrs
import msgspec

from hf_pure.core.codec import JSONDecodeError, typed_decoder
from hf_pure.core.errors import HfError
from hf_pure.core.request import Broken, Done
from hf_pure.core.sse import SseEvent
from hf_pure.core.sse import plain_event as _plain_event
from hf_pure.core.value import Value
from hf_pure.tasks._event import read_event
from hf_pure.tasks._fold import Rope, grow, joined
from hf_pure.tasks._read import INT_MAX, INT_MIN, Bad, Spec, fields, integer, text
from hf_pure.tasks.text_generation_reply import (
    GenerationDetails,
    TextGeneration,
    Token,
    details_from_json,
    token_from_json,
)

_Int64: TypeAlias = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_NO_TOKEN: Final = Token(id=0, text="", logprob=None, special=True)
# A logprob the typed path takes: well inside what the reader takes (finite, and an integer
# no larger than 2**1000), so that an integer the reader refuses can't pass as its float.
_LOGPROB_BOUND: Final = 1e300


class TextGenerationChunk(msgspec.Struct, frozen=True, gc=False):
    """One streamed token; the last chunk also carries ``generated_text`` (and ``details``)."""

    index: _Int64 = 0
    token: Token = _NO_TOKEN
    generated_text: str | None = None
    details: GenerationDetails | None = None

    @property
    def text(self) -> str:
        """The token's text ("" for special tokens such as ``</s>``)."""
        token = self.token
        return "" if token.special else token.text


_CHUNK_DECODER: Final = typed_decoder(TextGenerationChunk)


def _typed(data: bytes) -> TextGenerationChunk | None:
    """The chunk the typed decode gives, when it is one the total reader gives too."""
    try:
        chunk = _CHUNK_DECODER.decode(data)
    except JSONDecodeError:
        return None
    token = chunk.token
    logprob = token.logprob
    if (
        chunk.details is None
        and INT_MIN <= token.id <= INT_MAX
        and (logprob is None or -_LOGPROB_BOUND <= logprob <= _LOGPROB_BOUND)
    ):
        return chunk
    return None


_CHUNK: Spec = (("index", integer), ("generated_text", text))


def _chunk_from_json(obj: dict[str, Any]) -> TextGenerationChunk | Bad:
    """One stream event's chunk (``{"index", "token", "generated_text", "details"}``)."""
    got = fields(obj, "", _CHUNK)
    if isinstance(got, Bad):
        return got
    index, generated = got
    raw_token = obj.get("token")
    token = _NO_TOKEN if raw_token is None else token_from_json(raw_token)
    if isinstance(token, Bad):
        return token
    details = details_from_json(obj.get("details"))
    if isinstance(details, Bad):
        return details
    return TextGenerationChunk(
        index=index or 0, token=token, generated_text=generated, details=details
    )


class TextGenerationFold(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """A TGI stream so far: its tokens' text, and the final text and details once sent."""

    count: int = 0
    pieces: Rope = ()
    generated_text: str | None = None
    details: GenerationDetails | None = None

    @property
    def text(self) -> str:
        """The text of the tokens so far (what a cut stream keeps)."""
        return joined(self.pieces)


NO_TEXT: Final = TextGenerationFold()


def fold_text_generation(
    acc: TextGenerationFold, chunks: Sequence[TextGenerationChunk]
) -> TextGenerationFold:
    """``chunks`` folded into ``acc``: the tokens' text in order; the ``generated_text`` and
    ``details`` of the last chunk that carried a ``generated_text``."""
    if not chunks:
        return acc
    generated, details = acc.generated_text, acc.details
    for chunk in chunks:
        if chunk.generated_text is not None:
            generated, details = chunk.generated_text, chunk.details
    return TextGenerationFold(
        count=acc.count + len(chunks),
        pieces=grow(acc.pieces, "".join([c.text for c in chunks])),
        generated_text=generated,
        details=details,
    )


@attrs.frozen(repr=False)
class TextGenerationCodec(Value):
    """SSE events of a TGI stream to :class:`TextGenerationChunk` values, folded."""

    def event(
        self, event: SseEvent, request_id: str | None
    ) -> TextGenerationChunk | HfError | Broken | None:
        data = event.data
        if event.event == "message" and b'"error"' not in data:
            chunk = _typed(data)
            if chunk is not None:
                return chunk
        return read_event(event, request_id, _chunk_from_json)

    def events(
        self, events: Sequence[bytes | SseEvent], request_id: str | None
    ) -> tuple[list[TextGenerationChunk], HfError | Done | Broken | None]:
        out: list[TextGenerationChunk] = []
        for raw in events:
            item = self.event(raw if type(raw) is SseEvent else _plain_event(raw), request_id)  # type: ignore[arg-type]
            if type(item) is not TextGenerationChunk:
                return out, item  # type: ignore[return-value]
            out.append(item)
        return out, None

    def final(self, chunk: TextGenerationChunk) -> bool:
        return chunk.generated_text is not None

    def start(self) -> TextGenerationFold:
        return NO_TEXT

    def fold(
        self, acc: TextGenerationFold, chunks: Sequence[TextGenerationChunk]
    ) -> TextGenerationFold:
        return fold_text_generation(acc, chunks)

    def finish(self, acc: TextGenerationFold) -> TextGeneration:
        if acc.generated_text is None:
            return TextGeneration(generated_text=acc.text)
        return TextGeneration(generated_text=acc.generated_text, details=acc.details)

    def text(self, chunks: Sequence[TextGenerationChunk]) -> str:
        """The text of ``chunks``' tokens (what a stream cut after them keeps)."""
        return "".join([c.text for c in chunks])

    def assemble(self, chunks: Sequence[TextGenerationChunk]) -> TextGeneration:
        """The whole answer from all the chunks at once."""
        return self.finish(fold_text_generation(NO_TEXT, chunks))

    def as_chunk(self, answer: TextGeneration) -> TextGenerationChunk:
        """The whole answer as one final chunk (a server that ignored ``stream`` sent it
        whole): one token carrying all the text."""
        return TextGenerationChunk(
            index=1,
            token=Token(id=0, text=answer.generated_text, logprob=None, special=False),
            generated_text=answer.generated_text,
            details=answer.details,
        )


TEXT_GENERATION_CODEC: Final = TextGenerationCodec()
