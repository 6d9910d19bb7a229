"""Wire-shaped fuzz of the NLP decoders: the reply shapes of WIRE.md (every alternate one) with
fields replaced, removed or added. Each decoder never raises, succeeds exactly when the field
rules (restated below from WIRE.md, independently of the decoders) say the body is readable,
gives the documented types when it does, and its typed path and its total reader agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.core.codec import loads
from hf_pure.core.errors import ErrorEvent, HfErrorBase
from hf_pure.tasks import nlp_decode as nd
from hf_pure.tasks import nlp_reply_read as nr
from hf_pure.tasks._read import Bad
from hf_pure.testing._nlp_shapes import NLP_KINDS, nlp_bodies, nlp_replies
from hf_pure.testing.strategies import encode, wire_bodies

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STATUSES = st.sampled_from([200, 200, 200, 400, 404, 422, 429, 500, 503])

DECODERS: dict[str, tuple[Callable[[hf.RawReply], Any], Callable[[Any], Any], type]] = {
    "summarization": (nd.decode_summary, nr.read_summary, hf.Summary),
    "translation": (nd.decode_translation, nr.read_translation, hf.TranslatedText),
    "text-classification": (
        nd.decode_text_classification,
        nr.read_text_classification,
        hf.TextClassification,
    ),
    "token-classification": (
        nd.decode_token_classification,
        nr.read_token_classification,
        hf.TokenClassification,
    ),
    "fill-mask": (nd.decode_fill_mask, nr.read_fill_mask, hf.FillMask),
    "question-answering": (
        nd.decode_question_answering,
        nr.read_question_answering,
        hf.QuestionAnswering,
    ),
    "zero-shot-classification": (nd.decode_zero_shot, nr.read_zero_shot, hf.TextClassification),
    "table-question-answering": (nd.decode_table_answer, nr.read_table_answer, hf.TableAnswer),
}

# --- the rules, from WIRE.md: missing or null optional fields are fine, required ones must be
# there; a present value has its documented JSON type; integers fit 64 bits (unsigned too);
# numbers are finite. Booleans are not numbers.


def is_str(v: Any) -> bool:
    return type(v) is str


def opt_str(v: Any) -> bool:
    return v is None or type(v) is str


def is_int(v: Any) -> bool:
    return type(v) is int and -(2**63) <= v <= 2**64 - 1


def opt_int(v: Any) -> bool:
    return v is None or is_int(v)


def is_num(v: Any) -> bool:
    return (type(v) is int and abs(v) <= 2**1000) or (type(v) is float and v - v == 0)


def obj(v: Any, **kinds: Callable[[Any], bool]) -> bool:
    return type(v) is dict and all(ok(v.get(k)) for k, ok in kinds.items())


def all_of(v: Any, ok: Callable[[Any], bool]) -> bool:
    return type(v) is list and all(ok(x) for x in v)


def opt_all(v: Any, ok: Callable[[Any], bool]) -> bool:
    return v is None or all_of(v, ok)


def label_ok(v: Any) -> bool:
    return obj(v, label=is_str, score=is_num)


def one_text_ok(key: str) -> Callable[[Any], bool]:
    def ok(o: Any) -> bool:
        if type(o) is dict:
            return obj(o, **{key: is_str})
        return type(o) is list and len(o) > 0 and all_of(o, lambda x: obj(x, **{key: is_str}))

    return ok


def classification_ok(o: Any) -> bool:
    if type(o) is list and o and type(o[0]) is list:
        return len(o) == 1 and all_of(o[0], label_ok)
    return all_of(o, label_ok)


def zero_shot_ok(o: Any) -> bool:
    if type(o) is dict:
        labels: Any = o.get("labels")
        scores: Any = o.get("scores")
        if not (all_of(labels, is_str) and all_of(scores, is_num)):
            return False
        return len(labels) == len(scores) and opt_str(o.get("sequence"))
    return all_of(o, label_ok)


def entity_ok(v: Any) -> bool:
    return (
        obj(v, word=is_str, score=is_num, entity_group=opt_str, entity=opt_str)
        and obj(v, start=opt_int, end=opt_int, index=opt_int)
        and (v.get("entity_group") is not None or v.get("entity") is not None)
    )


def candidate_ok(v: Any) -> bool:
    return obj(v, sequence=is_str, score=is_num, token_str=is_str, token=opt_int)


def fill_ok(o: Any) -> bool:
    if type(o) is list and o and type(o[0]) is list:
        return all_of(o, lambda inner: all_of(inner, candidate_ok))
    return all_of(o, candidate_ok)


def span_ok(v: Any) -> bool:
    return obj(v, answer=is_str, score=is_num, start=is_int, end=is_int)


def answers_ok(o: Any) -> bool:
    return span_ok(o) if type(o) is dict else all_of(o, span_ok)


def table_ok(o: Any) -> bool:
    def cell(c: Any) -> bool:
        return type(c) is list and len(c) == 2 and all(is_int(x) for x in c)

    return obj(o, answer=is_str, aggregator=opt_str) and (
        opt_all(o.get("coordinates"), cell) and opt_all(o.get("cells"), is_str)
    )


RULES: dict[str, Callable[[Any], bool]] = {
    "summarization": one_text_ok("summary_text"),
    "translation": one_text_ok("translation_text"),
    "text-classification": classification_ok,
    "token-classification": lambda o: all_of(o, entity_ok),
    "fill-mask": fill_ok,
    "question-answering": answers_ok,
    "zero-shot-classification": zero_shot_ok,
    "table-question-answering": table_ok,
}


def readable(kind: str, o: Any) -> bool:
    if type(o) is dict and "error" in o:
        return False  # an error object is the error it reports
    return RULES[kind](o)


def documented_types(value: Any) -> None:
    """Every field of a decoded value has its documented Python type."""
    match value:
        case hf.Summary(summary_text=t) | hf.TranslatedText(translation_text=t):
            assert type(t) is str
        case hf.TextClassification(labels=labels):
            assert all(type(x.label) is str and type(x.score) is float for x in labels)
        case hf.TokenClassification(entities=entities):
            for e in entities:
                assert type(e.word) is str and type(e.score) is float and type(e.label) is str
                assert all(x is None or type(x) is int for x in (e.start, e.end, e.index))
        case hf.FillMask(masks=masks):
            for c in (c for mask in masks for c in mask):
                assert type(c.sequence) is str and type(c.token_str) is str
                assert type(c.score) is float and (c.token is None or type(c.token) is int)
        case hf.QuestionAnswering(answers=answers):
            assert all(type(a.start) is int and type(a.end) is int for a in answers)
            assert all(type(a.answer) is str and type(a.score) is float for a in answers)
        case hf.TableAnswer(coordinates=coordinates, cells=cells):
            assert all(type(r) is int and type(c) is int for r, c in coordinates)
            assert all(type(c) is str for c in cells)
        case _:
            raise AssertionError(f"not a reply value: {value!r}")


KIND_AND_BODY = st.sampled_from(NLP_KINDS).flatmap(lambda k: st.tuples(st.just(k), nlp_bodies(k)))


@FUZZ
@given(kind_body=KIND_AND_BODY, status=STATUSES)
def test_every_nlp_decoder_is_total_and_reads_exactly_what_the_rules_allow(
    kind_body: tuple[str, bytes], status: int
) -> None:
    kind, body = kind_body
    decode, _, value_type = DECODERS[kind]
    out = decode(hf.raw_reply(status, body))
    assert isinstance(out, Success | Failure)
    if isinstance(out, Failure):
        error = out.failure()
        assert isinstance(error, HfErrorBase) and error.message
        assert isinstance(error, hf.MalformedResponse | ErrorEvent)
    assert isinstance(out, Success) == readable(kind, loads(body)), (kind, body)
    if isinstance(out, Success):
        assert type(out.unwrap()) is value_type
        documented_types(out.unwrap())


@FUZZ
@given(kind_body=KIND_AND_BODY)
def test_the_typed_path_and_the_total_reader_give_the_same_answer(
    kind_body: tuple[str, bytes],
) -> None:
    """Whichever path a body takes (the typed decode, or the readers when it refuses), the
    answer is the same: the readers alone give the decoder's value, or refuse what it refuses."""
    kind, body = kind_body
    decode, read, _ = DECODERS[kind]
    obj_ = loads(body)
    if type(obj_) is dict and "error" in obj_:
        return
    out = decode(hf.raw_reply(200, body))
    alone = read(obj_)
    if isinstance(out, Success):
        assert alone == out.unwrap(), body
    else:
        assert isinstance(alone, Bad) and alone.message in out.failure().message, body


@FUZZ
@given(kind=st.sampled_from(NLP_KINDS), other=st.sampled_from(NLP_KINDS).flatmap(nlp_bodies))
def test_another_tasks_reply_is_read_by_the_rules_too(kind: str, other: bytes) -> None:
    out = DECODERS[kind][0](hf.raw_reply(200, other))
    assert isinstance(out, Success) == readable(kind, loads(other)), (kind, other)


@FUZZ
@given(kind=st.sampled_from(NLP_KINDS), body=wire_bodies("error") | wire_bodies("chat"))
def test_error_bodies_and_other_endpoints_replies_never_raise(kind: str, body: bytes) -> None:
    out = DECODERS[kind][0](hf.raw_reply(200, body))
    assert isinstance(out, Success) == readable(kind, loads(body))


@settings(max_examples=60, deadline=None)
@given(
    kind_value=st.sampled_from(NLP_KINDS).flatmap(lambda k: st.tuples(st.just(k), nlp_replies(k)))
)
def test_every_documented_shape_decodes(kind_value: tuple[str, Any]) -> None:
    """The fuzz means something only if the shapes it starts from are right."""
    kind, value = kind_value
    out = DECODERS[kind][0](hf.raw_reply(200, encode(value)))
    assert isinstance(out, Success), (kind, value, out)
