"""Running a batch plan: the parts of a large request sent with bounded concurrency, through
any runner (``Runner`` or ``ReliableRunner``), and joined back in input order.

    async with hf.open_runner() as runner:
        request = hf.feature_extraction(MODEL, texts)            # 1000 texts, say
        match await hf.embed_all(runner, request, batch_size=32, concurrency=4):
            case Success(embeddings): ...                          # 1000 vectors, in order
            case Failure(hf.BatchFailed(failed=parts)): ...        # each with its indices

The plan and the join are pure (:mod:`hf_pure.tasks.batching`); this module only sends. The
whole request is checked once before anything is sent, so an invalid input is reported with
its index in the whole request (``inputs[40]``), not in its part. With a ``ReliableRunner``
each part goes through its policy (cache, rate limit, breaker, retries), so a batch embedded
twice is served from the cache the second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Protocol, TypeVar, cast

from returns.result import Failure, Result

from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError
from hf_pure.core.request import Request
from hf_pure.shell.reliable import ReliableRunner
from hf_pure.shell.runner import Runner
from hf_pure.tasks.batching import BatchFailed, BatchPart, FailedPart, join_parts, plan_batches
from hf_pure.tasks.embeddings_reply import EmbeddingReply, embedding_shape, join_embeddings
from hf_pure.tasks.inference import TaskRequest

T = TypeVar("T")
E = TypeVar("E", bound=EmbeddingReply)


class Runs(Protocol):
    """Anything that runs a request to a Result: ``Runner``, ``ReliableRunner``, a test's."""

    def run(self, request: Request[T]) -> Awaitable[Result[T, HfError]]: ...


def _limits(runner: Runs) -> Limits:
    if isinstance(runner, Runner):
        return runner.config.limits
    if isinstance(runner, ReliableRunner):
        return runner.runner.config.limits
    return Limits()


async def run_parts(
    runner: Runs, parts: Sequence[BatchPart[T]], concurrency: int
) -> list[Result[T, HfError]]:
    """Each part's result, in the parts' order, with at most ``concurrency`` in flight.

    ``concurrency`` workers take the next part as each finishes (no task per part). A bug
    below (an exception) cancels the other workers and propagates; cancellation does too.
    """
    if type(concurrency) is not int:
        raise TypeError(f"concurrency must be an int, got {concurrency!r}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    results: list[Result[T, HfError] | None] = [None] * len(parts)
    todo = iter(range(len(parts)))  # shared: each worker takes the next index (one loop)

    async def worker() -> None:
        for i in todo:
            results[i] = await runner.run(parts[i].request)

    workers = min(concurrency, len(parts))
    if workers <= 1:
        await worker()
    else:
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
    return cast("list[Result[T, HfError]]", results)


async def run_batched(
    runner: Runs,
    request: TaskRequest[T],
    *,
    join: Callable[[Sequence[T]], T],
    key: Callable[[T], Hashable] = lambda value: None,
    batch_size: int = 32,
    concurrency: int = 4,
) -> Result[T, BatchFailed[T]]:
    """``request`` split into parts of at most ``batch_size`` inputs, sent ``concurrency`` at a
    time, the values joined in input order (``join``, after ``key`` says they fit), or the
    failed parts with their indices."""
    parts = plan_batches(request, batch_size)
    problem = request.check(_limits(runner))
    if problem is not None:  # reported once, with its index in the whole request
        total = parts[-1].stop
        failed = (FailedPart(start=0, stop=total, error=problem),)
        return Failure(BatchFailed(failed=failed, done=(), total=total))
    results = await run_parts(runner, parts, concurrency)
    return join_parts(parts, results, join, key)


async def embed_all(
    runner: Runs,
    request: TaskRequest[E],
    *,
    batch_size: int = 32,
    concurrency: int = 4,
) -> Result[E, BatchFailed[E]]:
    """Embed every input of a ``hf.feature_extraction`` request, ``batch_size`` texts per call
    and ``concurrency`` calls at a time: ``Success`` with one vector (or one list of token
    vectors) per input, in input order, or ``Failure(BatchFailed)`` naming each failed part's
    input indices and error (and keeping the parts that succeeded)."""
    joined = await run_batched(
        runner,
        cast("TaskRequest[Any]", request),
        join=join_embeddings,
        key=embedding_shape,
        batch_size=batch_size,
        concurrency=concurrency,
    )
    return cast("Result[E, BatchFailed[E]]", joined)


__all__ = ["Runs", "embed_all", "run_batched", "run_parts"]
