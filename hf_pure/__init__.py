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

from typing import TYPE_CHECKING, Any

from returns.result import Failure, Result, Success

from hf_pure._version import __version__
from hf_pure.core.codec import dumps as json_dumps
from hf_pure.core.codec import loads as json_loads
from hf_pure.core.config import ClientConfig, Limits, make_config
from hf_pure.core.errors import (
    BadRequest,
    CircuitOpen,
    ConfigError,
    ConnectionFailed,
    GenerationFailed,
    HfError,
    HfErrorBase,
    HfException,
    InvalidInput,
    MalformedResponse,
    MissingToken,
    ModelLoading,
    NoHealthyEndpoint,
    NotFound,
    Overloaded,
    RateLimited,
    RateLimitedLocally,
    ServerError,
    StreamInterrupted,
    Timeout,
    Unauthorized,
    is_retryable,
    server_wait,
)
from hf_pure.core.failures import error_from_reply, retry_after_seconds
from hf_pure.core.http import HttpCall, RawReply, raw_reply
from hf_pure.core.request import Request, StreamCodec, StreamingRequest, decode_reply
from hf_pure.core.secret import Secret
from hf_pure.core.sse import SseEvent
from hf_pure.shell.emulated import emulated_runner, runner_for
from hf_pure.shell.runner import Runner, Stream, open_runner
from hf_pure.tasks.chat import ChatRequest, chat
from hf_pure.tasks.chat_reply import ChatCompletion, Choice, Usage
from hf_pure.tasks.messages import (
    ImagePart,
    Message,
    TextPart,
    Tool,
    ToolCall,
    assistant,
    developer,
    image_part,
    image_url,
    system,
    text_part,
    tool,
    tool_result,
    user,
)
from hf_pure.tasks.modifiers import (
    add_messages,
    cacheable,
    details,
    do_sample,
    extra_body,
    frequency_penalty,
    json_mode,
    json_schema,
    logit_bias,
    logprobs,
    max_tokens,
    n,
    option,
    presence_penalty,
    provider,
    repetition_penalty,
    response_format,
    return_full_text,
    seed,
    stop,
    stream_usage,
    streaming,
    system_prompt,
    temperature,
    tool_choice,
    tools,
    top_k,
    top_p,
    truncate,
    via,
    with_messages,
)

if TYPE_CHECKING:
    from toolz import pipe

    from hf_pure.core.serial import (
        from_plain,
        to_plain,
    )
    from hf_pure.reliability.breaker import (
        BreakerConfig,
        BreakerMode,
        BreakerState,
    )
    from hf_pure.reliability.bucket import (
        BucketConfig,
        BucketState,
    )
    from hf_pure.reliability.cache import (
        CacheConfig,
        CacheState,
        CacheStats,
    )
    from hf_pure.reliability.failover import (
        Endpoint,
        FailoverConfig,
        Strategy,
    )
    from hf_pure.reliability.health import (
        HealthConfig,
        Probe,
        ProbeKind,
    )
    from hf_pure.reliability.metrics import (
        Metrics,
        bytes_per_second,
        error_rate,
        quantiles,
        requests_per_second,
        to_prometheus,
    )
    from hf_pure.reliability.policy import (
        Admitted,
        BreakerKey,
        Hit,
        Policy,
        Recorded,
        Reject,
        ReliabilityState,
        Send,
        Serve,
        Wait,
        adapt,
        admit,
        policy_start,
        record,
        record_hit,
        release,
        replay,
    )
    from hf_pure.reliability.rand import (
        Rng,
    )
    from hf_pure.reliability.retry import (
        AGGRESSIVE,
        CONSERVATIVE,
        NO_RETRY,
        GiveUp,
        RetryPolicy,
        retry_delay,
    )
    from hf_pure.reliability.settings import (
        Settings,
    )
    from hf_pure.shell.health_loop import (
        HealthChange,
        HealthMonitor,
        health_monitor,
    )
    from hf_pure.shell.reliable import (
        ReliableRunner,
        run_reliably,
    )
    from hf_pure.tasks.chat_stream import (
        ChatChunk,
        ChunkChoice,
        Delta,
        ToolCallDelta,
        assemble_chat,
    )
    from hf_pure.tasks.text_generation import (
        Details,
        TextGeneration,
        TextGenerationChunk,
        TextGenerationRequest,
        Token,
        text_generation,
    )

# Loaded on first use, so that importing hf_pure pays only for what a program touches.
_LAZY = {
    "pipe": "toolz",
    "Details": "hf_pure.tasks.text_generation",
    "TextGeneration": "hf_pure.tasks.text_generation",
    "TextGenerationChunk": "hf_pure.tasks.text_generation",
    "TextGenerationRequest": "hf_pure.tasks.text_generation",
    "Token": "hf_pure.tasks.text_generation",
    "text_generation": "hf_pure.tasks.text_generation",
    "ChatChunk": "hf_pure.tasks.chat_stream",
    "ChunkChoice": "hf_pure.tasks.chat_stream",
    "Delta": "hf_pure.tasks.chat_stream",
    "ToolCallDelta": "hf_pure.tasks.chat_stream",
    "assemble_chat": "hf_pure.tasks.chat_stream",
    # reliability: loaded when first used (it brings immutables and more classes)
    "Policy": "hf_pure.reliability.policy",
    "ReliabilityState": "hf_pure.reliability.policy",
    "BreakerKey": "hf_pure.reliability.policy",
    "policy_start": "hf_pure.reliability.policy",
    "admit": "hf_pure.reliability.policy",
    "record": "hf_pure.reliability.policy",
    "record_hit": "hf_pure.reliability.policy",
    "release": "hf_pure.reliability.policy",
    "replay": "hf_pure.reliability.policy",
    "adapt": "hf_pure.reliability.policy",
    "Send": "hf_pure.reliability.policy",
    "Serve": "hf_pure.reliability.policy",
    "Wait": "hf_pure.reliability.policy",
    "Reject": "hf_pure.reliability.policy",
    "Admitted": "hf_pure.reliability.policy",
    "Recorded": "hf_pure.reliability.policy",
    "Hit": "hf_pure.reliability.policy",
    "BreakerConfig": "hf_pure.reliability.breaker",
    "BreakerState": "hf_pure.reliability.breaker",
    "BreakerMode": "hf_pure.reliability.breaker",
    "BucketConfig": "hf_pure.reliability.bucket",
    "BucketState": "hf_pure.reliability.bucket",
    "CacheConfig": "hf_pure.reliability.cache",
    "CacheState": "hf_pure.reliability.cache",
    "CacheStats": "hf_pure.reliability.cache",
    "RetryPolicy": "hf_pure.reliability.retry",
    "CONSERVATIVE": "hf_pure.reliability.retry",
    "AGGRESSIVE": "hf_pure.reliability.retry",
    "NO_RETRY": "hf_pure.reliability.retry",
    "retry_delay": "hf_pure.reliability.retry",
    "GiveUp": "hf_pure.reliability.retry",
    "FailoverConfig": "hf_pure.reliability.failover",
    "Endpoint": "hf_pure.reliability.failover",
    "Strategy": "hf_pure.reliability.failover",
    "HealthConfig": "hf_pure.reliability.health",
    "Probe": "hf_pure.reliability.health",
    "ProbeKind": "hf_pure.reliability.health",
    "Metrics": "hf_pure.reliability.metrics",
    "to_prometheus": "hf_pure.reliability.metrics",
    "quantiles": "hf_pure.reliability.metrics",
    "error_rate": "hf_pure.reliability.metrics",
    "requests_per_second": "hf_pure.reliability.metrics",
    "bytes_per_second": "hf_pure.reliability.metrics",
    "Settings": "hf_pure.reliability.settings",
    "Rng": "hf_pure.reliability.rand",
    "to_plain": "hf_pure.core.serial",
    "from_plain": "hf_pure.core.serial",
    "ReliableRunner": "hf_pure.shell.reliable",
    "run_reliably": "hf_pure.shell.reliable",
    "health_monitor": "hf_pure.shell.health_loop",
    "HealthMonitor": "hf_pure.shell.health_loop",
    "HealthChange": "hf_pure.shell.health_loop",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hf_pure' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def validate(
    request: "Request[object]", limits: Limits | None = None
) -> "Result[None, InvalidInput]":
    """Check a request before sending it: ``Success(None)`` or ``Failure(InvalidInput)``."""
    problem = request.check(limits or Limits())
    return Success(None) if problem is None else Failure(problem)


__all__ = [
    "Policy",
    "ReliabilityState",
    "BreakerKey",
    "policy_start",
    "admit",
    "record",
    "record_hit",
    "release",
    "replay",
    "adapt",
    "Send",
    "Serve",
    "Wait",
    "Reject",
    "Admitted",
    "Recorded",
    "Hit",
    "BreakerConfig",
    "BreakerState",
    "BreakerMode",
    "BucketConfig",
    "BucketState",
    "CacheConfig",
    "CacheState",
    "CacheStats",
    "RetryPolicy",
    "CONSERVATIVE",
    "AGGRESSIVE",
    "NO_RETRY",
    "retry_delay",
    "GiveUp",
    "FailoverConfig",
    "Endpoint",
    "Strategy",
    "HealthConfig",
    "Probe",
    "ProbeKind",
    "Metrics",
    "to_prometheus",
    "quantiles",
    "error_rate",
    "requests_per_second",
    "bytes_per_second",
    "Settings",
    "Rng",
    "to_plain",
    "from_plain",
    "ReliableRunner",
    "run_reliably",
    "health_monitor",
    "HealthMonitor",
    "HealthChange",
    "BadRequest",
    "ChatChunk",
    "ChatCompletion",
    "Delta",
    "ChatRequest",
    "Choice",
    "ChunkChoice",
    "CircuitOpen",
    "ConfigError",
    "ClientConfig",
    "ConnectionFailed",
    "Details",
    "Failure",
    "GenerationFailed",
    "HfError",
    "HfErrorBase",
    "HfException",
    "HttpCall",
    "ImagePart",
    "InvalidInput",
    "Limits",
    "MalformedResponse",
    "Message",
    "MissingToken",
    "ModelLoading",
    "NoHealthyEndpoint",
    "NotFound",
    "Overloaded",
    "RateLimited",
    "RateLimitedLocally",
    "RawReply",
    "Request",
    "Result",
    "Runner",
    "Secret",
    "ServerError",
    "SseEvent",
    "Stream",
    "StreamCodec",
    "StreamInterrupted",
    "StreamingRequest",
    "Success",
    "TextGeneration",
    "TextGenerationChunk",
    "TextGenerationRequest",
    "TextPart",
    "Timeout",
    "Token",
    "Tool",
    "ToolCall",
    "ToolCallDelta",
    "Unauthorized",
    "Usage",
    "__version__",
    "add_messages",
    "assemble_chat",
    "assistant",
    "cacheable",
    "chat",
    "decode_reply",
    "details",
    "developer",
    "do_sample",
    "error_from_reply",
    "extra_body",
    "frequency_penalty",
    "image_part",
    "image_url",
    "is_retryable",
    "json_dumps",
    "json_loads",
    "json_mode",
    "json_schema",
    "logit_bias",
    "logprobs",
    "make_config",
    "max_tokens",
    "n",
    "open_runner",
    "runner_for",
    "emulated_runner",
    "option",
    "pipe",
    "presence_penalty",
    "provider",
    "raw_reply",
    "repetition_penalty",
    "response_format",
    "retry_after_seconds",
    "return_full_text",
    "seed",
    "server_wait",
    "stop",
    "stream_usage",
    "streaming",
    "system",
    "system_prompt",
    "temperature",
    "text_generation",
    "text_part",
    "tool",
    "tool_choice",
    "tool_result",
    "tools",
    "top_k",
    "top_p",
    "truncate",
    "user",
    "validate",
    "via",
    "with_messages",
]
