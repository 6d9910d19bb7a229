"""Where each request goes, and its normal answer (before faults): the router's chat routes,
hf-inference tasks, and the Hub."""

from __future__ import annotations

from types import MappingProxyType

from ._answers import Answer, JsonAnswer, error
from ._chat import chat_answer, resolve_chat_model
from ._embed import EMBED_TASKS, embed_answer
from ._hub import HubIndex
from ._media import media_answer
from ._nlp import nlp_answer
from ._tgi import tgi_answer

__all__ = ["Routes", "Target"]

_OK = b'{"status":"ok"}'
_UNAUTHORIZED = error(401, "Invalid username or password.")
_CHAT_SUFFIX = "/v1/chat/completions"
_HF_MODELS = "/hf-inference/models/"
_HUB_MODELS = "/api/models/"

_GET = ("GET", "HEAD")
_POST = ("POST",)

#: Each provider's own chat route under ``/{provider}`` (WIRE.md, "Chat routes per provider");
#: hf-inference's is ``/models/{repo id}/v1/chat/completions``. Providers not named here
#: (including those of a custom catalog) take ``/v1/chat/completions``.
CHAT_ROUTES = MappingProxyType(
    {
        "fireworks-ai": "/inference/v1/chat/completions",
        "novita": "/v3/openai/chat/completions",
        "groq": "/openai/v1/chat/completions",
        "cohere": "/compatibility/v1/chat/completions",
        "deepinfra": "/v1/openai/chat/completions",
    }
)
#: Providers that serve no chat at all.
NO_CHAT = frozenset({"fal-ai", "replicate", "wavespeed", "black-forest-labs"})
_ALL_CHAT_ROUTES = frozenset({*CHAT_ROUTES.values(), _CHAT_SUFFIX})


class Target:
    """Where a request goes: a kind of handler plus its path arguments."""

    __slots__ = ("kind", "methods", "provider", "repo", "route")

    def __init__(
        self,
        route: str,
        kind: str,
        methods: tuple[str, ...],
        repo: str = "",
        provider: str | None = None,
    ) -> None:
        self.route = route
        self.kind = kind
        self.methods = methods
        self.repo = repo
        self.provider = provider


def chat_route(provider: str) -> str | None:
    """The path of ``provider``'s chat route (None: it serves no chat)."""
    if provider in NO_CHAT:
        return None
    if provider == "hf-inference":
        return "/hf-inference/models/{repo id}" + _CHAT_SUFFIX
    return f"/{provider}{CHAT_ROUTES.get(provider, _CHAT_SUFFIX)}"


def authorized(header: str | None, token: str, *, required: bool = True) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (a missing one passes unless
    ``required``)."""
    if header is None:
        return not required
    scheme, _, sent = header.partition(" ")
    return scheme.lower() == "bearer" and sent.strip() == token


class Routes:
    """The routing table over one model catalog."""

    __slots__ = ("_cards", "_hub")

    def __init__(self, hub: HubIndex) -> None:
        self._hub = hub
        self._cards = hub.cards

    def target(self, path: str) -> Target:
        if path == "/":
            return Target("health", "health", _GET)
        if path == _CHAT_SUFFIX:
            return Target("chat", "chat", _POST)
        if path.startswith(_HF_MODELS):
            rest = path[len(_HF_MODELS) :]
            if rest.endswith(_CHAT_SUFFIX):
                repo = rest[: -len(_CHAT_SUFFIX)]
                return Target("chat", "chat_hf", _POST, repo, "hf-inference")
            if "/pipeline/" in rest:
                repo, _, task = rest.partition("/pipeline/")
                return Target(task or "inference", "task", _POST, repo, task)
            repo = rest.rstrip("/")
            card = self._cards.get(repo)
            tag = card.pipeline_tag if card is not None else "text-generation"
            return Target(tag, "task", _POST, repo, tag)
        if path in ("/api/models", "/api/models/"):
            return Target("hub", "hub_list", _GET)
        if path.startswith(_HUB_MODELS):
            repo = path[len(_HUB_MODELS) :].partition("/revision/")[0].rstrip("/")
            return Target("hub", "hub_model", _GET, repo)
        provider, _, rest = path[1:].partition("/")
        if provider and f"/{rest}" in _ALL_CHAT_ROUTES:
            if path == chat_route(provider):
                return Target("chat", "chat", _POST, "", provider)
            return Target("other", "wrong_chat_route", _POST, "", provider)
        return Target("other", "not_found", ())

    def answer(
        self,
        *,
        method: str,
        path: str,
        query: tuple[tuple[str, str], ...],
        auth: str | None,
        target: Target,
        body: bytes,
        number: int,
        token: str,
        reply_tokens: int,
        stream: bool = True,
        host: str | None = None,
    ) -> Answer:
        """The normal answer to one request (``stream=False``: JSON even when a stream was
        asked for). ``host``: the request's ``Host``, for the absolute URLs the Hub writes."""
        kind = target.kind
        if kind == "not_found":
            return error(404, f"Not Found: {path}")
        if kind == "wrong_chat_route":
            provider = target.provider or ""
            route = chat_route(provider)
            where = f"its chat route is {route}" if route else "it serves no chat"
            return error(404, f"Not Found: {path} (provider {provider}: {where})")
        if method not in target.methods:
            allowed = ", ".join(target.methods)
            return JsonAnswer(405, b'{"error":"Method Not Allowed"}', headers=(("Allow", allowed),))
        if kind == "health":
            return JsonAnswer(200, _OK)
        if kind in ("hub_model", "hub_list"):
            if not authorized(auth, token, required=False):
                return _UNAUTHORIZED
            if kind == "hub_list":
                return self._hub.listing(query, f"http://{host}" if host else None)
            return self._hub.model(target.repo, query)
        if not authorized(auth, token, required=True):
            return _UNAUTHORIZED
        cards = self._cards
        if kind == "chat":
            return chat_answer(
                body,
                models=cards,
                path_model=None,
                path_provider=target.provider,
                reply_id=f"chatcmpl-emu-{number}",
                reply_tokens=reply_tokens,
                allow_stream=stream,
            )
        if kind == "chat_hf":
            card = resolve_chat_model(cards, target.repo, "hf-inference")
            if isinstance(card, JsonAnswer):
                return card
            return chat_answer(
                body,
                models=cards,
                path_model=card,
                path_provider="hf-inference",
                reply_id="",
                reply_tokens=reply_tokens,
                grammar=True,
                allow_stream=stream,
            )
        # kind == "task": POST /hf-inference/models/{repo}[/pipeline/{task}]
        found = cards.get(target.repo)
        if found is None:
            return error(404, f"Model {target.repo} does not exist")
        if found.mapping("hf-inference") is None:
            return error(400, f"Model {target.repo} is not served by provider hf-inference")
        loading = self._hub.cold.loading(target.repo)  # a cold model: 503 until it has warmed
        if loading is not None:
            return loading
        if target.provider == "text-generation" and found.pipeline_tag == "text-generation":
            return tgi_answer(body, reply_tokens=reply_tokens, allow_stream=stream)
        answered = nlp_answer(target.provider, found, body)
        if answered is not None:
            return answered
        media = media_answer(target.provider, target.repo, body)
        if media is not None:
            return media
        if target.provider in EMBED_TASKS:
            return embed_answer(target.provider, found.id, found.tags, found.pipeline_tag, body)
        return error(400, "Task not supported by the emulator")
