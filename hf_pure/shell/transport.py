"""Transport failures as values: what aiohttp and the socket layer raise, mapped to HfErrors,
and the token masked out of any error a server echoed it in."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final, cast

import aiohttp
import attrs

from hf_pure.core.config import ClientConfig
from hf_pure.core.error_base import InvalidInput

if TYPE_CHECKING:
    from hf_pure.core.errors import HfError

#: Why a call made after its runner's ``async with open_runner()`` block ended fails.
RUNNER_CLOSED: Final = (
    "the runner was closed (its `async with open_runner()` block ended, "
    "or its borrowed session was closed)"
)


def transport_error(
    exc: BaseException, config: ClientConfig, call_timeout: float | None
) -> HfError:
    """The HfError for an exception raised by aiohttp or the socket layer."""
    from hf_pure.core.errors import (  # loads with the first error
        ConnectionFailed,
        MalformedResponse,
        Timeout,
    )

    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Timeout("connect", config.connect_timeout)
    if isinstance(exc, aiohttp.SocketTimeoutError):  # only streams have a read bound
        return Timeout("read", call_timeout or config.read_timeout)
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return Timeout("total", call_timeout or config.total_timeout)
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        return ConnectionFailed(f"could not connect to {exc.host}:{exc.port} ({reason})")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ConnectionFailed("the server closed the connection before a complete reply")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ConnectionFailed("the reply body was cut off before its end")
    if isinstance(exc, aiohttp.InvalidURL):
        return InvalidInput("url", f"not a valid URL: {exc.url}")
    if isinstance(exc, aiohttp.ClientResponseError):
        return MalformedResponse(exc.status, exc.message or type(exc).__name__)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return ConnectionFailed(str(exc) or type(exc).__name__)
    if isinstance(exc, ValueError):  # e.g. a header aiohttp refuses
        return InvalidInput("request", str(exc))
    raise exc  # a bug, not a network condition: let it be seen


def _scrub_text(value: str, secret: str) -> str:
    return value.replace(secret, "********")


def scrub(error: HfError, secret: str | None) -> HfError:
    """The error with every occurrence of the token (e.g. echoed by a server) masked."""
    if not secret or secret not in repr(error):
        return error
    changes = {
        f.name: _scrub_text(v, secret)
        for f in attrs.fields(type(error))
        if isinstance(v := getattr(error, f.name), str)
    }
    changes.update(
        {
            f.name: tuple(_scrub_text(x, secret) for x in v)
            for f in attrs.fields(type(error))
            if isinstance(v := getattr(error, f.name), tuple)
        }
    )
    scrubbed: HfError = attrs.evolve(cast(Any, error), **changes)
    return scrubbed
