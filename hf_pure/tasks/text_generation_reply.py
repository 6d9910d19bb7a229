"""Text generation (TGI) replies as values: the whole answer and its details, frozen msgspec
Structs shaped like the wire, and their total decoder. The stream is in
:mod:`hf_pure.tasks.text_generation_stream`.

A body of the documented shape (``[{"generated_text", "details"?}]``) is decoded straight into
the Structs; anything else (the bare object some servers send, ``null`` for a field with a
default, a seed beyond what the typed decode bounds...) is read by the total readers
(:mod:`hf_pure.tasks._read`), which build the same Structs or name the field that is wrong.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from returns.result import Result, Success

from hf_pure.core.codec import typed_decoder
from hf_pure.core.errors import HfError
from hf_pure.core.http import RawReply
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
from hf_pure.tasks._reply import Float, Int, decode_leniently, in_int_range

# --------------------------------------------------------------------------- replies
# Every field has the default the readers give a missing one, so the two paths agree. Seeds are
# unbounded here (msgspec bounds only int64; TGI's seeds are uint64) and checked after the
# decode; every other integer is int64 on the typed path.


class Token(msgspec.Struct, frozen=True, gc=False):
    id: Int = 0
    text: str = ""
    logprob: Float | None = None
    special: bool = False


class BestOfSequence(msgspec.Struct, frozen=True, gc=False):
    generated_text: str = ""
    finish_reason: str = ""
    generated_tokens: Int = 0
    seed: int | None = None


class GenerationDetails(msgspec.Struct, frozen=True, gc=False):
    finish_reason: str = ""
    generated_tokens: Int = 0
    seed: int | None = None
    prefill: tuple[Token, ...] = ()
    tokens: tuple[Token, ...] = ()
    best_of_sequences: tuple[BestOfSequence, ...] = ()


class TextGeneration(msgspec.Struct, frozen=True, gc=False):
    """The generated text, with TGI's details when they were asked for."""

    generated_text: str
    details: GenerationDetails | None = None

    @property
    def text(self) -> str:
        return self.generated_text


# --------------------------------------------------------------------------- the typed path

_DECODER: Final = typed_decoder(tuple[TextGeneration, ...])


def text_generation_strict(body: bytes) -> TextGeneration | None:
    """The fast path: ``[{"generated_text", "details"?}]`` decoded straight into a
    TextGeneration, or None when the body doesn't have that shape (then
    :func:`text_generation_from_json` reads it, and says what's wrong)."""
    try:
        items = _DECODER.decode(body)
    except ValueError:
        return None
    if not items:
        return None
    first = items[0]
    details = first.details
    if details is not None and not (
        in_int_range(details.seed) and all(in_int_range(b.seed) for b in details.best_of_sequences)
    ):
        return None
    return first


def decode_text_generation(reply: RawReply) -> Result[TextGeneration, HfError]:
    """Decode a 2xx TGI reply. Total: any body gives Success or a specific Failure."""
    answer = text_generation_strict(reply.body)
    if answer is not None:
        return Success(answer)
    return decode_leniently(reply, text_generation_from_json)


# --------------------------------------------------------------------------- the total readers

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
