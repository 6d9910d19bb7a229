"""Embeddings (hf-inference ``feature-extraction``): one text or a batch in, vectors out.

    request = hf.feature_extraction("sentence-transformers/all-MiniLM-L6-v2", ["a", "b"])
    match await runner.run(request):
        case Success(hf.Embeddings(vectors=vectors)): ...       # one vector per input
        case Success(hf.TokenEmbeddings(tokens=tokens)): ...    # a per-token model, not pooled

On the wire (WIRE.md): ``POST {router}/hf-inference/models/{id}/pipeline/feature-extraction``
with ``{"inputs": text | [texts], "normalize", "truncate", "truncation_direction",
"prompt_name"}`` (the options at the body's root). The reply's shape depends on the model:

- a flat vector ``[d]`` for one text (sentence-transformers models);
- one vector per input ``[[d], ...]`` for a batch;
- one vector per token ``[[[d], ...], ...]`` (``facebook/bart-base`` answers ``[1][8][768]``
  for one sentence).

The request knows whether it sent one text or a batch, and the decoder reads the reply by
that, so a per-token reply is never taken for a batch: for one text, ``[[d]]`` is its vector
and ``[[d], [d], ...]`` its tokens' vectors; for a batch of n, ``[n][d]`` are the inputs'
vectors and ``[n][tokens][d]`` their tokens'; any other count is ``MalformedResponse``
saying what was expected. Per-token vectors are pooled by the client when the request asks
(``pooling="mean" | "max" | "cls"``; with ``normalize=True`` the pooled vector is made unit
length too, since a mean of unit vectors is not one), and otherwise come back as
:class:`TokenEmbeddings`.

Vectors are :data:`~hf_pure.tasks._vectors.Vector` values: read-only float32 views over one
buffer per reply, decoded by msgspec and packed by ``struct`` (no list of boxed floats is
kept). Decoding a 32 x 384 reply costs about a quarter of ``json.loads`` of the same bytes
(``benchmarks/embeddings.py``). Requests are cacheable by default: embeddings are
deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from types import MappingProxyType
from typing import Any, Final, Literal, overload

from returns.result import Failure, Result, Success

from hf_pure.core.config import Limits
from hf_pure.core.errors import HfError, InvalidInput
from hf_pure.core.failures import malformed
from hf_pure.core.http import RawReply
from hf_pure.tasks._decode import decode_json, lazy_decoder
from hf_pure.tasks._read import Bad, kind_of, number
from hf_pure.tasks._vectors import Vector, pack_rows
from hf_pure.tasks.embeddings_reply import (
    POOLINGS,
    EmbeddingReply,
    Embeddings,
    Pooling,
    TokenEmbeddings,
    embedding_shape,
    join_embeddings,
    unit,
)
from hf_pure.tasks.inference import TaskRequest, TaskSpec, task_request
from hf_pure.tasks.options import Check
from hf_pure.tasks.validate import check_bool, check_str, check_text

TRUNCATION_DIRECTIONS: Final = ("Left", "Right")

# ----------------------------------------------------------------------------- decoding

_STRICT: Final = MappingProxyType(
    {
        1: lazy_decoder(list[float]),
        2: lazy_decoder(list[list[float]]),
        3: lazy_decoder(list[list[list[float]]]),
    }
)
_ORDER_ONE: Final = (1, 3, 2)  # one text: flat first (sentence models), then per token
_ORDER_BATCH: Final = (2, 3, 1)


class _Want:
    """What the request sent, which is how its reply is read (``count`` None: no request,
    so a matrix is taken as a batch of whatever size it has)."""

    __slots__ = ("batch", "count", "normalize", "pooling")

    def __init__(self, request: TaskRequest[Any] | None) -> None:
        self.batch = True
        self.count: int | None = None
        self.pooling: str | None = None
        self.normalize = False
        if request is not None:
            inputs = request.inputs
            self.batch = type(inputs) is tuple
            self.count = len(inputs) if self.batch else 1
            self.pooling = request.option("pooling")
            self.normalize = request.option("normalize") is True


def decode_embeddings(
    request: TaskRequest[EmbeddingReply] | None, reply: RawReply
) -> Result[EmbeddingReply, HfError]:
    """Decode a 2xx feature-extraction reply as the answer to ``request`` (None: read it by
    its shape alone, a matrix as a batch). Total: never raises."""
    want = _Want(request)
    body = reply.body
    # the strict types are arrays: an {"error": ...} object fails them all and is read by
    # decode_json below (no scan of a large body for "error" first)
    for depth in _ORDER_BATCH if want.batch else _ORDER_ONE:
        try:
            nested = _STRICT[depth].decode(body)
        except ValueError:
            continue
        shaped = _shape(want, depth, nested)
        if isinstance(shaped, Bad):
            return Failure(malformed(reply, shaped.message))
        return Success(shaped)
    return decode_json(reply, None, partial(_lenient, want))


def _decode_alone(reply: RawReply) -> Result[EmbeddingReply, HfError]:
    """The reply read without its request (a flat vector is one text's, a matrix a batch's)."""
    return decode_embeddings(None, reply)


def _lenient(want: _Want, obj: Any) -> EmbeddingReply | Bad:
    if type(obj) is not list:
        return Bad("", f"expected an array of numbers or of vectors, got {kind_of(obj)}")
    if not obj:
        return Bad("", "expected a vector, got an empty array")
    first = obj[0]
    depth = 1 if type(first) is not list else 2 if not first or type(first[0]) is not list else 3
    nested = _read(obj, depth, "")
    if isinstance(nested, Bad):
        return nested
    return _shape(want, depth, nested)


def _read(value: Any, depth: int, at: str) -> Any:
    """The nested arrays of numbers at ``at``, ``depth`` levels deep, or the first Bad."""
    if type(value) is not list:
        return Bad(at, f"expected an array, got {kind_of(value)}")
    out: list[Any] = []
    for i, item in enumerate(value):
        if depth == 1:
            got = number(item, at, i)
            if got is None:
                got = Bad(f"{at}[{i}]", "expected a number, got null")
        else:
            got = _read(item, depth - 1, f"{at}[{i}]")
        if isinstance(got, Bad):
            return got
        out.append(got)
    return out


def _shape(want: _Want, depth: int, nested: Any) -> EmbeddingReply | Bad:
    """The reply value from decoded arrays ``depth`` deep, read as the request tells."""
    count = want.count
    if count is None:
        count = 1 if depth == 1 else len(nested)
    if depth == 1:
        if count != 1:
            return Bad("", f"expected {_vectors(count)} (one per input), got one flat vector")
        return _sentences([nested], lambda i: "")
    if not nested:
        return Bad("", f"expected {_vectors(count)}, got an empty array")
    if depth == 2:
        if want.batch or len(nested) == 1:
            if len(nested) != count:
                return Bad("", f"expected {_vectors(count)} (one per input), got {len(nested)}")
            return _sentences(nested, lambda i: f"[{i}]")
        groups = [nested]  # one text, several vectors: its tokens' (no batch dimension)
        paths: tuple[str, ...] = ("",)
    else:
        if len(nested) != count:
            what = f"{count} inputs" if count != 1 else "1 input"
            return Bad("", f"expected per-token vectors for {what}, got {len(nested)}")
        groups = nested
        paths = tuple(f"[{i}]" for i in range(count))
    return _tokens(want, groups, paths)


def _vectors(count: int) -> str:
    return "1 vector" if count == 1 else f"{count} vectors"


def _dims(rows: Sequence[Sequence[float]], path: Any) -> int | Bad:
    dims = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != dims or not row:
            if not row:
                return Bad(path(i), "an empty vector")
            first = path(0) or "the first vector"
            return Bad(path(i), f"a vector of length {len(row)}, but {first} has length {dims}")
    return dims


def _packed(rows: list[list[float]], path: Any) -> tuple[Vector, ...] | Bad:
    dims = _dims(rows, path)
    if isinstance(dims, Bad):
        return dims
    packed = pack_rows(rows, dims)
    if type(packed) is int:
        return Bad(f"{path(packed // dims)}[{packed % dims}]", "a number beyond float32's range")
    return packed  # type: ignore[return-value]


def _sentences(rows: list[list[float]], path: Any) -> Embeddings | Bad:
    packed = _packed(rows, path)
    if isinstance(packed, Bad):
        return packed
    return Embeddings(vectors=packed)


def _tokens(
    want: _Want, groups: list[list[list[float]]], paths: tuple[str, ...]
) -> EmbeddingReply | Bad:
    flat: list[list[float]] = []
    owner: list[str] = []
    for group, path in zip(groups, paths, strict=True):
        if not group:
            return Bad(path, "no token vectors")
        flat.extend(group)
        owner.extend(f"{path}[{j}]" for j in range(len(group)))
    packed = _packed(flat, owner.__getitem__)
    if isinstance(packed, Bad):
        return packed
    tokens = []
    start = 0
    for group in groups:
        tokens.append(packed[start : start + len(group)])
        start += len(group)
    value = TokenEmbeddings(tokens=tuple(tokens))
    if want.pooling in POOLINGS:
        return value.pooled(want.pooling, normalize=want.normalize)  # type: ignore[arg-type]
    return value


# ----------------------------------------------------------------------------- the request


def _check_inputs(inputs: Any, limits: Limits) -> InvalidInput | None:
    if type(inputs) is str:
        return check_text("inputs", inputs, limits)
    if type(inputs) is tuple:
        if not inputs:
            return InvalidInput("inputs", "is an empty batch: give at least one text")
        for i, text in enumerate(inputs):
            problem = check_text(f"inputs[{i}]", text, limits)
            if problem is not None:
                return problem
        return None
    return InvalidInput("inputs", f"must be a text or a list of texts, got {type(inputs).__name__}")


def _one_of(choices: tuple[str, ...]) -> Check:
    def check(name: str, value: Any, limits: Limits) -> InvalidInput | None:
        if value in choices and type(value) is str:
            return None
        return InvalidInput(name, f"must be one of {', '.join(map(repr, choices))}, got {value!r}")

    return check


CHECKS: Final = MappingProxyType(
    {
        "normalize": lambda name, value, _: check_bool(name, value),
        "truncate": lambda name, value, _: check_bool(name, value),
        "truncation_direction": _one_of(TRUNCATION_DIRECTIONS),
        "prompt_name": lambda name, value, _: check_str(name, value, empty=False),
        "pooling": _one_of(POOLINGS),
    }
)

FEATURE_EXTRACTION: Final[TaskSpec[EmbeddingReply]] = TaskSpec(
    task="feature-extraction",
    decode=_decode_alone,
    checks=CHECKS,
    check_inputs=_check_inputs,
    pipeline=True,
    root=frozenset({"normalize", "truncate", "truncation_direction", "prompt_name"}),
    local=frozenset({"pooling"}),
    decode_for=decode_embeddings,
)


@overload
def feature_extraction(
    model: str,
    inputs: str | Iterable[str],
    *,
    normalize: bool | None = ...,
    truncate: bool | None = ...,
    truncation_direction: Literal["Left", "Right"] | None = ...,
    prompt_name: str | None = ...,
    pooling: Pooling,
) -> TaskRequest[Embeddings]: ...
@overload
def feature_extraction(
    model: str,
    inputs: str | Iterable[str],
    *,
    normalize: bool | None = ...,
    truncate: bool | None = ...,
    truncation_direction: Literal["Left", "Right"] | None = ...,
    prompt_name: str | None = ...,
    pooling: None = ...,
) -> TaskRequest[EmbeddingReply]: ...
def feature_extraction(
    model: str,
    inputs: str | Iterable[str],
    *,
    normalize: bool | None = None,
    truncate: bool | None = None,
    truncation_direction: str | None = None,
    prompt_name: str | None = None,
    pooling: str | None = None,
) -> TaskRequest[Any]:
    """Embed one text (a str) or a batch (any other iterable of str, kept in order).

    ``normalize`` asks for unit vectors, ``truncate`` to cut inputs longer than the model
    takes (from the ``truncation_direction``, ``"Left"`` or ``"Right"``), ``prompt_name`` for
    one of the model's configured prompts (sentence-transformers models). ``pooling``
    (``"mean"``, ``"max"``, ``"cls"``) pools a per-token reply into one vector per input, on
    the client; it is never sent. Batches of any size are split by ``hf.embed_all``.
    """
    if not isinstance(inputs, str | bytes | bytearray | dict) and isinstance(inputs, Iterable):
        inputs = tuple(inputs)
    options = {
        "normalize": normalize,
        "truncate": truncate,
        "truncation_direction": truncation_direction,
        "prompt_name": prompt_name,
        "pooling": pooling,
    }
    return task_request(FEATURE_EXTRACTION, model, inputs, options, cacheable=True)


__all__ = [
    "FEATURE_EXTRACTION",
    "POOLINGS",
    "EmbeddingReply",
    "Embeddings",
    "Pooling",
    "TokenEmbeddings",
    "decode_embeddings",
    "embedding_shape",
    "feature_extraction",
    "join_embeddings",
    "unit",
]
