"""The NLP tasks of hf-inference: one builder each, returning a :class:`TaskRequest`.

    request = hf.summarization("facebook/bart-large-cnn", article, max_length=60)
    request = hf.zero_shot_classification("facebook/bart-large-mnli", text, ["sport", "money"])
    match await runner.run(request):
        case Success(labels): print(labels.label)

On the wire (WIRE.md): ``POST {router}/hf-inference/models/{repo id}`` with
``{"inputs": ..., "parameters": {...}}``; the reply types and their decoders are in
:mod:`hf_pure.tasks.nlp_reply` and :mod:`hf_pure.tasks.nlp_decode`.

Builders take the task's parameters as keywords (None: not set, the server's default) and
never raise for data: every value goes into the request and ``check()`` (``hf.validate`` or
``runner.run``) reports what is wrong as ``InvalidInput`` naming the field, through one check
table per task. Any other parameter can be set with ``hf.option(name, value)``. Inputs are
one text (batches are not split here); question answering and table question answering take
their two parts as separate arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from hf_pure.tasks.inference import TaskRequest, TaskSpec, task_request
from hf_pure.tasks.nlp_checks import (
    FILL_MASK_CHECKS,
    QUESTION_ANSWERING_CHECKS,
    SUMMARIZATION_CHECKS,
    TABLE_QUESTION_ANSWERING_CHECKS,
    TEXT_CLASSIFICATION_CHECKS,
    TOKEN_CLASSIFICATION_CHECKS,
    TRANSLATION_CHECKS,
    ZERO_SHOT_CHECKS,
    one_text,
    query_and_table,
    question_and_context,
)
from hf_pure.tasks.nlp_decode import (
    decode_fill_mask,
    decode_question_answering,
    decode_summary,
    decode_table_answer,
    decode_text_classification,
    decode_token_classification,
    decode_translation,
    decode_zero_shot,
)
from hf_pure.tasks.nlp_reply import (
    FillMask,
    QuestionAnswering,
    Summary,
    TableAnswer,
    TextClassification,
    TokenClassification,
    TranslatedText,
)
from hf_pure.tasks.options import Unsendable

# ------------------------------------------------------------------------------ the specs

_SUMMARIZATION: TaskSpec[Summary] = TaskSpec(
    task="summarization",
    decode=decode_summary,
    checks=SUMMARIZATION_CHECKS,
    check_inputs=one_text,
)
_TRANSLATION: TaskSpec[TranslatedText] = TaskSpec(
    task="translation",
    decode=decode_translation,
    checks=TRANSLATION_CHECKS,
    check_inputs=one_text,
)
_TEXT_CLASSIFICATION: TaskSpec[TextClassification] = TaskSpec(
    task="text-classification",
    decode=decode_text_classification,
    checks=TEXT_CLASSIFICATION_CHECKS,
    check_inputs=one_text,
)
_TOKEN_CLASSIFICATION: TaskSpec[TokenClassification] = TaskSpec(
    task="token-classification",
    decode=decode_token_classification,
    checks=TOKEN_CLASSIFICATION_CHECKS,
    check_inputs=one_text,
)
_FILL_MASK: TaskSpec[FillMask] = TaskSpec(
    task="fill-mask",
    decode=decode_fill_mask,
    checks=FILL_MASK_CHECKS,
    check_inputs=one_text,
)
_QUESTION_ANSWERING: TaskSpec[QuestionAnswering] = TaskSpec(
    task="question-answering",
    decode=decode_question_answering,
    checks=QUESTION_ANSWERING_CHECKS,
    check_inputs=question_and_context,
)
_ZERO_SHOT: TaskSpec[TextClassification] = TaskSpec(
    task="zero-shot-classification",
    decode=decode_zero_shot,
    checks=ZERO_SHOT_CHECKS,
    check_inputs=one_text,
)
_TABLE_QUESTION_ANSWERING: TaskSpec[TableAnswer] = TaskSpec(
    task="table-question-answering",
    decode=decode_table_answer,
    checks=TABLE_QUESTION_ANSWERING_CHECKS,
    check_inputs=query_and_table,
)

#: Every NLP task's spec by its wire name.
NLP_TASKS: Mapping[str, TaskSpec[Any]] = MappingProxyType(
    {
        spec.task: spec
        for spec in (
            _SUMMARIZATION,
            _TRANSLATION,
            _TEXT_CLASSIFICATION,
            _TOKEN_CLASSIFICATION,
            _FILL_MASK,
            _QUESTION_ANSWERING,
            _ZERO_SHOT,
            _TABLE_QUESTION_ANSWERING,
        )
    }
)

# ---------------------------------------------------------------------------- the builders


def summarization(
    model: str,
    text: str,
    *,
    min_length: int | None = None,
    max_length: int | None = None,
    clean_up_tokenization_spaces: bool | None = None,
    truncation: str | None = None,
    generate_parameters: Mapping[str, Any] | None = None,
) -> TaskRequest[Summary]:
    """Summarize ``text``: ``[{"summary_text"}]`` -> :class:`Summary`. ``min_length`` and
    ``max_length`` bound the summary in tokens; ``truncation`` is one of ``nlp_checks.TRUNCATIONS``;
    ``generate_parameters`` are passed to generation as they are."""
    return task_request(
        _SUMMARIZATION,
        model,
        text,
        {
            "min_length": min_length,
            "max_length": max_length,
            "clean_up_tokenization_spaces": clean_up_tokenization_spaces,
            "truncation": truncation,
            "generate_parameters": generate_parameters,
        },
    )


def translation(
    model: str,
    text: str,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    max_length: int | None = None,
    clean_up_tokenization_spaces: bool | None = None,
    truncation: str | None = None,
    generate_parameters: Mapping[str, Any] | None = None,
) -> TaskRequest[TranslatedText]:
    """Translate ``text``: ``[{"translation_text"}]`` -> :class:`TranslatedText`.
    ``src_lang``/``tgt_lang`` are needed by multilingual models (codes as the model names
    them, e.g. ``"en_XX"`` for mBART, ``"fra_Latn"`` for NLLB); a one-pair model such as
    Helsinki-NLP/opus-mt-en-fr doesn't need them."""
    return task_request(
        _TRANSLATION,
        model,
        text,
        {
            "src_lang": src_lang,
            "tgt_lang": tgt_lang,
            "max_length": max_length,
            "clean_up_tokenization_spaces": clean_up_tokenization_spaces,
            "truncation": truncation,
            "generate_parameters": generate_parameters,
        },
    )


def text_classification(
    model: str,
    text: str,
    *,
    top_k: int | None = None,
    function_to_apply: str | None = None,
) -> TaskRequest[TextClassification]:
    """Classify ``text``: :class:`TextClassification` (``.label`` is the best). ``top_k``
    keeps the best k labels; ``function_to_apply`` is ``"softmax"`` (scores sum to 1),
    ``"sigmoid"`` (each independent) or ``"none"`` (raw logits)."""
    return task_request(
        _TEXT_CLASSIFICATION,
        model,
        text,
        {"top_k": top_k, "function_to_apply": function_to_apply},
    )


def token_classification(
    model: str,
    text: str,
    *,
    aggregation_strategy: str | None = None,
    ignore_labels: Iterable[str] | None = None,
    stride: int | None = None,
) -> TaskRequest[TokenClassification]:
    """Find entities in ``text``: :class:`TokenClassification`. ``aggregation_strategy``
    (one of ``nlp_checks.AGGREGATIONS``) groups tokens into entities (``entity_group``);
    ``"none"`` gives one item per token (``entity`` and ``index``). ``ignore_labels``
    replaces the server's default ``["O"]``."""
    return task_request(
        _TOKEN_CLASSIFICATION,
        model,
        text,
        {
            "aggregation_strategy": aggregation_strategy,
            "ignore_labels": _strings(ignore_labels),
            "stride": stride,
        },
    )


def fill_mask(
    model: str,
    text: str,
    *,
    targets: str | Iterable[str] | None = None,
    top_k: int | None = None,
    mask_token: str | None = None,
) -> TaskRequest[FillMask]:
    """Fill the mask token(s) in ``text``: :class:`FillMask`, one tuple of candidates per
    mask. The mask token is the model's own (``[MASK]`` for BERT, ``<mask>`` for RoBERTa and
    BART): the client can't know it, so give ``mask_token`` to have ``check()`` make sure the
    text holds it (it is not sent). ``targets`` limits the candidates to these words."""
    if mask_token is not None and type(mask_token) is not str:
        raise TypeError(f"fill_mask(): mask_token must be a str, got {mask_token!r:.40}")
    inputs: Any = text
    if mask_token and type(text) is str and mask_token not in text:
        inputs = Unsendable(f"doesn't contain the mask token {mask_token!r}")
    return task_request(
        _FILL_MASK,
        model,
        inputs,
        {"targets": _strings(targets), "top_k": top_k},
    )


def question_answering(
    model: str,
    question: str,
    context: str,
    *,
    top_k: int | None = None,
    doc_stride: int | None = None,
    max_answer_len: int | None = None,
    max_seq_len: int | None = None,
    max_question_len: int | None = None,
    handle_impossible_answer: bool | None = None,
    align_to_words: bool | None = None,
) -> TaskRequest[QuestionAnswering]:
    """Answer ``question`` from ``context``: :class:`QuestionAnswering` (one answer, or up to
    ``top_k``), each with its span: ``context[start:end] == answer``."""
    return task_request(
        _QUESTION_ANSWERING,
        model,
        {"question": question, "context": context},
        {
            "top_k": top_k,
            "doc_stride": doc_stride,
            "max_answer_len": max_answer_len,
            "max_seq_len": max_seq_len,
            "max_question_len": max_question_len,
            "handle_impossible_answer": handle_impossible_answer,
            "align_to_words": align_to_words,
        },
    )


def zero_shot_classification(
    model: str,
    text: str,
    candidate_labels: str | Iterable[str] | None,
    *,
    multi_label: bool | None = None,
    hypothesis_template: str | None = None,
) -> TaskRequest[TextClassification]:
    """Score ``text`` against ``candidate_labels`` (required, at least one; one string is
    split at commas, as the server splits it): :class:`TextClassification`, best first.
    ``multi_label`` scores each label on its own (scores don't sum to 1);
    ``hypothesis_template`` (with ``{}`` for the label) defaults to
    ``"This example is {}."``."""
    labels: Any = _strings(candidate_labels, split=True)
    if labels is None:
        labels = Unsendable("is required: the labels to score the text against")
    return task_request(
        _ZERO_SHOT,
        model,
        text,
        {
            "candidate_labels": labels,
            "multi_label": multi_label,
            "hypothesis_template": hypothesis_template,
        },
    )


def table_question_answering(
    model: str,
    query: str,
    table: Mapping[str, Iterable[str]],
    *,
    padding: str | None = None,
    sequential: bool | None = None,
    truncation: bool | None = None,
) -> TaskRequest[TableAnswer]:
    """Answer ``query`` from ``table`` (column name -> cells, as text): :class:`TableAnswer`."""
    columns: Any = table
    if isinstance(table, Mapping):
        columns = {
            name: cells if isinstance(cells, str) else _listed(cells)
            for name, cells in table.items()
        }
    return task_request(
        _TABLE_QUESTION_ANSWERING,
        model,
        {"query": query, "table": columns},
        {"padding": padding, "sequential": sequential, "truncation": truncation},
    )


def _listed(cells: Any) -> Any:
    return list(cells) if isinstance(cells, Iterable) and not isinstance(cells, bytes) else cells


def _strings(value: Any, *, split: bool = False) -> Any:
    """Labels as a tuple: one string as one label (``split``: at commas, blanks dropped), any
    other iterable as its items; other values as they are, for ``check()`` to report."""
    if isinstance(value, str):
        if not split:
            return (value,)
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        return tuple(value)
    return value


__all__ = [
    "NLP_TASKS",
    "fill_mask",
    "question_answering",
    "summarization",
    "table_question_answering",
    "text_classification",
    "token_classification",
    "translation",
    "zero_shot_classification",
]
