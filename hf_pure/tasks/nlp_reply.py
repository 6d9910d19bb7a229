"""NLP task replies as values (WIRE.md, "hf-inference tasks"); decoded in
:mod:`hf_pure.tasks.nlp_decode`.

Every reply is a frozen msgspec Struct shaped like the wire, decoded straight from the bytes;
a body the typed decode refuses is read again by the total readers of
:mod:`hf_pure.tasks._read`, which build the same value or name the field that was wrong.
Alternate shapes decode to the same value:

- text classification: ``[[{label, score}, ...]]`` (one list per input, as hf-inference
  answers) and the flat ``[{label, score}, ...]`` are both a :class:`TextClassification`;
- zero-shot classification: ``[{label, score}, ...]`` and the older
  ``{sequence, labels: [...], scores: [...]}`` are both a :class:`TextClassification`;
- question answering: one ``{answer, score, start, end}`` or a list of them (``top_k``) are
  both a :class:`QuestionAnswering`;
- fill-mask: ``[{sequence, score, token, token_str}, ...]`` for one mask, a list of such lists
  for several masks: both a :class:`FillMask` (one tuple of candidates per mask);
- summarization / translation: ``[{summary_text}]`` or a bare ``{summary_text}``.

Field rules are the readers' (missing or ``null`` optional fields take their default, unknown
fields are ignored, a wrong JSON type or an out-of-range number is ``MalformedResponse`` naming
the path); the fields a value means nothing without are required (a label's ``label`` and
``score``, an answer's ``answer``, ``score``, ``start`` and ``end``, ...).
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

import msgspec

# Bounded so the typed path never accepts what the total readers refuse: integers within
# int64 (msgspec takes no wider bound; the readers also take up to 2**64 - 1, so those few go
# the lenient way to the same value), numbers the readers take as finite floats.
Int: TypeAlias = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Score: TypeAlias = Annotated[float, msgspec.Meta(ge=-(2.0**1000), le=2.0**1000)]

# ----------------------------------------------------------------------------- the values


class Summary(msgspec.Struct, frozen=True, gc=False):
    """A summarization reply: ``summary_text`` (also ``.text``)."""

    summary_text: str

    @property
    def text(self) -> str:
        return self.summary_text


class TranslatedText(msgspec.Struct, frozen=True, gc=False):
    """A translation reply: ``translation_text`` (also ``.text``)."""

    translation_text: str

    @property
    def text(self) -> str:
        return self.translation_text


class TextLabel(msgspec.Struct, frozen=True, gc=False):
    """One label and its score."""

    label: str
    score: Score


class TextClassification(msgspec.Struct, frozen=True, gc=False):
    """Labels with scores, as the server ordered them (text and zero-shot classification).

    With softmax (the default) the scores sum to 1; with ``function_to_apply="sigmoid"`` or
    ``multi_label=True`` each is independent."""

    labels: tuple[TextLabel, ...] = ()

    @property
    def best(self) -> TextLabel | None:
        """The label with the highest score (the first of equals), or None when empty."""
        return max(self.labels, key=_score, default=None)

    @property
    def label(self) -> str | None:
        best = self.best
        return best.label if best is not None else None

    def score_of(self, label: str) -> float | None:
        """The score of ``label`` (None when the reply doesn't name it)."""
        for item in self.labels:
            if item.label == label:
                return item.score
        return None


class Entity(msgspec.Struct, frozen=True, gc=False):
    """One entity (or, without aggregation, one token) found in the text.

    With an ``aggregation_strategy`` other than ``"none"`` the server names its group
    (``entity_group``, e.g. ``"PER"``); without aggregation it names the token's tag
    (``entity``, e.g. ``"B-PER"``) and its ``index``. ``label`` is whichever was given.
    ``start``/``end`` are character offsets into the input (None when the tokenizer can't
    tell)."""

    word: str
    score: Score
    entity_group: str | None = None
    entity: str | None = None
    start: Int | None = None
    end: Int | None = None
    index: Int | None = None

    @property
    def label(self) -> str:
        return self.entity_group or self.entity or ""


class TokenClassification(msgspec.Struct, frozen=True, gc=False):
    """The entities found, in the order of the text."""

    entities: tuple[Entity, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(entity.label for entity in self.entities)


class MaskFill(msgspec.Struct, frozen=True, gc=False):
    """One candidate for a mask: the filled ``sequence``, the token's id and text."""

    sequence: str
    score: Score
    token_str: str
    token: Int | None = None


class FillMask(msgspec.Struct, frozen=True, gc=False):
    """The candidates for each mask of the input (``masks[i]`` for the i-th mask; the wire
    gives a flat list for one mask and a list per mask for several)."""

    masks: tuple[tuple[MaskFill, ...], ...] = ()

    @property
    def candidates(self) -> tuple[MaskFill, ...]:
        """The first mask's candidates (the only mask, usually)."""
        return self.masks[0] if self.masks else ()

    @property
    def best(self) -> MaskFill | None:
        return max(self.candidates, key=_score, default=None)

    @property
    def sequence(self) -> str | None:
        best = self.best
        return best.sequence if best is not None else None


class AnswerSpan(msgspec.Struct, frozen=True, gc=False):
    """An answer: its text, score and character span in the context
    (``context[start:end] == answer``; an impossible answer is ``""`` at 0..0)."""

    answer: str
    score: Score
    start: Int
    end: Int


class QuestionAnswering(msgspec.Struct, frozen=True, gc=False):
    """The answers found (one, or up to ``top_k``), best first as the server ordered them."""

    answers: tuple[AnswerSpan, ...] = ()

    @property
    def best(self) -> AnswerSpan | None:
        return max(self.answers, key=_score, default=None)

    @property
    def answer(self) -> str | None:
        best = self.best
        return best.answer if best is not None else None


class TableAnswer(msgspec.Struct, frozen=True, gc=False):
    """A table question's answer: the text, the ``(row, column)`` of each cell used, their
    contents, and the aggregation applied (``"NONE"``, ``"SUM"``, ``"COUNT"``, ...)."""

    answer: str
    coordinates: tuple[tuple[Int, Int], ...] = ()
    cells: tuple[str, ...] = ()
    aggregator: str | None = None


class ZeroShotColumns(msgspec.Struct, frozen=True, gc=False):
    """The older zero-shot reply: labels and scores in two parallel arrays."""

    labels: tuple[str, ...]
    scores: tuple[Score, ...]
    sequence: str | None = None


def _score(item: TextLabel | MaskFill | AnswerSpan) -> float:
    return item.score


__all__ = [
    "AnswerSpan",
    "Entity",
    "FillMask",
    "MaskFill",
    "QuestionAnswering",
    "Summary",
    "TableAnswer",
    "TextClassification",
    "TextLabel",
    "TokenClassification",
    "TranslatedText",
    "ZeroShotColumns",
]
