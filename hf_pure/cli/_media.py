"""``classify-image``, ``detect``, ``caption``, ``transcribe``, ``speak``: files in (read
with ``hf.read_media``), text or a file out (``hf.save_audio``)."""

from __future__ import annotations

import argparse
import asyncio
import os

from returns.result import Failure

import hf_pure as hf
from hf_pure.tasks.media import EXTENSIONS, extension_for

from ._inputs import media_file, text_or_stdin
from ._out import Fail, Output
from ._target import run_one

_MEDIA_SUFFIXES = frozenset(EXTENSIONS.values()) | {".jpeg", ".tif", ".wave", ".mp4", ".oga"}
# Spellings save_audio takes as the same type.
_SAME = (
    frozenset({".wav", ".wave"}),
    frozenset({".m4a", ".mp4"}),
    frozenset({".ogg", ".oga", ".opus"}),
)


def classify_image(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    request = hf.image_classification(args.model, media_file(args.image), top_k=args.top_k)
    labels = loop.run(run_one(args, out, request))
    out.result(model=args.model, labels=labels)
    for label in labels:
        out.line(f"{label.label}\t{label.score:.4f}")


def detect(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    request = hf.object_detection(args.model, media_file(args.image), threshold=args.threshold)
    found = loop.run(run_one(args, out, request))
    out.result(model=args.model, objects=found)
    for item in found:
        box = item.box
        out.line(f"{item.label}\t{item.score:.4f}\t{box.xmin},{box.ymin},{box.xmax},{box.ymax}")


def caption(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    request = hf.image_to_text(
        args.model, media_file(args.image), max_new_tokens=args.max_new_tokens
    )
    reply = loop.run(run_one(args, out, request))
    out.result(model=args.model, text=reply.text)
    out.line(reply.text)


def transcribe(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    stamps = True if args.timestamps else None
    request = hf.automatic_speech_recognition(
        args.model, media_file(args.audio), return_timestamps=stamps
    )
    reply = loop.run(run_one(args, out, request))
    out.result(model=args.model, text=reply.text, chunks=reply.chunks)
    out.line(reply.text)
    for chunk in reply.chunks or ():
        out.line(f"[{_seconds(chunk.start)} - {_seconds(chunk.end)}]\t{chunk.text}")


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def _target_path(path: str, content_type: str) -> str:
    """``path`` with the extension the audio's type calls for: a media extension that
    disagrees (``out.wav`` for FLAC) is replaced, so ``save_audio`` adds the right one."""
    wanted = extension_for(content_type)
    root, suffix = os.path.splitext(path)
    suffix = suffix.lower()
    if wanted is None or suffix not in _MEDIA_SUFFIXES or suffix == wanted:
        return path
    if any(suffix in names and wanted in names for names in _SAME):
        return path
    return root


def speak(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    text = text_or_stdin(args.text, "text")
    speech = loop.run(run_one(args, out, hf.text_to_speech(args.model, text)))
    saved = hf.save_audio(speech, _target_path(args.output, speech.content_type))
    if isinstance(saved, Failure):
        raise Fail(saved.failure())
    path = os.fspath(saved.unwrap())
    out.result(
        model=args.model, path=path, content_type=speech.content_type, bytes=len(speech.audio)
    )
    if path != args.output:
        out.note(f"the audio is {speech.content_type}: written with its own extension")
    out.line(path)
