"""The Hub in the shell: listings followed page by page, model status, and ``wait_for_model``.

    async for info in hf.iter_models(runner, hf.search_models(author="google", limit=50)):
        print(info.id, info.live_providers)

    status = await hf.model_status(runner, "meta-llama/Llama-3.1-8B-Instruct")
    result = await hf.wait_for_model(runner, request, plan=hf.QUICK_POLL)

Pages are requested lazily: one request when the consumer asks for a page (or a model) that
has not arrived yet, none after ``limit`` models, none to a ``Link`` on another host (that
ends the iteration with :attr:`ModelPages.error` saying so). Iteration never raises for the
network or the server: it ends, and ``error`` says why (None when the listing ended).

``runner`` is a :class:`~hf_pure.shell.runner.Runner` or anything with the same ``run``
(a :class:`~hf_pure.shell.reliable.ReliableRunner`, whose cache then serves repeated pages).
``wait_for_model`` applies the pure plan :func:`~hf_pure.tasks.hub_status.wait_step`; its
``clock`` and ``sleep`` are parameters, and cancelling the task that awaits it cancels the wait
at once (the sleep is an ordinary await).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import msgspec
from returns.result import Failure, Result

from hf_pure.core.config import DEFAULT_HUB_URL, ClientConfig
from hf_pure.core.errors import HfError, MalformedResponse, is_retryable
from hf_pure.core.request import Request
from hf_pure.shell.runner import Runner
from hf_pure.tasks.hub import ModelInfo, ModelPage, ModelSearch, PageCursor, model_info, next_search
from hf_pure.tasks.hub_status import (
    STEADY_POLL,
    ModelStatus,
    PollAgain,
    Unavailable,
    WaitPlan,
    status_from_reply,
    status_from_result,
    wait_start,
    wait_step,
)

T = TypeVar("T")


class Sends(Protocol):
    """What the iterators and ``wait_for_model`` need: a runner's ``run``."""

    def run(self, request: Request[T]) -> Awaitable[Result[T, HfError]]: ...


def _config_of(runner: object) -> ClientConfig | None:
    config = getattr(runner, "config", None)
    if isinstance(config, ClientConfig):
        return config
    inner = getattr(runner, "runner", None)  # a ReliableRunner wraps a Runner
    config = getattr(inner, "config", None)
    return config if isinstance(config, ClientConfig) else None


def _hub_url(runner: object, given: str | None) -> str:
    if given is not None:
        return given.rstrip("/")
    config = _config_of(runner)
    return config.hub_url if config is not None else DEFAULT_HUB_URL


# --------------------------------------------------------------------------- listings


class ModelPages:
    """The pages of a listing, requested one at a time as they are asked for.

    ``error`` is None while all is well and after the last page; otherwise the error that
    ended the iteration. ``requests`` counts the pages requested. The page that reaches
    ``search.limit`` is cut to it, and no page is requested after it."""

    __slots__ = ("_hub_url", "_left", "_next", "_runner", "_seen", "error", "requests")

    def __init__(self, runner: Sends, search: ModelSearch, *, hub_url: str | None = None) -> None:
        if not isinstance(search, ModelSearch):
            raise TypeError(f"model_pages(): search must be hf.search_models(...), got {search!r}")
        self._runner = runner
        self._next: ModelSearch | None = search
        self._left = search.limit if type(search.limit) is int else None
        self._hub_url = _hub_url(runner, hub_url)
        self._seen: set[PageCursor | None] = {search.cursor}
        self.error: HfError | None = None
        self.requests = 0

    def __aiter__(self) -> ModelPages:
        return self

    async def __anext__(self) -> ModelPage:
        search = self._next
        if search is None or self._left == 0:
            raise StopAsyncIteration
        self._next = None  # until this page says where the next one is
        self.requests += 1
        result = await self._runner.run(search)
        if isinstance(result, Failure):
            self.error = result.failure()
            raise StopAsyncIteration
        page = result.unwrap()
        if self._left is not None:
            if len(page.models) >= self._left:
                page = msgspec.structs.replace(page, models=page.models[: self._left])
            self._left -= len(page.models)
            if self._left == 0:
                return page
        following = next_search(search, page, self._hub_url)
        if isinstance(following, ModelSearch):
            if following.cursor in self._seen:
                self.error = MalformedResponse(
                    200,
                    f"the listing's next-page Link leads back to a page already read: "
                    f"{page.next_url}",
                )
            else:
                self._seen.add(following.cursor)
                self._next = following
        elif following is not None:
            self.error = following
        return page

    def models(self) -> ModelIterator:
        """The models of these pages, one by one."""
        return ModelIterator(self)


class ModelIterator:
    """The models of a listing one by one; the next page is requested when the models of the
    last one have been handed out. ``error`` and ``requests`` are the pages'."""

    __slots__ = ("_buffer", "_pages", "_pos")

    def __init__(self, pages: ModelPages) -> None:
        self._pages = pages
        self._buffer: tuple[ModelInfo, ...] = ()
        self._pos = 0

    @property
    def error(self) -> HfError | None:
        return self._pages.error

    @property
    def requests(self) -> int:
        return self._pages.requests

    def __aiter__(self) -> ModelIterator:
        return self

    async def __anext__(self) -> ModelInfo:
        while self._pos >= len(self._buffer):
            page = await self._pages.__anext__()  # StopAsyncIteration ends us too
            self._buffer, self._pos = page.models, 0
        info = self._buffer[self._pos]
        self._pos += 1
        return info


def model_pages(runner: Sends, search: ModelSearch, *, hub_url: str | None = None) -> ModelPages:
    """The pages of ``search``, lazily (``hub_url``: the Hub the links must stay on; by
    default the runner's)."""
    return ModelPages(runner, search, hub_url=hub_url)


def iter_models(runner: Sends, search: ModelSearch, *, hub_url: str | None = None) -> ModelIterator:
    """The models of ``search`` one by one, pages requested lazily, at most ``search.limit``."""
    return ModelPages(runner, search, hub_url=hub_url).models()


# --------------------------------------------------------------------------- status


def _scrubbed(status: ModelStatus, secret: str | None) -> ModelStatus:
    """``status`` with the token masked in its texts (a server may echo a header)."""
    if not secret:
        return status
    changes = {
        name: value.replace(secret, "********")
        for name in status.__struct_fields__
        if isinstance(value := getattr(status, name), str) and secret in value
    }
    return msgspec.structs.replace(status, **changes) if changes else status


async def model_status(runner: Runner, model: str) -> ModelStatus:
    """The Hub's view of ``model``: Available (warm, or a live provider), ModelNotFound,
    Gated, or Unavailable with the reason. Never raises for the network or the server."""
    request = model_info(model)
    problem = request.check(runner.config.limits)
    if problem is not None:
        return Unavailable(model=str(model), reason=problem.message)
    sent = await runner.send(request.to_call())
    if isinstance(sent, Failure):
        error = sent.failure()
        return Unavailable(model=model, reason=error.message, transient=is_retryable(error))
    token = runner.config.token
    return _scrubbed(
        status_from_reply(model, sent.unwrap(), hub=True), token.reveal() if token else None
    )


async def wait_for_model(
    runner: Sends,
    request: Request[T],
    *,
    plan: WaitPlan = STEADY_POLL,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    on_status: Callable[[ModelStatus], object] | None = None,
) -> Result[T, HfError]:
    """Send ``request`` until its model answers, waiting by ``plan`` while it loads
    (2/5/10 s presets: ``QUICK_POLL``, ``STEADY_POLL``, ``PATIENT_POLL``; a longer
    ``estimated_time`` from the server is honoured). Returns the request's result: the answer,
    or the error that ended the wait (the last ``ModelLoading`` when the deadline passed).
    ``on_status`` sees every status observed."""
    if not isinstance(plan, WaitPlan):
        raise TypeError(f"wait_for_model(): plan must be a WaitPlan, got {plan!r}")
    model = str(getattr(request, "model", "") or "")
    state = wait_start(clock())
    while True:
        result = await runner.run(request)
        observed = status_from_result(model, result)
        if on_status is not None:
            on_status(observed)
        state, decision = wait_step(plan, state, observed, clock())
        if not isinstance(decision, PollAgain):
            return result  # ModelReady: the answer; StopWaiting: the error that ended the wait
        await sleep(decision.after)


__all__ = [
    "ModelIterator",
    "ModelPages",
    "Sends",
    "iter_models",
    "model_pages",
    "model_status",
    "wait_for_model",
]
