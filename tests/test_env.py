"""Tests for hf_pure.shell.env: secret-file parsing, the walk up, and the token search order.

Every test passes ``environ``, ``cwd`` and ``home`` explicitly (all under ``tmp_path``), so the
real environment, home directory and any real token are never read.
"""

from __future__ import annotations

import logging
import os
import shutil
import string
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

from hf_pure.core.errors import InvalidInput, MissingToken
from hf_pure.core.secret import Secret
from hf_pure.core.secrets_file import parse_secrets_file
from hf_pure.shell.env import (
    find_secrets_file,
    load_token,
    token_sources,
)

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A fresh workspace directory with no secret file anywhere above it."""
    if find_secrets_file(tmp_path) is not None:  # pragma: no cover - depends on the machine
        pytest.skip("a real secret/-secrets.sh exists above the temporary directory")
    root = tmp_path / "ws"
    root.mkdir()
    return root


def write_secrets(directory: Path, text: str) -> Path:
    path = directory / "secret" / "-secrets.sh"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_hub_token(home: Path, text: str) -> Path:
    path = home / ".cache" / "huggingface" / "token"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def token_of(result: Result[Secret, MissingToken | InvalidInput]) -> str:
    match result:
        case Success(secret):
            assert isinstance(secret, Secret)
            return secret.reveal()
        case _:
            raise AssertionError(f"expected a token, got {result!r}")


def invalid_of(result: Result[Secret, MissingToken | InvalidInput]) -> InvalidInput:
    match result:
        case Failure(InvalidInput() as error):
            return error
        case _:
            raise AssertionError(f"expected InvalidInput, got {result!r}")


def missing_of(result: Result[Secret, MissingToken | InvalidInput]) -> MissingToken:
    match result:
        case Failure(MissingToken() as error):
            return error
        case _:
            raise AssertionError(f"expected MissingToken, got {result!r}")


def load(
    ws: Path,
    explicit: str | Secret | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Result[Secret, MissingToken | InvalidInput]:
    """load_token isolated in ``ws``: home is ``ws/home``, cwd ``ws/project`` unless given."""
    home = ws / "home"
    home.mkdir(exist_ok=True)
    here = cwd if cwd is not None else ws / "project"
    here.mkdir(parents=True, exist_ok=True)
    return load_token(explicit, environ={} if environ is None else environ, cwd=here, home=home)


# --------------------------------------------------------------------------------------------
# parse_secrets_file: the line forms
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ('export NAME="value"', "value"),
        ("export NAME='value'", "value"),
        ("NAME=value", "value"),
        ('NAME="value"', "value"),
        ('   export    NAME = "value"   ', "value"),
        ("\tNAME\t=\tvalue\t", "value"),
        ("NAME=value\r", "value"),  # CRLF files
        ('NAME="say \\"hi\\""', 'say "hi"'),
        ('NAME="back\\\\slash"', "back\\slash"),
        ('NAME="a\\nb"', "a\\nb"),  # other backslashes are kept
        ("NAME='it\\\"s'", 'it\\"s'),  # single quotes: no escapes at all
        ("NAME=value # a comment", "value"),
        ("NAME=value\t# a comment", "value"),
        ('NAME="value" # a comment', "value"),
        ("NAME='value'  # a comment", "value"),
        ('NAME="not # a comment"', "not # a comment"),
        ("NAME='not # a comment'", "not # a comment"),
        ("NAME=a#b", "a#b"),  # '#' inside a word is not a comment
        ("NAME=", ""),
        ('NAME=""', ""),
        ("NAME=   # nothing but a comment", ""),
        ("NAME=a b", "a b"),  # kept whole, so that a mistyped token gets reported
        ('NAME="  padded  "', "  padded  "),
        ("NAME=hf_AbC123", "hf_AbC123"),
        ("NAME=ünïcødé", "ünïcødé"),
    ],
)
def test_parse_line_forms(line: str, value: str) -> None:
    assert parse_secrets_file(line) == {"NAME": value}


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("NAME=$(rm -rf /)", "$(rm -rf /)"),
        ('export NAME="$(rm -rf /)"', "$(rm -rf /)"),
        ("export NAME='$(rm -rf /)'", "$(rm -rf /)"),
        ("NAME=`rm -rf /`", "`rm -rf /`"),
        ('NAME="`whoami`"', "`whoami`"),
        ('NAME="$HOME/x"', "$HOME/x"),
        ("NAME=${HOME}", "${HOME}"),
        ("NAME=$OTHER", "$OTHER"),
        ('NAME="\\$HOME"', "$HOME"),  # an escaped dollar is just a dollar, as in the shell
    ],
)
def test_parse_keeps_substitutions_literally(line: str, value: str) -> None:
    assert parse_secrets_file(line) == {"NAME": value}


def test_parse_whole_file_with_comments_and_blank_lines() -> None:
    text = "\n".join(
        [
            "#!/bin/sh",
            "# the workspace secrets",
            "",
            "   ",
            "\t# an indented comment with NAME=value in it",
            'export HF_TOKEN="hf_one"  # the main one',
            "",
            "export OTHER='x y'",
            "PLAIN=plain",
            "# export COMMENTED=yes",
        ]
    )
    assert parse_secrets_file(text) == {"HF_TOKEN": "hf_one", "OTHER": "x y", "PLAIN": "plain"}


@pytest.mark.parametrize(
    "line",
    [
        'NAME="unterminated',
        "NAME='unterminated",
        'NAME="a"b',  # text glued after the closing quote
        "NAME='a'b",
        "export NAME",
        "NAME",
        "1NAME=x",
        "NA-ME=x",
        "=value",
        "echo hello",
        "if true; then",
        "  fi",
        "export",
        "source other.sh",
    ],
)
def test_parse_skips_malformed_lines(line: str) -> None:
    text = f"BEFORE=1\n{line}\nAFTER=2\n"
    assert parse_secrets_file(text) == {"BEFORE": "1", "AFTER": "2"}


def test_parse_later_definition_wins() -> None:
    text = "export HF_TOKEN=\"first\"\nHF_TOKEN=second\nOTHER=x\nexport HF_TOKEN='third'\n"
    assert parse_secrets_file(text) == {"HF_TOKEN": "third", "OTHER": "x"}


def test_parse_ignores_a_byte_order_mark() -> None:
    assert parse_secrets_file('\ufeffexport HF_TOKEN="hf_x"\n') == {"HF_TOKEN": "hf_x"}


def test_parse_empty_text() -> None:
    assert parse_secrets_file("") == {}


# --------------------------------------------------------------------------------------------
# Nothing is executed
# --------------------------------------------------------------------------------------------


def _canary_file(ws: Path) -> tuple[Path, Path, Path]:
    """A secrets file whose lines, if run by a shell, would create two canary files."""
    made_by_dollar = ws / "made_by_dollar"
    made_by_backtick = ws / "made_by_backtick"
    text = (
        f'export HF_TOKEN="$(touch${{IFS}}{made_by_dollar})"\n'
        f"export OTHER=`touch {made_by_backtick}`\n"
    )
    return write_secrets(ws / "project", text), made_by_dollar, made_by_backtick


def test_command_substitution_is_not_executed(ws: Path) -> None:
    secrets, made_by_dollar, made_by_backtick = _canary_file(ws)

    values = parse_secrets_file(secrets.read_text(encoding="utf-8"))
    result = load(ws)

    assert values == {
        "HF_TOKEN": f"$(touch${{IFS}}{made_by_dollar})",
        "OTHER": f"`touch {made_by_backtick}`",
    }
    assert token_of(result) == f"$(touch${{IFS}}{made_by_dollar})"
    assert not made_by_dollar.exists()
    assert not made_by_backtick.exists()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for the control run")
def test_canary_control_a_real_shell_would_create_the_files(ws: Path) -> None:
    """Shows the canaries above are live: sourcing the same file with bash creates them."""
    secrets, made_by_dollar, made_by_backtick = _canary_file(ws)
    bash = shutil.which("bash")
    assert bash is not None
    subprocess.run(
        [bash, "--noprofile", "--norc", "-c", f". '{secrets}'"],
        check=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        cwd=ws,
        capture_output=True,
    )
    assert made_by_dollar.exists()
    assert made_by_backtick.exists()


# --------------------------------------------------------------------------------------------
# find_secrets_file
# --------------------------------------------------------------------------------------------


def test_find_walks_up_from_a_nested_directory(ws: Path) -> None:
    secrets = write_secrets(ws, "HF_TOKEN=x\n")
    nested = ws / "a" / "b" / "c"
    nested.mkdir(parents=True)
    assert find_secrets_file(nested) == secrets


def test_find_includes_the_start_directory(ws: Path) -> None:
    secrets = write_secrets(ws, "HF_TOKEN=x\n")
    assert find_secrets_file(ws) == secrets


def test_find_prefers_the_nearest_file(ws: Path) -> None:
    write_secrets(ws, "HF_TOKEN=outer\n")
    inner = write_secrets(ws / "a", "HF_TOKEN=inner\n")
    nested = ws / "a" / "b"
    nested.mkdir()
    assert find_secrets_file(nested) == inner


def test_find_returns_none_when_absent(ws: Path) -> None:
    nested = ws / "a" / "b"
    nested.mkdir(parents=True)
    assert find_secrets_file(nested) is None


def test_find_passes_over_a_directory_named_like_the_file(ws: Path) -> None:
    outer = write_secrets(ws, "HF_TOKEN=x\n")
    (ws / "a" / "secret" / "-secrets.sh").mkdir(parents=True)
    (ws / "b").mkdir()
    (ws / "b" / "secret").write_text("a file, not a directory", encoding="utf-8")
    assert find_secrets_file(ws / "a") == outer
    assert find_secrets_file(ws / "b") == outer


def test_find_needs_the_exact_names(ws: Path) -> None:
    (ws / "secret").mkdir()
    (ws / "secret" / "secrets.sh").write_text("HF_TOKEN=x\n", encoding="utf-8")
    (ws / "secrets").mkdir()
    (ws / "secrets" / "-secrets.sh").write_text("HF_TOKEN=x\n", encoding="utf-8")
    assert find_secrets_file(ws) is None


def test_find_on_a_missing_start_directory_does_not_raise(ws: Path) -> None:
    secrets = write_secrets(ws, "HF_TOKEN=x\n")
    assert find_secrets_file(ws / "does" / "not" / "exist") == secrets


# --------------------------------------------------------------------------------------------
# load_token: precedence
# --------------------------------------------------------------------------------------------

# The sources from most to least preferred, each with a distinct token.
_LEVELS = (
    "explicit",
    "env HUGGINGFACE_API_KEY",
    "env HF_TOKEN",
    "file HUGGINGFACE_API_KEY",
    "file HF_TOKEN",
    "hub token file",
)


def _setup_levels(ws: Path, first: int) -> tuple[str | None, dict[str, str]]:
    """Set every source from ``_LEVELS[first]`` down; return (explicit, environ)."""
    present = set(_LEVELS[first:])
    explicit = "hf_explicit" if "explicit" in present else None
    environ: dict[str, str] = {}
    if "env HUGGINGFACE_API_KEY" in present:
        environ["HUGGINGFACE_API_KEY"] = "hf_env_api_key"
    if "env HF_TOKEN" in present:
        environ["HF_TOKEN"] = "hf_env_token"
    lines = []
    # HF_TOKEN is written first so that the file's own order is not what decides.
    if "file HF_TOKEN" in present:
        lines.append('export HF_TOKEN="hf_file_token"')
    if "file HUGGINGFACE_API_KEY" in present:
        lines.append("export HUGGINGFACE_API_KEY='hf_file_api_key'")
    if lines:
        write_secrets(ws, "\n".join(lines) + "\n")
    if "hub token file" in present:
        write_hub_token(ws / "home", "hf_hub_file\n")
    return explicit, environ


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (0, "hf_explicit"),
        (1, "hf_env_api_key"),
        (2, "hf_env_token"),
        (3, "hf_file_api_key"),
        (4, "hf_file_token"),
        (5, "hf_hub_file"),
    ],
    ids=_LEVELS,
)
def test_each_source_beats_every_later_one(ws: Path, first: int, expected: str) -> None:
    explicit, environ = _setup_levels(ws, first)
    nested = ws / "project" / "deep" / "er"
    assert token_of(load(ws, explicit, environ, cwd=nested)) == expected


def test_explicit_secret_beats_the_environment(ws: Path) -> None:
    result = load(ws, Secret("hf_given"), {"HUGGINGFACE_API_KEY": "hf_env", "HF_TOKEN": "hf_e"})
    assert token_of(result) == "hf_given"


def test_explicit_value_is_stripped(ws: Path) -> None:
    assert token_of(load(ws, "  hf_padded\n")) == "hf_padded"


def test_nothing_anywhere_is_missing_token(ws: Path) -> None:
    assert isinstance(missing_of(load(ws)), MissingToken)


# --------------------------------------------------------------------------------------------
# load_token: empty values are skipped, broken ones are reported
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", " ", "\t \n"])
def test_blank_values_count_as_not_set(ws: Path, blank: str) -> None:
    environ = {"HUGGINGFACE_API_KEY": blank, "HF_TOKEN": blank}
    one_line_blank = blank.replace("\n", "")
    write_secrets(ws, f'HUGGINGFACE_API_KEY="{one_line_blank}"\nHF_TOKEN=\n')
    write_hub_token(ws / "home", "hf_from_hub")
    assert token_of(load(ws, blank, environ)) == "hf_from_hub"


def test_blank_file_api_key_falls_back_to_file_hf_token(ws: Path) -> None:
    write_secrets(ws, 'export HUGGINGFACE_API_KEY="  "\nexport HF_TOKEN="hf_second"\n')
    assert token_of(load(ws)) == "hf_second"


def test_blank_hub_token_file_is_missing(ws: Path) -> None:
    write_hub_token(ws / "home", "  \n\n")
    assert isinstance(missing_of(load(ws)), MissingToken)


def test_hub_token_file_trailing_newline_is_dropped(ws: Path) -> None:
    write_hub_token(ws / "home", "hf_line\r\n")
    assert token_of(load(ws)) == "hf_line"


def _token_file_source(ws: Path) -> str:
    return str(write_hub_token(ws / "home", "hf_bad token"))


def _secrets_source(ws: Path) -> str:
    path = write_secrets(ws, "export HF_TOKEN='hf_bad token'\n")
    return f"{path} (HF_TOKEN)"


@pytest.mark.parametrize(
    ("explicit", "environ", "source"),
    [
        ("hf_bad token", {}, "token"),
        (Secret("hf_bad token"), {}, "token"),
        (None, {"HUGGINGFACE_API_KEY": "hf_bad token"}, "HUGGINGFACE_API_KEY"),
        (None, {"HF_TOKEN": "hf_bad token"}, "HF_TOKEN"),
    ],
)
def test_invalid_token_names_its_source(
    ws: Path, explicit: str | Secret | None, environ: dict[str, str], source: str
) -> None:
    write_hub_token(ws / "home", "hf_valid_fallback")
    error = invalid_of(load(ws, explicit, environ))
    assert error.field == source
    assert "hf_bad" not in str(error)


@pytest.mark.parametrize("make_source", [_secrets_source, _token_file_source])
def test_invalid_token_in_a_file_names_the_file(
    ws: Path, make_source: Callable[[Path], str]
) -> None:
    source = make_source(ws)
    error = invalid_of(load(ws))
    assert error.field == source
    assert "hf_bad" not in str(error)


def test_invalid_token_does_not_fall_through(ws: Path) -> None:
    environ = {"HUGGINGFACE_API_KEY": "hf_broken\u00e9", "HF_TOKEN": "hf_fine"}
    write_secrets(ws, "HF_TOKEN=hf_fine_too\n")
    error = invalid_of(load(ws, None, environ))
    assert error.field == "HUGGINGFACE_API_KEY"


def test_token_with_a_newline_is_invalid_and_never_shown(
    ws: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_part, other_part = "hf_TopSecretPart1", "TopSecretPart2"
    result = load(ws, None, {"HF_TOKEN": f"{secret_part}\n{other_part}"})

    error = invalid_of(result)
    assert error.field == "HF_TOKEN"
    assert "line break" in error.reason
    shown = " ".join([repr(result), str(result), repr(error), str(error), error.message])
    assert secret_part not in shown
    assert other_part not in shown
    captured = capsys.readouterr()
    assert secret_part not in captured.out + captured.err
    assert caplog.records == []


def test_token_file_with_two_lines_is_invalid_and_never_shown(ws: Path) -> None:
    path = write_hub_token(ws / "home", "hf_FirstLine\nhf_SecondLine\n")
    result = load(ws)
    error = invalid_of(result)
    assert error.field == str(path)
    assert "FirstLine" not in repr(result) + str(error)
    assert "SecondLine" not in repr(result) + str(error)


def test_success_repr_hides_the_token(ws: Path) -> None:
    result = load(ws, None, {"HF_TOKEN": "hf_VisibleIfLeaked"})
    assert token_of(result) == "hf_VisibleIfLeaked"
    assert "VisibleIfLeaked" not in repr(result) + str(result)


# --------------------------------------------------------------------------------------------
# load_token: HF_HOME, HF_TOKEN_PATH, XDG_CACHE_HOME
# --------------------------------------------------------------------------------------------


def test_hf_home_token_file(ws: Path) -> None:
    hf_home = ws / "hf_home"
    hf_home.mkdir()
    (hf_home / "token").write_text("hf_from_hf_home\n", encoding="utf-8")
    write_hub_token(ws / "home", "hf_from_default")
    assert token_of(load(ws, None, {"HF_HOME": str(hf_home)})) == "hf_from_hf_home"


def test_hf_token_path_beats_hf_home(ws: Path) -> None:
    hf_home = ws / "hf_home"
    hf_home.mkdir()
    (hf_home / "token").write_text("hf_from_hf_home", encoding="utf-8")
    explicit_path = ws / "elsewhere" / "my-token"
    explicit_path.parent.mkdir()
    explicit_path.write_text("hf_from_token_path", encoding="utf-8")
    environ = {"HF_TOKEN_PATH": str(explicit_path), "HF_HOME": str(hf_home)}
    assert token_of(load(ws, None, environ)) == "hf_from_token_path"


def test_hf_token_path_that_is_missing_does_not_fall_back_to_hf_home(ws: Path) -> None:
    hf_home = ws / "hf_home"
    hf_home.mkdir()
    (hf_home / "token").write_text("hf_from_hf_home", encoding="utf-8")
    environ = {"HF_TOKEN_PATH": str(ws / "nope"), "HF_HOME": str(hf_home)}
    error = missing_of(load(ws, None, environ))
    assert error.looked[-1] == str(ws / "nope")


def test_blank_hf_token_path_and_hf_home_are_ignored(ws: Path) -> None:
    write_hub_token(ws / "home", "hf_from_default")
    environ = {"HF_TOKEN_PATH": "  ", "HF_HOME": ""}
    assert token_of(load(ws, None, environ)) == "hf_from_default"


def test_xdg_cache_home_is_used_like_huggingface_hub_does(ws: Path) -> None:
    xdg = ws / "xdg"
    (xdg / "huggingface").mkdir(parents=True)
    (xdg / "huggingface" / "token").write_text("hf_from_xdg", encoding="utf-8")
    write_hub_token(ws / "home", "hf_from_default")
    assert token_of(load(ws, None, {"XDG_CACHE_HOME": str(xdg)})) == "hf_from_xdg"
    hf_home = ws / "hf_home"
    hf_home.mkdir()
    (hf_home / "token").write_text("hf_from_hf_home", encoding="utf-8")
    environ = {"XDG_CACHE_HOME": str(xdg), "HF_HOME": str(hf_home)}
    assert token_of(load(ws, None, environ)) == "hf_from_hf_home"


def test_tilde_in_hf_home_means_the_given_home(ws: Path) -> None:
    target = ws / "home" / "custom"
    target.mkdir(parents=True)
    (target / "token").write_text("hf_tilde", encoding="utf-8")
    assert token_of(load(ws, None, {"HF_HOME": "~/custom"})) == "hf_tilde"


def test_relative_hf_token_path_is_relative_to_cwd(ws: Path) -> None:
    project = ws / "project"
    project.mkdir()
    (project / "tok").write_text("hf_relative", encoding="utf-8")
    assert token_of(load(ws, None, {"HF_TOKEN_PATH": "tok"})) == "hf_relative"


# --------------------------------------------------------------------------------------------
# load_token: MissingToken and token_sources
# --------------------------------------------------------------------------------------------


def test_missing_token_lists_every_place_in_order(ws: Path) -> None:
    cwd = ws / "project" / "sub"
    error = missing_of(load(ws, None, {}, cwd=cwd))
    expected = (
        "HUGGINGFACE_API_KEY",
        "HF_TOKEN",
        f"secret/-secrets.sh in {cwd} or any parent directory",
        str(ws / "home" / ".cache" / "huggingface" / "token"),
    )
    assert error.looked == expected
    for place in expected:
        assert place in error.message


def test_missing_token_names_hf_token_path_and_hf_home(ws: Path) -> None:
    error = missing_of(load(ws, None, {"HF_HOME": str(ws / "hh")}))
    assert error.looked[-1] == str(ws / "hh" / "token")
    error = missing_of(load(ws, None, {"HF_TOKEN_PATH": str(ws / "tp")}))
    assert error.looked[-1] == str(ws / "tp")


def test_missing_token_names_a_secrets_file_without_tokens(ws: Path) -> None:
    secrets = write_secrets(ws, "OPENAI_API_KEY=sk-something\n")
    error = missing_of(load(ws, cwd=ws / "project"))
    assert error.looked[2] == str(secrets)


def test_token_sources_match_missing_token(ws: Path) -> None:
    home = ws / "home"
    home.mkdir()
    cwd = ws / "project"
    cwd.mkdir()
    environ = {"HF_HOME": str(ws / "hh")}
    sources = token_sources(environ=environ, cwd=cwd, home=home)
    error = missing_of(load_token(environ=environ, cwd=cwd, home=home))
    assert sources == error.looked
    assert len(sources) == 4


def test_empty_environ_mapping_is_not_replaced_by_the_real_one(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_from_the_real_environment")
    monkeypatch.setenv("HUGGINGFACE_API_KEY", "hf_from_the_real_environment")
    assert isinstance(missing_of(load(ws, None, {})), MissingToken)


# --------------------------------------------------------------------------------------------
# load_token: unreadable files count as not found
# --------------------------------------------------------------------------------------------


def test_directory_in_place_of_the_token_file(ws: Path) -> None:
    (ws / "home" / ".cache" / "huggingface" / "token").mkdir(parents=True)
    error = missing_of(load(ws))
    assert error.looked[-1].endswith("token")


def test_directory_as_hf_token_path(ws: Path) -> None:
    assert isinstance(missing_of(load(ws, None, {"HF_TOKEN_PATH": str(ws)})), MissingToken)


def test_bad_utf8_files_count_as_not_found(ws: Path) -> None:
    secrets = ws / "secret" / "-secrets.sh"
    secrets.parent.mkdir()
    secrets.write_bytes(b'export HF_TOKEN="hf_\xff\xfe"\n')
    token = ws / "home" / ".cache" / "huggingface" / "token"
    token.parent.mkdir(parents=True)
    token.write_bytes(b"hf_\xff\xfe")
    assert isinstance(missing_of(load(ws)), MissingToken)


def test_unreadable_secrets_file_falls_through_to_the_token_file(ws: Path) -> None:
    secrets = ws / "secret" / "-secrets.sh"
    secrets.parent.mkdir()
    secrets.write_bytes(b"\xff HF_TOKEN=hf_never\n")
    write_hub_token(ws / "home", "hf_hub")
    assert token_of(load(ws)) == "hf_hub"


def test_permission_denied_counts_as_not_found(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = write_secrets(ws, "HF_TOKEN=hf_locked\n")
    token = write_hub_token(ws / "home", "hf_locked_too")
    locked = {str(secrets), str(token)}
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        # chmod 0 does not stop root (CI runs as root), so refuse the way the kernel would
        if str(path) in locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    assert isinstance(missing_of(load(ws)), MissingToken)


def _release_blocked_fifo_reader(fifo: Path, after: float) -> threading.Thread:
    """After ``after`` s, unblock whoever is stuck opening ``fifo`` (so a bug fails, not hangs)."""

    def release() -> None:
        time.sleep(after)
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO when nobody is reading
        except OSError:
            return
        os.close(fd)

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_as_token_file_neither_blocks_nor_raises(ws: Path) -> None:
    fifo = ws / "fifo"
    os.mkfifo(fifo)
    releaser = _release_blocked_fifo_reader(fifo, after=2.0)
    started = time.monotonic()
    result = load(ws, None, {"HF_TOKEN_PATH": str(fifo)})
    elapsed = time.monotonic() - started
    releaser.join()
    assert isinstance(missing_of(result), MissingToken)
    assert elapsed < 1.5, "load_token blocked opening a FIFO"


def test_an_oversized_token_file_counts_as_not_found(ws: Path) -> None:
    write_hub_token(ws / "home", "a" * (2 << 20))
    assert isinstance(missing_of(load(ws)), MissingToken)


def test_a_deleted_cwd_does_not_raise(ws: Path) -> None:
    gone = ws / "gone"
    home = ws / "home"
    home.mkdir()
    write_hub_token(home, "hf_still_found")
    result = load_token(environ={}, cwd=gone, home=home)
    assert token_of(result) == "hf_still_found"


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
_printable = st.characters(codec="utf-8").filter(str.isprintable)
_plain_values = st.text(
    alphabet=st.characters(exclude_characters='"\\', codec="utf-8").filter(str.isprintable),
    max_size=40,
)
_shellish = st.text(
    alphabet=st.sampled_from([*"export AB_=\"'\\#$()`{}; \t\r\n", *string.ascii_letters]),
    max_size=200,
)


@given(st.one_of(st.text(), _shellish))
def test_parse_never_raises(text: str) -> None:
    parsed = parse_secrets_file(text)
    assert all(name.isidentifier() and name.isascii() for name in parsed)
    assert all("\n" not in value for value in parsed.values())


@given(_names, _plain_values)
def test_round_trip_export_double_quoted(name: str, value: str) -> None:
    assert parse_secrets_file(f'export {name}="{value}"\n') == {name: value}


@given(_names, st.text(alphabet=_printable, max_size=40))
def test_round_trip_any_printable_value_when_escaped(name: str, value: str) -> None:
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    assert parse_secrets_file(f'{name}="{quoted}" # note') == {name: value}


@given(st.lists(st.tuples(_names, _plain_values), max_size=8))
def test_later_assignments_win_and_comments_do_not_matter(pairs: list[tuple[str, str]]) -> None:
    lines = []
    for name, value in pairs:
        lines += ["# a comment", "", f'export {name}="{value}"']
    assert parse_secrets_file("\n".join(lines)) == dict(pairs)
