"""Every ```python block of README.md and docs/ runs, against the emulator: the docs can't drift.

How a page runs (docs/index.md, "Reading the examples", says the same to readers):

- Its blocks run in order in one namespace, as in one ``python -m asyncio`` session or a
  notebook: a later block sees what an earlier one defined, and top-level ``await``,
  ``async with`` and ``async for`` work. A block without top-level await runs on a thread of
  its own, so ``asyncio.run(main())`` and the synchronous facade work as in a plain script.
- Before each block, ``runner`` is an open runner on the page's emulator and ``emulator`` is
  that emulator, as inside ``async with hf.emulated_runner() as (runner, emulator):``.
- ``hf.open_runner()`` opens a runner on a fresh emulator, with its token: in the suite there
  is no token and no network. It takes the same arguments; the config's other fields are kept.
- The working directory is an empty temporary one holding the files the pages read
  (``FILES``: ``cat.png``, ``meeting.wav``, ``lines.txt``).
- A block that can't run as written (a signature, a sketch of a pattern) is marked on the
  line before its fence with ``<!-- no-run: the reason -->``; it must still parse, and the
  reason can't be empty. Shell and other blocks aren't run.

A block that raises fails the test, naming the page and line (tracebacks point into the
Markdown). Pages are found by glob, so a new page is tested without being listed here.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import sys
import traceback
import types
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
from media_samples import png, wav

import hf_pure as hf
from hf_pure.shell.runner import open_runner as real_open_runner
from hf_pure.testing import DEFAULT_MODELS, Emulator

ROOT = Path(__file__).resolve().parents[1]
PAGES = tuple(
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")))
)
FILES = {
    "cat.png": png(8, 6),
    "meeting.wav": wav(0.2),
    "lines.txt": b"Cats are independent pets.\nDogs love long walks.\nStock prices fell today.\n",
}
# The cold model loads for two calls, in 20 s, on the emulator; the pages' waits are real
# (at least 2 s a poll), so here it is one call, and quick.
MODELS = tuple(
    attrs.evolve(card, cold_calls=min(card.cold_calls, 1), load_seconds=min(card.load_seconds, 0.5))
    for card in DEFAULT_MODELS
)
PYTHON = frozenset({"python", "py", "python3"})
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
NO_RUN = re.compile(r"^\s*<!--\s*no-run\s*:(?P<reason>.*?)-->\s*$")
MARKER = re.compile(r"^\s*<!--\s*no-run\b", re.MULTILINE)  # a marker is a line of its own


@attrs.frozen
class Block:
    """One fenced code block: where it is, its language, its code, and a no-run reason."""

    page: str
    line: int  # the line of the first line of code (1-based)
    language: str
    code: str
    no_run: str | None  # None: it runs; else why not (may be "" when the marker has none)

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks_of(page: str, text: str) -> Iterator[Block]:
    """The fenced blocks of a Markdown text, in order (a fence may be indented, in a list)."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        info = opening["info"].strip()
        language = info.split()[0].strip("{}.") if info else ""
        before = next((line for line in reversed(lines[:i]) if line.strip()), "")
        marked = NO_RUN.match(before)
        no_run = marked["reason"].strip() if marked else ("" if MARKER.search(before) else None)
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = re.match(rf"^[ \t]*{fence[0]}{{{len(fence)},}}[ \t]*$", lines[i])
            if closing is not None:
                break
            line = lines[i]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            i += 1
        start = i - len(body) + 1
        yield Block(page, start, language, "\n".join(body) + "\n", no_run)
        i += 1


def python_blocks(page: str) -> list[Block]:
    text = (ROOT / page).read_text(encoding="utf-8")
    return [b for b in blocks_of(page, text) if b.language in PYTHON]


def compiled(block: Block) -> types.CodeType:
    """The block's code, with its line numbers those of the page (so tracebacks point there)."""
    source = "\n" * (block.line - 1) + block.code
    code: types.CodeType = compile(source, block.page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    return code


@asynccontextmanager
async def emulated(
    config: hf.ClientConfig | None = None, **options: Any
) -> AsyncIterator[tuple[hf.Runner, Emulator]]:
    async with Emulator(models=MODELS) as emu:
        base = config if config is not None else hf.ClientConfig()
        config = attrs.evolve(base, router_url=emu.url, hub_url=emu.url)
        options.pop("token", None)
        async with real_open_runner(config, token=emu.token, **options) as runner:
            yield runner, emu


@asynccontextmanager
async def open_emulated_runner(
    config: hf.ClientConfig | None = None, **options: Any
) -> AsyncIterator[hf.Runner]:
    """``hf.open_runner`` as the pages' blocks see it: the same call, on a fresh emulator."""
    async with emulated(config, **options) as (runner, _):
        yield runner


async def run_blocks(blocks: list[Block], namespace: dict[str, Any]) -> None:
    """Run ``blocks`` in order in ``namespace`` (see the module docstring); the first block
    that raises stops the run with its exception."""
    async with emulated() as (runner, emulator):
        for block in blocks:
            if block.no_run is not None:
                continue
            namespace["runner"], namespace["emulator"] = runner, emulator
            function = types.FunctionType(compiled(block), namespace)
            if function.__code__.co_flags & inspect.CO_COROUTINE:
                await function()
            else:
                await asyncio.to_thread(function)


@pytest.fixture
def page_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """A module to run a page in (registered, so classes a page defines resolve their
    annotations), in a temporary directory holding ``FILES``, with ``open_runner`` emulated."""
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(hf, "open_runner", open_emulated_runner)
    module = types.ModuleType("docs_page")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    yield module


@pytest.mark.parametrize("page", PAGES)
def test_the_python_blocks_of_the_page_run(page: str, page_module: types.ModuleType) -> None:
    blocks = python_blocks(page)
    for block in blocks:
        assert block.no_run != "", f"{block.where}: a no-run marker needs a reason"
        compiled(block)  # every block parses, the ones not run too
    asyncio.run(run_blocks(blocks, page_module.__dict__))


def test_no_run_markers_sit_on_python_blocks() -> None:
    """A marker whose block was removed or changed language would silently mark nothing."""
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        marked = [b for b in blocks_of(page, text) if b.no_run is not None]
        assert all(b.language in PYTHON for b in marked), [b.where for b in marked]
        assert len(marked) == len(MARKER.findall(text)), f"{page}: a marker not before a fence"


# ------------------------------------------------------------------ the harness's own rules

PAGE = """\
# A page

```python
x = 1
```

- in a list:

  ```py
  y = x + 1
  ```

<!-- no-run: a signature, not a call -->

```python
hf.chat(model, messages, *, options)
```

```sh
scripts/test
```

~~~~python
````
not the end
````
~~~~
"""


def test_blocks_are_found_with_their_lines_languages_and_markers() -> None:
    found = list(blocks_of("page.md", PAGE))
    assert [(b.line, b.language, b.no_run) for b in found] == [
        (4, "python", None),
        (10, "py", None),
        (16, "python", "a signature, not a call"),
        (20, "sh", None),
        (24, "python", None),
    ]
    assert found[1].code == "y = x + 1\n"  # the list's indent is taken off
    assert found[4].code == "````\nnot the end\n````\n"  # a shorter fence doesn't close it


def test_a_marker_without_a_reason_is_seen_as_one() -> None:
    (block,) = blocks_of("page.md", "<!-- no-run -->\n```python\nx\n```\n")
    assert block.no_run == ""


def run_text(text: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    asyncio.run(run_blocks(list(blocks_of("page.md", text)), namespace))
    return namespace


def test_blocks_share_a_namespace_await_at_the_top_and_get_an_open_runner() -> None:
    namespace = run_text(
        "```python\nimport hf_pure as hf\nrequest = hf.chat('meta-llama/Llama-3.1-8B-Instruct',"
        " [hf.user('Hi')])\n```\n\n```python\nanswer = (await runner.run(request)).unwrap()\n```\n"
    )
    assert namespace["answer"].text  # the second block used the first one's request
    assert isinstance(namespace["runner"], hf.Runner)


def test_a_block_without_await_runs_off_the_loop() -> None:
    namespace = run_text(
        "```python\nimport asyncio\nasyncio.run(asyncio.sleep(0))\nran = True\n```\n"
    )
    assert namespace["ran"] is True  # asyncio.run works there, as in a script


def test_a_block_that_raises_fails_the_run_at_its_line() -> None:
    with pytest.raises(ZeroDivisionError) as caught:
        run_text("```python\nok = 1\n```\n\n```python\n\n1 / 0\n```\n")
    frames = traceback.extract_tb(caught.value.__traceback__)
    assert ("page.md", 7) in [(frame.filename, frame.lineno) for frame in frames]


def test_a_marked_block_is_not_run_but_must_parse() -> None:
    assert "x" not in run_text("<!-- no-run: why -->\n```python\nx = 1 / 0\n```\n")
    (block,) = blocks_of("page.md", "<!-- no-run: why -->\n```python\nx = (\n```\n")
    with pytest.raises(SyntaxError):
        compiled(block)


async def test_open_runner_in_a_block_reaches_an_emulator() -> None:
    async with open_emulated_runner() as runner:
        answer = await runner.run(hf.chat("meta-llama/Llama-3.1-8B-Instruct", [hf.user("Hi")]))
    assert answer.unwrap().text
