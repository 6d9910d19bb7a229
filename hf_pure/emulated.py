"""A runner wired to an in-process loopback emulator, for demos, examples and experiments.

    async with hf.emulated_runner() as (runner, emulator):
        emulator.script("chat", Fault.status(503))   # script faults, then run requests
        ...

``runner_for(real=True)`` gives a runner for the real service instead (token from the
environment), so a program can switch between the two with one flag.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from hf_pure.core.config import ClientConfig
from hf_pure.shell.runner import Runner, open_runner

if TYPE_CHECKING:
    from hf_pure.testing import Emulator


@asynccontextmanager
async def emulated_runner(**emulator_options: Any) -> AsyncIterator[tuple[Runner, Emulator]]:
    """Start an emulator (options as for ``Emulator``) and a runner pointed at it."""
    from hf_pure.testing import Emulator

    async with Emulator(**emulator_options) as emu:
        config = ClientConfig(router_url=emu.url, hub_url=emu.url)
        async with open_runner(config, token=emu.token) as runner:
            yield runner, emu


@asynccontextmanager
async def runner_for(*, real: bool) -> AsyncIterator[Runner]:
    """A runner for the real service (``real=True``) or for an in-process emulator."""
    if real:
        async with open_runner() as runner:
            yield runner
        return
    async with emulated_runner() as (runner, _):
        yield runner
