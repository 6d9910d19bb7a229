"""``embed``, ``similarity``, ``search``, ``classify``, ``summarize``, ``translate``."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, TypeVar

from returns.result import Failure

import hf_pure as hf

from ._inputs import lines_of, stdin_is_terminal, text_or_stdin
from ._out import Fail, Output, UsageError, jsonable
from ._target import open_target, run_one

T = TypeVar("T")


class _Counted:
    """A runner that advances a progress bar by each finished part's inputs (``embed_all``
    takes any runner; it has no progress hook of its own)."""

    __slots__ = ("_bar", "_runner")

    def __init__(self, runner: hf.Runner, bar: Any) -> None:
        self._runner = runner
        self._bar = bar

    @property
    def config(self) -> hf.ClientConfig:
        return self._runner.config

    async def run(self, request: hf.Request[T]) -> hf.Result[T, hf.HfError]:
        result = await self._runner.run(request)
        inputs = getattr(request, "inputs", ())
        self._bar.advance(len(inputs) if isinstance(inputs, tuple) else 1)
        return result


def _texts(args: argparse.Namespace, given: list[str], what: str) -> list[str]:
    """Texts from the arguments, else the lines of ``--file``, else the lines of stdin."""
    if given and args.file:
        raise UsageError(f"hf-pure {args.command}: give {what} as arguments or --file, not both")
    if given:
        return given
    if args.file:
        return lines_of(args.file)
    if stdin_is_terminal():
        raise UsageError(f"hf-pure {args.command}: give {what} as arguments, --file or stdin")
    return lines_of("-")


async def _embedded(
    runner: hf.Runner, out: Output, args: argparse.Namespace, texts: list[str]
) -> list[Any]:
    """One vector per text, in order, through ``hf.embed_all`` (a progress bar on a terminal)."""
    normalize = True if getattr(args, "normalize", False) else None
    request = hf.feature_extraction(
        args.model, texts, normalize=normalize, pooling=getattr(args, "pooling", "mean")
    )
    with out.progress("embedding", total=len(texts)) as bar:
        result = await hf.embed_all(
            _Counted(runner, bar),
            request,
            batch_size=args.batch_size,
            concurrency=args.concurrency,
        )
    if isinstance(result, Failure):
        batch = result.failure()
        first = batch.failed[0]
        missing = len(batch.indices)
        hint = "" if missing == batch.total == first.stop else batch.message
        failed = [
            {"start": p.start, "stop": p.stop, "error": p.error.message} for p in batch.failed
        ]
        raise Fail(first.error, hint=hint, failed=failed, total=batch.total)
    return list(result.unwrap().vectors)  # pooled: one vector per text


def embed(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    texts = _texts(args, args.texts, "texts")

    async def go() -> list[Any]:
        async with open_target(args, out) as target:
            return await _embedded(target.runner, out, args, texts)

    vectors = loop.run(go())
    out.result(model=args.model, dimensions=len(vectors[0]) if vectors else 0, vectors=vectors)
    if not out.json:
        for vector in vectors:
            out.line(hf.json_dumps(jsonable(vector)).decode())


def similarity(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    sentences = _texts(args, args.sentences, "sentences")
    request = hf.sentence_similarity(args.model, args.source, sentences)
    scores = loop.run(run_one(args, out, request))
    out.result(
        model=args.model,
        source=args.source,
        scores=[{"sentence": s, "score": x} for s, x in zip(sentences, scores, strict=False)],
    )
    for sentence, score in zip(sentences, scores, strict=False):
        out.line(f"{score:.4f}\t{sentence}")


def search(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    corpus = lines_of(args.file)

    async def go() -> tuple[Any, list[Any]]:
        async with open_target(args, out) as target:
            vectors = await _embedded(target.runner, out, args, [args.query, *corpus])
        return vectors[0], vectors[1:]

    query, vectors = loop.run(go())
    found = hf.nearest(query, vectors, min(args.top_k, len(vectors)), metric=args.metric)
    if isinstance(found, Failure):
        raise Fail(found.failure())
    hits = [{"index": n.index, "score": n.score, "text": corpus[n.index]} for n in found.unwrap()]
    out.result(model=args.model, query=args.query, metric=args.metric, hits=hits)
    for hit in hits:
        out.line(f"{hit['score']:.4f}\t{hit['text']}")


def classify(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    text = text_or_stdin(args.text, "text")
    reply = loop.run(run_one(args, out, hf.text_classification(args.model, text, top_k=args.top_k)))
    out.result(model=args.model, label=reply.label, labels=reply.labels)
    for label in reply.labels:
        out.line(f"{label.label}\t{label.score:.4f}")


def summarize(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    text = text_or_stdin(args.text, "text")
    request = hf.summarization(
        args.model, text, min_length=args.min_length, max_length=args.max_length
    )
    reply = loop.run(run_one(args, out, request))
    out.result(model=args.model, text=reply.text)
    out.line(reply.text)


def translate(args: argparse.Namespace, out: Output, loop: asyncio.Runner) -> None:
    text = text_or_stdin(args.text, "text")
    request = hf.translation(args.model, text, src_lang=args.src_lang, tgt_lang=args.tgt_lang)
    reply = loop.run(run_one(args, out, request))
    out.result(model=args.model, text=reply.text)
    out.line(reply.text)
