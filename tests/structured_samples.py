"""Classes for the structured-output tests (attrs, msgspec Structs, a dataclass), hypothesis
strategies for their instances, and a small JSON Schema checker written from the spec
(draft 2020-12, the keywords these schemas use), so that what the schemas accept is judged
by neither msgspec nor the emulator."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Annotated, Any, Literal

import attrs
import msgspec
from hypothesis import strategies as st


@attrs.frozen
class Point:
    x: int
    y: float = 0.0


@attrs.frozen
class Segment:
    """Two points."""

    start: Point
    end: Point


class Size(enum.Enum):
    LARGE = "large"
    SMALL = "small"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Item(msgspec.Struct, frozen=True):
    name: str
    qty: Annotated[int, msgspec.Meta(ge=1, description="how many")]


class Order(msgspec.Struct, frozen=True):
    """An order."""

    items: list[Item]
    size: Size
    status: Literal["new", "paid"]
    note: str | None = None
    at: tuple[float, float] = (0.0, 0.0)
    tags: tuple[str, ...] = ()


@attrs.frozen
class Ticket:
    title: str
    priority: Priority
    code: Literal[1, "a"]
    done: bool = False
    order: Order | None = None


@dataclasses.dataclass(frozen=True)
class Reading:
    sensor: str
    values: list[int] = dataclasses.field(default_factory=list)


class Node(msgspec.Struct, frozen=True):
    value: int
    children: tuple[Node, ...] = ()


class Tree(msgspec.Struct, frozen=True):
    root: Node
    name: str = "tree"


CLASSES: tuple[type, ...] = (Point, Segment, Order, Ticket, Reading, Node, Tree)

# ------------------------------------------------------------------ instances

INT64 = st.integers(-(2**63), 2**63 - 1)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
TEXT = st.text(max_size=20)

POINTS = st.builds(Point, x=INT64, y=FLOATS)
ITEMS = st.builds(Item, name=TEXT, qty=st.integers(1, 2**63 - 1))
ORDERS = st.builds(
    Order,
    items=st.lists(ITEMS, max_size=3),
    size=st.sampled_from(Size),
    status=st.sampled_from(["new", "paid"]),
    note=st.none() | TEXT,
    at=st.tuples(FLOATS, FLOATS),
    tags=st.lists(TEXT, max_size=3).map(tuple),
)
NODES = st.recursive(
    st.builds(Node, value=INT64),
    lambda kids: st.builds(Node, value=INT64, children=st.lists(kids, max_size=3).map(tuple)),
    max_leaves=8,
)
INSTANCES: Any = st.one_of(
    POINTS,
    st.builds(Segment, start=POINTS, end=POINTS),
    ORDERS,
    st.builds(
        Ticket,
        title=TEXT,
        priority=st.sampled_from(Priority),
        code=st.sampled_from([1, "a"]),
        done=st.booleans(),
        order=st.none() | ORDERS,
    ),
    st.builds(Reading, sensor=TEXT, values=st.lists(INT64, max_size=4)),
    NODES,
    st.builds(Tree, root=NODES, name=TEXT),
)

# ------------------------------------------------------------------ JSON Schema, from the spec

_JSON_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _resolve(root: Any, ref: str) -> Any:
    assert ref.startswith("#"), ref
    here = root
    for part in (p for p in ref[1:].split("/") if p):
        here = here[part.replace("~1", "/").replace("~0", "~")]
    return here


def conforms(value: Any, schema: Any, root: Any = None) -> bool:
    """Whether the JSON ``value`` is valid against ``schema`` (``root`` resolves ``$ref``)."""
    root = schema if root is None else root
    if schema is True or schema == {}:
        return True
    if schema is False:
        return False
    if "$ref" in schema and not conforms(value, _resolve(root, schema["$ref"]), root):
        return False
    if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
        return False
    if "const" in schema and not _same(value, schema["const"]):
        return False
    if "anyOf" in schema and not any(conforms(value, s, root) for s in schema["anyOf"]):
        return False
    if "allOf" in schema and not all(conforms(value, s, root) for s in schema["allOf"]):
        return False
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(_JSON_TYPES[k](value) for k in kinds):
            return False
    if isinstance(value, dict):
        return _object_ok(value, schema, root)
    if isinstance(value, list):
        return _array_ok(value, schema, root)
    if isinstance(value, str):
        return bool(schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_ok(value, schema)
    return True


def _same(a: Any, b: Any) -> bool:
    return (type(a) is type(b) and a == b) or (
        isinstance(a, int | float) and isinstance(b, int | float) and a == b
    )


def _object_ok(value: dict[str, Any], schema: dict[str, Any], root: Any) -> bool:
    props = schema.get("properties", {})
    if any(name not in value for name in schema.get("required", [])):
        return False
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        sub = props.get(name, extra)
        if not conforms(item, sub, root):
            return False
    return True


def _array_ok(value: list[Any], schema: dict[str, Any], root: Any) -> bool:
    if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
        return False
    prefix = schema.get("prefixItems", [])
    items = schema.get("items", True)
    for i, item in enumerate(value):
        sub = prefix[i] if i < len(prefix) else items
        if not conforms(item, sub, root):
            return False
    if schema.get("uniqueItems"):
        seen = [msgspec.json.encode(v) for v in value]
        if len(set(seen)) != len(seen):
            return False
    return True


def _number_ok(value: float, schema: dict[str, Any]) -> bool:
    checks: tuple[tuple[str, Callable[[float], bool]], ...] = (
        ("minimum", lambda b: value >= b),
        ("maximum", lambda b: value <= b),
        ("exclusiveMinimum", lambda b: value > b),
        ("exclusiveMaximum", lambda b: value < b),
        ("multipleOf", lambda b: (value / b).is_integer()),
    )
    return all(ok(schema[key]) for key, ok in checks if key in schema)


def obeys_strict(schema: dict[str, Any]) -> list[str]:
    """What breaks OpenAI's strict-mode rules (empty when nothing): the root is an object;
    every object has ``additionalProperties: false`` and requires every property; every value
    has a type (or enum, const, anyOf, $ref); a ``$ref`` stands alone; refs are local."""
    broken: list[str] = []
    if schema.get("type") != "object" or "$ref" in schema or "anyOf" in schema:
        broken.append("root: not an object")

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        if not ({"type", "enum", "const", "anyOf", "$ref"} & node.keys()):
            broken.append(f"{where}: no type")
        if "$ref" in node:
            if set(node) != {"$ref"}:
                broken.append(f"{where}: $ref with siblings")
            if not str(node["$ref"]).startswith("#/$defs/"):
                broken.append(f"{where}: ref outside $defs")
        if node.get("type") == "object":
            if node.get("additionalProperties") is not False:
                broken.append(f"{where}: additionalProperties is not false")
            if node.get("required") != list(node.get("properties", {})):
                broken.append(f"{where}: not every property is required")
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{where}.{name}")
        walk(node.get("items"), f"{where}[]")
        for i, sub in enumerate(node.get("prefixItems", [])):
            walk(sub, f"{where}[{i}]")
        for i, sub in enumerate(node.get("anyOf", [])):
            walk(sub, f"{where}|{i}")
        for name, sub in node.get("$defs", {}).items():
            walk(sub, f"$defs.{name}")

    walk(schema, "")
    return broken


def refs_in(node: Any) -> list[str]:
    """Every ``$ref`` value anywhere in a JSON value."""
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in refs_in(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs_in(v)]
    return []
