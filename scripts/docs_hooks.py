"""mkdocs hooks (mkdocs.yml ``hooks:``): pages made from the code at build time.

``reliability.md`` is rendered by ``scripts/reliability_doc.py`` as the site is built: the
modules' docstrings and the state diagrams drawn from the transition tables
(``hf_pure.reliability.breaker.TRANSITIONS``, the health flag's table). The committed
``docs/reliability.md`` is the same text for reading on the forge, and
``reliability_doc.py --check`` (run by the test suite) keeps it equal; the site never depends
on it being fresh.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPTS = Path(__file__).resolve().parent


def _reliability_doc() -> ModuleType:
    name = "reliability_doc"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / "reliability_doc.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def on_page_markdown(markdown: str, *, page: Any, **_: Any) -> str:
    if page.file.src_uri == "reliability.md":
        return str(_reliability_doc().render())
    return markdown
