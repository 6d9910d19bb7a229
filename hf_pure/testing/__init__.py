"""A loopback emulator of the Hugging Face endpoints, with scripted fault injection.

    from hf_pure.testing import Emulator, Fault

    async with Emulator() as emu:
        emu.script("chat", Fault.status(429, headers={"Retry-After": "2"}))
        ...  # point the client at emu.url with emu.token

It is an independent peer written from the wire formats: it imports nothing from the client
(``hf_pure.core``, ``tasks``, ``reliability``, ``shell``). Pytest fixtures ``emulator`` and
``emulator_factory`` live in ``hf_pure.testing.fixtures`` (``pytest_plugins = [...]``).
"""

from ._catalog import DEFAULT_MODELS, ModelCard, ProviderMapping
from ._faults import Fault, SeenRequest
from ._text import VOCAB
from .emulator import Emulator, run_emulator

__all__ = [
    "DEFAULT_MODELS",
    "Emulator",
    "Fault",
    "ModelCard",
    "ProviderMapping",
    "SeenRequest",
    "VOCAB",
    "run_emulator",
]
