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
        providers=(
            ProviderMapping(
                "hf-inference",
                "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
                "text-classification",
            ),
        ),
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
    ),
    ModelCard(
        id="facebook/bart-large-cnn",
        pipeline_tag="summarization",
        providers=(ProviderMapping("hf-inference", "facebook/bart-large-cnn", "summarization"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "bart",
            "summarization",
            "en",
            "license:mit",
        ),
        downloads=3_200_000,
        likes=1_400,
    ),
    ModelCard(
        id="Helsinki-NLP/opus-mt-en-fr",
        pipeline_tag="translation",
        providers=(ProviderMapping("hf-inference", "Helsinki-NLP/opus-mt-en-fr", "translation"),),
        tags=(
            "transformers",
            "pytorch",
            "marian",
            "text2text-generation",
            "translation",
            "en",
            "fr",
            "license:apache-2.0",
        ),
        downloads=900_000,
        likes=450,
    ),
    ModelCard(
        id="cardiffnlp/twitter-roberta-base-sentiment-latest",
        pipeline_tag="text-classification",
        providers=(
            ProviderMapping(
                "hf-inference",
                "cardiffnlp/twitter-roberta-base-sentiment-latest",
                "text-classification",
            ),
        ),
        tags=(
            "transformers",
            "pytorch",
            "roberta",
            "text-classification",
            "en",
        ),
        downloads=2_500_000,
        likes=700,
    ),
    ModelCard(
        id="dslim/bert-base-NER",
        pipeline_tag="token-classification",
        providers=(ProviderMapping("hf-inference", "dslim/bert-base-NER", "token-classification"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "bert",
            "token-classification",
            "en",
            "license:mit",
        ),
        downloads=2_800_000,
        likes=590,
    ),
    ModelCard(
        id="google-bert/bert-base-uncased",
        pipeline_tag="fill-mask",
        providers=(ProviderMapping("hf-inference", "google-bert/bert-base-uncased", "fill-mask"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "bert",
            "fill-mask",
            "en",
            "license:apache-2.0",
        ),
        downloads=55_000_000,
        likes=2_300,
        former_ids=("bert-base-uncased",),
    ),
    ModelCard(
        id="FacebookAI/roberta-base",
        pipeline_tag="fill-mask",
        providers=(ProviderMapping("hf-inference", "FacebookAI/roberta-base", "fill-mask"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "roberta",
            "fill-mask",
            "en",
            "license:mit",
        ),
        downloads=11_000_000,
        likes=500,
    ),
    ModelCard(
        id="deepset/roberta-base-squad2",
        pipeline_tag="question-answering",
        providers=(
            ProviderMapping("hf-inference", "deepset/roberta-base-squad2", "question-answering"),
        ),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "roberta",
            "question-answering",
            "en",
            "license:cc-by-4.0",
        ),
        downloads=1_100_000,
        likes=870,
    ),
    ModelCard(
        id="facebook/bart-large-mnli",
        pipeline_tag="zero-shot-classification",
        providers=(
            ProviderMapping("hf-inference", "facebook/bart-large-mnli", "zero-shot-classification"),
        ),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "bart",
            "text-classification",
            "zero-shot-classification",
            "license:mit",
        ),
        downloads=3_000_000,
        likes=1_300,
    ),
    ModelCard(
        id="MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli",
        pipeline_tag="zero-shot-classification",
        providers=(
            ProviderMapping(
                "hf-inference",
                "MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli",
                "zero-shot-classification",
            ),
        ),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "deberta-v2",
            "text-classification",
            "zero-shot-classification",
            "en",
            "license:mit",
        ),
        downloads=250_000,
        likes=210,
    ),
    ModelCard(
        id="google/tapas-base-finetuned-wtq",
        pipeline_tag="table-question-answering",
        providers=(
            ProviderMapping(
                "hf-inference", "google/tapas-base-finetuned-wtq", "table-question-answering"
            ),
        ),
        tags=(
            "transformers",
            "pytorch",
            "tapas",
            "table-question-answering",
            "en",
            "license:apache-2.0",
        ),
        downloads=90_000,
        likes=220,
    ),
    # vision and audio (issue 11)
    ModelCard(
        id="facebook/detr-resnet-50",
        pipeline_tag="object-detection",
        providers=(ProviderMapping("hf-inference", "facebook/detr-resnet-50", "object-detection"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "detr",
            "object-detection",
            "vision",
            "license:apache-2.0",
        ),
        downloads=900_000,
        likes=800,
    ),
    ModelCard(
        id="hustvl/yolos-tiny",
        pipeline_tag="object-detection",
        providers=(ProviderMapping("hf-inference", "hustvl/yolos-tiny", "object-detection"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "yolos",
            "object-detection",
            "vision",
            "license:apache-2.0",
        ),
        downloads=120_000,
        likes=260,
    ),
    ModelCard(
        id="Salesforce/blip-image-captioning-large",
        pipeline_tag="image-to-text",
        providers=(
            ProviderMapping(
                "hf-inference", "Salesforce/blip-image-captioning-large", "image-to-text"
            ),
        ),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "blip",
            "image-to-text",
            "image-captioning",
            "license:bsd-3-clause",
        ),
        downloads=1_500_000,
        likes=1_300,
    ),
    ModelCard(
        id="nlpconnect/vit-gpt2-image-captioning",
        pipeline_tag="image-to-text",
        providers=(
            ProviderMapping(
                "hf-inference", "nlpconnect/vit-gpt2-image-captioning", "image-to-text"
            ),
        ),
        tags=(
            "transformers",
            "pytorch",
            "vision-encoder-decoder",
            "image-to-text",
            "image-captioning",
            "license:apache-2.0",
        ),
        downloads=700_000,
        likes=900,
    ),
    ModelCard(
        id="openai/clip-vit-large-patch14",
        pipeline_tag="zero-shot-image-classification",
        providers=(
            ProviderMapping(
                "hf-inference", "openai/clip-vit-large-patch14", "zero-shot-image-classification"
            ),
        ),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "clip",
            "zero-shot-image-classification",
            "vision",
        ),
        downloads=20_000_000,
        likes=1_700,
    ),
    ModelCard(
        id="nvidia/segformer-b0-finetuned-ade-512-512",
        pipeline_tag="image-segmentation",
        providers=(
            ProviderMapping(
                "hf-inference", "nvidia/segformer-b0-finetuned-ade-512-512", "image-segmentation"
            ),
        ),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "segformer",
            "image-segmentation",
            "vision",
            "dataset:scene_parse_150",
            "license:other",
        ),
        downloads=300_000,
        likes=170,
    ),
    ModelCard(
        id="openai/whisper-large-v3",
        pipeline_tag="automatic-speech-recognition",
        providers=(
            ProviderMapping(
                "hf-inference", "openai/whisper-large-v3", "automatic-speech-recognition"
            ),
        ),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "whisper",
            "automatic-speech-recognition",
            "audio",
            "hf-asr-leaderboard",
            "license:apache-2.0",
        ),
        downloads=4_600_000,
        likes=4_800,
    ),
    ModelCard(
        id="facebook/mms-tts-eng",
        pipeline_tag="text-to-speech",
        providers=(ProviderMapping("hf-inference", "facebook/mms-tts-eng", "text-to-speech"),),
        tags=(
            "transformers",
            "pytorch",
            "safetensors",
            "vits",
            "text-to-audio",
            "mms",
            "text-to-speech",
            "license:cc-by-nc-4.0",
        ),
        downloads=150_000,
        likes=220,
    ),
    ModelCard(
        id="espnet/kan-bayashi_ljspeech_vits",
        pipeline_tag="text-to-speech",
        providers=(
            ProviderMapping("hf-inference", "espnet/kan-bayashi_ljspeech_vits", "text-to-speech"),
        ),
        tags=(
            "espnet",
            "audio",
            "text-to-speech",
            "en",
            "dataset:ljspeech",
            "license:cc-by-4.0",
        ),
        library_name="espnet",
        downloads=4_000,
        likes=220,
    ),
    ModelCard(
        id="superb/hubert-large-superb-er",
        pipeline_tag="audio-classification",
        providers=(
            ProviderMapping(
                "hf-inference", "superb/hubert-large-superb-er", "audio-classification"
            ),
        ),
        tags=(
            "transformers",
            "pytorch",
            "hubert",
            "audio-classification",
            "speech",
            "audio",
            "dataset:superb",
            "license:apache-2.0",
        ),
        downloads=40_000,
        likes=20,
    ),
    ModelCard(
        id="speechbrain/sepformer-wham",
        pipeline_tag="audio-to-audio",
        providers=(
            ProviderMapping("hf-inference", "speechbrain/sepformer-wham", "audio-to-audio"),
        ),
        tags=(
            "speechbrain",
            "audio-to-audio",
            "audio-source-separation",
            "Source Separation",
            "Speech Separation",
            "Audio",
            "en",
            "dataset:WHAM!",
            "license:apache-2.0",
        ),
        library_name="speechbrain",
        downloads=6_000,
        likes=15,
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
    ModelCard(
        id="facebook/bart-base",
        pipeline_tag="feature-extraction",
        providers=(ProviderMapping("hf-inference", "facebook/bart-base", "feature-extraction"),),
        tags=("transformers", "pytorch", "safetensors", "bart", "feature-extraction", "en"),
        downloads=1_500_000,
        likes=190,
    ),
)
