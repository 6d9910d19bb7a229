"""Text helpers for the emulated NLP tasks: words with their offsets, sentences, stable
pseudo-random numbers from a key, the request's inputs and parameters."""

from __future__ import annotations

import hashlib
import math
import re

from ._answers import Invalid, JsonAnswer, error, parse_object

__all__ = [
    "STOPWORDS",
    "TaskBody",
    "parse_task",
    "sentences",
    "sigmoid",
    "softmax",
    "unit",
    "words",
]

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")

#: Words that say little about what a text is about (questions, labels, sentences).
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def unit(*parts: str) -> float:
    """A number in [0, 1) derived from ``parts`` (stable across runs and platforms)."""
    digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def words(text: str, offset: int = 0) -> list[tuple[str, int, int]]:
    """The words of ``text`` with their ``(start, end)`` character offsets."""
    return [(m.group(), m.start() + offset, m.end() + offset) for m in _WORD.finditer(text)]


def sentences(text: str) -> list[tuple[str, int]]:
    """The sentences of ``text`` (ending at ``.``, ``!`` or ``?``), each with its offset."""
    out: list[tuple[str, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        out.append((text[start : m.end()], start))
        start = m.end()
    if text[start:].strip():
        out.append((text[start:], start))
    return out


def softmax(logits: list[float]) -> list[float]:
    top = max(logits, default=0.0)
    exps = [math.exp(x - top) for x in logits]
    total = sum(exps)
    return [e / total for e in exps]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class TaskBody:
    """A task request's ``inputs`` and ``parameters`` (validated as the server validates)."""

    __slots__ = ("inputs", "params")

    def __init__(self, inputs: object, params: dict[str, object]) -> None:
        self.inputs = inputs
        self.params = params

    def text(self) -> str:
        """The inputs as one non-empty text, or ``Invalid``."""
        if not isinstance(self.inputs, str):
            raise Invalid("`inputs` must be a string")
        if not self.inputs.strip():
            raise Invalid("`inputs` cannot be empty")
        return self.inputs

    def pair(self, first: str, second: str) -> tuple[str, object]:
        """The inputs as an object with ``first`` (non-empty text) and ``second``."""
        if not isinstance(self.inputs, dict):
            raise Invalid(f"`inputs` must be an object with `{first}` and `{second}`")
        head = self.inputs.get(first)
        if not isinstance(head, str) or not head.strip():
            raise Invalid(f"`inputs.{first}` must be a non-empty string")
        if second not in self.inputs:
            raise Invalid(f"`inputs.{second}` is required")
        return head, self.inputs[second]

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.params.get(name)
        if value is None:
            return default
        if not isinstance(value, str) or value not in choices:
            raise Invalid(f"`{name}` must be one of {', '.join(choices)}")
        return value

    def strings(self, name: str) -> list[str] | None:
        """A list of strings (one string is a list of one)."""
        value = self.params.get(name)
        if value is None:
            return None
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise Invalid(f"`{name}` must be a string or a list of strings")
        return items


def parse_task(body: bytes) -> TaskBody | JsonAnswer:
    """The body's inputs and parameters, or the 400 answer saying why it has none."""
    data = parse_object(body)
    if isinstance(data, JsonAnswer):
        return data
    if "inputs" not in data:
        return error(400, "`inputs` is required")
    params = data.get("parameters")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return error(400, "`parameters` must be an object")
    return TaskBody(data["inputs"], params)
