"""Sentence similarity (hf-inference ``sentence-similarity``): how close each of some sentences
is to a source sentence, as the model scores it.

    request = hf.sentence_similarity(MODEL, "cats are pets", ["dogs are pets", "stocks fell"])
    scores = (await runner.run(request)).unwrap()     # (0.8..., 0.1...): one per sentence

On the wire (WIRE.md): ``POST {router}/hf-inference/models/{id}/pipeline/sentence-similarity``
with ``{"inputs": {"source_sentence": text, "sentences": [texts]}}``; the reply is
``[float, ...]``, one score per sentence in their order (a different count is
``MalformedResponse``). Requests are cacheable by default: the scores are deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any, Final

from returns.result import Failure, Result, Success

from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.failures import malformed
from hf_pure.core.http import RawReply
from hf_pure.tasks._decode import decode_json, lazy_decoder
from hf_pure.tasks._read import Bad, kind_of, number
from hf_pure.tasks.inference import TaskRequest, TaskSpec, task_request
from hf_pure.tasks.options import RawJson, thaw
from hf_pure.tasks.validate import check_text

Scores = tuple[float, ...]
_STRICT: Final = lazy_decoder(tuple[float, ...])


def _sentences_of(inputs: Any) -> Any:
    value = thaw(inputs)
    return value.get("sentences") if type(value) is dict else None


def decode_similarity(
    request: TaskRequest[Scores] | None, reply: RawReply
) -> Result[Scores, HfError]:
    """Decode a 2xx sentence-similarity reply (for ``request``: one score per sentence)."""
    sentences = _sentences_of(request.inputs) if request is not None else None
    count = len(sentences) if type(sentences) is list else None
    try:
        scores: Scores = _STRICT.decode(reply.body)
    except ValueError:
        return decode_json(reply, None, partial(_lenient, count))
    counted = _counted(scores, count)
    if isinstance(counted, Bad):
        return Failure(malformed(reply, counted.message))
    return Success(counted)


def _counted(scores: Scores, count: int | None) -> Scores | Bad:
    if count is not None and len(scores) != count:
        return Bad("", f"expected {count} scores (one per sentence), got {len(scores)}")
    return scores


def _lenient(count: int | None, obj: Any) -> Scores | Bad:
    if type(obj) is not list:
        return Bad("", f"expected an array of scores, got {kind_of(obj)}")
    out = []
    for i, item in enumerate(obj):
        score = number(item, "", i)
        if score is None:
            return Bad(f"[{i}]", "expected a number, got null")
        if isinstance(score, Bad):
            return score
        out.append(score)
    return _counted(tuple(out), count)


def _check_inputs(inputs: Any, limits: Limits) -> InvalidInput | None:
    value = thaw(inputs) if type(inputs) is RawJson else None
    if type(value) is not dict:
        return InvalidInput("inputs", "must be {source_sentence, sentences}")
    problem = check_text("inputs.source_sentence", value.get("source_sentence"), limits)
    if problem is not None:
        return problem
    sentences = value.get("sentences")
    if type(sentences) is not list:
        got = "a string" if type(sentences) is str else kind_of(sentences)
        return InvalidInput("inputs.sentences", f"must be a list of texts, got {got}")
    if not sentences:
        return InvalidInput("inputs.sentences", "is empty: give at least one sentence")
    for i, text in enumerate(sentences):
        problem = check_text(f"inputs.sentences[{i}]", text, limits)
        if problem is not None:
            return problem
    return None


SENTENCE_SIMILARITY: Final[TaskSpec[Scores]] = TaskSpec(
    task="sentence-similarity",
    decode=partial(decode_similarity, None),
    check_inputs=_check_inputs,
    pipeline=True,
    decode_for=decode_similarity,
)


def sentence_similarity(
    model: str, source_sentence: str, sentences: Iterable[str]
) -> TaskRequest[Scores]:
    """Score each of ``sentences`` against ``source_sentence`` (a list, in order: a single str
    is reported by ``check()``, not split into characters)."""
    listed: Any = sentences
    if not isinstance(sentences, str | bytes | dict) and isinstance(sentences, Iterable):
        listed = list(sentences)
    inputs = {"source_sentence": source_sentence, "sentences": listed}
    return task_request(SENTENCE_SIMILARITY, model, inputs, cacheable=True)


__all__ = ["SENTENCE_SIMILARITY", "Scores", "decode_similarity", "sentence_similarity"]
