"""How a whole reply is decoded, for every task: strictly and straight into frozen Structs when
the body has the documented shape, through the total readers of :mod:`hf_pure.tasks._read`
when it doesn't.

The strict path is one typed msgspec decode (in C, about what parsing the body to dicts alone
costs). It accepts only a subset of what the readers accept, and gives the same value for it
(each task's tests hold the two paths equal on generated replies), so which path a body took
never changes the answer. A body it refuses (a provider quirk: content as an array of parts,
``null`` for a field with a default, a tool call's arguments as an object...) is parsed again
and read by the total readers, which either build the same Structs or name the field that is
wrong (``MalformedResponse``); an ``{"error": ...}`` object in a 2xx body is that error.

The bounded types below keep the strict path inside the readers' rules: integers within 64 bits
(msgspec bounds only int64; TGI's unsigned seeds are checked after the decode), numbers read as
floats finite and well inside what the readers accept.

Loaded with the first reply, so that ``import hf_pure`` pays neither for msgspec nor for these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, TypeVar

import msgspec
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, loads
from hf_pure.core.http import RawReply
from hf_pure.tasks._read import INT_MAX, INT_MIN, Bad

if TYPE_CHECKING:
    from hf_pure.core.errors import HfError

T = TypeVar("T")

#: An integer of the strict path: int64 (the readers also take uint64: those go the slow way).
Int: TypeAlias = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
#: A number read as a float: finite, and small enough that the readers take it too (they take
#: integers up to 2**1000; a float from a bigger integer would be refused there).
Float: TypeAlias = Annotated[float, msgspec.Meta(ge=-1e300, le=1e300)]


def in_int_range(value: int | None) -> bool:
    """True when an unbounded integer of the strict path (a TGI seed) is one the readers take."""
    return value is None or INT_MIN <= value <= INT_MAX


def is_error_object(obj: Any) -> bool:
    """An ``{"error": ...}`` object: a failure reported in a 2xx body."""
    return type(obj) is dict and "error" in obj


def decode_leniently(
    reply: RawReply,
    read: Callable[[Any], T | Bad],
    is_error: Callable[[Any], bool] = is_error_object,
) -> Result[T, HfError]:
    """The slow path: parse the body, map an error object to its error, read the rest with a
    total reader. Total: any body gives Success or a specific Failure."""
    from hf_pure.core.failures import error_from_event, malformed  # loads with the first error

    try:
        obj = loads(reply.body)
    except JSONDecodeError:
        return Failure(malformed(reply, "the body is not valid JSON"))
    if is_error(obj):
        return Failure(error_from_event(obj, reply.request_id))
    parsed = read(obj)
    if isinstance(parsed, Bad):
        return Failure(malformed(reply, parsed.message))
    return Success(parsed)


def decode_strictly(
    reply: RawReply,
    strict: Callable[[bytes], T | None],
    read: Callable[[Any], T | Bad],
    is_error: Callable[[Any], bool] = is_error_object,
) -> Result[T, HfError]:
    """A reply through ``strict`` (the typed decode and any check after it: the value, or None
    when it refuses the body), else through :func:`decode_leniently`. The shape of every
    task's decoder; chat and text generation write it out, as their hot path.

    ``strict`` must refuse what ``is_error`` calls an error (a required field that an error
    object lacks does it, or a reply that is an array), since it is asked first."""
    value = strict(reply.body)
    if value is not None:
        return Success(value)
    return decode_leniently(reply, read, is_error)
