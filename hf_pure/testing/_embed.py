"""Embeddings and sentence similarity (hf-inference ``feature-extraction`` and
``sentence-similarity``), emulated from WIRE.md.

Vectors come from hashed word features, so texts that share words (or words of one topic:
"cats" and "dogs", "stock" and "prices") point the same way and unrelated texts are nearly
orthogonal: "cats are pets" is closer to "dogs are pets" than to "stock prices fell". Each
word gets a deterministic vector from SHAKE-128 of the model and the word; a text's vector is
the sum of its words' (plus a small model bias, so no text is a zero vector), rounded to
float32 as the models compute.

Shapes, as the real models answer: sentence-transformers models (all-MiniLM-L6-v2 and -L12-v2:
384 dimensions, BAAI/bge-large-en-v1.5: 1024) give a flat ``[d]`` for one text and ``[[d],
...]`` for a list; ``facebook/bart-base`` gives one vector per token (``<s>``, the words,
``</s>``: ``[1][8][768]`` for a six-word sentence, ``[n][tokens][768]`` for a list).
``normalize`` (default true for sentence models, as TEI) gives unit vectors; an input longer
than the model takes is a 422 unless ``truncate`` (then cut from ``truncation_direction``,
``Right`` by default); ``prompt_name`` must be one of the model's prompts (bge: ``query``).
Options are read at the body's root (WIRE.md) or in ``parameters``.
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from collections.abc import Sequence
from functools import lru_cache
from operator import add
from types import MappingProxyType

from . import _json as orjson  # msgspec underneath
from ._answers import JsonAnswer, error, parse_object, validation_error

__all__ = ["EMBED_TASKS", "EmbedModel", "embed_answer", "embed_model", "text_vector"]

EMBED_TASKS = frozenset({"feature-extraction", "sentence-similarity"})
_BGE_QUERY = "Represent this sentence for searching relevant passages: "


class EmbedModel:
    """How one embedding model answers: its dimensions, whether per token, its limits."""

    __slots__ = ("dims", "max_tokens", "per_token", "prompts")

    def __init__(
        self,
        dims: int,
        *,
        per_token: bool = False,
        max_tokens: int = 512,
        prompts: dict[str, str] | None = None,
    ) -> None:
        self.dims = dims
        self.per_token = per_token
        self.max_tokens = max_tokens
        self.prompts = MappingProxyType(dict(prompts or {}))


MODELS = MappingProxyType(
    {
        "sentence-transformers/all-MiniLM-L6-v2": EmbedModel(384, max_tokens=256),
        "sentence-transformers/all-MiniLM-L12-v2": EmbedModel(384, max_tokens=256),
        "BAAI/bge-large-en-v1.5": EmbedModel(1024, prompts={"query": _BGE_QUERY}),
        "facebook/bart-base": EmbedModel(768, per_token=True, max_tokens=1024),
    }
)


def embed_model(repo: str, tags: Sequence[str], pipeline_tag: str) -> EmbedModel | None:
    """The model's embedding behaviour (a card of another catalog: sentence-transformers
    tags give sentence vectors of 384, other feature-extraction models per-token 768)."""
    known = MODELS.get(repo)
    if known is not None:
        return known
    if "sentence-transformers" in tags or pipeline_tag == "sentence-similarity":
        return EmbedModel(384)
    if pipeline_tag == "feature-extraction":
        return EmbedModel(768, per_token=True)
    return None


# ------------------------------------------------------------------------- the features

_WORDS = re.compile(r"[a-z0-9]+")

#: A few topics, so that words of one topic are related without being the same word.
_TOPICS = MappingProxyType(
    {
        word: topic
        for topic, words in (
            ("pets", "cat dog kitten puppy pet animal hamster parrot"),
            ("finance", "stock price market share fell rose trade investor bank"),
            ("weather", "rain sun snow storm weather wind cloud forecast"),
            ("food", "bread cheese soup pizza cook recipe dinner bake"),
            ("space", "star planet moon rocket orbit galaxy space telescope"),
        )
        for word in words.split()
    }
)


def words(text: str) -> list[str]:
    """Lower-cased words, a plural ``s`` dropped ("cats" and "cat" are one feature)."""
    return [_singular(word) for word in _WORDS.findall(text.lower())]


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=1 << 16)
def _hashed(salt: str, feature: str, dims: int) -> tuple[int, ...]:
    data = hashlib.shake_128(f"{salt}\x00{feature}".encode()).digest(dims)
    return tuple(b - 127 for b in data)  # mean ~0, each in [-127, 128]


def _word(model: str, word: str, dims: int) -> tuple[int, ...]:
    own = _hashed(model, word, dims)
    topic = _TOPICS.get(word)
    if topic is None:
        return own
    return tuple(map(add, own, _hashed(model, f"topic:{topic}", dims)))


@lru_cache(maxsize=1 << 14)
def text_vector(model: str, text: str, dims: int) -> tuple[float, ...]:
    """A text's unnormalized vector (the sum of its words' plus a small model bias), float32."""
    total = [x * 0.3 for x in _hashed(model, "bias", dims)]
    for word in words(text):
        total = list(map(add, total, _word(model, word, dims)))
    return _f32([x / 256.0 for x in total])


def _f32(values: Sequence[float]) -> tuple[float, ...]:
    return tuple(array("f", values).tolist())


def _unit(values: Sequence[float]) -> tuple[float, ...]:
    norm = math.sqrt(sum(x * x for x in values)) or 1.0
    return _f32([x / norm for x in values])


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)


def _tokens(model: str, text: str, dims: int, normalize: bool) -> list[tuple[float, ...]]:
    """One vector per token: ``<s>`` carries the sentence, each word its own and some of the
    sentence's, ``</s>`` the sentence again (shifted)."""
    sentence = text_vector(model, text, dims)
    eos = _hashed(model, "</s>", dims)
    rows = [sentence]
    for word in words(text):
        own = _word(model, word, dims)
        rows.append(_f32([w / 256.0 * 0.6 + s * 0.4 for w, s in zip(own, sentence, strict=True)]))
    rows.append(_f32([s + e / 512.0 for s, e in zip(sentence, eos, strict=True)]))
    return [_unit(row) for row in rows] if normalize else rows


# ------------------------------------------------------------------------- the answers


class _Refused(Exception):
    def __init__(self, answer: JsonAnswer) -> None:
        super().__init__("refused")
        self.answer = answer


def _option(data: dict[str, object], name: str) -> object:
    if name in data:
        return data[name]
    parameters = data.get("parameters")
    return parameters.get(name) if isinstance(parameters, dict) else None


def _flag(data: dict[str, object], name: str) -> bool | None:
    value = _option(data, name)
    if value is not None and not isinstance(value, bool):
        raise _Refused(validation_error(f"`{name}` must be a boolean"))
    return value


def _texts(inputs: object) -> list[str]:
    if isinstance(inputs, str):
        return [inputs]
    if isinstance(inputs, list) and inputs and all(isinstance(t, str) for t in inputs):
        return inputs
    raise _Refused(validation_error("`inputs` must be a string or a non-empty list of strings"))


def _prepare(data: dict[str, object], model: EmbedModel, text: str) -> str:
    """The text the model embeds: its prompt prefixed, cut to the model's length if asked."""
    prompt_name = _option(data, "prompt_name")
    if prompt_name is not None:
        if not isinstance(prompt_name, str) or prompt_name not in model.prompts:
            known = ", ".join(sorted(model.prompts)) or "none"
            message = f"prompt_name `{prompt_name}` is not one of the model's prompts ({known})"
            raise _Refused(validation_error(message))
        text = model.prompts[prompt_name] + text
    found = words(text)
    if len(found) <= model.max_tokens:
        return text
    if not _flag(data, "truncate"):
        message = f"`inputs` must have less than {model.max_tokens} tokens. Given: {len(found)}"
        raise _Refused(validation_error(message))
    direction = _option(data, "truncation_direction") or "Right"
    if direction not in ("Left", "Right"):
        raise _Refused(validation_error("`truncation_direction` must be `Left` or `Right`"))
    kept = found[-model.max_tokens :] if direction == "Left" else found[: model.max_tokens]
    return " ".join(kept)


def embed_answer(
    task: str, repo: str, tags: Sequence[str], pipeline_tag: str, body: bytes
) -> JsonAnswer:
    """The answer to ``task`` (one of ``EMBED_TASKS``) for model ``repo``."""
    model = embed_model(repo, tags, pipeline_tag)
    if model is None:
        return error(400, f"Model {repo} does not serve {task}")
    data = parse_object(body)
    if isinstance(data, JsonAnswer):
        return data
    try:
        if task == "sentence-similarity":
            return _similarity(repo, model, data)
        return _features(repo, model, data)
    except _Refused as refused:
        return refused.answer


def _features(repo: str, model: EmbedModel, data: dict[str, object]) -> JsonAnswer:
    inputs = data.get("inputs")
    texts = _texts(inputs)
    normalize = _flag(data, "normalize")
    _flag(data, "truncate")
    prepared = [_prepare(data, model, text) for text in texts]
    if model.per_token:
        out: object = [_tokens(repo, text, model.dims, bool(normalize)) for text in prepared]
    else:
        unit = normalize is not False  # TEI normalizes unless told not to
        vectors = [text_vector(repo, text, model.dims) for text in prepared]
        rows = [_unit(v) for v in vectors] if unit else vectors
        out = rows[0] if isinstance(inputs, str) else rows
    return JsonAnswer(200, orjson.dumps(out))


def _similarity(repo: str, model: EmbedModel, data: dict[str, object]) -> JsonAnswer:
    if model.per_token:
        return error(400, f"Model {repo} does not serve sentence-similarity")
    inputs = data.get("inputs")
    if not isinstance(inputs, dict):
        raise _Refused(validation_error("`inputs` must be {source_sentence, sentences}"))
    source = inputs.get("source_sentence")
    sentences = inputs.get("sentences")
    if not isinstance(source, str):
        raise _Refused(validation_error("`source_sentence` must be a string"))
    others = _texts(sentences)
    if not isinstance(sentences, list):
        raise _Refused(validation_error("`sentences` must be a list of strings"))
    anchor = text_vector(repo, _prepare(data, model, source), model.dims)
    scores = [
        _cosine(anchor, text_vector(repo, _prepare(data, model, s), model.dims)) for s in others
    ]
    return JsonAnswer(200, orjson.dumps(scores))
