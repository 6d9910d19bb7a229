"""HttpCall and RawReply: what goes onto the wire and what comes back, as plain values.

An ``HttpCall`` names its host by role (``base``: the router or the Hub) and a path; the runner
joins it to the configured base URL (or to a failover endpoint). It never holds the token.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Final, Literal, NoReturn, TypeAlias, TypeVar, overload
from urllib.parse import quote, urlencode

import attrs

from hf_pure.core.value import Value

_T = TypeVar("_T")
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


class Headers(Mapping[str, str]):
    """Reply headers: a frozen, hashable mapping looked up case-insensitively.

    It keeps the names and values as they arrived (a name may repeat; a lookup gives the first)
    and lower-cases names only when it compares them, so wrapping the runner's headers costs
    two tuples. Equal when the pairs are equal with names lower-cased.
    """

    __slots__ = ("_names", "_values")
    _names: tuple[str, ...]
    _values: tuple[str, ...]

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        if isinstance(headers, Mapping):
            names, values = tuple(headers.keys()), tuple(headers.values())
        else:
            pairs = [tuple(pair) for pair in headers]
            if any(len(pair) != 2 for pair in pairs):
                raise TypeError("headers: need (name, value) pairs")
            names, values = tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
        try:  # str.join checks every name and value in C: this is the runner's hot path
            "".join(names)
            "".join(values)
        except TypeError:
            raise TypeError("headers: names and values must be str") from None
        _set_names(self, names)  # the slots' own setters: cheaper than object.__setattr__
        _set_values(self, values)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Headers are frozen")

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The ``(name, value)`` pairs in arrival order, names as received."""
        return tuple(zip(self._names, self._values, strict=True))

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...
    def get(self, name: str, default: object = None, /) -> object:
        key = name.lower()
        for index, found in enumerate(self._names):
            if found.lower() == key:
                return self._values[index]
        return default

    def getall(self, name: str) -> tuple[str, ...]:
        """Every value of ``name``, in arrival order."""
        key = name.lower()
        return tuple(v for n, v in zip(self._names, self._values, strict=True) if n.lower() == key)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(found.lower() for found in self._names))

    def __len__(self) -> int:
        return len({found.lower() for found in self._names})

    def _canonical(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(found.lower() for found in self._names), self._values

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())

    def __repr__(self) -> str:
        return f"Headers({list(self.pairs)!r})"


_set_names: Final = Headers._names.__set__  # type: ignore[attr-defined]
_set_values: Final = Headers._values.__set__  # type: ignore[attr-defined]


def as_headers(headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]]) -> Headers:
    """``headers`` as :class:`Headers` (a Headers is returned as is)."""
    return headers if type(headers) is Headers else Headers(headers)


@attrs.frozen(repr=False)
class RawReply(Value):
    """A whole reply: status, case-insensitive headers, body bytes.

    ``headers`` may be given as any mapping or sequence of ``(name, value)`` pairs (aiohttp's,
    a plain dict with ``Retry-After``...): it is converted to :class:`Headers`, so a lookup
    never depends on the case the server or the caller used.
    ``received_at`` is the wall-clock time (epoch seconds) the runner got it, used only to turn
    an HTTP-date ``Retry-After`` into seconds when the reply has no ``Date`` header.
    """

    status: int
    headers: Headers = attrs.field(converter=as_headers)
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
    """Build a RawReply (for tests and custom transports): ``raw_reply(status, body, headers)``."""
    if type(status) is not int:
        raise TypeError(f"raw_reply: status must be an int, got {type(status).__name__}")
    if not isinstance(body, bytes):
        raise TypeError(
            f"raw_reply: body must be bytes, got {type(body).__name__}"
            " (the order is raw_reply(status, body, headers))"
        )
    return RawReply(status=status, headers=headers, body=body, received_at=received_at)
