"""``models search | info | status | wait``: the Hub (no token needed for public models)."""

from __future__ import annotations

import argparse
import asyncio
import io
import struct
import time
import wave
import zlib
from typing import Any

from returns.result import Failure
from toolz import pipe

import hf_pure as hf

from ._out import Fail, Output
from ._target import open_target, run_one


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _pixel() -> bytes:
    """A 1x1 PNG, for probing an image model while it loads."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00\x00"))
        + _chunk(b"IEND", b"")
    )


def _silence() -> bytes:
    """A tenth of a second of silence as a WAV, for probing an audio model while it loads."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x00" * 1600)
    return buffer.getvalue()


def probe_request(model: str, task: str) -> Any | None:
    """A small request that makes ``model`` answer, for ``task`` (None: no probe for it)."""
    text = "ping"
    match task:
        case "conversational" | "chat":
            return pipe(hf.chat(model, [text]), hf.max_tokens(1))
        case "text-generation":
            return pipe(hf.text_generation(model, text), hf.max_tokens(1))
        case "feature-extraction" | "sentence-similarity":
            return hf.feature_extraction(model, text)
        case "text-classification":
            return hf.text_classification(model, text)
        case "token-classification":
            return hf.token_classification(model, text)
        case "summarization":
            return hf.summarization(model, text)
        case "translation":
            return hf.translation(model, text)
        case "text-to-speech":
            return hf.text_to_speech(model, text)
        case "image-classification":
            return hf.image_classification(model, _pixel())
        case "object-detection":
            return hf.object_detection(model, _pixel())
        case "image-to-text":
            return hf.image_to_text(model, _pixel())
        case "automatic-speech-recognition":
            return hf.automatic_speech_recognition(model, _silence())
        case "audio-classification":
            return hf.audio_classification(model, _silence())
    return None


PROBED_TASKS = (
    "chat",
    "text-generation",
    "feature-extraction",
    "sentence-similarity",
    "text-classification",
    "token-classification",
    "summarization",
    "translation",
    "text-to-speech",
    "image-classification",
    "object-detection",
    "image-to-text",
    "automatic-speech-recognition",
    "audio-classification",
)


def search(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    query = hf.search_models(
        search=args.query,
        author=args.author,
        pipeline_tag=args.task,
        inference_provider=args.provider,
        sort=args.sort,
        direction=-1,
        limit=args.limit,
    )

    async def go() -> tuple[list[hf.ModelInfo], hf.HfError | None]:
        async with open_target(args, out, token_required=False) as target:
            found = hf.iter_models(target.runner, query)
            models = [info async for info in found]
        return models, found.error

    models, error = loop.run(go())
    out.result(models=models)
    rows = [
        [m.id, m.pipeline_tag or "-", str(m.downloads), str(m.likes), ",".join(m.live_providers)]
        for m in models
    ]
    if rows:
        out.table(("model", "task", "downloads", "likes", "providers"), rows)
    if error is not None:
        raise Fail(error)


def info(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    found: hf.ModelInfo = loop.run(
        run_one(args, out, hf.model_info(args.model), token_required=False)
    )
    out.result(model=found)
    providers = [f"{p.provider} ({p.status}, {p.task})" for p in found.providers]
    for name, value in (
        ("id", found.id),
        ("renamed from", found.renamed_from),
        ("task", found.pipeline_tag),
        ("library", found.library_name),
        ("downloads", found.downloads),
        ("likes", found.likes),
        ("gated", found.gated),
        ("private", found.private),
        ("inference", found.inference),
        ("providers", ", ".join(providers) or "none"),
        ("tags", ", ".join(found.tags)),
    ):
        if value is not None:
            out.line(f"{name + ':':<14}{value}")


def _as_error(status: Any) -> hf.HfError | None:
    """The error kind a status that isn't Available stands for (its exit code)."""
    match status:
        case hf.Loading(estimated_time=eta):
            return hf.ModelLoading(estimated_time=eta, detail=status.message)
        case hf.ModelNotFound(detail=detail):
            return hf.NotFound(detail=detail or status.message)
        case hf.Gated(detail=detail):
            return hf.Unauthorized(status=403, detail=detail or status.message)
        case hf.Unavailable(status=None, reason=reason):
            return hf.ConnectionFailed(reason=reason)
        case hf.Unavailable(status=int(code), reason=reason) if code >= 500:
            return hf.ServerError(status=code, detail=reason)
        case hf.Unavailable(status=int(code), reason=reason):
            return hf.BadRequest(status=code, detail=reason)
    return None


def status(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    async def go() -> Any:
        async with open_target(args, out, token_required=False) as target:
            return await hf.model_status(target.runner, args.model)

    found = loop.run(go())
    out.result(status={"kind": type(found).__name__, **hf.to_plain(found)})
    out.line(found.message)
    error = _as_error(found)
    if error is not None:
        raise Fail(error, reported=True)


def wait(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    plan = hf.WaitPlan(
        deadline=args.deadline, interval=args.interval, honour_estimate=not args.ignore_estimate
    )
    polls = 0
    started = time.monotonic()

    async def go() -> tuple[str, hf.Result[Any, hf.HfError]]:
        nonlocal polls
        async with open_target(args, out) as target:
            task = args.task or await _task_of(target.runner, args.model)
            request = probe_request(args.model, task)
            if request is None:
                known = ", ".join(PROBED_TASKS)
                raise Fail(hf.InvalidInput("--task", f"no probe for {task!r}; one of: {known}"))
            with out.status(f"waiting for {args.model}") as line:

                def seen(observed: Any) -> None:
                    nonlocal polls
                    polls += 1
                    spent = time.monotonic() - started
                    line.update(f"{observed.message} (poll {polls}, {spent:.0f} s)")

                result = await hf.wait_for_model(target.runner, request, plan=plan, on_status=seen)
            return task, result

    task, result = loop.run(go())
    seconds = round(time.monotonic() - started, 3)
    out.result(model=args.model, task=task, polls=polls, seconds=seconds)
    if isinstance(result, Failure):
        raise Fail(result.failure())
    out.line(f"{args.model} is ready ({polls} polls, {seconds:g} s)")


async def _task_of(runner: hf.Runner, model: str) -> str:
    """The model's task as the Hub tags it (``chat`` for a conversational model)."""
    found = await runner.run(hf.model_info(model))
    if isinstance(found, Failure):
        raise Fail(found.failure())
    info = found.unwrap()
    if "conversational" in info.tags or any(p.task == "conversational" for p in info.providers):
        return "chat"
    if not info.pipeline_tag:
        raise Fail(hf.InvalidInput("--task", f"the Hub names no task for {model}: give --task"))
    return info.pipeline_tag
