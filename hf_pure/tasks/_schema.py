"""msgspec's JSON schema of a class, shaped into what the providers accept (pure).

msgspec writes the schema of an attrs class, a Struct or a dataclass as a ``$ref`` to ``$defs``
holding every class it met. OpenAI wants an object at the root, and several servers (older
TGI grammars, some providers' strict modes) refuse ``$ref``: so :func:`shape` puts the root
class at the root and inlines every class, keeping ``$defs`` only for classes that contain
themselves (a tree of nodes can't be inlined). Then:

- an ``enum`` gets the ``type`` its values share (msgspec writes enums and ``Literal`` without
  one, and OpenAI's strict mode wants a type on every schema);
- a fixed tuple's ``"items": false`` is dropped: ``maxItems`` already says there is nothing
  after the ``prefixItems``, and some grammar compilers don't take a boolean schema;
- ``strict``: OpenAI's strict mode, as openai-python's ``to_strict_json_schema`` makes it
  for pydantic: every object ``"additionalProperties": false`` with every property required
  (a field with a default must then be answered; an Optional one may be ``null``), a
  ``"default": null`` dropped; what strict mode can't hold (a dict with free keys, a value
  of any type, an array at the root) is a TypeError naming the field.

The other keywords (``format``, ``pattern``, bounds, ``uniqueItems``, ``description``) are
passed as msgspec writes them; a provider may ignore some.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

#: Keywords whose value is one schema, a list of schemas, or a mapping of name to schema:
#: the only places a walk goes down (``default``, ``enum`` and ``const`` hold data).
_ONE: Final = ("items", "additionalProperties", "not")
_LISTS: Final = ("prefixItems", "anyOf", "oneOf", "allOf")
_MAPS: Final = ("properties",)
_TYPE_OF: Final = MappingProxyType(
    {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
)
_TYPED: Final = frozenset({"type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "not"})
_DEFS_PREFIX: Final = "#/$defs/"


def shape(raw: Mapping[str, Any], name: str, *, strict: bool) -> dict[str, Any]:
    """The schema msgspec gave for class ``name``, root inlined, refs inlined where they can
    be, and (``strict``) in OpenAI's strict form. Raises TypeError (naming the field) for
    what strict mode can't hold."""
    defs: Mapping[str, Any] = raw.get("$defs") or {}
    looped = _on_cycles(defs)
    kept: dict[str, Any] = {}
    root_ref = raw.get("$ref")
    if isinstance(root_ref, str) and root_ref.startswith(_DEFS_PREFIX):
        top = root_ref[len(_DEFS_PREFIX) :]
        root = _inline(defs[top], defs, looped, kept)
    else:  # not a class (msgspec writes classes as refs): shaped as it is
        root = _inline({k: v for k, v in raw.items() if k != "$defs"}, defs, looped, kept)
    if strict and root.get("type") != "object":
        raise TypeError(
            f"{name} is answered as JSON {root.get('type', 'of no fixed type')}: "
            "OpenAI's strict mode wants an object at the root (use strict=False)"
        )
    out: dict[str, Any] = _finish(root, strict, name)
    if kept:
        out["$defs"] = {
            def_name: _finish(body, strict, str(body.get("title", def_name)))
            for def_name, body in sorted(kept.items())
        }
    return out


def _refs(node: Any, found: set[str]) -> set[str]:
    """The ``$defs`` names referenced anywhere under ``node``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
            found.add(ref[len(_DEFS_PREFIX) :])
        for key in _ONE:
            _refs(node.get(key), found)
        for key in _LISTS:
            for item in node.get(key) or ():
                _refs(item, found)
        for key in _MAPS:
            for item in (node.get(key) or {}).values():
                _refs(item, found)
    return found


def _on_cycles(defs: Mapping[str, Any]) -> frozenset[str]:
    """The classes that reach themselves through their fields (they can't be inlined)."""
    edges = {name: _refs(body, set()) for name, body in defs.items()}
    looped = set()
    for start, first in edges.items():
        seen: set[str] = set()
        todo = list(first)
        while todo:
            here = todo.pop()
            if here == start:
                looped.add(start)
                break
            if here not in seen:
                seen.add(here)
                todo.extend(edges.get(here, ()))
    return frozenset(looped)


def _inline(
    node: Any, defs: Mapping[str, Any], looped: frozenset[str], kept: dict[str, Any]
) -> Any:
    """``node`` with every ``$ref`` to a class not on a cycle replaced by the class's schema
    (the ref's siblings, e.g. a field's ``default``, win); refs to classes on a cycle stay and
    their schemas go to ``kept``."""
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
        target = ref[len(_DEFS_PREFIX) :]
        if target in looped:
            if target not in kept:
                kept[target] = {}  # claimed first: its own refs to itself stop here
                kept[target] = _inline(defs[target], defs, looped, kept)
            return dict(node)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**_inline(defs[target], defs, looped, kept), **siblings}
    out = dict(node)
    for key in _ONE:
        if key in out:
            out[key] = _inline(out[key], defs, looped, kept)
    for key in _LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_inline(item, defs, looped, kept) for item in out[key]]
    for key in _MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {k: _inline(v, defs, looped, kept) for k, v in out[key].items()}
    return out


def _finish(node: Any, strict: bool, where: str) -> Any:
    """The per-node rules (enum types, fixed tuples, strict mode), all the way down.
    ``where`` names the node for errors: ``Class.field``, ``[]`` for an item."""
    if not isinstance(node, dict):
        return node
    out = dict(node)
    enum = out.get("enum")
    if isinstance(enum, list) and enum and "type" not in out:
        kinds = list(dict.fromkeys(_TYPE_OF.get(type(v), "string") for v in enum))
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    if out.get("items") is False and "prefixItems" in out and "maxItems" in out:
        del out["items"]
    owner = str(out.get("title", where.partition(".")[0] or where))
    if strict:
        _strict(out, where)
    for key in _ONE:
        if key in out:
            out[key] = _finish(out[key], strict, f"{where}[]" if key == "items" else where)
    for key in _LISTS:
        if isinstance(out.get(key), list):
            out[key] = [
                _finish(item, strict, f"{where}[{i}]" if key == "prefixItems" else where)
                for i, item in enumerate(out[key])
            ]
    if isinstance(out.get("properties"), dict):
        out["properties"] = {
            field: _finish(item, strict, f"{owner}.{field}")
            for field, item in out["properties"].items()
        }
    return out


def _strict(out: dict[str, Any], where: str) -> None:
    """OpenAI's strict rules on one node, in place."""
    if not (_TYPED & out.keys()):
        raise TypeError(
            f"{where} may hold a value of any type: OpenAI's strict mode wants a type for "
            "every value (give it one, or use strict=False)"
        )
    if "default" in out and (out["default"] is None or "$ref" in out):
        del out["default"]  # no meaning in strict mode; beside a $ref, refused
    kinds = out.get("type")
    if kinds == "object" or (isinstance(kinds, list) and "object" in kinds):
        extra = out.get("additionalProperties", False)
        if extra is not False:
            raise TypeError(
                f"{where} is a mapping with free keys: OpenAI's strict mode allows only "
                "objects with fixed fields (use a class, or strict=False)"
            )
        properties = out.get("properties") or {}
        out["properties"] = properties
        out["required"] = list(properties)
        out["additionalProperties"] = False
