#!/usr/bin/env python3
# Vendored from ../shared/tools/check_purity.py so that CI on a clean checkout can run it.
"""Check the pure layers of hf_pure: no IO, clock, randomness or hidden module state.

Usage: check_purity.py [PROJECT_ROOT]   (default: the current directory)
Exits 1 and lists each offence when a pure module imports an effectful module, reads the
clock or randomness, or keeps mutable state at module level. Prints a one-line summary last.
"""
import ast
import sys
from pathlib import Path

PURE_DIRS = ("core", "tasks", "reliability")
FORBIDDEN_IMPORTS = {
    "aiohttp", "asyncio", "time", "random", "os", "socket", "threading", "subprocess",
    "requests", "httpx", "urllib.request", "secrets", "uuid",
}
FORBIDDEN_CALLS = {"open", "print", "input"}
MUTABLE_LITERALS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_IMPORTS or alias.name in FORBIDDEN_IMPORTS:
                    found.append(f"{path}:{node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN_IMPORTS or node.module in FORBIDDEN_IMPORTS:
                found.append(f"{path}:{node.lineno}: imports from {node.module}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            found.append(f"{path}:{node.lineno}: calls {node.func.id}()")
    for node in tree.body:  # module level only
        targets = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if names and names != ["__all__"] and isinstance(value, MUTABLE_LITERALS):
            found.append(f"{path}:{node.lineno}: module-level mutable {type(value).__name__.lower()} {', '.join(names)}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.append(f"{path}:{node.lineno}: global statement")
    return found


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    pkg = root / "hf_pure"
    if not pkg.is_dir():
        print("no hf_pure package here")
        return 1
    files = [p for d in PURE_DIRS for p in sorted((pkg / d).rglob("*.py")) if (pkg / d).is_dir()]
    missing = [d for d in PURE_DIRS if not (pkg / d).is_dir()]
    problems = [o for f in files for o in offences(f)]
    for p in problems:
        print(p)
    status = "pure" if not problems and not missing else "impure"
    extra = f", missing layers: {', '.join(missing)}" if missing else ""
    print(f"purity: {status}: {len(files)} modules in {', '.join(PURE_DIRS)}, {len(problems)} offences{extra}")
    return 0 if status == "pure" else 1


if __name__ == "__main__":
    sys.exit(main())
