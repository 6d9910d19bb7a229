"""A runner wired to an in-process loopback emulator, for demos, examples and experiments.

    async with hf.emulated_runner() as (runner, emulator):
        emulator.script("chat", Fault.status(503))   # script faults, then run requests
        ...

``runner_for(real=True)`` gives a runner for the real service instead (token from the
environment), so a program can switch between the two with one flag.
``use_real_service(sys.argv[1:])`` is the examples' rule for that flag: the real service when a
token is found (or ``--real`` is given), the emulator otherwise or with ``--emulator``.
``emulated_sync_runner()`` is the same for the blocking runner (the emulator is served on a
loop of its own, in a thread of its own).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from returns.result import Failure

from hf_pure.core.config import ClientConfig
from hf_pure.shell.runner import Runner, open_runner
from hf_pure.shell.sync import SyncRunner, open_sync_runner

if TYPE_CHECKING:
    from hf_pure.testing import Emulator


def use_real_service(args: Sequence[str]) -> bool:
    """Whether a program run with command-line ``args`` should talk to the real service:
    not with ``--emulator``; yes with ``--real``; otherwise when a token is found where
    ``open_runner`` looks (``HUGGINGFACE_API_KEY``, ``HF_TOKEN``, ``secret/-secrets.sh``, the
    huggingface_hub token file). A token that is found but broken counts as found, so the
    program reports it instead of quietly using the emulator."""
    if isinstance(args, str) or not all(isinstance(arg, str) for arg in args):
        raise TypeError("use_real_service(args) takes a sequence of str, such as sys.argv[1:]")
    if "--emulator" in args:
        return False
    if "--real" in args:
        return True
    from hf_pure.core.errors import MissingToken
    from hf_pure.shell.env import load_token

    found = load_token()
    return not (isinstance(found, Failure) and isinstance(found.failure(), MissingToken))


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


@contextmanager
def emulated_sync_runner(**emulator_options: Any) -> Iterator[tuple[SyncRunner, Emulator]]:
    """A sync runner and an emulator (options as for ``Emulator``) serving it from a thread of
    its own: ``with hf.emulated_sync_runner() as (runner, emulator):``."""
    from hf_pure.testing import Emulator

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="hf_pure emulator", daemon=True)
    thread.start()
    try:
        emu = asyncio.run_coroutine_threadsafe(Emulator(**emulator_options).start(), loop).result()
        try:
            config = ClientConfig(router_url=emu.url, hub_url=emu.url)
            with open_sync_runner(config, token=emu.token) as runner:
                yield runner, emu
        finally:
            asyncio.run_coroutine_threadsafe(emu.close(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
