"""Property-testing your own pipeline with hypothesis and ``hf_pure.testing.strategies``.

python examples/property_testing.py                  # every property, 200 examples each
python examples/property_testing.py --examples 1000  # more

Three things a user writes on top of hf_pure, each proved against what the wire can send
rather than against the replies one thought of:

1. a pipeline: a request built with ``pipe`` and a function of its ``Result`` (the headline
   of the answer) never raises, whatever reply body comes back (``wire_bodies``: the real
   shapes, with fields replaced by any JSON), decoded through the request's own ``decode``;
2. a streaming fold: a live transcript kept as chunks arrive (``sse_streams``: the data of
   each event) never raises and ends equal to the answer the library assembles;
3. a reliability policy: a breaker, driven by ``hf.admit`` and ``hf.record`` with time passed
   in (``clock_steps``) and whole replies (``wire_replies``), does what a small model written
   from the rules says, step by step (a ``RuleBasedStateMachine``).

The first two come with the naive version a user might write first, which the same property
refutes (an answer with no text; a stream that lists a choice other than number 0 first):
the properties can fail. Each also always tries one reply seen in practice (``@example``: a
tool call, which has no text; a stream of two choices) before hypothesis's own. Run from
pytest: tests/test_examples_more2.py.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import reduce

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from returns.result import Failure, Success
from toolz import pipe

import hf_pure as hf
from hf_pure.testing.strategies import clock_steps, sse_streams, wire_bodies, wire_replies

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
REQUEST: hf.ChatRequest = pipe(
    hf.chat(MODEL, [hf.system("Answer in one line."), hf.user("What is a lighthouse?")]),
    hf.temperature(0.2),
    hf.max_tokens(60),
)
STREAMED: hf.ChatRequest = hf.streaming()(REQUEST)

# ------------------------------------------------------------------ 1. the pipeline


def headline(result: hf.Result[hf.ChatCompletion, hf.HfError]) -> str:
    """The pipeline's post-processing: the answer's first line, at most 80 characters, and
    its token count; or the error's name."""
    match result:
        case Success(answer):
            first = next(iter(answer.text.splitlines()), "").strip()
            tokens = answer.usage.total_tokens if answer.usage else 0
            return f"{first[:80]} ({tokens} tokens)"
        case Failure(error):
            return f"[{type(error).__name__}]"
    return "[no result]"  # not reached: a Result is one of the two


def naive_headline(result: hf.Result[hf.ChatCompletion, hf.HfError]) -> str:
    """The first version one writes: fine for every reply one thinks of."""
    match result:
        case Success(answer):
            first: str = answer.text.splitlines()[0]  # an answer with no text has no line 0
            return first[:80]
        case Failure(error):
            return f"[{type(error).__name__}]"
    return "[no result]"


#: A model calling a tool answers with no text at all.
TOOL_CALL = (
    b'{"id": "1", "object": "chat.completion", "created": 0, "model": "m", "choices": [{"index":'
    b' 0, "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type":'
    b' "function", "function": {"name": "get_weather", "arguments": "{}"}}]},'
    b' "finish_reason": "tool_calls"}]}'
)


def headline_property(
    post: Callable[[hf.Result[hf.ChatCompletion, hf.HfError]], str],
) -> Callable[..., None]:
    """For any chat reply body: decoding it and post-processing the Result never raises, and
    the headline is one short line."""

    @given(body=wire_bodies("chat"))
    @example(body=TOOL_CALL)  # a reply seen once: always tried, then hypothesis's own
    def check(body: bytes) -> None:
        out = post(REQUEST.decode(hf.raw_reply(200, body)))
        assert isinstance(out, str) and "\n" not in out

    return check


# ------------------------------------------------------------------ 2. a streaming fold

Texts = Mapping[int, str]  # the text of each choice so far, by its index


def transcript(texts: Texts, chunk: hf.ChatChunk) -> Texts:
    """One step of the live transcript: each choice's text, with this chunk's deltas added
    (a new value; ``texts`` is left as it was)."""
    out = dict(texts)
    for choice in chunk.choices:
        out[choice.index] = out.get(choice.index, "") + (choice.delta.content or "")
    return out


def live_text(chunks: Sequence[hf.ChatChunk]) -> str:
    """What the transcript shows at the end: the first choice's text (the lowest index)."""
    start: Texts = {}
    texts = reduce(transcript, chunks, start)
    return texts[min(texts)] if texts else ""


def naive_live_text(chunks: Sequence[hf.ChatChunk]) -> str:
    """The first version one writes: the first choice *listed* in each chunk; but a stream of
    several choices lists them in any order (``chunk.text`` reads the choice of index 0)."""
    return "".join(
        (chunk.choices[0].delta.content or "") if chunk.choices else "" for chunk in chunks
    )


#: Two choices, the second listed first in the first chunk (as with ``n=2``).
TWO_CHOICES = [
    b'{"choices": [{"index": 1, "delta": {"content": "B"}},'
    b' {"index": 0, "delta": {"content": "A"}}]}',
    b'{"choices": [{"index": 0, "delta": {"content": "a"}}]}',
]


def stream_property(live: Callable[[Sequence[hf.ChatChunk]], str]) -> Callable[..., None]:
    """For any stream of events: reading and folding them never raises, and the transcript
    ends as the text of the answer the library assembles from the same chunks."""
    codec = STREAMED.codec

    @given(datas=sse_streams("chat_chunk"))
    @example(datas=TWO_CHOICES)  # a stream seen once: always tried, then hypothesis's own
    def check(datas: list[bytes]) -> None:
        chunks: list[hf.ChatChunk] = []
        for data in datas:
            item = codec.event(hf.SseEvent(data), None)
            if item is None:  # nothing to fold (a keep-alive)
                continue
            if not isinstance(item, hf.ChatChunk):  # [DONE], an error event, a broken one
                break
            chunks.append(item)
        assert live(chunks) == hf.assemble_chat(chunks).text

    return check


# ------------------------------------------------------------------ 3. a reliability policy

#: The user's policy: a breaker (3 failures in a row open it for 10 s; 2 good trials close
#: it), nothing else.
BREAKER = hf.BreakerConfig(failure_threshold=3, success_threshold=2, open_timeout=10.0)
POLICY = hf.Policy(breaker=BREAKER, bucket=None, cache=None)


#: What each error tells the breaker, as the reliability guide states it: the service
#: failing (5xx, overloaded, loading, a failed generation, a reply that can't be read, no
#: answer) is a failure; a refused request says it is up, as an answer does.
FAILING = (
    hf.ServerError,
    hf.Overloaded,
    hf.ModelLoading,
    hf.GenerationFailed,
    hf.MalformedResponse,
    hf.Timeout,
    hf.ConnectionFailed,
    hf.StreamInterrupted,
)
UP = (hf.BadRequest, hf.NotFound, hf.Unauthorized)


def counts_as(result: hf.Result[hf.ChatCompletion, hf.HfError]) -> str:
    """``"success"``, ``"failure"`` or ``"ignored"`` (a 429: we asked too much, which says
    nothing about the service's health). A refusal of the request (400, 401, 403, 404) says
    the service is up; a 408 that something on the way timed out. An error event inside a 2xx
    reply is a failure unless it only refused the input."""
    match result:
        case Success(_):
            return "success"
        case Failure(hf.ErrorEvent(error_type=kind)):
            return "success" if kind == "validation" else "failure"
        case Failure(error) if isinstance(error, FAILING):
            return "failure"
        case Failure(hf.BadRequest(status=408)):  # a timeout on the way: as our own would be
            return "failure"
        case Failure(error) if isinstance(error, UP):
            return "success"
    return "ignored"


class BreakerModel:
    """The breaker's rules, written out plainly for one call at a time."""

    def __init__(self, config: hf.BreakerConfig) -> None:
        self.config = config
        self.mode = "closed"
        self.failures = 0  # consecutive, while closed
        self.successes = 0  # good trials, while half-open
        self.opened_at = 0.0

    def admit(self, now: float) -> bool:
        if self.mode == "open" and now >= self.opened_at + self.config.open_timeout:
            self.mode, self.successes = "half_open", 0
        return self.mode != "open"

    def record(self, outcome: str, now: float) -> None:
        if outcome == "ignored":
            return
        if self.mode == "closed":
            self.failures = self.failures + 1 if outcome == "failure" else 0
            if self.failures >= self.config.failure_threshold:
                self.mode, self.opened_at = "open", now
        elif outcome == "failure":  # a failed trial opens it again
            self.mode, self.opened_at = "open", now
        else:
            self.successes += 1
            if self.successes >= self.config.success_threshold:
                self.mode, self.failures = "closed", 0


class BreakerMachine(RuleBasedStateMachine):
    """The user's policy against the model: the same calls at the same times, the same
    answers (sent, or refused with the time until the next trial) and the same mode."""

    model_class: type[BreakerModel] = BreakerModel

    @initialize()
    def start(self) -> None:
        self.now = 1000.0
        self.state = hf.policy_start(POLICY, self.now)
        self.model = self.model_class(BREAKER)

    @rule(step=clock_steps(30.0), reply=wire_replies("chat"))
    def call(self, step: float, reply: tuple[int, dict[str, str], bytes]) -> None:
        self.now += step
        self.state, decision = hf.admit(POLICY, self.state, REQUEST, self.now)
        if not self.model.admit(self.now):
            assert isinstance(decision, hf.Reject), decision
            assert isinstance(decision.error, hf.CircuitOpen)
            wait = decision.error.retry_in
            assert wait is not None
            until = self.model.opened_at + BREAKER.open_timeout
            assert math.isclose(wait, until - self.now, abs_tol=1e-9)
            return
        assert isinstance(decision, hf.Send), decision
        status, headers, body = reply
        result = hf.decode_reply(REQUEST, hf.raw_reply(status, body, headers))
        self.state = hf.record(POLICY, self.state, REQUEST, decision, result, 0.05, self.now)
        self.model.record(counts_as(result), self.now)

    @rule(step=clock_steps(30.0))
    def time_passes(self, step: float) -> None:
        self.now += step

    @invariant()
    def same_mode(self) -> None:
        if hasattr(self, "state"):
            breaker = self.state.breakers.get(MODEL, hf.BreakerState())
            assert breaker.mode.value == self.model.mode, (breaker, vars(self.model))


# ------------------------------------------------------------------ running them


def properties(max_examples: int) -> dict[str, Callable[[], None]]:
    """Each property with a bounded number of examples, by name (no example database: a run
    leaves nothing behind)."""
    bounded = settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )

    def machine() -> None:
        steps = settings(bounded, max_examples=max(1, max_examples // 4), stateful_step_count=40)
        run_state_machine_as_test(BreakerMachine, settings=steps)

    return {
        "headline never raises": bounded(headline_property(headline)),
        "transcript is the assembled answer": bounded(stream_property(live_text)),
        "breaker policy follows the model": machine,
    }


def naive_versions(max_examples: int) -> dict[str, Callable[[], None]]:
    """The naive versions, which the same properties refute (not shrunk: which reply breaks
    them is not the point here, that one does)."""
    bounded = settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate),
    )
    return {
        "naive headline": bounded(headline_property(naive_headline)),
        "naive transcript": bounded(stream_property(naive_live_text)),
    }


def main(max_examples: int = 200) -> dict[str, str]:
    """Run every property and every naive version; print and return what each did."""
    outcome: dict[str, str] = {}
    for name, check in properties(max_examples).items():
        try:
            check()
        except Exception as error:  # a refuted property: say which and why
            outcome[name] = f"FAILED: {type(error).__name__}: {error}"
        else:
            outcome[name] = "passed"
        print(f"{name}: {outcome[name]}")
    for name, check in naive_versions(max_examples).items():
        try:
            check()
        except Exception as error:  # the reply hypothesis found that breaks it
            outcome[name] = f"refuted ({type(error).__name__})"
        else:
            outcome[name] = "NOT refuted"
        print(f"{name}: {outcome[name]}")
    passed = sum(v == "passed" for v in outcome.values())
    refuted = sum(v.startswith("refuted") for v in outcome.values())
    print(f"{passed} of {len(properties(1))} properties passed, {refuted} naive versions refuted")
    return outcome


if __name__ == "__main__":
    args = sys.argv[1:]
    count = int(args[args.index("--examples") + 1]) if "--examples" in args else 200
    results = main(count)
    sys.exit(0 if all(v == "passed" or v.startswith("refuted") for v in results.values()) else 1)
