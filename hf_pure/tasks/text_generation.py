"""Text generation (TGI) through hf-inference, plain and streamed, as pure values.

``POST {router}/hf-inference/models/{repo id}`` with ``{"inputs", "parameters", "stream"}``.
The stream has no ``[DONE]``: it is complete when an event carries the final
``generated_text``; a body that ends before that is a cut stream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.codec import JSONDecodeError, dumps, excerpt, loads
from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.failures import error_from_event, malformed
from hf_pure.core.http import HttpCall, RawReply, repo_path
from hf_pure.core.request import Broken, Done, decode_events
from hf_pure.core.sse import SseEvent
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
        # Positional on purpose, as ChatRequest.with_option (per modifier; a test checks
        # every field survives).
        return TextGenerationRequest(
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


def text_generation(model: str, prompt: str) -> TextGenerationRequest:
    """A text generation request for a TGI model served by hf-inference."""
    return TextGenerationRequest(model, prompt)  # positional: cheaper, once per request


# --------------------------------------------------------------------------- replies


@attrs.frozen(repr=False)
class Token(Value):
    id: int
    text: str
    logprob: float | None = None
    special: bool = False


@attrs.frozen(repr=False)
class BestOfSequence(Value):
    generated_text: str
    finish_reason: str
    generated_tokens: int
    seed: int | None = None


@attrs.frozen(repr=False)
class Details(Value):
    finish_reason: str
    generated_tokens: int
    seed: int | None = None
    prefill: tuple[Token, ...] = ()
    tokens: tuple[Token, ...] = ()
    best_of_sequences: tuple[BestOfSequence, ...] = ()


@attrs.frozen(repr=False)
class TextGeneration(Value):
    """The generated text, with TGI's details when they were asked for."""

    generated_text: str
    details: Details | None = None

    @property
    def text(self) -> str:
        return self.generated_text


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _intval(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def token_from_json(obj: Any) -> Token | None:
    if type(obj) is not dict:
        return None
    text = obj.get("text")
    return Token(
        _intval(obj.get("id")),
        text if type(text) is str else "",
        _num(obj.get("logprob")),
        obj.get("special") is True,
    )


def _tokens(raw: Any) -> tuple[Token, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(t for t in (token_from_json(x) for x in raw) if t is not None)


def details_from_json(obj: Any) -> Details | None:
    if not isinstance(obj, dict):
        return None
    seed = obj.get("seed")
    best = obj.get("best_of_sequences")
    return Details(
        str(obj.get("finish_reason") or ""),
        _intval(obj.get("generated_tokens")),
        seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        _tokens(obj.get("prefill")),
        _tokens(obj.get("tokens")),
        tuple(
            BestOfSequence(
                str(b.get("generated_text", "")),
                str(b.get("finish_reason", "")),
                _intval(b.get("generated_tokens")),
                b.get("seed") if isinstance(b.get("seed"), int) else None,
            )
            for b in (best if isinstance(best, list) else ())
            if isinstance(b, dict)
        ),
    )


def decode_text_generation(reply: RawReply) -> Result[TextGeneration, HfError]:
    """Decode ``[{"generated_text", "details"?}]`` (or the bare object some servers send)."""
    try:
        obj = loads(reply.body)
    except JSONDecodeError:
        return Failure(malformed(reply, "the body is not valid JSON"))
    if isinstance(obj, dict) and "error" in obj:
        return Failure(error_from_event(obj, reply.request_id))
    item = obj[0] if isinstance(obj, list) and obj else obj
    if not isinstance(item, dict) or not isinstance(item.get("generated_text"), str):
        return Failure(malformed(reply, 'expected [{"generated_text": ...}]'))
    return Success(TextGeneration(item["generated_text"], details_from_json(item.get("details"))))


# --------------------------------------------------------------------------- streaming


@attrs.frozen(repr=False)
class TextGenerationChunk(Value):
    """One streamed token; the last chunk also carries ``generated_text`` (and ``details``)."""

    index: int
    token: Token
    generated_text: str | None = None
    details: Details | None = None

    @property
    def text(self) -> str:
        """The token's text ("" for special tokens such as ``</s>``)."""
        return "" if self.token.special else self.token.text


_NO_TOKEN: Final = Token(0, "", None, True)


@attrs.frozen(repr=False)
class TextGenerationCodec(Value):
    """SSE events of a TGI stream to :class:`TextGenerationChunk` values."""

    def event(
        self, event: SseEvent, request_id: str | None
    ) -> TextGenerationChunk | HfError | Broken | None:
        try:
            obj = loads(event.data)
        except JSONDecodeError:
            if event.event == "error":
                return error_from_event(
                    {"error": event.data.decode("utf-8", "replace")}, request_id
                )
            return Broken(f"an event was not valid JSON: {excerpt(event.data, 60)!r}")
        if type(obj) is not dict:
            return Broken(f"an event was not a JSON object: {excerpt(event.data, 60)!r}")
        if "error" in obj or event.event == "error":
            return error_from_event(obj, request_id)
        token = token_from_json(obj.get("token"))
        text = obj.get("generated_text")
        details = obj.get("details")
        return TextGenerationChunk(
            _intval(obj.get("index")),
            token if token is not None else _NO_TOKEN,
            text if type(text) is str else None,
            details_from_json(details) if details else None,
        )

    def events(
        self, events: Sequence[bytes | SseEvent], request_id: str | None
    ) -> tuple[list[TextGenerationChunk], HfError | Done | Broken | None]:
        return decode_events(self.event, TextGenerationChunk, events, request_id)

    def final(self, chunk: TextGenerationChunk) -> bool:
        return chunk.generated_text is not None

    def text(self, chunks: Sequence[TextGenerationChunk]) -> str:
        return "".join(c.text for c in chunks)

    def assemble(self, chunks: Sequence[TextGenerationChunk]) -> TextGeneration:
        last = next((c for c in reversed(chunks) if c.generated_text is not None), None)
        if last is None or last.generated_text is None:
            return TextGeneration(self.text(chunks))
        return TextGeneration(last.generated_text, last.details)

    def as_chunk(self, answer: TextGeneration) -> TextGenerationChunk:
        """The whole answer as one final chunk (a server that ignored ``stream`` sent it
        whole): one token carrying all the text."""
        return TextGenerationChunk(
            index=1,
            token=Token(id=0, text=answer.generated_text, logprob=None, special=False),
            generated_text=answer.generated_text,
            details=answer.details,
        )


TEXT_GENERATION_CODEC: Final = TextGenerationCodec()
