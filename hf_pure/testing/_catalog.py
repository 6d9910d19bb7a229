"""The emulator's model catalog: a few frozen model cards with pipeline tags and providers."""

from __future__ import annotations

import hashlib

import attrs

__all__ = ["DEFAULT_MODELS", "ModelCard", "ProviderMapping"]


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
    """A model the emulator knows: what the Hub says about it and who serves it."""

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


def _chat(provider: str, provider_id: str) -> ProviderMapping:
    return ProviderMapping(provider, provider_id, "conversational")


DEFAULT_MODELS: tuple[ModelCard, ...] = (
    ModelCard(
        id="meta-llama/Llama-3.1-8B-Instruct",
        pipeline_tag="text-generation",
        providers=(
            _chat("hf-inference", "meta-llama/Llama-3.1-8B-Instruct"),
            _chat("groq", "llama-3.1-8b-instant"),
            _chat("together", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
            _chat("novita", "meta-llama/llama-3.1-8b-instruct"),
        ),
        tags=(
            "transformers",
            "safetensors",
            "llama",
            "text-generation",
            "conversational",
            "en",
            "license:llama3.1",
        ),
        downloads=5_400_000,
        likes=4_700,
    ),
    ModelCard(
        id="Qwen/Qwen2.5-7B-Instruct",
        pipeline_tag="text-generation",
        providers=(
            _chat("hf-inference", "Qwen/Qwen2.5-7B-Instruct"),
            _chat("together", "Qwen/Qwen2.5-7B-Instruct-Turbo"),
            _chat("featherless-ai", "Qwen/Qwen2.5-7B-Instruct"),
        ),
        tags=(
            "transformers",
            "safetensors",
            "qwen2",
            "text-generation",
            "chat",
            "conversational",
            "en",
            "license:apache-2.0",
        ),
        downloads=2_100_000,
        likes=820,
    ),
    ModelCard(
        id="openai/gpt-oss-20b",
        pipeline_tag="text-generation",
        providers=(
            _chat("groq", "openai/gpt-oss-20b"),
            _chat("together", "openai/gpt-oss-20b"),
            _chat("fireworks-ai", "accounts/fireworks/models/gpt-oss-20b"),
        ),
        tags=(
            "transformers",
            "safetensors",
            "gpt_oss",
            "text-generation",
            "vllm",
            "conversational",
            "license:apache-2.0",
        ),
        downloads=6_300_000,
        likes=3_900,
    ),
    ModelCard(
        id="Qwen/Qwen2.5-VL-7B-Instruct",
        pipeline_tag="image-text-to-text",
        providers=(
            _chat("hyperbolic", "Qwen/Qwen2.5-VL-7B-Instruct"),
            _chat("nebius", "Qwen/Qwen2.5-VL-7B-Instruct"),
        ),
        tags=(
            "transformers",
            "safetensors",
            "qwen2_5_vl",
            "image-text-to-text",
            "multimodal",
            "conversational",
            "en",
            "license:apache-2.0",
        ),
        downloads=3_300_000,
        likes=1_200,
    ),
    ModelCard(
        id="gpt2",
        pipeline_tag="text-generation",
        providers=(ProviderMapping("hf-inference", "gpt2", "text-generation"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "gpt2",
            "text-generation",
            "en",
            "license:mit",
        ),
        downloads=11_000_000,
        likes=2_900,
    ),
    ModelCard(
        id="bigscience/bloom-560m",
        pipeline_tag="text-generation",
        providers=(ProviderMapping("hf-inference", "bigscience/bloom-560m", "text-generation"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "bloom",
            "text-generation",
            "license:bigscience-bloom-rail-1.0",
        ),
        downloads=420_000,
        likes=370,
    ),
    ModelCard(
        id="sentence-transformers/all-MiniLM-L6-v2",
        pipeline_tag="feature-extraction",
        providers=(
            ProviderMapping(
                "hf-inference", "sentence-transformers/all-MiniLM-L6-v2", "feature-extraction"
            ),
        ),
        tags=(
            "sentence-transformers",
            "pytorch",
            "safetensors",
            "bert",
            "feature-extraction",
            "sentence-similarity",
            "en",
            "license:apache-2.0",
        ),
        library_name="sentence-transformers",
        downloads=90_000_000,
        likes=3_600,
    ),
    ModelCard(
        id="google/vit-base-patch16-224",
        pipeline_tag="image-classification",
        providers=(
            ProviderMapping("hf-inference", "google/vit-base-patch16-224", "image-classification"),
        ),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "vit",
            "image-classification",
            "vision",
            "license:apache-2.0",
        ),
        downloads=3_000_000,
        likes=850,
    ),
    ModelCard(
        id="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        pipeline_tag="text-classification",
        providers=(),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "distilbert",
            "text-classification",
            "en",
            "license:apache-2.0",
        ),
        downloads=7_000_000,
        likes=780,
        inference=None,
    ),
    ModelCard(
        id="sentence-transformers/all-MiniLM-L12-v2",
        pipeline_tag="sentence-similarity",
        providers=(
            ProviderMapping(
                "hf-inference", "sentence-transformers/all-MiniLM-L12-v2", "feature-extraction"
            ),
        ),
        tags=(
            "sentence-transformers",
            "pytorch",
            "safetensors",
            "bert",
            "feature-extraction",
            "sentence-similarity",
            "en",
            "license:apache-2.0",
        ),
        library_name="sentence-transformers",
        downloads=3_500_000,
        likes=250,
    ),
    ModelCard(
        id="BAAI/bge-large-en-v1.5",
        pipeline_tag="feature-extraction",
        providers=(
            ProviderMapping("hf-inference", "BAAI/bge-large-en-v1.5", "feature-extraction"),
        ),
        tags=(
            "sentence-transformers",
            "pytorch",
            "safetensors",
            "bert",
            "feature-extraction",
            "sentence-similarity",
            "mteb",
            "en",
            "license:mit",
        ),
        library_name="sentence-transformers",
        downloads=4_000_000,
        likes=560,
    ),
    ModelCard(
        id="facebook/bart-base",
        pipeline_tag="feature-extraction",
        providers=(ProviderMapping("hf-inference", "facebook/bart-base", "feature-extraction"),),
        tags=("transformers", "pytorch", "safetensors", "bart", "feature-extraction", "en"),
        downloads=1_500_000,
        likes=190,
    ),
)
