"""A request as a curl command: copy it, paste it into a shell, make the same exchange.

    print(hf.as_curl(request, config).unwrap())

    curl -sS https://router.huggingface.co/v1/chat/completions \\
      -H 'User-Agent: hf_pure/0.1.0' \\
      -H "Authorization: Bearer $HF_TOKEN" \\
      -H 'Accept: application/json' \\
      -H 'Content-Type: application/json' \\
      --data-binary '{"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[...]}'

The URL is the request's path on the configured router or Hub URL, and the headers are the
ones the runner sends (``User-Agent``, ``Authorization``, ``Accept``, ``Content-Type``). The
token is written as ``$HF_TOKEN`` (in double quotes, so the shell puts the variable in),
unless the caller passes it as ``token=Secret(...)`` *and* ``reveal=True``. A streaming
request gets ``-N`` (no buffering: events print as they arrive) and
``Accept: text/event-stream``.

Bodies are exact. A JSON (or other text) body is one single-quoted argument
(``shlex.quote``). A binary body (an image, audio) is written base64-encoded in a here-doc
that ``base64 -d`` decodes into curl's standard input (``--data-binary @-``)::

    base64 -d <<'HF_BODY' | curl -sS https://router.huggingface.co/hf-inference/models/... \\
      -H 'Content-Type: image/png' \\
      --data-binary @-
    iVBORw0KGgoAAAANSUhEUgAA...
    HF_BODY

(``base64`` is GNU coreutils' or macOS's; the here-doc's terminator can't occur in base64
text.) Everything else is quoted with ``shlex.quote``, so the command pastes into bash, zsh or
sh as it is.
"""

from __future__ import annotations

import base64
import shlex
from typing import Any, Final

from returns.result import Failure, Result, Success

from hf_pure.core.config import ClientConfig
from hf_pure.core.errors import InvalidInput
from hf_pure.core.http import HttpCall
from hf_pure.core.request import Request
from hf_pure.core.secret import Secret

__all__ = ["TOKEN_VARIABLE", "as_curl"]

#: The shell variable the command reads the token from.
TOKEN_VARIABLE: Final = "HF_TOKEN"

#: The here-doc terminator of a binary body (not a base64 word, so it can't end it early).
BODY_END: Final = "HF_BODY"

_BASE64_LINE: Final = 76  # characters per line of a binary body, as base64(1) writes them
_TEXT_TYPES: Final = ("application/json", "text/")
_GLOB: Final = frozenset("[]{}")  # curl's URL globbing characters (need --globoff)


def _call_of(request: Request[Any], stream: bool | None) -> HttpCall:
    wanted = getattr(request, "stream", False) if stream is None else stream
    if not wanted:
        return request.to_call()
    to_stream_call = getattr(request, "to_stream_call", None)
    if to_stream_call is None:
        raise TypeError(f"as_curl(stream=True): a {type(request).__name__} can't be streamed")
    call: HttpCall = to_stream_call()
    return call


def _text_body(call: HttpCall) -> str | None:
    """The body as one shell argument's text, when that is exact; None for binary."""
    body, kind = call.body, call.content_type or ""
    if body is None or not kind.startswith(_TEXT_TYPES):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text or text.startswith("@"):  # argv can't hold NUL; '@' names a file
        return None
    return text


def _method_flags(call: HttpCall) -> list[str]:
    if call.method == "HEAD":
        return ["--head"]
    implied = "POST" if call.body is not None else "GET"
    return [] if call.method == implied else ["-X", shlex.quote(call.method)]


def as_curl(
    request: Request[Any],
    config: ClientConfig | None = None,
    *,
    token: Secret | None = None,
    reveal: bool = False,
    stream: bool | None = None,
    multiline: bool = True,
) -> Result[str, InvalidInput]:
    """The curl command that makes ``request``'s exchange, or the request's ``InvalidInput``
    (it is checked first, with ``config.limits``, as the runner would).

    ``config`` gives the base URLs and the User-Agent (default: ``ClientConfig()``, the real
    service); its token is never written. The Authorization header reads ``$HF_TOKEN``
    unless ``token`` is given and ``reveal`` is True. ``stream`` None follows the request
    (``hf.streaming()``), True renders its streaming call. ``multiline`` puts each option on
    its own line, ended by `` \\``; False gives one line.
    """
    if config is None:
        config = ClientConfig()
    elif not isinstance(config, ClientConfig):
        raise TypeError(f"as_curl(config=...) must be a ClientConfig, got {type(config).__name__}")
    if token is not None and not isinstance(token, Secret):
        raise TypeError(
            f"as_curl(token=...) must be a Secret (hf.Secret(...)), got {type(token).__name__}"
        )
    if not isinstance(reveal, bool):
        raise TypeError(f"as_curl(reveal=...) must be a bool, got {type(reveal).__name__}")
    if reveal and token is None:
        raise ValueError("as_curl(reveal=True) needs the token to write: pass token=Secret(...)")
    if stream is not None and not isinstance(stream, bool):
        raise TypeError(f"as_curl(stream=...) must be a bool or None, got {type(stream).__name__}")
    problem = request.check(config.limits)
    if problem is not None:
        return Failure(problem)
    call = _call_of(request, stream)
    url = call.url(config.base_url(call.base))

    head = ["curl", "-sS"]
    if call.stream:
        head.append("-N")
    if _GLOB & set(url):
        head.append("--globoff")
    head.append(shlex.quote(url))
    options: list[str] = [*_method_flags(call)]
    if call.timeout is not None and not call.stream:
        options.append(f"--max-time {call.timeout:g}")
    options.append("-H " + shlex.quote(f"User-Agent: {config.user_agent}"))
    if reveal and token is not None:
        options.append("-H " + shlex.quote(f"Authorization: Bearer {token.reveal()}"))
    else:
        options.append(f'-H "Authorization: Bearer ${TOKEN_VARIABLE}"')
    accept = "text/event-stream" if call.stream else "application/json"
    options.append("-H " + shlex.quote(f"Accept: {accept}"))
    if call.content_type:
        options.append("-H " + shlex.quote(f"Content-Type: {call.content_type}"))

    here_doc = ""
    if call.body is not None:
        text = _text_body(call)
        if text is not None:
            options.append("--data-binary " + shlex.quote(text))
        else:
            options.append("--data-binary @-")
            encoded = base64.b64encode(call.body).decode("ascii")
            lines = [encoded[i : i + _BASE64_LINE] for i in range(0, len(encoded), _BASE64_LINE)]
            here_doc = "\n".join([*lines, BODY_END])
            head = ["base64", "-d", f"<<'{BODY_END}'", "|", *head]

    glue = " \\\n  " if multiline else " "
    command = " ".join(head) + glue + glue.join(options)
    return Success(f"{command}\n{here_doc}" if here_doc else command)
