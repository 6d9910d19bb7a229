"""The emulated NLP tasks that point into their input: token classification, fill-mask,
question answering and table question answering.

- token classification: capitalised words are entities (runs of them one entity), labelled
  LOC after a place preposition, ORG when a word says so (Inc, University, ...), else PER,
  ORG or MISC by a hash of the words; ``aggregation_strategy="none"`` answers one item per
  word (``entity`` ``B-``/``I-`` tags and ``index``), any other strategy one per entity
  (``entity_group``); ``ignore_labels`` (default ``["O"]``) drops items by tag or group;
- fill-mask: each mask token (the model's own: :data:`MASK_TOKENS`, else ``[MASK]``) is filled
  with words of the emulator's vocabulary picked by hashing the text (or with ``targets``),
  ``top_k`` (5) of them with falling scores; several masks answer one list per mask;
- question answering: the answer is a span of the context in the sentence sharing the most
  words with the question (capitalised words and numbers first), ``context[start:end] ==
  answer``; ``top_k`` above 1 answers a list; ``handle_impossible_answer`` answers ``""`` at
  0..0 when no sentence shares a word;
- table question answering: the column named in the query, the rows whose cells the query
  names, and an aggregator from its words (total: SUM, average: AVERAGE, how many: COUNT).
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

from ._answers import Invalid, opt_bool, opt_int
from ._catalog import ModelCard
from ._nlp_text import STOPWORDS, TaskBody, sentences, unit, words
from ._text import VOCAB, pick_words

__all__ = ["MASK_TOKENS", "SPAN_TASKS"]

#: Mask tokens of the fill-mask models that don't use BERT's ``[MASK]``.
MASK_TOKENS = MappingProxyType({"FacebookAI/roberta-base": "<mask>"})

_AGGREGATIONS = ("none", "simple", "first", "average", "max")
_PADDINGS = ("do_not_pad", "longest", "max_length")
_NOT_NAMES = frozenset(
    [
        "The",
        "A",
        "An",
        "I",
        "In",
        "On",
        "At",
        "It",
        "This",
        "That",
        "My",
        "We",
        "He",
        "She",
        "They",
        "And",
        "But",
        "Of",
        "To",
        "For",
        "Is",
        "Was",
        "Our",
        "Its",
        "His",
        "Her",
        "Their",
        "There",
        "Then",
        "When",
        "Where",
        "What",
        "Who",
        "Why",
        "How",
        "If",
        "So",
        "Yes",
        "No",
    ]
)
_PLACE_BEFORE = frozenset({"in", "at", "from", "to", "near", "into", "visited"})
_ORG_WORDS = frozenset(
    {"Inc", "Corp", "Ltd", "University", "Company", "Bank", "Group", "Institute", "Foundation"}
)
_KINDS = ("PER", "PER", "ORG", "MISC")

Word = tuple[str, int, int]


def _is_name(word: str) -> bool:
    return word[:1].isupper() and word not in _NOT_NAMES


def _label(run: list[Word], before: str) -> str:
    if before in _PLACE_BEFORE:
        return "LOC"
    if any(w in _ORG_WORDS for w, _, _ in run):
        return "ORG"
    return _KINDS[int(unit(*(w for w, _, _ in run)) * len(_KINDS))]


def _groups(text: str) -> list[tuple[list[Word], str]]:
    """Runs of name words (one entity each, joined by single spaces) and of other words."""
    found = words(text)
    out: list[tuple[list[Word], str]] = []
    i = 0
    while i < len(found):
        name = _is_name(found[i][0])
        j = i + 1
        while (
            j < len(found)
            and _is_name(found[j][0]) == name
            and (not name or text[found[j - 1][2] : found[j][1]] == " ")
        ):
            j += 1
        run = found[i:j]
        before = found[i - 1][0].lower() if i else ""
        out.append((run, _label(run, before) if name else "O"))
        i = j
    return out


def _word_score(word: str) -> float:
    return round(0.9 + 0.0999 * unit("entity", word), 6)


def _token_classification(card: ModelCard, req: TaskBody) -> object:
    text = req.text()
    strategy = req.choice("aggregation_strategy", _AGGREGATIONS, "simple")
    ignored = req.strings("ignore_labels")
    ignored = ["O"] if ignored is None else ignored
    opt_int(req.params, "stride", 0)
    out: list[dict[str, object]] = []
    index = 0
    for run, label in _groups(text):
        scores = [_word_score(w) for w, _, _ in run]
        if strategy != "none":
            start, end = run[0][1], run[-1][2]
            item = {
                "entity_group": label,
                "score": round(sum(scores) / len(scores), 6),
                "word": text[start:end],
                "start": start,
                "end": end,
            }
            if label not in ignored:
                out.append(item)
            continue
        for k, ((word, start, end), score) in enumerate(zip(run, scores, strict=True)):
            index += 1
            tag = label if label == "O" else ("B-" if k == 0 else "I-") + label
            if tag not in ignored:
                out.append(
                    {
                        "entity": tag,
                        "score": score,
                        "index": index,
                        "word": word,
                        "start": start,
                        "end": end,
                    }
                )
    return out


def _candidates(text: str, mask: int, top_k: int, targets: list[str] | None) -> list[str]:
    if targets:
        unique = list(dict.fromkeys(t.strip() for t in targets if t.strip()))
        return sorted(unique, key=lambda t: -unit(text, str(mask), t))[:top_k]
    wanted = min(top_k, len(VOCAB))
    picked: list[str] = []
    block = 0
    while len(picked) < wanted:
        key = f"{text}\x00{mask}\x00{block}".encode()
        for index in pick_words(key, 2 * wanted):
            if VOCAB[index] not in picked and len(picked) < wanted:
                picked.append(VOCAB[index])
        block += 1
    return picked


def _token_id(word: str) -> int:
    return VOCAB.index(word) + 1000 if word in VOCAB else 2000 + int(unit("token", word) * 28000)


def _fill_mask(card: ModelCard, req: TaskBody) -> object:
    text = req.text()
    mask = MASK_TOKENS.get(card.id, "[MASK]")
    pieces = text.split(mask)
    if len(pieces) < 2:
        raise Invalid(f"No mask_token ({mask}) found on the input")
    top_k = opt_int(req.params, "top_k", 1) or 5
    targets = req.strings("targets")
    if targets is not None and not any(t.strip() for t in targets):
        raise Invalid("`targets` must name at least one word")
    per_mask: list[list[dict[str, object]]] = []
    for m in range(len(pieces) - 1):
        filled: list[dict[str, object]] = []
        for rank, word in enumerate(_candidates(text, m, top_k, targets)):
            score = 0.45 * 0.5**rank * (0.9 + 0.1 * unit(text, str(m), word))
            sequence = "".join(
                piece + ((word if i == m else mask) if i < len(pieces) - 1 else "")
                for i, piece in enumerate(pieces)
            )
            filled.append(
                {
                    "sequence": sequence,
                    "score": round(score, 6),
                    "token": _token_id(word),
                    "token_str": word,
                }
            )
        per_mask.append(filled)
    return per_mask[0] if len(per_mask) == 1 else per_mask


def _spans(found: list[Word], asked: set[str], longest: int) -> list[tuple[int, int, bool]]:
    """Candidate answers in one sentence: runs of capitalised words or numbers the question
    doesn't hold (preferred), then other words it doesn't hold."""
    out: list[tuple[int, int, bool]] = []
    run: list[Word] = []
    for word in [*found, ("", 0, 0)]:
        text, low = word[0], word[0].lower()
        fresh = bool(text) and low not in asked and low not in STOPWORDS
        if fresh and (text[:1].isupper() or text[:1].isdigit()):
            run.append(word)
            continue
        if run:
            run = run[:longest]
            out.append((run[0][1], run[-1][2], True))
            run = []
        if fresh:
            out.append((word[1], word[2], False))
    return out


def _question_answering(card: ModelCard, req: TaskBody) -> object:
    question, context = req.pair("question", "context")
    if not isinstance(context, str) or not context.strip():
        raise Invalid("`inputs.context` must be a non-empty string")
    top_k = opt_int(req.params, "top_k", 1)
    longest = opt_int(req.params, "max_answer_len", 1) or 15
    for name in ("doc_stride", "max_seq_len", "max_question_len"):
        opt_int(req.params, name, 0)
    opt_bool(req.params, "align_to_words")
    impossible = bool(opt_bool(req.params, "handle_impossible_answer"))
    asked = {w.lower() for w, _, _ in words(question)} - STOPWORDS
    found: dict[tuple[int, int], float] = {}
    best_overlap = 0
    for sentence, offset in sentences(context):
        here = words(sentence, offset)
        hits = [i for i, (w, _, _) in enumerate(here) if w.lower() in asked]
        best_overlap = max(best_overlap, len(hits))
        ratio = (len(hits) + 1) / (len(asked) + 2)
        starts = [start for _, start, _ in here]
        for start, end, preferred in _spans(here, asked, longest):
            at = starts.index(start)
            near = min((abs(at - i) for i in hits), default=len(here))
            weight = (0.9 if preferred else 0.5) / (1.0 + 0.1 * near)
            jitter = 0.95 + 0.05 * unit(question, context[start:end])
            found.setdefault((start, end), round(ratio * weight * jitter, 6))
    if not found:
        first = words(context)[:1] or [(context, 0, len(context))]
        found[(first[0][1], first[0][2])] = 0.01
    ranked = sorted(found.items(), key=lambda item: -item[1])
    answers = [
        {"answer": context[start:end], "score": score, "start": start, "end": end}
        for (start, end), score in ranked
    ]
    if impossible and best_overlap == 0:
        answers.insert(0, {"answer": "", "score": 0.9, "start": 0, "end": 0})
    if top_k is None or top_k == 1:
        return answers[0]
    return answers[:top_k]


def _table(value: object) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not value:
        raise Invalid("`inputs.table` must be a non-empty object of columns")
    rows = None
    for name, cells in value.items():
        if not isinstance(cells, list) or not all(isinstance(c, str) for c in cells):
            raise Invalid(f"column {name!r} must be a list of strings")
        if rows is not None and len(cells) != rows:
            raise Invalid("every column of the table must have as many cells as the first")
        rows = len(cells)
    if not rows:
        raise Invalid("the table has no rows")
    return value


def _table_question_answering(card: ModelCard, req: TaskBody) -> object:
    query, given = req.pair("query", "table")
    table = _table(given)
    req.choice("padding", _PADDINGS, "do_not_pad")
    opt_bool(req.params, "sequential")
    opt_bool(req.params, "truncation")
    lowered = query.lower()
    asked = {w.lower() for w, _, _ in words(query)}
    columns = list(table)
    count = len(table[columns[0]])
    named = [i for i, name in enumerate(columns) if {w.lower() for w, _, _ in words(name)} & asked]
    hits = [
        (r, c)
        for c, name in enumerate(columns)
        for r, cell in enumerate(table[name])
        if cell.strip() and cell.lower() in lowered
    ]
    rows = sorted({r for r, _ in hits})
    keys = {c for _, c in hits}
    # the column asked about: one the query names and didn't pick the rows by
    column = next((c for c in named if c not in keys), named[0] if named else 0)
    if "total" in asked or "sum" in asked:
        aggregator = "SUM"
    elif "average" in asked or "mean" in asked:
        aggregator = "AVERAGE"
    elif "how many" in lowered and not rows:
        aggregator = "COUNT"
    else:
        aggregator = "NONE"
    if not rows:
        rows = list(range(count)) if aggregator != "NONE" else [0]
    cells = [table[columns[column]][r] for r in rows]
    joined = ", ".join(cells)
    return {
        "answer": joined if aggregator == "NONE" else f"{aggregator} > {joined}",
        "coordinates": [[r, column] for r in rows],
        "cells": cells,
        "aggregator": aggregator,
    }


#: The handlers by task, for :mod:`._nlp`.
SPAN_TASKS: MappingProxyType[str, Callable[[ModelCard, TaskBody], object]] = MappingProxyType(
    {
        "token-classification": _token_classification,
        "fill-mask": _fill_mask,
        "question-answering": _question_answering,
        "table-question-answering": _table_question_answering,
    }
)
