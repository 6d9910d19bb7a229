"""Shared pytest configuration: the emulator fixtures, a runner pointed at the emulator, an
injected clock, and the opt-in for real-service tests."""

from __future__ import annotations

import gc
import warnings
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from returns.result import Failure
from toolz import pipe

import hf_pure as hf
from hf_pure.testing import Emulator

pytest_plugins = ["hf_pure.testing.fixtures"]


def config_for(emu: Emulator, **fields: object) -> hf.ClientConfig:
    """A config pointing both base URLs at the emulator (other fields validated as given)."""
    return hf.make_config(router_url=emu.url, hub_url=emu.url, **fields).unwrap()


@pytest.fixture
def no_warnings() -> Iterator[None]:
    """Any warning (an unclosed connection or response, a never-awaited coroutine) fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
        gc.collect()


@pytest.fixture
async def runner(emulator: Emulator) -> AsyncIterator[hf.Runner]:
    """A runner talking to the ``emulator`` fixture, with its token."""
    async with hf.open_runner(config_for(emulator), token=emulator.token) as r:
        yield r


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session on the emulator, with its token: the wire without the client."""
    headers = {"Authorization": f"Bearer {emulator.token}"}
    async with aiohttp.ClientSession(emulator.url, headers=headers) as session:
        yield session


@pytest.fixture
async def real_runner() -> AsyncIterator[hf.Runner]:
    """A runner on the real service, for the tests marked ``integration``: skipped, with the
    reason, when no token is found."""
    from returns.result import Success

    from hf_pure.shell.env import load_token

    found = load_token()
    if not isinstance(found, Success):
        pytest.skip(f"no token for the real service: {found.failure()}")
    async with hf.open_runner(token=found.unwrap()) as r:
        yield r


def sse_data(raw: bytes) -> list[str]:
    """Data of each dispatched SSE event (comments and other fields ignored)."""
    out: list[str] = []
    for block in raw.decode().replace("\r\n", "\n").split("\n\n"):
        lines = [
            line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
        ]
        if lines:
            out.append("\n".join(lines))
    return out


def ask(text: str = "Tell me about lighthouses") -> hf.ChatRequest:
    """A short chat request to the emulator's default chat model."""
    request: hf.ChatRequest = pipe(
        hf.chat("meta-llama/Llama-3.1-8B-Instruct", [hf.user(text)]), hf.max_tokens(8)
    )
    return request


def failure_of(result: hf.Result[object, hf.HfError]) -> hf.HfError:
    """The error of a result that must have failed."""
    assert isinstance(result, Failure), result
    error: hf.HfError = result.failure()
    return error


class FakeTime:
    """An injected clock and sleep: sleeping advances the clock, and is remembered."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--integration",
        action="store_true",
        help="also run the tests marked integration, against the real Hugging Face service",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--integration"):
        return
    skip = pytest.mark.skip(
        reason="calls the real Hugging Face service: run with --integration and a token"
    )
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)
