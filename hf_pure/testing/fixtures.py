"""Pytest fixtures for the loopback emulator.

Enable with ``pytest_plugins = ["hf_pure.testing.fixtures"]`` in a ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Protocol

import pytest_asyncio

from ._catalog import ModelCard
from .emulator import Emulator

__all__ = ["EmulatorFactory", "emulator", "emulator_factory"]


class EmulatorFactory(Protocol):
    """Starts one more emulator; every one it started is closed at teardown."""

    async def __call__(
        self,
        *,
        token: str = ...,
        host: str = ...,
        port: int = ...,
        reply_tokens: int = ...,
        models: Iterable[ModelCard] | None = ...,
        log_limit: int | None = ...,
    ) -> Emulator: ...


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A started emulator (defaults: token ``hf_emulator_token``, a free port)."""
    emu = Emulator()
    await emu.start()
    try:
        yield emu
    finally:
        await emu.close()


@pytest_asyncio.fixture
async def emulator_factory() -> AsyncIterator[EmulatorFactory]:
    """A callable starting extra emulators (same keywords as ``Emulator``)."""
    started: list[Emulator] = []

    async def make(
        *,
        token: str = "hf_emulator_token",
        host: str = "127.0.0.1",
        port: int = 0,
        reply_tokens: int = 24,
        models: Iterable[ModelCard] | None = None,
        log_limit: int | None = None,
    ) -> Emulator:
        emu = Emulator(
            token=token,
            host=host,
            port=port,
            reply_tokens=reply_tokens,
            models=models,
            log_limit=log_limit,
        )
        started.append(emu)
        return await emu.start()

    try:
        yield make
    finally:
        for emu in reversed(started):
            await emu.close()
