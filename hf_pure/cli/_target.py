"""What a command talks to: the real service (token from ``--token-file`` or the environment)
or an in-process emulator (``--emulator``), as one runner."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from returns.result import Failure

from hf_pure.core.config import ClientConfig, make_config
from hf_pure.core.errors import InvalidInput, MissingToken
from hf_pure.core.secret import Secret
from hf_pure.shell.env import load_token
from hf_pure.shell.files import read_media
from hf_pure.shell.runner import Runner, open_runner

from ._out import Fail, Output

if TYPE_CHECKING:
    from hf_pure.testing import Emulator

#: Said after a MissingToken error, on the same line.
NO_TOKEN_HINT = "or add --emulator to try it against the local emulator"

_TOKEN_FILE_MAX = 1 << 20


class CommandTarget:
    """A runner, and the emulator behind it when ``--emulator`` was given."""

    __slots__ = ("emulator", "runner")

    def __init__(self, runner: Runner, emulator: Emulator | None) -> None:
        self.runner = runner
        self.emulator = emulator

    @property
    def config(self) -> ClientConfig:
        return self.runner.config


def token_from_file(path: str) -> Secret:
    """The token in the file at ``path`` (surrounding whitespace ignored), or Fail."""
    read = read_media(path, max_bytes=_TOKEN_FILE_MAX)
    if isinstance(read, Failure):
        reason = read.failure().message.partition(": ")[2] or "can't be read"
        raise Fail(InvalidInput("--token-file", reason.removeprefix("invalid path: ")))
    try:
        text = read.unwrap().decode("utf-8").strip()
    except UnicodeDecodeError:
        raise Fail(InvalidInput("--token-file", f"{path!r} is not UTF-8 text")) from None
    if not text:
        raise Fail(InvalidInput("--token-file", f"{path!r} holds only whitespace"))
    parsed = Secret.parse(text, source=f"--token-file {path}")
    if isinstance(parsed, Failure):
        raise Fail(parsed.failure())
    return parsed.unwrap()


def _timeouts(seconds: float | None) -> dict[str, float]:
    if seconds is None:
        return {}
    return {
        "total_timeout": seconds,
        "read_timeout": min(seconds, 60.0),
        "connect_timeout": min(seconds, 10.0),
    }


def _config(fields: dict[str, Any]) -> ClientConfig:
    made = make_config(**fields)
    if isinstance(made, Failure):
        raise Fail(made.failure())
    return made.unwrap()


@asynccontextmanager
async def open_target(
    args: argparse.Namespace, out: Output, *, token_required: bool = True
) -> AsyncIterator[CommandTarget]:
    """The runner for ``args``: an emulator started here (with ``--token-file``'s token when
    given, so that token is the one it accepts) or the real service. Without a token the real
    service is refused (``MissingToken``) unless ``token_required`` is False (the Hub's public
    listings, health probes): then calls go without one."""
    timeouts = _timeouts(getattr(args, "timeout", None))
    secret = token_from_file(args.token_file) if args.token_file else None
    if secret is not None:
        out.add_secret(secret.reveal())
    if args.emulator:
        from hf_pure.testing import Emulator

        token = secret.reveal() if secret is not None else "hf_emulator_token"
        async with Emulator(token=token) as emu:
            config = _config({"router_url": emu.url, "hub_url": emu.url, **timeouts})
            async with open_runner(config, token=token) as runner:
                yield CommandTarget(runner, emu)
        return
    urls = {k: getattr(args, k, None) for k in ("router_url", "hub_url")}
    config = _config({**{k: v for k, v in urls.items() if v}, **timeouts})
    if secret is None:
        found = load_token()
        if isinstance(found, Failure):
            problem = found.failure()
            if isinstance(problem, MissingToken) and not token_required:
                async with open_runner(config, token=None) as runner:
                    yield CommandTarget(runner, None)
                return
            raise Fail(problem, hint=NO_TOKEN_HINT if isinstance(problem, MissingToken) else "")
        secret = found.unwrap()
        out.add_secret(secret.reveal())
    async with open_runner(config, token=secret) as runner:
        yield CommandTarget(runner, None)


async def run_one(
    args: argparse.Namespace, out: Output, request: Any, *, token_required: bool = True
) -> Any:
    """Send one request to the target and answer its value, or Fail with its error."""
    async with open_target(args, out, token_required=token_required) as target:
        result = await target.runner.run(request)
    if isinstance(result, Failure):
        raise Fail(result.failure())
    return result.unwrap()
