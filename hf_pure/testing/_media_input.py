"""How the emulated vision and audio requests arrive, and the derived values their answers
are made of.

Binary inputs arrive as the raw body (an image or audio file, sniffed here from its magic
bytes) or, with parameters, as JSON ``{"inputs": "<base64>", "parameters": {...}}``
(WIRE.md). Answers are derived from a hash of the input bytes (:func:`digest`, :func:`unit`,
:func:`scored`), so they are deterministic and differ between inputs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from . import _json as orjson
from ._answers import Invalid, JsonAnswer, error, validation_error
from ._media_bytes import media_type

__all__ = [
    "Received",
    "digest",
    "function_to_apply",
    "json_reply",
    "read_input",
    "read_text_input",
    "scored",
    "top_k",
    "unit",
]


class Received:
    """A request's input: the bytes and their sniffed type (or the text, for text-to-speech),
    its parameters, and whether it came as JSON."""

    __slots__ = ("data", "kind", "parameters", "text", "was_json")

    def __init__(
        self,
        *,
        data: bytes,
        kind: str | None,
        parameters: dict[str, object],
        was_json: bool,
        text: str | None = None,
    ) -> None:
        self.data = data
        self.kind = kind
        self.parameters = parameters
        self.was_json = was_json
        self.text = text


def read_input(body: bytes, family: str) -> Received | JsonAnswer:
    """The input of a vision (``family="image"``) or audio request, or the 400 the service
    gives for a body that is neither a file of that family nor JSON carrying one."""
    found = media_type(body)
    if found is not None:
        if not found.startswith(family + "/"):
            return error(400, f"Invalid {family}: got {found}")
        return Received(data=body, kind=found, parameters={}, was_json=False)
    if not body:
        return error(400, f"No {family} was sent (an empty body)")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        what = "image file" if family == "image" else "soundfile"
        return error(400, f"Malformed {what}: cannot identify the format of the body")
    if not isinstance(data, dict):
        return error(400, "Invalid JSON body: expected a JSON object")
    inputs = data.get("inputs")
    if not isinstance(inputs, str):
        return validation_error(f"`inputs` must be a base64-encoded {family}")
    try:
        raw = base64.b64decode(inputs, validate=True)
    except (binascii.Error, ValueError):
        return validation_error("`inputs` is not valid base64")
    found = media_type(raw)
    if found is None or not found.startswith(family + "/"):
        return error(400, f"Invalid {family}: the decoded inputs are {found or 'unrecognised'}")
    parameters = data.get("parameters")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        return validation_error("`parameters` must be an object")
    return Received(data=raw, kind=found, parameters=parameters, was_json=True)


def read_text_input(body: bytes) -> Received | JsonAnswer:
    """A text-to-speech request: JSON ``{"inputs": text, "parameters": {...}}``."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return error(400, f"Invalid JSON body: {exc}")
    if not isinstance(data, dict):
        return error(400, "Invalid JSON body: expected a JSON object")
    inputs = data.get("inputs")
    if not isinstance(inputs, str) or not inputs.strip():
        return validation_error("`inputs` must be a non-empty string")
    parameters = data.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        return validation_error("`parameters` must be an object")
    return Received(
        data=inputs.encode(), kind=None, parameters=parameters or {}, was_json=True, text=inputs
    )


# --------------------------------------------------------------------------- derived values


def digest(data: bytes, *salt: str) -> bytes:
    """A SHA-256 of ``data`` and the salt: where every derived answer comes from."""
    h = hashlib.sha256(data)
    for s in salt:
        h.update(b"\x00" + s.encode())
    return h.digest()


def unit(data: bytes, *salt: str) -> float:
    """A number in [0, 1) derived from ``data`` and the salt."""
    return int.from_bytes(digest(data, *salt)[:6], "big") / float(1 << 48)


def scored(data: bytes, labels: tuple[str, ...] | list[str]) -> list[dict[str, object]]:
    """``[{"label", "score"}]`` over ``labels``: scores derived from the bytes, summing to 1
    (a softmax), best first."""
    weights = [2.718281828 ** (4.0 * unit(data, label)) for label in labels]
    total = sum(weights) or 1.0
    pairs = sorted(
        ((round(w / total, 6), label) for w, label in zip(weights, labels, strict=True)),
        key=lambda p: (-p[0], p[1]),
    )
    return [{"label": label, "score": score} for score, label in pairs]


def top_k(parameters: dict[str, object], default: int) -> int:
    value = parameters.get("top_k")
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid("`top_k` must be a positive integer")
    return value


def function_to_apply(parameters: dict[str, object]) -> None:
    value = parameters.get("function_to_apply")
    if value is not None and value not in ("sigmoid", "softmax", "none"):
        raise Invalid("`function_to_apply` must be one of sigmoid, softmax, none")


def json_reply(value: object) -> JsonAnswer:
    return JsonAnswer(200, orjson.dumps(value))
