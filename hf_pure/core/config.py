"""ClientConfig and Limits: validated, frozen, changed with ``attrs.evolve``.

Constructing one with a bad value raises ``ValueError`` (a programmer error in code);
:func:`make_config` is the data path, returning ``Failure(InvalidInput)`` instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import attrs
from returns.result import Failure, Result, Success

from hf_pure._version import __version__
from hf_pure.core.checks import positive_int, positive_seconds
from hf_pure.core.error_base import InvalidInput
from hf_pure.core.secret import Secret
from hf_pure.core.value import ValueEq

DEFAULT_ROUTER_URL = "https://router.huggingface.co"
DEFAULT_HUB_URL = "https://huggingface.co"
DEFAULT_USER_AGENT = f"hf_pure/{__version__}"


def base_url_problem(url: object) -> str | None:
    """Why ``url`` is not a usable base URL, or None when it is."""
    if not isinstance(url, str):
        return f"must be a string, got {type(url).__name__}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"{url!r} needs a scheme: write it as https://host (or http:// for a local server)"
    if not parts.hostname:
        return f"{url!r} has no host"
    if parts.query or parts.fragment:
        return f"{url!r} must not carry a query or fragment"
    if any(ch.isspace() for ch in url):
        return f"{url!r} contains whitespace"
    return None


def _norm_url(url: str) -> str:
    return url.rstrip("/") if isinstance(url, str) else url


def _norm_router_url(url: str) -> str:
    """The router's base URL without a trailing ``/v1``: that is the OpenAI habit (OpenAI
    clients take ``https://router.huggingface.co/v1``), but hf_pure's paths start at the
    router's root (``/v1/chat/completions``, ``/hf-inference/models/...``)."""
    url = _norm_url(url)
    if isinstance(url, str) and url.endswith("/v1"):
        return url[: -len("/v1")]
    return url


def _check_url(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    problem = base_url_problem(value)
    if problem:
        raise ValueError(f"{attribute.name}: {problem}")


def _check_header_text(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value or not value.isprintable():
        raise ValueError(f"{attribute.name}: must be non-empty printable text without line breaks")


@attrs.frozen(repr=False, eq=False)
class Limits(ValueEq):
    """Input limits checked before anything is sent."""

    max_input_chars: int = attrs.field(default=1_000_000, validator=positive_int)
    max_tokens: int = attrs.field(default=8192, validator=positive_int)
    max_model_id_chars: int = attrs.field(default=200, validator=positive_int)


@attrs.frozen(repr=False, eq=False)
class ClientConfig(ValueEq):
    """Where to send and how long to wait. The token, if any, is a :class:`Secret`.

    ``router_url`` is the router's root; a trailing ``/v1`` (as OpenAI clients are given it,
    ``https://router.huggingface.co/v1``) is accepted and stripped, since every path hf_pure
    sends starts at the root (``/v1/chat/completions``, ``/hf-inference/...``)."""

    router_url: str = attrs.field(
        default=DEFAULT_ROUTER_URL, converter=_norm_router_url, validator=_check_url
    )
    hub_url: str = attrs.field(default=DEFAULT_HUB_URL, converter=_norm_url, validator=_check_url)
    token: Secret | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Secret))
    )
    user_agent: str = attrs.field(default=DEFAULT_USER_AGENT, validator=_check_header_text)
    connect_timeout: float = attrs.field(default=10.0, validator=positive_seconds)
    read_timeout: float = attrs.field(default=60.0, validator=positive_seconds)
    total_timeout: float = attrs.field(default=120.0, validator=positive_seconds)
    max_connections: int = attrs.field(default=100, validator=positive_int)
    limits: Limits = attrs.field(factory=Limits, validator=attrs.validators.instance_of(Limits))

    def base_url(self, base: str) -> str:
        return self.hub_url if base == "hub" else self.router_url


_FIELDS = frozenset(a.name for a in attrs.fields(ClientConfig))


def make_config(**fields: Any) -> Result[ClientConfig, InvalidInput]:
    """Build a ClientConfig from untrusted values; ``token`` may be a str or a Secret."""
    unknown = sorted(set(fields) - _FIELDS)
    if unknown:
        return Failure(InvalidInput(unknown[0], f"not a ClientConfig field ({', '.join(unknown)})"))
    token = fields.get("token")
    if isinstance(token, str):
        parsed = Secret.parse(token)
        if isinstance(parsed, Failure):
            return Failure(parsed.failure())
        fields["token"] = parsed.unwrap()
    try:
        return Success(ClientConfig(**fields))
    except (ValueError, TypeError) as exc:
        field, _, reason = str(exc).partition(": ")
        return Failure(InvalidInput(field or "config", reason or str(exc)))
