"""Output: plain lines, or exactly one JSON document; progress and tables only on a terminal.

Everything the CLI writes goes through :class:`Output`, which

- in ``--json`` mode prints nothing but the one document at the end (success or error);
- scrubs every secret it was told about from every text, whatever its origin;
- writes text that can't be encoded (lone surrogates from a non-UTF-8 argument or path) with
  backslash escapes instead of failing;
- turns a closed stdout (``| head``) into :class:`StdoutClosed`, which ``main`` ends quietly;
- shows progress (and ``rich`` tables) only when stdout and stderr are terminals: ``rich`` is
  imported then and only then, and everything works in plain text without it.
"""

from __future__ import annotations

import base64
import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from hf_pure.core.codec import dumps
from hf_pure.core.errors import HfError
from hf_pure.core.serial import to_plain

from ._exit import exit_code, kind_of

MASK = "********"


class StdoutClosed(Exception):
    """The reader of stdout went away (``| head``); the command ends quietly."""


class Fail(Exception):
    """Ends the command with ``error`` (the CLI is the imperative top of the library, and this
    is its control flow: the library itself returns Results). ``hint`` is said after the
    message on the same line; ``extra`` joins the JSON document (what arrived before the
    error); ``reported``: the message was already said (a session's failed turn), so text mode
    adds nothing and only the exit code tells."""

    def __init__(
        self, error: HfError, *, hint: str = "", reported: bool = False, **extra: Any
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.hint = hint
        self.reported = reported  # already said on stderr (a session's turn): only the code
        self.extra = extra


class UsageError(Exception):
    """Bad arguments: exit code 2, the message on one line."""


def safe_text(text: str) -> str:
    """``text`` with any lone surrogate (a non-UTF-8 byte of an argument or a path, as Python
    decodes it) written as a backslash escape, so it can be printed and put in JSON."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def one_line(text: str) -> str:
    """``text`` on one line (a server's message may hold line breaks)."""
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def _float32(x: float) -> float:
    return float(f"{x:.9g}")  # the shortest text that reads back as the same float32


def jsonable(value: Any) -> Any:
    """Plain JSON data for a reply value: ``hf.to_plain``, then vectors (memoryviews) as lists
    of numbers, bytes as base64 and text made printable."""
    return _walk(to_plain(value))


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(str(k)): _walk(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v) for v in value]
    if isinstance(value, memoryview):
        return [_float32(x) if isinstance(x, float) else x for x in value.tolist()]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value


def error_document(error: HfError) -> dict[str, Any]:
    """The ``"error"`` member of a failed command's document."""
    fields = jsonable(error)
    fields = fields if isinstance(fields, dict) else {}
    return {"kind": kind_of(error), "message": str(error), "exit_code": exit_code(error), **fields}


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def _rich() -> Any:
    """The ``rich`` package, or None when it isn't installed (the ``cli`` extra)."""
    try:
        import rich.console
        import rich.progress
        import rich.table
    except ImportError:
        return None
    return rich


class Output:
    """Where a command's output goes (see the module docstring)."""

    def __init__(
        self, *, json_mode: bool, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.json = json_mode
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self.terminal = _isatty(self.stdout)
        self.progress_on = not json_mode and self.terminal and _isatty(self.stderr)
        self._secrets: list[str] = []
        self._document: dict[str, Any] = {}
        self.emitted = False  # the one JSON document is out: nothing more goes to stdout

    def set_json(self, on: bool) -> None:
        self.json = on
        self.progress_on = not on and self.terminal and _isatty(self.stderr)

    # -- secrets and text ------------------------------------------------------------------

    def add_secret(self, secret: str) -> None:
        """Never print ``secret``: it is masked in everything written from now on."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def clean(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return safe_text(text)

    def _put(self, stream: TextIO, text: str) -> None:
        try:
            stream.write(self.clean(text))
            stream.flush()
        except BrokenPipeError:
            if stream is self.stdout:
                raise StdoutClosed from None
        except (OSError, ValueError):  # stderr gone or closed: nothing left to tell
            if stream is self.stdout:
                raise StdoutClosed from None

    # -- text mode -------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """Part of a line on stdout (a streamed token), flushed at once; nothing with --json."""
        if not self.json:
            self._put(self.stdout, text)

    def line(self, text: str = "") -> None:
        """One line on stdout; nothing with --json."""
        if not self.json:
            self._put(self.stdout, text + "\n")

    def note(self, text: str) -> None:
        """One line on stderr (a remark beside the output); nothing with --json."""
        if not self.json:
            self._put(self.stderr, text + "\n")

    # -- the JSON document -----------------------------------------------------------------

    def result(self, **members: Any) -> None:
        """Members of the success document (``--json``); values are made plain JSON."""
        self._document.update({k: jsonable(v) for k, v in members.items()})

    def finish_ok(self) -> None:
        if self.json:
            self._emit({"ok": True, **self._document})

    def finish_error(self, failed: Fail) -> None:
        """Report a failure: one line on stderr, or the error document with --json."""
        error, hint = failed.error, failed.hint
        if self.json and not self.emitted:
            more = {k: jsonable(v) for k, v in failed.extra.items()}
            self._emit({"ok": False, **self._document, **more, "error": error_document(error)})
            return
        if failed.reported:
            return
        said = f"{error} ({hint})" if hint else str(error)
        self._put(self.stderr, f"error: {one_line(said)}\n")

    def finish_other(self, kind: str, message: str, code: int) -> None:
        """Report one of the CLI's own kinds (usage, internal, interrupted)."""
        if self.json and not self.emitted:
            doc = {"kind": kind, "message": message, "exit_code": code}
            self._emit({"ok": False, **self._document, "error": doc})
        else:
            said = one_line(message)
            self._put(self.stderr, f"error: {said}\n" if code != 130 else f"{said}\n")

    def _emit(self, document: dict[str, Any]) -> None:
        if self.emitted:
            return
        self.emitted = True
        text = dumps(document).decode("utf-8")
        self._put(self.stdout, text + "\n")

    # -- terminal extras -------------------------------------------------------------------

    @contextlib.contextmanager
    def progress(self, label: str, total: int) -> Iterator[Progress]:
        """A progress bar on stderr while the block runs (nothing unless on a terminal)."""
        bar = Progress(self, label, total)
        try:
            yield bar
        finally:
            bar.close()

    @contextlib.contextmanager
    def status(self, text: str) -> Iterator[Status]:
        """A one-line status on stderr, updated in place (nothing unless on a terminal)."""
        line = Status(self, text)
        try:
            yield line
        finally:
            line.close()

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Rows on stdout: a table on a terminal (rich's when installed), else tab-separated
        lines without the header; nothing with --json."""
        if self.json:
            return
        if not self.terminal:
            for row in rows:
                self.line("\t".join(row))
            return
        rich = _rich()
        if rich is None:
            widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
            for row in (headers, *rows):
                self.line("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            return
        table = rich.table.Table()
        for i, header in enumerate(headers):  # the first column whole, the others folded
            table.add_column(header, overflow="fold", no_wrap=i == 0)  # never an ellipsis
        for row in rows:
            table.add_row(*(self.clean(c) for c in row))
        try:
            rich.console.Console(file=self.stdout).print(table)
        except BrokenPipeError:
            raise StdoutClosed from None


class Progress:
    """A progress bar: rich's when installed, else a plain line rewritten in place."""

    def __init__(self, out: Output, label: str, total: int) -> None:
        self._out = out
        self._label = label
        self._total = total
        self._done = 0
        self._bar: Any = None
        self._task: Any = None
        if not out.progress_on:
            return
        rich = _rich()
        if rich is not None:
            p = rich.progress
            self._bar = p.Progress(
                p.TextColumn("{task.description}"),
                p.BarColumn(),
                p.MofNCompleteColumn(),
                p.TimeElapsedColumn(),
                console=rich.console.Console(file=out.stderr),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)
        else:
            self._plain()

    def _plain(self) -> None:
        self._out._put(self._out.stderr, f"\r{self._label}: {self._done}/{self._total}")

    def advance(self, n: int = 1) -> None:
        self._done += n
        if self._bar is not None:
            self._bar.update(self._task, completed=self._done)
        elif self._out.progress_on:
            self._plain()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        elif self._out.progress_on:
            self._out._put(self._out.stderr, "\r\x1b[K")


class Status:
    """A status line: rich's spinner when installed, else a plain line rewritten in place."""

    def __init__(self, out: Output, text: str) -> None:
        self._out = out
        self._live: Any = None
        if not out.progress_on:
            return
        rich = _rich()
        if rich is not None:
            self._live = rich.console.Console(file=out.stderr).status(out.clean(text))
            self._live.start()
        else:
            self.update(text)

    def update(self, text: str) -> None:
        if self._live is not None:
            self._live.update(self._out.clean(text))
        elif self._out.progress_on:
            self._out._put(self._out.stderr, f"\r\x1b[K{text}")

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        elif self._out.progress_on:
            self._out._put(self._out.stderr, "\r\x1b[K")
