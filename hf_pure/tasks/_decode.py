"""The one decode of a whole JSON reply for every task: strict first, then the total readers.

A task's reply type is a frozen msgspec Struct shaped like the wire. The fast path decodes the
body straight into it (``typed_decoder``, in C); a body it refuses (a provider's quirk, an
alternate shape, wrong data) is parsed to plain JSON and read by the task's total reader
(:mod:`hf_pure.tasks._read`), which builds the same Struct or says which field was wrong.
A 2xx body that is an ``{"error": ...}`` object is the error it reports, never a value with
every field at its default: such bodies skip the strict path. The fallback is
:func:`hf_pure.tasks._reply.decode_leniently`, the one lenient decode of every task (chat and
text generation write their strict path out, as their hot path, in :mod:`~hf_pure.tasks._reply`'s
``decode_strictly`` shape); the bounded ``Int`` and ``Float`` for reply Structs are there too.

    _STRICT = lazy_decoder(list[Summary])
    def decode_summary(reply):
        return decode_json(reply, _STRICT, read_summaries)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from returns.result import Result, Success

from hf_pure.core.codec import typed_decoder
from hf_pure.core.http import RawReply
from hf_pure.tasks._read import Bad
from hf_pure.tasks._reply import decode_leniently

if TYPE_CHECKING:
    from hf_pure.core.errors import HfError

T = TypeVar("T")
U = TypeVar("U")


class LazyDecoder(Generic[T]):
    """A typed decoder for ``kind`` made on first use (so importing a task module doesn't build
    msgspec decoders for tasks never called). ``kind`` may be any type msgspec decodes
    (``list[Label]``, a Struct, a union of array and object shapes)."""

    __slots__ = ("_kind",)

    def __init__(self, kind: Any) -> None:
        self._kind = kind

    def decode(self, body: bytes) -> T:
        """Raises ValueError (msgspec's errors are ValueErrors) when the body doesn't fit, and
        TypeError when ``kind`` is no type msgspec can decode into (a bug, not the wire's)."""
        decoded: T = _decoder(self._kind).decode(body)
        return decoded


@cache
def _decoder(kind: Any) -> Any:
    # msgspec refuses some types with a ValueError (e.g. an int bound past int64): caught as
    # "the body doesn't fit", that would send every reply the lenient way, silently
    try:
        return typed_decoder(kind)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"msgspec can't decode into {kind!r}: {exc}") from exc


def lazy_decoder(kind: Any) -> LazyDecoder[Any]:
    """A :class:`LazyDecoder` for ``kind``."""
    return LazyDecoder(kind)


def decode_json(
    reply: RawReply,
    strict: LazyDecoder[U] | None,
    lenient: Callable[[Any], T | Bad],
    finish: Callable[[U], T | Bad] | None = None,
) -> Result[T, HfError]:
    """Decode a 2xx JSON reply: ``strict`` (then ``finish``, which shapes what the strict type
    gives into the reply value, e.g. unwrapping ``[[...]]``) when it accepts the body, else
    ``lenient`` on the parsed JSON. Total: any bytes give Success or a specific Failure."""
    body = reply.body
    if strict is not None and b'"error"' not in body:
        try:
            got: Any = strict.decode(body)
        except ValueError:
            pass
        else:
            shaped = finish(got) if finish is not None else got
            if not isinstance(shaped, Bad):
                return Success(shaped)
    return decode_leniently(reply, lenient)
