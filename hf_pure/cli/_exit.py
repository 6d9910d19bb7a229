"""Exit codes: one per error kind, so a script can tell a rate limit from a bad model id.

The table is data: :data:`EXIT_CODES` maps each :class:`~hf_pure.core.errors.HfError` class to
its code; the CLI's own kinds (a usage error, a bug, an interrupt, a closed pipe) have theirs.
``--help`` prints :func:`exit_code_table` as its epilog and docs/cli.md restates it (a test
holds the two equal, and every class of the ``HfError`` union in the table).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from hf_pure.core.errors import (
    BadRequest,
    CircuitOpen,
    ConfigError,
    ConnectionFailed,
    ErrorEvent,
    GenerationFailed,
    HfError,
    InvalidInput,
    MalformedResponse,
    MissingToken,
    ModelLoading,
    NoHealthyEndpoint,
    NotFound,
    Overloaded,
    RateLimited,
    RateLimitedLocally,
    ServerError,
    StreamInterrupted,
    Timeout,
    Unauthorized,
)

EXIT_OK: Final = 0
EXIT_INTERNAL: Final = 1  # a bug in hf_pure (the message says so); never a traceback
EXIT_USAGE: Final = 2  # argparse's convention: bad arguments
EXIT_INTERRUPTED: Final = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_CLOSED_PIPE: Final = 141  # 128 + SIGPIPE, as shells report a reader that went away

#: Each error kind -> its exit code (stable: scripts depend on them; append, never renumber).
EXIT_CODES: Final = MappingProxyType(
    {
        InvalidInput: 3,
        ConfigError: 4,
        MissingToken: 5,
        Unauthorized: 6,
        NotFound: 7,
        RateLimited: 8,
        ModelLoading: 9,
        Overloaded: 10,
        ServerError: 11,
        BadRequest: 12,
        GenerationFailed: 13,
        Timeout: 14,
        ConnectionFailed: 15,
        StreamInterrupted: 16,
        ErrorEvent: 17,
        MalformedResponse: 18,
        CircuitOpen: 19,
        RateLimitedLocally: 20,
        NoHealthyEndpoint: 21,
    }
)

#: What each error kind means, for the table in ``--help``.
_MEANING: Final = MappingProxyType(
    {
        InvalidInput: "input refused before sending (or a file that can't be read)",
        ConfigError: "a configuration was refused",
        MissingToken: "no token found",
        Unauthorized: "the token was refused (HTTP 401/403)",
        NotFound: "no such model or route (HTTP 404)",
        RateLimited: "rate limited by the server (HTTP 429)",
        ModelLoading: "the model is loading (HTTP 503)",
        Overloaded: "the server is overloaded",
        ServerError: "another server error (5xx)",
        BadRequest: "the server refused the request (another 4xx)",
        GenerationFailed: "the model failed mid-generation",
        Timeout: "no answer in time",
        ConnectionFailed: "the connection failed (or the emulator could not listen)",
        StreamInterrupted: "the stream ended before it was complete",
        ErrorEvent: "the server reported an error inside a 2xx reply",
        MalformedResponse: "the reply was not the documented format",
        CircuitOpen: "the local circuit breaker refused the call",
        RateLimitedLocally: "the local rate limit refused the call",
        NoHealthyEndpoint: "no healthy endpoint",
    }
)

#: The CLI's own kinds (not HfErrors): name -> (code, meaning).
CLI_KINDS: Final = MappingProxyType(
    {
        "InternalError": (EXIT_INTERNAL, "a bug in hf_pure: please report it"),
        "UsageError": (
            EXIT_USAGE,
            "bad arguments (also a non-UTF-8 argument, a port out of range)",
        ),
        "Interrupted": (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
        "ClosedPipe": (
            EXIT_CLOSED_PIPE,
            "the reader of stdout went away (head closed the pipe): quiet",
        ),
    }
)


def kind_of(error: HfError) -> str:
    """The error's kind as JSON names it: its class name (``"RateLimited"``)."""
    return type(error).__name__


def exit_code(error: HfError) -> int:
    """The exit code of ``error``'s kind (a subclass takes its nearest listed base's)."""
    for cls in type(error).__mro__:
        code = EXIT_CODES.get(cls)
        if code is not None:
            return int(code)
    return EXIT_INTERNAL  # pragma: no cover - every HfError class is listed (a test checks it)


def exit_code_rows() -> tuple[tuple[int, str, str], ...]:
    """``(code, kind, meaning)`` for every code, in code order."""
    rows = [(0, "-", "success")]
    rows += [(code, name, meaning) for name, (code, meaning) in CLI_KINDS.items()]
    rows += [(code, cls.__name__, _MEANING[cls]) for cls, code in EXIT_CODES.items()]
    return tuple(sorted(rows))


def exit_code_table() -> str:
    """The table for ``--help``: one line per code."""
    lines = ["exit codes:"]
    lines += [f"  {code:>3}  {kind:<19} {meaning}" for code, kind, meaning in exit_code_rows()]
    return "\n".join(lines)
