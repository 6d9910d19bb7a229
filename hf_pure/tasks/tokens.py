"""Token counts estimated without a tokenizer, and whether a request fits a context window.

    hf.estimate_tokens("The quick brown fox jumps over the lazy dog")        # 13
    hf.estimate_tokens(request, strategy="estimation")
    fit = hf.fits(request, context_window=8192)
    if not fit:
        print(f"over by {-fit.spare} tokens")

The strategies are the ones of the crate this library grew from, rounded up as it rounds:

- ``"estimation"``: characters / 4, the quick rough figure;
- ``"word_based"``: words (runs of non-whitespace) x 1.3;
- ``"character_based"``: characters / 3.5, the default (closer for English text, and on the
  safe side of the others).

Characters are code points (``len(text)``). A chat message costs
:data:`MESSAGE_OVERHEAD` (4) tokens of formatting, plus its role counted as text, plus its
content: the text of its text parts, its name, and the name and arguments of each tool call.
Image and other non-text parts count nothing (their cost depends on the model: leave room for
them). A chat request's tools count their name, description and JSON schema as text.
Text generation counts its prompt; an hf-inference task request counts every string in its
inputs (binary inputs count nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

import attrs

from hf_pure.core.value import Value
from hf_pure.tasks.chat import ChatRequest
from hf_pure.tasks.inference import TaskRequest
from hf_pure.tasks.messages import Message, TextPart, as_message
from hf_pure.tasks.options import RawJson
from hf_pure.tasks.text_generation import TextGenerationRequest
from hf_pure.tasks.tools import Tool

__all__ = [
    "COUNTERS",
    "DEFAULT_TOKEN_STRATEGY",
    "MESSAGE_OVERHEAD",
    "TokenFit",
    "TokenStrategy",
    "count_text",
    "estimate_tokens",
    "fits",
]


class TokenStrategy(StrEnum):
    """How text becomes a token count (each rounded up to a whole token)."""

    ESTIMATION = "estimation"  # characters / 4
    WORD_BASED = "word_based"  # words x 1.3
    CHARACTER_BASED = "character_based"  # characters / 3.5


# Each strategy's count, rounded up in integer arithmetic (no float rounding at the edges).
def _by_estimation(text: str) -> int:
    return (len(text) + 3) // 4  # ceil(chars / 4)


def _by_words(text: str) -> int:
    return (len(text.split()) * 13 + 9) // 10  # ceil(words * 1.3)


def _by_characters(text: str) -> int:
    return (len(text) * 2 + 6) // 7  # ceil(chars / 3.5) = ceil(2 chars / 7)


Counter = Callable[[str], int]

#: The count of each strategy, by strategy.
COUNTERS: Mapping[TokenStrategy, Counter] = MappingProxyType(
    {
        TokenStrategy.ESTIMATION: _by_estimation,
        TokenStrategy.WORD_BASED: _by_words,
        TokenStrategy.CHARACTER_BASED: _by_characters,
    }
)


#: The strategy used when none is given (the crate's default too).
DEFAULT_TOKEN_STRATEGY: Final = TokenStrategy.CHARACTER_BASED

#: Formatting tokens a chat message costs on top of its role and content (the chat template's
#: start and end markers and separators; 4 is the figure the crate used, and OpenAI's).
MESSAGE_OVERHEAD: Final = 4


def _counter(strategy: TokenStrategy | str) -> Counter:
    if isinstance(strategy, TokenStrategy):
        return COUNTERS[strategy]
    if isinstance(strategy, str):
        try:
            return COUNTERS[TokenStrategy(strategy)]
        except ValueError:
            names = ", ".join(repr(s.value) for s in TokenStrategy)
            raise ValueError(f"strategy: {strategy!r} is not one of {names}") from None
    raise TypeError(f"strategy must be a TokenStrategy or its name, got {type(strategy).__name__}")


def count_text(text: str, strategy: TokenStrategy | str = DEFAULT_TOKEN_STRATEGY) -> int:
    """The estimated tokens of one text."""
    if not isinstance(text, str):
        raise TypeError(f"count_text(text=...) must be a str, got {type(text).__name__}")
    return _counter(strategy)(text)


# --------------------------------------------------------------------------- what counts


def _text(value: object, count: Counter) -> int:
    """The tokens of a text field; anything else (held for check() to report) counts 0."""
    return count(value) if isinstance(value, str) else 0


def _message(message: Message, count: Counter) -> int:
    total = MESSAGE_OVERHEAD + _text(message.role, count)
    content = message.content
    if isinstance(content, str):
        total += count(content)
    elif type(content) is tuple:
        total += sum(_text(part.text, count) for part in content if isinstance(part, TextPart))
    total += _text(message.name, count)
    for call in message.tool_calls:
        total += _text(call.name, count) + _text(call.arguments, count)
    return total


def _tool(tool: Tool, count: Counter) -> int:
    if not isinstance(tool, Tool):  # not a tool: check() reports it; it counts nothing here
        return 0
    schema = tool.parameters
    text = schema.decode("utf-8", "replace") if isinstance(schema, bytes) else ""
    return _text(tool.name, count) + _text(tool.description, count) + count(text)


def _strings(value: Any, count: Counter) -> int:
    """The tokens of every string in a JSON-like value (keys are structure: not counted)."""
    if isinstance(value, str):
        return count(value)
    if isinstance(value, RawJson):
        return _strings(value.value, count)
    if isinstance(value, Mapping):
        return sum(_strings(v, count) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_strings(v, count) for v in value)
    return 0  # numbers, flags, None, bytes


def _prompt(value: Any, count: Counter) -> int:
    if isinstance(value, str):
        return count(value)
    if isinstance(value, ChatRequest):
        messages = sum(_message(m, count) for m in value.messages)
        return messages + sum(_tool(t, count) for t in value.tools)
    if isinstance(value, Message):
        return _message(value, count)
    if isinstance(value, TextGenerationRequest):
        return count(value.prompt)
    if isinstance(value, TaskRequest):
        return _strings(value.inputs, count)
    if isinstance(value, list | tuple):  # messages (a str in them is a user message)
        return sum(_message(as_message(m), count) for m in value)
    if isinstance(value, Iterable) and not isinstance(value, bytes | bytearray | Mapping):
        return sum(_message(as_message(m), count) for m in value)
    raise TypeError(
        "estimate_tokens(value=...) takes a str, a message, a list of messages or a request, "
        f"got {type(value).__name__}"
    )


def estimate_tokens(value: Any, strategy: TokenStrategy | str = DEFAULT_TOKEN_STRATEGY) -> int:
    """The estimated prompt tokens of a text, a message, a list of messages or a request
    (chat, text generation, an hf-inference task): see the module documentation for what
    counts."""
    return _prompt(value, _counter(strategy))


# --------------------------------------------------------------------------- the window


@attrs.frozen(repr=False)
class TokenFit(Value):
    """How a request sits in a context window: true when it fits (``bool(fit)``).

    ``prompt`` is the estimate of what is sent, ``completion`` the tokens the request asks to
    generate (its ``max_tokens``; 0 when it sets none, which leaves the length to the
    server), ``window`` the context window. ``spare`` is what is left (negative: over by
    that much).
    """

    prompt: int
    completion: int
    window: int

    @property
    def total(self) -> int:
        return self.prompt + self.completion

    @property
    def spare(self) -> int:
        return self.window - self.total

    @property
    def fits(self) -> bool:
        return self.spare >= 0

    def __bool__(self) -> bool:
        return self.fits


def _completion(value: Any) -> int:
    """The request's own bound on generated tokens (chat ``max_tokens``, TGI
    ``max_new_tokens``, a task's ``max_new_tokens`` parameter), 0 when none is set."""
    name = getattr(value, "max_tokens_option", None)
    if isinstance(name, str):
        found = getattr(value, name, None)
    elif isinstance(value, TaskRequest):
        found = value.option("max_new_tokens")
    else:
        found = None
    return found if type(found) is int and found > 0 else 0


def fits(
    value: Any, context_window: int, strategy: TokenStrategy | str = DEFAULT_TOKEN_STRATEGY
) -> TokenFit:
    """Whether ``value`` (as :func:`estimate_tokens` takes it) and the tokens it asks for fit
    in ``context_window``: a :class:`TokenFit`, true when they do, saying by how much."""
    if type(context_window) is not int:
        raise TypeError(
            f"fits(context_window=...) must be an int, got {type(context_window).__name__}"
        )
    if context_window < 1:
        raise ValueError(f"context_window: must be at least 1 token, got {context_window}")
    prompt = estimate_tokens(value, strategy)
    return TokenFit(prompt=prompt, completion=_completion(value), window=context_window)
