"""The NLP tasks of hf-inference (``POST /hf-inference/models/{repo id}``), emulated.

Deterministic, plausible answers derived from the input text (WIRE.md's shapes):

- summarization: the first sentence, cut to ``max_length`` words (30 by default) and grown to
  ``min_length`` words from the text that follows;
- translation: the text marked with the target language, ``"[fr] Hello"`` (``tgt_lang``, or
  the model's ``-xx`` suffix); multilingual models (mBART, NLLB, M2M) need both languages;
- text classification: sentiment from a small lexicon of positive and negative words, as
  logits turned into scores by ``function_to_apply`` (softmax by default: they sum to 1);
- zero-shot classification: each candidate label scored by how many of its words the text
  shares (softmax; with ``multi_label`` each label on its own);
- token classification, fill-mask, question answering, table question answering: see
  :mod:`._nlp_spans`.

Alternate reply shapes are chosen by model: :data:`FLAT_CLASSIFIERS` answer text
classification flat (``[{label, score}]``; the others nest it, ``[[...]]``, as hf-inference
does for one input), :data:`COLUMN_ZERO_SHOT` answer zero-shot classification in the older
``{sequence, labels, scores}`` form.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

from . import _json as orjson  # msgspec underneath
from ._answers import Invalid, JsonAnswer, error, opt_bool, opt_int
from ._catalog import ModelCard
from ._nlp_spans import SPAN_TASKS
from ._nlp_text import TaskBody, parse_task, sigmoid, softmax, unit, words

__all__ = ["COLUMN_ZERO_SHOT", "FLAT_CLASSIFIERS", "LABELS", "NLP_TASK_NAMES", "nlp_answer"]

#: Text classifiers answering the flat shape ``[{label, score}, ...]``.
FLAT_CLASSIFIERS = frozenset({"cardiffnlp/twitter-roberta-base-sentiment-latest"})
#: Zero-shot classifiers answering the older ``{sequence, labels, scores}``.
COLUMN_ZERO_SHOT = frozenset({"MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli"})
#: Each classifier's labels (negative first); others have NEGATIVE and POSITIVE.
LABELS = MappingProxyType(
    {
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english": ("NEGATIVE", "POSITIVE"),
        "cardiffnlp/twitter-roberta-base-sentiment-latest": ("negative", "neutral", "positive"),
    }
)
_MULTILINGUAL = ("mbart", "nllb", "m2m100")
_SUMMARY_WORDS = 30

_POSITIVE = frozenset(
    [
        "love",
        "loved",
        "loves",
        "great",
        "good",
        "excellent",
        "happy",
        "wonderful",
        "best",
        "amazing",
        "like",
        "liked",
        "nice",
        "fantastic",
        "enjoy",
        "enjoyed",
        "brilliant",
        "perfect",
        "delightful",
        "glad",
        "awesome",
        "beautiful",
        "rose",
        "gained",
        "win",
        "won",
    ]
)
_NEGATIVE = frozenset(
    [
        "hate",
        "hated",
        "hates",
        "bad",
        "terrible",
        "awful",
        "worst",
        "sad",
        "poor",
        "horrible",
        "boring",
        "disappointing",
        "disappointed",
        "angry",
        "fell",
        "fall",
        "lost",
        "lose",
        "broken",
        "ugly",
        "slow",
        "wrong",
        "fail",
        "failed",
    ]
)
_FUNCTIONS = ("softmax", "sigmoid", "none")


def _summarization(card: ModelCard, req: TaskBody) -> object:
    text = req.text()
    min_length = opt_int(req.params, "min_length", 0)
    max_length = opt_int(req.params, "max_length", 1)
    opt_bool(req.params, "clean_up_tokenization_spaces")
    tokens = text.split()
    first = next(
        (i + 1 for i, token in enumerate(tokens) if token.endswith((".", "!", "?"))),
        len(tokens),
    )
    count = min(first, max_length or _SUMMARY_WORDS)
    if min_length:
        count = max(count, min(min_length, len(tokens)))
    return [{"summary_text": " ".join(tokens[:count])}]


def _translation(card: ModelCard, req: TaskBody) -> object:
    text = req.text()
    source, target = req.params.get("src_lang"), req.params.get("tgt_lang")
    for name, value in (("src_lang", source), ("tgt_lang", target)):
        if value is not None and (not isinstance(value, str) or not value):
            raise Invalid(f"`{name}` must be a non-empty string")
    if any(kind in card.id.lower() for kind in _MULTILINGUAL) and not (source and target):
        raise Invalid(f"{card.id} translates between many languages: give src_lang and tgt_lang")
    suffix = card.id.rsplit("-", 1)[-1] if "-" in card.id else "xx"
    return [{"translation_text": f"[{target or suffix}] {text}"}]


def sentiment(text: str) -> float:
    """Positive minus negative lexicon words, over the words of ``text``."""
    lowered = [w.lower() for w, _, _ in words(text)]
    return float(sum(w in _POSITIVE for w in lowered) - sum(w in _NEGATIVE for w in lowered))


def _logits(labels: tuple[str, ...], text: str) -> list[float]:
    lean = sentiment(text)
    if len(labels) == 3:
        base = [-2.0 * lean, 1.5 - 2.0 * abs(lean), 2.0 * lean]
    elif len(labels) == 2:
        base = [-2.0 * lean, 2.0 * lean]
    else:
        base = [0.0] * len(labels)
    return [b + unit(text, label) - 0.5 for b, label in zip(base, labels, strict=True)]


def _scored(labels: list[str], scores: list[float], top_k: int | None) -> list[dict[str, object]]:
    ranked = sorted(zip(labels, scores, strict=True), key=lambda pair: -pair[1])
    return [{"label": label, "score": score} for label, score in ranked[:top_k]]


def _text_classification(card: ModelCard, req: TaskBody) -> object:
    text = req.text()
    top_k = opt_int(req.params, "top_k", 1)
    function = req.choice("function_to_apply", _FUNCTIONS, "softmax")
    labels = LABELS.get(card.id, ("NEGATIVE", "POSITIVE"))
    logits = _logits(labels, text)
    if function == "softmax":
        scores = softmax(logits)
    elif function == "sigmoid":
        scores = [sigmoid(x) for x in logits]
    else:
        scores = logits
    ranked = _scored(list(labels), scores, top_k)
    return ranked if card.id in FLAT_CLASSIFIERS else [ranked]


def _stems(text: str) -> set[str]:
    return {w.lower()[:5] for w, _, _ in words(text) if len(w) > 2}


def _zero_shot(card: ModelCard, req: TaskBody) -> object:
    text = req.text()
    given = req.params.get("candidate_labels")
    if isinstance(given, str):
        labels = [part.strip() for part in given.split(",") if part.strip()]
    elif isinstance(given, list) and all(isinstance(s, str) and s for s in given):
        labels = list(given)
    else:
        raise Invalid("`candidate_labels` is required: a list of non-empty strings")
    if not labels:
        raise Invalid("`candidate_labels` must hold at least one label")
    template = req.params.get("hypothesis_template", "This example is {}.")
    if not isinstance(template, str) or "{}" not in template:
        raise Invalid("`hypothesis_template` must be a string with {} for the label")
    multi = bool(opt_bool(req.params, "multi_label"))
    seen = _stems(text)
    overlap = [len(_stems(label) & seen) for label in labels]
    jitter = [0.4 * unit(text, label) for label in labels]
    if multi:
        scores = [sigmoid(3.0 * n - 1.5 + j) for n, j in zip(overlap, jitter, strict=True)]
    else:
        scores = softmax([3.0 * n + j for n, j in zip(overlap, jitter, strict=True)])
    ranked = _scored(labels, scores, None)
    if card.id in COLUMN_ZERO_SHOT:
        return {
            "sequence": text,
            "labels": [item["label"] for item in ranked],
            "scores": [item["score"] for item in ranked],
        }
    return ranked


Handler = Callable[[ModelCard, TaskBody], object]

_TASKS: MappingProxyType[str, Handler] = MappingProxyType(
    {
        "summarization": _summarization,
        "translation": _translation,
        "text-classification": _text_classification,
        "zero-shot-classification": _zero_shot,
        **SPAN_TASKS,
    }
)
#: The tasks answered here.
NLP_TASK_NAMES = frozenset(_TASKS)


def nlp_answer(task: str | None, card: ModelCard, body: bytes) -> JsonAnswer | None:
    """The answer to an NLP ``task`` on ``card``'s model, or None when ``task`` isn't one."""
    handler = _TASKS.get(task or "")
    if handler is None:
        return None
    req = parse_task(body)
    if isinstance(req, JsonAnswer):
        return req
    try:
        out = handler(card, req)
    except Invalid as exc:
        return error(400, exc.message)
    return JsonAnswer(200, orjson.dumps(out))
