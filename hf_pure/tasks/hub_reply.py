"""The Hub's answers about models as values: :class:`ModelInfo` (with the providers that serve
the model), :class:`ModelPage` (one page of a listing), and their total decoders.

Both decode straight from the bytes into frozen msgspec Structs shaped like the wire; a reply
the typed decode refuses is read again by the total readers of :mod:`hf_pure.tasks._read`,
which accept the same values (and a few more, such as counts beyond int64) and otherwise name
the field that was wrong (``[3].inferenceProviderMapping[0].provider: expected text, got a
number``).

``inferenceProviderMapping`` comes in two forms (WIRE.md, recorded): a dict ``{provider:
{"providerId", "status", "task"}}`` on model info, a list ``[{"provider", "providerId",
"status", "task"}]`` on listings. Both are read into one tuple of :class:`ModelProvider`.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any, Final, TypeAlias

import msgspec
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, loads, typed_decoder
from hf_pure.core.errors import HfError
from hf_pure.core.failures import error_from_event, malformed
from hf_pure.core.http import RawReply
from hf_pure.core.links import next_link
from hf_pure.tasks._read import (
    Bad,
    Spec,
    array,
    fields,
    flag,
    integer,
    kind_of,
    need_object,
    path_of,
    text,
)

Count: TypeAlias = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]

# ------------------------------------------------------------------------- the values


class ModelProvider(msgspec.Struct, frozen=True, kw_only=True):
    """One inference provider serving a model: its name, its own id for the model, the task it
    serves it for (``conversational``, ``feature-extraction``...) and its status (``live`` or
    ``staging``)."""

    provider: str
    provider_id: str | None = msgspec.field(default=None, name="providerId")
    task: str | None = None
    status: str | None = None

    @property
    def live(self) -> bool:
        return self.status == "live"


class ModelInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What the Hub says about a model. ``gated`` is False or the approval mode (``"auto"``,
    ``"manual"``); ``inference`` is ``"warm"`` when a provider serves it; ``providers`` are
    read from ``inferenceProviderMapping`` (empty when it was not asked for or is empty).
    ``renamed_from`` is the id that was asked for when the Hub answered for another one (a
    renamed model: the Hub redirects ``bert-base-uncased`` to ``google-bert/bert-base-uncased``).
    """

    id: str
    pipeline_tag: str | None = None
    tags: tuple[str, ...] = ()
    downloads: int = 0
    likes: int = 0
    private: bool = False
    gated: bool | str = False
    library_name: str | None = None
    inference: str | None = None
    providers: tuple[ModelProvider, ...] = ()
    renamed_from: str | None = None

    @property
    def warm(self) -> bool:
        """True when the Hub says inference is warm (some provider serves the model now)."""
        return self.inference == "warm"

    @property
    def author(self) -> str | None:
        return self.id.partition("/")[0] if "/" in self.id else None

    @property
    def live_providers(self) -> tuple[str, ...]:
        """The names of the providers whose mapping is live, in the Hub's order."""
        return tuple(p.provider for p in self.providers if p.live)

    def provider(self, name: str) -> ModelProvider | None:
        """The mapping of provider ``name``, or None."""
        return next((p for p in self.providers if p.provider == name), None)

    def providers_for(self, task: str) -> tuple[ModelProvider, ...]:
        """The live mappings serving ``task`` (``chat`` is read as ``conversational``)."""
        wanted = "conversational" if task == "chat" else task
        return tuple(p for p in self.providers if p.live and p.task == wanted)


class ModelPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a model listing, and where the next one is (the ``Link: rel="next"``
    target as the Hub wrote it; None on the last page)."""

    models: tuple[ModelInfo, ...] = ()
    next_url: str | None = None

    def __len__(self) -> int:
        return len(self.models)


# ------------------------------------------------------------------------- the wire shapes
# Shaped like the JSON; converted to the values above (a dict can't go in a frozen, hashable
# value). Unknown fields are ignored, as the readers ignore them.


class _WireProvider(msgspec.Struct):
    provider: str | None = None
    providerId: str | None = None  # the wire's name
    task: str | None = None
    status: str | None = None


# The list form decodes straight into the values (a listing of 1000 models costs half of
# json.loads then); the dict form, keyed by provider, is converted.
_Mapping: TypeAlias = dict[str, _WireProvider] | tuple[ModelProvider, ...] | None


class _WireInfo(msgspec.Struct):
    id: str
    pipeline_tag: str | None = None
    tags: tuple[str, ...] | None = None
    downloads: Count | None = None
    likes: Count | None = None
    private: bool | None = None
    gated: bool | str | None = None
    library_name: str | None = None
    inference: str | None = None
    mapping: _Mapping = msgspec.field(default=None, name="inferenceProviderMapping")


_INFO_DECODER: Final = typed_decoder(_WireInfo)
_LIST_DECODER: Final = typed_decoder(tuple[_WireInfo, ...])
_MAPPING_KEY: Final = "inferenceProviderMapping"


def _providers_of(mapping: _Mapping) -> tuple[ModelProvider, ...]:
    if mapping is None:
        return ()
    if isinstance(mapping, dict):
        return tuple(
            ModelProvider(
                provider=name, provider_id=entry.providerId, task=entry.task, status=entry.status
            )
            for name, entry in mapping.items()
        )
    return mapping


def _from_wire(wire: _WireInfo) -> ModelInfo:
    return ModelInfo(
        id=wire.id,
        pipeline_tag=wire.pipeline_tag,
        tags=wire.tags or (),
        downloads=wire.downloads or 0,
        likes=wire.likes or 0,
        private=wire.private is True,
        gated=False if wire.gated is None else wire.gated,
        library_name=wire.library_name,
        inference=wire.inference,
        providers=_providers_of(wire.mapping),
    )


# ------------------------------------------------------------------------- the total fallback

_INFO_FIELDS: Spec = (
    ("id", text),
    ("pipeline_tag", text),
    ("tags", array),
    ("downloads", integer),
    ("likes", integer),
    ("private", flag),
    ("library_name", text),
    ("inference", text),
)
_PROVIDER_FIELDS: Spec = (
    ("provider", text),
    ("providerId", text),
    ("task", text),
    ("status", text),
)


def _provider(item: Any, at: str, name: str | None) -> ModelProvider | Bad:
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, _PROVIDER_FIELDS)
    if isinstance(got, Bad):
        return got
    listed, provider_id, task, status = got
    if name is None:  # the list form names the provider in the entry
        if listed is None:
            return Bad(path_of(at, "provider"), "missing (expected text)")
        name = listed
    return ModelProvider(provider=name, provider_id=provider_id, task=task, status=status)


def _mapping_from_json(value: Any, at: str) -> tuple[ModelProvider, ...] | Bad:
    where = path_of(at, _MAPPING_KEY)
    if value is None:
        return ()
    if type(value) is dict:
        items = [_provider(v, path_of(where, k), k) for k, v in value.items()]
    elif type(value) is list:
        items = [_provider(v, f"{where}[{i}]", None) for i, v in enumerate(value)]
    else:
        return Bad(where, f"expected an object or an array, got {kind_of(value)}")
    out: list[ModelProvider] = []
    for item in items:
        if isinstance(item, Bad):
            return item
        out.append(item)
    return tuple(out)


def model_info_from_json(value: Any, at: str = "") -> ModelInfo | Bad:
    """One model (a model info reply or one item of a listing), or what is wrong with it."""
    if type(value) is not dict:
        return Bad(at, f"expected an object, got {kind_of(value)}")
    obj: dict[str, Any] = value
    got = fields(obj, at, _INFO_FIELDS)
    if isinstance(got, Bad):
        return got
    model_id, pipeline_tag, tags, downloads, likes, private, library, inference = got
    if model_id is None:
        return Bad(path_of(at, "id"), "missing (expected text)")
    read_tags = []
    for i, tag in enumerate(tags or ()):
        if type(tag) is not str:
            return Bad(f"{path_of(at, 'tags')}[{i}]", f"expected text, got {kind_of(tag)}")
        read_tags.append(tag)
    gated = obj.get("gated")
    if gated is not None and type(gated) not in (bool, str):
        return Bad(path_of(at, "gated"), f"expected false or text, got {kind_of(gated)}")
    providers = _mapping_from_json(obj.get(_MAPPING_KEY), at)
    if isinstance(providers, Bad):
        return providers
    return ModelInfo(
        id=model_id,
        pipeline_tag=pipeline_tag,
        tags=tuple(read_tags),
        downloads=downloads or 0,
        likes=likes or 0,
        private=private is True,
        gated=False if gated is None else gated,
        library_name=library,
        inference=inference,
        providers=providers,
    )


def models_from_json(value: Any) -> tuple[ModelInfo, ...] | Bad:
    """A listing's array of models, or what is wrong with it."""
    if type(value) is not list:
        return Bad("", f"expected an array of models, got {kind_of(value)}")
    out = []
    for i, item in enumerate(value):
        info = model_info_from_json(item, f"[{i}]")
        if isinstance(info, Bad):
            return info
        out.append(info)
    return tuple(out)


# ------------------------------------------------------------------------- the decoders


_NOT_JSON: Final = object()


def _parse(reply: RawReply) -> Any:
    try:
        return loads(reply.body)
    except JSONDecodeError:
        return _NOT_JSON


def _typed_page(body: bytes) -> tuple[ModelInfo, ...] | None:
    """The models by the typed decode, or None when it refuses them (the readers then say why)."""
    try:
        return tuple(map(_from_wire, _LIST_DECODER.decode(body)))
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def decode_model_info(reply: RawReply, asked: str | None = None) -> Result[ModelInfo, HfError]:
    """A 2xx model info reply. ``asked`` is the id the request named: when the Hub answered
    for another (it followed a rename), the answer says so in ``renamed_from``. Total."""
    info: ModelInfo | None = None
    with contextlib.suppress(msgspec.ValidationError, msgspec.DecodeError):
        info = _from_wire(_INFO_DECODER.decode(reply.body))
    if info is None:
        obj = _parse(reply)
        if obj is _NOT_JSON:
            return Failure(malformed(reply, "the body is not valid JSON"))
        if type(obj) is dict and "error" in obj and "id" not in obj:
            return Failure(error_from_event(obj, reply.request_id))
        read = model_info_from_json(obj)
        if isinstance(read, Bad):
            return Failure(malformed(reply, read.message))
        info = read
    if asked is not None and info.id != asked:
        info = msgspec.structs.replace(info, renamed_from=asked)
    return Success(info)


def decode_model_page(reply: RawReply) -> Result[ModelPage, HfError]:
    """A 2xx listing reply: its models and the ``Link: rel="next"`` target. Total."""
    models = _typed_page(reply.body)
    if models is None:
        obj = _parse(reply)
        if obj is _NOT_JSON:
            return Failure(malformed(reply, "the body is not valid JSON"))
        if type(obj) is dict and "error" in obj:
            return Failure(error_from_event(obj, reply.request_id))
        read = models_from_json(obj)
        if isinstance(read, Bad):
            return Failure(malformed(reply, read.message))
        models = read
    return Success(ModelPage(models=models, next_url=next_link(reply.headers)))


__all__ = [
    "ModelInfo",
    "ModelPage",
    "ModelProvider",
    "decode_model_info",
    "decode_model_page",
    "model_info_from_json",
    "models_from_json",
]
