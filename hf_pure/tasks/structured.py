"""Structured outputs: a JSON schema from a class, and the answer decoded into that class.

Like openai's ``.parse()``, without pydantic: the classes are attrs classes, msgspec Structs
or dataclasses, and msgspec writes both the schema and the decoder, so the two can't
disagree about a field::

    @attrs.frozen
    class City:
        name: str
        population: int
        country: str | None = None

    request = pipe(hf.chat(model, [hf.user("The largest city in Peru?")]), hf.structured(City))
    city = hf.parse_answer(await runner.run(request), City)   # Result[City, HfError]

- :func:`json_schema_of` builds the schema (``strict=True``: OpenAI's strict form; see
  :mod:`hf_pure.tasks._schema` for the rules). A class that can't be a schema (a field of a
  type JSON can't hold) is a TypeError naming the field: it comes from code.
- :func:`structured` asks for it: ``response_format`` in the OpenAI form on the router (sent
  in TGI's grammar form ``{"type": "json_object", "value": schema}`` on
  ``via("hf-inference")``), and TGI's ``grammar`` parameter ``{"type": "json", "value":
  schema}`` on text generation. The schema keeps the class's field order on the wire (models
  write the fields in schema order).
- :func:`parse_answer` decodes a ``ChatCompletion`` (choice 0), a ``Choice``, an
  ``AnswerMessage``, a ``TextGeneration``, their text, or a ``Result`` of any of them, into an
  instance. An answer that doesn't fit is ``MalformedResponse`` naming the field
  (``points[1].x: expected int, got str``); text that isn't JSON is ``MalformedResponse`` too
  (saying so when the answer was cut at its token limit). One code fence around the whole
  answer (```` ```json ... ``` ````, any or no language tag), as some models write, is
  tolerated; prose around it is not.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, Final, Protocol, Self, TypeVar, cast, get_args, get_type_hints

import attrs
import msgspec
import msgspec.json
from returns.result import Failure, Result, Success

from hf_pure.core.codec import dumps, excerpt
from hf_pure.core.errors import HfError, MalformedResponse
from hf_pure.tasks._decode import lazy_decoder
from hf_pure.tasks._schema import shape
from hf_pure.tasks.chat_reply import AnswerMessage, ChatCompletion, Choice
from hf_pure.tasks.options import RawJson, Unsendable
from hf_pure.tasks.text_generation_reply import TextGeneration

T = TypeVar("T")

#: What a structured answer is read from.
Answer = ChatCompletion | Choice | AnswerMessage | TextGeneration | str

_NAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_NAME_MAX: Final = 64  # OpenAI's limit on a response format's name
_FENCE: Final = "```"
_HTTP_OK: Final = 200  # a structured answer came in a 2xx reply


class _Structurable(Protocol):
    """A request that knows its task and takes options (chat, text generation, tasks)."""

    @property
    def task(self) -> str: ...

    def with_option(self, name: str, value: Any) -> Self: ...


S = TypeVar("S", bound=_Structurable)


# --------------------------------------------------------------------------- the schema


def _is_class(cls: object) -> bool:
    return isinstance(cls, type) and (
        attrs.has(cls) or issubclass(cls, msgspec.Struct) or dataclasses.is_dataclass(cls)
    )


def _require_class(cls: object, who: str) -> type:
    if _is_class(cls):
        return cast("type", cls)
    hint = " (an instance: pass its class)" if _is_class(type(cls)) else ""
    raise TypeError(
        f"{who}: cls must be an attrs class, a msgspec Struct type or a dataclass, "
        f"got {cls!r}{hint}"
    )


def json_schema_of(cls: type, *, strict: bool = True) -> dict[str, Any]:
    """The JSON schema of ``cls`` (an attrs class, a msgspec Struct type or a dataclass),
    self-contained (classes inlined; ``$defs`` only for a class that contains itself), in
    OpenAI's strict form when ``strict`` (every object closed, every property required,
    Optional fields nullable). TGI's grammar takes either form. A fresh dict each call.

    Raises TypeError naming the field when the class can't be a schema (a field of a type
    msgspec can't write as JSON, an unresolved annotation, or, ``strict``, a dict with free
    keys, a value of any type, or a class answered as an array)."""
    if type(strict) is not bool:
        raise TypeError(f"json_schema_of(): strict must be True or False, got {strict!r}")
    cls = _require_class(cls, "json_schema_of()")
    try:
        raw = msgspec.json.schema(cls)
    except (TypeError, ValueError, NameError) as exc:
        raise TypeError(f"json_schema_of({cls.__name__}): {_culprit(cls, exc)}") from exc
    try:
        schema = shape(raw, cls.__name__, strict=strict)
    except TypeError as exc:
        raise TypeError(f"json_schema_of({cls.__name__}): {exc}") from None
    bad = _not_finite(schema, "")
    if bad is not None:  # a default JSON can't hold (msgspec would write it as null)
        raise TypeError(
            f"json_schema_of({cls.__name__}): the default at {bad} is not a JSON number "
            "(JSON has no NaN or infinity)"
        )
    # defaults as plain JSON (msgspec leaves them as given: tuples, enum members, dates)
    plain: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(schema))
    return plain


def _not_finite(value: Any, at: str) -> str | None:
    """Where a NaN or infinity is in the schema, or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else at or "."
    if isinstance(value, dict):
        found = (_not_finite(v, f"{at}.{k}") for k, v in value.items())
    elif isinstance(value, list | tuple):
        found = (_not_finite(v, f"{at}[{i}]") for i, v in enumerate(value))
    else:
        return None
    return next((f for f in found if f is not None), None)


def _culprit(cls: type, exc: BaseException) -> str:
    """Which field of which class has the type msgspec refused, and msgspec's reason."""
    said = str(exc).strip().splitlines()
    reason = said[-1] if said else type(exc).__name__
    found = _field_of(cls, set())
    where = f"field {found} has no JSON schema" if found else "has no JSON schema"
    return f"{where} ({reason})"


def _field_of(cls: type, seen: set[type]) -> str:
    """``Class.field`` of the first field (searched depth first) whose type has no schema."""
    seen.add(cls)
    try:
        hints = get_type_hints(cls, include_extras=True)
    except (NameError, TypeError, AttributeError):  # an unresolved annotation: msgspec says
        return ""
    for field, hint in hints.items():
        for inner in _classes_in(hint):
            if inner not in seen and _is_class(inner):
                deeper = _field_of(inner, seen)
                if deeper:
                    return deeper
        try:
            msgspec.json.schema(hint)
        except (TypeError, ValueError, NameError):
            return f"{cls.__name__}.{field}"
    return ""


def _classes_in(hint: Any) -> tuple[Any, ...]:
    args = get_args(hint)
    return (hint, *(c for a in args for c in _classes_in(a))) if args else (hint,)


def _name_for(cls: type) -> str:
    """The response format's name: the class name in OpenAI's alphabet (``[a-zA-Z0-9_-]``,
    at most 64 characters)."""
    name = "".join(c if c in _NAME_CHARS else "_" for c in cls.__name__)[:_NAME_MAX]
    return name or "answer"


# --------------------------------------------------------------------------- the modifier


def structured(cls: type, name: str | None = None, *, strict: bool = True) -> Callable[[S], S]:
    """Ask for an answer that is a ``cls`` (see :func:`json_schema_of`). On chat it sets
    ``response_format`` as :func:`hf.json_schema` does (named ``name``, by default the class's
    name), which the hf-inference route gets in TGI's grammar form; on text generation TGI's
    ``grammar`` parameter. Read the answer with :func:`parse_answer`. The schema is built here,
    once: a class that can't be one is a TypeError at this call."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"structured(): name must be a str or None, got {name!r}")
    if type(strict) is not bool:
        raise TypeError(f"structured(): strict must be True or False, got {strict!r}")
    schema = json_schema_of(cls, strict=strict)
    label = _name_for(cls) if name is None else name
    inner = {"name": label, "schema": schema, "strict": strict}
    # Frozen here, not by freeze(): its canonical form would sort the properties by name
    chat_format = RawJson(dumps({"type": "json_schema", "json_schema": inner}))
    grammar = RawJson(dumps({"type": "json", "value": schema}))
    elsewhere = Unsendable("structured() is for chat and text generation")

    def apply(request: S) -> S:
        task = request.task
        if task == "chat":
            return request.with_option("response_format", chat_format)
        if task == "text-generation":
            return request.with_option("grammar", grammar)
        return request.with_option("response_format", elsewhere)

    return apply


# --------------------------------------------------------------------------- the answer


def parse_answer(answer: Answer | Result[Any, HfError], cls: type[T]) -> Result[T, HfError]:
    """``answer`` decoded into a ``cls``: ``Success(instance)``, or ``MalformedResponse``
    naming the field that doesn't fit (or saying the text isn't JSON). ``answer`` is a
    ``ChatCompletion`` (its first choice), a ``Choice``, an ``AnswerMessage``, a
    ``TextGeneration``, the text itself, or a ``Result`` of one (a Failure passes through).
    A wrong ``answer`` or ``cls`` type is a TypeError naming it."""
    kind = _require_class(cls, "parse_answer()")
    if isinstance(answer, Result):
        return cast("Result[T, HfError]", answer.bind(lambda value: parse_answer(value, cls)))
    text, finish = _text_of(answer)
    return _read_as(kind, text, finish)


def _text_of(answer: object) -> tuple[str | None, str | None]:
    """The answer's text and finish reason (None: no text, e.g. only tool calls)."""
    if isinstance(answer, str):
        return answer, None
    if isinstance(answer, ChatCompletion):
        first = answer.choices[0] if answer.choices else None
        return (_message_text(first.message), first.finish_reason) if first else ("", None)
    if isinstance(answer, Choice):
        return _message_text(answer.message), answer.finish_reason
    if isinstance(answer, AnswerMessage):
        return _message_text(answer), None
    if isinstance(answer, TextGeneration):
        details = answer.details
        return answer.generated_text, details.finish_reason if details else None
    raise TypeError(
        "parse_answer(): answer must be a ChatCompletion, Choice, AnswerMessage, "
        f"TextGeneration, str or a Result of one, got {type(answer).__name__}"
    )


def _message_text(message: AnswerMessage) -> str | None:
    text = message.text
    return None if not text and message.tool_calls else text


def unfenced(text: str) -> str:
    """``text`` without one code fence around all of it (```` ```json\\n...\\n``` ````, any
    or no language tag, or ```` ```{...}``` ```` on one line); other text as it is, stripped."""
    inner = text.strip()
    if len(inner) < 2 * len(_FENCE) or not (inner.startswith(_FENCE) and inner.endswith(_FENCE)):
        return inner
    body = inner[len(_FENCE) : -len(_FENCE)]
    head, newline, rest = body.partition("\n")
    if newline and not head.lstrip().startswith(("{", "[", '"')):
        body = rest  # the first line is a language tag (json, JSON, ...)
    return body.strip()


def _read_as(cls: type[T], text: str | None, finish: str | None) -> Result[T, HfError]:
    what = cls.__name__
    if text is None or not text.strip():
        said = " (it holds tool calls only)" if text is None else ""
        return Failure(
            MalformedResponse(_HTTP_OK, f"the answer has no text to read as {what}{said}")
        )
    body = unfenced(text).encode("utf-8", "surrogatepass")  # a lone surrogate: not JSON
    try:
        value: T = lazy_decoder(cls).decode(body)
    except msgspec.ValidationError as exc:
        return Failure(MalformedResponse(_HTTP_OK, _misfit(str(exc), what), excerpt(body)))
    except (msgspec.DecodeError, RecursionError) as exc:
        cut = (
            "; the answer was cut at its token limit (finish_reason 'length'): raise max_tokens"
            if finish == "length"
            else ""
        )
        reason = f"the answer is not JSON ({exc}): expected a {what} object{cut}"
        return Failure(MalformedResponse(_HTTP_OK, reason, excerpt(body)))
    except NameError as exc:  # an annotation msgspec can't resolve: the class's, not the answer's
        raise TypeError(f"parse_answer(): {what} can't be decoded into: {exc}") from exc
    return Success(value)


def _misfit(said: str, what: str) -> str:
    """msgspec's validation message in the house form: ``points[0].x: expected int, got str``
    (msgspec: ``Expected `int`, got `str` - at `$.points[0].x```)."""
    message, sep, at = said.rpartition(" - at `")
    if not sep:
        message, at = said, "$`"
    path = at.removesuffix("`").removeprefix("$").removeprefix(".")
    for lead, reason in _FIELD_MESSAGES:
        if message.startswith(lead):
            field = message[len(lead) :].strip("`")
            path = f"{path}.{field}" if path else field
            message = reason
            break
    else:
        message = message.replace("`", "")
        message = message[:1].lower() + message[1:]
    where = f"{path}: " if path else ""
    return f"{where}{message} (reading the answer as {what})"


#: msgspec messages that name a field of the object at the path, and the house reason.
_FIELD_MESSAGES: Final = (
    ("Object missing required field ", "missing (the field is required)"),
    ("Object contains unknown field ", "is not a field of the class"),
)
