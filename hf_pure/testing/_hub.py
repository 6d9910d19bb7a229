"""The Hub model API (``/api/models`` and ``/api/models/{repo id}``), emulated.

As the real Hub (WIRE.md): ``expand[]=`` (or ``expand=``) answers only the fields named plus
``_id`` and ``id``; ``inferenceProviderMapping`` is a dict ``{provider: {...}}`` on model info
and a list ``[{"provider", ...}]`` on listings; a renamed model's old id answers 307 with the
new location (query kept); a listing is paged with ``Link: <absolute url>; rel="next"`` (page
size ``limit``, 1000 by default, an opaque ``cursor`` in the next URL); ``inference`` is
``"warm"`` for a served model, and for a cold one only once it has warmed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from urllib.parse import quote, urlencode

from . import _json as orjson  # msgspec underneath
from ._answers import JsonAnswer, error
from ._catalog import ModelCard
from ._cold import ColdStarts

__all__ = ["HubIndex"]

Query = tuple[tuple[str, str], ...]

_SORT_KEYS = ("downloads", "likes", "trendingScore", "createdAt", "lastModified", "id")
_LIST_FIELDS = (
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
)
_MAX_LIMIT = 1000
_DEFAULT_PAGE = 1000


def _values(query: Query, *names: str) -> list[str]:
    """All values of the parameters ``names``, comma-separated values split."""
    out: list[str] = []
    for key, value in query:
        if key in names:
            out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _first(query: Query, name: str) -> str | None:
    for key, value in query:
        if key == name:
            return value
    return None


def _info(card: ModelCard) -> dict[str, object]:
    """Everything the emulated Hub knows about a model (expandable fields included)."""
    info: dict[str, object] = {
        "_id": card.sha[:24],
        "id": card.id,
        "modelId": card.id,
        "author": card.author,
        "sha": card.sha,
        "lastModified": card.last_modified,
        "createdAt": card.created_at,
        "private": card.private,
        "gated": card.gated,
        "disabled": False,
        "downloads": card.downloads,
        "likes": card.likes,
        "trendingScore": card.likes // 100,
        "library_name": card.library_name,
        "tags": list(card.tags),
        "pipeline_tag": card.pipeline_tag,
        "siblings": [{"rfilename": "README.md"}, {"rfilename": "config.json"}],
        "spaces": [],
    }
    return info


def _expandable(card: ModelCard) -> dict[str, object]:
    """Fields given only on request (``expand[]=...``); ``inference`` is added per call."""
    return {
        "inferenceProviderMapping": {
            p.provider: {"providerId": p.provider_id, "status": p.status, "task": p.task}
            for p in card.providers
        },
    }


def _listed_mapping(card: ModelCard) -> list[dict[str, object]]:
    """The provider mapping as listings give it: a list naming each provider."""
    return [
        {"provider": p.provider, "providerId": p.provider_id, "status": p.status, "task": p.task}
        for p in card.providers
    ]


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"offset": offset})).decode().rstrip("=")


def _offset(cursor: str) -> int | None:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return None
    value = data.get("offset") if isinstance(data, dict) else None
    return value if type(value) is int and value >= 0 else None


class HubIndex:
    """Precomputed Hub answers for a catalog."""

    def __init__(self, models: Sequence[ModelCard]) -> None:
        self.cards = {card.id: card for card in models}
        self.order = list(models)
        self.renamed = {old: card.id for card in models for old in card.former_ids}
        self.cold = ColdStarts(models)
        self._info = {card.id: _info(card) for card in models}
        self._all = {card.id: {**self._info[card.id], **_expandable(card)} for card in models}
        self._info_bytes = {card_id: orjson.dumps(info) for card_id, info in self._info.items()}
        self._list_item = {
            card.id: {k: self._info[card.id][k] for k in _LIST_FIELDS} for card in models
        }
        self._allowed = sorted(
            {"inference", "inferenceProviderMapping"}
            | {k for k in next(iter(self._info.values()), {}) if k not in ("_id", "id")}
        )

    def inference(self, card_id: str) -> str | None:
        """``"warm"`` when served now (a cold model only once warmed), else None."""
        card = self.cards[card_id]
        return card.inference if self.cold.warm(card_id) else None

    def _expanded(self, card_id: str, expand: list[str], *, listed: bool) -> dict[str, object]:
        source = self._all[card_id]
        out: dict[str, object] = {"_id": source["_id"], "id": source["id"]}
        for key in expand:
            if key == "inference":
                state = self.inference(card_id)
                if state is not None:
                    out[key] = state
            elif key == "inferenceProviderMapping" and listed:
                out[key] = _listed_mapping(self.cards[card_id])
            elif key in source:
                out[key] = source[key]
        return out

    def _bad_expand(self, expand: list[str]) -> JsonAnswer | None:
        for i, key in enumerate(expand):
            if key not in self._allowed:
                allowed = ", ".join(self._allowed)
                return error(400, f'"expand[{i}]" must be one of [{allowed}]')
        return None

    def model(self, repo: str, query: Query) -> JsonAnswer:
        if repo not in self.cards:
            new = self.renamed.get(repo)
            if new is not None:
                return _redirect(f"/api/models/{quote(new, safe='/')}", query)
            return error(404, f"Model {repo} does not exist")
        expand = _values(query, "expand[]", "expand")
        if not expand:
            return JsonAnswer(200, self._info_bytes[repo])
        bad = self._bad_expand(expand)
        if bad is not None:
            return bad
        return JsonAnswer(200, orjson.dumps(self._expanded(repo, expand, listed=False)))

    def listing(self, query: Query, base_url: str | None = None) -> JsonAnswer:
        """One page of the listing; ``base_url`` (the server's own, from the request's host)
        makes the ``Link`` to the next page absolute, as the Hub's is."""
        cards = self.order
        search = (_first(query, "search") or "").lower()
        if search:
            cards = [c for c in cards if search in c.id.lower()]
        author = _first(query, "author")
        if author:
            cards = [c for c in cards if c.author == author]
        tag = _first(query, "pipeline_tag")
        if tag:
            cards = [c for c in cards if c.pipeline_tag == tag]
        for wanted in _values(query, "filter"):
            cards = [
                c for c in cards if wanted in c.tags or wanted in (c.pipeline_tag, c.library_name)
            ]
        providers = _values(query, "inference_provider")
        if providers:
            if "all" in providers:
                cards = [c for c in cards if c.providers]
            else:
                cards = [
                    c
                    for c in cards
                    if any(p.provider in providers and p.status == "live" for p in c.providers)
                ]
        sort = _first(query, "sort")
        if sort:
            if sort not in _SORT_KEYS:
                return error(400, f'"sort" must be one of [{", ".join(_SORT_KEYS)}]')
            ascending = _first(query, "direction") == "1"

            def key(card: ModelCard) -> tuple[int, str]:
                value = self._info[card.id][sort]
                return (value, "") if isinstance(value, int) else (0, str(value))

            cards = sorted(cards, key=key, reverse=not ascending)
        size = _DEFAULT_PAGE
        limit_text = _first(query, "limit")
        if limit_text:
            try:
                size = int(limit_text)
            except ValueError:
                size = 0
            if not 1 <= size <= _MAX_LIMIT:
                return error(400, f'"limit" must be an integer in [1, {_MAX_LIMIT}]')
        start = 0
        cursor = _first(query, "cursor")
        if cursor is not None:
            found = _offset(cursor)
            if found is None:
                return error(400, "Invalid cursor")
            start = found
        page, more = cards[start : start + size], start + size < len(cards)
        expand = _values(query, "expand[]", "expand")
        if expand:
            bad = self._bad_expand(expand)
            if bad is not None:
                return bad
            items = [self._expanded(c.id, expand, listed=True) for c in page]
        elif _first(query, "full") in ("true", "1", "True"):
            items = [self._info[c.id] for c in page]
        else:
            items = [self._list_item[c.id] for c in page]
        headers: tuple[tuple[str, str], ...] = ()
        if more:
            rest = [(k, v) for k, v in query if k != "cursor"]
            params = urlencode([*rest, ("cursor", _cursor(start + size))])
            target = f"{base_url or ''}/api/models?{params}"
            headers = (("Link", f'<{target}>; rel="next"'),)
        return JsonAnswer(200, orjson.dumps(items), headers=headers)


def _redirect(location: str, query: Query) -> JsonAnswer:
    """A 307 to ``location`` with the request's query kept, as the Hub answers a renamed id."""
    if query:
        location = f"{location}?{urlencode(query)}"
    body = f"Temporary Redirect. Redirecting to {location}".encode()
    return JsonAnswer(307, body, "text/plain; charset=utf-8", headers=(("Location", location),))
