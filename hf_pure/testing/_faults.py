"""Scripted faults and the request log of the loopback emulator.

Both are plain frozen values: a ``Fault`` says what the emulator does to one request instead of
(or on top of) its normal answer; a ``SeenRequest`` is what the emulator saw.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Literal

import attrs

from . import _json as orjson  # msgspec underneath

__all__ = ["Fault", "FaultKind", "SeenRequest", "JsonBody"]

FaultKind = Literal[
    "status",
    "delay",
    "cut",
    "stall",
    "malformed",
    "drop",
    "stream_error",
    "sse_noise",
    "sse_garbage",
    "headers",
    "ignore_stream",
]

JsonBody = bytes | str | Mapping[str, object] | list[object] | tuple[object, ...]

_DEFAULT_MALFORMED = b'{"id": "x", "choices": ['
_DEFAULT_STREAM_ERROR = b'{"error":"Emulated generation error","error_type":"generation"}'


def _header_pairs(headers: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    pairs = tuple((str(k), str(v)) for k, v in headers.items())
    for name, value in pairs:
        if not name or any(c in name for c in " :\r\n") or "\r" in value or "\n" in value:
            raise ValueError(f"invalid header {name!r}: {value!r}")
    return pairs


def _encode_body(body: JsonBody) -> tuple[bytes, str]:
    """Bytes to send and their content type: JSON for containers, text/html for markup."""
    if isinstance(body, bytes):
        raw = body
    elif isinstance(body, str):
        raw = body.encode()
    else:
        return orjson.dumps(body), "application/json"
    head = raw.lstrip()[:1]
    if head in (b"{", b"["):
        return raw, "application/json"
    if head == b"<":
        return raw, "text/html; charset=utf-8"
    return raw, "text/plain; charset=utf-8"


def _non_negative(name: str, value: float) -> None:
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


@attrs.frozen
class Fault:
    """What the emulator does to one request. Build with the class methods, not directly.

    ``status``, ``malformed`` and ``drop`` replace the answer; the others alter the normal answer
    (``delay``, ``headers``, ``ignore_stream``) or the way it is sent (``cut``, ``stall``,
    ``stream_error``, ``sse_noise``, ``sse_garbage``).
    """

    kind: FaultKind
    status_code: int = 200
    body: bytes = b""
    content_type: str = ""
    extra_headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    after: int = 0
    clean: bool = True

    @classmethod
    def status(
        cls,
        code: int,
        body: JsonBody | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Reply with ``code``; ``body`` is bytes, text or a JSON value.

        The default body is ``{"error": "<reason phrase>"}``. Text starting with ``<`` is sent
        as ``text/html``, other text as ``text/plain``; a ``content-type`` in ``headers`` wins.
        """
        if not 100 <= code <= 599:
            raise ValueError(f"HTTP status must be in 100..599, got {code}")
        if body is None:
            try:
                phrase = http.HTTPStatus(code).phrase
            except ValueError:
                phrase = "Error"
            body = {"error": phrase}
        raw, ctype = _encode_body(body)
        return cls(
            "status",
            status_code=code,
            body=raw,
            content_type=ctype,
            extra_headers=_header_pairs(headers),
        )

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before answering normally."""
        _non_negative("seconds", seconds)
        return cls("delay", seconds=float(seconds))

    @classmethod
    def cut(cls, after: int = 0, clean: bool = True) -> Fault:
        """End the answer early.

        SSE: send ``after`` events (never the final one: at most all but the last), then end
        the body. ``clean=True`` terminates the chunked body properly (a clean EOF without
        ``[DONE]`` / the final event); ``clean=False`` aborts the TCP connection.
        Non-streaming: send the first half of the body; ``clean=True`` as a complete but
        truncated body (Content-Length matches), ``clean=False`` by aborting mid-body.
        """
        _non_negative("after", after)
        return cls("cut", after=int(after), clean=bool(clean))

    @classmethod
    def stall(cls, after: int = 0, seconds: float = 30.0) -> Fault:
        """Go silent for ``seconds``.

        SSE: send ``after`` events, stall, then end the body cleanly without the final event.
        Non-streaming: send the headers, stall, then send the body.
        """
        _non_negative("after", after)
        _non_negative("seconds", seconds)
        return cls("stall", after=int(after), seconds=float(seconds))

    @classmethod
    def malformed(cls, body: bytes = _DEFAULT_MALFORMED) -> Fault:
        """200 with ``content-type: application/json`` and a body that is not valid JSON."""
        return cls("malformed", status_code=200, body=bytes(body), content_type="application/json")

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without sending any reply."""
        return cls("drop")

    @classmethod
    def stream_error(cls, after: int = 0, error: Mapping[str, object] | None = None) -> Fault:
        """SSE: after ``after`` events send ``data: {"error": ...}`` and end the body.

        Default error: ``{"error": "Emulated generation error", "error_type": "generation"}``.
        On a non-streaming request the error object comes back with status 500.
        """
        _non_negative("after", after)
        raw = _DEFAULT_STREAM_ERROR if error is None else orjson.dumps(dict(error))
        return cls("stream_error", after=int(after), body=raw, content_type="application/json")

    @classmethod
    def sse_noise(cls) -> Fault:
        """A valid but awkward SSE stream carrying the normal answer.

        Comments, ``event:``/``id:``/``retry:`` fields, ``\\r\\n`` line endings, ``data:``
        without a space, and the bytes written in pieces that split events, lines and a
        ``\\r\\n`` pair. Non-streaming requests are answered normally.
        """
        return cls("sse_noise")

    @classmethod
    def sse_garbage(cls, after: int = 0) -> Fault:
        """SSE: after ``after`` events, an event ``data: this is not json``; then the rest."""
        _non_negative("after", after)
        return cls("sse_garbage", after=int(after))

    @classmethod
    def headers(cls, mapping: Mapping[str, str]) -> Fault:
        """Answer normally, with these extra headers (they replace headers of the same name)."""
        return cls("headers", extra_headers=_header_pairs(mapping))

    @classmethod
    def ignore_stream(cls) -> Fault:
        """Answer a streaming request with the whole JSON answer (``application/json``), as a
        provider that ignores ``"stream": true`` does. Other requests are answered normally."""
        return cls("ignore_stream")


#: Headers whose credentials the log never keeps.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
REDACTED = "<redacted>"


def _redact(value: str) -> str:
    """``Bearer hf_...`` as ``Bearer <redacted>``: the scheme is kept, the credential is not."""
    scheme, space, credential = value.strip().partition(" ")
    return f"{scheme} {REDACTED}" if space and credential.strip() else REDACTED


def _logged_pairs(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, _redact(v) if name in CREDENTIAL_HEADERS else v)
        for name, v in ((k.lower(), v) for k, v in pairs)
    )


@attrs.frozen
class SeenRequest:
    """One request as the emulator received it (header names lower-cased).

    Credentials are never kept: ``Authorization`` reads ``Bearer <redacted>``, and
    ``authorized`` says whether it carried the emulator's token.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...] = attrs.field(converter=_logged_pairs)
    body: bytes
    authorized: bool = False

    def json(self) -> object:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        key = name.lower()
        for k, v in self.headers:
            if k == key:
                return v
        return None

    def query_value(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        for k, v in self.query:
            if k == name:
                return v
        return None
