"""A griffe extension for the API reference (mkdocs.yml): the docstrings' Sphinx roles as links.

hf_pure's docstrings name other objects the Sphinx way (``:class:`~hf_pure.core.errors.
CircuitOpen```, ``:func:`open_runner```, ``:mod:`hf_pure.reliability.histogram```) and end a
paragraph before a literal block with ``::``. mkdocstrings reads Markdown, so this rewrites
each docstring once the package is loaded:

- a role whose target is in hf_pure, and exists, becomes an optional cross-reference: a link
  when the target is rendered in the reference, plain code when it is not;
- a role naming something in hf_pure that does not exist (a typo, a renamed or removed
  object) becomes a required cross-reference, which autorefs reports and ``mkdocs build
  --strict`` turns into a failure: a broken reference fails the build;
- a role naming another package (``aiohttp.ClientSession``) becomes plain code;
- a trailing ``::`` becomes ``:`` (the indented block after it is already Markdown code).

It also tells griffe the package root's ``__all__``, which is computed from the export table
(``(*_EXPORTS, ...)``) and so can't be read statically.

Unqualified targets resolve the way Python would from the docstring's scope (the module's
names, imports included, then the class's). Roles inside code (inline or indented) are left
as they are.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

PACKAGE = "hf_pure"
# A role, or code where a role is left alone: a code span, or an indented (literal) line.
TOKEN = re.compile(
    r":(?:class|func|meth|mod|data|attr|exc|obj|const):`(?P<short>~?)(?P<target>[^`<>]+?)`"
    r"|``.*?``|`[^`\n]*`|^(?: {4,}|\t).*$",
    re.MULTILINE,
)
LITERAL_END = re.compile(r"(?<=\S)::$", re.MULTILINE)


def _exists(collection: griffe.ModulesCollection, path: str) -> bool:
    try:
        collection[path]
    except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return False
    return True


def _resolve(obj: griffe.Object | griffe.Alias, target: str) -> str | None:
    """The full path of ``target`` as seen from ``obj``'s scope, or None."""
    head, _, rest = target.partition(".")
    scope: griffe.Object | griffe.Alias | None = obj
    while scope is not None:
        try:
            base = scope.resolve(head)
        except griffe.NameResolutionError:
            scope = scope.parent
            continue
        return f"{base}.{rest}" if rest else base
    return None


def _code(title: str) -> str:
    return f"<code>{title}</code>"


def rewrite(
    text: str, obj: griffe.Object | griffe.Alias, collection: griffe.ModulesCollection
) -> str:
    """``text`` (one docstring) with its roles as cross-references and ``::`` as ``:``."""

    def role(match: re.Match[str]) -> str:
        if match.group("target") is None:
            return match.group(0)  # code: as it is
        short, target = match.group("short"), match.group("target").strip()
        title = target.rsplit(".", 1)[-1] if short else target
        if target.startswith(f"{PACKAGE}.") or target == PACKAGE:
            path = target
        else:
            found = _resolve(obj, target)
            if found is None:
                # not a name of this scope: a typo, or a module-qualified name of elsewhere
                return f"[{_code(title)}][{target}]" if "." not in target else _code(title)
            path = found
        if not path.startswith(PACKAGE):
            return _code(title)  # another package's object (returns.result.Result, ...)
        if _exists(collection, path):
            return f'<autoref identifier="{path}" optional>{_code(title)}</autoref>'
        return f"[{_code(title)}][{path}]"  # required: autorefs reports it, --strict fails

    return LITERAL_END.sub(":", TOKEN.sub(role, text))


class SphinxRoles(griffe.Extension):
    """Rewrites every docstring of the loaded package (see the module docstring)."""

    def on_module_members(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        if mod.path == PACKAGE:
            import hf_pure

            mod.exports = list(hf_pure.__all__)

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        collection = loader.modules_collection
        todo: list[griffe.Object] = [pkg]
        while todo:
            obj = todo.pop()
            if obj.docstring is not None:
                obj.docstring.value = rewrite(obj.docstring.value, obj, collection)
            todo.extend(m for m in obj.members.values() if isinstance(m, griffe.Object))
