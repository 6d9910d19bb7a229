"""The NLP tasks against the real Hugging Face router. Run with ``python -m pytest
--integration`` and a token (HF_TOKEN / HUGGINGFACE_API_KEY / secret/-secrets.sh); skipped,
with the reason, without."""

from __future__ import annotations

from typing import Any

import pytest
from returns.result import Success

import hf_pure as hf
from hf_pure.tasks.inference import TaskRequest

pytestmark = pytest.mark.integration

CONTEXT = "My name is Wolfgang and I live in Berlin."


CASES: list[tuple[TaskRequest[Any], type]] = [
    (
        hf.summarization(
            "facebook/bart-large-cnn",
            "The tower is 324 metres tall, about the same height as an 81-storey building, and "
            "the tallest structure in Paris. Its base is square, measuring 125 metres a side.",
            max_length=40,
        ),
        hf.Summary,
    ),
    (hf.translation("Helsinki-NLP/opus-mt-en-fr", "Hello, my friend."), hf.TranslatedText),
    (
        hf.text_classification(
            "distilbert/distilbert-base-uncased-finetuned-sst-2-english", "I love this!"
        ),
        hf.TextClassification,
    ),
    (hf.token_classification("dslim/bert-base-NER", CONTEXT), hf.TokenClassification),
    (
        hf.fill_mask(
            "google-bert/bert-base-uncased", "Paris is the [MASK] of France.", mask_token="[MASK]"
        ),
        hf.FillMask,
    ),
    (
        hf.question_answering("deepset/roberta-base-squad2", "Where do I live?", CONTEXT),
        hf.QuestionAnswering,
    ),
    (
        hf.zero_shot_classification(
            "facebook/bart-large-mnli", "The match ended in a draw.", ["sport", "politics"]
        ),
        hf.TextClassification,
    ),
]


async def test_real_nlp_tasks(real_runner: hf.Runner) -> None:
    """Each task's real reply decodes to its value (hf-inference serves only some models at
    any time: a clear NotFound or ModelLoading is an honest answer too)."""
    served = 0
    for request, kind in CASES:
        result = await real_runner.run(request)
        match result:
            case Success(value):
                assert type(value) is kind, (request.task, value)
                served += 1
            case _:
                error = result.failure()
                assert isinstance(error, hf.NotFound | hf.ModelLoading), (request.task, error)
    assert served, "no NLP model answered"
    qa = await real_runner.run(CASES[5][0])
    if isinstance(qa, Success):
        best = qa.unwrap().best
        assert best is not None and CONTEXT[best.start : best.end] == best.answer
