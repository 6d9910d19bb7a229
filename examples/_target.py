"""Where the examples send their requests: the loopback emulator, or the real router.

Run an example as it is to use an in-process emulator; add ``--real`` to use Hugging Face
(the token comes from HF_TOKEN / HUGGINGFACE_API_KEY / secret/-secrets.sh).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import hf_pure as hf

Main = Callable[[hf.Runner], Awaitable[None]]


async def _run(main: Main, real: bool) -> None:
    if real:
        async with hf.open_runner() as runner:
            await main(runner)
        return
    from hf_pure.testing import Emulator

    async with Emulator() as emu:
        config = hf.ClientConfig(router_url=emu.url, hub_url=emu.url)
        async with hf.open_runner(config, token=emu.token) as runner:
            await main(runner)


def run(main: Main) -> None:
    asyncio.run(_run(main, "--real" in sys.argv[1:]))
