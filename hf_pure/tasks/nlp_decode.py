"""The total decoders of the NLP task replies (:mod:`hf_pure.tasks.nlp_reply` has the values).

Each decoder tries the typed path first: the body decoded straight into the reply's wire type
(picked by a peek at the bytes where two array shapes occur: ``[[`` is one list per input or
per mask), then shaped into the value. A body the typed path refuses is parsed and read by the
readers of :mod:`hf_pure.tasks.nlp_reply_read`.
"""

from __future__ import annotations

from typing import Any, Final

from returns.result import Result

from hf_pure.core.errors import HfError
from hf_pure.core.http import RawReply
from hf_pure.tasks._decode import decode_json, lazy_decoder
from hf_pure.tasks._read import Bad
from hf_pure.tasks.nlp_reply import (
    AnswerSpan,
    Entity,
    FillMask,
    MaskFill,
    QuestionAnswering,
    Summary,
    TableAnswer,
    TextClassification,
    TextLabel,
    TokenClassification,
    TranslatedText,
    ZeroShotColumns,
)
from hf_pure.tasks.nlp_reply_read import (
    nested_body,
    one_input,
    read_fill_mask,
    read_question_answering,
    read_summary,
    read_table_answer,
    read_text_classification,
    read_token_classification,
    read_translation,
    read_zero_shot,
    unlabelled,
    zip_columns,
)

# ------------------------------------------------------------------------ the decoders
# The typed path: the body decoded straight into the reply's wire type, then shaped into the
# value (``finish``); anything it refuses goes to the readers (nlp_reply_read).

_SUMMARY: Final = lazy_decoder(list[Summary] | Summary)
_TRANSLATION: Final = lazy_decoder(list[TranslatedText] | TranslatedText)
_LABELS: Final = lazy_decoder(tuple[TextLabel, ...])
_LABEL_LISTS: Final = lazy_decoder(tuple[tuple[TextLabel, ...], ...])
_ZERO_SHOT: Final = lazy_decoder(tuple[TextLabel, ...] | ZeroShotColumns)
_ENTITIES: Final = lazy_decoder(tuple[Entity, ...])
_MASK_FILLS: Final = lazy_decoder(tuple[MaskFill, ...])
_MASK_LISTS: Final = lazy_decoder(tuple[tuple[MaskFill, ...], ...])
_SPANS: Final = lazy_decoder(tuple[AnswerSpan, ...] | AnswerSpan)
_TABLE_ANSWER: Final = lazy_decoder(TableAnswer)


def _first_text(got: Any) -> Any:
    if type(got) is list:
        return got[0] if got else Bad("", "an empty array")  # the reader says it in full
    return got


def decode_summary(reply: RawReply) -> Result[Summary, HfError]:
    return decode_json(reply, _SUMMARY, read_summary, _first_text)


def decode_translation(reply: RawReply) -> Result[TranslatedText, HfError]:
    return decode_json(reply, _TRANSLATION, read_translation, _first_text)


def _one_list(lists: tuple[tuple[TextLabel, ...], ...]) -> TextClassification | Bad:
    return one_input(lists, "labels") or TextClassification(labels=lists[0])


def decode_text_classification(reply: RawReply) -> Result[TextClassification, HfError]:
    if nested_body(reply.body):
        return decode_json(reply, _LABEL_LISTS, read_text_classification, _one_list)
    return decode_json(reply, _LABELS, read_text_classification, _labelled)


def _labelled(labels: tuple[TextLabel, ...]) -> TextClassification:
    return TextClassification(labels=labels)


def _zero_shot(got: tuple[TextLabel, ...] | ZeroShotColumns) -> TextClassification | Bad:
    if isinstance(got, ZeroShotColumns):
        return zip_columns(got.labels, got.scores)
    return TextClassification(labels=got)


def decode_zero_shot(reply: RawReply) -> Result[TextClassification, HfError]:
    return decode_json(reply, _ZERO_SHOT, read_zero_shot, _zero_shot)


def _entities(got: tuple[Entity, ...]) -> TokenClassification | Bad:
    for i, entity in enumerate(got):
        problem = unlabelled(entity, f"[{i}]")
        if problem is not None:
            return problem
    return TokenClassification(entities=got)


def decode_token_classification(reply: RawReply) -> Result[TokenClassification, HfError]:
    return decode_json(reply, _ENTITIES, read_token_classification, _entities)


def _one_mask(got: tuple[MaskFill, ...]) -> FillMask:
    return FillMask(masks=(got,))


def _per_mask(got: tuple[tuple[MaskFill, ...], ...]) -> FillMask:
    return FillMask(masks=got)


def decode_fill_mask(reply: RawReply) -> Result[FillMask, HfError]:
    if nested_body(reply.body):
        return decode_json(reply, _MASK_LISTS, read_fill_mask, _per_mask)
    return decode_json(reply, _MASK_FILLS, read_fill_mask, _one_mask)


def _answers(got: tuple[AnswerSpan, ...] | AnswerSpan) -> QuestionAnswering:
    return QuestionAnswering(answers=(got,) if isinstance(got, AnswerSpan) else got)


def decode_question_answering(reply: RawReply) -> Result[QuestionAnswering, HfError]:
    return decode_json(reply, _SPANS, read_question_answering, _answers)


def decode_table_answer(reply: RawReply) -> Result[TableAnswer, HfError]:
    return decode_json(reply, _TABLE_ANSWER, read_table_answer)


__all__ = [
    "decode_fill_mask",
    "decode_question_answering",
    "decode_summary",
    "decode_table_answer",
    "decode_text_classification",
    "decode_token_classification",
    "decode_translation",
    "decode_zero_shot",
]
