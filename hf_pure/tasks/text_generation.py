"""Text generation (TGI) through hf-inference, plain and streamed, as pure values.

``POST {router}/hf-inference/models/{repo id}`` with ``{"inputs", "parameters", "stream"}``.
The stream has no ``[DONE]``: it is complete when an event carries the final
``generated_text``; a body that ends before that is a cut stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs
from returns.result import Result

from hf_pure.core.codec import dumps
from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.http import HttpCall, RawReply, repo_path
from hf_pure.core.value import Value
from hf_pure.tasks.options import (
    Check,
    Option,
    Options,
    check_options,
    freeze,
    freeze_options,
    set_option,
    wire,
)
from hf_pure.tasks.text_generation_reply import (
    BestOfSequence,
    GenerationDetails,
    TextGeneration,
    Token,
    decode_text_generation,
    details_from_json,
    token_from_json,
)
from hf_pure.tasks.text_generation_stream import (
    TEXT_GENERATION_CODEC,
    TextGenerationChunk,
    TextGenerationCodec,
)
from hf_pure.tasks.validate import (
    check_bool,
    check_float,
    check_int,
    check_repo_id,
    check_stops,
    check_text,
)

MAX_STOP_SEQUENCES: Final = 4  # TGI's default max_stop_sequences


#: What each known TGI parameter must hold (TGI's own rules). Others pass through.
TGI_CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "max_new_tokens": lambda n, v, lim: check_int(n, v, 1, lim.max_tokens),
        "temperature": lambda n, v, _: check_float(n, v, 0.0, 2.0, low_open=True),
        "top_k": lambda n, v, _: check_int(n, v, 1),
        "top_p": lambda n, v, _: check_float(n, v, 0.0, 1.0, low_open=True, high_open=True),
        "typical_p": lambda n, v, _: check_float(n, v, 0.0, 1.0, low_open=True, high_open=True),
        "repetition_penalty": lambda n, v, _: check_float(n, v, 0.0, 100.0, low_open=True),
        "return_full_text": lambda n, v, _: check_bool(n, v),
        "stop": lambda n, v, _: check_stops(n, v, MAX_STOP_SEQUENCES),
        "seed": lambda n, v, _: check_int(n, v, 0, 2**64 - 1),
        "do_sample": lambda n, v, _: check_bool(n, v),
        "truncate": lambda n, v, _: check_int(n, v, 1),
        "details": lambda n, v, _: check_bool(n, v),
    }
)

_CHAT_ONLY = "a chat option: it doesn't apply to text generation"

TGI_RESERVED: Mapping[str, str] = MappingProxyType(
    {
        "inputs": "it is the request's prompt",
        "stream": "use streaming() or runner.stream",
        "max_tokens": "TGI calls it max_new_tokens (hf.max_tokens sets the right one)",
        # chat options TGI's text generation doesn't read (it would ignore or refuse them):
        "response_format": f"{_CHAT_ONLY} (TGI's structured output is its grammar parameter)",
        "tool_choice": _CHAT_ONLY,
        "tools": _CHAT_ONLY,
        "logprobs": f"{_CHAT_ONLY} (details() returns token log probabilities)",
        "top_logprobs": _CHAT_ONLY,
        "n": _CHAT_ONLY,
        "presence_penalty": _CHAT_ONLY,
        "frequency_penalty": _CHAT_ONLY,
        "logit_bias": _CHAT_ONLY,
        "messages": f"{_CHAT_ONLY} (text generation takes one prompt)",
    }
)


@attrs.frozen(cache_hash=True, repr=False)
class TextGenerationRequest(Value):
    """A TGI text generation request; ``options`` are the ``parameters`` the caller set
    (read them as attributes, set them with modifiers or :meth:`with_option`)."""

    model: str
    prompt: str
    options: Options = attrs.field(default=(), converter=freeze_options)
    stream: bool = False
    cacheable: bool = False

    max_new_tokens = Option[int]("max_new_tokens")
    temperature = Option[float]("temperature")
    top_k = Option[int]("top_k")
    top_p = Option[float]("top_p")
    typical_p = Option[float]("typical_p")
    repetition_penalty = Option[float]("repetition_penalty")
    return_full_text = Option[bool]("return_full_text")
    stop = Option[tuple[str, ...]]("stop")
    seed = Option[int]("seed")
    do_sample = Option[bool]("do_sample")
    truncate = Option[int]("truncate")
    details = Option[bool]("details")

    task = "text-generation"  # what task-specific modifiers compare with
    max_tokens_option = "max_new_tokens"  # the name the shared max_tokens modifier sets

    def with_option(self, name: str, value: Any) -> TextGenerationRequest:
        """This request with one parameter set (None removes it); the value is frozen. The one
        way parameters are set: every modifier comes through here."""
        return _trusted(
            self.model,
            self.prompt,
            set_option(self.options, name, freeze(value)),
            self.stream,
            self.cacheable,
        )

    def check(self, limits: Limits) -> InvalidInput | None:
        """The first thing wrong with this request (TGI's own rules), or None."""
        return (
            check_repo_id(self.model, limits)
            or (
                InvalidInput(
                    "model",
                    f"{self.model!r}: text generation is served by hf-inference, so a "
                    "':provider' suffix doesn't apply (the repo id alone)",
                )
                if ":" in self.model
                else None
            )
            or check_text("prompt", self.prompt, limits)
            or check_options(self.options, TGI_CHECKS, limits, TGI_RESERVED)
        )

    def parameters(self) -> dict[str, Any]:
        return {name: wire(value) for name, value in self.options}

    def body(self, *, stream: bool) -> dict[str, Any]:
        """Always with ``parameters`` (``{}`` when none are set): TGI samples when the object
        is missing and decodes greedily when it is there, so leaving it out would flip the
        default the moment the first parameter is set."""
        out: dict[str, Any] = {"inputs": self.prompt, "parameters": self.parameters()}
        if stream:
            out["stream"] = True
        return out

    def _path(self) -> str:
        return f"/hf-inference/models/{repo_path(self.model)}"

    def to_call(self) -> HttpCall:
        return HttpCall(
            "POST",
            self._path(),
            body=dumps(self.body(stream=False)),
            content_type="application/json",
        )

    def to_stream_call(self) -> HttpCall:
        return HttpCall(
            "POST",
            self._path(),
            body=dumps(self.body(stream=True)),
            content_type="application/json",
            stream=True,
        )

    def decode(self, reply: RawReply) -> Result[TextGeneration, HfError]:
        return decode_text_generation(reply)

    @property
    def codec(self) -> TextGenerationCodec:
        return TEXT_GENERATION_CODEC


# The trusted constructor, as chat's (see tasks/chat.py): fields already frozen, set through
# the slots' descriptors; tests/test_chat.py checks it against attrs' own __init__.
TGI_TRUSTED_FIELDS: Final = (
    "model",
    "prompt",
    "options",
    "stream",
    "cacheable",
    "_attrs_cached_hash",
)
(_s_model, _s_prompt, _s_options, _s_stream, _s_cache, _s_hash) = (
    TextGenerationRequest.__dict__[name].__set__ for name in TGI_TRUSTED_FIELDS
)
_new: Final = object.__new__


def _trusted(
    model: str, prompt: str, options: Options, stream: bool, cacheable: bool
) -> TextGenerationRequest:
    request: TextGenerationRequest = _new(TextGenerationRequest)
    _s_model(request, model)
    _s_prompt(request, prompt)
    _s_options(request, options)
    _s_stream(request, stream)
    _s_cache(request, cacheable)
    _s_hash(request, None)
    return request


def text_generation(model: str, prompt: str) -> TextGenerationRequest:
    """A text generation request for a TGI model served by hf-inference."""
    return _trusted(model, prompt, (), False, False)


__all__ = [
    "TEXT_GENERATION_CODEC",
    "TGI_CHECKS",
    "BestOfSequence",
    "GenerationDetails",
    "TextGeneration",
    "TextGenerationChunk",
    "TextGenerationCodec",
    "TextGenerationRequest",
    "Token",
    "decode_text_generation",
    "details_from_json",
    "text_generation",
    "token_from_json",
]
