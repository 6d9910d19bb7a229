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
import sys
from typing import TYPE_CHECKING, Any

from hf_pure._exports import _EAGER, _EXPORTS

if TYPE_CHECKING:
    # What type checkers see: every name of _EXPORTS, as an explicit re-export
    # (tests/test_exports.py checks that this block and the table agree).
    from returns.result import Failure as Failure, Result as Result, Success as Success
    from hf_pure._version import __version__ as __version__
    from hf_pure.core.codec import dumps as _dumps, loads as _loads
    from hf_pure.core.config import (
        ClientConfig as ClientConfig, Limits as Limits, make_config as make_config,
    )
    from hf_pure.core.error_base import HfErrorBase as HfErrorBase, InvalidInput as InvalidInput
    from hf_pure.core.errors import (
        BadRequest as BadRequest, CircuitOpen as CircuitOpen, ConfigError as ConfigError,
        ConnectionFailed as ConnectionFailed, ErrorEvent as ErrorEvent,
        GenerationFailed as GenerationFailed,
        HfError as HfError, HfException as HfException, is_retryable as is_retryable,
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
    from hf_pure.shell.runner import open_runner as open_runner, Runner as Runner
    from hf_pure.shell.stream import Stream as Stream
    from hf_pure.shell.stream_control import (
        StreamControl as StreamControl, SyncStreamControl as SyncStreamControl,
    )
    from hf_pure.tasks.chat import chat as chat, ChatRequest as ChatRequest
    from hf_pure.tasks.options import Unsendable as Unsendable
    from hf_pure.tasks.chat_reply import (
        AnswerMessage as AnswerMessage, AnswerToolCall as AnswerToolCall,
        ChatCompletion as ChatCompletion, Choice as Choice, Usage as Usage,
    )
    from hf_pure.core.value import evolve as evolve
    from hf_pure.core.rate_limit import rate_limit_of as rate_limit_of, RateLimit as RateLimit
    from hf_pure.core.reply_info import Replied as Replied, ReplyInfo as ReplyInfo
    from hf_pure.core.wrappers import (
        with_reply_info as with_reply_info, with_timeout as with_timeout,
        WithReplyInfo as WithReplyInfo, WithTimeout as WithTimeout,
    )
    from hf_pure.tasks.messages import (
        assistant as assistant, developer as developer, image_part as image_part,
        image_url as image_url, ImagePart as ImagePart, Message as Message, system as system,
        text_part as text_part, TextPart as TextPart, Tool as Tool, tool as tool,
        tool_result as tool_result, ToolCall as ToolCall, user as user,
    )
    from hf_pure.tasks.modifiers import (
        add_messages as add_messages, cacheable as cacheable, cheapest as cheapest,
        details as details, fastest as fastest, preferred as preferred,
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
    from hf_pure.tasks.nlp import (
        fill_mask as fill_mask, question_answering as question_answering,
        summarization as summarization, table_question_answering as table_question_answering,
        text_classification as text_classification, token_classification as token_classification,
        translation as translation, zero_shot_classification as zero_shot_classification,
    )
    from hf_pure.tasks.nlp_reply import (
        AnswerSpan as AnswerSpan, Entity as Entity, FillMask as FillMask, MaskFill as MaskFill,
        QuestionAnswering as QuestionAnswering, Summary as Summary, TableAnswer as TableAnswer,
        TextClassification as TextClassification, TextLabel as TextLabel,
        TokenClassification as TokenClassification, TranslatedText as TranslatedText,
    )
    from hf_pure.tasks.vision import (
        Box as Box, Caption as Caption, Detection as Detection, ImageLabel as ImageLabel,
        image_classification as image_classification, image_segmentation as image_segmentation,
        image_to_text as image_to_text, object_detection as object_detection, Segment as Segment,
        zero_shot_image_classification as zero_shot_image_classification,
    )
    from hf_pure.tasks.audio import (
        audio_classification as audio_classification, audio_to_audio as audio_to_audio,
        AudioBlob as AudioBlob, AudioLabel as AudioLabel, Speech as Speech,
        automatic_speech_recognition as automatic_speech_recognition, Transcript as Transcript,
        text_to_speech as text_to_speech,
    )
    from hf_pure.shell.files import read_media as read_media, save_audio as save_audio
    from hf_pure.tasks.hub import model_info as model_info, search_models as search_models
    from hf_pure.tasks.hub_reply import ModelInfo as ModelInfo
    from hf_pure.tasks.hub_status import (
        Available as Available, Gated as Gated, Loading as Loading,
        ModelNotFound as ModelNotFound, Unavailable as Unavailable, WaitPlan as WaitPlan,
    )
    from hf_pure.tasks.models import Models as Models
    from hf_pure.shell.hub import (
        iter_models as iter_models, model_status as model_status, wait_for_model as wait_for_model,
    )
    from hf_pure.tasks.providers import (
        provider_check as provider_check, PROVIDER_TASKS as PROVIDER_TASKS,
    )
    from hf_pure.tasks.hub import ModelSearch as ModelSearch, next_search as next_search
    from hf_pure.tasks.hub_reply import ModelPage as ModelPage, ModelProvider as ModelProvider
    from hf_pure.shell.hub import model_pages as model_pages
    from hf_pure.tasks.models import KNOWN_MODELS as KNOWN_MODELS
    from hf_pure.tasks.media import extension_for as extension_for, sniff as sniff
    from hf_pure.tasks.audio import TranscriptChunk as TranscriptChunk
    from hf_pure.tasks.inference import TaskRequest as TaskRequest, TaskSpec as TaskSpec
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
    from hf_pure.tasks._vectors import Vector as Vector
    from hf_pure.tasks.embeddings import (
        Embeddings as Embeddings, feature_extraction as feature_extraction,
        TokenEmbeddings as TokenEmbeddings,
    )
    from hf_pure.tasks.sentence_similarity import sentence_similarity as sentence_similarity
    from hf_pure.tasks.similarity import (
        cosine as cosine, dot as dot, euclidean as euclidean, nearest as nearest,
        Neighbor as Neighbor, normalized as normalized, pairwise as pairwise,
        vector_index as vector_index, VectorIndex as VectorIndex,
    )
    from hf_pure.tasks.batching import (
        BatchFailed as BatchFailed, FailedPart as FailedPart, plan_batches as plan_batches,
    )
    from hf_pure.tasks.structured import (
        json_schema_of as json_schema_of, parse_answer as parse_answer, structured as structured,
    )
    from hf_pure.shell.batch import embed_all as embed_all
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
        use_real_service as use_real_service,
    )
    from toolz import pipe as pipe

    json_dumps = _dumps  # renamed on the way out (an alias is no re-export for mypy)
    json_loads = _loads

# The public names live in hf_pure/_exports.py (_EXPORTS: name -> the module it comes from,
# "module:attr" when renamed). Names from a module in _EAGER are bound by ``import hf_pure``;
# the rest on first use (PEP 562 ``__getattr__``), so importing hf_pure pays only for what a
# program touches. ``__all__`` and ``dir(hf_pure)`` come from that table.


def _resolve(name: str) -> Any:
    module, _, attr = _EXPORTS[name].partition(":")
    # a module already loaded is taken from sys.modules: import_module's own lookup of it
    # costs more than the binding (this runs for every eager name at import)
    loaded = sys.modules.get(module)
    return getattr(loaded or importlib.import_module(module), attr or name)


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
