"""Structured output, emulated: a deterministic JSON value for a JSON schema, and TGI's
``grammar`` parameter on text generation.

Written from JSON Schema (draft 2020-12) itself, not from the client's schemas: ``$ref``
(local: ``#``, ``#/$defs/...``, any JSON pointer), ``allOf`` / ``anyOf`` / ``oneOf``, ``enum``,
``const``, a ``type`` or a list of types, objects (``properties``, ``required``), arrays
(``items``, ``prefixItems``, ``minItems`` / ``maxItems``, ``uniqueItems``), strings
(``minLength`` / ``maxLength``, the common ``format`` values, base64 ``contentEncoding``;
``pattern`` is not followed), numbers (bounds, open or closed, and ``multipleOf``).

The value is the same for the same schema. Near the top (fewer than ``DEEP`` objects and
arrays deep) every property is
given and an array gets one item (or its ``minItems``), so nested and optional parts are
exercised; deeper, only what is required, the fewest items, and a union's ``null`` branch,
so a recursive schema (a tree of nodes) ends. A schema that can't end (an object that
requires itself) or can't be read (a remote or dangling ``$ref``) is refused as a validation
error, as a server refuses a grammar it can't compile.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from . import _json
from ._answers import Invalid

__all__ = ["check_format", "grammar_schema", "grammar_tokens", "instance_of"]

DEEP = 4
LIMIT = 48
_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
_FORMATS: Mapping[str, Callable[[int], str]] = MappingProxyType(
    {
        "date-time": lambda n: f"2024-01-{1 + n % 28:02d}T12:00:00Z",
        "date": lambda n: f"2024-01-{1 + n % 28:02d}",
        "time": lambda n: f"12:{n % 60:02d}:00",
        "duration": lambda n: f"P{1 + n}D",
        "uuid": lambda n: f"00000000-0000-4000-8000-{n:012x}",
        "email": lambda n: f"emulated{n or ''}@example.com",
        "uri": lambda n: f"https://example.com/emulated/{n}",
        "decimal": lambda n: f"{1 + n}.5",
    }
)


def instance_of(schema: object) -> Any:
    """A JSON value that satisfies ``schema``. Raises Invalid when there is none to give."""
    return _value(schema, schema, 0, 0, "`response_format`")


def check_format(fmt: tuple[str, object]) -> None:
    """Refuse (Invalid) a chat ``response_format`` schema that has no instance to answer."""
    kind, schema = fmt
    if kind == "json_schema" and isinstance(schema, dict):
        instance_of(schema)


def _value(node: object, root: object, depth: int, nth: int, where: str, hops: int = 0) -> Any:
    """``depth``: how deep in the JSON value (each object or array entered); ``nth``: the
    position in the enclosing array; ``hops``: refs followed without entering a value."""
    if depth > LIMIT or hops > LIMIT:
        raise Invalid(f"{where}: the schema has no finite instance (it requires itself)")
    if node is True:
        return _string({}, nth)
    if not isinstance(node, dict):
        raise Invalid(f"{where}: a schema must be an object or true, got {node!r}")
    ref = node.get("$ref")
    if ref is not None:
        return _value(_resolve(root, ref, where), root, depth, nth, where, hops + 1)
    if "const" in node:
        return node["const"]
    enum = node.get("enum")
    if isinstance(enum, list) and enum:
        return enum[nth % len(enum)]
    if isinstance(node.get("allOf"), list):
        return _value(_merged(node, root, where), root, depth, nth, where, hops + 1)
    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if isinstance(branches, list) and branches:
            return _value(_pick(branches, root, depth, where), root, depth, nth, where, hops + 1)
    kind = _kind(node, depth)
    if kind == "object":
        return _object(node, root, depth, where)
    if kind == "array":
        return _array(node, root, depth, where)
    if kind in ("integer", "number"):
        return _number(node, nth, integer=kind == "integer")
    if kind == "boolean":
        return nth % 2 == 0
    if kind == "null":
        return None
    return _string(node, nth)


def _resolve(root: object, ref: object, where: str) -> object:
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise Invalid(f"{where}: only local $ref values are supported, got {ref!r}")
    here = root
    for part in (p for p in ref[1:].split("/") if p):
        step = part.replace("~1", "/").replace("~0", "~")
        if isinstance(here, dict) and step in here:
            here = here[step]
        elif isinstance(here, list) and step.isdigit() and int(step) < len(here):
            here = here[int(step)]
        else:
            raise Invalid(f"{where}: $ref {ref!r} points at nothing in the schema")
    return here


def _merged(node: dict[str, Any], root: object, where: str) -> dict[str, Any]:
    """``allOf`` as one schema: properties joined, required joined, other keywords first-wins."""
    out: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    for given in node["allOf"]:
        part = given
        for _ in range(LIMIT):  # a chain of refs, followed (a loop of them is no schema)
            if not (isinstance(part, dict) and "$ref" in part):
                break
            part = _resolve(root, part["$ref"], where)
        if not isinstance(part, dict) or "$ref" in part:
            continue
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                out["properties"] = {**value, **out.get("properties", {})}
            elif key == "required" and isinstance(value, list):
                out["required"] = list(dict.fromkeys([*out.get("required", []), *value]))
            else:
                out.setdefault(key, value)
    return out


def _is_null(branch: object) -> bool:
    return isinstance(branch, dict) and branch.get("type") == "null"


def _pick(branches: list[Any], root: object, depth: int, where: str) -> object:
    """A union's branch: the first that isn't null near the top, the null one deeper."""
    usable = [b for b in branches if b is not False]
    if not usable:
        raise Invalid(f"{where}: a union with no branch that can hold a value")
    if depth >= DEEP:
        return next((b for b in usable if _is_null(b)), usable[0])
    return next((b for b in usable if not _is_null(b)), usable[0])


def _kind(node: dict[str, Any], depth: int) -> str:
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k in _TYPES]
        if depth >= DEEP and "null" in kinds:
            return "null"
        return next((k for k in kinds if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in node or "required" in node:
        return "object"
    if "items" in node or "prefixItems" in node:
        return "array"
    return "string"


def _object(node: dict[str, Any], root: object, depth: int, where: str) -> dict[str, Any]:
    props = node.get("properties")
    props = props if isinstance(props, dict) else {}
    required = node.get("required")
    required = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
    names = list(props) if depth < DEEP else [p for p in props if p in required]
    names += [r for r in required if r not in props]
    return {
        name: _value(props.get(name, True), root, depth + 1, 0, f"{where}.{name}") for name in names
    }


def _array(node: dict[str, Any], root: object, depth: int, where: str) -> list[Any]:
    prefix = node.get("prefixItems")
    prefix = prefix if isinstance(prefix, list) else []
    items = node.get("items", True)
    low = node.get("minItems")
    high = node.get("maxItems")
    count = len(prefix) if prefix else (1 if depth < DEEP else 0)
    most = len(prefix) if items is False else None
    if type(high) is int:
        most = high if most is None else min(most, high)
    if type(low) is int:
        if most is not None and low > most:
            raise Invalid(f"{where}: no array has at least {low} items and at most {most}")
        count = max(count, low)
    if most is not None:
        count = min(count, most)
    return [
        _value(prefix[i] if i < len(prefix) else items, root, depth + 1, i, f"{where}[{i}]")
        for i in range(count)
    ]


def _string(node: dict[str, Any], nth: int) -> str:
    if node.get("contentEncoding") == "base64":
        return base64.b64encode(f"emulated {nth}".encode()).decode()
    fmt = _FORMATS.get(node.get("format", ""))
    text = fmt(nth) if fmt is not None else ("emulated" if nth == 0 else f"emulated {nth + 1}")
    low, high = node.get("minLength"), node.get("maxLength")
    if type(low) is int and len(text) < low:
        text += "x" * (low - len(text))
    if type(high) is int and len(text) > high:
        text = text[: max(high, 0)]
    return text


def _number(node: dict[str, Any], nth: int, *, integer: bool) -> int | float:
    lo, hi = (
        _bound(node, "minimum", "exclusiveMinimum"),
        _bound(node, "maximum", "exclusiveMaximum"),
    )
    value: float = 1 + nth
    if lo is not None and not _above(value, lo):
        value = (math.floor(lo[0]) + 1 if lo[1] else math.ceil(lo[0])) if integer else lo[0] + 1
    if hi is not None and not _below(value, hi):
        if lo is not None and not integer:
            value = (lo[0] + hi[0]) / 2
        else:
            value = (math.ceil(hi[0]) - 1 if hi[1] else math.floor(hi[0])) if integer else hi[0] - 1
    step = node.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        value = math.ceil(value / step) * step
        if hi is not None and not _below(value, hi):
            value -= step
    return int(value) if integer else float(value)


def _bound(node: dict[str, Any], closed: str, open_: str) -> tuple[float, bool] | None:
    exclusive = node.get(open_)
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        return float(exclusive), True
    inclusive = node.get(closed)
    if isinstance(inclusive, int | float) and not isinstance(inclusive, bool):
        return float(inclusive), False
    return None


def _above(value: float, bound: tuple[float, bool]) -> bool:
    return value > bound[0] if bound[1] else value >= bound[0]


def _below(value: float, bound: tuple[float, bool]) -> bool:
    return value < bound[0] if bound[1] else value <= bound[0]


# ------------------------------------------------------------------ TGI's grammar parameter


def grammar_schema(params: dict[str, object]) -> dict[str, Any] | None:
    """The JSON schema of TGI's ``parameters.grammar`` (``{"type": "json", "value": schema}``,
    the schema as an object or as JSON text), None when there is none. Raises Invalid."""
    grammar = params.get("grammar")
    if grammar is None:
        return None
    if not isinstance(grammar, dict):
        raise Invalid('`grammar` must be an object such as {"type": "json", "value": ...}')
    kind = grammar.get("type")
    if kind not in ("json", "json_object", "regex"):
        raise Invalid(f"`grammar.type`: unknown variant {kind!r}, expected `json` or `regex`")
    if "value" not in grammar:
        raise Invalid("`grammar`: missing field `value`")
    if kind == "regex":
        raise Invalid("`grammar`: regex grammars are not emulated")
    value = grammar["value"]
    if isinstance(value, str):
        try:
            value = _json.loads(value)
        except _json.JSONDecodeError:
            raise Invalid(
                "`grammar.value`: Grammar must be a valid JSON object or string"
            ) from None
    if not isinstance(value, dict):
        raise Invalid("`grammar.value`: Grammar must be a valid JSON object or string")
    instance_of(value)  # refuse, before answering, a schema with no instance
    return value


def grammar_tokens(
    schema: dict[str, Any], max_new: int, stops: tuple[str, ...], id_offset: int
) -> tuple[list[dict[str, object]], str, str]:
    """TGI's tokens for an answer that follows ``schema``: the JSON text in pieces, cut at
    ``max_new`` tokens (finish ``length``: the JSON is then incomplete, as TGI's would be) or
    at a stop sequence; with the generated text and the finish reason."""
    text = _json.dumps(instance_of(schema)).decode()
    pieces = _split(text)
    tokens: list[dict[str, object]] = []
    generated = ""
    finish = "eos_token"
    for i, piece in enumerate(pieces):
        if i == max_new:
            finish = "length"
            break
        generated += piece
        tokens.append({"id": id_offset + i, "text": piece, "logprob": -0.25, "special": False})
        if stops and any(s in generated for s in stops):
            finish = "stop_sequence"
            break
    return tokens, generated, finish


def _split(text: str) -> list[str]:
    """Compact JSON in token-sized pieces: after each ``,`` ``:`` ``{`` ``[``."""
    pieces: list[str] = []
    start = 0
    in_string = False
    escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in ",:{[":
            pieces.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces
