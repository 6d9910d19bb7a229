"""Batches as a pure plan: a request over many inputs split into parts, and the parts' results
joined back in input order, with every failed part named by the inputs it held.

    parts = plan_batches(request, 32)             # the requests, and the inputs each covers
    results = [await runner.run(p.request) for p in parts]     # (the shell does this)
    joined = join_parts(parts, results, join, key)             # Result[T, BatchFailed[T]]

:func:`plan_batches` keeps the order: part i covers inputs ``[start, stop)`` and the parts
cover every input exactly once, in order; a request of one text, or of no more inputs than
the batch size, is one part holding the request itself (so its cache key is the same as
unbatched). :func:`join_parts` answers the joined value only when every part succeeded and
their values fit together (``key``: e.g. all vectors of one length); otherwise
:class:`BatchFailed` names each failed part with its indices and error, and keeps the values
of the parts that succeeded, so a caller can retry only the failed inputs. Nothing is dropped
silently. The shell side is :func:`hf_pure.shell.batch.run_batched` (and ``hf.embed_all``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

import attrs
from returns.result import Failure, Result, Success

from hf_pure.core.errors import HfError, MalformedResponse
from hf_pure.core.value import Value, ValueEq
from hf_pure.tasks.inference import TaskRequest

T = TypeVar("T")


@attrs.frozen(repr=False)
class BatchPart(Value, Generic[T]):
    """One request of a plan: it carries inputs ``[start, stop)`` of the whole request."""

    request: TaskRequest[T]
    start: int
    stop: int

    @property
    def indices(self) -> range:
        return range(self.start, self.stop)


@attrs.frozen(repr=False, eq=False)
class FailedPart(ValueEq):
    """A part that failed: the inputs ``[start, stop)`` it carried and why."""

    start: int
    stop: int
    error: HfError

    @property
    def indices(self) -> range:
        return range(self.start, self.stop)


@attrs.frozen(repr=False, eq=False)
class DonePart(ValueEq, Generic[T]):
    """A part that succeeded: the inputs ``[start, stop)`` and the value for them."""

    start: int
    stop: int
    value: T

    @property
    def indices(self) -> range:
        return range(self.start, self.stop)


@attrs.frozen(repr=False, eq=False)
class BatchFailed(ValueEq, Generic[T]):
    """Some parts of a batch failed (``failed``, in input order); ``done`` keeps the values of
    the others. ``total`` is the number of inputs of the whole request."""

    failed: tuple[FailedPart, ...]
    done: tuple[DonePart[T], ...]
    total: int

    @property
    def indices(self) -> tuple[int, ...]:
        """Every input index that has no result."""
        return tuple(i for part in self.failed for i in part.indices)

    @property
    def message(self) -> str:
        shown = "; ".join(
            f"inputs {p.start}-{p.stop - 1}: {p.error.message}" for p in self.failed[:3]
        )
        more = f"; and {len(self.failed) - 3} more" if len(self.failed) > 3 else ""
        missing = len(self.indices)
        return f"{missing} of {self.total} inputs failed ({shown}{more})"


def plan_batches(request: TaskRequest[T], batch_size: int) -> tuple[BatchPart[T], ...]:
    """The parts of ``request`` with at most ``batch_size`` inputs each, in order. A request of
    one input (not a list) is one part. ``batch_size`` must be an int >= 1 (a programmer
    error otherwise: TypeError or ValueError naming it)."""
    if type(batch_size) is not int:
        raise TypeError(f"batch_size must be an int, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    inputs = request.inputs
    if type(inputs) is not tuple:
        return (BatchPart(request=request, start=0, stop=1),)
    if len(inputs) <= batch_size:
        return (BatchPart(request=request, start=0, stop=len(inputs)),)
    return tuple(
        BatchPart(
            request=attrs.evolve(request, inputs=inputs[start : start + batch_size]),
            start=start,
            stop=min(start + batch_size, len(inputs)),
        )
        for start in range(0, len(inputs), batch_size)
    )


def total_of(parts: Sequence[BatchPart[Any]]) -> int:
    return parts[-1].stop if parts else 0


def join_parts(
    parts: Sequence[BatchPart[T]],
    results: Sequence[Result[T, HfError]],
    join: Callable[[Sequence[T]], T],
    key: Callable[[T], Hashable] = lambda value: None,
) -> Result[T, BatchFailed[T]]:
    """The parts' values joined in input order, or :class:`BatchFailed`.

    ``key`` says which values fit together (e.g. their kind and dimensions); a part whose
    value has another key than the first successful part's is failed with a
    ``MalformedResponse`` saying so, rather than joined into a value that doesn't hold
    together.
    """
    if len(results) != len(parts):
        raise ValueError(f"{len(results)} results for {len(parts)} parts")
    failed: list[FailedPart] = []
    done: list[DonePart[T]] = []
    expected: Hashable = None
    for part, result in zip(parts, results, strict=True):
        if isinstance(result, Failure):
            failed.append(FailedPart(start=part.start, stop=part.stop, error=result.failure()))
            continue
        value = result.unwrap()
        shape = key(value)
        if done and shape != expected:
            reason = f"this part's answer is {shape}, the first part's is {expected}"
            error = MalformedResponse(status=200, reason=reason)
            failed.append(FailedPart(start=part.start, stop=part.stop, error=error))
            continue
        if not done:
            expected = shape
        done.append(DonePart(start=part.start, stop=part.stop, value=value))
    if failed:
        return Failure(BatchFailed(failed=tuple(failed), done=tuple(done), total=total_of(parts)))
    return Success(join([d.value for d in done]))


__all__ = [
    "BatchFailed",
    "BatchPart",
    "DonePart",
    "FailedPart",
    "join_parts",
    "plan_batches",
]
