"""Small pure checks shared by the request builders. Each returns ``InvalidInput`` or None."""

from __future__ import annotations

import math
from collections.abc import Iterable

from hf_pure.core.codec import has_lone_surrogate, surrogate_at
from hf_pure.core.config import Limits
from hf_pure.core.error_base import InvalidInput

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def surrogate_reason(text: str) -> str:
    """Why ``text`` (which holds a lone surrogate) can't be sent, and the fix."""
    return (
        f"contains a lone surrogate at character {surrogate_at(text)} (not valid Unicode, "
        "often from decoding bytes with errors='surrogateescape'); clean it with "
        "text.encode('utf-8', 'replace').decode()"
    )


def check_str(field: str, value: object, *, empty: bool = True) -> InvalidInput | None:
    """``value`` is a str that can be sent (valid Unicode; non-empty unless ``empty``)."""
    if type(value) is not str:
        return InvalidInput(field, f"must be a string, got {type(value).__name__}")
    if not empty and not value:
        return InvalidInput(field, "is empty")
    if has_lone_surrogate(value):
        return InvalidInput(field, surrogate_reason(value))
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_repo_id(model: object, limits: Limits, field: str = "model") -> InvalidInput | None:
    """A Hub repository id: non-empty, printable, no whitespace, no leading/trailing or double
    slash, no path segment starting with a dot (the Hub forbids them; they'd also be ``..``)."""
    if (  # the valid case in one pass; the reasons are worked out only when it fails
        type(model) is str
        and 0 < len(model) <= limits.max_model_id_chars
        and model.isprintable()
        and " " not in model
        and "//" not in model
        and "/." not in model
        and model[0] not in "/."
        and model[-1] != "/"
    ):
        return None
    return _repo_id_problem(model, limits, field)


def _repo_id_problem(model: object, limits: Limits, field: str) -> InvalidInput:
    if not isinstance(model, str):
        return InvalidInput(field, f"must be a string, got {type(model).__name__}")
    if not model:
        return InvalidInput(field, "is empty")
    if len(model) > limits.max_model_id_chars:
        return InvalidInput(field, f"is longer than {limits.max_model_id_chars} characters")
    if has_lone_surrogate(model):
        return InvalidInput(field, surrogate_reason(model))
    if " " in model or not model.isprintable():  # isprintable: no other whitespace either
        return InvalidInput(field, f"{model!r} contains whitespace or control characters")
    if model.startswith("/") or model.endswith("/"):
        return InvalidInput(field, f"{model!r} must not start or end with '/'")
    if "//" in model:
        return InvalidInput(field, f"{model!r} contains '//'")
    return InvalidInput(field, f"{model!r} has a path segment starting with '.'")


def check_model(
    model: object, limits: Limits, field: str = "model", task: str = "conversational"
) -> InvalidInput | None:
    """A repo id with an optional ``:provider`` (or ``:fastest``/``:cheapest``/``:preferred``)
    suffix; a provider known not to serve ``task`` is refused, naming those that do."""
    if type(model) is str and ":" not in model:
        return check_repo_id(model, limits, field)
    if not isinstance(model, str):
        return InvalidInput(field, f"must be a string, got {type(model).__name__}")
    repo, _, suffix = model.partition(":")
    problem = check_repo_id(repo, limits, field)
    if problem is not None:
        return problem
    if not is_provider_name(suffix):
        return InvalidInput(field, f"provider suffix {suffix!r} is not a provider name")
    if len(model) > limits.max_model_id_chars:
        return InvalidInput(field, f"is longer than {limits.max_model_id_chars} characters")
    from hf_pure.tasks.providers import provider_check  # loaded with the first suffix

    return provider_check(suffix, task, field=field)


def is_provider_name(value: object) -> bool:
    """A provider name (``groq``, ``hf-inference``) or routing policy (``fastest``)."""
    return (
        isinstance(value, str)
        and value[:1].isascii()
        and value[:1].isalnum()
        and all(ch in _NAME_CHARS for ch in value)
    )


def check_float(
    field: str,
    value: object,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> InvalidInput | None:
    """``value`` is None or a finite number within the range (ends closed unless told)."""
    if value is None:
        return None
    if not _is_number(value):
        return InvalidInput(field, f"must be a number, got {type(value).__name__}")
    x = float(value)  # type: ignore[arg-type]
    if not math.isfinite(x):
        return InvalidInput(field, f"must be finite, got {x}")
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return InvalidInput(field, f"must be in {left}{low:g}, {high:g}{right}, got {x:g}")
    return None


def check_int(field: str, value: object, low: int, high: int | None = None) -> InvalidInput | None:
    """``value`` is None or an int within ``[low, high]``."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        return InvalidInput(field, f"must be an integer, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        upper = f"{high}" if high is not None else "∞"
        return InvalidInput(field, f"must be in [{low}, {upper}], got {value}")
    return None


def check_bool(field: str, value: object) -> InvalidInput | None:
    if value is None or isinstance(value, bool):
        return None
    return InvalidInput(field, f"must be true or false, got {type(value).__name__}")


def check_stops(field: str, stops: object, most: int | None = None) -> InvalidInput | None:
    """A tuple of non-empty strings, at most ``most`` of them."""
    if not isinstance(stops, tuple):
        return InvalidInput(field, f"must be a sequence of strings, got {type(stops).__name__}")
    if most is not None and len(stops) > most:
        return InvalidInput(field, f"at most {most} stop sequences, got {len(stops)}")
    for s in stops:
        if not isinstance(s, str) or not s:
            return InvalidInput(field, "each stop sequence must be a non-empty string")
    return None


def check_text(field: str, value: object, limits: Limits) -> InvalidInput | None:
    """A non-empty string within the input size limit."""
    if not isinstance(value, str):
        return InvalidInput(field, f"must be a string, got {type(value).__name__}")
    if not value:
        return InvalidInput(field, "is empty")
    if has_lone_surrogate(value):
        return InvalidInput(field, surrogate_reason(value))
    if len(value) > limits.max_input_chars:
        return InvalidInput(
            field,
            f"is {len(value):,} characters, over the limit of {limits.max_input_chars:,} "
            "(raise Limits.max_input_chars to allow it)",
        )
    return None


def freeze_strs(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A converter: one string, an iterable of strings or None, as a tuple."""
    if not value:
        return ()
    if type(value) is tuple:
        return value
    if isinstance(value, str):
        return (value,)
    return tuple(value)
