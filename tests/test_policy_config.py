"""A policy takes only values of its declared types: ``Policy(...)`` raises TypeError naming
the field, ``update()`` with data is ``Failure(ConfigError)`` naming the dotted path, and a
refused update changes nothing (settings, version, policy, state)."""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.reliability.failover import Endpoint, FailoverConfig
from hf_pure.reliability.settings import settings_start, update
from hf_pure.testing import Emulator

SUB_CONFIGS = {
    "breaker": "BreakerConfig | None",
    "bucket": "BucketConfig | None",
    "cache": "CacheConfig | None",
    "retry": "RetryPolicy",
    "failover": "FailoverConfig | None",
    "health": "HealthConfig",
}

#: Values that are not of the declared type, by declared type (written from the type, not
#: from the validators: a new field with a type missing here fails ``test_every_field``).
WRONG: dict[str, tuple[Any, ...]] = {
    "int": ("3", b"3", [3], {"n": 3}, None, True, 2.5),
    "float": ("3", b"3", [3], {"n": 3}, None, True, 1j),
    "float | None": ("3", b"3", [3], {"n": 3}, True, 1j),
    "bool": ("yes", 1, 0.0, None),
    "BreakerKey": (1, None, "nonsense", [1]),
    "Strategy": (1, None, "nonsense"),
    "tuple[Endpoint, ...]": ("http://a", ("http://a",), None, 5, {"url": "http://a"}),
    **{t: (3, "off", {"x": 1}, [1], True) for t in set(SUB_CONFIGS.values()) if "|" in t},
    **{t: (3, "off", {"x": 1}, [1], True, None) for t in SUB_CONFIGS.values() if "|" not in t},
}

#: A policy with every machine on, so every dotted path can be set.
FULL = hf.Policy(failover=FailoverConfig((Endpoint("http://a"), Endpoint("http://b"))))


def field_paths(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every settable dotted path below ``value`` with its declared type."""
    out = []
    for f in attrs.fields(type(value)):
        if not f.init:
            continue
        out.append((prefix + f.name, str(f.type)))
        inner = getattr(value, f.name)
        if attrs.has(type(inner)):
            out += field_paths(inner, f"{prefix}{f.name}.")
    return out


PATHS = field_paths(FULL)
CASES = [(path, bad) for path, kind in PATHS for bad in WRONG.get(kind, ())]


def test_every_field_has_wrong_values_to_try() -> None:
    untyped = [(path, kind) for path, kind in PATHS if kind not in WRONG]
    assert untyped == []
    assert {path for path, _ in PATHS} >= {"breaker.failure_threshold", "max_wait", *SUB_CONFIGS}


@pytest.mark.parametrize(("path", "bad"), CASES, ids=[f"{p}={b!r}" for p, b in CASES])
def test_a_wrong_type_in_an_update_is_refused_naming_the_field(path: str, bad: Any) -> None:
    settings = settings_start(FULL)
    out = update(settings, {path: bad})
    assert isinstance(out, Failure), out
    error = out.failure()
    assert isinstance(error, hf.ConfigError)
    assert error.field == path
    assert settings.value is FULL and settings.version == 1


@pytest.mark.parametrize("field", sorted(SUB_CONFIGS))
@pytest.mark.parametrize("bad", [3, "off", {"per_second": 1.0}])
def test_policy_construction_with_a_wrong_type_raises_type_error_naming_it(
    field: str, bad: Any
) -> None:
    with pytest.raises(TypeError, match=f"^{field}: must be a {SUB_CONFIGS[field].split()[0]}"):
        hf.Policy(**{field: bad})


def test_the_issue_cases() -> None:
    for change in ({"retry": 3}, {"breaker": "off"}, {"cache": 5}, {"bucket": {"per_second": 1}}):
        out = update(settings_start(hf.Policy()), change)
        assert isinstance(out, Failure)
        [field] = change
        assert out.failure().field == field
    hint = update(settings_start(hf.Policy()), {"bucket": {"per_second": 1}}).failure()
    assert "bucket.<field>" in hint.reason  # says how to do what was meant
    with pytest.raises(TypeError, match=r"^max_wait: must be a number"):
        hf.Policy(max_wait="30")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^max_wait: must be a number of seconds >= 0"):
        hf.Policy(max_wait=-1.0)


def test_right_values_are_still_taken() -> None:
    assert hf.Policy(breaker_key="endpoint").breaker_key is hf.BreakerKey.ENDPOINT
    newer = update(settings_start(FULL), {"breaker": None, "bucket.per_second": 3, "max_wait": 1})
    assert isinstance(newer, Success)
    assert newer.unwrap().value.breaker is None
    assert newer.unwrap().value.bucket == BucketConfig(per_second=3)


@pytest.mark.parametrize("change", [["retry", 3], "retry=3", 5, {3: 1}, {"": 1}])
def test_a_change_that_is_not_a_mapping_of_paths_is_refused(change: Any) -> None:
    out = update(settings_start(hf.Policy()), change)
    assert isinstance(out, Failure)
    assert isinstance(out.failure(), hf.ConfigError)


@pytest.mark.parametrize(
    "change",
    [
        {"retry": 3},
        {"breaker": "off"},
        {"cache": 5},
        {"bucket": {"per_second": 1.0}},
        {"bucket.per_second": 2.0, "bucket.per_hour": "x"},  # all or nothing
        {"breaker_key": "nonsense"},
        {"failover.endpoints": ("http://a",)},
        {"max_wait": math.nan},
    ],
)
async def test_a_refused_update_leaves_the_reliable_runner_exactly_as_it_was(
    emulator: Emulator, change: dict[str, Any]
) -> None:
    config = hf.ClientConfig(router_url=emulator.url, hub_url=emulator.url)
    async with hf.open_runner(config, token=emulator.token) as runner:
        reliable = hf.ReliableRunner(runner, FULL, clock=lambda: 5.0)
        settings, policy, state = reliable.settings, reliable.policy, reliable.snapshot()
        out = reliable.update(change)
        assert isinstance(out, Failure)
        assert isinstance(out.failure(), hf.ConfigError)
        assert reliable.settings is settings
        assert reliable.settings.version == 1
        assert reliable.policy is policy
        assert reliable.snapshot() is state
        # and it still works with the old policy: the next update is version 2
        assert reliable.update({"bucket.per_second": 2.0}).unwrap().version == 2
