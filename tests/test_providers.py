"""Providers and models, pure: which provider serves which task (WIRE.md's table), the check a
task request calls, the routing policies as chat modifiers, and the crate's model constants."""

from __future__ import annotations

import pytest
from toolz import pipe

import hf_pure as hf
from hf_pure.tasks.chat import CHAT_ROUTES
from hf_pure.tasks.chat_checks import NO_CHAT
from hf_pure.tasks.models import KNOWN_MODELS, task_of
from hf_pure.tasks.providers import (
    HF_INFERENCE_TASKS,
    POLICIES,
    PROVIDER_TASKS,
    provider_check,
    providers_for,
    serves,
)
from hf_pure.tasks.validate import check_repo_id

LIMITS = hf.Limits()
MODEL = "meta-llama/Llama-3.1-8B-Instruct"

# WIRE.md, written out again: the task table's tasks (hf-inference serves them all) and the
# "Chat routes per provider" table with each provider's other tasks.
WIRE_TASKS = (
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
    "automatic-speech-recognition",
    "audio-classification",
    "audio-to-audio",
    "text-to-speech",
)
WIRE_CHAT = (
    *("hf-inference", "fireworks-ai", "novita", "groq", "cohere", "deepinfra", "together"),
    *("nebius", "sambanova", "cerebras", "hyperbolic", "featherless-ai", "scaleway", "nscale"),
    *("baseten", "ovhcloud", "publicai", "zai-org", "openai"),
)
WIRE_NO_CHAT = ("fal-ai", "replicate", "wavespeed", "black-forest-labs")
WIRE_OTHER = {
    "novita": ("text-generation", "text-to-video"),
    "deepinfra": ("feature-extraction", "automatic-speech-recognition", "text-to-speech"),
    "together": ("feature-extraction", "text-to-image", "text-to-speech"),
    "fal-ai": ("text-to-image", "automatic-speech-recognition", "text-to-speech"),
    "replicate": ("text-to-image", "automatic-speech-recognition", "text-to-speech"),
}


def test_the_table_holds_wire_md() -> None:
    assert set(WIRE_TASKS) <= HF_INFERENCE_TASKS
    for provider in WIRE_CHAT:
        assert serves(provider, "chat"), provider
    for provider in WIRE_NO_CHAT:
        assert serves(provider, "conversational") is False, provider
    for provider, tasks in WIRE_OTHER.items():
        for task in tasks:
            assert serves(provider, task), (provider, task)
    assert set(PROVIDER_TASKS) == {*WIRE_CHAT, *WIRE_NO_CHAT}


def test_the_table_agrees_with_the_chat_routes() -> None:
    for provider in CHAT_ROUTES:
        assert serves(provider, "chat")
    assert {p for p, tasks in PROVIDER_TASKS.items() if "conversational" not in tasks} == NO_CHAT


def test_a_task_sent_to_a_provider_that_does_not_serve_it_names_those_that_do() -> None:
    problem = provider_check("groq", "feature-extraction")
    assert problem is not None and problem.field == "provider"
    assert problem.reason == (
        "groq doesn't serve feature-extraction; the providers that do: "
        "hf-inference, deepinfra, scaleway, together"
    )
    assert providers_for("feature-extraction") == (
        "hf-inference",
        "deepinfra",
        "scaleway",
        "together",
    )


def test_chat_refusals_mention_the_policies() -> None:
    problem = provider_check("fal-ai", "chat", field="model")
    assert problem is not None and problem.field == "model"
    assert "fal-ai doesn't serve conversational" in problem.reason
    assert ":cheapest, :fastest, :preferred" in problem.reason


@pytest.mark.parametrize(
    ("provider", "task"),
    [
        ("hf-inference", "fill-mask"),
        ("together", "feature-extraction"),
        ("fastest", "feature-extraction"),  # a policy: the router picks among those that do
        ("cheapest", "chat"),
        ("preferred", "text-to-speech"),
        ("some-new-cloud", "chat"),  # unknown to the table: the router answers for it
        (3, "chat"),  # a wrong type is the request's own check's to report
    ],
)
def test_what_passes(provider: object, task: str) -> None:
    assert provider_check(provider, task) is None


def test_policies_are_the_routers_three() -> None:
    assert frozenset({"fastest", "cheapest", "preferred"}) == POLICIES


# ------------------------------------------------------------------ chat suffixes


@pytest.mark.parametrize("suffix", ["groq", "together", "hf-inference", *sorted(POLICIES)])
def test_chat_takes_a_provider_that_serves_chat_or_a_policy(suffix: str) -> None:
    assert hf.chat(f"{MODEL}:{suffix}", ["hi"]).check(LIMITS) is None


def test_chat_refuses_a_provider_that_serves_no_chat() -> None:
    problem = hf.chat(f"{MODEL}:replicate", ["hi"]).check(LIMITS)
    assert problem is not None and problem.field == "model"
    assert problem.reason.startswith(
        "replicate doesn't serve conversational; the providers that do: hf-inference, "
    )


@pytest.mark.parametrize(
    ("modifier", "suffix"),
    [(hf.fastest, "fastest"), (hf.cheapest, "cheapest"), (hf.preferred, "preferred")],
)
def test_the_policy_modifiers_set_the_suffix(modifier: object, suffix: str) -> None:
    request = pipe(hf.chat(f"{MODEL}:groq", ["hi"]), modifier())  # type: ignore[operator]
    assert request.model == f"{MODEL}:{suffix}"  # replacing the provider set before
    assert request.check(LIMITS) is None
    assert pipe(hf.chat(MODEL, ["hi"]), modifier(), hf.provider("groq")).model == f"{MODEL}:groq"  # type: ignore[operator]


def test_a_policy_modifier_on_text_generation_is_reported() -> None:
    request = pipe(hf.text_generation("gpt2", "hi"), hf.fastest())
    problem = request.check(LIMITS)
    assert problem is not None and problem.field == "provider"
    assert "is for chat" in problem.reason


# ------------------------------------------------------------------ model constants


def test_the_crates_models_each_with_its_task() -> None:
    assert dict(KNOWN_MODELS) == {
        "moonshotai/Kimi-K2-Instruct-0905": "conversational",
        "meta-llama/Llama-3.1-8B-Instruct": "conversational",
        "meta-llama/Llama-3.3-70B-Instruct": "conversational",
        "mistralai/Mistral-7B-Instruct-v0.3": "conversational",
        "codellama/CodeLlama-34b-Instruct-hf": "conversational",
        "sentence-transformers/all-MiniLM-L6-v2": "feature-extraction",
        "sentence-transformers/all-MiniLM-L12-v2": "feature-extraction",
        "BAAI/bge-large-en-v1.5": "feature-extraction",
        "facebook/bart-large-cnn": "summarization",
        "gpt2": "text-generation",
    }
    constants = {k: v for k, v in vars(hf.Models).items() if k.isupper()}
    assert set(constants.values()) == set(KNOWN_MODELS)
    assert hf.Models.LLAMA_3_1_8B_INSTRUCT == MODEL
    for model in KNOWN_MODELS:
        assert check_repo_id(model, LIMITS) is None
        assert providers_for(KNOWN_MODELS[model])[0] == "hf-inference"


def test_task_of() -> None:
    assert task_of(hf.Models.BART_LARGE_CNN) == "summarization"
    assert task_of(f"{hf.Models.KIMI_K2_INSTRUCT}:together") == "conversational"
    assert task_of("nobody/nothing") is None
    assert task_of(3) is None  # type: ignore[arg-type]


def test_a_constant_goes_where_a_model_id_goes() -> None:
    request = hf.chat(hf.Models.MISTRAL_7B_INSTRUCT, ["hi"])
    assert request.check(LIMITS) is None
    assert b'"model":"mistralai/Mistral-7B-Instruct-v0.3"' in (request.to_call().body or b"")
