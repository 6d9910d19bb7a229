"""Secret, ClientConfig and HttpCall: small values with sharp edges."""

from __future__ import annotations

import json
import pickle

import attrs
import pytest
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.core.http import HttpCall, repo_path

TOKEN = "hf_abcdefghijklmnopqrstuvwxyz123456"


def test_secret_never_shows() -> None:
    s = hf.Secret(TOKEN)
    shown = [repr(s), str(s), f"{s}", f"{s!r}", f"{s:>50}", json.dumps({"t": s}, default=str)]
    assert all(TOKEN not in text for text in shown)
    assert s.reveal() == TOKEN
    with pytest.raises(TypeError):
        pickle.dumps(s)
    with pytest.raises(AttributeError):
        s._value = "x"


def test_secret_equality_and_hash() -> None:
    assert hf.Secret(TOKEN) == hf.Secret(TOKEN)
    assert hf.Secret(TOKEN) != hf.Secret(TOKEN + "x")
    assert len({hf.Secret(TOKEN), hf.Secret(TOKEN)}) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("hf_abc\nX-Evil: 1", "line break"),
        ("hf abc", "whitespace"),
        ("hf_\u00e9t\u00e9", "non-ASCII"),
        ("hf_\x00abc", "control"),
    ],
)
def test_secret_parse_refuses_bad_tokens_without_showing_them(raw: str, reason: str) -> None:
    out = hf.Secret.parse(raw)
    assert isinstance(out, Failure)
    err = out.failure()
    assert reason in err.reason
    if raw.strip():
        assert raw.strip() not in repr(err) and raw.strip() not in str(err)


def test_secret_parse_strips_surrounding_whitespace() -> None:
    assert hf.Secret.parse(f"  {TOKEN}\n") == Success(hf.Secret(TOKEN))


def test_config_repr_hides_the_token() -> None:
    config = hf.ClientConfig(token=hf.Secret(TOKEN))
    assert TOKEN not in repr(config)
    assert TOKEN not in str(attrs.asdict(config))


def test_config_defaults_and_trailing_slash() -> None:
    config = hf.ClientConfig(router_url="http://127.0.0.1:9/")
    assert config.router_url == "http://127.0.0.1:9"
    assert hf.ClientConfig().router_url == "https://router.huggingface.co"
    assert hf.ClientConfig().hub_url == "https://huggingface.co"
    assert hf.ClientConfig().user_agent == f"hf_pure/{hf.__version__}"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"router_url": "router.huggingface.co"}, "router_url"),
        ({"hub_url": "ftp://x"}, "hub_url"),
        ({"router_url": "https://"}, "router_url"),
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"total_timeout": float("nan")}, "total_timeout"),
        ({"user_agent": "a\nb"}, "user_agent"),
        ({"token": "hf_a\nb"}, "token"),
        ({"max_connections": 0}, "max_connections"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_make_config_reports_bad_values_as_failures(fields: dict[str, object], field: str) -> None:
    out = hf.make_config(**fields)
    assert isinstance(out, Failure)
    assert out.failure().field == field
    with pytest.raises((ValueError, TypeError)):
        hf.ClientConfig(**fields)  # type: ignore[arg-type]


def test_scheme_error_says_how_to_fix_it() -> None:
    err = hf.make_config(router_url="router.huggingface.co").failure()
    assert "https://" in err.reason


def test_make_config_accepts_a_string_token() -> None:
    config = hf.make_config(token=TOKEN).unwrap()
    assert config.token == hf.Secret(TOKEN)


def test_http_call_url_and_repo_path() -> None:
    call = HttpCall("GET", "/api/models", base="hub", query=(("search", "llama 3"), ("limit", "2")))
    assert call.url("https://huggingface.co") == (
        "https://huggingface.co/api/models?search=llama+3&limit=2"
    )
    assert repo_path("org/model v2") == "org/model%20v2"


# ---------------------------------------------------------------- evolve: one helper, both kinds


def test_evolve_changes_an_attrs_value_running_its_converters_and_validators() -> None:
    config = hf.ClientConfig(router_url="http://127.0.0.1:9")
    moved = hf.evolve(config, router_url="http://127.0.0.1:8/")
    assert moved.router_url == "http://127.0.0.1:8"  # the converter ran again
    assert config.router_url == "http://127.0.0.1:9"  # the original is untouched
    with pytest.raises(ValueError, match="router_url"):
        hf.evolve(config, router_url="router.huggingface.co")  # the validator ran again
    request = hf.chat("a/b", ["hi"])
    assert hf.evolve(request, messages=["bye"]).messages == (hf.user("bye"),)


def test_evolve_changes_a_struct_reply() -> None:
    answer = hf.ChatCompletion(id="c", model="m", created=1, choices=(), usage=hf.Usage(1, 2, 3))
    changed = hf.evolve(answer, id="d", usage=hf.evolve(answer.usage, total_tokens=9))
    assert (changed.id, changed.model, changed.usage) == ("d", "m", hf.Usage(1, 2, 9))
    assert type(changed) is hf.ChatCompletion
    assert answer.id == "c" and answer.usage == hf.Usage(1, 2, 3)
    assert hf.evolve(answer) == answer


def test_evolve_names_a_wrong_field() -> None:
    answer = hf.ChatCompletion(id="c", model="m", created=1, choices=())
    with pytest.raises(TypeError, match=r"ChatCompletion has no field 'idd' \(its fields: id, "):
        hf.evolve(answer, idd="x")
    with pytest.raises(TypeError, match=r"ChatCompletion\.text is read-only"):
        hf.evolve(answer, text="x")
    with pytest.raises(TypeError, match=r"Limits has no field 'tokens' \(its fields: "):
        hf.evolve(hf.Limits(), tokens=5)
    with pytest.raises(TypeError, match="expected an hf_pure value"):
        hf.evolve({"a": 1}, a=2)
    with pytest.raises(TypeError, match="expected an hf_pure value"):
        hf.evolve(5)
