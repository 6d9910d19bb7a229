"""The workspace secret file ``secret/-secrets.sh``, parsed (never executed). Pure.

The shell (``hf_pure.shell.env``) finds and reads the file; this module only turns its text
into ``{NAME: value}``. See :func:`parse_secrets_file`.
"""

from __future__ import annotations

import re

__all__ = ("parse_secrets_file",)

# ``[export ]NAME = rest`` -- spaces allowed around everything, the value parsed separately.
_ASSIGNMENT = re.compile(
    r"(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=(?P<space>[ \t]*)(?P<rest>.*)",
    re.ASCII | re.DOTALL,
)
# Inside double quotes a backslash escapes these (as in the shell); any other one is kept.
_DQ_ESCAPABLE = frozenset('"\\$`')


def _double_quoted(rest: str) -> tuple[str, str] | None:
    """``rest`` starts after an opening ``"``: the unescaped value and what follows the close."""
    out: list[str] = []
    i = 0
    while i < len(rest):
        ch = rest[i]
        if ch == "\\" and i + 1 < len(rest) and rest[i + 1] in _DQ_ESCAPABLE:
            out.append(rest[i + 1])
            i += 2
        elif ch == '"':
            return "".join(out), rest[i + 1 :]
        else:
            out.append(ch)
            i += 1
    return None  # unterminated


def _single_quoted(rest: str) -> tuple[str, str] | None:
    """``rest`` starts after an opening ``'``: the literal value and what follows the close."""
    end = rest.find("'")
    if end < 0:
        return None
    return rest[:end], rest[end + 1 :]


def _only_comment(tail: str) -> bool:
    """True when nothing but spaces and an optional ``# comment`` follows a closing quote."""
    stripped = tail.lstrip(" \t")
    return not stripped or (stripped.startswith("#") and stripped != tail)


def _unquoted(rest: str, *, after_space: bool) -> str:
    """An unquoted value: up to a `` #`` comment (``#`` after whitespace), trailing spaces cut."""
    if rest.startswith("#") and after_space:
        return ""  # ``NAME= # comment``
    match = re.search(r"[ \t]#", rest)
    value = rest[: match.start()] if match else rest
    return value.rstrip(" \t")


def _parse_line(line: str) -> tuple[str, str] | None:
    """One line to ``(name, value)``, or None for blanks, comments and malformed lines."""
    body = line.strip(" \t\r\f\v")
    if not body or body.startswith("#"):
        return None
    match = _ASSIGNMENT.fullmatch(body)
    if match is None:
        return None
    name, rest = match["name"], match["rest"]
    if rest.startswith('"'):
        quoted = _double_quoted(rest[1:])
    elif rest.startswith("'"):
        quoted = _single_quoted(rest[1:])
    else:
        return name, _unquoted(rest, after_space=bool(match["space"]))
    if quoted is None or not _only_comment(quoted[1]):
        return None  # unterminated quote, or text glued after the closing quote
    return name, quoted[0]


def parse_secrets_file(text: str) -> dict[str, str]:
    """Parse a shell-style secrets file into ``{NAME: value}`` without executing anything.

    Understood, one assignment per line, with optional spaces and tabs around the line and
    around ``=``::

        export NAME="value"      # double quotes: \\" \\\\ \\$ and \\` are escapes
        export NAME='value'      # single quotes: everything literal
        NAME=value               # unquoted: up to a " #" comment, trailing spaces dropped
        NAME="value"
        # a whole-line comment (and blank lines) are ignored

    **Nothing is executed or expanded**: ``$(rm -rf /)``, backticks and ``$VAR`` stay in the
    value as the literal characters written. In double quotes any backslash not listed above
    is kept as is. A ``#`` starts a comment only at the start of a line or after whitespace
    outside quotes (``NAME=a#b`` is ``a#b``). An unquoted value keeps inner spaces
    (``NAME=a b`` gives ``"a b"``) so that a mistyped token is reported, not dropped.

    Lines that are not such an assignment (unterminated quotes, text glued after a closing
    quote, ``export NAME`` without a value, shell code) are skipped; this never raises.
    A quoted value cannot span lines. When a name is assigned twice the later line wins.
    """
    result: dict[str, str] = {}
    for line in text.removeprefix("\ufeff").split("\n"):
        parsed = _parse_line(line)
        if parsed is not None:
            result[parsed[0]] = parsed[1]
    return result
