"""One request value for every hf-inference task (embeddings, NLP, vision, audio), as data.

A task is a :class:`TaskSpec`: its wire name, its route, the table that checks its parameters,
the check of its inputs and the total decoder of its reply. A request is a
:class:`TaskRequest`: a spec, a model, the inputs and the parameters the caller set. The task
modules (:mod:`hf_pure.tasks.embeddings`, :mod:`hf_pure.tasks.nlp`, ...) define a spec and a
builder per task; the runner sends a ``TaskRequest`` like any other request::

    request = hf.summarization("facebook/bart-large-cnn", text, max_length=60)
    match await runner.run(request):
        case Success(summary): ...

On the wire (WIRE.md, "hf-inference tasks"): ``POST {router}/hf-inference/models/{repo id}``
(``.../pipeline/{task}`` for the tasks that need it), a JSON body
``{"inputs": ..., "parameters": {...}}`` (null values omitted; some tasks take options at the
root), or, for binary inputs (images, audio) without parameters, the raw bytes with their
content type; with parameters, the bytes travel base64-encoded as ``"inputs"``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, Generic, TypeVar

import attrs
from returns.result import Result

from hf_pure.core.codec import dumps
from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.http import HttpCall, RawReply, repo_path
from hf_pure.core.value import Value
from hf_pure.tasks.options import (
    Check,
    Options,
    Unsendable,
    check_options,
    freeze,
    freeze_options,
    set_option,
    wire,
)
from hf_pure.tasks.validate import check_repo_id

T = TypeVar("T")

#: The provider that serves the task table on the router (WIRE.md).
HF_INFERENCE: Final = "hf-inference"

#: Names that are never parameters of a task: they are the request itself.
TASK_RESERVED: Mapping[str, str] = MappingProxyType(
    {
        "inputs": "it is the request's input (the builder's argument)",
        "stream": "these tasks don't stream",
    }
)

InputCheck = Callable[[Any, Limits], "InvalidInput | None"]


def _no_input_check(inputs: Any, limits: Limits) -> InvalidInput | None:
    return None


@attrs.frozen(repr=False, eq=False)
class TaskSpec(Value, Generic[T]):
    """What one task is. Specs are module constants, equal only to themselves.

    ``task`` is the wire name (``"summarization"``); ``decode`` the total decoder of a 2xx
    reply; ``checks`` the parameters' check table (unknown names pass through to the server);
    ``check_inputs`` the check of the inputs; ``pipeline`` puts the task in the path
    (``/pipeline/{task}``: feature-extraction and sentence-similarity); ``root`` names the
    options sent at the body's root rather than in ``parameters``; ``parameters`` False sends
    no ``parameters`` object when none are set. ``local`` names options that steer the client
    only (checked by the table like the others, never sent: feature-extraction's ``pooling``);
    ``decode_for``, when set, decodes with the request in view (its inputs and options), for
    tasks whose reply shape depends on what was sent (one text or a batch), instead of
    ``decode``.
    """

    task: str
    decode: Callable[[RawReply], Result[T, HfError]]
    checks: Mapping[str, Check] = MappingProxyType({})
    check_inputs: InputCheck = _no_input_check
    pipeline: bool = False
    root: frozenset[str] = frozenset()
    always_parameters: bool = False
    local: frozenset[str] = frozenset()
    decode_for: Callable[[TaskRequest[T], RawReply], Result[T, HfError]] | None = None

    def __repr__(self) -> str:
        return f"TaskSpec({self.task!r})"


def _freeze_inputs(value: Any) -> Any:
    """Inputs made hashable: bytes and text as they are, lists of text as tuples, other JSON
    as canonical bytes (see :func:`hf_pure.tasks.options.freeze`); what can't be sent is held
    as :class:`Unsendable` for ``check()`` to report."""
    if type(value) is bytes or type(value) is str:
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return freeze(value)


@attrs.frozen(cache_hash=True, repr=False)
class TaskRequest(Value, Generic[T]):
    """A request for one hf-inference task: ``spec`` says which, ``inputs`` what it runs on.

    ``options`` are the parameters set (sorted ``(name, value)`` pairs, frozen), set by the
    builder's keywords, :meth:`with_option` or ``hf.option(name, value)``. ``content_type``
    goes with binary inputs (the builders sniff it from the bytes). ``cacheable`` marks it for
    the reliable runner's cache.
    """

    spec: TaskSpec[T]
    model: str
    inputs: Any = attrs.field(converter=_freeze_inputs)
    options: Options = attrs.field(default=(), converter=freeze_options)
    content_type: str | None = None
    cacheable: bool = False

    @property
    def task(self) -> str:
        """The task's wire name (what task-specific modifiers compare with)."""
        return self.spec.task

    def with_option(self, name: str, value: Any) -> TaskRequest[T]:
        """This request with one parameter set (None removes it); the value is frozen."""
        return attrs.evolve(self, options=set_option(self.options, name, freeze(value)))

    def option(self, name: str) -> Any:
        """The parameter ``name`` as set (None when not set)."""
        for key, value in self.options:
            if key == name:
                return value
        return None

    # -- validation -------------------------------------------------------------------------

    def check(self, limits: Limits) -> InvalidInput | None:
        """The first thing wrong with this request, or None. Never raises."""
        return (
            check_repo_id(self.model, limits)
            or _inputs_problem(self.inputs)
            or self.spec.check_inputs(self.inputs, limits)
            or check_options(self.options, self.spec.checks, limits, TASK_RESERVED)
        )

    # -- wire -------------------------------------------------------------------------------

    def path(self) -> str:
        path = f"/{HF_INFERENCE}/models/{repo_path(self.model)}"
        return f"{path}/pipeline/{self.spec.task}" if self.spec.pipeline else path

    def body(self) -> dict[str, Any]:
        """The JSON body as a dict (binary inputs base64-encoded)."""
        inputs = self.inputs
        out: dict[str, Any] = {
            "inputs": base64.b64encode(inputs).decode("ascii")
            if type(inputs) is bytes
            else wire(inputs)
        }
        root = self.spec.root
        local = self.spec.local
        parameters = {}
        for name, value in self.options:
            if name in local:
                continue
            if name in root:
                out[name] = wire(value)
            else:
                parameters[name] = wire(value)
        if parameters or self.spec.always_parameters:
            out["parameters"] = parameters
        return out

    def to_call(self) -> HttpCall:
        if type(self.inputs) is bytes and not self.options:
            return HttpCall(
                "POST",
                self.path(),
                body=self.inputs,
                content_type=self.content_type or "application/octet-stream",
            )
        return HttpCall(
            "POST", self.path(), body=dumps(self.body()), content_type="application/json"
        )

    def decode(self, reply: RawReply) -> Result[T, HfError]:
        spec = self.spec
        if spec.decode_for is not None:
            return spec.decode_for(self, reply)
        return spec.decode(reply)

    def __repr__(self) -> str:
        shown = f"<{len(self.inputs)} bytes>" if type(self.inputs) is bytes else repr(self.inputs)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return (
            f"TaskRequest(task={self.spec.task!r}, model={self.model!r}, inputs={shown}, "
            f"options={self.options!r})"
        )


def _inputs_problem(inputs: Any) -> InvalidInput | None:
    if type(inputs) is Unsendable:
        return InvalidInput(inputs.at("inputs"), inputs.reason)
    return None


def task_request(
    spec: TaskSpec[T],
    model: str,
    inputs: Any,
    options: Mapping[str, Any] | None = None,
    *,
    content_type: str | None = None,
    cacheable: bool = False,
) -> TaskRequest[T]:
    """A request for ``spec`` (what the task builders call): ``options`` with None values
    left out, so a builder can pass every keyword it takes. A model that isn't a repo id is
    reported by ``check()``, as every other input. ``cacheable`` marks a deterministic task's
    request for the reliable runner's cache (``hf.cacheable(False)`` unmarks it)."""
    return TaskRequest(
        spec=spec,
        model=model,
        inputs=inputs,
        options=options or (),
        content_type=content_type,
        cacheable=cacheable,
    )


__all__ = [
    "HF_INFERENCE",
    "TASK_RESERVED",
    "TaskRequest",
    "TaskSpec",
    "task_request",
]
