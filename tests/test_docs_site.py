"""The documentation site's own machinery: the reliability diagrams come from the code's
tables, and docstring roles become cross-references that fail the strict build when broken.

(The build itself runs in scripts/test: ``mkdocs build --strict``.)
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import MappingProxyType, ModuleType

import griffe
import pytest

from hf_pure.reliability import health
from hf_pure.reliability.breaker import TRANSITIONS, BreakerEffect, BreakerEvent, BreakerMode

ROOT = Path(__file__).resolve().parents[1]


def script(name: str) -> ModuleType:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ARROW = re.compile(r"^    (\S+) --> (\S+): (.*)$", re.MULTILINE)
NOTE = re.compile(
    r"^    note (?:left|right) of (\S+)\n        stays on\n(.*?)\n    end note$", re.M | re.S
)


def arrows(diagram: str) -> dict[tuple[str, str], list[str]]:
    """Every transition the diagram shows, by (from, to): arrows, and notes for the loops."""
    drawn = {(a, b): labels.split(", ") for a, b, labels in ARROW.findall(diagram)}
    for state, body in NOTE.findall(diagram):
        assert (state, state) not in drawn
        drawn[state, state] = [line.strip() for line in body.splitlines()]
    return drawn


# ------------------------------------------------------------------ diagrams from the tables


def test_every_breaker_transition_is_an_arrow_of_the_diagram_and_nothing_else() -> None:
    doc = script("reliability_doc")
    drawn = arrows(doc.state_diagram(doc.breaker_edges(TRANSITIONS), "CLOSED"))
    expected: dict[tuple[str, str], set[str]] = {}
    for (mode, event), (after, effect) in TRANSITIONS.items():
        label = (
            event.value if effect is BreakerEffect.NOTHING else f"{event.value} / {effect.value}"
        )
        expected.setdefault((mode.name, after.name), set()).add(label)
    assert {pair: set(labels) for pair, labels in drawn.items()} == expected
    assert sum(map(len, drawn.values())) == len(TRANSITIONS)


def test_a_changed_table_draws_a_changed_diagram() -> None:
    """The diagram is drawn from the table it is given, not kept as text somewhere."""
    doc = script("reliability_doc")
    changed = MappingProxyType(
        {
            **TRANSITIONS,
            (BreakerMode.HALF_OPEN, BreakerEvent.FAILURE): (
                BreakerMode.CLOSED,
                BreakerEffect.FRESH,
            ),
        }
    )
    drawn = arrows(doc.state_diagram(doc.breaker_edges(changed), "CLOSED"))
    assert "failure / fresh" in drawn["HALF_OPEN", "CLOSED"]
    assert ("HALF_OPEN", "OPEN") not in drawn


def test_the_health_diagram_is_the_health_table() -> None:
    doc = script("reliability_doc")
    drawn = arrows(doc.state_diagram(doc.health_edges(health._NEXT_HEALTHY), "healthy"))
    name = {True: "healthy", False: "unhealthy"}
    for (healthy, ok, reached), after in health._NEXT_HEALTHY.items():
        label = "ok" if ok else ("failed at threshold" if reached else "failed below threshold")
        assert label in drawn[name[healthy], name[after]]
    assert ("unhealthy", "healthy") in drawn
    assert drawn["healthy", "unhealthy"] == ["failed at threshold"]


def test_the_page_carries_the_diagrams_of_the_current_tables() -> None:
    doc = script("reliability_doc")
    page = doc.render()
    assert doc.state_diagram(doc.breaker_edges(TRANSITIONS), "CLOSED") in page
    assert doc.state_diagram(doc.health_edges(health._NEXT_HEALTHY), "healthy") in page
    assert ":class:`" not in page and ":func:`" not in page  # roles shown as code


def test_the_site_renders_the_page_from_the_code_at_build_time() -> None:
    hooks = script("docs_hooks")

    class File:
        src_uri = "reliability.md"

    class Page:
        file = File()

    assert hooks.on_page_markdown("stale text", page=Page()) == script("reliability_doc").render()
    File.src_uri = "chat.md"
    assert hooks.on_page_markdown("as written", page=Page()) == "as written"


# ------------------------------------------------------------ docstring roles as references


@pytest.fixture(scope="module")
def loaded() -> griffe.Module:
    extensions = griffe.load_extensions(f"{ROOT / 'scripts' / 'griffe_roles.py'}:SphinxRoles")
    loader = griffe.GriffeLoader(search_paths=[str(ROOT)], extensions=extensions)
    module = loader.load("hf_pure")
    assert isinstance(module, griffe.Module)
    return module


def rewrite(text: str, where: griffe.Object) -> str:
    roles = script("griffe_roles")
    out: str = roles.rewrite(text, where, where.modules_collection)
    return out


def test_a_role_naming_an_object_that_exists_is_an_optional_reference(
    loaded: griffe.Module,
) -> None:
    modifiers = loaded["tasks.modifiers"]
    out = rewrite(
        "see :class:`ChatRequest` and :func:`~hf_pure.shell.runner.open_runner`", modifiers
    )
    assert (
        '<autoref identifier="hf_pure.tasks.chat.ChatRequest" optional><code>ChatRequest</code>'
        in out
    )
    assert (
        '<autoref identifier="hf_pure.shell.runner.open_runner" optional><code>open_runner</code>'
        in out
    )


def test_a_role_naming_nothing_is_a_required_reference(loaded: griffe.Module) -> None:
    """autorefs reports a required reference it can't resolve: mkdocs --strict fails."""
    modifiers = loaded["tasks.modifiers"]
    assert rewrite(":meth:`ChatRequest.with_optoin`", modifiers) == (
        "[<code>ChatRequest.with_optoin</code>][hf_pure.tasks.chat.ChatRequest.with_optoin]"
    )
    assert rewrite(":func:`no_such_function`", modifiers) == (
        "[<code>no_such_function</code>][no_such_function]"
    )
    assert rewrite(":mod:`hf_pure.reliability.nothing`", modifiers) == (
        "[<code>hf_pure.reliability.nothing</code>][hf_pure.reliability.nothing]"
    )


def test_other_packages_code_and_literal_blocks_are_left_as_code(loaded: griffe.Module) -> None:
    runner = loaded["shell.runner"]
    assert rewrite(":class:`aiohttp.ClientSession`", runner) == "<code>aiohttp.ClientSession</code>"
    text = "In code, ``:class:`Runner``` stays.\n\n    x = :func:`y`\n"
    assert rewrite(text, runner) == text
    assert rewrite("A table::\n\n    a  b\n", runner) == "A table:\n\n    a  b\n"


def test_every_docstring_of_the_package_was_rewritten(loaded: griffe.Module) -> None:
    """Roles only survive inside code, so none reach the site as raw text."""
    role = re.compile(r":(?:class|func|meth|mod|data|attr|exc):`")
    todo: list[griffe.Object] = [loaded]
    seen = 0
    while todo:
        obj = todo.pop()
        if obj.docstring is not None:
            prose = re.sub(
                r"``.*?``|`[^`\n]*`|^(?: {4,}|\t).*$", "", obj.docstring.value, flags=re.M
            )
            assert not role.search(prose), obj.path
            seen += 1
        todo.extend(m for m in obj.members.values() if isinstance(m, griffe.Object))
    assert seen > 300
    assert loaded.exports is not None and "chat" in loaded.exports  # the computed __all__
