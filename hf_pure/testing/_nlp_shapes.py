"""The NLP task replies of WIRE.md as hypothesis strategies, every alternate shape included
(the flat and nested text classification, the older zero-shot columns, one answer or a list,
one list per mask, the per-token tags without aggregation, a bare summary object).

    from hypothesis import given
    from hf_pure.testing._nlp_shapes import nlp_bodies

    @given(nlp_bodies("zero-shot-classification"))
    def test_my_decoder_never_raises(body: bytes) -> None: ...

Like :mod:`hf_pure.testing.strategies` (whose field changes it reuses), it is written from the
wire formats and imports nothing of the client; it needs ``hypothesis``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from hypothesis import strategies as st

from .strategies import encode, mutated

__all__ = ["NLP_KINDS", "nlp_bodies", "nlp_json", "nlp_replies"]

SearchStrategy = st.SearchStrategy
Json = Any

_TEXTS: Final = ("", "Paris", " the", "New York", "é", "\U0001f680", "[MASK]", "O", "B-PER")


def _text() -> SearchStrategy[str]:
    return st.sampled_from(_TEXTS)


def _score() -> SearchStrategy[float]:
    return st.floats(0, 1)


def _offset() -> SearchStrategy[int]:
    return st.integers(0, 500)


def _obj(
    required: dict[str, SearchStrategy[Json]], **optional: SearchStrategy[Json]
) -> SearchStrategy[dict[str, Json]]:
    return st.fixed_dictionaries(required, optional=optional)


def _one_or_bare(key: str) -> SearchStrategy[Json]:
    item = _obj({key: _text()})
    return st.lists(item, min_size=1, max_size=2) | item


def _labels() -> SearchStrategy[list[dict[str, Json]]]:
    return st.lists(_obj({"label": _text(), "score": _score()}), max_size=3)


def _entities() -> SearchStrategy[Json]:
    grouped = _obj(
        {"entity_group": _text(), "score": _score(), "word": _text()},
        start=_offset(),
        end=_offset(),
    )
    tagged = _obj(
        {"entity": _text(), "score": _score(), "word": _text(), "index": _offset()},
        start=st.none() | _offset(),
        end=st.none() | _offset(),
    )
    return st.lists(grouped, max_size=3) | st.lists(tagged, max_size=3)


def _mask_fills() -> SearchStrategy[list[dict[str, Json]]]:
    candidate = _obj(
        {"sequence": _text(), "score": _score(), "token_str": _text()},
        token=st.integers(0, 50_000),
    )
    return st.lists(candidate, max_size=3)


def _answers() -> SearchStrategy[Json]:
    answer = _obj({"answer": _text(), "score": _score(), "start": _offset(), "end": _offset()})
    return answer | st.lists(answer, max_size=3)


@st.composite
def _columns(draw: Any) -> dict[str, Json]:
    labels = draw(st.lists(_text(), max_size=3))
    scores = draw(st.lists(_score(), min_size=len(labels), max_size=len(labels)))
    out: dict[str, Json] = {"labels": labels, "scores": scores}
    if draw(st.booleans()):
        out["sequence"] = draw(_text())
    return out


def _table_answer() -> SearchStrategy[dict[str, Json]]:
    cell = st.lists(st.integers(0, 9), min_size=2, max_size=2)
    return _obj(
        {"answer": _text()},
        coordinates=st.lists(cell, max_size=2),
        cells=st.lists(_text(), max_size=2),
        aggregator=st.sampled_from(["NONE", "SUM", "AVERAGE", "COUNT"]),
    )


_SHAPES: Final[Mapping[str, Callable[[], SearchStrategy[Json]]]] = MappingProxyType(
    {
        "summarization": lambda: _one_or_bare("summary_text"),
        "translation": lambda: _one_or_bare("translation_text"),
        "text-classification": lambda: _labels() | st.lists(_labels(), min_size=1, max_size=1),
        "token-classification": _entities,
        "fill-mask": lambda: _mask_fills() | st.lists(_mask_fills(), min_size=2, max_size=3),
        "question-answering": _answers,
        "zero-shot-classification": lambda: _labels() | _columns(),
        "table-question-answering": _table_answer,
    }
)

#: The NLP tasks, by wire name.
NLP_KINDS: Final = tuple(_SHAPES)


def nlp_replies(kind: str) -> SearchStrategy[Json]:
    """Replies of the task ``kind`` (one of ``NLP_KINDS``) in every documented shape."""
    try:
        return _SHAPES[kind]()
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(NLP_KINDS)}") from None


def nlp_json(kind: str, changes: int = 3) -> SearchStrategy[Json]:
    """:func:`nlp_replies`, as they are or with up to ``changes`` fields replaced, removed or
    added (see :func:`hf_pure.testing.strategies.mutated`)."""
    base = nlp_replies(kind)
    return base | mutated(base, changes)


def nlp_bodies(kind: str, changes: int = 3) -> SearchStrategy[bytes]:
    """:func:`nlp_json` encoded as a reply body."""
    return nlp_json(kind, changes).map(encode)
