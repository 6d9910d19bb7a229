"""The emulator's model catalog: frozen model cards with pipeline tags and providers.

A card may carry the ids it was known by before a rename (``former_ids``: the Hub answers them
with a 307 to the new id) and a cold start (``cold_calls``: its task route answers 503 with
``estimated_time`` that many times per emulator, then serves; see ``_cold.py``).
"""

from __future__ import annotations

import hashlib

import attrs

__all__ = ["DEFAULT_MODELS", "COLD_MODEL", "ModelCard", "ProviderMapping"]


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


def _chat(provider: str, provider_id: str) -> ProviderMapping:
    return ProviderMapping(provider, provider_id, "conversational")


def _hf(repo: str, task: str) -> ProviderMapping:
    return ProviderMapping("hf-inference", repo, task)


#: The model whose task route is cold: 503 with ``estimated_time`` for its first calls.
COLD_MODEL = "distilbert/distilgpt2"


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
        id="moonshotai/Kimi-K2-Instruct-0905",
        pipeline_tag="text-generation",
        providers=(
            _chat("together", "moonshotai/Kimi-K2-Instruct-0905"),
            _chat("novita", "moonshotai/kimi-k2-0905"),
            _chat("fireworks-ai", "accounts/fireworks/models/kimi-k2-instruct-0905"),
        ),
        tags=("transformers", "safetensors", "kimi_k2", "text-generation", "conversational"),
        library_name="transformers",
        downloads=310_000,
        likes=560,
    ),
    ModelCard(
        id="meta-llama/Llama-3.3-70B-Instruct",
        pipeline_tag="text-generation",
        providers=(
            _chat("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
            _chat("nebius", "meta-llama/Llama-3.3-70B-Instruct"),
            _chat("cerebras", "llama-3.3-70b"),
            _chat("sambanova", "Meta-Llama-3.3-70B-Instruct"),
        ),
        tags=(
            "transformers",
            "safetensors",
            "llama",
            "text-generation",
            "conversational",
            "en",
            "license:llama3.3",
        ),
        downloads=1_400_000,
        likes=2_500,
        gated="manual",
    ),
    ModelCard(
        id="mistralai/Mistral-7B-Instruct-v0.3",
        pipeline_tag="text-generation",
        providers=(
            _chat("hf-inference", "mistralai/Mistral-7B-Instruct-v0.3"),
            _chat("together", "mistralai/Mistral-7B-Instruct-v0.3"),
            _chat("novita", "mistralai/mistral-7b-instruct"),
        ),
        tags=("transformers", "safetensors", "mistral", "text-generation", "conversational"),
        downloads=1_100_000,
        likes=1_900,
        gated="auto",
    ),
    ModelCard(
        id="codellama/CodeLlama-34b-Instruct-hf",
        pipeline_tag="text-generation",
        providers=(_chat("together", "codellama/CodeLlama-34b-Instruct-hf"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "llama",
            "text-generation",
            "code",
            "conversational",
            "license:llama2",
        ),
        downloads=21_000,
        likes=290,
    ),
    ModelCard(
        id="sentence-transformers/all-MiniLM-L12-v2",
        pipeline_tag="feature-extraction",
        providers=(_hf("sentence-transformers/all-MiniLM-L12-v2", "feature-extraction"),),
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
        downloads=2_900_000,
        likes=250,
    ),
    ModelCard(
        id="BAAI/bge-large-en-v1.5",
        pipeline_tag="feature-extraction",
        providers=(
            _hf("BAAI/bge-large-en-v1.5", "feature-extraction"),
            ProviderMapping("deepinfra", "BAAI/bge-large-en-v1.5", "feature-extraction"),
        ),
        tags=(
            "sentence-transformers",
            "pytorch",
            "safetensors",
            "bert",
            "feature-extraction",
            "sentence-similarity",
            "en",
            "license:mit",
        ),
        library_name="sentence-transformers",
        downloads=3_700_000,
        likes=560,
    ),
    ModelCard(
        id="facebook/bart-large-cnn",
        pipeline_tag="summarization",
        providers=(_hf("facebook/bart-large-cnn", "summarization"),),
        tags=("transformers", "pytorch", "safetensors", "bart", "summarization", "en"),
        downloads=3_200_000,
        likes=1_400,
    ),
    ModelCard(
        id="google-bert/bert-base-uncased",
        pipeline_tag="fill-mask",
        providers=(_hf("google-bert/bert-base-uncased", "fill-mask"),),
        tags=("transformers", "pytorch", "safetensors", "bert", "fill-mask", "en"),
        downloads=52_000_000,
        likes=2_300,
        former_ids=("bert-base-uncased",),
    ),
    ModelCard(
        id="google-t5/t5-small",
        pipeline_tag="translation",
        providers=(_hf("google-t5/t5-small", "translation"),),
        tags=("transformers", "pytorch", "safetensors", "t5", "translation", "summarization"),
        downloads=2_000_000,
        likes=470,
        former_ids=("t5-small",),
    ),
    ModelCard(
        id=COLD_MODEL,
        pipeline_tag="text-generation",
        providers=(_hf(COLD_MODEL, "text-generation"),),
        tags=("transformers", "pytorch", "safetensors", "gpt2", "text-generation", "en"),
        downloads=1_600_000,
        likes=500,
        cold_calls=2,
        load_seconds=20.0,
    ),
)
