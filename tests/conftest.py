"""Shared pytest configuration: the emulator fixtures, a runner pointed at the emulator, an
injected clock, and the opt-in for real-service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import hf_pure as hf
from hf_pure.testing import Emulator

pytest_plugins = ["hf_pure.testing.fixtures"]


def config_for(emu: Emulator, **fields: object) -> hf.ClientConfig:
    """A config pointing both base URLs at the emulator (other fields validated as given)."""
    return hf.make_config(router_url=emu.url, hub_url=emu.url, **fields).unwrap()


@pytest.fixture
async def runner(emulator: Emulator) -> AsyncIterator[hf.Runner]:
    """A runner talking to the ``emulator`` fixture, with its token."""
    async with hf.open_runner(config_for(emulator), token=emulator.token) as r:
        yield r


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
