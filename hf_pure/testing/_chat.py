"""OpenAI-compatible chat completions, emulated (JSON and SSE)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from . import _json as orjson  # msgspec underneath
from ._answers import (
    Answer,
    Invalid,
    JsonAnswer,
    SseAnswer,
    error,
    opt_bool,
    opt_int,
    opt_number,
    opt_stops,
    parse_object,
    validation_error,
)
from ._catalog import ModelCard
from ._text import VOCAB, count_words, logprob_of, pick_words, schema_example

__all__ = ["CREATED", "FINGERPRINT", "chat_answer", "resolve_chat_model"]

CREATED = 1_700_000_000
FINGERPRINT = "fp_emulator_1"
EXTRA: dict[str, object] = {"version": 1}
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
ROUTING_SUFFIXES = frozenset({"fastest", "cheapest"})
DONE = b"data: [DONE]\n\n"
_VOCAB_INDEX = {w: i for i, w in enumerate(VOCAB)}
_MAX_QUOTED_WORDS = 12
_MAX_QUOTED_CHARS = 200


class _Prompt:
    """What the reply is derived from."""

    __slots__ = ("images", "last_role", "prompt_words", "text", "tool_text")

    def __init__(self) -> None:
        self.text = ""
        self.images: list[int] = []
        self.last_role = ""
        self.tool_text = ""
        self.prompt_words = 0


def _image_size(url: object, where: str) -> int:
    """Byte size of a ``data:`` URL image; -1 for a remote URL."""
    if not isinstance(url, str) or not url:
        raise Invalid(f"{where}.image_url.url must be a non-empty string")
    if not url.startswith("data:"):
        return -1
    head, sep, payload = url.partition(",")
    if not sep:
        raise Invalid(f"{where}.image_url.url is not a valid data URL")
    if head.endswith(";base64"):
        try:
            return len(base64.b64decode(payload, validate=True))
        except (binascii.Error, ValueError):
            raise Invalid(f"{where}.image_url.url has invalid base64 data") from None
    return len(unquote_to_bytes(payload))


def _content(content: object, where: str) -> tuple[str, list[int]]:
    """Text and image sizes of one message content (a string or a list of parts)."""
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        raise Invalid(f"{where}.content must be a string or a list of content parts")
    texts: list[str] = []
    images: list[int] = []
    for j, part in enumerate(content):
        here = f"{where}.content[{j}]"
        if not isinstance(part, dict):
            raise Invalid(f"{here} must be an object")
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if not isinstance(text, str):
                raise Invalid(f"{here}.text must be a string")
            texts.append(text)
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            images.append(_image_size(url, here))
        else:
            raise Invalid(f"{here}.type must be 'text' or 'image_url', got {kind!r}")
    return " ".join(texts), images


def _prompt(messages: object) -> _Prompt:
    if messages is None:
        raise Invalid("`messages` is required")
    if not isinstance(messages, list) or not messages:
        raise Invalid("`messages` must be a non-empty list")
    prompt = _Prompt()
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise Invalid(f"{where} must be an object")
        role = message.get("role")
        if role not in ROLES:
            raise Invalid(
                f"{where}.role must be one of system, developer, user, assistant, tool; "
                f"got {role!r}"
            )
        text, images = _content(message.get("content"), where)
        prompt.prompt_words += count_words(text)
        prompt.last_role = str(role)
        if role == "user":
            prompt.text = text
            prompt.images = images
        elif role == "tool":
            prompt.tool_text = text
    return prompt


class _Tool:
    __slots__ = ("name", "parameters")

    def __init__(self, name: str, parameters: object) -> None:
        self.name = name
        self.parameters = parameters


def _tools(data: dict[str, object]) -> tuple[list[_Tool], _Tool | None]:
    """The declared tools and the one to call (None: answer with text)."""
    raw = data.get("tools")
    if raw is None:
        tools: list[_Tool] = []
    else:
        if not isinstance(raw, list):
            raise Invalid("`tools` must be a list")
        tools = []
        for i, tool in enumerate(raw):
            function = tool.get("function") if isinstance(tool, dict) else None
            if (
                not isinstance(tool, dict)
                or tool.get("type", "function") != "function"
                or (not isinstance(function, dict))
            ):
                raise Invalid(f"tools[{i}] must be {{'type': 'function', 'function': {{...}}}}")
            name = function.get("name")
            if not isinstance(name, str) or not name:
                raise Invalid(f"tools[{i}].function.name must be a non-empty string")
            tools.append(_Tool(name, function.get("parameters")))
    choice = data.get("tool_choice")
    if choice is None or choice in ("auto", "required"):
        return tools, (tools[0] if tools else None)
    if choice == "none":
        return tools, None
    if isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        for tool in tools:
            if tool.name == name:
                return tools, tool
        raise Invalid(f"`tool_choice` names a tool that is not in `tools`: {name!r}")
    raise Invalid("`tool_choice` must be 'none', 'auto', 'required' or a function object")


def _response_format(data: dict[str, object]) -> tuple[str, object]:
    raw = data.get("response_format")
    if raw is None:
        return "text", None
    if not isinstance(raw, dict) or raw.get("type") not in ("text", "json_object", "json_schema"):
        raise Invalid("`response_format.type` must be 'text', 'json_object' or 'json_schema'")
    kind = str(raw["type"])
    if kind == "json_schema":
        spec = raw.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return kind, schema
    return kind, None


def resolve_chat_model(
    models: Mapping[str, ModelCard], model: str, path_provider: str | None
) -> ModelCard | JsonAnswer:
    """The card for a ``repo[:provider]`` string, or the 404/400 answer."""
    repo, _, suffix = model.partition(":")
    card = models.get(repo)
    if card is None:
        return error(404, f"Model {repo} does not exist")
    if not card.is_chat:
        return error(
            400,
            f"Model {repo} is not a chat model (pipeline_tag: {card.pipeline_tag}); "
            "use the task endpoint instead",
        )
    for provider in (suffix, path_provider):
        if provider and provider not in ROUTING_SUFFIXES and card.mapping(provider) is None:
            available = ", ".join(card.provider_names) or "none"
            return error(
                400,
                f"Provider '{provider}' is not available for model {repo} "
                f"(available: {available}; or use :fastest / :cheapest)",
            )
    return card


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


def _split_args(args: str) -> list[str]:
    """Tool-call arguments in 2 or 3 pieces."""
    if len(args) < 3:
        return [args[:1], args[1:]]
    third = len(args) // 3
    return [args[:third], args[third : 2 * third], args[2 * third :]]


class _Choice:
    __slots__ = ("finish", "pieces", "tool_args", "tool_id", "tool_name")

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.finish = "stop"
        self.tool_name = ""
        self.tool_id = ""
        self.tool_args = ""


def _choice(
    *,
    index: int,
    prompt: _Prompt,
    key: bytes,
    tool: _Tool | None,
    limit: int | None,
    stops: tuple[str, ...],
    fmt: tuple[str, object],
    reply_tokens: int,
) -> _Choice:
    out = _Choice()
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
        value = schema_example(schema) if isinstance(schema, dict) else {}
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


def chat_answer(
    body: bytes,
    *,
    models: Mapping[str, ModelCard],
    path_model: ModelCard | None,
    path_provider: str | None,
    reply_id: str,
    reply_tokens: int,
) -> Answer:
    data = parse_object(body)
    if isinstance(data, JsonAnswer):
        return data
    if path_model is None:
        model = data.get("model")
        if not isinstance(model, str) or not model:
            return validation_error("`model` is required and must be a non-empty string")
        resolved = resolve_chat_model(models, model, path_provider)
        if isinstance(resolved, JsonAnswer):
            return resolved
        card = resolved
    else:
        card = path_model
    try:
        prompt = _prompt(data.get("messages"))
        opt_number(data, "temperature", 0.0, 2.0)
        opt_number(data, "top_p", 0.0, 1.0)
        opt_number(data, "presence_penalty", -2.0, 2.0)
        opt_number(data, "frequency_penalty", -2.0, 2.0)
        limit = opt_int(data, "max_tokens", 1)
        if limit is None:
            limit = opt_int(data, "max_completion_tokens", 1)
        n = opt_int(data, "n", 1, 16) or 1
        seed = opt_int(data, "seed", -(2**63))
        stops = opt_stops(data, "stop")
        want_logprobs = bool(opt_bool(data, "logprobs"))
        top = opt_int(data, "top_logprobs", 0, 20) or 0
        stream = bool(opt_bool(data, "stream"))
        options = data.get("stream_options")
        if options is not None and not isinstance(options, dict):
            raise Invalid("`stream_options` must be an object")
        include_usage = bool(options.get("include_usage")) if options else False
        _, tool = _tools(data)
        fmt = _response_format(data)
    except Invalid as exc:
        return validation_error(exc.message)

    key = f"{prompt.text}\x00{prompt.tool_text}\x00{seed}\x00".encode()
    choices = [
        _choice(
            index=i,
            prompt=prompt,
            key=key,
            tool=tool,
            limit=limit,
            stops=stops,
            fmt=fmt,
            reply_tokens=reply_tokens,
        )
        for i in range(n)
    ]
    completion = sum(
        len(c.pieces) if not c.tool_name else 1 + len(_split_args(c.tool_args)) for c in choices
    )
    usage = {
        "prompt_tokens": prompt.prompt_words,
        "completion_tokens": completion,
        "total_tokens": prompt.prompt_words + completion,
    }
    if stream:
        return _stream(
            model=card.id,
            reply_id=reply_id,
            choices=choices,
            usage=usage,
            include_usage=include_usage,
            want_logprobs=want_logprobs,
            top=top,
        )
    reply = {
        "id": reply_id,
        "object": "chat.completion",
        "created": CREATED,
        "model": card.id,
        "system_fingerprint": FINGERPRINT,
        "choices": [_message(i, c, want_logprobs, top) for i, c in enumerate(choices)],
        "usage": usage,
        "x_emulator": EXTRA,
    }
    return JsonAnswer(200, orjson.dumps(reply))


def _message(index: int, choice: _Choice, want_logprobs: bool, top: int) -> dict[str, object]:
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


def _stream(
    *,
    model: str,
    reply_id: str,
    choices: list[_Choice],
    usage: dict[str, int],
    include_usage: bool,
    want_logprobs: bool,
    top: int,
) -> SseAnswer:
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
        + orjson.dumps(EXTRA)
        + b',"choices":'
    )

    def event(choices_json: bytes, tail: bytes = b"") -> bytes:
        return head + choices_json + tail + b"}\n\n"

    def one(
        index: int, delta: dict[str, object], finish: str | None, logprobs: object = None
    ) -> bytes:
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
            for piece in _split_args(choice.tool_args):
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
                events.extend(
                    head + before + orjson.dumps(piece) + after for piece in choice.pieces
                )
        events.append(one(i, {}, choice.finish))
    if include_usage:
        events.append(event(b"[]", b',"usage":' + orjson.dumps(usage)))
    events.append(DONE)
    return SseAnswer(events, b"data: ")
