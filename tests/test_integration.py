"""Against the real Hugging Face router. Run with ``python -m pytest --integration`` and a
token (HF_TOKEN / HUGGINGFACE_API_KEY / secret/-secrets.sh); skipped, with the reason, without."""

from __future__ import annotations

import pytest
from returns.result import Success
from toolz import pipe

import hf_pure as hf

pytestmark = pytest.mark.integration

CHAT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
TGI_MODEL = "openai-community/gpt2"


async def test_real_chat(real_runner: hf.Runner) -> None:
    request: hf.ChatRequest = pipe(hf.chat(CHAT_MODEL, ["Say hello."]), hf.max_tokens(20))
    answer = (await real_runner.run(request)).unwrap()
    assert answer.text
    assert answer.usage is not None


async def test_real_stream(real_runner: hf.Runner) -> None:
    request: hf.ChatRequest = pipe(hf.chat(CHAT_MODEL, ["Count to five."]), hf.max_tokens(30))
    stream = real_runner.stream(request)
    texts = [chunk.text async for chunk in stream]
    assert "".join(texts) == stream.result.unwrap().text


async def test_real_text_generation(real_runner: hf.Runner) -> None:
    request: hf.TextGenerationRequest = pipe(
        hf.text_generation(TGI_MODEL, "The capital of France is"), hf.max_tokens(5)
    )
    result = await real_runner.run(request)
    # hf-inference serves only some models at any time: a clear NotFound is an honest answer
    match result:
        case Success(out):
            assert isinstance(out.generated_text, str)
        case _:
            assert isinstance(result.failure(), hf.NotFound | hf.ModelLoading), result
