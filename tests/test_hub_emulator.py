"""The Hub through the runner and the emulator: model info, a renamed model followed, search
with filters, pages requested lazily (counted in the emulator's log), links that must not be
followed, model status, a cold model waited for, and the reliable runner's cache."""

from __future__ import annotations

import asyncio
import math

import aiohttp
import pytest
from conftest import FakeTime, config_for, failure_of
from returns.result import Success

import hf_pure as hf
from hf_pure.reliability.bucket import BucketConfig
from hf_pure.shell.hub import model_pages
from hf_pure.tasks.hub_status import QUICK_POLL, ModelStatus, WaitPlan
from hf_pure.tasks.models import KNOWN_MODELS
from hf_pure.testing import DEFAULT_MODELS, Emulator, Fault, ModelCard
from hf_pure.testing._catalog import COLD_MODEL
from hf_pure.testing.fixtures import EmulatorFactory

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
UNLIMITED = BucketConfig(per_second=10_000.0, per_minute=None, per_hour=None)


def hub_requests(emulator: Emulator) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    return [(r.method, r.path, r.query) for r in emulator.requests if r.path.startswith("/api/")]


# ------------------------------------------------------------------ model info


async def test_model_info_round_trip(runner: hf.Runner, emulator: Emulator) -> None:
    info = (await runner.run(hf.model_info(LLAMA))).unwrap()
    assert info.id == LLAMA and info.pipeline_tag == "text-generation"
    assert info.warm and info.gated is False and info.downloads == 5_400_000
    assert info.live_providers == ("hf-inference", "groq", "together", "novita")
    groq = info.provider("groq")
    assert groq is not None and groq.provider_id == "llama-3.1-8b-instant"
    assert groq.task == "conversational"
    ((method, path, query),) = hub_requests(emulator)
    assert (method, path) == ("GET", f"/api/models/{LLAMA}")
    assert ("expand[]", "inferenceProviderMapping") in query and ("expand[]", "inference") in query


async def test_every_model_constant_is_in_the_catalog_with_its_task(runner: hf.Runner) -> None:
    for model, task in KNOWN_MODELS.items():
        info = (await runner.run(hf.model_info(model))).unwrap()
        assert info.id == model
        tasks = {p.task for p in info.providers}
        assert task in tasks or (task == "text-generation" and info.pipeline_tag == task), model


@pytest.mark.parametrize(
    ("old", "new"),
    [("bert-base-uncased", "google-bert/bert-base-uncased"), ("t5-small", "google-t5/t5-small")],
)
async def test_a_renamed_model_is_followed_and_both_ids_are_reported(
    runner: hf.Runner, emulator: Emulator, old: str, new: str
) -> None:
    info = (await runner.run(hf.model_info(old))).unwrap()
    assert (info.id, info.renamed_from) == (new, old)
    assert info.providers and info.providers[0].provider == "hf-inference"
    first, second = emulator.requests
    assert (first.path, second.path) == (f"/api/models/{old}", f"/api/models/{new}")
    assert first.query == second.query  # the 307 kept the expand[] fields
    assert first.authorized and second.authorized  # same host: the token went along


async def test_an_unknown_model_is_not_found(runner: hf.Runner) -> None:
    error = failure_of(await runner.run(hf.model_info("nobody/nothing")))
    assert isinstance(error, hf.NotFound)
    assert "nobody/nothing does not exist" in error.message


# ------------------------------------------------------------------ search and pages


async def ids(runner: hf.Runner, search: hf.ModelSearch) -> list[str]:
    return [m.id async for m in hf.iter_models(runner, search)]


async def test_search_with_filters(runner: hf.Runner, emulator: Emulator) -> None:
    groq = await ids(runner, hf.search_models(inference_provider="groq"))
    assert set(groq) == {LLAMA, "openai/gpt-oss-20b"}
    assert emulator.requests[-1].query_value("inference_provider") == "groq"
    cerebras = await ids(runner, hf.search_models(inference_provider=["cerebras"]))
    assert cerebras == ["meta-llama/Llama-3.3-70B-Instruct"]
    either = await ids(runner, hf.search_models(inference_provider=["cerebras", "nebius"]))
    assert set(either) == {"meta-llama/Llama-3.3-70B-Instruct", "Qwen/Qwen2.5-VL-7B-Instruct"}
    summarizers = await ids(runner, hf.search_models(pipeline_tag="summarization"))
    assert summarizers == ["facebook/bart-large-cnn"]
    assert await ids(runner, hf.search_models(author="sentence-transformers", search="L12")) == [
        "sentence-transformers/all-MiniLM-L12-v2"
    ]
    likes = {c.id: c.likes for c in DEFAULT_MODELS}
    top = await ids(runner, hf.search_models(sort="likes", direction=-1, limit=3))
    assert top == sorted(likes, key=lambda i: -likes[i])[:3]
    least = await ids(runner, hf.search_models(sort="likes", direction=1, limit=2))
    assert least == sorted(likes, key=lambda i: likes[i])[:2]


async def test_listed_models_carry_their_providers_from_the_list_form(
    runner: hf.Runner, http: aiohttp.ClientSession
) -> None:
    (info,) = [m async for m in hf.iter_models(runner, hf.search_models(search="Llama-3.1"))]
    assert info.live_providers == ("hf-inference", "groq", "together", "novita")
    params = [("search", "Llama-3.1"), ("expand[]", "inferenceProviderMapping")]
    async with http.get("/api/models", params=params) as resp:
        (raw,) = await resp.json()
    assert isinstance(raw["inferenceProviderMapping"], list)  # as the real Hub lists it
    assert raw["inferenceProviderMapping"][1]["provider"] == "groq"


async def test_pages_are_requested_only_when_asked_for(
    runner: hf.Runner, emulator: Emulator
) -> None:
    models = hf.iter_models(runner, hf.search_models(page_size=2, limit=5))
    counted = []
    got = []
    async for info in models:
        got.append(info.id)
        counted.append(len(hub_requests(emulator)))
    assert got == [c.id for c in DEFAULT_MODELS][:5]
    assert counted == [1, 1, 2, 2, 3]  # a new page only when the last one was handed out
    assert len(hub_requests(emulator)) == 3  # none after the limit
    assert models.error is None and models.requests == 3
    cursors = [dict(q).get("cursor") for _, _, q in hub_requests(emulator)]
    assert cursors[0] is None and None not in cursors[1:] and len(set(cursors)) == 3
    assert all(dict(q)["limit"] == "2" for _, _, q in hub_requests(emulator))


async def test_every_page_of_a_listing_and_its_end(runner: hf.Runner, emulator: Emulator) -> None:
    pages = model_pages(runner, hf.search_models(page_size=4, expand=False))
    sizes = [len(page) async for page in pages]
    assert sum(sizes) == len(DEFAULT_MODELS)
    whole, rest = divmod(len(DEFAULT_MODELS), 4)
    assert sizes == [4] * whole + ([rest] if rest else [])
    assert len(sizes) == math.ceil(len(DEFAULT_MODELS) / 4) == pages.requests
    assert pages.error is None
    assert [page async for page in pages] == []  # the iterator is spent
    assert len(hub_requests(emulator)) == pages.requests


async def test_stopping_early_requests_nothing_more(runner: hf.Runner, emulator: Emulator) -> None:
    async for _ in hf.iter_models(runner, hf.search_models(page_size=2)):
        break
    assert len(hub_requests(emulator)) == 1


async def test_a_link_to_another_host_is_not_followed(
    runner: hf.Runner, emulator: Emulator
) -> None:
    link = '<https://evil.example/api/models?cursor=x>; rel="next"'
    emulator.script("hub", Fault.status(200, [{"id": "a/b"}], {"Link": link}))
    pages = model_pages(runner, hf.search_models())
    got = [[m.id for m in page.models] async for page in pages]
    assert got == [["a/b"]]  # the page that carried it is handed out
    assert isinstance(pages.error, hf.MalformedResponse)
    assert "evil.example" in pages.error.message and "not followed" in pages.error.message
    assert len(emulator.requests) == 1


async def test_a_link_that_loops_back_ends_the_listing(
    runner: hf.Runner, emulator: Emulator
) -> None:
    link = f'<{emulator.url}/api/models?cursor=same>; rel="next"'
    page = Fault.status(200, [{"id": "a/b"}], {"Link": link})
    emulator.script("hub", page, page)
    pages = model_pages(runner, hf.search_models())
    assert len([p async for p in pages]) == 2
    assert isinstance(pages.error, hf.MalformedResponse) and "already read" in pages.error.reason
    assert len(emulator.requests) == 2


async def test_a_failed_page_ends_the_iteration_with_its_error(
    runner: hf.Runner, emulator: Emulator
) -> None:
    models = hf.iter_models(runner, hf.search_models(page_size=3))
    link = {"Link": f'<{emulator.url}/api/models?cursor=x>; rel="next"'}
    first = Fault.status(200, [{"id": "a/1"}, {"id": "a/2"}, {"id": "a/3"}], link)
    emulator.script("hub", first, Fault.status(500, {"error": "down"}))
    assert [m.id async for m in models] == ["a/1", "a/2", "a/3"]
    assert isinstance(models.error, hf.ServerError)


async def test_an_invalid_search_is_reported_without_a_request(
    runner: hf.Runner, emulator: Emulator
) -> None:
    models = hf.iter_models(runner, hf.search_models(sort="popularity"))
    assert [m async for m in models] == []
    assert isinstance(models.error, hf.InvalidInput) and models.error.field == "sort"
    assert emulator.requests == []


# ------------------------------------------------------------------ status


async def test_model_status_from_the_hub(runner: hf.Runner, emulator: Emulator) -> None:
    assert await hf.model_status(runner, LLAMA) == hf.Available(
        model=LLAMA, providers=("hf-inference", "groq", "together", "novita")
    )
    assert isinstance(await hf.model_status(runner, "nobody/nothing"), hf.ModelNotFound)
    renamed = await hf.model_status(runner, "bert-base-uncased")
    assert renamed == hf.Available(
        model="google-bert/bert-base-uncased", providers=("hf-inference",)
    )
    bad = await hf.model_status(runner, "not a repo")
    assert isinstance(bad, hf.Unavailable) and "invalid model" in bad.reason
    assert len(hub_requests(emulator)) == 4  # the rename took two; the bad id was not sent


async def test_a_model_no_provider_serves_is_unavailable(emulator_factory: EmulatorFactory) -> None:
    card = ModelCard(id="acme/unserved", pipeline_tag="text-classification", inference=None)
    emu = await emulator_factory(models=[card])
    async with hf.open_runner(config_for(emu), token=emu.token) as fresh:
        unserved = await hf.model_status(fresh, "acme/unserved")
    assert isinstance(unserved, hf.Unavailable) and not unserved.transient
    assert "no inference provider serves it" in unserved.reason


async def test_gated_is_read_from_the_hubs_error_code(
    runner: hf.Runner, emulator: Emulator
) -> None:
    body = {"error": f"Access to model {LLAMA} is restricted (token {emulator.token})."}
    emulator.script("hub", Fault.status(403, body, {"X-Error-Code": "GatedRepo"}))
    gated = await hf.model_status(runner, LLAMA)
    assert isinstance(gated, hf.Gated)
    assert emulator.token not in gated.detail and "********" in gated.detail  # never the token


async def test_a_cold_model_loads_then_answers_and_the_hub_sees_it_warm(
    runner: hf.Runner, emulator: Emulator
) -> None:
    info = (await runner.run(hf.model_info(COLD_MODEL))).unwrap()
    assert not info.warm and info.live_providers == ("hf-inference",)
    request = hf.text_generation(COLD_MODEL, "Once upon a time")
    time = FakeTime()
    seen: list[ModelStatus] = []
    result = await hf.wait_for_model(
        runner, request, clock=time.clock, sleep=time.sleep, on_status=seen.append
    )
    assert isinstance(result, Success) and result.unwrap().generated_text
    assert time.slept == [20.0, 10.0]  # the server's estimates, longer than the 5 s interval
    assert seen == [
        hf.Loading(model=COLD_MODEL, estimated_time=20.0),
        hf.Loading(model=COLD_MODEL, estimated_time=10.0),
        hf.Available(model=COLD_MODEL),
    ]
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert len(posts) == 3
    assert (await runner.run(hf.model_info(COLD_MODEL))).unwrap().warm


async def test_the_cold_state_belongs_to_each_emulator(
    runner: hf.Runner, emulator_factory: EmulatorFactory
) -> None:
    request = hf.text_generation(COLD_MODEL, "hi")
    first = failure_of(await runner.run(request))
    assert isinstance(first, hf.ModelLoading) and first.estimated_time == 20.0
    other = await emulator_factory()
    async with hf.open_runner(config_for(other), token=other.token) as fresh:
        again = failure_of(await fresh.run(request))
    assert isinstance(again, hf.ModelLoading) and again.estimated_time == 20.0


async def test_the_plan_can_ignore_the_estimate(runner: hf.Runner) -> None:
    time = FakeTime()
    plan = WaitPlan(interval=2.0, deadline=120.0, honour_estimate=False)
    request = hf.text_generation(COLD_MODEL, "hi")
    result = await hf.wait_for_model(runner, request, plan=plan, clock=time.clock, sleep=time.sleep)
    assert isinstance(result, Success)
    assert time.slept == [2.0, 2.0]


async def test_waiting_gives_up_at_the_deadline_with_the_last_error(
    runner: hf.Runner, emulator: Emulator
) -> None:
    emulator.always(
        "text-generation", Fault.status(503, {"error": "still loading", "estimated_time": 50})
    )
    time = FakeTime()
    request = hf.text_generation("gpt2", "hi")
    result = await hf.wait_for_model(
        runner, request, plan=QUICK_POLL, clock=time.clock, sleep=time.sleep
    )
    error = failure_of(result)
    assert isinstance(error, hf.ModelLoading) and error.estimated_time == 50.0
    assert time.slept == [50.0, 50.0, 20.0]  # the last poll at the 120 s deadline
    assert len(emulator.requests) == 4


async def test_waiting_stops_at_once_for_a_model_that_is_not_there(
    runner: hf.Runner, emulator: Emulator
) -> None:
    time = FakeTime()
    result = await hf.wait_for_model(
        runner, hf.text_generation("nobody/nothing", "hi"), clock=time.clock, sleep=time.sleep
    )
    assert isinstance(failure_of(result), hf.NotFound)
    assert time.slept == [] and len(emulator.requests) == 1


async def test_waiting_is_cancellable(runner: hf.Runner, emulator: Emulator) -> None:
    slept = asyncio.Event()

    async def forever(seconds: float) -> None:
        slept.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(
        hf.wait_for_model(runner, hf.text_generation(COLD_MODEL, "hi"), sleep=forever)
    )
    await slept.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(emulator.requests) == 1  # nothing sent after the cancel


# ------------------------------------------------------------------ the reliable runner


async def test_the_reliable_runner_serves_repeated_hub_requests_from_its_cache(
    runner: hf.Runner, emulator: Emulator
) -> None:
    reliable = hf.ReliableRunner(runner, hf.Policy(bucket=UNLIMITED))
    first = (await reliable.run(hf.model_info(LLAMA))).unwrap()
    second = (await reliable.run(hf.model_info(LLAMA))).unwrap()
    assert first == second
    assert len(emulator.requests) == 1
    assert reliable.snapshot().metrics.cache_hits == 1
    search = hf.search_models(page_size=3, limit=6)
    once = [m.id async for m in hf.iter_models(reliable, search)]
    twice = [m.id async for m in hf.iter_models(reliable, search)]
    assert once == twice == [c.id for c in DEFAULT_MODELS][:6]
    assert len(emulator.requests) == 1 + 2  # the second listing came from the cache
    assert reliable.snapshot().metrics.cache_hits == 3


def test_the_catalog_maps_each_provider_once_per_model() -> None:
    # the Hub's model info keys the mapping by provider: two entries would be one on the wire
    ids = [card.id for card in DEFAULT_MODELS]
    assert len(ids) == len(set(ids)), "a model is in the catalogue twice"
    for card in DEFAULT_MODELS:
        names = [p.provider for p in card.providers]
        assert len(names) == len(set(names)), card.id
    renamed = [old for card in DEFAULT_MODELS for old in card.former_ids]
    assert set(renamed) == {"bert-base-uncased", "t5-small"}
    assert not set(renamed) & {card.id for card in DEFAULT_MODELS}


async def test_the_hub_example(runner: hf.Runner, capsys: pytest.CaptureFixture[str]) -> None:
    from examples import hub

    time = FakeTime()
    await hub.main(runner, sleep=time.sleep)
    out = capsys.readouterr().out
    assert "bert-base-uncased is now google-bert/bert-base-uncased; live on hf-inference" in out
    assert "  gpt2: 11,000,000 downloads" in out
    assert "available on 4 providers" in out
    assert "distilbert/distilgpt2 is loading, ready in about 20 s" in out
    assert "answered: " in out and "failed" not in out and "gave up" not in out
    assert time.slept == [20.0, 10.0]


async def test_a_redirect_to_another_host_goes_without_the_token(
    runner: hf.Runner, emulator: Emulator, emulator_factory: EmulatorFactory
) -> None:
    other = await emulator_factory()
    emulator.script("hub", Fault.status(307, "moved", {"Location": f"{other.url}/api/models/gpt2"}))
    info = (await runner.run(hf.model_info("old/gpt2"))).unwrap()
    assert (info.id, info.renamed_from) == ("gpt2", "old/gpt2")
    (there,) = other.requests
    assert there.header("authorization") is None and not there.authorized  # aiohttp drops it
