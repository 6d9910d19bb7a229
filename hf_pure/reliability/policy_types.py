"""The values the composed policy works on: the :class:`Policy` (which machines run, and
how), the :class:`ReliabilityState` (all their states), ``admit``'s decisions and the event
log that ``replay`` folds. The transitions are in :mod:`hf_pure.reliability.policy` (admit,
adapt, replay) and :mod:`hf_pure.reliability.outcomes` (record, release, record_hit).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final

import attrs
import immutables
import msgspec
from returns.result import Result

from hf_pure.core.errors import HfError
from hf_pure.core.state import State
from hf_pure.core.value import Value
from hf_pure.reliability.breaker import FRESH, BreakerConfig, BreakerState
from hf_pure.reliability.bucket import BucketConfig, BucketState, bucket_start
from hf_pure.reliability.cache import CacheConfig, CacheState, cache_empty
from hf_pure.reliability.failover import FailoverConfig, FailoverState, failover_start
from hf_pure.reliability.health import HealthConfig
from hf_pure.reliability.metrics import EMPTY as EMPTY_METRICS
from hf_pure.reliability.metrics import Metrics
from hf_pure.reliability.rand import Rng
from hf_pure.reliability.retry import CONSERVATIVE, RetryPolicy


class BreakerKey(enum.StrEnum):
    """What one circuit breaker guards."""

    GLOBAL = "global"  # one breaker for everything
    MODEL = "model"  # one per model id (the default)
    ENDPOINT = "endpoint"  # one per failover endpoint


def _max_wait(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{attribute.name}: must be a number of seconds, got {_kind(value)}")
    if not value >= 0:
        raise ValueError(f"{attribute.name}: must be a number of seconds >= 0")


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _one(cls: type, optional: bool) -> Any:
    """A validator: the field holds a ``cls`` (or None when ``optional``), else a TypeError
    that names the field and what it takes (a setting is replaced as a value, or field by
    field with dotted paths)."""
    wanted = f"a {cls.__name__}"
    if issubclass(cls, enum.Enum):
        wanted += " (" + ", ".join(f"{cls.__name__}.{m.name}" for m in cls) + ")"
    if optional:
        wanted += " or None (None switches it off)"

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, cls) or (optional and value is None):
            return
        hint = (
            f"; set its fields one by one as {attribute.name}.<field>"
            if isinstance(value, Mapping) and attrs.has(cls)
            else ""
        )
        raise TypeError(f"{attribute.name}: must be {wanted}, got {_kind(value)}{hint}")

    return check


def _key_of(value: Any) -> Any:
    """A breaker key's name as data ("model") is the key; anything else is left for the
    validator to refuse."""
    if isinstance(value, str) and not isinstance(value, BreakerKey):
        return next((k for k in BreakerKey if k.value == value), value)
    return value


@attrs.frozen(repr=False)
class Policy(Value):
    """Which machines run and how. A machine set to None is switched off.

    ``max_wait``: the longest local rate-limit wait ``admit`` answers with ``Wait``; a longer
    one is a ``Reject(RateLimitedLocally)`` at once.
    """

    breaker: BreakerConfig | None = attrs.field(
        factory=BreakerConfig, validator=_one(BreakerConfig, True)
    )
    breaker_key: BreakerKey = attrs.field(
        default=BreakerKey.MODEL, converter=_key_of, validator=_one(BreakerKey, False)
    )
    bucket: BucketConfig | None = attrs.field(
        factory=BucketConfig, validator=_one(BucketConfig, True)
    )
    cache: CacheConfig | None = attrs.field(factory=CacheConfig, validator=_one(CacheConfig, True))
    retry: RetryPolicy = attrs.field(default=CONSERVATIVE, validator=_one(RetryPolicy, False))
    failover: FailoverConfig | None = attrs.field(
        default=None, validator=_one(FailoverConfig, True)
    )
    health: HealthConfig = attrs.field(factory=HealthConfig, validator=_one(HealthConfig, False))
    max_wait: float = attrs.field(default=30.0, validator=_max_wait)


class ReliabilityState(State, frozen=True, kw_only=True):
    """Every machine's state. Machines switched off keep their (unused) slot.

    ``breakers`` holds only the keys whose breaker is failing or recovering: an absent key is
    a fresh CLOSED breaker, and a breaker back to that state leaves the map (so the state
    doesn't grow with every model or endpoint ever seen).
    """

    breakers: immutables.Map[str, BreakerState]
    bucket: BucketState | None
    cache: CacheState[Any, Any]
    failover: FailoverState | None
    metrics: Metrics
    rng: Rng

    def breaker(self, key: str) -> BreakerState:
        """The breaker of ``key`` (a model id, an endpoint URL, or "*"): its entry in
        ``breakers``, or the fresh CLOSED state when it has none."""
        return self.breakers.get(key, FRESH)


def policy_start(policy: Policy, now: float, seed: int = 0) -> ReliabilityState:
    """A fresh state: breakers closed, bucket full, cache empty, endpoints healthy."""
    return ReliabilityState(
        breakers=immutables.Map(),
        bucket=bucket_start(policy.bucket, now) if policy.bucket is not None else None,
        cache=cache_empty(),
        failover=failover_start(policy.failover, seed) if policy.failover is not None else None,
        metrics=EMPTY_METRICS,
        rng=Rng(seed),
    )


# ------------------------------------------------------------------------------- decisions


class Send(State, frozen=True, kw_only=True):
    """Send the request (to ``endpoint`` when failing over; None: the configured URL)."""

    endpoint: str | None = None
    index: int | None = None
    key: str = ""
    cacheable: bool = False  # store a success in the cache (decided once, in admit)


class Serve(State, frozen=True, kw_only=True):
    """Answer from the cache; nothing is sent."""

    value: Any


class Wait(State, frozen=True, kw_only=True):
    """The local rate limit: wait this long, then admit again."""

    seconds: float
    window: str = ""


class Reject(State, frozen=True, kw_only=True):
    """Don't send: the error says why (CircuitOpen, RateLimitedLocally, NoHealthyEndpoint)."""

    error: HfError


Decision = Send | Serve | Wait | Reject


# ------------------------------------------------------------------------------- events


@attrs.frozen(repr=False)
class Admitted(Value):
    """An ``admit`` call as it happened: enough to replay it."""

    request: Any
    now: float
    avoid: frozenset[int] = frozenset()
    streamed: bool = False


@attrs.frozen(repr=False)
class Recorded(Value):
    """A ``record`` call as it happened."""

    request: Any
    decision: Send
    result: Result[Any, HfError]
    latency: float
    now: float
    bytes_sent: int = 0
    bytes_received: int = 0


@attrs.frozen(repr=False)
class Hit(Value):
    """A ``record_hit`` call as it happened."""

    request: Any
    now: float


@attrs.frozen(repr=False)
class Released(Value):
    """A ``release`` call as it happened (an admission given back unfinished)."""

    decision: Send
    now: float


@attrs.frozen(repr=False)
class Drawn(Value):
    """A ``draw`` from the state's random source as it happened (retry jitter)."""


Event = Admitted | Recorded | Hit | Released | Drawn


FRESH_BREAKER: Final = FRESH  # what an absent key in ``breakers`` stands for


def state_with(state: ReliabilityState, **changes: Any) -> ReliabilityState:
    """``state`` with some of its machines' states replaced."""
    return msgspec.structs.replace(state, **changes)
