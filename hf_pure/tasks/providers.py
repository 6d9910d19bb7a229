"""Which inference provider serves which task, and the router's selection policies.

The table is WIRE.md's ("Facts from real recorded exchanges": chat routes per provider and the
other tasks each serves), with the rows huggingface_hub 2.4's own provider table adds for the
same providers (marked below). hf-inference serves every task of WIRE.md's task table.

:func:`provider_check` is the one check a task request calls::

    problem = provider_check(provider, "feature-extraction")   # InvalidInput | None

It refuses a provider the table knows when it doesn't serve the task, naming those that do.
Routing policies (``fastest``, ``cheapest``, ``preferred``: the router picks among the
providers serving the task) and providers the table doesn't know (the router adds them often;
it answers a wrong name itself) pass. Task names are the Hub's (``conversational``,
``feature-extraction``...); ``chat`` is read as ``conversational``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from hf_pure.core.errors import InvalidInput

#: The router's selection policies, usable wherever a provider is (``model:fastest``).
POLICIES: Final = frozenset({"fastest", "cheapest", "preferred"})

#: What hf-inference serves: every task of WIRE.md's task table, and chat.
HF_INFERENCE_TASKS: Final = frozenset(
    {
        "conversational",
        "text-generation",
        "feature-extraction",
        "sentence-similarity",
        "summarization",
        "translation",
        "text-classification",
        "token-classification",
        "fill-mask",
        "question-answering",
        "zero-shot-classification",
        "table-question-answering",
        "image-classification",
        "object-detection",
        "image-to-text",
        "image-segmentation",
        "zero-shot-image-classification",
        "automatic-speech-recognition",
        "audio-classification",
        "audio-to-audio",
        "text-to-speech",
        "text-to-image",
    }
)

_CHAT: Final = frozenset({"conversational"})
_MEDIA: Final = frozenset({"text-to-image", "automatic-speech-recognition", "text-to-speech"})

#: provider -> the tasks it serves. Rows marked "hub" come from huggingface_hub 2.4's provider
#: table where WIRE.md says nothing for that provider and task.
PROVIDER_TASKS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "hf-inference": HF_INFERENCE_TASKS,
        "fireworks-ai": _CHAT,
        "novita": _CHAT | {"text-generation", "text-to-video"},
        "groq": _CHAT,
        "cohere": _CHAT,
        "deepinfra": _CHAT
        | {"feature-extraction", "automatic-speech-recognition", "text-to-speech"}
        | {"text-generation"},  # hub
        "together": _CHAT
        | {"feature-extraction", "text-to-image", "text-to-speech"}
        | {"text-generation", "image-to-image", "text-to-video", "image-to-video"},  # hub
        "nebius": _CHAT,
        "sambanova": _CHAT,
        "cerebras": _CHAT,
        "hyperbolic": _CHAT,
        "featherless-ai": _CHAT | {"text-generation"},  # hub
        "scaleway": _CHAT | {"feature-extraction"},  # hub
        "nscale": _CHAT | {"text-to-image"},  # hub
        "baseten": _CHAT,
        "ovhcloud": _CHAT,
        "publicai": _CHAT,
        "zai-org": _CHAT | {"text-to-image"},  # hub
        "openai": _CHAT,
        "fal-ai": _MEDIA
        | {"image-segmentation", "image-to-image", "text-to-video", "image-to-video"},  # hub
        "replicate": _MEDIA | {"image-to-image", "text-to-video"},  # hub
        "wavespeed": _MEDIA | {"image-to-image", "text-to-video", "image-to-video"},  # hub
        "black-forest-labs": _MEDIA,
    }
)

_ALIASES: Final[Mapping[str, str]] = MappingProxyType({"chat": "conversational"})


def task_name(task: str) -> str:
    """The Hub's name of a task (``chat`` is ``conversational``)."""
    return _ALIASES.get(task, task)


def providers_for(task: str) -> tuple[str, ...]:
    """The providers known to serve ``task``, hf-inference first, then by name."""
    wanted = task_name(task)
    found = sorted(p for p, tasks in PROVIDER_TASKS.items() if wanted in tasks)
    if "hf-inference" in found:
        found.remove("hf-inference")
        found.insert(0, "hf-inference")
    return tuple(found)


def tasks_of(provider: str) -> frozenset[str]:
    """The tasks ``provider`` is known to serve (empty for a provider the table doesn't know)."""
    return PROVIDER_TASKS.get(provider, frozenset())


def serves(provider: str, task: str) -> bool | None:
    """True/False when the table knows; None for a policy or a provider it doesn't know."""
    if provider in POLICIES or provider not in PROVIDER_TASKS:
        return None
    return task_name(task) in PROVIDER_TASKS[provider]


def provider_check(provider: object, task: str, *, field: str = "provider") -> InvalidInput | None:
    """``InvalidInput(field, ...)`` when the table knows ``provider`` and it doesn't serve
    ``task`` (the reason names the providers that do); None otherwise. Never raises."""
    if type(provider) is not str or type(task) is not str:
        return None  # the request's own type checks report those
    if serves(provider, task) is not False:
        return None
    wanted = task_name(task)
    others = providers_for(wanted)
    if not others:
        return InvalidInput(field, f"{provider} doesn't serve {wanted}")
    doing = ", ".join(others)
    hint = ""
    if wanted == "conversational":
        hint = " (or let the router choose: " + ", ".join(f":{p}" for p in sorted(POLICIES)) + ")"
    return InvalidInput(
        field, f"{provider} doesn't serve {wanted}; the providers that do: {doing}{hint}"
    )


__all__ = [
    "HF_INFERENCE_TASKS",
    "POLICIES",
    "PROVIDER_TASKS",
    "provider_check",
    "providers_for",
    "serves",
    "task_name",
    "tasks_of",
]
