"""HttpCall and RawReply: what goes onto the wire and what comes back, as plain values.

An ``HttpCall`` names its host by role (``base``: the router or the Hub) and a path; the runner
joins it to the configured base URL (or to a failover endpoint). It never holds the token.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, TypeAlias
from urllib.parse import quote, urlencode

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from hf_pure.core.value import Value

Base: TypeAlias = Literal["router", "hub"]
Pairs: TypeAlias = tuple[tuple[str, str], ...]


@attrs.frozen(repr=False)
class HttpCall(Value):
    """One HTTP exchange to make. ``body`` is already encoded; ``content_type`` goes with it."""

    method: str
    path: str
    base: Base = "router"
    query: Pairs = ()
    body: bytes | None = None
    content_type: str | None = None
    stream: bool = False
    timeout: float | None = None

    def url(self, base_url: str) -> str:
        """The absolute URL against ``base_url`` (which has no trailing slash)."""
        if self.query:
            return f"{base_url}{self.path}?{urlencode(self.query)}"
        return base_url + self.path


def repo_path(repo_id: str) -> str:
    """A repository id as a URL path piece (its slash kept, anything odd escaped)."""
    return quote(repo_id, safe="/:")


@attrs.frozen(repr=False)
class RawReply(Value):
    """A whole reply: status, case-insensitive headers, body bytes.

    ``received_at`` is the wall-clock time (epoch seconds) the runner got it, used only to turn
    an HTTP-date ``Retry-After`` into seconds when the reply has no ``Date`` header.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    received_at: float | None = None

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def raw_reply(
    status: int,
    body: bytes = b"",
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    received_at: float | None = None,
) -> RawReply:
    """Build a RawReply with case-insensitive headers (for tests and custom transports)."""
    return RawReply(status, CIMultiDictProxy(CIMultiDict(headers)), body, received_at)
