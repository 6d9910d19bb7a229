"""Wire-shaped fuzz of the Hub decoders: model info, listings and model status, fed the Hub's
reply shapes with fields replaced by arbitrary JSON, never raise; a 2xx body is read exactly
when the rules (restated here from WIRE.md and tasks/_read.py, not from the decoders) say it
is readable, and a wrong type is a MalformedResponse naming the field's path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.core.codec import loads
from hf_pure.core.errors import ErrorEvent, HfErrorBase
from hf_pure.core.http import raw_reply
from hf_pure.core.request import decode_reply
from hf_pure.tasks.hub import ModelSearch, search_models
from hf_pure.tasks.hub_status import (
    Available,
    Gated,
    Loading,
    ModelNotFound,
    Unavailable,
    status_from_reply,
)
from hf_pure.testing._hub_shapes import HUB_KINDS, hub_bodies, model_infos, model_listings
from hf_pure.testing.strategies import KINDS, encode, json_values, wire_bodies

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STATUSES = st.sampled_from([200, 307, 401, 403, 404, 429, 500, 501, 503]) | st.just(200)
ASKED = "google-bert/bert-base-uncased"
INFO = hf.model_info(ASKED)
SEARCH: ModelSearch = search_models(search="bert")
ANY_BODY = st.sampled_from(HUB_KINDS).flatmap(hub_bodies) | st.sampled_from(KINDS).flatmap(
    wire_bodies
)

# ---------------------------------------------------------------- the rules, written again


def is_text(v: Any) -> bool:
    return v is None or type(v) is str


def is_int(v: Any) -> bool:
    return v is None or (type(v) is int and -(2**63) <= v <= 2**64 - 1)


def is_flag(v: Any) -> bool:
    return v is None or type(v) is bool


def entry_ok(e: Any, *, listed: bool) -> bool:
    if type(e) is not dict:
        return False
    texts = all(is_text(e.get(k)) for k in ("provider", "providerId", "task", "status"))
    return texts and (not listed or type(e.get("provider")) is str)


def mapping_ok(m: Any) -> bool:
    if m is None:
        return True
    if type(m) is dict:
        return all(entry_ok(e, listed=False) for e in m.values())
    if type(m) is list:
        return all(entry_ok(e, listed=True) for e in m)
    return False


def model_ok(o: Any) -> bool:
    """A model object (info or listing item) that the rules say is readable."""
    if type(o) is not dict or type(o.get("id")) is not str:
        return False
    tags = o.get("tags")
    return (
        all(is_text(o.get(k)) for k in ("pipeline_tag", "library_name", "inference"))
        and (tags is None or (type(tags) is list and all(type(t) is str for t in tags)))
        and is_int(o.get("downloads"))
        and is_int(o.get("likes"))
        and is_flag(o.get("private"))
        and (o.get("gated") is None or type(o.get("gated")) in (bool, str))
        and mapping_ok(o.get("inferenceProviderMapping"))
    )


def providers_expected(o: dict[str, Any]) -> list[str]:
    m = o.get("inferenceProviderMapping")
    if type(m) is dict:
        return list(m)
    if type(m) is list:
        return [e["provider"] for e in m]
    return []


def check_failure(out: object) -> None:
    assert isinstance(out, Failure)
    err = out.failure()
    assert isinstance(err, HfErrorBase) and type(err) is not HfErrorBase
    assert isinstance(err.message, str) and err.message


# ---------------------------------------------------------------- model info


@FUZZ
@given(body=hub_bodies("hub_model"), status=STATUSES)
def test_model_info_decoder_reads_exactly_what_the_rules_allow(body: bytes, status: int) -> None:
    out = decode_reply(INFO, raw_reply(status, body))
    assert isinstance(out, Success | Failure)
    if not 200 <= status < 300:
        check_failure(out)
        return
    obj = loads(body)
    is_error = type(obj) is dict and "error" in obj and "id" not in obj
    assert isinstance(out, Success) == (not is_error and model_ok(obj)), body
    if isinstance(out, Failure):
        check_failure(out)
        assert isinstance(out.failure(), hf.MalformedResponse | ErrorEvent)
        return
    info = out.unwrap()
    assert info.id == obj["id"]
    assert info.tags == tuple(obj.get("tags") or ())
    assert [p.provider for p in info.providers] == providers_expected(obj)
    assert info.renamed_from == (None if obj["id"] == ASKED else ASKED)
    assert info.warm == (obj.get("inference") == "warm")
    hash(info)  # a frozen value, hashable whatever the wire held


@FUZZ
@given(body=hub_bodies("hub_listing"), status=STATUSES)
def test_listing_decoder_reads_exactly_what_the_rules_allow(body: bytes, status: int) -> None:
    out = decode_reply(SEARCH, raw_reply(status, body))
    if not 200 <= status < 300:
        check_failure(out)
        return
    obj = loads(body)
    readable = type(obj) is list and all(model_ok(item) for item in obj)
    assert isinstance(out, Success) == readable, body
    if isinstance(out, Failure):
        check_failure(out)
        return
    page = out.unwrap()
    assert [m.id for m in page.models] == [item["id"] for item in obj]
    assert [[p.provider for p in m.providers] for m in page.models] == [
        providers_expected(item) for item in obj
    ]
    assert page.next_url is None


@FUZZ
@given(body=ANY_BODY)
def test_other_shapes_given_to_the_hub_decoders_are_read_by_the_rules(body: bytes) -> None:
    obj = loads(body)
    info = decode_reply(INFO, raw_reply(200, body))
    is_error = type(obj) is dict and "error" in obj and "id" not in obj
    assert isinstance(info, Success) == (not is_error and model_ok(obj))
    page = decode_reply(SEARCH, raw_reply(200, body))
    assert isinstance(page, Success) == (type(obj) is list and all(model_ok(i) for i in obj))


# A wrong JSON type at one known place: the failure names exactly that path.
WRONG = st.sampled_from(
    [
        (("id",), "id"),
        (("tags",), "tags"),
        (("downloads",), "downloads"),
        (("private",), "private"),
        (("gated",), "gated"),
        (("inferenceProviderMapping",), "inferenceProviderMapping"),
    ]
)
NOT_TEXT = st.sampled_from([1, 2.5, True, {"a": 1}, [1]])


@FUZZ
@given(model=model_infos(), where=WRONG, value=NOT_TEXT)
def test_a_wrong_type_is_malformed_naming_the_field(
    model: dict[str, Any], where: tuple[tuple[str, ...], str], value: Any
) -> None:
    (key,), path = where
    takes: dict[str, Callable[[Any], bool]] = {  # what each field legitimately takes
        "tags": lambda v: type(v) is list and all(type(t) is str for t in v),
        "downloads": lambda v: type(v) is int,
        "private": lambda v: type(v) is bool,
        "gated": lambda v: type(v) in (bool, str),
        "inferenceProviderMapping": mapping_ok,
        "id": lambda v: type(v) is str,
    }
    if takes[key](value):
        return
    body = encode({**model, key: value})
    out = decode_reply(INFO, raw_reply(200, body))
    assert isinstance(out, Failure)
    err = out.failure()
    assert isinstance(err, hf.MalformedResponse)
    assert err.reason.startswith(f"{path}"), err.reason


@FUZZ
@given(
    listing=model_listings().filter(bool),
    value=NOT_TEXT | st.just(None) | st.just("missing"),
    index=st.integers(0, 3),
)
def test_a_wrong_or_missing_provider_name_in_a_listing_names_its_path(
    listing: list[dict[str, Any]], value: Any, index: int
) -> None:
    i = index % len(listing)
    entry = {"providerId": "x"} if value == "missing" else {"provider": value, "providerId": "x"}
    listing[i] = {**listing[i], "inferenceProviderMapping": [entry]}
    out = decode_reply(SEARCH, raw_reply(200, encode(listing)))
    err = out.failure()
    assert isinstance(err, hf.MalformedResponse)
    assert err.reason.startswith(f"[{i}].inferenceProviderMapping[0].provider"), err.reason


# ---------------------------------------------------------------- status


@FUZZ
@given(body=hub_bodies("hub_loading") | ANY_BODY | st.binary(max_size=40), status=STATUSES)
def test_status_from_any_reply_is_a_status_and_never_raises(body: bytes, status: int) -> None:
    for hub in (False, True):
        seen = status_from_reply("m/x", raw_reply(status, body), hub=hub)
        assert isinstance(seen, Available | Loading | ModelNotFound | Gated | Unavailable)
        assert isinstance(seen.message, str) and seen.message


def eta_of(body: bytes) -> float | None:
    """The rule: a 503 is Loading when its JSON object has a finite number >= 0."""
    try:
        obj = loads(body)
    except ValueError:
        return None
    value = obj.get("estimated_time") if type(obj) is dict else None
    if type(value) is int and 0 <= value <= 2**1000:
        return float(value)
    if type(value) is float and value - value == 0 and value >= 0:
        return value
    return None


@FUZZ
@given(body=hub_bodies("hub_loading") | json_values().map(encode))
def test_a_503_is_loading_exactly_when_it_carries_an_estimate(body: bytes) -> None:
    seen = status_from_reply("m/x", raw_reply(503, body))
    eta = eta_of(body)
    if eta is None:
        assert isinstance(seen, Unavailable), seen
        assert (seen.status, seen.transient) == (503, True)
    else:
        assert seen == Loading(model="m/x", estimated_time=eta)
