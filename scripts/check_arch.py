#!/usr/bin/env python3
"""The part of the layer contract that import-linter and ruff's banned-api can't see.

Usage: check_arch.py [PROJECT_ROOT]   (default: the current directory)

In the pure layers (``hf_pure/core``, ``hf_pure/tasks``, ``hf_pure/reliability``) it reports:

- module-level or class-level mutable values: list, dict and set displays and comprehensions,
  calls that build one (``list()``, ``dict()``, ``bytearray()``, ``collections.deque()``,
  ``defaultdict()``...), also nested in tuples or under ``if``/``try``/``with``/``for``
  (a display handed straight to ``frozenset``, ``tuple`` or ``MappingProxyType`` is fine, and
  so is ``__all__``, the module protocol's export list);
- mutable default arguments (the same values as a default of any function or lambda);
- ``global`` statements;
- ``__import__``, ``eval``, ``exec``, ``open``, ``print``, ``input``, ``breakpoint``;
- caches (``functools.cache``, ``lru_cache``, ``cached_property``) outside ``CACHE_ALLOWED``;
- every use of a module that ruff's banned-api bans (read from pyproject.toml), at the line
  of the use (``datetime.now()``, ``sys.stdout.write``, ``Path.read_text``...).

It prints ``file:line: offence`` for each and a summary, and exits 1 if there was any.
The imports (layers, clocks, randomness, IO) are import-linter's and ruff's (pyproject.toml).
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final

PURE_LAYERS: Final = ("core", "tasks", "reliability")

# Builders of mutable containers, by qualified name.
MUTABLE_CALLS: Final = frozenset(
    {
        "list", "dict", "set", "bytearray", "sorted", "vars", "dict.fromkeys",
        "collections.deque", "collections.defaultdict", "collections.OrderedDict",
        "collections.Counter", "collections.ChainMap", "array.array",
        "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary", "weakref.WeakSet",
    }
)  # fmt: skip
# Calls that freeze the display they are handed (its elements are still checked).
FREEZING_CALLS: Final = frozenset(
    {"frozenset", "tuple", "bytes", "types.MappingProxyType", "immutables.Map"}
)
MUTABLE_DISPLAYS: Final = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
BANNED_BUILTINS: Final = frozenset(
    {"__import__", "eval", "exec", "open", "print", "input", "breakpoint"}
)
CACHES: Final = frozenset({"functools.cache", "functools.lru_cache", "functools.cached_property"})
# (path below hf_pure/, function) that may be cached: argument-free loaders of a module or a
# compiled pattern, memoised so that import hf_pure stays cheap. The cache holds a constant.
CACHE_ALLOWED: Final = frozenset(
    {
        ("core/codec.py", "_msgspec"),  # the msgspec module, imported on first use
        ("core/failures.py", "_title_re"),  # compiled patterns for the rare error path
        ("core/serial.py", "converter"),  # the one cattrs converter, configured once
        ("tasks/_decode.py", "_decoder"),  # a reply type's msgspec decoder, built on first use
        ("tasks/similarity.py", "numpy_module"),  # the optional numpy, imported on first use
    }
)
BUILTIN_NAMES: Final = MappingProxyType({name: name for name in MUTABLE_CALLS | FREEZING_CALLS})


def _is_all(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> bool:
    """``__all__ = [...]``: the module protocol's export list, read by tools, never changed."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return [getattr(t, "id", None) for t in targets] == ["__all__"]


def banned_modules(root: Path) -> frozenset[str]:
    """The modules ruff's banned-api (TID251) bans, read from ``root/pyproject.toml``."""
    try:
        config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return frozenset()
    lint = config.get("tool", {}).get("ruff", {}).get("lint", {})
    return frozenset(lint.get("flake8-tidy-imports", {}).get("banned-api", {}))


class Checker(ast.NodeVisitor):
    """Collects ``(line, offence)`` for one module; ``rel`` is its path below ``hf_pure/``.

    Uses of a banned module's members (``datetime.now()``, ``Path.read_text``...) are reported
    where they are used; ruff reports the import line of the same module.
    """

    def __init__(self, rel: str, banned: frozenset[str] = frozenset()) -> None:
        self.rel = rel
        self.banned = banned
        self.found: list[tuple[int, str]] = []
        self.aliases: dict[str, str] = dict(BUILTIN_NAMES)  # local name -> qualified name
        self.allowed_cache_nodes: set[int] = set()

    # -- names --------------------------------------------------------------------------------

    def qualified(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualified(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module is not None and node.level == 0:
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.generic_visit(node)

    # -- mutable values -----------------------------------------------------------------------

    def mutables(self, node: ast.expr) -> Iterator[ast.expr]:
        """Every mutable value ``node`` builds that outlives the expression."""
        if isinstance(node, MUTABLE_DISPLAYS):
            yield node
        elif isinstance(node, ast.Call):
            name = self.qualified(node.func)
            if name in MUTABLE_CALLS:
                yield node
                return
            for arg in (*node.args, *(k.value for k in node.keywords)):
                if name in FREEZING_CALLS and isinstance(arg, MUTABLE_DISPLAYS):
                    yield from self.elements(arg)
                else:
                    yield from self.mutables(arg)
        elif isinstance(node, (ast.Tuple, ast.Starred, ast.NamedExpr, ast.IfExp, ast.BoolOp)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    yield from self.mutables(child)

    def elements(self, display: ast.expr) -> Iterator[ast.expr]:
        if isinstance(display, ast.Dict):
            children: Sequence[ast.expr | None] = (*display.keys, *display.values)
        elif isinstance(display, (ast.List, ast.Set)):
            children = display.elts
        else:  # a comprehension: only its result element stays
            children = [getattr(display, "elt", None), getattr(display, "value", None)]
        for child in children:
            if child is not None:
                yield from self.mutables(child)

    def report_values(self, body: Sequence[ast.stmt], where: str) -> None:
        """Assignments in a module or class body, also under if/try/with/for/while."""
        for stmt in body:
            value: ast.expr | None = None
            if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and not _is_all(stmt):
                value = stmt.value
            if value is not None:
                for bad in self.mutables(value):
                    kind = type(bad).__name__.lower()
                    if isinstance(bad, ast.Call):
                        kind = f"{ast.unparse(bad.func)}() call"
                    self.add(bad, f"{where} mutable value ({kind})")
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and not isinstance(
                    stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
                ):
                    self.report_values(inner, where)
            for handler in getattr(stmt, "handlers", ()):
                self.report_values(handler.body, where)
            for case in getattr(stmt, "cases", ()):
                self.report_values(case.body, where)

    def visit_Module(self, node: ast.Module) -> None:
        for inner in ast.walk(node):  # names first: a value may be checked before its import
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                self.visit(inner)
        self.report_values(node.body, "module-level")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.report_values(node.body, f"class-level ({node.name})")
        self.check_decorators(node.decorator_list, node.name)
        self.generic_visit(node)

    # -- functions ----------------------------------------------------------------------------

    def check_defaults(self, args: ast.arguments, name: str) -> None:
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            for bad in self.mutables(default):
                self.add(bad, f"mutable default argument of {name}")

    def check_decorators(self, decorators: list[ast.expr], name: str) -> None:
        for decorator in decorators:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if self.qualified(target) in CACHES and (self.rel, name) in CACHE_ALLOWED:
                self.allowed_cache_nodes.add(id(target))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.check_defaults(node.args, node.name)
        self.check_decorators(node.decorator_list, node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.check_defaults(node.args, "a lambda")
        self.generic_visit(node)

    # -- the rest -----------------------------------------------------------------------------

    def visit_Global(self, node: ast.Global) -> None:
        self.add(node, f"global statement ({', '.join(node.names)})")

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in BANNED_BUILTINS and node.id not in self.aliases:
            self.add(node, f"uses {node.id}")
        if not self.check_banned(node):
            self.check_cache(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not (self.check_banned(node) or self.check_cache(node)):
            self.generic_visit(node)

    def check_banned(self, node: ast.Name | ast.Attribute) -> bool:
        name = self.qualified(node)
        if name is None or not any(name == m or name.startswith(f"{m}.") for m in self.banned):
            return False
        self.add(node, f"uses {name} (banned in the pure layers)")
        return True

    def check_cache(self, node: ast.Name | ast.Attribute) -> bool:
        name = self.qualified(node)
        if name not in CACHES:
            return False
        if id(node) not in self.allowed_cache_nodes:
            self.add(node, f"cache {name} outside the allowlist (scripts/check_arch.py)")
        return True

    def add(self, node: ast.AST, offence: str) -> None:
        self.found.append((getattr(node, "lineno", 0), offence))


def offences(path: Path, rel: str, banned: frozenset[str] = frozenset()) -> list[str]:
    """``file:line: offence`` for every offence in one module."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as error:
        return [f"{path}:{error.lineno}: does not parse: {error.msg}"]
    checker = Checker(rel, banned)
    checker.visit(tree)
    return [f"{path}:{line}: {text}" for line, text in sorted(checker.found)]


def main(argv: Sequence[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else ".")
    package = root / "hf_pure"
    missing = [layer for layer in PURE_LAYERS if not (package / layer).is_dir()]
    if missing:
        print(f"architecture: no pure layer {', '.join(missing)} under {package}")
        return 1
    files = [p for layer in PURE_LAYERS for p in sorted((package / layer).rglob("*.py"))]
    banned = banned_modules(root)
    problems = [
        o for f in files for o in offences(f, f.relative_to(package).as_posix(), banned)
    ]
    for problem in problems:
        print(problem)
    print(
        f"architecture (AST rule): {len(files)} modules in {', '.join(PURE_LAYERS)}, "
        f"{len(problems)} offences"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
