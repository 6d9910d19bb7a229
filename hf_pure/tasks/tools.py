"""Tools as values: functions a chat model may call, described by a JSON schema.

Built with :func:`tool`; sent in a request's ``tools`` (``hf.tools(...)``). A schema that is
not plain JSON (NaN, bytes, a set, an object) is held as ``Unsendable`` and reported by the
request's ``check()`` as ``tools[i].parameters...``, never sent as something else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from hf_pure.core.codec import dumps_canonical, fragment, loads
from hf_pure.core.value import ValueEq
from hf_pure.tasks.options import Unsendable, unsendable_json

Json: TypeAlias = Any


@attrs.frozen(repr=False, eq=False)
class Tool(ValueEq):
    """A function the model may call; ``parameters`` is its JSON schema as canonical JSON."""

    name: str
    description: str = ""
    parameters: bytes | Unsendable = b'{"properties":{},"type":"object"}'
    strict: bool | None = None

    @property
    def schema(self) -> Json:
        """The JSON schema as Python values (None when it couldn't be taken as JSON)."""
        params = self.parameters
        return loads(params) if isinstance(params, bytes) else None

    def to_json(self) -> dict[str, Any]:
        params = self.parameters  # an Unsendable stays: the encoder refuses it (check() first)
        fn: dict[str, Any] = {
            "name": self.name,
            "parameters": fragment(params) if isinstance(params, bytes) else params,
        }
        if self.description:
            fn["description"] = self.description
        if self.strict is not None:
            fn["strict"] = self.strict
        return {"type": "function", "function": fn}


def tool(
    name: str,
    description: str = "",
    parameters: Mapping[str, Any] | None = None,
    *,
    strict: bool | None = None,
) -> Tool:
    """Describe a function the model may call (``parameters``: a JSON schema, as a dict).
    A schema that isn't plain JSON is held as :class:`Unsendable`, for check() to report as
    ``tools[i].parameters...``."""
    if parameters is None:
        return Tool(name=name, description=description, strict=strict)
    schema: bytes | Unsendable
    if isinstance(parameters, Mapping):
        given = dict(parameters)
        schema = unsendable_json(given) or dumps_canonical(given)
    else:
        kind = type(parameters).__name__
        schema = Unsendable(f"must be a JSON schema object (a dict), got {kind}")
    return Tool(name=name, description=description, parameters=schema, strict=strict)
