"""Failover's values: the endpoints, the strategy and the rules (:class:`FailoverConfig`), and
what is known about each endpoint (:class:`FailoverState`). The machine that picks and records
is :mod:`hf_pure.reliability.failover`, whose docstring gives the rules; it re-exports these.
"""

from __future__ import annotations

import enum

import attrs
import msgspec

from hf_pure.core.checks import finite_number, positive_int, positive_seconds
from hf_pure.core.state import State
from hf_pure.core.value import Value
from hf_pure.reliability.rand import Rng

__all__ = [
    "Endpoint",
    "EndpointState",
    "FailoverConfig",
    "FailoverState",
    "Strategy",
    "failover_start",
]


class Strategy(enum.StrEnum):
    """How to choose among the available endpoints."""

    PRIORITY = "priority"
    ROUND_ROBIN = "round_robin"
    RANDOM = "random"
    STICKY = "sticky"
    LEAST_BUSY = "least_busy"
    LEAST_LATENCY = "least_latency"
    WEIGHTED = "weighted"


def _check_url(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value or not value.isprintable() or value != value.strip():
        raise ValueError(
            f"{attribute.name}: must be non-empty printable text without spaces around"
        )


def _check_weight(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if finite_number(attribute.name, value) <= 0:
        raise ValueError(f"{attribute.name}: must be > 0")


@attrs.frozen(repr=False)
class Endpoint(Value):
    """One place to send requests: a base URL (or a provider name) and a weight (> 0)."""

    url: str = attrs.field(validator=_check_url)
    weight: float = attrs.field(default=1.0, validator=_check_weight)


def _check_endpoints(
    _: object, attribute: attrs.Attribute[tuple[Endpoint, ...]], value: tuple[Endpoint, ...]
) -> None:
    if not isinstance(value, tuple) or not value:
        raise ValueError(f"{attribute.name}: must name at least one endpoint")
    if not all(isinstance(e, Endpoint) for e in value):
        raise ValueError(f"{attribute.name}: must hold Endpoint values")
    urls = [e.url for e in value]
    if len(set(urls)) != len(urls):
        dup = next(u for u in urls if urls.count(u) > 1)
        raise ValueError(f"{attribute.name}: {dup!r} is listed more than once")


def _to_tuple(value: tuple[Endpoint, ...] | list[Endpoint]) -> tuple[Endpoint, ...]:
    return tuple(value) if isinstance(value, list) else value


def _to_strategy(value: str) -> Strategy:
    if isinstance(value, str) and not isinstance(value, Strategy):
        try:
            return Strategy(value)
        except ValueError:
            names = ", ".join(s.value for s in Strategy)
            raise ValueError(f"strategy: {value!r} is not one of {names}") from None
    return value


def _check_strategy(_: object, attribute: attrs.Attribute[Strategy], value: Strategy) -> None:
    if not isinstance(value, Strategy):
        raise ValueError(f"{attribute.name}: must be a Strategy")


def _check_non_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if finite_number(attribute.name, value) < 0:
        raise ValueError(f"{attribute.name}: must be >= 0 seconds (0: no cooldown)")


def _check_bool(_: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{attribute.name}: must be True or False")


def _check_alpha(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 < finite_number(attribute.name, value) <= 1:
        raise ValueError(f"{attribute.name}: must be in (0, 1]")


@attrs.frozen(repr=False)
class FailoverConfig(Value):
    """The endpoints and the rules. Validated: bad values raise ``ValueError("field: why")``.

    ``window``: seconds a failure counts; ``threshold``: failures within the window that bench
    an endpoint for ``cooldown`` seconds; ``latency_alpha``: EWMA weight of a new sample.
    """

    endpoints: tuple[Endpoint, ...] = attrs.field(
        converter=_to_tuple,
        validator=_check_endpoints,
    )
    strategy: Strategy = attrs.field(
        default=Strategy.PRIORITY,
        converter=_to_strategy,
        validator=_check_strategy,
    )
    window: float = attrs.field(default=60.0, validator=positive_seconds)
    threshold: int = attrs.field(default=5, validator=positive_int)
    cooldown: float = attrs.field(default=30.0, validator=_check_non_negative)
    fallback_to_first: bool = attrs.field(default=False, validator=_check_bool)
    latency_alpha: float = attrs.field(default=0.2, validator=_check_alpha)


class EndpointState(State, frozen=True, kw_only=True):
    """What is known about one endpoint. Hot state: no validators."""

    failures: tuple[float, ...] = ()
    cooling_until: float | None = None
    healthy: bool = True
    in_flight: int = 0
    latency: float | None = None


class FailoverState(State, frozen=True, kw_only=True):
    """One :class:`EndpointState` per configured endpoint, in order; the round-robin / sticky
    cursor; the random source for the random and weighted strategies."""

    endpoints: tuple[EndpointState, ...]
    cursor: int = 0
    rng: Rng = msgspec.field(default_factory=Rng)


def failover_start(config: FailoverConfig, seed: int = 0) -> FailoverState:
    """The initial state: every endpoint healthy and idle; random picks seeded with ``seed``."""
    fresh = EndpointState()
    return FailoverState(endpoints=tuple(fresh for _ in config.endpoints), cursor=0, rng=Rng(seed))
