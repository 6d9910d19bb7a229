"""Dynamic configuration: validated updates, versions, a bounded history, rollback.

``Settings[T]`` wraps a configuration value ``T`` (any frozen attrs value whose classes
validate themselves at construction, such as :class:`~hf_pure.reliability.policy.Policy`).

    settings = settings_start(Policy())
    match update(settings, {"breaker.failure_threshold": 3, "bucket.per_second": 20.0}):
        case Success(newer): ...           # version + 1, the old value kept in history
        case Failure(ConfigError(field=f, reason=r)): ...   # nothing changed, and why

Transitions::

    update(ok)       v, value c, history h   ->  v+1, value c', history (c, *h)[:limit]
    update(refused)  any                     ->  unchanged; Failure(ConfigError)
    rollback         v, history (p, *h)      ->  v+1, value p, history h
    rollback         history ()              ->  Failure(ConfigError): nothing to go back to

Versions only grow (a rollback is a new version whose value is an old one), so "which
configuration was this request served under" always has one answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.errors import ConfigError
from hf_pure.core.value import Value

T = TypeVar("T")

DEFAULT_HISTORY = 10


@attrs.frozen(repr=False)
class Settings(Value, Generic[T]):
    """A configuration value with its version and the values it replaced (newest first)."""

    value: T
    version: int = 1
    history: tuple[T, ...] = ()
    limit: int = DEFAULT_HISTORY


def settings_start(value: T, limit: int = DEFAULT_HISTORY) -> Settings[T]:
    if limit < 0:
        raise ValueError(f"limit: must be >= 0, got {limit}")
    return Settings(value, 1, (), limit)


def _set_path(value: Any, path: tuple[str, ...], new: Any, shown: str) -> Any:
    """``value`` with the attribute at ``path`` replaced, rebuilding (and so re-validating)
    every value on the way. Raises ConfigError-worthy exceptions for the caller to map."""
    name = path[0]
    if not attrs.has(type(value)):
        raise LookupError(f"{shown}: {type(value).__name__} has no settings below it")
    fields = {f.name: f for f in attrs.fields(type(value))}
    if name not in fields or not fields[name].init:
        known = ", ".join(sorted(fields))
        raise LookupError(f"{shown}: no such setting (known here: {known})")
    if len(path) > 1:
        inner = getattr(value, name)
        if inner is None:
            raise LookupError(f"{shown}: {name} is switched off; set it as a whole first")
        new = _set_path(inner, path[1:], new, shown)
    return attrs.evolve(value, **{name: new})


def update(settings: Settings[T], change: Mapping[str, Any]) -> Result[Settings[T], ConfigError]:
    """Apply ``change`` (dotted paths to new values) as one new version, or change nothing.

    Every value is rebuilt through its class, so its validators decide; the first problem
    is reported with the dotted path of the setting that caused it.
    """
    if not isinstance(change, Mapping):
        kind = type(change).__name__
        return Failure(ConfigError("(change)", f"must be a mapping of dotted paths, got {kind}"))
    if not change:
        return Failure(ConfigError("(change)", "the change is empty"))
    value: Any = settings.value
    for key, new in change.items():
        if not isinstance(key, str):
            kind = type(key).__name__
            return Failure(ConfigError(repr(key), f"must be a dotted path (a str), got {kind}"))
        path = tuple(key.split("."))
        if not all(path):
            return Failure(ConfigError(key, "is not a dotted path to a setting"))
        try:
            value = _set_path(value, path, new, key)
        except LookupError as exc:
            _, _, reason = str(exc).partition(": ")
            return Failure(ConfigError(key, reason))
        except (ValueError, TypeError) as exc:
            reason = str(exc)
            field, sep, rest = reason.partition(": ")
            return Failure(ConfigError(key, rest if sep and field == path[-1] else reason))
    return Success(_advance(settings, value))


def replace(settings: Settings[T], value: T) -> Settings[T]:
    """A new version holding ``value`` (already a valid value: its class validated it)."""
    return _advance(settings, value)


def rollback(settings: Settings[T]) -> Result[Settings[T], ConfigError]:
    """Return to the value before the current one, as a new version."""
    if not settings.history:
        return Failure(ConfigError("(history)", "there is no earlier configuration to go back to"))
    previous, *rest = settings.history
    return Success(Settings(previous, settings.version + 1, tuple(rest), settings.limit))


def _advance(settings: Settings[T], value: T) -> Settings[T]:
    history = (settings.value, *settings.history)[: settings.limit]
    return Settings(value, settings.version + 1, history, settings.limit)
