"""The Hub's reply shapes (WIRE.md, "Hub model API" and the recorded facts) as hypothesis
strategies, for the wire-shaped fuzz: a model info (provider mapping as a dict), a listing
(each item's mapping as a list), and the 503 of a loading model.

    from hypothesis import given
    from hf_pure.testing._hub_shapes import hub_bodies

    @given(hub_bodies("hub_listing"))
    def test_listing_decoder_never_raises(body: bytes) -> None: ...

Like :mod:`hf_pure.testing.strategies` (whose :func:`~hf_pure.testing.strategies.mutated`
changes the fields), it imports hypothesis and nothing of the client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from hypothesis import strategies as st

from .strategies import encode, mutated

SearchStrategy = st.SearchStrategy
Json = Any

_PROVIDERS: Final = ("hf-inference", "groq", "together", "novita", "fal-ai", "x")
_TASKS: Final = ("conversational", "text-generation", "feature-extraction", "fill-mask")
_IDS: Final = (
    "gpt2",
    "google-bert/bert-base-uncased",
    "meta-llama/Llama-3.1-8B-Instruct",
    "a/b",
    "é/\U0001f680",
)
_TAGS: Final = ("transformers", "pytorch", "conversational", "license:mit", "en", "")


def _entry(*, listed: bool) -> SearchStrategy[dict[str, Json]]:
    fields: dict[str, SearchStrategy[Json]] = {
        "providerId": st.sampled_from(("llama-3.1-8b-instant", "gpt2", "")),
        "status": st.sampled_from(("live", "staging")),
        "task": st.sampled_from(_TASKS),
    }
    if listed:
        fields["provider"] = st.sampled_from(_PROVIDERS)
    optional = {
        "adapter": st.just("lora"),
        "adapterWeightsPath": st.just("adapter.safetensors"),
        "type": st.sampled_from(("single-model", "tag-filter")),
        "hfModelId": st.sampled_from(_IDS),
    }
    return st.fixed_dictionaries(fields, optional=optional)


def _model(*, listed: bool) -> SearchStrategy[dict[str, Json]]:
    mapping: SearchStrategy[Json]
    if listed:
        mapping = st.lists(_entry(listed=True), max_size=3)
    else:
        mapping = st.dictionaries(st.sampled_from(_PROVIDERS), _entry(listed=False), max_size=3)
    counts = st.integers(0, 2**40)
    return st.fixed_dictionaries(
        {"_id": st.just("5f3b1c"), "id": st.sampled_from(_IDS)},
        optional={
            "modelId": st.sampled_from(_IDS),
            "pipeline_tag": st.sampled_from(_TASKS) | st.none(),
            "tags": st.lists(st.sampled_from(_TAGS), max_size=4),
            "downloads": counts,
            "likes": counts,
            "trendingScore": st.integers(0, 100),
            "private": st.booleans(),
            "gated": st.sampled_from((False, "auto", "manual")),
            "library_name": st.sampled_from(("transformers", "sentence-transformers")),
            "inference": st.just("warm"),
            "inferenceProviderMapping": mapping,
            "createdAt": st.just("2024-01-01T00:00:00.000Z"),
            "sha": st.just("0" * 40),
        },
    )


def model_infos() -> SearchStrategy[dict[str, Json]]:
    """``GET /api/models/{id}?expand[]=...``: one model, its provider mapping a dict."""
    return _model(listed=False)


def model_listings() -> SearchStrategy[list[dict[str, Json]]]:
    """``GET /api/models?...``: a page of models, each provider mapping a list."""
    return st.lists(_model(listed=True), max_size=4)


def loading_bodies() -> SearchStrategy[dict[str, Json]]:
    """The 503 of a model being loaded: ``{"error": "... is currently loading",
    "estimated_time": N}`` (the estimate is sometimes left out)."""
    return st.fixed_dictionaries(
        {"error": st.sampled_from(("Model gpt2 is currently loading", "loading", ""))},
        optional={"estimated_time": st.floats(0, 600) | st.integers(0, 600)},
    )


HUB_SHAPES: Final[Mapping[str, Callable[[], SearchStrategy[Json]]]] = MappingProxyType(
    {"hub_model": model_infos, "hub_listing": model_listings, "hub_loading": loading_bodies}
)
HUB_KINDS: Final = tuple(HUB_SHAPES)


def hub_json(kind: str, changes: int = 3) -> SearchStrategy[Json]:
    """The Hub shape ``kind`` (one of :data:`HUB_KINDS`) as documented, or with 1 to
    ``changes`` fields replaced by arbitrary JSON, removed or joined by extra ones."""
    try:
        base = HUB_SHAPES[kind]()
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(HUB_KINDS)}") from None
    return base | mutated(base, changes)


def hub_bodies(kind: str, changes: int = 3) -> SearchStrategy[bytes]:
    """:func:`hub_json` encoded as a reply body."""
    return hub_json(kind, changes).map(encode)


__all__ = [
    "HUB_KINDS",
    "HUB_SHAPES",
    "hub_bodies",
    "hub_json",
    "loading_bodies",
    "model_infos",
    "model_listings",
]
