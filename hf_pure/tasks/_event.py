"""One SSE event of a stream read into a chunk: shared by every task's stream codec.

The event's JSON is read by the codec's own total reader; what no reader should see is settled
here once: data that is not JSON, JSON that is not an object, and an ``{"error": ...}`` event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from hf_pure.core.codec import JSONDecodeError, excerpt, loads
from hf_pure.core.request import Broken
from hf_pure.core.sse import SseEvent
from hf_pure.tasks._read import Bad

if TYPE_CHECKING:
    from hf_pure.core.errors import HfError

C = TypeVar("C")


def read_event(
    event: SseEvent, request_id: str | None, read: Callable[[dict[str, Any]], C | Bad]
) -> C | HfError | Broken:
    """The chunk ``read`` makes of the event's JSON object, the error the event reports, or
    why the event can't be read (``Broken`` for data that is not a JSON object,
    ``MalformedResponse`` naming the field for an object of the wrong shape)."""
    from hf_pure.core.errors import MalformedResponse  # loads with the first error
    from hf_pure.core.failures import error_from_event

    data = event.data
    try:
        obj = loads(data)
    except JSONDecodeError:
        if event.event == "error":
            return error_from_event({"error": data.decode("utf-8", "replace")}, request_id)
        return Broken(f"an event was not valid JSON: {excerpt(data, 60)!r}")
    if type(obj) is not dict:
        return Broken(f"an event was not a JSON object: {excerpt(data, 60)!r}")
    if "error" in obj or event.event == "error":
        return error_from_event(obj, request_id)
    got = read(obj)
    if isinstance(got, Bad):
        return MalformedResponse(200, f"a stream event: {got.message}", excerpt(data), request_id)
    return got
