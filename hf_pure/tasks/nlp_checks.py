"""The NLP tasks' parameter check tables and input checks (used by :mod:`hf_pure.tasks.nlp`).

One table per task, from parameter name to check, as ``TGI_CHECKS`` is for text generation:
a request checks the parameters it carries; names not in its table pass through to the server.
Each check answers ``InvalidInput`` naming the field, or None.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from hf_pure.core.config import Limits
from hf_pure.core.errors import InvalidInput
from hf_pure.tasks.options import Check, RawJson, thaw
from hf_pure.tasks.validate import check_bool, check_int, check_str, check_text

TRUNCATIONS: Final = ("do_not_truncate", "longest_first", "only_first", "only_second")
FUNCTIONS_TO_APPLY: Final = ("sigmoid", "softmax", "none")
AGGREGATIONS: Final = ("none", "simple", "first", "average", "max")
PADDINGS: Final = ("do_not_pad", "longest", "max_length")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_choice(field: str, value: object, choices: tuple[str, ...]) -> InvalidInput | None:
    """``value`` is one of ``choices``."""
    if type(value) is str and value in choices:
        return None
    return InvalidInput(field, f"must be one of {', '.join(choices)}, got {_shown(value)}")


def check_labels(field: str, value: object, *, empty: bool = True) -> InvalidInput | None:
    """A list of non-empty strings (non-empty itself unless ``empty``)."""
    if type(value) is not tuple:
        return InvalidInput(field, f"must be a list of strings, got {_kind(value)}")
    if not empty and not value:
        return InvalidInput(field, "is empty: give at least one")
    for i, item in enumerate(value):
        problem = check_str(f"{field}[{i}]", item, empty=False)
        if problem is not None:
            return problem
    return None


_KINDS: Final = MappingProxyType(
    {tuple: "a list", str: "a string", int: "an integer", float: "a number", bool: "a boolean"}
)


def _kind(value: object) -> str:
    """What ``value`` is, in the words of the JSON it would be."""
    if type(value) is RawJson:
        return "a list holding objects or lists" if value.data[:1] == b"[" else "an object"
    return _KINDS.get(type(value), type(value).__name__)


def _check_object(field: str, value: object) -> InvalidInput | None:
    if type(value) is RawJson and value.data[:1] == b"{":
        return None
    return InvalidInput(field, f"must be an object of parameters, got {_kind(value)}")


def _check_template(field: str, value: object) -> InvalidInput | None:
    problem = check_str(field, value, empty=False)
    if problem is None and "{}" not in str(value):
        return InvalidInput(field, "must contain {} where each candidate label goes")
    return problem


def _choice(choices: tuple[str, ...]) -> Check:
    return lambda name, value, _: check_choice(name, value, choices)


_COUNT: Check = lambda name, value, _: check_int(name, value, 1)  # noqa: E731
_SIZE: Check = lambda name, value, _: check_int(name, value, 0)  # noqa: E731
_FLAG: Check = lambda name, value, _: check_bool(name, value)  # noqa: E731

_GENERATION: Mapping[str, Check] = MappingProxyType(
    {
        "min_length": _SIZE,
        "max_length": _COUNT,
        "clean_up_tokenization_spaces": _FLAG,
        "truncation": _choice(TRUNCATIONS),
        "generate_parameters": lambda name, value, _: _check_object(name, value),
    }
)

SUMMARIZATION_CHECKS: Final = _GENERATION
TRANSLATION_CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        **_GENERATION,
        "src_lang": lambda name, value, _: check_str(name, value, empty=False),
        "tgt_lang": lambda name, value, _: check_str(name, value, empty=False),
    }
)
TEXT_CLASSIFICATION_CHECKS: Mapping[str, Check] = MappingProxyType(
    {"top_k": _COUNT, "function_to_apply": _choice(FUNCTIONS_TO_APPLY)}
)
TOKEN_CLASSIFICATION_CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "aggregation_strategy": _choice(AGGREGATIONS),
        "ignore_labels": lambda name, value, _: check_labels(name, value),
        "stride": _SIZE,
    }
)
FILL_MASK_CHECKS: Mapping[str, Check] = MappingProxyType(
    {"top_k": _COUNT, "targets": lambda name, value, _: check_labels(name, value, empty=False)}
)
QUESTION_ANSWERING_CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "top_k": _COUNT,
        "doc_stride": _SIZE,
        "max_answer_len": _COUNT,
        "max_seq_len": _COUNT,
        "max_question_len": _COUNT,
        "handle_impossible_answer": _FLAG,
        "align_to_words": _FLAG,
    }
)
ZERO_SHOT_CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "candidate_labels": lambda name, value, _: check_labels(name, value, empty=False),
        "multi_label": _FLAG,
        "hypothesis_template": lambda name, value, _: _check_template(name, value),
    }
)
TABLE_QUESTION_ANSWERING_CHECKS: Mapping[str, Check] = MappingProxyType(
    {"padding": _choice(PADDINGS), "sequential": _FLAG, "truncation": _FLAG}
)


def one_text(inputs: Any, limits: Limits) -> InvalidInput | None:
    return check_text("inputs", inputs, limits)


def question_and_context(inputs: Any, limits: Limits) -> InvalidInput | None:
    pair = _object(inputs, "question", "context")
    if isinstance(pair, InvalidInput):
        return pair
    return check_text("inputs.question", pair["question"], limits) or check_text(
        "inputs.context", pair["context"], limits
    )


def query_and_table(inputs: Any, limits: Limits) -> InvalidInput | None:
    pair = _object(inputs, "query", "table")
    if isinstance(pair, InvalidInput):
        return pair
    return check_text("inputs.query", pair["query"], limits) or check_table(
        "inputs.table", pair["table"]
    )


def _object(inputs: Any, *names: str) -> dict[str, Any] | InvalidInput:
    obj = thaw(inputs) if type(inputs) is RawJson else inputs
    if type(obj) is not dict:
        return InvalidInput("inputs", f"must be an object with {' and '.join(names)}")
    return {name: obj.get(name) for name in names}


def check_table(field: str, table: object) -> InvalidInput | None:
    """A table as the task takes it: column name -> the column's cells, all as text, every
    column as long as the first, at least one row."""
    if type(table) is not dict or not table:
        return InvalidInput(field, "must be a non-empty mapping of column names to cells")
    rows = None
    for name, cells in table.items():
        at = f"{field}.{name}"
        if not name:
            return InvalidInput(field, "has a column with an empty name")
        if type(cells) is not list or not all(type(c) is str for c in cells):
            return InvalidInput(at, "must be a list of cells as text (numbers too: '42')")
        if rows is None:
            rows = len(cells)
        elif len(cells) != rows:
            return InvalidInput(at, f"has {len(cells)} cells; the first column has {rows}")
    if not rows:
        return InvalidInput(field, "has no rows")
    return None


__all__ = [
    "AGGREGATIONS",
    "FILL_MASK_CHECKS",
    "FUNCTIONS_TO_APPLY",
    "PADDINGS",
    "QUESTION_ANSWERING_CHECKS",
    "SUMMARIZATION_CHECKS",
    "TABLE_QUESTION_ANSWERING_CHECKS",
    "TEXT_CLASSIFICATION_CHECKS",
    "TOKEN_CLASSIFICATION_CHECKS",
    "TRANSLATION_CHECKS",
    "TRUNCATIONS",
    "ZERO_SHOT_CHECKS",
    "check_choice",
    "check_labels",
    "check_table",
    "one_text",
    "query_and_table",
    "question_and_context",
]
