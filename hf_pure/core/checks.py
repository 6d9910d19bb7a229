"""attrs validators shared by every configuration value (client config and the reliability
machines' configs). Each raises ``ValueError("<field>: <reason>")``, the shape
``make_config`` and the dynamic settings turn into ``InvalidInput`` / ``ConfigError``."""

from __future__ import annotations

import math
from typing import Any

import attrs


def positive_int(_: object, attribute: attrs.Attribute[Any], value: int) -> None:
    """An int >= 1 (a bool is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name}: must be an integer >= 1")


def positive_seconds(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    """A finite number of seconds > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{attribute.name}: must be a number of seconds")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{attribute.name}: must be a positive, finite number of seconds")


def finite_number(name: str, value: object) -> float:
    """``value`` as a float when it is a finite number; else ``ValueError("<name>: ...")``.
    For validators with their own bounds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: must be a number")
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be finite")
    return float(value)
