"""The rate-limit headers the emulator sends on its successful answers.

Each route family has a fixed-window quota counted per emulator (every request of the family
counts, whatever its answer; the window starts at the family's first request):

- the router's chat routes (``/v1/chat/completions`` and the providers' own) answer with
  OpenAI's headers, ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``, resets written
  as durations (``59.5s``, ``1m0s``, ``20ms``); a chat answer spends the emulator's
  ``reply_tokens`` tokens;
- hf-inference (its tasks and its chat route) answers with the IETF draft's headers as the
  Hub writes them: ``RateLimit: "api";r=<remaining>;t=<seconds to reset>`` and
  ``RateLimit-Policy: "fixed window";"api";q=<quota>;w=<window seconds>``.

Errors carry none (a scripted 429 sets its own with ``Fault(..., headers=...)``), so the
headers never change how a client reads a failure.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from ._answers import Answer, JsonAnswer, SseAnswer

__all__ = [
    "HF_INFERENCE_QUOTA",
    "HF_INFERENCE_WINDOW",
    "ROUTER_REQUESTS",
    "ROUTER_TOKENS",
    "ROUTER_WINDOW",
    "RateLimits",
]

ROUTER_REQUESTS = 600  # chat requests per window on the router
ROUTER_TOKENS = 200_000  # tokens per window on the router
ROUTER_WINDOW = 60.0
HF_INFERENCE_QUOTA = 1000  # requests per window on hf-inference
HF_INFERENCE_WINDOW = 300.0

_FAMILIES = {"chat": "router", "chat_hf": "hf-inference", "task": "hf-inference"}
_WINDOWS = {"router": ROUTER_WINDOW, "hf-inference": HF_INFERENCE_WINDOW}


def go_duration(seconds: float) -> str:
    """``seconds`` as OpenAI writes a reset: ``20ms``, ``1.5s``, ``6m0s``, ``1h0m0s``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{int(hours)}h{int(minutes)}m{text}"
    if minutes:
        return f"{int(minutes)}m{text}"
    return text


class RateLimits:
    """The per-family counters of one emulator, and the headers that state them."""

    __slots__ = ("_clock", "_counts", "_starts")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._starts: dict[str, float] = {}

    def count(self, kind: str, reply_tokens: int) -> tuple[tuple[str, str], ...]:
        """Count one request of route kind ``kind``; the headers its answer carries (none for
        a route without a quota)."""
        family = _FAMILIES.get(kind)
        if family is None:
            return ()
        now = self._clock()
        window = _WINDOWS[family]
        start = self._starts.get(family)
        if start is None or now >= start + window:
            start = self._starts[family] = now
            self._counts[family] = 0
        used = self._counts[family] = self._counts[family] + 1
        reset = max(0.0, start + window - now)
        if family == "router":
            return (
                ("x-ratelimit-limit-requests", str(ROUTER_REQUESTS)),
                ("x-ratelimit-remaining-requests", str(max(0, ROUTER_REQUESTS - used))),
                ("x-ratelimit-reset-requests", go_duration(reset)),
                ("x-ratelimit-limit-tokens", str(ROUTER_TOKENS)),
                ("x-ratelimit-remaining-tokens", str(max(0, ROUTER_TOKENS - used * reply_tokens))),
                ("x-ratelimit-reset-tokens", go_duration(reset)),
            )
        return (
            ("RateLimit", f'"api";r={max(0, HF_INFERENCE_QUOTA - used)};t={math.ceil(reset)}'),
            (
                "RateLimit-Policy",
                f'"fixed window";"api";q={HF_INFERENCE_QUOTA};w={int(HF_INFERENCE_WINDOW)}',
            ),
        )


def stamped(answer: Answer, headers: tuple[tuple[str, str], ...]) -> Answer:
    """``answer`` with the rate-limit ``headers`` when it is a success (a new answer: the
    normal ones may be shared)."""
    if not headers:
        return answer
    if isinstance(answer, SseAnswer):
        return SseAnswer(answer.events, answer.data_prefix, headers + answer.headers)
    if 200 <= answer.status < 300:
        return JsonAnswer(answer.status, answer.body, answer.content_type, headers + answer.headers)
    return answer
