"""The NLP tasks end to end: each builder sent by the runner to the loopback emulator and
decoded, in every reply shape the emulator serves; the answers checked against what the task
means (spans point into the text, softmax scores sum to 1, the mask is filled), the
alternate shapes on the raw wire, and the reliable runner serving a repeated request from its
cache."""

from __future__ import annotations

import json
import math
from typing import Any

import aiohttp
from conftest import failure_of
from returns.result import Success

import hf_pure as hf
from hf_pure.tasks.inference import TaskRequest
from hf_pure.testing import Emulator, Fault

SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
FLAT_SENTIMENT = "cardiffnlp/twitter-roberta-base-sentiment-latest"
NER = "dslim/bert-base-NER"
BERT = "google-bert/bert-base-uncased"
ROBERTA = "FacebookAI/roberta-base"
SQUAD = "deepset/roberta-base-squad2"
MNLI = "facebook/bart-large-mnli"
OLD_ZERO_SHOT = "MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli"
TAPAS = "google/tapas-base-finetuned-wtq"
ARTICLE = (
    "The tower is 324 metres tall, about the same height as an 81-storey building. "
    "It was the tallest man-made structure in the world for 41 years."
)
CONTEXT = "My name is Wolfgang and I live in Berlin. I like trains and long walks."
STARS = {
    "Repository": ["Transformers", "Datasets", "Tokenizers"],
    "Stars": ["36542", "4512", "3934"],
}


async def ok(runner: hf.Runner, request: TaskRequest[Any]) -> Any:
    result = await runner.run(request)
    assert isinstance(result, Success), result
    return result.unwrap()


async def wire(http: aiohttp.ClientSession, request: TaskRequest[Any]) -> Any:
    """The emulator's raw reply to ``request``'s call (what the decoder is given)."""
    call = request.to_call()
    async with http.post(call.path, data=call.body) as resp:
        assert resp.status == 200
        return json.loads(await resp.read())


async def test_summaries_are_the_first_sentence_cut_to_max_length(runner: hf.Runner) -> None:
    whole = await ok(runner, hf.summarization("facebook/bart-large-cnn", ARTICLE))
    first = ARTICLE.split(". ", maxsplit=1)[0] + "."
    assert isinstance(whole, hf.Summary) and whole.text == first
    short = await ok(runner, hf.summarization("facebook/bart-large-cnn", ARTICLE, max_length=5))
    assert short.text == "The tower is 324 metres"
    long = await ok(runner, hf.summarization("facebook/bart-large-cnn", ARTICLE, min_length=17))
    assert long.text.startswith(first) and len(long.text.split()) == 17


async def test_translations_are_marked_with_the_target_language(runner: hf.Runner) -> None:
    model = "Helsinki-NLP/opus-mt-en-fr"
    plain = await ok(runner, hf.translation(model, "Hello world"))
    assert isinstance(plain, hf.TranslatedText) and plain.text == "[fr] Hello world"
    asked = await ok(runner, hf.translation(model, "Hello", src_lang="en", tgt_lang="de"))
    assert asked.text == "[de] Hello"


async def test_text_classification_scores_the_sentiment_in_both_shapes(
    runner: hf.Runner, http: aiohttp.ClientSession
) -> None:
    happy = hf.text_classification(SST2, "I love this film, it is wonderful")
    sad = hf.text_classification(SST2, "A terrible, boring film. I hated it")
    positive, negative = await ok(runner, happy), await ok(runner, sad)
    assert positive.label == "POSITIVE" and negative.label == "NEGATIVE"
    assert math.isclose(sum(x.score for x in positive.labels), 1.0)
    assert {x.label for x in positive.labels} == {"POSITIVE", "NEGATIVE"}
    nested = await wire(http, happy)
    assert type(nested[0]) is list  # hf-inference's shape for one input: [[...]]
    flat_request = hf.text_classification(FLAT_SENTIMENT, "stock prices fell, terrible news")
    flat = await wire(http, flat_request)
    assert type(flat[0]) is dict  # this model answers [...]
    three = await ok(runner, flat_request)
    assert three.label == "negative" and len(three.labels) == 3
    best = await ok(runner, hf.text_classification(SST2, "wonderful", top_k=1))
    assert [x.label for x in best.labels] == ["POSITIVE"]
    sigmoid = await ok(runner, hf.text_classification(SST2, "ok", function_to_apply="sigmoid"))
    assert all(0 < x.score < 1 for x in sigmoid.labels)
    assert not math.isclose(sum(x.score for x in sigmoid.labels), 1.0)


async def test_token_classification_finds_the_capitalised_words(runner: hf.Runner) -> None:
    text = "My name is Wolfgang and I live in Berlin with Acme Corp"
    grouped = await ok(runner, hf.token_classification(NER, text))
    assert [e.word for e in grouped.entities] == ["Wolfgang", "Berlin", "Acme Corp"]
    assert all(text[e.start : e.end] == e.word and 0.9 <= e.score < 1 for e in grouped.entities)
    assert grouped.labels[1:] == ("LOC", "ORG")
    assert all(e.entity_group is not None and e.index is None for e in grouped.entities)
    tokens = await ok(runner, hf.token_classification(NER, text, aggregation_strategy="none"))
    tags = [(e.word, e.entity, e.index) for e in tokens.entities]
    assert tags[2:] == [("Acme", "B-ORG", 11), ("Corp", "I-ORG", 12)]
    assert all(e.entity_group is None for e in tokens.entities)
    everything = await ok(runner, hf.token_classification(NER, text, ignore_labels=[]))
    assert "O" in everything.labels
    no_places = await ok(runner, hf.token_classification(NER, text, ignore_labels=["O", "LOC"]))
    assert "Berlin" not in [e.word for e in no_places.entities]


async def test_fill_mask_fills_the_models_own_mask_token(runner: hf.Runner) -> None:
    text = "The capital of France is [MASK]."
    filled = await ok(runner, hf.fill_mask(BERT, text, top_k=3))
    assert len(filled.candidates) == 3 and len(filled.masks) == 1
    for c in filled.candidates:
        assert c.sequence == text.replace("[MASK]", c.token_str) and type(c.token) is int
    scores = [c.score for c in filled.candidates]
    assert scores == sorted(scores, reverse=True) and sum(scores) < 1
    targeted = await ok(runner, hf.fill_mask(BERT, text, targets=["paris", "lyon"]))
    assert {c.token_str for c in targeted.candidates} == {"paris", "lyon"}
    two = await ok(runner, hf.fill_mask(BERT, "[MASK] is the capital of [MASK].", top_k=2))
    assert len(two.masks) == 2 and all(len(m) == 2 for m in two.masks)
    assert two.masks[1][0].sequence.startswith("[MASK] is the capital of ")
    refused = failure_of(await runner.run(hf.fill_mask(ROBERTA, text)))
    assert isinstance(refused, hf.BadRequest) and "<mask>" in refused.message
    roberta = await ok(runner, hf.fill_mask(ROBERTA, "Paris is <mask>.", mask_token="<mask>"))
    assert len(roberta.candidates) == 5  # the default top_k


async def test_question_answering_points_into_the_context(runner: hf.Runner) -> None:
    one = await ok(runner, hf.question_answering(SQUAD, "Where do I live?", CONTEXT))
    assert isinstance(one, hf.QuestionAnswering) and one.answer == "Berlin"
    (span,) = one.answers
    assert CONTEXT[span.start : span.end] == "Berlin" and 0 < span.score < 1
    several = await ok(runner, hf.question_answering(SQUAD, "Where do I live?", CONTEXT, top_k=3))
    assert len(several.answers) == 3 and several.answers[0] == span
    assert all(CONTEXT[a.start : a.end] == a.answer for a in several.answers)
    nothing = hf.question_answering(
        SQUAD, "Which colour is the sky?", CONTEXT, handle_impossible_answer=True
    )
    assert (await ok(runner, nothing)).answer == ""


async def test_zero_shot_scores_the_labels_the_text_shares_words_with(runner: hf.Runner) -> None:
    text = "The team won the football match on Sunday"
    labels = ["politics", "football", "cooking"]
    result = await ok(runner, hf.zero_shot_classification(MNLI, text, labels))
    assert result.label == "football" and {x.label for x in result.labels} == set(labels)
    assert math.isclose(sum(x.score for x in result.labels), 1.0)
    scores = [x.score for x in result.labels]
    assert scores == sorted(scores, reverse=True)
    multi = await ok(runner, hf.zero_shot_classification(MNLI, text, labels, multi_label=True))
    assert multi.label == "football" and sum(x.score for x in multi.labels) != 1.0


async def test_the_older_zero_shot_shape_decodes_to_the_same_value(
    runner: hf.Runner, http: aiohttp.ClientSession
) -> None:
    text, labels = "A football match", ["sport", "football", "money"]
    older = hf.zero_shot_classification(OLD_ZERO_SHOT, text, labels)
    columns = await wire(http, older)
    assert set(columns) == {"sequence", "labels", "scores"} and columns["sequence"] == text
    listed = await wire(http, hf.zero_shot_classification(MNLI, text, labels))
    assert type(listed) is list
    # the two models score alike in the emulator: only the shape differs
    assert await ok(runner, older) == await ok(
        runner, hf.zero_shot_classification(MNLI, text, labels)
    )


async def test_table_questions_pick_the_named_column_of_the_named_row(runner: hf.Runner) -> None:
    stars = await ok(
        runner, hf.table_question_answering(TAPAS, "How many stars has Transformers?", STARS)
    )
    assert stars == hf.TableAnswer(
        answer="36542", coordinates=((0, 1),), cells=("36542",), aggregator="NONE"
    )
    total = await ok(
        runner, hf.table_question_answering(TAPAS, "What is the total of stars?", STARS)
    )
    assert total.aggregator == "SUM" and total.cells == ("36542", "4512", "3934")


async def test_the_emulator_refuses_what_the_server_refuses(http: aiohttp.ClientSession) -> None:
    path = f"/hf-inference/models/{MNLI}"
    async with http.post(path, data=json.dumps({"inputs": "text"})) as resp:
        assert resp.status == 400 and "candidate_labels" in (await resp.json())["error"]
    opus = "/hf-inference/models/Helsinki-NLP/opus-mt-en-fr"
    async with http.post(opus, data=json.dumps({"inputs": 3})) as resp:
        assert resp.status == 400 and "inputs" in (await resp.json())["error"]
    async with http.post(f"/hf-inference/models/{SQUAD}", data=json.dumps({"inputs": "q"})) as resp:
        assert resp.status == 400


async def test_answers_are_deterministic_and_faults_apply_to_the_task_route(
    runner: hf.Runner, emulator: Emulator
) -> None:
    request = hf.token_classification(NER, "Ada Lovelace met Charles Babbage in London")
    assert await ok(runner, request) == await ok(runner, request)
    emulator.script(
        "token-classification", Fault.status(503, {"error": "loading", "estimated_time": 7.0})
    )
    loading = failure_of(await runner.run(request))
    assert isinstance(loading, hf.ModelLoading) and loading.estimated_time == 7.0
    assert isinstance(failure_of(await runner.run(hf.summarization("no/such", "t"))), hf.NotFound)


async def test_the_reliable_runner_serves_a_repeated_cacheable_request_from_its_cache(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy())
    request = hf.cacheable()(hf.summarization("facebook/bart-large-cnn", ARTICLE, max_length=8))
    first = (await reliable.run(request)).unwrap()
    again = (await reliable.run(request)).unwrap()
    same = await reliable.run(hf.summarization("facebook/bart-large-cnn", ARTICLE, max_length=8))
    assert first == again == same.unwrap() and isinstance(first, hf.Summary)
    assert len(emulator.requests) == 2  # the cacheable one once, the plain one once
    assert reliable.snapshot().metrics.cache_hits == 1
