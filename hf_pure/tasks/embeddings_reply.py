"""The values a feature-extraction reply decodes to: :class:`Embeddings` (one vector per input)
and :class:`TokenEmbeddings` (one vector per token, per input), pooling, and how the answers of
a batch's parts join (see :mod:`hf_pure.tasks.embeddings` for the request and the decoder).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import add
from typing import Final, Literal, TypeAlias

import msgspec

from hf_pure.tasks._vectors import Vector, floats, pack_rows

Pooling: TypeAlias = Literal["mean", "max", "cls"]
#: How per-token vectors can be pooled into one vector per input.
POOLINGS: Final = ("mean", "max", "cls")

# ----------------------------------------------------------------------------- reply values


class Embeddings(msgspec.Struct, frozen=True, gc=False):
    """One vector per input, in input order (one text: one vector, ``.vector``).

    ``pooling`` says how the client pooled a per-token reply into these (None: the model gave
    one vector per input). Vectors are read-only float32 views (see ``hf.Vector``).
    """

    vectors: tuple[Vector, ...]
    pooling: str | None = None

    @property
    def vector(self) -> Vector:
        """The first (for one text, the only) vector."""
        return self.vectors[0]

    @property
    def dimensions(self) -> int:
        return len(self.vectors[0]) if self.vectors else 0

    def tolist(self) -> list[list[float]]:
        """The vectors as lists of Python floats."""
        return [floats(v) for v in self.vectors]

    def __repr__(self) -> str:
        pooled = f", pooling={self.pooling!r}" if self.pooling else ""
        return f"Embeddings({len(self.vectors)} x {self.dimensions}{pooled})"


class TokenEmbeddings(msgspec.Struct, frozen=True, gc=False):
    """One vector per token, per input (a per-token model, no pooling asked):
    ``tokens[i][j]`` is input i's token j. :meth:`pooled` makes one vector per input."""

    tokens: tuple[tuple[Vector, ...], ...]

    @property
    def dimensions(self) -> int:
        return len(self.tokens[0][0]) if self.tokens and self.tokens[0] else 0

    def pooled(self, how: Pooling, *, normalize: bool = False) -> Embeddings:
        """One vector per input: the tokens' ``"mean"``, elementwise ``"max"``, or the first
        token's (``"cls"``); ``normalize`` makes each unit length (a zero vector stays zero).
        Raises ValueError for another ``how`` (a programmer error)."""
        if how not in POOLINGS:
            raise ValueError(f"pooled(): how must be one of {', '.join(POOLINGS)}, got {how!r}")
        rows = [_pool(tokens, how, normalize) for tokens in self.tokens]
        packed = pack_rows(rows, len(rows[0]) if rows else 0)
        # pooling float32 values can't leave float32's range: a mean or max lies within them
        return Embeddings(vectors=packed if type(packed) is tuple else (), pooling=how)

    def tolist(self) -> list[list[list[float]]]:
        return [[floats(v) for v in tokens] for tokens in self.tokens]

    def __repr__(self) -> str:
        counts = ", ".join(str(len(t)) for t in self.tokens[:8])
        more = ", ..." if len(self.tokens) > 8 else ""
        shape = f"{len(self.tokens)} inputs of [{counts}{more}] tokens x {self.dimensions}"
        return f"TokenEmbeddings({shape})"


EmbeddingReply: TypeAlias = Embeddings | TokenEmbeddings


def _pool(tokens: Sequence[Vector], how: str, normalize: bool) -> list[float]:
    out: list[float]
    if how == "cls":
        out = floats(tokens[0])
    elif how == "max":
        out = list(map(max, *tokens)) if len(tokens) > 1 else floats(tokens[0])
    else:
        first = floats(tokens[0])
        total = reduce(lambda acc, row: list(map(add, acc, row)), tokens[1:], first)
        scale = 1.0 / len(tokens)
        out = [x * scale for x in total]
    return unit(out) if normalize else out


def unit(values: list[float]) -> list[float]:
    """``values`` scaled to length 1 (a zero vector is returned as it is)."""
    norm = sum(x * x for x in values) ** 0.5
    if norm == 0.0:
        return values
    scale = 1.0 / norm
    return [x * scale for x in values]


# ----------------------------------------------------------------------------- batches


def join_embeddings(values: Sequence[EmbeddingReply]) -> EmbeddingReply:
    """The answers of a batch's parts as one, in order (all of one kind: see
    :func:`embedding_shape`, which ``join_parts`` checks first)."""
    first = values[0]
    if isinstance(first, TokenEmbeddings):
        return TokenEmbeddings(tokens=tuple(t for v in values for t in v.tokens))  # type: ignore[union-attr]
    vectors = tuple(vector for v in values for vector in v.vectors)  # type: ignore[union-attr]
    return Embeddings(vectors=vectors, pooling=first.pooling)


def embedding_shape(value: EmbeddingReply) -> str:
    """What an answer is, to tell whether the parts of a batch fit together."""
    kind = "per-token vectors" if isinstance(value, TokenEmbeddings) else "one vector per input"
    return f"{kind} of {value.dimensions} dimensions"


__all__ = [
    "POOLINGS",
    "EmbeddingReply",
    "Embeddings",
    "Pooling",
    "TokenEmbeddings",
    "embedding_shape",
    "join_embeddings",
    "unit",
]
