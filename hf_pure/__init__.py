"""hf_pure: a functional-core client for the Hugging Face inference APIs.

Requests are frozen values built by pure functions and refined with ``toolz.pipe``; one
aiohttp runner sends them; every outcome is a ``returns`` ``Result``::

    import hf_pure as hf
    from toolz import pipe
    from returns.result import Success, Failure

    request = pipe(hf.chat("meta-llama/Llama-3.1-8B-Instruct", [hf.user("Hi")]),
                   hf.temperature(0.2), hf.max_tokens(64))
    async with hf.open_runner() as runner:
        match await runner.run(request):
            case Success(answer): print(answer.text)
            case Failure(error): print(error.message)
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    # What type checkers see: every name of _EXPORTS, as an explicit re-export
    # (tests/test_exports.py checks that this block and the table agree).
    from returns.result import Failure as Failure, Result as Result, Success as Success
    from hf_pure._version import __version__ as __version__
    from hf_pure.core.codec import dumps as _dumps, loads as _loads
    from hf_pure.core.config import (
        ClientConfig as ClientConfig, Limits as Limits, make_config as make_config,
    )
    from hf_pure.core.errors import (
        BadRequest as BadRequest, CircuitOpen as CircuitOpen, ConfigError as ConfigError,
        ConnectionFailed as ConnectionFailed, ErrorEvent as ErrorEvent,
        GenerationFailed as GenerationFailed,
        HfError as HfError, HfErrorBase as HfErrorBase, HfException as HfException,
        InvalidInput as InvalidInput, is_retryable as is_retryable,
        MalformedResponse as MalformedResponse, MissingToken as MissingToken,
        ModelLoading as ModelLoading, NoHealthyEndpoint as NoHealthyEndpoint, NotFound as NotFound,
        Overloaded as Overloaded, RateLimited as RateLimited,
        RateLimitedLocally as RateLimitedLocally, server_wait as server_wait,
        ServerError as ServerError, StreamInterrupted as StreamInterrupted, Timeout as Timeout,
        Unauthorized as Unauthorized,
    )
    from hf_pure.core.failures import (
        error_from_reply as error_from_reply, retry_after_seconds as retry_after_seconds,
    )
    from hf_pure.core.http import HttpCall as HttpCall, raw_reply as raw_reply, RawReply as RawReply
    from hf_pure.core.request import (
        decode_reply as decode_reply, Request as Request, StreamCodec as StreamCodec,
        StreamingRequest as StreamingRequest,
    )
    from hf_pure.core.secret import Secret as Secret
    from hf_pure.core.sse import SseEvent as SseEvent
    from hf_pure.shell.runner import open_runner as open_runner, Runner as Runner, Stream as Stream
    from hf_pure.tasks.chat import chat as chat, ChatRequest as ChatRequest
    from hf_pure.tasks.options import Unsendable as Unsendable
    from hf_pure.tasks.chat_reply import (
        ChatCompletion as ChatCompletion, Choice as Choice, Usage as Usage,
    )
    from hf_pure.tasks.messages import (
        assistant as assistant, developer as developer, image_part as image_part,
        image_url as image_url, ImagePart as ImagePart, Message as Message, system as system,
        text_part as text_part, TextPart as TextPart, Tool as Tool, tool as tool,
        tool_result as tool_result, ToolCall as ToolCall, user as user,
    )
    from hf_pure.tasks.modifiers import (
        add_messages as add_messages, cacheable as cacheable, details as details,
        do_sample as do_sample, extra_body as extra_body, frequency_penalty as frequency_penalty,
        json_mode as json_mode, json_schema as json_schema, logit_bias as logit_bias,
        logprobs as logprobs, max_tokens as max_tokens, n as n, option as option,
        presence_penalty as presence_penalty, provider as provider,
        repetition_penalty as repetition_penalty, response_format as response_format,
        return_full_text as return_full_text, seed as seed, stop as stop,
        stream_usage as stream_usage, streaming as streaming, system_prompt as system_prompt,
        temperature as temperature, tool_choice as tool_choice, tools as tools, top_k as top_k,
        top_p as top_p, truncate as truncate, via as via, with_messages as with_messages,
    )
    from hf_pure.tasks.chat_stream import (
        assemble_chat as assemble_chat, ChatChunk as ChatChunk, ChunkChoice as ChunkChoice,
        Delta as Delta, ToolCallDelta as ToolCallDelta,
    )
    from hf_pure.tasks.text_generation import (
        GenerationDetails as GenerationDetails, text_generation as text_generation,
        TextGeneration as TextGeneration,
        TextGenerationChunk as TextGenerationChunk, TextGenerationRequest as TextGenerationRequest,
        Token as Token,
    )
    from hf_pure.core.serial import from_plain as from_plain, to_plain as to_plain
    from hf_pure.reliability.policy import (
        adapt as adapt, admit as admit, Admitted as Admitted, BreakerKey as BreakerKey, Hit as Hit,
        Policy as Policy, policy_start as policy_start, record as record, record_hit as record_hit,
        Drawn as Drawn, Recorded as Recorded, Reject as Reject, release as release,
        Released as Released,
        ReliabilityState as ReliabilityState, replay as replay, Send as Send, Serve as Serve,
        Wait as Wait,
    )
    from hf_pure.reliability.breaker import (
        BreakerConfig as BreakerConfig, BreakerEffect as BreakerEffect, BreakerMode as BreakerMode,
        BreakerState as BreakerState,
    )
    from hf_pure.reliability.bucket import BucketConfig as BucketConfig, BucketState as BucketState
    from hf_pure.reliability.cache import (
        CacheConfig as CacheConfig, CacheState as CacheState, CacheStats as CacheStats,
    )
    from hf_pure.reliability.retry import (
        AGGRESSIVE as AGGRESSIVE, CONSERVATIVE as CONSERVATIVE, GiveUp as GiveUp,
        NO_RETRY as NO_RETRY, retry_delay as retry_delay, RetryPolicy as RetryPolicy,
    )
    from hf_pure.reliability.failover import (
        Endpoint as Endpoint, FailoverConfig as FailoverConfig, Strategy as Strategy,
    )
    from hf_pure.reliability.health import (
        HealthConfig as HealthConfig, Probe as Probe, ProbeKind as ProbeKind,
    )
    from hf_pure.reliability.metrics import (
        bytes_per_second as bytes_per_second, error_rate as error_rate, Metrics as Metrics,
        quantiles as quantiles, requests_per_second as requests_per_second,
        to_prometheus as to_prometheus,
    )
    from hf_pure.reliability.settings import Settings as Settings
    from hf_pure.reliability.rand import Rng as Rng
    from hf_pure.shell.reliable import (
        ReliableRunner as ReliableRunner, ReliableStream as ReliableStream,
        run_reliably as run_reliably,
    )
    from hf_pure.shell.health_loop import (
        health_monitor as health_monitor, HealthChange as HealthChange,
        HealthMonitor as HealthMonitor,
    )
    from hf_pure.shell.sync import (
        open_sync_runner as open_sync_runner, SyncRunner as SyncRunner, SyncStream as SyncStream,
    )
    from hf_pure.shell.sync_reliable import (
        sync_health_monitor as sync_health_monitor, SyncHealthMonitor as SyncHealthMonitor,
        SyncReliableRunner as SyncReliableRunner,
    )
    from hf_pure.tasks.curl import as_curl as as_curl
    from hf_pure.tasks.tokens import (
        count_text as count_text, estimate_tokens as estimate_tokens, fits as fits,
        TokenFit as TokenFit, TokenStrategy as TokenStrategy,
    )
    from hf_pure.emulated import (
        emulated_runner as emulated_runner, emulated_sync_runner as emulated_sync_runner,
        runner_for as runner_for,
    )
    from toolz import pipe as pipe

    json_dumps = _dumps  # renamed on the way out (an alias is no re-export for mypy)
    json_loads = _loads

# The public names, one line each: name -> the module it comes from ("module:attr" when the
# name there differs). Names from a module in _EAGER are bound by ``import hf_pure``; the rest
# on first use (PEP 562 ``__getattr__``), so importing hf_pure pays only for what a program
# touches. ``__all__`` and ``dir(hf_pure)`` come from this table.
_EXPORTS: Final = MappingProxyType(
    {
        "Failure": "returns.result",
        "Result": "returns.result",
        "Success": "returns.result",
        "__version__": "hf_pure._version",
        "json_dumps": "hf_pure.core.codec:dumps",
        "json_loads": "hf_pure.core.codec:loads",
        "ClientConfig": "hf_pure.core.config",
        "Limits": "hf_pure.core.config",
        "make_config": "hf_pure.core.config",
        "BadRequest": "hf_pure.core.errors",
        "CircuitOpen": "hf_pure.core.errors",
        "ConfigError": "hf_pure.core.errors",
        "ConnectionFailed": "hf_pure.core.errors",
        "ErrorEvent": "hf_pure.core.errors",
        "GenerationFailed": "hf_pure.core.errors",
        "HfError": "hf_pure.core.errors",
        "HfErrorBase": "hf_pure.core.errors",
        "HfException": "hf_pure.core.errors",
        "InvalidInput": "hf_pure.core.errors",
        "is_retryable": "hf_pure.core.errors",
        "MalformedResponse": "hf_pure.core.errors",
        "MissingToken": "hf_pure.core.errors",
        "ModelLoading": "hf_pure.core.errors",
        "NoHealthyEndpoint": "hf_pure.core.errors",
        "NotFound": "hf_pure.core.errors",
        "Overloaded": "hf_pure.core.errors",
        "RateLimited": "hf_pure.core.errors",
        "RateLimitedLocally": "hf_pure.core.errors",
        "server_wait": "hf_pure.core.errors",
        "ServerError": "hf_pure.core.errors",
        "StreamInterrupted": "hf_pure.core.errors",
        "Timeout": "hf_pure.core.errors",
        "Unauthorized": "hf_pure.core.errors",
        "error_from_reply": "hf_pure.core.failures",
        "retry_after_seconds": "hf_pure.core.failures",
        "HttpCall": "hf_pure.core.http",
        "raw_reply": "hf_pure.core.http",
        "RawReply": "hf_pure.core.http",
        "decode_reply": "hf_pure.core.request",
        "Request": "hf_pure.core.request",
        "StreamCodec": "hf_pure.core.request",
        "StreamingRequest": "hf_pure.core.request",
        "Secret": "hf_pure.core.secret",
        "SseEvent": "hf_pure.core.sse",
        "open_runner": "hf_pure.shell.runner",
        "Runner": "hf_pure.shell.runner",
        "Stream": "hf_pure.shell.runner",
        "chat": "hf_pure.tasks.chat",
        "ChatRequest": "hf_pure.tasks.chat",
        "Unsendable": "hf_pure.tasks.options",
        "ChatCompletion": "hf_pure.tasks.chat_reply",
        "Choice": "hf_pure.tasks.chat_reply",
        "Usage": "hf_pure.tasks.chat_reply",
        "assistant": "hf_pure.tasks.messages",
        "developer": "hf_pure.tasks.messages",
        "image_part": "hf_pure.tasks.messages",
        "image_url": "hf_pure.tasks.messages",
        "ImagePart": "hf_pure.tasks.messages",
        "Message": "hf_pure.tasks.messages",
        "system": "hf_pure.tasks.messages",
        "text_part": "hf_pure.tasks.messages",
        "TextPart": "hf_pure.tasks.messages",
        "Tool": "hf_pure.tasks.messages",
        "tool": "hf_pure.tasks.messages",
        "tool_result": "hf_pure.tasks.messages",
        "ToolCall": "hf_pure.tasks.messages",
        "user": "hf_pure.tasks.messages",
        "add_messages": "hf_pure.tasks.modifiers",
        "cacheable": "hf_pure.tasks.modifiers",
        "details": "hf_pure.tasks.modifiers",
        "do_sample": "hf_pure.tasks.modifiers",
        "extra_body": "hf_pure.tasks.modifiers",
        "frequency_penalty": "hf_pure.tasks.modifiers",
        "json_mode": "hf_pure.tasks.modifiers",
        "json_schema": "hf_pure.tasks.modifiers",
        "logit_bias": "hf_pure.tasks.modifiers",
        "logprobs": "hf_pure.tasks.modifiers",
        "max_tokens": "hf_pure.tasks.modifiers",
        "n": "hf_pure.tasks.modifiers",
        "option": "hf_pure.tasks.modifiers",
        "presence_penalty": "hf_pure.tasks.modifiers",
        "provider": "hf_pure.tasks.modifiers",
        "repetition_penalty": "hf_pure.tasks.modifiers",
        "response_format": "hf_pure.tasks.modifiers",
        "return_full_text": "hf_pure.tasks.modifiers",
        "seed": "hf_pure.tasks.modifiers",
        "stop": "hf_pure.tasks.modifiers",
        "stream_usage": "hf_pure.tasks.modifiers",
        "streaming": "hf_pure.tasks.modifiers",
        "system_prompt": "hf_pure.tasks.modifiers",
        "temperature": "hf_pure.tasks.modifiers",
        "tool_choice": "hf_pure.tasks.modifiers",
        "tools": "hf_pure.tasks.modifiers",
        "top_k": "hf_pure.tasks.modifiers",
        "top_p": "hf_pure.tasks.modifiers",
        "truncate": "hf_pure.tasks.modifiers",
        "via": "hf_pure.tasks.modifiers",
        "with_messages": "hf_pure.tasks.modifiers",
        "assemble_chat": "hf_pure.tasks.chat_stream",
        "ChatChunk": "hf_pure.tasks.chat_stream",
        "ChunkChoice": "hf_pure.tasks.chat_stream",
        "Delta": "hf_pure.tasks.chat_stream",
        "ToolCallDelta": "hf_pure.tasks.chat_stream",
        "GenerationDetails": "hf_pure.tasks.text_generation",
        "text_generation": "hf_pure.tasks.text_generation",
        "TextGeneration": "hf_pure.tasks.text_generation",
        "TextGenerationChunk": "hf_pure.tasks.text_generation",
        "TextGenerationRequest": "hf_pure.tasks.text_generation",
        "Token": "hf_pure.tasks.text_generation",
        "from_plain": "hf_pure.core.serial",
        "to_plain": "hf_pure.core.serial",
        "adapt": "hf_pure.reliability.policy",
        "admit": "hf_pure.reliability.policy",
        "Admitted": "hf_pure.reliability.policy",
        "BreakerKey": "hf_pure.reliability.policy",
        "Hit": "hf_pure.reliability.policy",
        "Policy": "hf_pure.reliability.policy",
        "policy_start": "hf_pure.reliability.policy",
        "record": "hf_pure.reliability.policy",
        "record_hit": "hf_pure.reliability.policy",
        "Drawn": "hf_pure.reliability.policy",
        "Recorded": "hf_pure.reliability.policy",
        "Released": "hf_pure.reliability.policy",
        "Reject": "hf_pure.reliability.policy",
        "release": "hf_pure.reliability.policy",
        "ReliabilityState": "hf_pure.reliability.policy",
        "replay": "hf_pure.reliability.policy",
        "Send": "hf_pure.reliability.policy",
        "Serve": "hf_pure.reliability.policy",
        "Wait": "hf_pure.reliability.policy",
        "BreakerConfig": "hf_pure.reliability.breaker",
        "BreakerMode": "hf_pure.reliability.breaker",
        "BreakerEffect": "hf_pure.reliability.breaker",
        "BreakerState": "hf_pure.reliability.breaker",
        "BucketConfig": "hf_pure.reliability.bucket",
        "BucketState": "hf_pure.reliability.bucket",
        "CacheConfig": "hf_pure.reliability.cache",
        "CacheState": "hf_pure.reliability.cache",
        "CacheStats": "hf_pure.reliability.cache",
        "AGGRESSIVE": "hf_pure.reliability.retry",
        "CONSERVATIVE": "hf_pure.reliability.retry",
        "GiveUp": "hf_pure.reliability.retry",
        "NO_RETRY": "hf_pure.reliability.retry",
        "retry_delay": "hf_pure.reliability.retry",
        "RetryPolicy": "hf_pure.reliability.retry",
        "Endpoint": "hf_pure.reliability.failover",
        "FailoverConfig": "hf_pure.reliability.failover",
        "Strategy": "hf_pure.reliability.failover",
        "HealthConfig": "hf_pure.reliability.health",
        "Probe": "hf_pure.reliability.health",
        "ProbeKind": "hf_pure.reliability.health",
        "bytes_per_second": "hf_pure.reliability.metrics",
        "error_rate": "hf_pure.reliability.metrics",
        "Metrics": "hf_pure.reliability.metrics",
        "quantiles": "hf_pure.reliability.metrics",
        "requests_per_second": "hf_pure.reliability.metrics",
        "to_prometheus": "hf_pure.reliability.metrics",
        "Settings": "hf_pure.reliability.settings",
        "Rng": "hf_pure.reliability.rand",
        "ReliableRunner": "hf_pure.shell.reliable",
        "ReliableStream": "hf_pure.shell.reliable",
        "run_reliably": "hf_pure.shell.reliable",
        "health_monitor": "hf_pure.shell.health_loop",
        "HealthChange": "hf_pure.shell.health_loop",
        "HealthMonitor": "hf_pure.shell.health_loop",
        "open_sync_runner": "hf_pure.shell.sync",
        "SyncRunner": "hf_pure.shell.sync",
        "SyncStream": "hf_pure.shell.sync",
        "sync_health_monitor": "hf_pure.shell.sync_reliable",
        "SyncHealthMonitor": "hf_pure.shell.sync_reliable",
        "SyncReliableRunner": "hf_pure.shell.sync_reliable",
        "as_curl": "hf_pure.tasks.curl",
        "count_text": "hf_pure.tasks.tokens",
        "estimate_tokens": "hf_pure.tasks.tokens",
        "fits": "hf_pure.tasks.tokens",
        "TokenFit": "hf_pure.tasks.tokens",
        "TokenStrategy": "hf_pure.tasks.tokens",
        "emulated_runner": "hf_pure.emulated",
        "emulated_sync_runner": "hf_pure.emulated",
        "runner_for": "hf_pure.emulated",
        "pipe": "toolz",
    }
)

# The modules whose names are bound at import (core, chat and the runner).
_EAGER: Final = frozenset(
    {
        "returns.result",
        "hf_pure._version",
        "hf_pure.core.codec",
        "hf_pure.core.config",
        "hf_pure.core.errors",
        "hf_pure.core.failures",
        "hf_pure.core.http",
        "hf_pure.core.request",
        "hf_pure.core.secret",
        "hf_pure.core.sse",
        "hf_pure.shell.runner",
        "hf_pure.tasks.chat",
        "hf_pure.tasks.chat_reply",
        "hf_pure.tasks.messages",
        "hf_pure.tasks.modifiers",
        "hf_pure.tasks.options",  # loaded by chat anyway
    }
)


def _resolve(name: str) -> Any:
    module, _, attr = _EXPORTS[name].partition(":")
    return getattr(importlib.import_module(module), attr or name)


globals().update(
    {name: _resolve(name) for name, ref in _EXPORTS.items() if ref.partition(":")[0] in _EAGER}
)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hf_pure' has no attribute {name!r}")
    value = _resolve(name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


def validate(request: Request[object], limits: Limits | None = None) -> Result[None, InvalidInput]:
    """Check a request before sending it: ``Success(None)`` or ``Failure(InvalidInput)``."""
    # Limits, Success and Failure are bound above, from the table (their modules are eager).
    problem = request.check(limits or Limits())
    return Success(None) if problem is None else Failure(problem)


__all__ = (*_EXPORTS, "validate")  # noqa: PLE0604
