"""The architecture check (import-linter, ruff's banned APIs, scripts/check_arch.py) catches
every offence of a module written to break the pure layers' rules, and passes the real tree.

The fixture is a small hf_pure-shaped package in tmp_path checked with the project's own
pyproject.toml, so the configuration under test is the one scripts/test uses.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# One offence a line; the second item says which checker must report that line.
BAD_MODULE: tuple[tuple[str, str | None], ...] = (
    ('"""Breaks every rule of the pure layers."""', None),
    ("from __future__ import annotations", None),
    ("from typing import TYPE_CHECKING", None),
    ("import collections", None),
    ("from functools import lru_cache", None),
    ("import datetime", "ruff"),
    ("import importlib", "ruff"),
    ("import os", "ruff"),
    ("import random", "ruff"),
    ("import sys", "ruff"),
    ("import time", "ruff"),
    ("from pathlib import Path", "ruff"),
    ("from hf_pure.shell import runner", "lint-imports"),  # an upward import
    ("if TYPE_CHECKING:", None),
    ("    from hf_pure.shell.runner import Runner", "lint-imports"),  # counts too
    ("NOW = datetime.datetime.now()", "ast"),
    ("LOADED = importlib.import_module('json')", "ast"),
    ("sys.stdout.write('hi')", "ast"),
    ("TEXT = Path('x').read_text()", "ast"),
    ("STAMP = time.time()", "ast"),
    ("PICK = random.random()", "ast"),
    ("HOME = os.environ", "ast"),
    ("SEEN = []", "ast"),  # a module-level list
    ("ZERO = dict()", "ast"),  # built by a call
    ("QUEUE = collections.deque()", "ast"),
    ("PAIR = (1, (2, [3]))", "ast"),  # nested in tuples
    ("if True:", None),
    ("    FLAGS = {1}", "ast"),  # under if
    ("try:", None),
    ("    MORE = bytearray()", "ast"),  # under try
    ("except ValueError:", None),
    ("    pass", None),
    ("class Table:", None),
    ("    rows = {}", "ast"),  # class-level dict
    ("def add(x, into=[]):", "ast"),  # mutable default argument
    ("    global SEEN", "ast"),
    ("    return into", None),
    ("JSON = __import__('json')", "ast"),
    ("@lru_cache", "ast"),
    ("def slow(n: int) -> int:", None),
    ("    print(n)", "ast"),
    ("    return n", None),
    ("def lazy() -> object:", None),
    ("    from hf_pure.shell.runner import Runner", "lint-imports"),  # inside a function
    ("    return Runner", None),
)
# Allowed in the pure layers: these must not be reported.
GOOD_MODULE = '''"""Constants as the house builds them."""
import types
from functools import cache
from types import MappingProxyType

NAMES = ("a", "b")
TABLE = MappingProxyType({"a": frozenset({1, 2}), "b": (1, 2)})
OTHER = types.MappingProxyType({k: v for k, v in TABLE.items()})
EMPTY = frozenset()
__all__ = ["NAMES"]


def build(items=()):
    out = []  # local state is fine
    out.extend(items)
    return tuple(out)


@cache
def _msgspec():
    import json
    return json
'''
EXPECTED_OFFENCES = 14  # the list; the module above has more lines than that


def write_fixture(root: Path) -> None:
    """A small package shaped like hf_pure, with the project's pyproject.toml beside it."""
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    files = {
        "__init__.py": "",
        "_version.py": "__version__ = '0'\n",
        "__main__.py": "from hf_pure import cli\n",
        "cli.py": "import time\nfrom hf_pure import testing\nfrom hf_pure.shell import runner\n",
        "emulated.py": "from hf_pure import testing\nfrom hf_pure.shell import runner\n",
        "core/__init__.py": "",
        "core/bad.py": "\n".join(line for line, _ in BAD_MODULE) + "\n",
        "core/codec.py": GOOD_MODULE,
        "tasks/__init__.py": "",
        "tasks/chat.py": "from hf_pure.core import codec\n",
        "reliability/__init__.py": "",
        "reliability/breaker.py": "from hf_pure.tasks import chat\n",  # tasks | reliability
        "shell/__init__.py": "",
        "shell/runner.py": "import time\nimport aiohttp\nfrom hf_pure.core import codec\n",
        "shell/peek.py": "from hf_pure.testing import emulator\n",  # the shell reaching testing
        "testing/__init__.py": "",
        "testing/emulator.py": "from hf_pure.core import codec\n",  # the peer importing us
    }
    for rel, text in files.items():
        path = root / "hf_pure" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def ruff_lines(root: Path) -> set[tuple[str, int]]:
    out = run(
        [str(BIN / "ruff"), "check", "--no-cache", "--select", "TID251",
         "--output-format", "json", "."],
        root,
    )  # fmt: skip
    return {
        (Path(item["filename"]).relative_to(root).as_posix(), item["location"]["row"])
        for item in json.loads(out.stdout)
    }


def lint_imports_lines(root: Path) -> tuple[set[tuple[str, str, int]], str]:
    out = run([str(BIN / "lint-imports"), "--no-cache"], root)
    found = {
        (importer, imported, int(line))
        for importer, imported, lines in re.findall(
            r"(hf_pure[\w.]*) -> (hf_pure[\w.]*) \(([^)]*)\)", out.stdout
        )
        for line in re.findall(r"\d+", lines)
    }
    return found, out.stdout


def ast_lines(root: Path) -> tuple[set[tuple[str, int]], int]:
    out = run([sys.executable, str(ROOT / "scripts" / "check_arch.py"), "."], root)
    found = set()
    for line in out.stdout.splitlines():
        match = re.match(r"(.+?):(\d+): ", line)
        if match:
            found.add((Path(match[1]).as_posix(), int(match[2])))
    return found, out.returncode


def expected(checker: str) -> set[int]:
    return {n for n, (_, who) in enumerate(BAD_MODULE, start=1) if who == checker}


def test_every_offence_is_reported_by_file_and_line(tmp_path: Path) -> None:
    write_fixture(tmp_path)
    bad = "hf_pure/core/bad.py"
    assert len({n for who in ("ruff", "ast", "lint-imports") for n in expected(who)}) >= (
        EXPECTED_OFFENCES
    )

    # ruff's banned-api: every banned import of the pure module, nothing outside the layers
    assert ruff_lines(tmp_path) == {(bad, n) for n in expected("ruff")}

    # the AST rule: every use, every mutable value, the cache, global, __import__, print
    found, code = ast_lines(tmp_path)
    assert code == 1
    assert found == {(bad, n) for n in expected("ast")}

    # import-linter: the upward imports (top level, under TYPE_CHECKING, inside a function),
    # tasks and reliability importing each other, the shell reaching testing, testing
    # importing the client
    chains, report = lint_imports_lines(tmp_path)
    assert chains == {
        *(("hf_pure.core.bad", "hf_pure.shell.runner", n) for n in expected("lint-imports")),
        ("hf_pure.reliability.breaker", "hf_pure.tasks.chat", 1),
        ("hf_pure.shell.peek", "hf_pure.testing.emulator", 1),
        ("hf_pure.testing.emulator", "hf_pure.core.codec", 1),
    }, report
    assert "Contracts: 1 kept, 3 broken." in report, report


def test_the_layers_allow_what_the_map_allows(tmp_path: Path) -> None:
    write_fixture(tmp_path)
    (tmp_path / "hf_pure" / "core" / "bad.py").write_text("")
    breaker = tmp_path / "hf_pure" / "reliability" / "breaker.py"
    breaker.write_text("from hf_pure.core import codec\n")
    (tmp_path / "hf_pure" / "shell" / "peek.py").write_text("from hf_pure.tasks import chat\n")
    (tmp_path / "hf_pure" / "testing" / "emulator.py").write_text("import json\n")
    _, report = lint_imports_lines(tmp_path)
    assert "Contracts: 4 kept, 0 broken." in report, report
    assert ast_lines(tmp_path) == (set(), 0)
    assert ruff_lines(tmp_path) == set()


def test_the_real_tree_is_clean() -> None:
    out = run([str(BIN / "lint-imports"), "--no-cache"], ROOT)
    assert out.returncode == 0, out.stdout
    assert ruff_lines(ROOT) == set()
    found, code = ast_lines(ROOT)
    assert (found, code) == (set(), 0)


@pytest.mark.parametrize("layer", ["core", "tasks", "reliability"])
def test_each_pure_layer_is_checked(tmp_path: Path, layer: str) -> None:
    write_fixture(tmp_path)
    (tmp_path / "hf_pure" / "core" / "bad.py").write_text("")
    (tmp_path / "hf_pure" / layer / "extra.py").write_text("import time\nSTATE = []\n")
    rel = f"hf_pure/{layer}/extra.py"
    assert ruff_lines(tmp_path) == {(rel, 1)}
    assert ast_lines(tmp_path) == ({(rel, 2)}, 1)
