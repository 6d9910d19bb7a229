"""The total readers of the NLP task replies: a body the typed decode of
:mod:`hf_pure.tasks.nlp_decode` refuses is parsed and read here, with :mod:`hf_pure.tasks._read`.
They accept every shape the typed path accepts (and give the same value; tests/test_nlp_fuzz.py
checks it), tolerate the quirks, and name the field that was wrong otherwise. The values are in
:mod:`hf_pure.tasks.nlp_reply`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any, Final

from hf_pure.tasks._read import (
    Bad,
    Reader,
    Spec,
    array,
    each,
    fields,
    integer,
    kind_of,
    need_object,
    number,
    path_of,
    text,
)
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
)

# ------------------------------------------------------------------- the total readers


_EXPECTED: Final[MappingProxyType[Reader, str]] = MappingProxyType(
    {text: "text", number: "a number", integer: "an integer", array: "an array"}
)


def _record(item: Any, at: str, spec: Spec, required: int) -> list[Any] | Bad:
    """The fields of ``spec`` read from the object ``item``; the first ``required`` of them
    must be present."""
    obj = need_object(item, at)
    if isinstance(obj, Bad):
        return obj
    got = fields(obj, at, spec)
    if isinstance(got, Bad):
        return got
    for i in range(required):
        if got[i] is None:
            key, read = spec[i]
            return Bad(path_of(at, key), f"missing (expected {_EXPECTED[read]})")
    return got


def _items(value: Any, at: str, read: Callable[[Any, str], Any]) -> tuple[Any, ...] | Bad:
    """``read`` over the items of the array ``value`` at path ``at`` (``at[i]`` each)."""
    if type(value) is not list:
        return Bad(at, f"expected an array, got {kind_of(value)}")
    out = []
    for i, item in enumerate(value):
        got = read(item, f"{at}[{i}]")
        if isinstance(got, Bad):
            return got
        out.append(got)
    return tuple(out)


def _nested(obj: Any) -> bool:
    """A JSON array whose first item is an array (one list per input or per mask)."""
    return type(obj) is list and bool(obj) and type(obj[0]) is list


def nested_body(body: bytes) -> bool:
    """The same question asked of the raw bytes (``[[`` after whitespace), to pick the typed
    decoder without parsing twice."""
    stripped = body.lstrip()
    if stripped[:1] != b"[":
        return False
    return stripped[1:].lstrip()[:1] == b"["


_TEXT_SPEC: Spec = (("summary_text", text),)
_TRANSLATION_SPEC: Spec = (("translation_text", text),)


def _one_text(obj: Any, spec: Spec, make: Callable[[str], Any], what: str) -> Any:
    """A bare object, or the first of an array of them (every item is read)."""

    def read(item: Any, at: str) -> Any:
        got = _record(item, at, spec, 1)
        return got if isinstance(got, Bad) else make(got[0])

    if type(obj) is dict:
        return read(obj, "")
    got = _items(obj, "", read)
    if isinstance(got, Bad):
        return got
    return got[0] if got else Bad("", f"an empty array (expected one {what})")


def read_summary(obj: Any) -> Summary | Bad:
    """``[{"summary_text"}]`` or ``{"summary_text"}``."""
    got: Summary | Bad = _one_text(obj, _TEXT_SPEC, _summary, "summary")
    return got


def read_translation(obj: Any) -> TranslatedText | Bad:
    """``[{"translation_text"}]`` or ``{"translation_text"}``."""
    got: TranslatedText | Bad = _one_text(obj, _TRANSLATION_SPEC, _translated, "translation")
    return got


def _summary(summary_text: str) -> Summary:
    return Summary(summary_text=summary_text)


def _translated(translation_text: str) -> TranslatedText:
    return TranslatedText(translation_text=translation_text)


_LABEL: Spec = (("label", text), ("score", number))


def _label(item: Any, at: str) -> TextLabel | Bad:
    got = _record(item, at, _LABEL, 2)
    return got if isinstance(got, Bad) else TextLabel(label=got[0], score=got[1])


def _labels(obj: Any, at: str = "") -> TextClassification | Bad:
    got = _items(obj, at, _label)
    return got if isinstance(got, Bad) else TextClassification(labels=got)


def one_input(lists: list[Any] | tuple[Any, ...], what: str) -> Bad | None:
    if len(lists) != 1:
        return Bad("", f"{len(lists)} lists of {what} (expected the {what} of one input)")
    return None


def read_text_classification(obj: Any) -> TextClassification | Bad:
    """``[[{label, score}, ...]]`` (one list for the one input) or ``[{label, score}, ...]``."""
    if _nested(obj):
        return one_input(obj, "labels") or _labels(obj[0], "[0]")
    return _labels(obj)


_COLUMNS: Spec = (("labels", array), ("scores", array), ("sequence", text))


def read_zero_shot(obj: Any) -> TextClassification | Bad:
    """``[{label, score}, ...]`` or the older ``{sequence, labels: [...], scores: [...]}``."""
    if type(obj) is not dict:
        return _labels(obj)
    got = _record(obj, "", _COLUMNS, 2)
    if isinstance(got, Bad):
        return got
    labels = each(got[0], "", "labels", _need(text))
    if isinstance(labels, Bad):
        return labels
    scores = each(got[1], "", "scores", _need(number))
    if isinstance(scores, Bad):
        return scores
    return zip_columns(labels, scores)


def zip_columns(labels: tuple[str, ...], scores: tuple[float, ...]) -> TextClassification | Bad:
    if len(labels) != len(scores):
        return Bad("scores", f"{len(scores)} scores for {len(labels)} labels")
    return TextClassification(
        labels=tuple(TextLabel(label=lb, score=sc) for lb, sc in zip(labels, scores, strict=True))
    )


def _need(read: Reader) -> Callable[[Any, str], Any]:
    """An array item (at path ``at``) read with ``read``; null is refused."""

    def item(value: Any, at: str) -> Any:
        got = read(value, "", "")
        if got is None:
            return Bad(at, f"expected {_EXPECTED[read]}, got null")
        return Bad(at, got.reason) if isinstance(got, Bad) else got

    return item


_ENTITY: Spec = (
    ("word", text),
    ("score", number),
    ("entity_group", text),
    ("entity", text),
    ("start", integer),
    ("end", integer),
    ("index", integer),
)


def _entity(item: Any, at: str) -> Entity | Bad:
    got = _record(item, at, _ENTITY, 2)
    if isinstance(got, Bad):
        return got
    word, score, group, tag, start, end, index = got
    made = Entity(
        word=word, score=score, entity_group=group, entity=tag, start=start, end=end, index=index
    )
    return unlabelled(made, at) or made


def unlabelled(entity: Entity, at: str) -> Bad | None:
    if entity.entity_group is None and entity.entity is None:
        return Bad(at, "missing entity_group (or entity, without aggregation)")
    return None


def read_token_classification(obj: Any) -> TokenClassification | Bad:
    """``[{entity_group, score, word, start, end}, ...]`` (``entity`` and ``index`` instead of
    ``entity_group`` without aggregation)."""
    got = _items(obj, "", _entity)
    return got if isinstance(got, Bad) else TokenClassification(entities=got)


_MASK: Spec = (("sequence", text), ("score", number), ("token_str", text), ("token", integer))


def _mask_fill(item: Any, at: str) -> MaskFill | Bad:
    got = _record(item, at, _MASK, 3)
    if isinstance(got, Bad):
        return got
    return MaskFill(sequence=got[0], score=got[1], token_str=got[2], token=got[3])


def read_fill_mask(obj: Any) -> FillMask | Bad:
    """``[{sequence, score, token, token_str}, ...]`` (one mask) or one such list per mask."""
    if _nested(obj):
        masks = each(obj, "", "", lambda inner, at: _items(inner, at, _mask_fill))
        return masks if isinstance(masks, Bad) else FillMask(masks=masks)
    got = _items(obj, "", _mask_fill)
    return got if isinstance(got, Bad) else FillMask(masks=(got,))


_SPAN: Spec = (("answer", text), ("score", number), ("start", integer), ("end", integer))


def _span(item: Any, at: str) -> AnswerSpan | Bad:
    got = _record(item, at, _SPAN, 4)
    if isinstance(got, Bad):
        return got
    return AnswerSpan(answer=got[0], score=got[1], start=got[2], end=got[3])


def read_question_answering(obj: Any) -> QuestionAnswering | Bad:
    """One ``{answer, score, start, end}`` or a list of them."""
    if type(obj) is dict:
        one = _span(obj, "")
        return one if isinstance(one, Bad) else QuestionAnswering(answers=(one,))
    got = _items(obj, "", _span)
    return got if isinstance(got, Bad) else QuestionAnswering(answers=got)


_TABLE: Spec = (
    ("answer", text),
    ("coordinates", array),
    ("cells", array),
    ("aggregator", text),
)


def _coordinate(value: Any, at: str) -> tuple[int, int] | Bad:
    if type(value) is not list or len(value) != 2:
        return Bad(at, f"expected [row, column], got {kind_of(value)}")
    row = _need(integer)(value[0], f"{at}[0]")
    if isinstance(row, Bad):
        return row
    column = _need(integer)(value[1], f"{at}[1]")
    return column if isinstance(column, Bad) else (row, column)


def read_table_answer(obj: Any) -> TableAnswer | Bad:
    """``{answer, coordinates: [[row, column], ...], cells: [...], aggregator}``."""
    got = _record(obj, "", _TABLE, 1)
    if isinstance(got, Bad):
        return got
    answer, coordinates, cells, aggregator = got
    where = each(coordinates, "", "coordinates", _coordinate)
    if isinstance(where, Bad):
        return where
    contents = each(cells, "", "cells", _need(text))
    if isinstance(contents, Bad):
        return contents
    return TableAnswer(answer=answer, coordinates=where, cells=contents, aggregator=aggregator)


__all__ = [
    "nested_body",
    "one_input",
    "read_fill_mask",
    "read_question_answering",
    "read_summary",
    "read_table_answer",
    "read_text_classification",
    "read_token_classification",
    "read_translation",
    "read_zero_shot",
    "unlabelled",
    "zip_columns",
]
