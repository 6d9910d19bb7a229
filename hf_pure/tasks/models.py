"""The model ids the original crate named, in one place, each with the task it is used for.

Plain strings on the :class:`Models` namespace, so they go wherever a model id goes
(``hf.chat(hf.Models.LLAMA_3_1_8B_INSTRUCT, ...)``); :data:`KNOWN_MODELS` maps each to its
task (the Hub's task names: ``conversational`` for chat), and :func:`task_of` looks one up.

``gpt2`` is the crate's id; the Hub has since renamed it ``openai-community/gpt2`` and answers
the old id with a redirect (model info then reports ``renamed_from="gpt2"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


class Models:
    """The crate's model ids: a namespace of str constants."""

    __slots__ = ()

    KIMI_K2_INSTRUCT: Final = "moonshotai/Kimi-K2-Instruct-0905"
    LLAMA_3_1_8B_INSTRUCT: Final = "meta-llama/Llama-3.1-8B-Instruct"
    LLAMA_3_3_70B_INSTRUCT: Final = "meta-llama/Llama-3.3-70B-Instruct"
    MISTRAL_7B_INSTRUCT: Final = "mistralai/Mistral-7B-Instruct-v0.3"
    CODELLAMA_34B_INSTRUCT: Final = "codellama/CodeLlama-34b-Instruct-hf"
    ALL_MINILM_L6_V2: Final = "sentence-transformers/all-MiniLM-L6-v2"
    ALL_MINILM_L12_V2: Final = "sentence-transformers/all-MiniLM-L12-v2"
    BGE_LARGE_EN_V1_5: Final = "BAAI/bge-large-en-v1.5"
    BART_LARGE_CNN: Final = "facebook/bart-large-cnn"
    GPT2: Final = "gpt2"


#: Each of the crate's model ids -> its task.
KNOWN_MODELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        Models.KIMI_K2_INSTRUCT: "conversational",
        Models.LLAMA_3_1_8B_INSTRUCT: "conversational",
        Models.LLAMA_3_3_70B_INSTRUCT: "conversational",
        Models.MISTRAL_7B_INSTRUCT: "conversational",
        Models.CODELLAMA_34B_INSTRUCT: "conversational",
        Models.ALL_MINILM_L6_V2: "feature-extraction",
        Models.ALL_MINILM_L12_V2: "feature-extraction",
        Models.BGE_LARGE_EN_V1_5: "feature-extraction",
        Models.BART_LARGE_CNN: "summarization",
        Models.GPT2: "text-generation",
    }
)


def task_of(model: str) -> str | None:
    """The task of one of the crate's models (a ``:provider`` suffix is ignored), or None."""
    return KNOWN_MODELS.get(model.partition(":")[0]) if isinstance(model, str) else None


__all__ = ["KNOWN_MODELS", "Models", "task_of"]
