"""Text generation (TGI) replies as values: the whole answer, its details, the stream's chunks,
their total decoders (read with :mod:`hf_pure.tasks._read`) and the stream codec.

The stream has no ``[DONE]``: it is complete when an event carries the final
``generated_text``; a body that ends before that is a cut stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, loads
from hf_pure.core.errors import HfError
from hf_pure.core.failures import error_from_event, malformed
from hf_pure.core.http import RawReply
from hf_pure.core.request import Broken, Done, decode_events
from hf_pure.core.sse import SseEvent
from hf_pure.core.value import Value
from hf_pure.tasks._event import read_event
from hf_pure.tasks._read import (
    Bad,
    Spec,
    array,
    each,
    fields,
    flag,
    integer,
    kind_of,
    need_object,
    number,
    text,
)

# --------------------------------------------------------------------------- replies


@attrs.frozen(repr=False)
class Token(Value):
    id: int
    text: str
    logprob: float | None = None
    special: bool = False


@attrs.frozen(repr=False)
class BestOfSequence(Value):
    generated_text: str
    finish_reason: str
    generated_tokens: int
    seed: int | None = None


@attrs.frozen(repr=False)
class GenerationDetails(Value):
    finish_reason: str
    generated_tokens: int
    seed: int | None = None
    prefill: tuple[Token, ...] = ()
    tokens: tuple[Token, ...] = ()
    best_of_sequences: tuple[BestOfSequence, ...] = ()


@attrs.frozen(repr=False)
class TextGeneration(Value):
    """The generated text, with TGI's details when they were asked for."""

    generated_text: str
    details: GenerationDetails | None = None

    @property
    def text(self) -> str:
        return self.generated_text


_TOKEN: Spec = (("id", integer), ("text", text), ("logprob", number), ("special", flag))


def token_from_json(obj: Any, at: str = "token") -> Token | Bad:
    """One token (``{"id", "text", "logprob", "special"}``), or what is wrong with it."""
    checked = need_object(obj, at)
    if isinstance(checked, Bad):
        return checked
    got = fields(checked, at, _TOKEN)
    if isinstance(got, Bad):
        return got
    token_id, words, logprob, special = got
    return Token(id=token_id or 0, text=words or "", logprob=logprob, special=special is True)


_BEST: Spec = (
    ("generated_text", text),
    ("finish_reason", text),
    ("generated_tokens", integer),
    ("seed", integer),
)


def _best(item: Any, at: str) -> BestOfSequence | Bad:
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, _BEST)
    if isinstance(got, Bad):
        return got
    generated, finish, tokens, seed = got
    return BestOfSequence(
        generated_text=generated or "",
        finish_reason=finish or "",
        generated_tokens=tokens or 0,
        seed=seed,
    )


_DETAILS: Spec = (
    ("finish_reason", text),
    ("generated_tokens", integer),
    ("seed", integer),
    ("prefill", array),
    ("tokens", array),
    ("best_of_sequences", array),
)


def details_from_json(obj: Any, at: str = "details") -> GenerationDetails | Bad | None:
    """TGI's ``details`` (None when absent or null), or what is wrong with them."""
    if obj is None:
        return None
    checked = need_object(obj, at)
    if isinstance(checked, Bad):
        return checked
    got = fields(checked, at, _DETAILS)
    if isinstance(got, Bad):
        return got
    finish, count, seed, prefill, tokens, best = got
    read_prefill = each(prefill, at, "prefill", token_from_json)
    if isinstance(read_prefill, Bad):
        return read_prefill
    read_tokens = each(tokens, at, "tokens", token_from_json)
    if isinstance(read_tokens, Bad):
        return read_tokens
    read_best = each(best, at, "best_of_sequences", _best)
    if isinstance(read_best, Bad):
        return read_best
    return GenerationDetails(
        finish_reason=finish or "",
        generated_tokens=count or 0,
        seed=seed,
        prefill=read_prefill,
        tokens=read_tokens,
        best_of_sequences=read_best,
    )


def text_generation_from_json(obj: Any) -> TextGeneration | Bad:
    """``[{"generated_text", "details"?}]`` (or the bare object some servers send)."""
    at = "[0]" if type(obj) is list else ""
    item = obj[0] if type(obj) is list and obj else obj
    if type(item) is not dict:
        return Bad(at, 'expected [{"generated_text": ...}]')
    generated = item.get("generated_text")
    if type(generated) is not str:
        where = f"{at}.generated_text" if at else "generated_text"
        return Bad(where, f"expected text, got {kind_of(generated)}")
    details = details_from_json(item.get("details"), f"{at}.details" if at else "details")
    if isinstance(details, Bad):
        return details
    return TextGeneration(generated_text=generated, details=details)


def decode_text_generation(reply: RawReply) -> Result[TextGeneration, HfError]:
    """Decode a 2xx TGI reply. Total: any body gives Success or a specific Failure."""
    try:
        obj = loads(reply.body)
    except JSONDecodeError:
        return Failure(malformed(reply, "the body is not valid JSON"))
    if type(obj) is dict and "error" in obj:
        return Failure(error_from_event(obj, reply.request_id))
    parsed = text_generation_from_json(obj)
    if isinstance(parsed, Bad):
        return Failure(malformed(reply, parsed.message))
    return Success(parsed)


# --------------------------------------------------------------------------- streaming


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
