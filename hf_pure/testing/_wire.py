"""How the emulator writes its answers: whole JSON replies, SSE streams, and the faults that
alter how they go out (cut, stalled, noisy, broken)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ._answers import JsonAnswer, SseAnswer
from ._faults import Fault

__all__ = ["close_connection", "faulty_events", "faulty_json", "json_response", "send_events"]

_GARBAGE = b"data: this is not json\n\n"
# Write sizes for ``Fault.sse_noise``: small and uneven, so events and lines are split.
_NOISE_SIZES = (1, 2, 9, 3, 16, 5, 64, 11, 33, 4, 27)


def close_connection(request: web.BaseRequest) -> None:
    """Close the TCP connection (after flushing what was written) without ending the body."""
    transport = request.transport
    if transport is not None:
        transport.close()


def _set_headers(
    resp: web.StreamResponse,
    request_id: str,
    own: tuple[tuple[str, str], ...],
    extra: tuple[tuple[str, str], ...],
) -> None:
    headers = resp.headers
    headers["X-Request-Id"] = request_id
    for name, value in own:
        headers[name] = value
    for name, value in extra:
        headers[name] = value


def json_response(
    answer: JsonAnswer, request_id: str, extra: tuple[tuple[str, str], ...]
) -> web.Response:
    resp = web.Response(status=answer.status, body=answer.body)
    resp.headers["Content-Type"] = answer.content_type
    _set_headers(resp, request_id, answer.headers, extra)
    return resp


async def faulty_json(
    request: web.BaseRequest, answer: JsonAnswer, fault: Fault, request_id: str
) -> web.StreamResponse:
    kind = fault.kind
    if kind == "stream_error":
        return json_response(JsonAnswer(500, fault.body), request_id, ())
    if kind == "cut":
        part = answer.body[: max(1, len(answer.body) // 2)]
        if fault.clean:
            return json_response(
                JsonAnswer(answer.status, part, answer.content_type, answer.headers),
                request_id,
                (),
            )
        resp = _prepared_json(answer, request_id)
        await resp.prepare(request)
        await resp.write(part)
        close_connection(request)
        return resp
    if kind == "stall":
        resp = _prepared_json(answer, request_id)
        await resp.prepare(request)  # StreamResponse sends its headers right away
        await asyncio.sleep(fault.seconds)
        await resp.write(answer.body)
        await resp.write_eof()
        return resp
    # delay (already waited), headers, and SSE-only faults on a non-streaming answer
    return json_response(answer, request_id, fault.extra_headers)


def _prepared_json(answer: JsonAnswer, request_id: str) -> web.StreamResponse:
    resp = web.StreamResponse(status=answer.status)
    resp.content_type = answer.content_type
    resp.content_length = len(answer.body)
    _set_headers(resp, request_id, answer.headers, ())
    return resp


async def _open_stream(
    request: web.BaseRequest, request_id: str, extra: tuple[tuple[str, str], ...]
) -> web.StreamResponse:
    resp = web.StreamResponse(status=200)
    resp.content_type = "text/event-stream"
    resp.headers["Cache-Control"] = "no-cache"
    _set_headers(resp, request_id, (), extra)
    await resp.prepare(request)
    return resp


async def send_events(
    request: web.BaseRequest,
    events: list[bytes],
    request_id: str,
    extra: tuple[tuple[str, str], ...],
    per_write: int = 1,
) -> web.StreamResponse:
    resp = await _open_stream(request, request_id, extra)
    if per_write == 1:
        for event in events:
            await resp.write(event)
    else:
        for start in range(0, len(events), per_write):
            await resp.write(b"".join(events[start : start + per_write]))
    await resp.write_eof()
    return resp


async def faulty_events(
    request: web.BaseRequest,
    answer: SseAnswer,
    fault: Fault,
    request_id: str,
    extra: tuple[tuple[str, str], ...],
) -> web.StreamResponse:
    extra = answer.headers + extra  # the provider's own headers, then the fault's
    events = answer.events
    kind = fault.kind
    # Faults that end a stream early never send its last event ([DONE] / final text).
    early = min(fault.after, len(events) - 1)
    if kind == "sse_noise":
        return await send_events(request, _noisy(events), request_id, extra)
    if kind == "sse_garbage":
        at = min(fault.after, len(events))
        return await send_events(request, [*events[:at], _GARBAGE, *events[at:]], request_id, extra)
    if kind == "cut":
        resp = await _open_stream(request, request_id, extra)
        for event in events[:early]:
            await resp.write(event)
        if fault.clean:
            await resp.write_eof()
        else:
            close_connection(request)
        return resp
    if kind == "stall":
        resp = await _open_stream(request, request_id, extra)
        for event in events[:early]:
            await resp.write(event)
        await asyncio.sleep(fault.seconds)
        await resp.write_eof()
        return resp
    if kind == "stream_error":
        failure = answer.data_prefix + fault.body + b"\n\n"
        return await send_events(request, [*events[:early], failure], request_id, extra)
    # delay (already waited) and headers
    return await send_events(request, events, request_id, extra)


def _noisy(events: list[bytes]) -> list[bytes]:
    """The same events as a valid but awkward SSE byte stream, in small uneven pieces."""
    out = bytearray(b": keep-alive\r\n\r\nretry: 3000\r\n\r\n")
    for i, event in enumerate(events):
        payload = event[event.index(b":") + 1 :].rstrip(b"\n")
        if payload.startswith(b" "):
            payload = payload[1:]
        number = str(i).encode()
        if i % 3 == 0:
            out += b"event: message\r\nid: " + number + b"\r\ndata:" + payload + b"\r\n\r\n"
        elif i % 3 == 1:
            out += (
                b": keep-alive\r\n\r\nid: "
                + number
                + b"\r\ndata: "
                + payload
                + b"\r\n: note\r\n\r\n"
            )
        else:
            out += b"data:" + payload + b"\r\n\r\n"
    data = bytes(out)
    cuts = {data.index(b"\r\n") + 1}  # one write ends between \r and \n
    first_data = data.index(b"data:")
    cuts.add(first_data + 3)  # one inside a field name
    cuts.add(first_data + 12)  # one inside the JSON
    position = 0
    step = 0
    while position < len(data):
        position += _NOISE_SIZES[step % len(_NOISE_SIZES)]
        step += 1
        cuts.add(position)
    bounds = sorted(c for c in cuts if 0 < c < len(data))
    pieces: list[bytes] = []
    start = 0
    for bound in bounds:
        pieces.append(data[start:bound])
        start = bound
    pieces.append(data[start:])
    return pieces
