"""as_curl: the command parses back (shlex) to exactly the exchange the runner makes, and
running it with bash against a server makes that exchange, byte for byte."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shlex
import shutil
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
from aiohttp import web
from conftest import ask, config_for
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.core.errors import HfError
from hf_pure.core.http import RawReply
from hf_pure.tasks.curl import BODY_END
from hf_pure.tasks.inference import TaskSpec, task_request
from hf_pure.testing import Emulator

CURL = shutil.which("curl")
BASE64 = shutil.which("base64")
BASH = shutil.which("bash")
needs_curl = pytest.mark.skipif(
    not (CURL and BASH), reason=f"running the command needs curl and bash (curl: {CURL})"
)
needs_base64 = pytest.mark.skipif(not BASE64, reason="the binary body pipeline needs base64(1)")

CONFIG = hf.ClientConfig(router_url="https://router.example", hub_url="https://hub.example")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) + b"'\"$`\\\n\x00EOF"


def _echo(reply: RawReply) -> Result[bytes, HfError]:
    return Success(reply.body)


IMAGE = TaskSpec(task="image-classification", decode=_echo)


def parse(command: str) -> list[str]:
    """The words the shell would see (line continuations joined; no expansion)."""
    return shlex.split(command.replace("\\\n", ""))


def headers_of(words: list[str]) -> list[str]:
    return [words[i + 1] for i, w in enumerate(words) if w == "-H"]


def data_of(words: list[str]) -> str:
    return words[words.index("--data-binary") + 1]


def rendered(request: Any, **options: Any) -> str:
    result = hf.as_curl(request, CONFIG, **options)
    assert isinstance(result, Success), result
    text: str = result.unwrap()
    return text


# ------------------------------------------------------------------------ what it says


def test_a_chat_request_parses_back_to_the_runners_exchange() -> None:
    request = pipe(ask(), hf.temperature(0.5))
    words = parse(rendered(request))
    call = request.to_call()
    assert words[:3] == ["curl", "-sS", "https://router.example/v1/chat/completions"]
    assert headers_of(words) == [
        f"User-Agent: {CONFIG.user_agent}",
        "Authorization: Bearer $HF_TOKEN",
        "Accept: application/json",
        "Content-Type: application/json",
    ]
    assert data_of(words).encode() == call.body
    assert "-X" not in words and "-N" not in words  # POST is implied by the body


def test_a_stream_gets_no_buffering_and_the_sse_accept() -> None:
    request = ask()
    for command in (rendered(pipe(request, hf.streaming())), rendered(request, stream=True)):
        words = parse(command)
        assert words[:3] == ["curl", "-sS", "-N"]
        assert "Accept: text/event-stream" in headers_of(words)
        assert data_of(words).encode() == request.to_stream_call().body
    plain = parse(rendered(pipe(request, hf.streaming()), stream=False))
    assert "-N" not in plain and data_of(plain).encode() == request.to_call().body


def test_the_token_is_a_variable_unless_revealed_on_purpose() -> None:
    token = hf.Secret("hf_secret_value_123")
    config = attrs.evolve(CONFIG, token=token)
    hidden = hf.as_curl(ask(), config, token=token).unwrap()
    assert "hf_secret_value_123" not in hidden
    assert '-H "Authorization: Bearer $HF_TOKEN"' in hidden
    shown = hf.as_curl(ask(), config, token=token, reveal=True).unwrap()
    assert "Authorization: Bearer hf_secret_value_123" in headers_of(parse(shown))
    assert "$HF_TOKEN" not in shown
    with pytest.raises(ValueError, match="token="):
        hf.as_curl(ask(), config, reveal=True)  # the config's token is never written
    with pytest.raises(TypeError, match="token"):
        hf.as_curl(ask(), CONFIG, token="hf_plain", reveal=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reveal"):
        hf.as_curl(ask(), CONFIG, reveal=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config"):
        hf.as_curl(ask(), "https://router.example")  # type: ignore[arg-type]


def test_shell_characters_in_the_body_stay_literal() -> None:
    nasty = 'it\'s $HOME `id` $(id) "quoted" \\n ünïcødé 🚀 !event *.py'
    request = pipe(hf.chat("meta-llama/Llama-3.1-8B-Instruct", [hf.user(nasty)]))
    words = parse(rendered(request))
    assert data_of(words).encode() == request.to_call().body
    assert json.loads(data_of(words))["messages"][0]["content"] == nasty


def test_one_line_says_the_same_words() -> None:
    request = pipe(ask(), hf.max_tokens(3))
    one = rendered(request, multiline=False)
    assert "\n" not in one
    assert shlex.split(one) == parse(rendered(request))


def test_a_binary_body_goes_through_a_base64_here_doc() -> None:
    request = task_request(IMAGE, "google/vit-base-patch16-224", PNG, content_type="image/png")
    command = rendered(request)
    first, *body_lines = command.rstrip("\n").split("\n")
    pipeline_lines = [first]
    while pipeline_lines[-1].endswith("\\"):
        pipeline_lines.append(body_lines.pop(0))
    words = parse("\n".join(pipeline_lines))
    assert words[:4] == ["base64", "-d", f"<<{BODY_END}", "|"]
    assert words[4:7] == [
        "curl",
        "-sS",
        "https://router.example/hf-inference/models/google/vit-base-patch16-224",
    ]
    assert "Content-Type: image/png" in headers_of(words)
    assert data_of(words) == "@-"
    assert body_lines[-1] == BODY_END
    assert all(len(line) <= 76 for line in body_lines)
    assert base64.b64decode("".join(body_lines[:-1])) == PNG == request.to_call().body


def test_a_bad_request_is_its_check_failure() -> None:
    bad = pipe(ask(), hf.temperature(5.0))
    problem = bad.check(CONFIG.limits)
    assert problem is not None
    assert hf.as_curl(bad, CONFIG) == Failure(problem)


@attrs.frozen
class HubGet:
    """A minimal request of the Request protocol: a Hub GET with a query, or another method."""

    method: str = "GET"
    body: bytes | None = None
    cacheable: bool = False

    def check(self, limits: hf.Limits) -> hf.InvalidInput | None:
        return None

    def to_call(self) -> hf.HttpCall:
        return hf.HttpCall(
            method=self.method,
            path="/api/models/gpt2",
            base="hub",
            query=(("expand[]", "inference"), ("q", "a b&c")),
            body=self.body,
            content_type="application/json" if self.body is not None else None,
        )

    def decode(self, reply: RawReply) -> Result[bytes, HfError]:
        return Success(reply.body)


def test_methods_and_the_hub_url() -> None:
    words = parse(rendered(HubGet()))
    assert words[:3] == [
        "curl",
        "-sS",
        "https://hub.example/api/models/gpt2?expand%5B%5D=inference&q=a+b%26c",
    ]
    assert "-X" not in words and "--data-binary" not in words
    assert "Content-Type: application/json" not in headers_of(words)
    assert "--head" in parse(rendered(HubGet(method="HEAD")))
    deleting = parse(rendered(HubGet(method="DELETE")))
    assert deleting[deleting.index("-X") + 1] == "DELETE"
    putting = parse(rendered(HubGet(method="PUT", body=b'{"a":1}')))
    assert putting[putting.index("-X") + 1] == "PUT" and data_of(putting) == '{"a":1}'


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=60).filter(lambda t: t.strip() != ""))
def test_any_message_text_survives_the_shell_quoting(text: str) -> None:
    request = hf.chat("meta-llama/Llama-3.1-8B-Instruct", [hf.user(text)])
    result = hf.as_curl(request, CONFIG)
    if request.check(CONFIG.limits) is not None:  # e.g. a lone surrogate: refused, not rendered
        assert isinstance(result, Failure)
        return
    assert data_of(parse(result.unwrap())).encode() == request.to_call().body


# ------------------------------------------------------------------------ running it


async def run_bash(command: str, **env: str) -> tuple[int, bytes, bytes]:
    assert BASH is not None
    proc = await asyncio.create_subprocess_exec(
        BASH,
        "-c",
        command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out, err


@needs_curl
async def test_the_json_command_runs_against_the_emulator(emulator: Emulator) -> None:
    request = pipe(ask("what does 'quoting' $do?"), hf.max_tokens(5))
    command = hf.as_curl(request, config_for(emulator)).unwrap()
    code, out, err = await run_bash(command, HF_TOKEN=emulator.token)
    assert code == 0, err
    answer = json.loads(out)
    assert answer["object"] == "chat.completion"
    assert len(answer["choices"][0]["message"]["content"].split()) == 5
    seen = emulator.requests[-1]
    assert seen.authorized  # $HF_TOKEN was put in by the shell
    assert seen.body == request.to_call().body
    assert seen.header("user-agent") == hf.ClientConfig().user_agent
    assert seen.header("accept") == "application/json"

    async with hf.open_runner(config_for(emulator), token=emulator.token) as runner:
        assert isinstance(await runner.run(request), Success)
    by_runner = emulator.requests[-1]
    for name in ("content-type", "accept", "user-agent"):
        assert by_runner.header(name) == seen.header(name)


@needs_curl
async def test_the_stream_command_prints_events_as_they_come(emulator: Emulator) -> None:
    request = pipe(ask(), hf.max_tokens(4), hf.streaming())
    command = hf.as_curl(request, config_for(emulator)).unwrap()
    code, out, err = await run_bash(command, HF_TOKEN=emulator.token)
    assert code == 0, err
    assert out.rstrip().endswith(b"data: [DONE]")
    assert emulator.requests[-1].header("accept") == "text/event-stream"


@pytest.fixture
async def echo_server() -> AsyncIterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A server that records each request's headers and body and answers 200."""
    seen: list[tuple[dict[str, str], bytes]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), await request.read()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


@needs_curl
@needs_base64
async def test_the_binary_command_sends_the_exact_bytes(
    echo_server: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, seen = echo_server
    config = hf.ClientConfig(router_url=url, hub_url=url)
    request = task_request(IMAGE, "google/vit-base-patch16-224", PNG, content_type="image/png")
    command = hf.as_curl(request, config).unwrap()
    code, _, err = await run_bash(command, HF_TOKEN="hf_from_the_environment")
    assert code == 0, err
    headers, body = seen[-1]
    assert body == PNG
    assert headers["Content-Type"] == "image/png"
    assert headers["Authorization"] == "Bearer hf_from_the_environment"


@needs_curl
async def test_the_nasty_text_command_sends_the_exact_json(
    echo_server: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, seen = echo_server
    config = hf.ClientConfig(router_url=url, hub_url=url)
    nasty = 'it\'s $HOME `id` $(id) "q" \\ ünï 🚀 !x'
    request = hf.chat("meta-llama/Llama-3.1-8B-Instruct", [hf.user(nasty)])
    code, _, err = await run_bash(hf.as_curl(request, config).unwrap(), HF_TOKEN="t")
    assert code == 0, err
    assert seen[-1][1] == request.to_call().body
