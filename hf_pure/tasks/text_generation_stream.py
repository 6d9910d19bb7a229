"""Text generation (TGI) streaming: the stream's chunks, their total decoder and the codec.

The stream has no ``[DONE]``: it is complete when an event carries the final
``generated_text``; a body that ends before that is a cut stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import attrs

from hf_pure.core.errors import HfError
from hf_pure.core.request import Broken, Done, decode_events
from hf_pure.core.sse import SseEvent
from hf_pure.core.value import Value
from hf_pure.tasks._event import read_event
from hf_pure.tasks._read import Bad, Spec, fields, integer, text
from hf_pure.tasks.text_generation_reply import (
    GenerationDetails,
    TextGeneration,
    Token,
    details_from_json,
    token_from_json,
)


@attrs.frozen(repr=False)
class TextGenerationChunk(Value):
    """One streamed token; the last chunk also carries ``generated_text`` (and ``details``)."""

    index: int
    token: Token
    generated_text: str | None = None
    details: GenerationDetails | None = None

    @property
    def text(self) -> str:
        """The token's text ("" for special tokens such as ``</s>``)."""
        return "" if self.token.special else self.token.text


_NO_TOKEN: Final = Token(id=0, text="", logprob=None, special=True)
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


@attrs.frozen(repr=False)
class TextGenerationCodec(Value):
    """SSE events of a TGI stream to :class:`TextGenerationChunk` values."""

    def event(
        self, event: SseEvent, request_id: str | None
    ) -> TextGenerationChunk | HfError | Broken | None:
        return read_event(event, request_id, _chunk_from_json)

    def events(
        self, events: Sequence[bytes | SseEvent], request_id: str | None
    ) -> tuple[list[TextGenerationChunk], HfError | Done | Broken | None]:
        return decode_events(self.event, TextGenerationChunk, events, request_id)

    def final(self, chunk: TextGenerationChunk) -> bool:
        return chunk.generated_text is not None

    def text(self, chunks: Sequence[TextGenerationChunk]) -> str:
        return "".join(c.text for c in chunks)

    def assemble(self, chunks: Sequence[TextGenerationChunk]) -> TextGeneration:
        last = next((c for c in reversed(chunks) if c.generated_text is not None), None)
        if last is None or last.generated_text is None:
            return TextGeneration(self.text(chunks))
        return TextGeneration(last.generated_text, last.details)

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
