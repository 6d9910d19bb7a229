"""Text generation in the TGI format (``POST /hf-inference/models/{repo id}``), emulated."""

from __future__ import annotations

from . import _json as orjson  # msgspec underneath
from ._answers import (
    Answer,
    Invalid,
    JsonAnswer,
    SseAnswer,
    opt_bool,
    opt_int,
    opt_number,
    opt_stops,
    parse_object,
    validation_error,
)
from ._structured import grammar_schema, grammar_tokens
from ._text import VOCAB, count_words, logprob_of, pick_words

__all__ = ["DEFAULT_MAX_NEW_TOKENS", "TOKEN_ID_OFFSET", "tgi_answer"]

DEFAULT_MAX_NEW_TOKENS = 20
TOKEN_ID_OFFSET = 1000


def tgi_answer(body: bytes, *, reply_tokens: int, allow_stream: bool = True) -> Answer:
    """The answer to a TGI request; ``allow_stream=False`` answers ``"stream": true`` whole."""
    data = parse_object(body)
    if isinstance(data, JsonAnswer):
        return data
    try:
        inputs = data.get("inputs")
        if not isinstance(inputs, str):
            raise Invalid("`inputs` must be a string")
        if not inputs.strip():
            raise Invalid("`inputs` cannot be empty")
        raw_params = data.get("parameters")
        if raw_params is None:
            params: dict[str, object] = {}
        elif isinstance(raw_params, dict):
            params = raw_params
        else:
            raise Invalid("`parameters` must be an object")
        opt_number(params, "temperature", 0.0, float("inf"), lo_open=True)
        opt_number(params, "top_p", 0.0, 1.0, lo_open=True, hi_open=True)
        opt_number(params, "typical_p", 0.0, 1.0, lo_open=True, hi_open=True)
        opt_number(params, "repetition_penalty", 0.0, float("inf"), lo_open=True)
        opt_int(params, "top_k", 1)
        max_new = opt_int(params, "max_new_tokens", 1)
        max_new = DEFAULT_MAX_NEW_TOKENS if max_new is None else max_new
        seed = opt_int(params, "seed", 0)
        stops = opt_stops(params, "stop")
        full_text = bool(opt_bool(params, "return_full_text"))
        details = bool(opt_bool(params, "details"))
        opt_bool(params, "do_sample")
        stream = bool(opt_bool(data, "stream")) and allow_stream
        grammar = grammar_schema(params)
    except Invalid as exc:
        return validation_error(exc.message)

    key = f"{inputs}\x00{seed}\x00".encode()
    indices = [] if grammar is not None else pick_words(key, min(reply_tokens, max_new))
    finish = "length" if max_new < reply_tokens else "eos_token"
    tokens: list[dict[str, object]] = []
    generated = ""
    for index in indices:
        text = " " + VOCAB[index]
        generated += text
        tokens.append(
            {
                "id": TOKEN_ID_OFFSET + index,
                "text": text,
                "logprob": logprob_of(index),
                "special": False,
            }
        )
        if stops and any(s in generated for s in stops):
            finish = "stop_sequence"
            break
    if grammar is not None:  # the answer is JSON that follows the schema
        tokens, generated, finish = grammar_tokens(grammar, max_new, stops, TOKEN_ID_OFFSET)
    generated_text = inputs + generated if full_text else generated
    if stream:
        return _stream(
            tokens=tokens,
            generated_text=generated_text,
            finish=finish,
            seed=seed,
            input_length=count_words(inputs),
            details=details,
        )
    out: dict[str, object] = {"generated_text": generated_text}
    if details:
        out["details"] = {
            "finish_reason": finish,
            "generated_tokens": len(tokens),
            "seed": seed,
            "prefill": [],
            "tokens": tokens,
        }
    return JsonAnswer(200, orjson.dumps([out]))


def _stream(
    *,
    tokens: list[dict[str, object]],
    generated_text: str,
    finish: str,
    seed: int | None,
    input_length: int,
    details: bool,
) -> SseAnswer:
    events = [
        b'data:{"index":'
        + str(i).encode()
        + b',"token":'
        + orjson.dumps(token)
        + b',"generated_text":null,"details":null}\n\n'
        for i, token in enumerate(tokens, start=1)
    ]
    last: dict[str, object] = {
        "index": len(tokens),
        "token": tokens[-1] if tokens else {"id": 0, "text": "", "logprob": 0.0, "special": True},
        "generated_text": generated_text,
        "details": {
            "finish_reason": finish,
            "generated_tokens": len(tokens),
            "seed": seed,
            "input_length": input_length,
        }
        if details
        else None,
    }
    if events:
        events[-1] = b"data:" + orjson.dumps(last) + b"\n\n"
    else:
        events.append(b"data:" + orjson.dumps(last) + b"\n\n")
    return SseAnswer(events, b"data:")
