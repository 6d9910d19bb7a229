"""HttpCall and RawReply: what goes onto the wire and what comes back, as plain values.

An ``HttpCall`` names its host by role (``base``: the router or the Hub) and a path; the runner
joins it to the configured base URL (or to a failover endpoint). It never holds the token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, NoReturn, TypeAlias, TypeVar, cast, overload
from urllib.parse import quote, urlencode

import attrs

from hf_pure.core.value import Value, ValueEq

_T = TypeVar("_T")
Base: TypeAlias = Literal["router", "hub"]
Pairs: TypeAlias = tuple[tuple[str, str], ...]


class _CallSlots(Value):
    """HttpCall's storage: the same slots, without the frozen ``__setattr__``, so that
    :meth:`HttpCall.__new__` fills them with plain (specialised, cheap) attribute stores
    and then makes the value an ``HttpCall``. Never used on its own."""

    __slots__ = (
        "__weakref__",
        "base",
        "body",
        "content_type",
        "method",
        "path",
        "query",
        "stream",
        "timeout",
    )
    method: str
    path: str
    base: Base
    query: Pairs
    body: bytes | None
    content_type: str | None
    stream: bool
    timeout: float | None


@attrs.frozen(repr=False)
class HttpCall(_CallSlots):
    """One HTTP exchange to make. ``body`` is already encoded; ``content_type`` goes with it.

    Built once per request, so it is built cheaply: attrs supplies equality, hashing,
    ``evolve`` and the frozen ``__setattr__``, and ``__new__`` fills the slots with plain
    stores on a not-yet-frozen object (~0.35 µs; attrs' own ``__init__``, one
    ``object.__setattr__`` per field, ~0.6 µs). Same constructor as before: ``method`` and
    ``path``, then the rest by keyword (or position, in field order).
    """

    method: str
    path: str
    base: Base = "router"
    query: Pairs = ()
    body: bytes | None = None
    content_type: str | None = None
    stream: bool = False
    timeout: float | None = None

    def __new__(
        cls,
        method: str,
        path: str,
        base: Base = "router",
        query: Pairs = (),
        body: bytes | None = None,
        content_type: str | None = None,
        stream: bool = False,
        timeout: float | None = None,
    ) -> HttpCall:
        self = _new_slots(_CallSlots)
        self.method = method
        self.path = path
        self.base = base
        self.query = query
        self.body = body
        self.content_type = content_type
        self.stream = stream
        self.timeout = timeout
        self.__class__ = cls  # same layout (HttpCall adds no slots): now frozen
        return cast(HttpCall, self)

    def __getnewargs__(self) -> tuple[object, ...]:
        """For pickle and copy: ``__new__`` takes the fields (attrs' state then sets them again)."""
        return tuple(getattr(self, f.name) for f in attrs.fields(HttpCall))

    def url(self, base_url: str) -> str:
        """The absolute URL against ``base_url`` (which has no trailing slash)."""
        if self.query:
            return f"{base_url}{self.path}?{urlencode(self.query)}"
        return base_url + self.path


_new_slots: Final = object.__new__

if not TYPE_CHECKING:
    # attrs' __init__ would run after __new__ and set every field again: construction is
    # __new__ alone. Type checkers still read the signature (and evolve's) from attrs.
    del HttpCall.__init__


def repo_path(repo_id: str) -> str:
    """A repository id as a URL path piece (its slash kept, anything odd escaped)."""
    return quote(repo_id, safe="/:")


def _slot_setter(cls: type, name: str) -> Callable[[object, Any], None]:
    """The setter of a slot, bypassing a frozen ``__setattr__`` (the cheapest way to fill a
    frozen value that is built on every request)."""
    setter: Callable[[object, Any], None] = vars(cls)[name].__set__
    return setter


def _split(headers: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names and values of a mapping, pair by pair. A multidict's ``keys()`` names a
    repeated header once while ``values()`` gives each value, so when the counts differ the
    pairs are read from ``items()`` (slower, and needed only then)."""
    names, values = tuple(headers.keys()), tuple(headers.values())
    if len(names) == len(values):
        return names, values
    items = tuple(headers.items())
    return tuple([name for name, _ in items]), tuple([value for _, value in items])


class Headers(Mapping[str, str]):
    """Reply headers: a frozen, hashable mapping looked up case-insensitively.

    It keeps the names and values as they arrived (a name may repeat; a lookup gives the first)
    and lower-cases names only when it compares them, so wrapping the runner's headers costs
    two tuples. Equal when the pairs are equal with names lower-cased.

    The runner's replies wrap aiohttp's headers lazily (:func:`reply_from_wire`): the two
    tuples are made on first use, and a successful decode never reads the headers.
    """

    __slots__ = ("_names", "_source", "_values")
    _names: tuple[str, ...]
    _values: tuple[str, ...]
    _source: Mapping[str, str] | None  # set only while a lazily wrapped mapping is unread

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        if isinstance(headers, Mapping):
            names, values = _split(headers)
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

    if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute name

        def __getattr__(self, name: str) -> tuple[str, ...]:
            """Only reached for an unset slot: the names and values of a lazily wrapped
            mapping, made on first use."""
            if name not in {"_names", "_values"}:
                raise AttributeError(name)
            names, values = _split(self._source)  # an eager Headers has both tuples
            _set_names(self, names)
            _set_values(self, values)
            _set_source(self, None)  # let the wrapped mapping go
            return self._names if name == "_names" else self._values

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


_set_names: Final = _slot_setter(Headers, "_names")
_set_values: Final = _slot_setter(Headers, "_values")
_set_source: Final = _slot_setter(Headers, "_source")


def as_headers(headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]]) -> Headers:
    """``headers`` as :class:`Headers` (a Headers is returned as is)."""
    return headers if type(headers) is Headers else Headers(headers)


@attrs.frozen(repr=False, eq=False)
class RawReply(ValueEq):
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


_set_status: Final = _slot_setter(RawReply, "status")
_set_headers: Final = _slot_setter(RawReply, "headers")
_set_body: Final = _slot_setter(RawReply, "body")
_set_received_at: Final = _slot_setter(RawReply, "received_at")


def wire_headers(headers: Mapping[str, str]) -> Headers:
    """``headers`` (aiohttp's, whose names and values are always str) as :class:`Headers`
    that makes its tuples on first use: the same value as ``Headers(headers)``, only cheaper
    when it goes unread."""
    wrapped = _new_slots(Headers)
    _set_source(wrapped, headers)
    return wrapped


def reply_from_wire(
    status: int, headers: Mapping[str, str], body: bytes, received_at: float | None
) -> RawReply:
    """The runner's RawReply, built without the converter: ``headers`` is wrapped lazily
    (:func:`wire_headers`). The same value as ``RawReply(status=..., headers=..., ...)`` in
    every respect (equality, hash, repr, lookups); only cheaper when the headers go unread."""
    wrapped = _new_slots(Headers)
    _set_source(wrapped, headers)
    reply = _new_slots(RawReply)
    _set_status(reply, status)
    _set_headers(reply, wrapped)
    _set_body(reply, body)
    _set_received_at(reply, received_at)
    return reply


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
