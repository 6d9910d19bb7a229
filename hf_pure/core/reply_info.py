"""What a reply said besides its answer: status, request id, headers, rate limit.

A success value is the answer alone (a ``ChatCompletion``, a tuple of labels...): equal
answers are equal values, and decoding one reads no header. A request wrapped with
:func:`hf_pure.with_reply_info` answers :class:`Replied` instead, the answer with its
:class:`ReplyInfo`::

    replied = (await runner.run(pipe(hf.chat(model, messages), hf.with_reply_info()))).unwrap()
    replied.value.text, replied.request_id, replied.rate_limit.remaining_requests
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

import attrs

from hf_pure.core.http import Headers, as_headers, wire_headers
from hf_pure.core.rate_limit import RateLimit, rate_limit_of
from hf_pure.core.value import ValueEq

__all__ = ["Replied", "ReplyInfo", "reply_info_from_wire"]

T_co = TypeVar("T_co", covariant=True)


@attrs.frozen(repr=False, eq=False)
class ReplyInfo(ValueEq):
    """A reply's status and headers (case-insensitive, as they arrived), and what they tell:
    :attr:`request_id` (``X-Request-Id``, what to quote to support) and :attr:`rate_limit`."""

    status: int
    headers: Headers = attrs.field(converter=as_headers)

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def rate_limit(self) -> RateLimit:
        """The reply's rate-limit headers, read (:func:`hf_pure.core.rate_limit.rate_limit_of`):
        all fields None when it sent none."""
        return rate_limit_of(self.headers)


def reply_info_from_wire(status: int, headers: Mapping[str, str]) -> ReplyInfo:
    """A ReplyInfo over aiohttp's headers, wrapped lazily (read only if asked for)."""
    info: ReplyInfo = object.__new__(ReplyInfo)
    object.__setattr__(info, "status", status)
    object.__setattr__(info, "headers", wire_headers(headers))
    return info


@attrs.frozen(repr=False, eq=False)
class Replied(ValueEq, Generic[T_co]):
    """A success value with the reply it came in: :attr:`value` is what the unwrapped request
    answers, :attr:`info` the reply's status and headers (also flat: :attr:`request_id`,
    :attr:`headers`, :attr:`rate_limit`, :attr:`status`). Two are equal when both the answers
    and the replies are."""

    value: T_co
    info: ReplyInfo

    @property
    def status(self) -> int:
        return self.info.status

    @property
    def request_id(self) -> str | None:
        return self.info.request_id

    @property
    def headers(self) -> Headers:
        return self.info.headers

    @property
    def rate_limit(self) -> RateLimit:
        return self.info.rate_limit
