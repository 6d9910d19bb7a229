"""The HTTP ``Link`` header (RFC 8288), parsed purely, and the same-host rule for following one.

The Hub pages its listings the way GitHub does: ``Link: <https://huggingface.co/api/models?
limit=2&cursor=...>; rel="next"``. :func:`parse_links` reads any ``Link`` value (several
links separated by commas, parameters after semicolons, quoted or bare, ``rel`` holding
several space-separated relations); :func:`next_link` answers the ``rel="next"`` target of a
reply's headers; :func:`same_site_path` says whether a target lies under a base URL and, if
so, gives the path and query to request there (a target on another host is never followed:
the token would go with it).

Total: any text gives links or none, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urljoin, urlsplit

import attrs

from hf_pure.core.value import Value


@attrs.frozen(repr=False)
class Link(Value):
    """One link of a ``Link`` header: its target (as written, maybe relative) and relations."""

    url: str
    rel: tuple[str, ...] = ()


def _split_outside(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` where it is outside ``<...>`` and outside double quotes."""
    parts: list[str] = []
    start = 0
    in_url = in_quote = False
    escaped = False
    for i, ch in enumerate(text):
        if in_quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_quote = False
        elif in_url:
            in_url = ch != ">"
        elif ch == "<":
            in_url = True
        elif ch == '"':
            in_quote = True
        elif ch == sep:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out = []
        escaped = False
        for ch in inner:
            if escaped:
                out.append(ch)
                escaped = False
            elif ch == "\\":
                escaped = True
            else:
                out.append(ch)
        return "".join(out)
    return value


def parse_links(header: str) -> tuple[Link, ...]:
    """Every link in one ``Link`` header value (malformed pieces are skipped)."""
    links: list[Link] = []
    for raw in _split_outside(header, ","):
        piece = raw.strip()
        if not piece.startswith("<"):
            continue
        end = piece.find(">")
        if end < 0:
            continue
        url = piece[1:end].strip()
        rel: tuple[str, ...] = ()
        for param in _split_outside(piece[end + 1 :], ";"):
            name, eq, value = param.partition("=")
            if eq and name.strip().lower() == "rel" and not rel:  # the first rel counts
                rel = tuple(r.lower() for r in _unquote(value).split())
        links.append(Link(url=url, rel=rel))
    return tuple(links)


def next_link(headers: Mapping[str, str]) -> str | None:
    """The target of the ``rel="next"`` link in ``headers`` (every ``Link`` header read), or
    None. ``headers`` should look names up case-insensitively (a :class:`Headers` does)."""
    getall = getattr(headers, "getall", None)
    values = getall("link") if getall is not None else (headers.get("link"),)
    for value in values:
        if not value:
            continue
        for link in parse_links(value):
            if "next" in link.rel and link.url:
                return link.url
    return None


def _site(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, an unbalanced IPv6 bracket
        return None
    host = (parts.hostname or "").lower()
    scheme = parts.scheme.lower()
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, host, port


def same_site_path(target: str, base_url: str) -> tuple[str, tuple[tuple[str, str], ...]] | str:
    """``(path, query pairs)`` to request for ``target`` (resolved against ``base_url``) when it
    lies on ``base_url``'s scheme, host and port and under its path; otherwise the reason it
    is not followed (a str). The path is relative to ``base_url``'s own path."""
    try:  # urllib raises ValueError for some malformed URLs (an unclosed IPv6 bracket)
        absolute = urljoin(base_url + "/", target)
        parts, base = urlsplit(absolute), urlsplit(base_url)
    except ValueError:
        return f"{target!r} is not a usable URL"
    there, here = _site(absolute), _site(base_url)
    if there is None or here is None or not there[1]:
        return f"{target!r} is not a usable URL"
    if there != here:
        return f"{target!r} points to another site than {base_url}"
    prefix = base.path.rstrip("/")
    path = parts.path or "/"
    if prefix and not (path == prefix or path.startswith(prefix + "/")):
        return f"{target!r} is outside {base_url}"
    rest = path[len(prefix) :] or "/"
    return rest, tuple(parse_qsl(parts.query, keep_blank_values=True))


__all__ = ["Link", "next_link", "parse_links", "same_site_path"]
