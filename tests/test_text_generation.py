"""TGI text generation as pure values: validation, encoding, decoding, the stream codec."""

from __future__ import annotations

from typing import Any

import pytest
from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.core.codec import loads
from hf_pure.core.errors import ErrorEvent
from hf_pure.core.http import raw_reply
from hf_pure.core.request import Broken
from hf_pure.core.sse import SseEvent
from hf_pure.tasks.text_generation import TEXT_GENERATION_CODEC as CODEC

MODEL = "bigscience/bloom-560m"


def test_body_path_and_modifiers() -> None:
    req = pipe(
        hf.text_generation(MODEL, "Once upon a time"),
        hf.max_tokens(30),
        hf.temperature(0.7),
        hf.top_k(40),
        hf.top_p(0.9),
        hf.repetition_penalty(1.1),
        hf.return_full_text(False),
        hf.stop("\n"),
        hf.seed(3),
        hf.details(),
        hf.do_sample(),
        hf.truncate(512),
    )
    assert req.check(hf.Limits()) is None
    call = req.to_call()
    assert call.path == f"/hf-inference/models/{MODEL}"
    assert call.body is not None
    assert loads(call.body) == {
        "inputs": "Once upon a time",
        "parameters": {
            "max_new_tokens": 30,
            "temperature": 0.7,
            "top_k": 40,
            "top_p": 0.9,
            "repetition_penalty": 1.1,
            "return_full_text": False,
            "seed": 3,
            "do_sample": True,
            "truncate": 512,
            "details": True,
            "stop": ["\n"],
        },
    }
    stream_body = req.to_stream_call().body
    assert stream_body is not None
    assert loads(stream_body)["stream"] is True


def test_parameters_are_sent_even_when_none_is_set() -> None:
    # TGI samples when "parameters" is missing and decodes greedily when it is present: an
    # empty object keeps the default the same before and after the first option is set.
    req = hf.text_generation("gpt2", "hi")
    for call in (req.to_call(), req.to_stream_call()):
        assert call.body is not None
        assert loads(call.body)["parameters"] == {}
    assert loads(req.to_call().body or b"") == {"inputs": "hi", "parameters": {}}


@pytest.mark.parametrize(
    ("modify", "field"),
    [
        (hf.temperature(0.0), "temperature"),  # TGI: strictly positive
        (hf.top_p(1.0), "top_p"),  # TGI: strictly below 1
        (hf.top_k(0), "top_k"),
        (hf.max_tokens(0), "max_new_tokens"),
        (hf.repetition_penalty(0.0), "repetition_penalty"),
        (hf.stop("a", "b", "c", "d", "e"), "stop"),
        (hf.seed(-1), "seed"),
        (hf.truncate(0), "truncate"),
    ],
)
def test_tgi_rules(modify: Any, field: str) -> None:
    found = modify(hf.text_generation(MODEL, "x")).check(hf.Limits())
    assert found is not None
    assert found.field == field


def test_empty_prompt_and_bad_model() -> None:
    assert hf.text_generation(MODEL, "").check(hf.Limits()) == hf.InvalidInput("prompt", "is empty")
    found = hf.text_generation("bad model", "x").check(hf.Limits())
    assert found is not None
    assert found.field == "model"


def test_decode_plain_and_with_details() -> None:
    req = hf.text_generation(MODEL, "x")
    assert req.decode(raw_reply(200, b'[{"generated_text": "abc"}]')) == Success(
        hf.TextGeneration("abc")
    )
    body = hf.json_dumps(
        [
            {
                "generated_text": "ab",
                "details": {
                    "finish_reason": "length",
                    "generated_tokens": 2,
                    "seed": 9,
                    "prefill": [],
                    "tokens": [
                        {"id": 1, "text": "a", "logprob": -0.5, "special": False},
                        {"id": 2, "text": "b", "logprob": None, "special": False},
                    ],
                },
            }
        ]
    )
    out = req.decode(raw_reply(200, body)).unwrap()
    assert out.details is not None
    assert out.details.finish_reason == "length"
    assert out.details.seed == 9
    assert [t.text for t in out.details.tokens] == ["a", "b"]
    assert out.details.tokens[1].logprob is None
    # some deployments send the object bare
    assert req.decode(raw_reply(200, b'{"generated_text": "z"}')).unwrap().text == "z"


@pytest.mark.parametrize("body", [b"", b"[]", b"[{}]", b'[{"generated_text": 5}]', b"{oops"])
def test_decode_malformed(body: bytes) -> None:
    out = hf.text_generation(MODEL, "x").decode(raw_reply(200, body))
    assert isinstance(out, Failure)
    assert isinstance(out.failure(), hf.MalformedResponse)


def ev(obj: Any) -> SseEvent:
    return SseEvent(hf.json_dumps(obj))


def token_event(i: int, text: str, final: str | None = None, special: bool = False) -> SseEvent:
    return ev(
        {
            "index": i,
            "token": {"id": i, "text": text, "logprob": -0.1, "special": special},
            "generated_text": final,
            "details": None,
        }
    )


def test_stream_codec() -> None:
    events = [token_event(0, "Hel"), token_event(1, "lo"), token_event(2, "</s>", "Hello", True)]
    chunks = [CODEC.event(e, None) for e in events]
    typed = [c for c in chunks if isinstance(c, hf.TextGenerationChunk)]
    assert [c.text for c in typed] == ["Hel", "lo", ""]
    assert [CODEC.final(c) for c in typed] == [False, False, True]
    assert CODEC.assemble(typed) == hf.TextGeneration("Hello")
    assert CODEC.text(typed[:2]) == "Hello"


def test_stream_codec_errors() -> None:
    err = CODEC.event(
        ev({"error": "Request failed during generation", "error_type": "generation"}), None
    )
    assert err == ErrorEvent("Request failed during generation", "generation")
    assert isinstance(CODEC.event(SseEvent(b"{not json"), None), Broken)
