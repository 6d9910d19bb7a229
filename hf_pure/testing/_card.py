"""The emulator's model cards as values: who a model is, and which providers serve it."""

from __future__ import annotations

import hashlib

import attrs

__all__ = ["ModelCard", "ProviderMapping", "chat_mapping", "hf_mapping"]


@attrs.frozen
class ProviderMapping:
    """One inference provider serving a model (the Hub's ``inferenceProviderMapping`` entry)."""

    provider: str
    provider_id: str
    task: str
    status: str = "live"


def _sha(card: ModelCard) -> str:
    return hashlib.sha1(card.id.encode(), usedforsecurity=False).hexdigest()


def _tuple(values: object) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    if isinstance(values, (list, tuple)):
        return tuple(str(v) for v in values)
    raise TypeError(f"expected a sequence of strings, got {values!r}")


def _mappings(values: object) -> tuple[ProviderMapping, ...]:
    if isinstance(values, (list, tuple)) and all(isinstance(v, ProviderMapping) for v in values):
        return tuple(values)
    raise TypeError(f"expected a sequence of ProviderMapping, got {values!r}")


@attrs.frozen
class ModelCard:
    """A model the emulator knows: what the Hub says about it and who serves it (one mapping
    per provider: the Hub's mapping is keyed by provider)."""

    id: str
    pipeline_tag: str
    providers: tuple[ProviderMapping, ...] = attrs.field(default=(), converter=_mappings)
    tags: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    library_name: str = "transformers"
    downloads: int = 0
    likes: int = 0
    inference: str | None = "warm"
    private: bool = False
    gated: bool | str = False
    created_at: str = "2024-01-01T00:00:00.000Z"
    last_modified: str = "2024-06-01T00:00:00.000Z"
    sha: str = attrs.field(default=attrs.Factory(_sha, takes_self=True))
    former_ids: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    cold_calls: int = 0
    load_seconds: float = 20.0

    @property
    def author(self) -> str | None:
        return self.id.split("/", 1)[0] if "/" in self.id else None

    @property
    def is_chat(self) -> bool:
        """Served by the chat-completions endpoint (tagged or mapped ``conversational``)."""
        return "conversational" in self.tags or any(
            p.task == "conversational" for p in self.providers
        )

    @property
    def provider_names(self) -> tuple[str, ...]:
        return tuple(p.provider for p in self.providers)

    def mapping(self, provider: str) -> ProviderMapping | None:
        for p in self.providers:
            if p.provider == provider:
                return p
        return None


def chat_mapping(provider: str, provider_id: str) -> ProviderMapping:
    return ProviderMapping(provider, provider_id, "conversational")


def hf_mapping(repo: str, task: str) -> ProviderMapping:
    return ProviderMapping("hf-inference", repo, task)


#: The model whose task route is cold: 503 with ``estimated_time`` for its first calls.
