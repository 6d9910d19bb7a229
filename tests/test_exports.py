"""The public names: one table in hf_pure/__init__.py gives ``__all__``, ``dir()``, the lazy
loading and (checked here) the TYPE_CHECKING block that type checkers read."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import hf_pure as hf

INIT = Path(hf.__file__)
EXPORTS: dict[str, str] = dict(hf._EXPORTS)
EAGER: frozenset[str] = hf._EAGER


def _module_of(name: str) -> str:
    return EXPORTS[name].partition(":")[0]


def test_every_name_in_all_resolves_to_the_object_its_module_defines() -> None:
    assert len(hf.__all__) == len(set(hf.__all__))
    assert set(hf.__all__) == {*EXPORTS, "validate"}
    for name in hf.__all__:
        value = getattr(hf, name)
        if name in EXPORTS:
            module, _, attr = EXPORTS[name].partition(":")
            assert value is getattr(importlib.import_module(module), attr or name), name
    assert set(hf.__all__) <= set(dir(hf))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        hf.nope  # noqa: B018


def test_import_hf_pure_loads_no_lazy_module_and_not_the_emulator() -> None:
    lazy = {_module_of(n) for n in EXPORTS} - EAGER
    assert "hf_pure.emulated" in lazy
    code = "import json, sys, hf_pure; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(out.stdout))
    assert not (lazy & loaded), lazy & loaded
    assert not {m for m in loaded if m.startswith("hf_pure.testing") or "emulat" in m}
    assert loaded >= EAGER


def _type_checking_block() -> dict[str, str]:
    """name -> "module[:attr]" as the TYPE_CHECKING block of __init__.py imports it."""
    tree = ast.parse(INIT.read_text())
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1
    seen: dict[str, str] = {}
    private: dict[str, str] = {}
    for stmt in blocks[0].body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module is not None:
            for alias in stmt.names:
                name = alias.asname or alias.name
                ref = stmt.module if alias.name == name else f"{stmt.module}:{alias.name}"
                if name.startswith("_") and name != "__version__":
                    private[name] = ref
                else:
                    assert alias.asname == alias.name, f"{name}: import it as `{name} as {name}`"
                    assert name not in seen, f"{name} is imported twice"
                    seen[name] = ref
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name):
            (target,) = stmt.targets
            assert isinstance(target, ast.Name)
            seen[target.id] = private[stmt.value.id]
    return seen


def test_the_type_checking_block_and_the_table_agree() -> None:
    block = _type_checking_block()
    missing = sorted(set(EXPORTS) - set(block))
    extra = sorted(set(block) - set(EXPORTS))
    assert not missing, f"add to the TYPE_CHECKING block: {missing}"
    assert not extra, f"add to _EXPORTS (or remove from the TYPE_CHECKING block): {extra}"
    assert block == EXPORTS


def test_the_table_is_one_line_per_name() -> None:
    lines = INIT.read_text().splitlines()
    for name, ref in EXPORTS.items():
        assert f'        "{name}": "{ref}",' in lines, name


def test_the_face_stays_small() -> None:
    assert len(INIT.read_text().splitlines()) <= 400
