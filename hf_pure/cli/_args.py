"""The argument parser: every command, its options and their defaults.

Parsing never exits the process: a bad argument is :class:`~._out.UsageError` (exit code 2,
one line), including a text argument that is not valid UTF-8 and a port out of range. Every
command takes the common options (``--emulator``, ``--json``, ``--token-file``, the base URLs
and ``--timeout``); each task command takes ``--model`` with a default for its task.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, NoReturn

from hf_pure._version import __version__
from hf_pure.core.codec import has_lone_surrogate, surrogate_at
from hf_pure.tasks.models import Models

from ._exit import exit_code_table
from ._out import UsageError

#: The default model of each task command: the crate's constants (``hf.Models``) where there
#: is one, else a model of the emulator's catalogue (hf_pure/testing/_catalog.py).
TASK_MODELS = MappingProxyType(
    {
        "chat": Models.LLAMA_3_1_8B_INSTRUCT,
        "generate": Models.GPT2,
        "embed": Models.ALL_MINILM_L6_V2,
        "similarity": Models.ALL_MINILM_L6_V2,
        "search": Models.ALL_MINILM_L6_V2,
        "classify": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        "summarize": Models.BART_LARGE_CNN,
        "translate": "Helsinki-NLP/opus-mt-en-fr",
        "classify-image": "google/vit-base-patch16-224",
        "detect": "facebook/detr-resnet-50",
        "caption": "Salesforce/blip-image-captioning-large",
        "transcribe": "openai/whisper-large-v3",
        "speak": "facebook/mms-tts-eng",
    }
)

DESCRIPTION = """\
hf-pure: every Hugging Face inference task from the shell.

Each command talks to the real service (token from --token-file, HUGGINGFACE_API_KEY, HF_TOKEN,
secret/-secrets.sh or the huggingface_hub token file) or, with --emulator, to an in-process
emulator (no token, no network). --json prints exactly one JSON document on stdout, errors
included. The token is never printed. Run `hf-pure COMMAND --help` for a command's options.
"""


class Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def text(value: str) -> str:
    """A text argument: valid UTF-8 (Python hands a non-UTF-8 byte over as a lone surrogate)."""
    if has_lone_surrogate(value):
        at = surrogate_at(value)
        byte = ord(value[at]) - 0xDC00 if "\udc80" <= value[at] <= "\udcff" else None
        shown = f"byte 0x{byte:02x}" if byte is not None else "a lone surrogate"
        raise argparse.ArgumentTypeError(f"is not valid UTF-8 text ({shown} at position {at})")
    return value


def port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, got {value!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number in 0..65535, got {number}")
    return number


def _number(kind: Callable[[str], Any], test: Callable[[Any], bool], what: str) -> Any:
    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {value!r}") from None
        if not test(number):
            raise argparse.ArgumentTypeError(f"must be {what}, got {value!r}")
        return number

    parse.__name__ = what
    return parse


positive_int = _number(int, lambda n: n >= 1, "a whole number >= 1")
non_negative_int = _number(int, lambda n: n >= 0, "a whole number >= 0")
positive_float = _number(float, lambda x: 0 < x < float("inf"), "a number of seconds > 0")
any_float = _number(float, math.isfinite, "a number")
unit_float = _number(float, lambda x: 0 <= x <= 1, "a number in [0, 1]")


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("common options")
    g.add_argument(
        "--emulator", action="store_true", help="talk to an in-process emulator (no token)"
    )
    g.add_argument("--json", action="store_true", help="print one JSON document (errors too)")
    g.add_argument("--token-file", metavar="PATH", help="read the token from this file")
    g.add_argument("--router-url", metavar="URL", help="router base URL (default: the real one)")
    g.add_argument("--hub-url", metavar="URL", help="Hub base URL (default: the real one)")
    g.add_argument("--timeout", type=positive_float, metavar="SECONDS", help="per call")


def _model(p: argparse.ArgumentParser, command: str) -> None:
    default = TASK_MODELS[command]
    p.add_argument("--model", "-m", type=text, default=default, help=f"default: {default}")


def _text_in(p: argparse.ArgumentParser, name: str = "text") -> None:
    p.add_argument(name, nargs="?", type=text, help=f"the {name} (default: read from stdin)")


def _sub(sub: Any, name: str, help_text: str, *, model: bool = False) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(command=name)
    if model:
        _model(p, name)
    _common(p)
    return p


def _chat_like(p: argparse.ArgumentParser, *, stream: bool, max_tokens: int) -> None:
    p.add_argument("--max-tokens", type=positive_int, default=max_tokens)
    p.add_argument("--temperature", type=any_float)
    p.add_argument("--seed", type=non_negative_int)
    p.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=stream,
        help=f"print tokens as they arrive (default: {'on' if stream else 'off'})",
    )


def _text_commands(sub: Any) -> None:
    p = _sub(sub, "chat", "chat with a model through the router", model=True)
    p.add_argument("prompt", nargs="?", type=text, help="one question (default: a session)")
    p.add_argument("-i", "--interactive", action="store_true", help="a session, even piped")
    p.add_argument("--system", type=text, help="a system prompt")
    p.add_argument("--provider", type=text, help="pin a provider (groq, together, fastest...)")
    p.add_argument("--top-p", type=unit_float)
    _chat_like(p, stream=True, max_tokens=256)

    p = _sub(sub, "generate", "text generation with a TGI model (hf-inference)", model=True)
    _text_in(p, "prompt")
    _chat_like(p, stream=False, max_tokens=64)

    def batching(p: argparse.ArgumentParser) -> None:
        p.add_argument("--batch-size", type=positive_int, default=32, help="texts per call")
        p.add_argument("--concurrency", type=positive_int, default=4, help="calls at a time")

    def pooling(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--pooling",
            choices=("mean", "max", "cls"),
            default="mean",
            help="one vector per text from a per-token model (default: mean)",
        )

    p = _sub(sub, "embed", "embed texts (arguments, or lines of --file or stdin)", model=True)
    p.add_argument("texts", nargs="*", type=text, metavar="TEXT")
    p.add_argument("--file", "-f", metavar="PATH", help="one text per line ('-': stdin)")
    p.add_argument("--normalize", action="store_true", help="ask for unit vectors")
    pooling(p)
    batching(p)

    p = _sub(sub, "similarity", "score sentences against a source sentence", model=True)
    p.add_argument("source", type=text)
    p.add_argument("sentences", nargs="*", type=text, metavar="SENTENCE")
    p.add_argument("--file", "-f", metavar="PATH", help="one sentence per line ('-': stdin)")

    p = _sub(sub, "search", "the lines of a file nearest to a query (embeddings)", model=True)
    p.add_argument("query", type=text)
    p.add_argument("file", metavar="FILE", help="one text per line ('-': stdin)")
    p.add_argument("-k", "--top-k", type=positive_int, default=5)
    p.add_argument("--metric", choices=("cosine", "dot", "euclidean"), default="cosine")
    pooling(p)
    batching(p)

    p = _sub(sub, "classify", "text classification (sentiment, topics...)", model=True)
    _text_in(p)
    p.add_argument("--top-k", type=positive_int)

    p = _sub(sub, "summarize", "summarize a text", model=True)
    _text_in(p)
    p.add_argument("--min-length", type=positive_int, metavar="TOKENS")
    p.add_argument("--max-length", type=positive_int, metavar="TOKENS")

    p = _sub(sub, "translate", "translate a text", model=True)
    _text_in(p)
    p.add_argument("--src-lang", type=text, help="for multilingual models (en_XX...)")
    p.add_argument("--tgt-lang", type=text)


def _media_commands(sub: Any) -> None:
    p = _sub(sub, "classify-image", "the classes of an image", model=True)
    p.add_argument("image", metavar="IMAGE", help="an image file")
    p.add_argument("--top-k", type=positive_int)

    p = _sub(sub, "detect", "the objects in an image, with their boxes", model=True)
    p.add_argument("image", metavar="IMAGE", help="an image file")
    p.add_argument("--threshold", type=unit_float)

    p = _sub(sub, "caption", "a caption for an image", model=True)
    p.add_argument("image", metavar="IMAGE", help="an image file")
    p.add_argument("--max-new-tokens", type=positive_int)

    p = _sub(sub, "transcribe", "the text spoken in an audio file", model=True)
    p.add_argument("audio", metavar="AUDIO", help="an audio file")
    p.add_argument("--timestamps", action="store_true", help="also the timestamped chunks")

    p = _sub(sub, "speak", "text to speech, saved to a file", model=True)
    _text_in(p)
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="PATH",
        help="where to write (the extension follows the audio's type)",
    )


def _hub_commands(sub: Any) -> None:
    models = sub.add_parser(
        "models",
        help="the Hub: search, info, status, wait",
        description="The Hub's models: search, info, status, wait for one to load.",
    )
    msub = models.add_subparsers(dest="models_command", required=True, metavar="SUBCOMMAND")

    p = _sub(msub, "search", "search the Hub's models")
    p.set_defaults(command="models search")
    p.add_argument("query", nargs="?", type=text, help="text in the model id")
    p.add_argument("--author", type=text)
    p.add_argument("--task", type=text, help="pipeline tag (text-generation...)")
    p.add_argument("--provider", type=text, help="served by this provider ('all': any)")
    p.add_argument("--sort", default="downloads", help="downloads, likes, trendingScore...")
    p.add_argument("--limit", type=positive_int, default=20)

    for name, what in (("info", "what the Hub says about a model"), ("status", "is it served?")):
        p = _sub(msub, name, what)
        p.set_defaults(command=f"models {name}")
        p.add_argument("model", type=text)

    p = _sub(msub, "wait", "wait until a model answers (it may be loading)")
    p.set_defaults(command="models wait")
    p.add_argument("model", type=text)
    p.add_argument("--task", type=text, help="the model's task (default: the Hub's tag)")
    p.add_argument("--deadline", type=positive_float, default=300.0, metavar="SECONDS")
    p.add_argument("--interval", type=positive_float, default=5.0, metavar="SECONDS")
    p.add_argument(
        "--ignore-estimate",
        action="store_true",
        help="poll every --interval even when the server estimates longer",
    )


def _ops_commands(sub: Any) -> None:
    p = _sub(sub, "health", "probe the router and the Hub once")
    p.add_argument("--kind", choices=("ping", "lightweight", "full"), default="ping")
    p.add_argument("--path", default="/", help="the path probed (default: /)")

    p = _sub(sub, "metrics", "run requests through the reliable runner, print its metrics")
    p.add_argument("prompt", nargs="?", type=text, default="Say hello.")
    p.add_argument("-n", "--requests", type=positive_int, default=20)
    p.add_argument("--concurrency", type=positive_int, default=4)
    p.add_argument("--task", choices=("chat", "embed"), default="chat")
    p.add_argument("--model", "-m", type=text, help="default: the task command's")
    p.add_argument("--max-tokens", type=positive_int, default=16)

    _sub(sub, "demo", "a short tour against the in-process emulator")

    p = _sub(sub, "emulator", "serve the loopback emulator until Ctrl+C")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=8765)
    p.add_argument("--token", type=text, help="the token it accepts (or --token-file)")
    p.add_argument("--reply-tokens", type=positive_int, default=24)
    p.add_argument(
        "--events-per-write",
        type=positive_int,
        default=1,
        help="SSE events per write (1: token by token; more: a fast or buffering server)",
    )


def parser() -> Parser:
    top = Parser(
        prog="hf-pure",
        description=DESCRIPTION,
        epilog=exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"hf_pure {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _text_commands(sub)
    _media_commands(sub)
    _hub_commands(sub)
    _ops_commands(sub)
    return top
