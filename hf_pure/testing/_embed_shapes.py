"""Hypothesis strategies for the embedding replies of WIRE.md (feature-extraction in its three
shapes, sentence-similarity scores), as documented and with fields changed, for fuzzing
decoders (see :mod:`hf_pure.testing.strategies`, whose :func:`mutated` changes them).

    @given(embedding_bodies(inputs=3))
    def test_my_decoder(body: bytes) -> None: ...

Shapes (``EMBED_SHAPES``): ``flat`` (``[d]``: one text, a sentence model), ``batch``
(``[[d], ...]``: one vector per input), ``tokens_one`` (``[[d], ...]``: one text's token
vectors, no batch dimension), ``per_token`` (``[[[d], ...], ...]``: token vectors per input,
as facebook/bart-base answers). Imports nothing of the client.
"""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

from .strategies import encode, mutated

SearchStrategy = st.SearchStrategy
Json = Any

EMBED_SHAPES: Final = ("flat", "batch", "tokens_one", "per_token")


def numbers() -> SearchStrategy[float | int]:
    """Numbers as embedding replies carry them: float32 values (most small), some integers."""
    return st.floats(-1.0, 1.0, width=32) | st.floats(-1e6, 1e6, width=32) | st.integers(-3, 3)


def vectors(dims: int) -> SearchStrategy[list[float | int]]:
    return st.lists(numbers(), min_size=dims, max_size=dims)


@st.composite
def _shaped(draw: Any, shape: str, inputs: int | None) -> Json:
    dims = draw(st.integers(1, 6))
    count = inputs if inputs is not None else draw(st.integers(1, 4))
    if shape == "flat":
        return draw(vectors(dims))
    if shape == "batch":
        return [draw(vectors(dims)) for _ in range(count)]
    if shape == "tokens_one":
        return [draw(vectors(dims)) for _ in range(draw(st.integers(1, 5)))]
    return [[draw(vectors(dims)) for _ in range(draw(st.integers(1, 4)))] for _ in range(count)]


def embedding_replies(shape: str | None = None, inputs: int | None = None) -> SearchStrategy[Json]:
    """A feature-extraction reply of ``shape`` (any of ``EMBED_SHAPES`` when None) for
    ``inputs`` texts (any count when None)."""
    shapes = (shape,) if shape is not None else EMBED_SHAPES
    return st.sampled_from(shapes).flatmap(lambda s: _shaped(s, inputs))


def similarity_replies(sentences: int | None = None) -> SearchStrategy[list[float]]:
    """A sentence-similarity reply: one score per sentence."""
    size = (sentences, sentences) if sentences is not None else (0, 5)
    return st.lists(st.floats(-1.0, 1.0), min_size=size[0], max_size=size[1])


def embedding_bodies(
    inputs: int | None = None, shape: str | None = None, changes: int = 3
) -> SearchStrategy[bytes]:
    """Feature-extraction reply bodies: documented, or with 1 to ``changes`` places replaced
    by arbitrary JSON, removed or added to."""
    base = embedding_replies(shape, inputs)
    return (base | mutated(base, changes)).map(encode)


def similarity_bodies(sentences: int | None = None, changes: int = 2) -> SearchStrategy[bytes]:
    base = similarity_replies(sentences)
    return (base | mutated(base, changes)).map(encode)


__all__ = [
    "EMBED_SHAPES",
    "embedding_bodies",
    "embedding_replies",
    "numbers",
    "similarity_bodies",
    "similarity_replies",
    "vectors",
]
