"""State values are built by keyword: a positional call would silently bind a value to the
wrong field when a field is added or reordered, so every State subclass refuses one."""

from __future__ import annotations

import importlib
import pkgutil

import msgspec
import pytest

import hf_pure
from hf_pure.core.state import State


def _subclasses(cls: type[State]) -> list[type[State]]:
    found: list[type[State]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _all_states() -> list[type[State]]:
    for info in pkgutil.walk_packages(hf_pure.__path__, "hf_pure."):
        if info.name.startswith(("hf_pure.core", "hf_pure.tasks", "hf_pure.reliability")):
            importlib.import_module(info.name)
    return [c for c in _subclasses(State) if c.__module__.startswith("hf_pure.")]


STATES = _all_states()


def test_the_walk_finds_the_reliability_states() -> None:
    names = {c.__name__ for c in STATES}
    assert names >= {"ReliabilityState", "Send", "BreakerState", "CacheState", "Take"}


@pytest.mark.parametrize("cls", STATES, ids=lambda c: c.__name__)
def test_a_state_built_positionally_is_a_type_error(cls: type[State]) -> None:
    fields = msgspec.structs.fields(cls)
    assert fields
    with pytest.raises(TypeError):
        cls(*(None for _ in fields))
    # by keyword the same values are accepted (msgspec does not check types on __init__)
    built = cls(**{f.name: None for f in fields})
    assert all(getattr(built, f.name) is None for f in fields)
