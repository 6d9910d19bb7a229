"""What the vision and audio tasks share: the parameter checks (``top_k``,
``function_to_apply``, thresholds) and the total readers of their replies (label lists, base64
blobs). Private: :mod:`hf_pure.tasks.vision` and :mod:`hf_pure.tasks.audio` use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, Literal, TypeAlias, TypeVar

import msgspec
from returns.result import Result

from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.http import RawReply
from hf_pure.tasks._decode import LazyDecoder, decode_json
from hf_pure.tasks._read import Bad, fields, kind_of, need_object, number, path_of, text
from hf_pure.tasks.inference import TaskRequest, TaskSpec, task_request
from hf_pure.tasks.media import MediaInput, decode_base64, media_input
from hf_pure.tasks.validate import check_float, check_int

L = TypeVar("L")

#: A float as the readers take it: the typed path refuses what :func:`number` would (an
#: integer beyond 2**1000), so it can't accept a reply the fallback calls malformed.
Number: TypeAlias = Annotated[float, msgspec.Meta(ge=-(2.0**1000), le=2.0**1000)]

FUNCTIONS: Final = ("sigmoid", "softmax", "none")


def check_top_k(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    return check_int(name, value, 1)


def check_function(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    if value in FUNCTIONS and type(value) is str:
        return None
    return InvalidInput(name, f"must be one of {', '.join(FUNCTIONS)}, got {value!r}")


def check_unit(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    """A threshold in [0, 1]."""
    return check_float(name, value, 0.0, 1.0)


def check_positive_int(name: str, value: Any, limits: Limits) -> InvalidInput | None:
    return check_int(name, value, 1)


def check_one_of(*allowed: str) -> Callable[[str, Any, Limits], InvalidInput | None]:
    """A check that the value is one of ``allowed`` (strings)."""

    def check(name: str, value: Any, limits: Limits) -> InvalidInput | None:
        if type(value) is str and value in allowed:
            return None
        return InvalidInput(name, f"must be one of {', '.join(allowed)}, got {value!r}")

    return check


# --------------------------------------------------------------------------- readers


def read_label_list(obj: Any, make: Callable[[str, float], L]) -> tuple[L, ...] | Bad:
    """``[{"label", "score"}, ...]``, or the same nested once (``[[...]]``, one input's
    labels, as a pipeline given a list answers), as values made by ``make(label, score)``."""
    at = ""
    if type(obj) is list and len(obj) == 1 and type(obj[0]) is list:
        obj, at = obj[0], "[0]"
    if type(obj) is not list:
        return Bad(at, f"expected an array of labels, got {kind_of(obj)}")
    out = []
    for i, item in enumerate(obj):
        path = f"{at}[{i}]"
        found = need_object(item, path)
        if isinstance(found, Bad):
            return found
        got = fields(found, path, (("label", text), ("score", number)))
        if isinstance(got, Bad):
            return got
        label, score = got
        out.append(make(label or "", 0.0 if score is None else score))
    return tuple(out)


def decode_labels(
    reply: RawReply, strict: LazyDecoder[list[L]], make: Callable[[str, float], L]
) -> Result[tuple[L, ...], HfError]:
    """A ``[{"label", "score"}]`` reply (or nested once) as ``make(label, score)`` values, in
    the server's order: ``strict`` (``lazy_decoder(list[Label])``) first, the readers after."""
    return decode_json(reply, strict, lambda obj: read_label_list(obj, make), tuple)


def blob(value: Any, at: str, key: str | int) -> bytes | Bad | None:
    """A base64 string as its bytes (None when missing or null)."""
    if value is None:
        return None
    if type(value) is not str:
        return Bad(path_of(at, key), f"expected base64 text, got {kind_of(value)}")
    data = decode_base64(value)
    if data is None:
        return Bad(path_of(at, key), "is not valid base64")
    return data


def each_object(
    obj: Any, what: str, read: Callable[[dict[str, Any], str], L | Bad]
) -> tuple[L, ...] | Bad:
    """``read(item, path)`` for each object of a top-level array of ``what``."""
    if type(obj) is not list:
        return Bad("", f"expected an array of {what}, got {kind_of(obj)}")
    out = []
    for i, item in enumerate(obj):
        path = f"[{i}]"
        found = need_object(item, path)
        if isinstance(found, Bad):
            return found
        got = read(found, path)
        if isinstance(got, Bad):
            return got
        out.append(got)
    return tuple(out)


def media_request(
    spec: TaskSpec[Any],
    model: str,
    media: MediaInput,
    family: Literal["image", "audio"],
    options: dict[str, Any],
    content_type: str | None,
) -> TaskRequest[Any]:
    """A vision or audio task's request: the media read (bytes, base64 or a data URL) and its
    content type sniffed for ``family`` (what can't be sent is held for ``check()``)."""
    data, kind = media_input(media, family, content_type)
    return task_request(spec, model, data, options, content_type=kind)
