"""Where the token comes from: the one module that reads environment variables and secret files.

:func:`load_token` looks, in this order, and stops at the first non-empty value:

1. the ``explicit`` argument (a ``str`` or a :class:`~hf_pure.core.secret.Secret`);
2. the environment variable ``HUGGINGFACE_API_KEY``;
3. the environment variable ``HF_TOKEN``;
4. the workspace secret file ``secret/-secrets.sh``, found by walking up from the current
   directory (the nearest one wins); inside it ``HUGGINGFACE_API_KEY``, then ``HF_TOKEN``;
5. the huggingface_hub token file: ``$HF_TOKEN_PATH`` if set, else ``$HF_HOME/token`` if set,
   else ``$XDG_CACHE_HOME/huggingface/token`` if set, else ``~/.cache/huggingface/token``
   (the same places ``huggingface_hub`` itself uses).

An empty or whitespace-only value counts as not set. The first value found is validated with
:meth:`Secret.parse`; a broken token is reported (naming where it came from, never showing it)
rather than silently skipped in favour of a later source. Files that cannot be read (missing,
a directory, no permission, not UTF-8, absurdly large) count as not found; nothing here raises
for the state of the file system or the environment.

The secret file is **parsed, never executed**: ``$(...)``, backticks and ``$VAR`` are kept as
literal text. See :func:`hf_pure.core.secrets_file.parse_secrets_file`.

Nothing here prints, logs or puts a token value into an exception, a ``Failure`` or a repr.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from returns.result import Failure, Result

from hf_pure.core.error_base import InvalidInput
from hf_pure.core.secret import Secret
from hf_pure.core.secrets_file import parse_secrets_file

if TYPE_CHECKING:
    from hf_pure.core.errors import MissingToken

__all__ = [
    "SECRETS_FILE",
    "TOKEN_ENV_VARS",
    "find_secrets_file",
    "load_token",
    "token_sources",
]

#: The token variables, most preferred first (for the environment and the secret file alike).
TOKEN_ENV_VARS: tuple[str, ...] = ("HUGGINGFACE_API_KEY", "HF_TOKEN")

#: The workspace secret file, relative to a directory on the way up from the current one.
SECRETS_FILE: tuple[str, str] = ("secret", "-secrets.sh")

_SECRETS_REL = "/".join(SECRETS_FILE)

# Bigger than any secret file or token file a person writes; guards against /dev/zero & co.
_MAX_FILE_BYTES = 1 << 20

# --------------------------------------------------------------------------------------------
# The file system (never raises)
# --------------------------------------------------------------------------------------------


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _read_text(path: Path) -> str | None:
    """The UTF-8 text of a regular file, or None if it can't be read for any reason.

    Opened non-blocking and checked after opening, so a FIFO or device never blocks us.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):  # missing, no permission, a NUL in the path...
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None  # a directory, a FIFO, a device...
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(_MAX_FILE_BYTES + 1)
        if len(data) > _MAX_FILE_BYTES:
            return None
        return data.decode("utf-8")
    except (OSError, ValueError):  # an I/O error; bad UTF-8 is a ValueError
        return None
    finally:
        os.close(fd)


def find_secrets_file(start: Path) -> Path | None:
    """The nearest ``secret/-secrets.sh`` in ``start`` or one of its parents, or None.

    Only a regular file (or a link to one) counts; a directory of that name is passed over.
    A relative ``start`` is taken relative to the process's current directory.
    """
    try:
        origin = start.absolute()
    except OSError:  # the current directory is gone
        return None
    for directory in (origin, *origin.parents):
        candidate = directory.joinpath(*SECRETS_FILE)
        if _is_file(candidate):
            return candidate
    return None


# --------------------------------------------------------------------------------------------
# Where to look
# --------------------------------------------------------------------------------------------


def _nonblank(value: str | None) -> str | None:
    """``value`` unless it is missing, empty or only whitespace (which count as not set)."""
    return value if value is not None and value.strip() else None


def _default_cwd(cwd: Path | None) -> Path | None:
    if cwd is not None:
        return cwd
    try:
        return Path.cwd()
    except OSError:
        return None


def _default_home(home: Path | None) -> Path | None:
    if home is not None:
        return home
    try:
        return Path.home()
    except (OSError, RuntimeError, KeyError):
        return None


def _user_path(raw: str, cwd: Path | None, home: Path | None) -> Path | None:
    """A path from an environment variable: ``~`` means ``home``, relative means from ``cwd``.

    Only a leading ``~`` or ``~/`` is expanded (not ``~user``); ``$VARS`` are not expanded.
    """
    text = raw.strip()
    if text == "~" or text.startswith("~/"):
        if home is None:
            return None
        path = home / text[2:] if len(text) > 1 else home
    else:
        path = Path(text)
    if not path.is_absolute() and cwd is not None:
        path = cwd / path
    return path


def _token_file(environ: Mapping[str, str], cwd: Path | None, home: Path | None) -> Path | None:
    """The huggingface_hub token file path, computed as huggingface_hub itself does."""
    token_path = _nonblank(environ.get("HF_TOKEN_PATH"))
    if token_path is not None:
        return _user_path(token_path, cwd, home)
    for variable, below in (("HF_HOME", ("token",)), ("XDG_CACHE_HOME", ("huggingface", "token"))):
        base_text = _nonblank(environ.get(variable))
        if base_text is not None:
            base = _user_path(base_text, cwd, home)
            return None if base is None else base.joinpath(*below)
    return None if home is None else home / ".cache" / "huggingface" / "token"


def _sources(
    environ: Mapping[str, str],
    cwd: Path | None,
    home: Path | None,
    secrets_file: Path | None,
) -> tuple[str, ...]:
    if secrets_file is not None:
        workspace = str(secrets_file)
    elif cwd is not None:
        workspace = f"{_SECRETS_REL} in {cwd} or any parent directory"
    else:
        workspace = f"{_SECRETS_REL} (skipped: the current directory is unavailable)"
    token_file = _token_file(environ, cwd, home)
    hub = str(token_file) if token_file is not None else "~/.cache/huggingface/token (no home)"
    return (*TOKEN_ENV_VARS, workspace, hub)


def token_sources(
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> tuple[str, ...]:
    """Every place :func:`load_token` looks, in order, as readable strings.

    Environment variable names, then the workspace secret file (its path when one exists,
    else the directory the walk starts from), then the huggingface_hub token file path.
    """
    env = os.environ if environ is None else environ
    here = _default_cwd(cwd)
    found = find_secrets_file(here) if here is not None else None
    return _sources(env, here, _default_home(home), found)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_token(
    explicit: str | Secret | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> Result[Secret, MissingToken | InvalidInput]:
    """Find the Hugging Face token (see the module docstring for the order) and validate it.

    ``Success(Secret)``; ``Failure(InvalidInput)`` when the first token found is malformed
    (the error names the source, e.g. ``HF_TOKEN`` or ``/w/secret/-secrets.sh (HF_TOKEN)``,
    never the value); ``Failure(MissingToken)`` listing every place looked when none is set.
    ``environ``, ``cwd`` and ``home`` default to the real process's and exist for tests.
    """
    if explicit is not None:
        raw = explicit.reveal() if isinstance(explicit, Secret) else explicit
        if _nonblank(raw) is not None:
            return Secret.parse(raw, source="token")

    env = os.environ if environ is None else environ
    for name in TOKEN_ENV_VARS:
        value = _nonblank(env.get(name))
        if value is not None:
            return Secret.parse(value, source=name)

    here = _default_cwd(cwd)
    secrets_file = find_secrets_file(here) if here is not None else None
    if secrets_file is not None:
        text = _read_text(secrets_file)
        values = parse_secrets_file(text) if text is not None else {}
        for name in TOKEN_ENV_VARS:
            value = _nonblank(values.get(name))
            if value is not None:
                return Secret.parse(value, source=f"{secrets_file} ({name})")

    home_dir = _default_home(home)
    token_file = _token_file(env, here, home_dir)
    if token_file is not None:
        text = _nonblank(_read_text(token_file))
        if text is not None:
            return Secret.parse(text, source=str(token_file))

    from hf_pure.core.errors import MissingToken  # loads with the first error

    return Failure(MissingToken(looked=_sources(env, here, home_dir, secrets_file)))
