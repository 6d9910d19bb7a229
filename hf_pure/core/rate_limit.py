"""Rate-limit headers as a value: how many requests (and tokens) a reply says are left.

Two families are read, from any reply (a success as well as a 429):

- OpenAI's, which the router's OpenAI-compatible chat routes pass on::

      x-ratelimit-limit-requests: 600        x-ratelimit-limit-tokens: 200000
      x-ratelimit-remaining-requests: 599    x-ratelimit-remaining-tokens: 199976
      x-ratelimit-reset-requests: 100ms      x-ratelimit-reset-tokens: 6m0s

  (a reset is a Go-style duration: ``1s``, ``6m0s``, ``20ms``, ``1h2m3.5s``; a plain number
  is seconds);
- the IETF draft's, which the Hub and hf-inference send (WIRE.md, "Errors")::

      RateLimit: "api";r=499;t=112                    (remaining r, reset in t seconds)
      RateLimit-Policy: "fixed window";"api";q=500;w=300   (quota q per window of w seconds)

  and the draft's older spellings (``RateLimit: limit=500, remaining=499, reset=112``,
  ``RateLimit-Policy: 500;w=300``, ``RateLimit-Limit`` / ``-Remaining`` / ``-Reset``). Their
  quota counts requests, so they fill the ``*_requests`` fields.

Parsing is total: a header that is missing or can't be read leaves its field None; nothing
here raises for what a server sends. :func:`ietf_param` is the one reader of the IETF
parameter syntax (the 429 wait of :func:`hf_pure.core.failures.retry_after_seconds` uses it
too).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final, TypeVar

import attrs

from hf_pure.core.http import as_headers
from hf_pure.core.value import Value

__all__ = ["RateLimit", "ietf_param", "parse_duration", "rate_limit_of"]

_N = TypeVar("_N", int, float)

# Seconds per unit of a Go duration; "ms" is tried before "m" (longest unit first).
_UNITS: Final = (("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3))
_SHORT_UNITS: Final = (("h", 3600.0), ("m", 60.0), ("s", 1.0))
_DIGITS: Final = frozenset("0123456789")
_MAX_DIGITS: Final = 30  # longer numbers are not counts a server means (and int() refuses >4300)


@attrs.frozen(repr=False)
class RateLimit(Value):
    """What a reply's rate-limit headers say; a field is None when the reply didn't say it (or
    said it in a form that can't be read). Resets are seconds from the reply; ``window`` is
    the length of the quota's window (IETF ``RateLimit-Policy``'s ``w``)."""

    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests: float | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens: float | None = None
    window: float | None = None

    @property
    def known(self) -> bool:
        """True when the reply said anything about its rate limit."""
        return any(getattr(self, f.name) is not None for f in attrs.fields(RateLimit))


def _number(text: str) -> str | None:
    """The plain decimal number ``text`` is (digits, at most one dot), else None."""
    whole, dot, fraction = text.partition(".")
    if not whole and not fraction:
        return None
    if len(text) > _MAX_DIGITS or not set(whole + fraction) <= _DIGITS:
        return None
    return text if not dot or fraction else whole


def _count(text: str | None) -> int | None:
    """A non-negative whole count, else None."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > _MAX_DIGITS or not set(text) <= _DIGITS:
        return None
    return int(text)


def _seconds(text: str | None) -> float | None:
    """Non-negative finite seconds, else None."""
    if text is None:
        return None
    found = _number(text.strip())
    if found is None:
        return None
    value = float(found)
    return value if math.isfinite(value) else None


def parse_duration(text: str) -> float | None:
    """Seconds from a Go-style duration (``"1s"``, ``"6m0s"``, ``"20ms"``, ``"1h2m3.5s"``)
    or a plain number of seconds (``"30"``, ``"0.5"``); None for anything else (negative
    durations included)."""
    rest = text.strip()
    if not rest:
        return None
    plain = _seconds(rest)
    if plain is not None:
        return plain
    total = 0.0
    while rest:
        at = 0
        while at < len(rest) and (rest[at] in _DIGITS or rest[at] == "."):
            at += 1
        number = _number(rest[:at]) if at else None
        if number is None:
            return None
        rest = rest[at:]
        for unit, scale in (*_UNITS, *_SHORT_UNITS):
            if rest.startswith(unit):
                total += float(number) * scale
                rest = rest[len(unit) :]
                break
        else:
            return None
    return total if math.isfinite(total) else None


def _params(raw: str) -> list[tuple[str, str]]:
    """The ``key=value`` parameters of an IETF rate-limit header, in order (keys lower-cased,
    quotes dropped); a bare item (a quoted policy name, draft 7's leading quota) has key ""."""
    out: list[tuple[str, str]] = []
    for piece in raw.replace(",", ";").split(";"):
        left, eq, right = piece.partition("=")
        if not eq:
            out.append(("", piece.strip().strip('"')))
            continue
        words = left.split()
        out.append((words[-1].lower() if words else "", right.strip().strip('"')))
    return out


def _leading(text: str) -> str | None:
    """The decimal number ``text`` starts with (``"112"`` of ``"112s"``), else None."""
    at = 0
    while at < len(text) and text[at] in _DIGITS:
        at += 1
    if at == 0:
        return None
    if text[at : at + 1] == "." and text[at + 1 : at + 2] in _DIGITS:
        at += 1
        while at < len(text) and text[at] in _DIGITS:
            at += 1
    return text[:at] if at <= _MAX_DIGITS else None


def ietf_param(raw: str, names: tuple[str, ...]) -> float | None:
    """The first number given to one of ``names`` in an IETF rate-limit header
    (``ietf_param('"api";r=499;t=112', ("t", "reset"))`` is 112.0), else None."""
    for key, value in _params(raw):
        if key in names:
            found = _leading(value)
            if found is not None:
                return float(found)
    return None


def _ietf_count(raw: str | None, names: tuple[str, ...]) -> int | None:
    if raw is None:
        return None
    found = ietf_param(raw, names)
    return int(found) if found is not None and found.is_integer() else None


def _policy_quota(raw: str | None) -> int | None:
    """The quota of a ``RateLimit-Policy``: its ``q``, or draft 7's leading bare number."""
    if raw is None:
        return None
    quota = _ietf_count(raw, ("q",))
    if quota is not None:
        return quota
    first = _params(raw)[0]
    return _count(first[1]) if first[0] == "" else None


def _first(*found: _N | None) -> _N | None:
    """The first of ``found`` that was stated (the headers' order of precedence)."""
    return next((value for value in found if value is not None), None)


def rate_limit_of(headers: Mapping[str, str]) -> RateLimit:
    """The rate limit a reply's headers state (any mapping; names case-insensitive). OpenAI's
    headers are read first; the IETF ones fill what they leave unset."""
    got = as_headers(headers).get
    ietf = got("ratelimit")
    policy = got("ratelimit-policy")
    reset = got("x-ratelimit-reset-requests")
    reset_tokens = got("x-ratelimit-reset-tokens")
    reset_ietf = ietf_param(ietf, ("t", "reset")) if ietf is not None else None
    return RateLimit(
        limit_requests=_first(
            _count(got("x-ratelimit-limit-requests")),
            _ietf_count(ietf, ("limit",)),
            _policy_quota(policy),
            _count(got("ratelimit-limit")),
        ),
        remaining_requests=_first(
            _count(got("x-ratelimit-remaining-requests")),
            _ietf_count(ietf, ("r", "remaining")),
            _count(got("ratelimit-remaining")),
        ),
        reset_requests=_first(
            parse_duration(reset) if reset is not None else None,
            reset_ietf,
            _seconds(got("ratelimit-reset")),
        ),
        limit_tokens=_count(got("x-ratelimit-limit-tokens")),
        remaining_tokens=_count(got("x-ratelimit-remaining-tokens")),
        reset_tokens=parse_duration(reset_tokens) if reset_tokens is not None else None,
        window=ietf_param(policy, ("w",)) if policy is not None else None,
    )
