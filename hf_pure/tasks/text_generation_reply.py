"""Text generation (TGI) replies as values: the whole answer and its details, and their total
decoders (read with :mod:`hf_pure.tasks._read`). The stream is in
:mod:`hf_pure.tasks.text_generation_stream`.
"""

from __future__ import annotations

from typing import Any

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, loads
from hf_pure.core.errors import HfError
from hf_pure.core.failures import error_from_event, malformed
from hf_pure.core.http import RawReply
from hf_pure.core.value import Value
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
