"""The Hub's model API as pure request values: model info and model search (one page each).

    info = hf.model_info("google-bert/bert-base-uncased")   # GET {hub}/api/models/{id}
    search = hf.search_models(search="llama", pipeline_tag="text-generation",
                              inference_provider="groq", sort="downloads", limit=50)

Both ask the Hub to expand the fields :class:`~hf_pure.tasks.hub_reply.ModelInfo` reads,
``inference`` and ``inferenceProviderMapping`` included (``expand[]=...``: an expanded reply
holds only the fields named, so every one read is named). A renamed model is answered with a
307 to its new id; the runner follows it, and the answer says both ids (``info.id`` the new,
``info.renamed_from`` the one asked).

A listing is paged with ``Link: <...>; rel="next"``. :func:`next_search` turns a page's link
into the request for the next page when the link stays on the Hub's own host (the token
goes with every request: a link elsewhere is reported, not followed); the shell iterators in
:mod:`hf_pure.shell.hub` follow the pages lazily and stop at ``limit``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import attrs
from returns.result import Result

from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput, MalformedResponse
from hf_pure.core.http import HttpCall, Pairs, RawReply, repo_path
from hf_pure.core.links import same_site_path
from hf_pure.core.value import Value
from hf_pure.tasks.hub_reply import (
    ModelInfo,
    ModelPage,
    ModelProvider,
    decode_model_info,
    decode_model_page,
)
from hf_pure.tasks.validate import check_int, check_repo_id, check_str, is_provider_name

#: The fields a ModelInfo reads, asked for with ``expand[]=``.
EXPAND_FIELDS: Final = (
    "pipeline_tag",
    "tags",
    "downloads",
    "likes",
    "private",
    "gated",
    "library_name",
    "inference",
    "inferenceProviderMapping",
)
_EXPAND_QUERY: Final = tuple(("expand[]", name) for name in EXPAND_FIELDS)

#: The Hub's sort keys (huggingface_hub's snake-case names are read as these).
SORT_KEYS: Final = frozenset({"downloads", "likes", "trendingScore", "createdAt", "lastModified"})
_SORT_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {"trending_score": "trendingScore", "created_at": "createdAt", "last_modified": "lastModified"}
)
MAX_PAGE_SIZE: Final = 1000  # the Hub's largest page
_MODELS_PATH: Final = "/api/models"


# --------------------------------------------------------------------------- model info


@attrs.frozen(cache_hash=True, repr=False)
class ModelInfoRequest(Value):
    """``GET {hub}/api/models/{model}`` with the fields ModelInfo reads expanded.
    Cacheable by default: the Hub's answer changes slowly."""

    model: str
    cacheable: bool = True

    task = "model-info"

    def check(self, limits: Limits) -> InvalidInput | None:
        return check_repo_id(self.model, limits) or (
            InvalidInput(
                "model",
                f"{self.model!r}: a Hub repo id has no ':provider' suffix (the repo id alone)",
            )
            if ":" in self.model
            else None
        )

    def to_call(self) -> HttpCall:
        return HttpCall(
            method="GET",
            path=f"{_MODELS_PATH}/{repo_path(self.model)}",
            base="hub",
            query=_EXPAND_QUERY,
        )

    def decode(self, reply: RawReply) -> Result[ModelInfo, HfError]:
        return decode_model_info(reply, asked=self.model)


def model_info(model: str) -> ModelInfoRequest:
    """The Hub's information about ``model`` (with its provider mapping and warm state)."""
    return ModelInfoRequest(model=model)


# --------------------------------------------------------------------------- search


@attrs.frozen(repr=False)
class PageCursor(Value):
    """Where the next page is: a path and query on the Hub's own host (from a ``Link``)."""

    path: str
    query: Pairs = ()


def _names(value: object) -> object:
    """A converter that never raises: one name or several as a tuple; anything else is kept
    for ``check`` to report."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple | frozenset | set):
        return tuple(sorted(value, key=repr) if isinstance(value, set | frozenset) else value)
    return value


def _sort(value: object) -> object:
    return _SORT_ALIASES.get(value, value) if isinstance(value, str) else value


@attrs.frozen(cache_hash=True, repr=False)
class ModelSearch(Value):
    """A model listing with filters (build it with :func:`search_models`).

    ``limit`` is how many models to get in all (the iterators stop there); ``page_size`` how
    many per request (at most 1000; by default the smaller of ``limit`` and 1000, or the
    Hub's own default). ``cursor`` is set on the requests for later pages."""

    search: str | None = None
    author: str | None = None
    pipeline_tag: str | None = None
    inference_provider: tuple[str, ...] = attrs.field(default=(), converter=_names)
    sort: str | None = attrs.field(default=None, converter=_sort)
    direction: int | None = None
    limit: int | None = None
    page_size: int | None = None
    expand: bool = True
    cursor: PageCursor | None = None
    cacheable: bool = True

    task = "model-search"

    def check(self, limits: Limits) -> InvalidInput | None:
        for name in ("search", "author", "pipeline_tag"):
            value = getattr(self, name)
            if value is not None:
                problem = check_str(name, value, empty=False)
                if problem is not None:
                    return problem
        return (
            self._check_providers()
            or self._check_sort()
            or check_int("limit", self.limit, 1)
            or check_int("page_size", self.page_size, 1, MAX_PAGE_SIZE)
            or (
                None
                if type(self.expand) is bool
                else InvalidInput("expand", "must be true or false")
            )
        )

    def _check_providers(self) -> InvalidInput | None:
        given = self.inference_provider
        if type(given) is not tuple:
            return InvalidInput(
                "inference_provider",
                f"must be a provider name or a list of them, got {type(given).__name__}",
            )
        for i, name in enumerate(given):
            if not (name == "all" or is_provider_name(name)):
                return InvalidInput(f"inference_provider[{i}]", f"{name!r} is not a provider name")
        return None

    def _check_sort(self) -> InvalidInput | None:
        if self.sort is not None and self.sort not in SORT_KEYS:
            keys = ", ".join(sorted(SORT_KEYS))
            return InvalidInput("sort", f"{self.sort!r} is not a sort key; use one of {keys}")
        if self.direction is not None and (
            type(self.direction) is not int or self.direction not in (-1, 1)
        ):
            return InvalidInput(
                "direction", f"must be -1 (descending) or 1, got {self.direction!r}"
            )
        return None

    @property
    def wire_limit(self) -> int | None:
        """The ``limit`` query parameter: the page size asked of the Hub."""
        sizes = [n for n in (self.limit, self.page_size) if n is not None]
        return min(*sizes, MAX_PAGE_SIZE) if sizes else None

    def query(self) -> Pairs:
        """The query of the first page."""
        pairs: list[tuple[str, str]] = []
        for name in ("search", "author", "pipeline_tag"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, value))
        if self.inference_provider:
            pairs.append(("inference_provider", ",".join(self.inference_provider)))
        if self.sort is not None:
            pairs.append(("sort", self.sort))
        if self.direction is not None:
            pairs.append(("direction", str(self.direction)))
        limit = self.wire_limit
        if limit is not None:
            pairs.append(("limit", str(limit)))
        if self.expand:
            pairs.extend(_EXPAND_QUERY)
        return tuple(pairs)

    def to_call(self) -> HttpCall:
        if self.cursor is not None:
            cursor = self.cursor
            return HttpCall(method="GET", path=cursor.path, base="hub", query=cursor.query)
        return HttpCall(method="GET", path=_MODELS_PATH, base="hub", query=self.query())

    def decode(self, reply: RawReply) -> Result[ModelPage, HfError]:
        return decode_model_page(reply)


def search_models(
    *,
    search: str | None = None,
    author: str | None = None,
    pipeline_tag: str | None = None,
    inference_provider: str | Iterable[str] | None = None,
    sort: str | None = None,
    direction: int | None = None,
    limit: int | None = None,
    page_size: int | None = None,
    expand: bool = True,
) -> ModelSearch:
    """A model listing: ``search`` in the id, ``author``, ``pipeline_tag``, served by
    ``inference_provider`` (one, several, or ``"all"``), sorted by ``sort`` (``downloads``,
    ``likes``, ``trendingScore``, ``createdAt``, ``lastModified``) in ``direction`` (-1:
    descending), at most ``limit`` models in all. Nothing is checked here: ``check()`` is."""
    return ModelSearch(
        search=search,
        author=author,
        pipeline_tag=pipeline_tag,
        inference_provider=inference_provider,  # the converter makes it a tuple
        sort=sort,
        direction=direction,
        limit=limit,
        page_size=page_size,
        expand=expand,
    )


def next_search(
    search: ModelSearch, page: ModelPage, hub_url: str
) -> ModelSearch | MalformedResponse | None:
    """The request for the page after ``page`` (None: it was the last), or why its link is
    not followed (it leaves ``hub_url``'s host, or is not a URL)."""
    if page.next_url is None:
        return None
    where = same_site_path(page.next_url, hub_url)
    if isinstance(where, str):
        return MalformedResponse(200, f"the listing's next-page Link was not followed: {where}")
    path, query = where
    return attrs.evolve(search, cursor=PageCursor(path=path, query=query))


__all__ = [
    "EXPAND_FIELDS",
    "MAX_PAGE_SIZE",
    "SORT_KEYS",
    "ModelInfo",
    "ModelInfoRequest",
    "ModelPage",
    "ModelProvider",
    "ModelSearch",
    "PageCursor",
    "model_info",
    "next_search",
    "search_models",
]
