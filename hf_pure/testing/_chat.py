"""OpenAI-compatible chat completions, emulated (JSON and SSE): reading the request."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from . import _json as orjson  # msgspec underneath
from ._answers import (
    Answer,
    Invalid,
    JsonAnswer,
    error,
    opt_bool,
    opt_int,
    opt_number,
    opt_stops,
    parse_object,
    validation_error,
)
from ._catalog import ModelCard
from ._chat_reply import (
    CREATED,
    EXTRA,
    FINGERPRINT,
    Prompt,
    Tool,
    build_choice,
    message_json,
    split_args,
    stream_answer,
)
from ._structured import check_format
from ._text import count_words

__all__ = ["CREATED", "FINGERPRINT", "chat_answer", "resolve_chat_model"]

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
ROUTING_SUFFIXES = frozenset({"fastest", "cheapest"})


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


def _prompt(messages: object) -> Prompt:
    if messages is None:
        raise Invalid("`messages` is required")
    if not isinstance(messages, list) or not messages:
        raise Invalid("`messages` must be a non-empty list")
    prompt = Prompt()
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


def _tools(data: dict[str, object]) -> tuple[list[Tool], Tool | None]:
    """The declared tools and the one to call (None: answer with text)."""
    raw = data.get("tools")
    if raw is None:
        tools: list[Tool] = []
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
            tools.append(Tool(name, function.get("parameters")))
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


#: TGI's grammar types (``{"type": ..., "value": ...}``); the emulator answers the JSON ones.
GRAMMAR_TYPES = frozenset({"json", "json_object", "regex"})
OPENAI_FORMATS = frozenset({"text", "json_object", "json_schema"})


def _response_format(data: dict[str, object], *, grammar: bool) -> tuple[str, object]:
    """What to answer in: ("text", None), ("json_object", None) or ("json_schema", schema).

    ``grammar``: the hf-inference route, which takes TGI's grammar form
    ``{"type": "json_object", "value": <schema>}`` and refuses the OpenAI form; the other
    routes take the OpenAI form ``{"type": "json_schema", "json_schema": {"name", "schema"}}``
    and refuse the grammar form (WIRE.md).
    """
    raw = data.get("response_format")
    if raw is None:
        return "text", None
    if not isinstance(raw, dict):
        raise Invalid("`response_format` must be an object")
    if grammar:
        return _grammar(raw)
    if "value" in raw:
        raise Invalid(
            "`response_format.value` is TGI's grammar form, taken by the hf-inference route; "
            'this route takes {"type": "json_schema", "json_schema": {"name", "schema"}}'
        )
    if raw.get("type") not in OPENAI_FORMATS:
        raise Invalid("`response_format.type` must be 'text', 'json_object' or 'json_schema'")
    kind = str(raw["type"])
    if kind == "json_schema":
        spec = raw.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return kind, schema
    return kind, None


def _grammar(raw: dict[str, object]) -> tuple[str, object]:
    kind = raw.get("type")
    if kind not in GRAMMAR_TYPES:
        raise Invalid(
            f"`response_format`: unknown grammar type {kind!r}, expected `json`, "
            "`json_object` or `regex` (this route takes TGI's grammar form "
            '{"type": "json_object", "value": <JSON schema>})'
        )
    if "value" not in raw:
        raise Invalid(
            "`response_format`: missing field `value` (this route takes TGI's grammar form "
            '{"type": "json_object", "value": <JSON schema>})'
        )
    value = raw["value"]
    if kind == "regex":
        raise Invalid("`response_format`: regex grammars are not emulated")
    if not isinstance(value, dict):
        raise Invalid("`response_format.value` must be a JSON schema (an object)")
    return "json_schema", value


def resolve_chat_model(
    models: Mapping[str, ModelCard], model: str, path_provider: str | None
) -> ModelCard | JsonAnswer:
    """The card for a ``repo[:provider]`` string, or the 404/400 answer."""
    repo, _, suffix = model.partition(":")
    card = models.get(repo)
    if card is None and path_provider:  # a provider's route also takes the provider's own id
        card = next(
            (
                c
                for c in models.values()
                if (m := c.mapping(path_provider)) is not None and m.provider_id == model
            ),
            None,
        )
        suffix = "" if card is not None else suffix
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


def chat_answer(
    body: bytes,
    *,
    models: Mapping[str, ModelCard],
    path_model: ModelCard | None,
    path_provider: str | None,
    reply_id: str,
    reply_tokens: int,
    grammar: bool = False,
    allow_stream: bool = True,
) -> Answer:
    """The answer to a chat request. ``grammar``: the route takes TGI's grammar form of
    ``response_format``; ``allow_stream=False`` answers a streaming request with JSON."""
    data = parse_object(body)
    if isinstance(data, JsonAnswer):
        return data
    provider = path_provider
    if path_model is None:
        model = data.get("model")
        if not isinstance(model, str) or not model:
            return validation_error("`model` is required and must be a non-empty string")
        resolved = resolve_chat_model(models, model, path_provider)
        if isinstance(resolved, JsonAnswer):
            return resolved
        card = resolved
        suffix = model.partition(":")[2]
        if provider is None and suffix not in ROUTING_SUFFIXES:
            provider = suffix or None
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
        stream = bool(opt_bool(data, "stream")) and allow_stream
        options = data.get("stream_options")
        if options is not None and not isinstance(options, dict):
            raise Invalid("`stream_options` must be an object")
        include_usage = bool(options.get("include_usage")) if options else False
        _, tool = _tools(data)
        fmt = _response_format(data, grammar=grammar)
        check_format(fmt)
    except Invalid as exc:
        return validation_error(exc.message)

    key = f"{prompt.text}\x00{prompt.tool_text}\x00{seed}\x00".encode()
    choices = [
        build_choice(
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
        len(c.pieces) if not c.tool_name else 1 + len(split_args(c.tool_args)) for c in choices
    )
    usage = {
        "prompt_tokens": prompt.prompt_words,
        "completion_tokens": completion,
        "total_tokens": prompt.prompt_words + completion,
    }
    if stream:
        return stream_answer(
            model=card.id,
            reply_id=reply_id,
            choices=choices,
            usage=usage,
            include_usage=include_usage,
            want_logprobs=want_logprobs,
            top=top,
            shape=provider or "",
        )
    reply = {
        "id": reply_id,
        "object": "chat.completion",
        "created": CREATED,
        "model": card.id,
        "system_fingerprint": FINGERPRINT,
        "choices": [message_json(i, c, want_logprobs, top) for i, c in enumerate(choices)],
        "usage": usage,
        "x_emulator": dict(EXTRA),
    }
    return JsonAnswer(200, orjson.dumps(reply))
