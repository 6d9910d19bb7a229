"""Chat replies, emulated: the choices a prompt gives, as a whole JSON message or as SSE
chunks (shaped as the serving provider sends them)."""

from __future__ import annotations

import hashlib
from types import MappingProxyType

from . import _json as orjson  # msgspec underneath
from ._answers import SseAnswer
from ._structured import instance_of
from ._text import VOCAB, logprob_of, pick_words, schema_example

__all__ = ["CREATED", "DONE_LINE", "EXTRA", "FINGERPRINT", "Prompt", "Tool", "build_choice"]

CREATED = 1_700_000_000
FINGERPRINT = "fp_emulator_1"
EXTRA = MappingProxyType({"version": 1})
DONE_LINE = b"data: [DONE]\n\n"
_VOCAB_INDEX = MappingProxyType({w: i for i, w in enumerate(VOCAB)})
_MAX_QUOTED_WORDS = 12
_MAX_QUOTED_CHARS = 200


class Prompt:
    """What the reply is derived from."""

    __slots__ = ("images", "last_role", "prompt_words", "text", "tool_text")

    def __init__(self) -> None:
        self.text = ""
        self.images: list[int] = []
        self.last_role = ""
        self.tool_text = ""
        self.prompt_words = 0


class Tool:
    __slots__ = ("name", "parameters")

    def __init__(self, name: str, parameters: object) -> None:
        self.name = name
        self.parameters = parameters


def _pieces(words: list[str]) -> list[str]:
    """Streamed pieces: every word followed by a space, except the last."""
    if not words:
        return []
    pieces = [w + " " for w in words]
    pieces[-1] = words[-1]
    return pieces


def _cut_at_stop(pieces: list[str], stops: tuple[str, ...]) -> tuple[list[str], bool]:
    text = "".join(pieces)
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    if cut < 0:
        return pieces, False
    out: list[str] = []
    used = 0
    for piece in pieces:
        if used + len(piece) >= cut:
            if cut > used:
                out.append(piece[: cut - used])
            break
        out.append(piece)
        used += len(piece)
    return out, True


def _split_json(text: str) -> list[str]:
    """A JSON text in pieces, each ending after a space (at least one piece)."""
    parts = text.split(" ")
    return [p + " " for p in parts[:-1]] + [parts[-1]]


def split_args(args: str) -> list[str]:
    """Tool-call arguments in 2 or 3 pieces."""
    if len(args) < 3:
        return [args[:1], args[1:]]
    third = len(args) // 3
    return [args[:third], args[third : 2 * third], args[2 * third :]]


class Choice:
    __slots__ = ("finish", "pieces", "tool_args", "tool_id", "tool_name")

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.finish = "stop"
        self.tool_name = ""
        self.tool_id = ""
        self.tool_args = ""


def build_choice(
    *,
    index: int,
    prompt: Prompt,
    key: bytes,
    tool: Tool | None,
    limit: int | None,
    stops: tuple[str, ...],
    fmt: tuple[str, object],
    reply_tokens: int,
) -> Choice:
    out = Choice()
    choice_key = key + index.to_bytes(2, "little")
    if tool is not None and prompt.last_role != "tool":
        params = tool.parameters
        args = schema_example(params) if isinstance(params, dict) else {}
        out.tool_name = tool.name
        out.tool_args = orjson.dumps(args if isinstance(args, dict) else {}).decode()
        digest = hashlib.blake2b(choice_key + tool.name.encode(), digest_size=12).hexdigest()
        out.tool_id = f"call_{digest}"
        out.finish = "tool_calls"
        return out
    if prompt.last_role == "tool":
        quoted = prompt.tool_text[:_MAX_QUOTED_CHARS].split()[:_MAX_QUOTED_WORDS]
        words = ["The", "tool", "returned:", *(quoted or ["nothing"])]
    else:
        words = []
        for size in prompt.images:
            words += ["[image", f"{size}", "bytes]"] if size >= 0 else ["[image", "url]"]
        fill = max(reply_tokens - len(words), 0)
        words += [VOCAB[i] for i in pick_words(choice_key, fill)]
    if limit is not None and limit < len(words):
        words = words[:limit]
        out.finish = "length"
    pieces = _pieces(words)
    if stops:
        pieces, stopped = _cut_at_stop(pieces, stops)
        if stopped:
            out.finish = "stop"
    kind, schema = fmt
    if kind == "json_object":
        pieces = _split_json(orjson.dumps({"answer": "".join(pieces)}).decode())
    elif kind == "json_schema":
        value = instance_of(schema) if isinstance(schema, dict) else {}
        pieces = _split_json(orjson.dumps(value).decode())
    out.pieces = pieces
    return out


def _logprobs(pieces: list[str], top: int) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for piece in pieces:
        index = _VOCAB_INDEX.get(piece.strip(), 7)
        alternatives = [
            {
                "token": VOCAB[(index + k) % 256],
                "logprob": logprob_of(index + k) - 1.0,
                "bytes": list(VOCAB[(index + k) % 256].encode()),
            }
            for k in range(1, top + 1)
        ]
        entries.append(
            {
                "token": piece,
                "logprob": logprob_of(index),
                "bytes": list(piece.encode()),
                "top_logprobs": alternatives,
            }
        )
    return entries


def message_json(index: int, choice: Choice, want_logprobs: bool, top: int) -> dict[str, object]:
    message: dict[str, object]
    if choice.tool_name:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": choice.tool_id,
                    "type": "function",
                    "function": {"name": choice.tool_name, "arguments": choice.tool_args},
                }
            ],
        }
        logprobs: object = None
    else:
        message = {"role": "assistant", "content": "".join(choice.pieces)}
        logprobs = {"content": _logprobs(choice.pieces, top)} if want_logprobs else None
    return {
        "index": index,
        "message": message,
        "logprobs": logprobs,
        "finish_reason": choice.finish,
    }


def stream_answer(
    *,
    model: str,
    reply_id: str,
    choices: list[Choice],
    usage: dict[str, int],
    include_usage: bool,
    want_logprobs: bool,
    top: int,
    shape: str = "",
) -> SseAnswer:
    """The SSE chunks of an answer, shaped as ``shape`` (the serving provider) sends them:
    ``together`` puts ``"tool_calls": null`` in every delta and ``retry-after: 2`` on the 200."""
    together = shape == "together"
    head = (
        b'data: {"id":'
        + orjson.dumps(reply_id)
        + b',"object":"chat.completion.chunk","created":'
        + str(CREATED).encode()
        + b',"model":'
        + orjson.dumps(model)
        + b',"system_fingerprint":'
        + orjson.dumps(FINGERPRINT)
        + b',"x_emulator":'
        + orjson.dumps(dict(EXTRA))
        + b',"choices":'
    )

    def event(choices_json: bytes, tail: bytes = b"") -> bytes:
        return head + choices_json + tail + b"}\n\n"

    def one(
        index: int, delta: dict[str, object], finish: str | None, logprobs: object = None
    ) -> bytes:
        if together and "tool_calls" not in delta:
            delta = {**delta, "tool_calls": None}
        return event(
            orjson.dumps(
                [
                    {
                        "index": index,
                        "delta": delta,
                        "logprobs": logprobs,
                        "finish_reason": finish,
                    }
                ]
            )
        )

    events: list[bytes] = []
    for i, choice in enumerate(choices):
        if choice.tool_name:
            events.append(
                one(
                    i,
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": choice.tool_id,
                                "type": "function",
                                "function": {"name": choice.tool_name, "arguments": ""},
                            }
                        ],
                    },
                    None,
                )
            )
            for piece in split_args(choice.tool_args):
                events.append(
                    one(
                        i,
                        {
                            "tool_calls": [{"index": 0, "function": {"arguments": piece}}],
                        },
                        None,
                    )
                )
        else:
            events.append(one(i, {"role": "assistant", "content": ""}, None))
            if want_logprobs:
                for piece, entry in zip(choice.pieces, _logprobs(choice.pieces, top), strict=True):
                    events.append(one(i, {"content": piece}, None, {"content": [entry]}))
            else:
                # The hot path: the per-word chunk is a fixed template around the piece.
                before = b'[{"index":' + str(i).encode() + b',"delta":{"content":'
                after = b'},"logprobs":null,"finish_reason":null}]}\n\n'
                if together:
                    after = b',"tool_calls":null' + after
                events.extend(
                    head + before + orjson.dumps(piece) + after for piece in choice.pieces
                )
        events.append(one(i, {}, choice.finish))
    if include_usage:
        events.append(event(b"[]", b',"usage":' + orjson.dumps(usage)))
    events.append(DONE_LINE)
    return SseAnswer(events, b"data: ", (("retry-after", "2"),) if together else ())
