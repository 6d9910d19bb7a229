"""events_per_write changes how SSE answers are written, never what they say."""

from __future__ import annotations

import aiohttp
import pytest

from hf_pure.testing import Emulator

BODY = {
    "model": "meta-llama/Llama-3.1-8B-Instruct",
    "messages": [{"role": "user", "content": "hello"}],
    "stream": True,
}


async def read_stream(emu: Emulator) -> tuple[bytes, int]:
    reads = 0
    data = b""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{emu.url}/v1/chat/completions",
            json=BODY,
            headers={"Authorization": f"Bearer {emu.token}"},
        ) as resp,
    ):
        async for piece in resp.content.iter_any():
            reads += 1
            data += piece
    return data, reads


async def test_batched_writes_send_the_same_bytes() -> None:
    async with Emulator() as paced, Emulator(events_per_write=100) as burst:
        one, _ = await read_stream(paced)
        many, reads = await read_stream(burst)
    assert one.replace(b"emu-", b"") == many.replace(b"emu-", b"")
    assert one.count(b"\n\n") == many.count(b"\n\n") > 20
    assert reads <= 3  # the whole answer fits in one write (plus the end of the body)


def test_events_per_write_must_be_positive() -> None:
    with pytest.raises(ValueError, match="events_per_write"):
        Emulator(events_per_write=0)
