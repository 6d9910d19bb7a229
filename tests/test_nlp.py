"""The NLP tasks, pure: builders (path, body, checks) and decoders against replies written
from WIRE.md, every alternate shape included. No event loop, no server."""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec
import pytest
from conftest import failure_of
from returns.result import Success

import hf_pure as hf
from hf_pure.core.http import RawReply
from hf_pure.tasks import nlp_decode as nd
from hf_pure.tasks._decode import lazy_decoder
from hf_pure.tasks.inference import TaskRequest
from hf_pure.tasks.nlp import NLP_TASKS

LIMITS = hf.Limits()
BART = "facebook/bart-large-cnn"
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"


def reply(value: Any) -> RawReply:
    return hf.raw_reply(200, json.dumps(value).encode())


def body(request: TaskRequest[Any]) -> Any:
    return json.loads(request.to_call().body or b"")


def problem(request: TaskRequest[Any]) -> hf.InvalidInput:
    found = request.check(LIMITS)
    assert found is not None, request
    return found


def malformed(request: TaskRequest[Any], value: Any) -> str:
    error = failure_of(request.decode(reply(value)))
    assert isinstance(error, hf.MalformedResponse), error
    return error.message


# ------------------------------------------------------------------------ builders


def test_every_builder_posts_to_the_model_with_the_inputs_and_only_the_parameters_set() -> None:
    cases: list[tuple[TaskRequest[Any], dict[str, Any]]] = [
        (
            hf.summarization(BART, "A text.", max_length=60, min_length=None),
            {"inputs": "A text.", "parameters": {"max_length": 60}},
        ),
        (
            hf.translation("Helsinki-NLP/opus-mt-en-fr", "Hi", src_lang="en", tgt_lang="fr"),
            {"inputs": "Hi", "parameters": {"src_lang": "en", "tgt_lang": "fr"}},
        ),
        (
            hf.text_classification(SST2, "Great!", top_k=2, function_to_apply="sigmoid"),
            {"inputs": "Great!", "parameters": {"top_k": 2, "function_to_apply": "sigmoid"}},
        ),
        (
            hf.token_classification("dslim/bert-base-NER", "Sarah", ignore_labels=["O", "MISC"]),
            {"inputs": "Sarah", "parameters": {"ignore_labels": ["O", "MISC"]}},
        ),
        (
            hf.fill_mask("google-bert/bert-base-uncased", "Hi [MASK].", targets="there"),
            {"inputs": "Hi [MASK].", "parameters": {"targets": ["there"]}},
        ),
        (
            hf.question_answering("deepset/roberta-base-squad2", "Who?", "Sarah did."),
            {"inputs": {"question": "Who?", "context": "Sarah did."}},
        ),
        (
            hf.zero_shot_classification("facebook/bart-large-mnli", "Goal!", ["sport", "money"]),
            {"inputs": "Goal!", "parameters": {"candidate_labels": ["sport", "money"]}},
        ),
        (
            hf.table_question_answering("google/tapas-base-finetuned-wtq", "Stars?", {"a": ["1"]}),
            {"inputs": {"query": "Stars?", "table": {"a": ["1"]}}},
        ),
    ]
    for request, expected in cases:
        call = request.to_call()
        assert call.method == "POST" and call.content_type == "application/json"
        assert call.path == f"/hf-inference/models/{request.model}"
        assert body(request) == expected, request.task
        assert request.check(LIMITS) is None, request.task
        assert NLP_TASKS[request.task] is request.spec
    assert len(NLP_TASKS) == len(cases)


def test_a_request_is_a_value_whatever_the_order_its_parameters_were_set_in() -> None:
    a = hf.text_classification(SST2, "x", top_k=2, function_to_apply="none")
    b = hf.option("top_k", 2)(hf.text_classification(SST2, "x", function_to_apply="none"))
    assert a == b and hash(a) == hash(b)
    assert hf.text_classification(SST2, "x", top_k=3) != a
    cached = hf.cacheable()(a)
    assert cached.cacheable and not a.cacheable and cached.task == "text-classification"
    extra = hf.option("wait_for_model", True)(a)
    assert body(extra)["parameters"]["wait_for_model"] is True  # unknown names pass through
    assert extra.check(LIMITS) is None


def test_one_label_string_is_split_at_commas_as_the_server_splits_it() -> None:
    request = hf.zero_shot_classification("m/x", "t", " sport, money ,, ")
    assert body(request)["parameters"]["candidate_labels"] == ["sport", "money"]
    assert body(hf.zero_shot_classification("m/x", "t", ("a",)))["parameters"] == {
        "candidate_labels": ["a"]
    }


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (hf.summarization(BART, ""), "inputs"),
        (hf.summarization(BART, ["a", "b"]), "inputs"),  # type: ignore[arg-type]
        (hf.summarization(BART, "t", max_length=0), "max_length"),
        (hf.summarization(BART, "t", min_length=-1), "min_length"),
        (hf.summarization(BART, "t", truncation="sometimes"), "truncation"),
        (hf.summarization(BART, "t", generate_parameters=[1]), "generate_parameters"),  # type: ignore[arg-type]
        (
            hf.summarization(BART, "t", clean_up_tokenization_spaces=1),  # type: ignore[arg-type]
            "clean_up_tokenization_spaces",
        ),
        (hf.summarization("bad model", "t"), "model"),
        (hf.translation("m/x", "t", tgt_lang=""), "tgt_lang"),
        (hf.text_classification(SST2, "t", top_k="3"), "top_k"),  # type: ignore[arg-type]
        (hf.text_classification(SST2, "t", top_k=0), "top_k"),
        (hf.text_classification(SST2, "t", function_to_apply="relu"), "function_to_apply"),
        (hf.token_classification("m/x", "t", aggregation_strategy="mean"), "aggregation_strategy"),
        (hf.token_classification("m/x", "t", ignore_labels=["O", ""]), "ignore_labels[1]"),
        (hf.token_classification("m/x", "t", ignore_labels=5), "ignore_labels"),  # type: ignore[arg-type]
        (hf.token_classification("m/x", "t", stride=-1), "stride"),
        (hf.fill_mask("m/x", "t [MASK]", top_k=0), "top_k"),
        (hf.fill_mask("m/x", "t [MASK]", targets=[]), "targets"),
        (hf.fill_mask("m/x", "no mask here", mask_token="[MASK]"), "inputs"),
        (hf.question_answering("m/x", "", "context"), "inputs.question"),
        (hf.question_answering("m/x", "q", None), "inputs.context"),  # type: ignore[arg-type]
        (hf.question_answering("m/x", "q", "c", max_answer_len=0), "max_answer_len"),
        (
            hf.question_answering("m/x", "q", "c", handle_impossible_answer="y"),  # type: ignore[arg-type]
            "handle_impossible_answer",
        ),
        (hf.zero_shot_classification("m/x", "t", None), "candidate_labels"),
        (hf.zero_shot_classification("m/x", "t", []), "candidate_labels"),
        (hf.zero_shot_classification("m/x", "t", " , "), "candidate_labels"),
        (hf.zero_shot_classification("m/x", "t", ["a", 3]), "candidate_labels[1]"),  # type: ignore[list-item]
        (hf.zero_shot_classification("m/x", "t", ["a"], multi_label="yes"), "multi_label"),  # type: ignore[arg-type]
        (
            hf.zero_shot_classification("m/x", "t", ["a"], hypothesis_template="About:"),
            "hypothesis_template",
        ),
        (hf.zero_shot_classification("m/x", "", ["a"]), "inputs"),
        (hf.table_question_answering("m/x", "q", {}), "inputs.table"),
        (hf.table_question_answering("m/x", "q", {"a": ["1", "2"], "b": ["1"]}), "inputs.table.b"),
        (hf.table_question_answering("m/x", "q", {"a": [1]}), "inputs.table.a"),  # type: ignore[list-item]
        (hf.table_question_answering("m/x", "q", {"a": []}), "inputs.table"),
        (hf.table_question_answering("m/x", "", {"a": ["1"]}), "inputs.query"),
        (hf.table_question_answering("m/x", "q", {"a": ["1"]}, padding="some"), "padding"),
    ],
)
def test_check_names_the_field_that_is_wrong(request_: TaskRequest[Any], field: str) -> None:
    assert problem(request_).field == field


def test_a_lone_surrogate_or_an_oversized_text_is_reported_not_sent() -> None:
    assert "surrogate" in problem(hf.summarization(BART, "bad \ud800 text")).reason
    tight = hf.Limits(max_input_chars=10)
    over = hf.text_classification(SST2, "x" * 11).check(tight)
    assert over is not None and over.field == "inputs" and "limit" in over.reason
    question = hf.question_answering("m/x", "q\udc00", "c").check(LIMITS)
    assert question is not None and question.field == "inputs.question"


def test_the_mask_token_is_checked_only_when_given_and_its_type_steers_the_client() -> None:
    assert hf.fill_mask("m/x", "no mask").check(LIMITS) is None  # the server's to refuse
    assert hf.fill_mask("m/x", "a <mask>", mask_token="<mask>").check(LIMITS) is None
    assert "<mask>" in problem(hf.fill_mask("m/x", "a [MASK]", mask_token="<mask>")).reason
    with pytest.raises(TypeError, match="mask_token"):
        hf.fill_mask("m/x", "a [MASK]", mask_token=1)  # type: ignore[arg-type]


def test_a_tgi_modifier_on_a_task_is_reported_rather_than_sent() -> None:
    # hf.top_k is text generation's; the task's top_k is the builder's keyword
    request = hf.top_k(3)(hf.text_classification(SST2, "t"))  # type: ignore[arg-type]
    found = problem(request)  # type: ignore[arg-type]
    assert found.field == "top_k" and "text generation" in found.reason


# ------------------------------------------------------------------------ decoders

SUMMARY = hf.summarization(BART, "t")
TRANSLATION = hf.translation("m/x", "t")
CLASSIFY = hf.text_classification(SST2, "t")
NER = hf.token_classification("m/x", "t")
FILL = hf.fill_mask("m/x", "t [MASK]")
QA = hf.question_answering("m/x", "q", "c")
ZERO = hf.zero_shot_classification("m/x", "t", ["a", "b"])
TABLE = hf.table_question_answering("m/x", "q", {"a": ["1"]})


def test_summary_and_translation_read_the_list_and_the_bare_object_alike() -> None:
    listed = SUMMARY.decode(reply([{"summary_text": "Short."}]))
    assert listed == Success(hf.Summary(summary_text="Short."))
    assert SUMMARY.decode(reply({"summary_text": "Short."})) == listed
    assert listed.unwrap().text == "Short."
    translated = TRANSLATION.decode(reply([{"translation_text": "Bonjour"}])).unwrap()
    assert (
        translated == hf.TranslatedText(translation_text="Bonjour") and translated.text == "Bonjour"
    )
    assert TRANSLATION.decode(reply({"translation_text": "Bonjour"})).unwrap() == translated
    assert "empty array" in malformed(SUMMARY, [])
    assert "[0].summary_text: missing" in malformed(SUMMARY, [{"summary": "x"}])
    assert "[1].summary_text: expected text, got a number" in malformed(
        SUMMARY, [{"summary_text": "a"}, {"summary_text": 1}]
    )
    assert "translation_text" in malformed(TRANSLATION, {"translation_text": None})


def test_text_classification_nested_and_flat_replies_are_the_same_value() -> None:
    labels = [{"label": "POSITIVE", "score": 0.9998}, {"label": "NEGATIVE", "score": 0.0002}]
    nested = CLASSIFY.decode(reply([labels])).unwrap()
    flat = CLASSIFY.decode(reply(labels)).unwrap()
    assert nested == flat
    assert nested.labels == (
        hf.TextLabel(label="POSITIVE", score=0.9998),
        hf.TextLabel(label="NEGATIVE", score=0.0002),
    )
    assert nested.label == "POSITIVE" and nested.score_of("NEGATIVE") == 0.0002
    assert nested.score_of("NEUTRAL") is None
    spaced = hf.raw_reply(200, b' [ \n [{"label": "A", "score": 1}] ]')
    assert CLASSIFY.decode(spaced).unwrap().labels == (hf.TextLabel(label="A", score=1.0),)
    empty = CLASSIFY.decode(reply([])).unwrap()
    assert empty.labels == () and empty.best is None and empty.label is None
    # the best is the highest score even when the server didn't sort
    assert CLASSIFY.decode(reply(list(reversed(labels)))).unwrap().label == "POSITIVE"


def test_text_classification_refuses_what_it_cant_read_naming_the_place() -> None:
    assert "2 lists of labels" in malformed(CLASSIFY, [[], []])
    assert "[0][1].score: missing" in malformed(
        CLASSIFY, [[{"label": "A", "score": 1}, {"label": "B"}]]
    )
    assert "[0].score: expected a number, got a boolean" in malformed(
        CLASSIFY, [{"label": "A", "score": True}]
    )
    assert "[0].label: missing" in malformed(CLASSIFY, [{"label": None, "score": 0.5}])
    assert "expected an array, got an object" in malformed(CLASSIFY, {"label": "A", "score": 1})
    huge = hf.raw_reply(200, b'[{"label": "A", "score": 1' + b"0" * 400 + b"}]")
    assert "out of range" in failure_of(CLASSIFY.decode(huge)).message
    # an integer past 2**1000 is refused by the readers: the typed path must refuse it too
    # (msgspec alone would take it as a float)
    past = hf.raw_reply(200, b'[{"label": "A", "score": %d}]' % 2**1001)
    assert "[0].score: a number out of range" in failure_of(CLASSIFY.decode(past)).message
    edge = hf.raw_reply(200, b'[{"label": "A", "score": %d}]' % 2**1000)
    assert CLASSIFY.decode(edge).unwrap().labels[0].score == float(2**1000)


def test_zero_shot_list_and_older_columns_are_the_same_value() -> None:
    listed = ZERO.decode(reply([{"label": "a", "score": 0.8}, {"label": "b", "score": 0.2}]))
    columns = ZERO.decode(reply({"sequence": "t", "labels": ["a", "b"], "scores": [0.8, 0.2]}))
    assert listed == columns
    assert columns.unwrap().label == "a"
    assert ZERO.decode(reply({"labels": [], "scores": []})).unwrap().labels == ()
    assert "scores: 1 scores for 2 labels" in malformed(ZERO, {"labels": ["a", "b"], "scores": [1]})
    assert "labels[1]: expected text, got null" in malformed(
        ZERO, {"labels": ["a", None], "scores": [0.5, 0.5]}
    )
    assert "scores[0]: expected a number, got text" in malformed(
        ZERO, {"labels": ["a"], "scores": ["1"]}
    )
    assert "scores: missing" in malformed(ZERO, {"sequence": "t", "labels": ["a"]})


def test_token_classification_reads_groups_and_per_token_tags() -> None:
    grouped = NER.decode(
        reply([{"entity_group": "PER", "score": 0.99, "word": "Sarah", "start": 11, "end": 16}])
    ).unwrap()
    (sarah,) = grouped.entities
    assert (sarah.label, sarah.word, sarah.start, sarah.end, sarah.index) == (
        "PER",
        "Sarah",
        11,
        16,
        None,
    )
    tokens = NER.decode(
        reply(
            [
                {"entity": "B-LOC", "score": 0.9, "index": 5, "word": "New", "start": 0, "end": 3},
                {"entity": "I-LOC", "score": 0.8, "index": 6, "word": "York", "start": None},
            ]
        )
    ).unwrap()
    assert tokens.labels == ("B-LOC", "I-LOC")
    assert tokens.entities[0].index == 5 and tokens.entities[1].start is None
    assert tokens.entities[0].entity_group is None
    assert "[0]: missing entity_group" in malformed(NER, [{"score": 0.9, "word": "x"}])
    assert "[0].word: missing" in malformed(NER, [{"entity": "O", "score": 0.9}])
    assert "[0].start: expected an integer, got a number" in malformed(
        NER, [{"entity": "O", "score": 0.9, "word": "x", "start": 1.5}]
    )


def test_fill_mask_one_mask_is_a_flat_list_several_masks_a_list_each() -> None:
    paris = {"sequence": "the capital is paris.", "score": 0.4, "token": 3000, "token_str": "paris"}
    lyon = {"sequence": "the capital is lyon.", "score": 0.1, "token": 3001, "token_str": "lyon"}
    one = FILL.decode(reply([lyon, paris])).unwrap()
    assert len(one.masks) == 1 and one.candidates[1].token_str == "paris"
    assert one.best is not None and one.best.token == 3000 and one.sequence == paris["sequence"]
    two = FILL.decode(reply([[paris], [lyon]])).unwrap()
    assert [c[0].token_str for c in two.masks] == ["paris", "lyon"]
    assert FILL.decode(reply([{**paris, "token": None}])).unwrap().best.token is None  # type: ignore[union-attr]
    assert "[1][0].token_str: missing" in malformed(
        FILL, [[paris], [{"sequence": "x", "score": 0.1}]]
    )
    assert "[1]: expected an object, got an array" in malformed(FILL, [paris, [lyon]])


def test_question_answering_one_answer_or_a_list_is_the_same_kind_of_value() -> None:
    berlin = {"answer": "Berlin", "score": 0.97, "start": 34, "end": 40}
    one = QA.decode(reply(berlin)).unwrap()
    assert one == QA.decode(reply([berlin])).unwrap()
    assert one.answer == "Berlin" and one.answers[0].start == 34
    several = QA.decode(
        reply([berlin, {"answer": "Germany", "score": 0.01, "start": 50, "end": 57}])
    )
    assert [a.answer for a in several.unwrap().answers] == ["Berlin", "Germany"]
    impossible = QA.decode(reply({"answer": "", "score": 0.9, "start": 0, "end": 0})).unwrap()
    assert impossible.answer == ""
    assert "end: missing" in malformed(QA, {"answer": "x", "score": 0.5, "start": 1})
    assert "[0].start: an integer out of range" in malformed(
        QA, [{"answer": "x", "score": 0.5, "start": 2**64, "end": 1}]
    )


def test_table_answers_read_the_recorded_shape() -> None:
    got = TABLE.decode(
        reply(
            {
                "answer": "AVERAGE > 36542",
                "coordinates": [[0, 1]],
                "cells": ["36542"],
                "aggregator": "AVERAGE",
            }
        )
    ).unwrap()
    assert got == hf.TableAnswer(
        answer="AVERAGE > 36542", coordinates=((0, 1),), cells=("36542",), aggregator="AVERAGE"
    )
    assert TABLE.decode(reply({"answer": "x"})).unwrap().coordinates == ()
    assert "coordinates[0]: expected [row, column]" in malformed(
        TABLE, {"answer": "x", "coordinates": [[1]]}
    )
    assert "cells[0]: expected text, got a number" in malformed(
        TABLE, {"answer": "x", "cells": [3]}
    )


@pytest.mark.parametrize("request_", [SUMMARY, TRANSLATION, CLASSIFY, NER, FILL, QA, ZERO, TABLE])
def test_an_error_in_a_2xx_body_is_the_error_and_not_json_is_malformed(
    request_: TaskRequest[Any],
) -> None:
    error = failure_of(
        request_.decode(reply({"error": "Model is overloaded", "error_type": "overloaded"}))
    )
    assert isinstance(error, hf.HfErrorBase) and "overloaded" in error.message
    assert not isinstance(error, hf.MalformedResponse)
    assert isinstance(
        failure_of(request_.decode(hf.raw_reply(200, b"<html>"))), hf.MalformedResponse
    )


# ------------------------------------------------------------------------ the typed path


def test_the_typed_path_reads_every_documented_shape() -> None:
    """The fast path is taken: each typed decoder accepts its shape (a reply type msgspec
    couldn't build a decoder for once sent every reply the lenient way, 20x slower)."""
    label = {"label": "A", "score": 0.5}
    entity = {"entity_group": "PER", "score": 0.9, "word": "Ada", "start": 0, "end": 3}
    fill = {"sequence": "a b", "score": 0.5, "token": 7, "token_str": "b"}
    span = {"answer": "Ada", "score": 0.9, "start": 0, "end": 3}
    typed: list[tuple[Any, Any]] = [
        (nd._SUMMARY, [{"summary_text": "s"}]),
        (nd._SUMMARY, {"summary_text": "s"}),
        (nd._TRANSLATION, [{"translation_text": "t"}]),
        (nd._LABELS, [label]),
        (nd._LABEL_LISTS, [[label]]),
        (nd._ZERO_SHOT, [label]),
        (nd._ZERO_SHOT, {"sequence": "s", "labels": ["A"], "scores": [0.5]}),
        (nd._ENTITIES, [entity, {**entity, "index": 2**63 - 1}]),
        (nd._MASK_FILLS, [fill]),
        (nd._MASK_LISTS, [[fill], [fill]]),
        (nd._SPANS, span),
        (nd._SPANS, [span]),
        (nd._TABLE_ANSWER, {"answer": "x", "coordinates": [[0, 1]], "cells": ["x"]}),
    ]
    for decoder, value in typed:
        decoder.decode(json.dumps(value).encode())  # raises when the typed path refuses


def test_a_reply_type_msgspec_cant_decode_into_is_a_type_error_not_a_silent_fallback() -> None:
    wide = lazy_decoder(Annotated[int, msgspec.Meta(le=2**64 - 1)])
    with pytest.raises(TypeError, match="can't decode into"):
        wide.decode(b"1")
    assert lazy_decoder(int).decode(b"1") == 1
