"""The Hub's model API, pure: request values, the decoders against fixtures written from
WIRE.md (both forms of the provider mapping), the Link header and the same-host rule."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

import hf_pure as hf
from hf_pure.core.errors import ErrorEvent
from hf_pure.core.http import raw_reply
from hf_pure.core.links import Link, next_link, parse_links, same_site_path
from hf_pure.core.request import decode_reply
from hf_pure.tasks.hub import (
    EXPAND_FIELDS,
    ModelInfoRequest,
    ModelPage,
    ModelProvider,
    ModelSearch,
    PageCursor,
    next_search,
    search_models,
)

LIMITS = hf.Limits()
HUB = "https://huggingface.co"

# ------------------------------------------------------------------ fixtures from WIRE.md

#: ``GET /api/models/{id}?expand[]=...``: the mapping as a dict keyed by provider.
INFO_BODY = (
    b'{"_id":"621ffdc036468d709f174338","id":"google-bert/bert-base-uncased",'
    b'"pipeline_tag":"fill-mask","tags":["transformers","pytorch","bert","fill-mask","en"],'
    b'"downloads":52000000,"likes":2300,"private":false,"gated":false,'
    b'"library_name":"transformers","inference":"warm","sha":"86b5e0934494bd15c9632b12f734a8a67f723594",'
    b'"inferenceProviderMapping":{"hf-inference":{"providerId":"google-bert/bert-base-uncased",'
    b'"status":"live","task":"fill-mask"}}}'
)
#: A gated chat model with several providers, one of them staging (and fields we don't read).
GATED_BODY = (
    b'{"_id":"6","id":"meta-llama/Llama-3.1-8B-Instruct","pipeline_tag":"text-generation",'
    b'"gated":"manual","private":false,"likes":4700,"downloads":5400000,'
    b'"inferenceProviderMapping":{'
    b'"groq":{"providerId":"llama-3.1-8b-instant","status":"live","task":"conversational"},'
    b'"together":{"providerId":"meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo","status":"live",'
    b'"task":"conversational","adapter":null},'
    b'"novita":{"providerId":"meta-llama/llama-3.1-8b-instruct","status":"staging",'
    b'"task":"conversational","type":"single-model"}},"spaces":[],"cardData":{"license":"x"}}'
)
#: ``GET /api/models?...``: the mapping of each item as a list naming the provider.
LISTING_BODY = (
    b'[{"_id":"6","id":"meta-llama/Llama-3.1-8B-Instruct","likes":4700,"downloads":5400000,'
    b'"gated":"manual","inference":"warm","inferenceProviderMapping":['
    b'{"provider":"groq","providerId":"llama-3.1-8b-instant","status":"live","task":"conversational"},'
    b'{"provider":"together","providerId":"meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",'
    b'"status":"live","task":"conversational"},'
    b'{"provider":"novita","providerId":"meta-llama/llama-3.1-8b-instruct","status":"staging",'
    b'"task":"conversational"}]},'
    b'{"_id":"7","id":"gpt2","pipeline_tag":"text-generation","tags":["gpt2"],'
    b'"inferenceProviderMapping":[]}]'
)
NEXT = "https://huggingface.co/api/models?limit=2&cursor=eyJvZmZzZXQiOjJ9"


def info_of(body: bytes, asked: str = "google-bert/bert-base-uncased") -> hf.ModelInfo:
    out = decode_reply(hf.model_info(asked), raw_reply(200, body))
    assert isinstance(out, Success), out
    info: hf.ModelInfo = out.unwrap()
    return info


def failure(out: object) -> hf.HfError:
    assert isinstance(out, Failure), out
    error: hf.HfError = out.failure()
    return error


# ------------------------------------------------------------------ model info


def test_model_info_reads_every_field_of_the_documented_reply() -> None:
    info = info_of(INFO_BODY)
    assert info == hf.ModelInfo(
        id="google-bert/bert-base-uncased",
        pipeline_tag="fill-mask",
        tags=("transformers", "pytorch", "bert", "fill-mask", "en"),
        downloads=52_000_000,
        likes=2300,
        private=False,
        gated=False,
        library_name="transformers",
        inference="warm",
        providers=(
            ModelProvider(
                provider="hf-inference",
                provider_id="google-bert/bert-base-uncased",
                task="fill-mask",
                status="live",
            ),
        ),
    )
    assert info.warm and info.author == "google-bert"
    assert info.renamed_from is None


def test_gated_info_and_the_provider_views() -> None:
    info = info_of(GATED_BODY, "meta-llama/Llama-3.1-8B-Instruct")
    assert info.gated == "manual"
    assert not info.warm  # no "inference" field: the Hub didn't say warm
    assert [p.provider for p in info.providers] == ["groq", "together", "novita"]
    assert info.live_providers == ("groq", "together")
    assert info.provider("novita") is not None and not info.provider("novita").live  # type: ignore[union-attr]
    assert info.provider("cohere") is None
    assert [p.provider for p in info.providers_for("chat")] == ["groq", "together"]
    assert info.providers_for("feature-extraction") == ()
    assert info.library_name is None and info.tags == ()  # not expanded: defaults


def test_both_forms_of_the_provider_mapping_read_the_same() -> None:
    listed = decode_reply(search_models(), raw_reply(200, LISTING_BODY)).unwrap()
    from_dict = info_of(GATED_BODY, "meta-llama/Llama-3.1-8B-Instruct")
    assert listed.models[0].providers == from_dict.providers
    assert listed.models[1].providers == ()


def test_a_renamed_model_reports_the_id_it_was_asked_by() -> None:
    info = info_of(INFO_BODY, asked="bert-base-uncased")
    assert info.id == "google-bert/bert-base-uncased"
    assert info.renamed_from == "bert-base-uncased"


def test_the_fallback_reads_what_the_typed_decode_refuses_and_gives_the_same_values() -> None:
    # 2**63 fits the readers' uint64 but not the typed int64: the fallback reads the body
    quirky = INFO_BODY.replace(b'"likes":2300', b'"likes":9223372036854775808')
    typed, fallback = info_of(INFO_BODY), info_of(quirky)
    assert fallback.likes == 2**63
    assert fallback == msgspec.structs.replace(typed, likes=2**63)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>Bad gateway</html>", "the body is not valid JSON"),
        (b"null", "expected an object, got null"),
        (b"[]", "expected an object, got an array"),
        (b'{"pipeline_tag":"x"}', "id: missing (expected text)"),
        (b'{"id":null}', "id: missing (expected text)"),
        (b'{"id":"a","tags":["x",3]}', "tags[1]: expected text, got a number"),
        (b'{"id":"a","likes":true}', "likes: expected an integer, got a boolean"),
        (b'{"id":"a","gated":1}', "gated: expected false or text, got a number"),
        (b'{"id":"a","inferenceProviderMapping":"groq"}', "inferenceProviderMapping: expected an"),
        (
            b'{"id":"a","inferenceProviderMapping":{"groq":{"providerId":7}}}',
            "inferenceProviderMapping.groq.providerId: expected text, got a number",
        ),
        (
            b'{"id":"a","inferenceProviderMapping":[{"providerId":"x"}]}',
            "inferenceProviderMapping[0].provider: missing",
        ),
    ],
)
def test_wrong_bodies_are_malformed_naming_the_field(body: bytes, reason: str) -> None:
    error = failure(decode_reply(hf.model_info("a"), raw_reply(200, body)))
    assert isinstance(error, hf.MalformedResponse)
    assert error.reason.startswith(reason), error.reason


def test_an_error_object_in_a_2xx_is_an_error_event_and_other_statuses_are_errors() -> None:
    request = hf.model_info("a/b")
    event = failure(decode_reply(request, raw_reply(200, b'{"error":"Repository not found"}')))
    assert isinstance(event, ErrorEvent) and event.detail == "Repository not found"
    missing = failure(
        decode_reply(request, raw_reply(404, b'{"error":"Model a/b does not exist"}'))
    )
    assert isinstance(missing, hf.NotFound)


# ------------------------------------------------------------------ requests


def test_model_info_asks_for_every_field_it_reads() -> None:
    call = hf.model_info("google-bert/bert-base-uncased").to_call()
    assert (call.method, call.base, call.path) == (
        "GET",
        "hub",
        "/api/models/google-bert/bert-base-uncased",
    )
    assert call.query == tuple(("expand[]", f) for f in EXPAND_FIELDS)
    read = set(hf.ModelInfo.__struct_fields__) - {"id", "providers", "renamed_from"}
    assert read | {"inferenceProviderMapping"} == set(EXPAND_FIELDS)
    assert call.body is None
    assert call.url(HUB).startswith(f"{HUB}/api/models/google-bert/bert-base-uncased?expand%5B%5D=")


def test_model_info_requests_are_cacheable_values() -> None:
    a, b = hf.model_info("gpt2"), hf.model_info("gpt2")
    assert a == b and hash(a) == hash(b) and a.cacheable
    assert a.model == "gpt2"  # the reliability policy keys breakers by it


@pytest.mark.parametrize(
    ("model", "field"),
    [("", "model"), ("a b", "model"), ("/x", "model"), ("a/.b", "model"), (3, "model")],
)
def test_model_info_checks_the_repo_id(model: object, field: str) -> None:
    problem = ModelInfoRequest(model=model).check(LIMITS)  # type: ignore[arg-type]
    assert problem is not None and problem.field == field


def test_model_info_refuses_a_provider_suffix() -> None:
    problem = hf.model_info("meta-llama/Llama-3.1-8B-Instruct:groq").check(LIMITS)
    assert problem is not None and "no ':provider' suffix" in problem.reason


def test_search_sends_its_filters_in_order() -> None:
    search = search_models(
        search="llama",
        author="meta-llama",
        pipeline_tag="text-generation",
        inference_provider=["groq", "together"],
        sort="trending_score",
        direction=-1,
        limit=50,
        expand=False,
    )
    assert search.check(LIMITS) is None
    call = search.to_call()
    assert (call.method, call.base, call.path) == ("GET", "hub", "/api/models")
    assert call.query == (
        ("search", "llama"),
        ("author", "meta-llama"),
        ("pipeline_tag", "text-generation"),
        ("inference_provider", "groq,together"),
        ("sort", "trendingScore"),
        ("direction", "-1"),
        ("limit", "50"),
    )
    assert search_models(expand=True).to_call().query == tuple(
        ("expand[]", f) for f in EXPAND_FIELDS
    )


@pytest.mark.parametrize(
    ("limit", "page_size", "wire"),
    [(None, None, None), (5, None, 5), (5000, None, 1000), (5, 2, 2), (2, 5, 2), (None, 7, 7)],
)
def test_the_page_size_asked_is_the_smallest_of_limit_page_size_and_1000(
    limit: int | None, page_size: int | None, wire: int | None
) -> None:
    search = search_models(limit=limit, page_size=page_size)
    assert search.wire_limit == wire
    assert (("limit", str(wire)) in search.query()) == (wire is not None)


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"sort": "popularity"}, "sort"),
        ({"direction": 0}, "direction"),
        ({"direction": "desc"}, "direction"),
        ({"limit": 0}, "limit"),
        ({"limit": True}, "limit"),
        ({"page_size": 1001}, "page_size"),
        ({"search": 3}, "search"),
        ({"author": ""}, "author"),
        ({"inference_provider": "no such"}, "inference_provider[0]"),
        ({"inference_provider": 3}, "inference_provider"),
    ],
)
def test_search_check_names_the_bad_field(fields: dict[str, object], where: str) -> None:
    search = search_models(**fields)  # type: ignore[arg-type]  # the builder takes any data
    problem = search.check(LIMITS)
    assert problem is not None and problem.field == where, problem


def test_all_providers_is_a_valid_filter() -> None:
    assert search_models(inference_provider="all").check(LIMITS) is None


# ------------------------------------------------------------------ paging


def page_with(next_url: str | None) -> ModelPage:
    return ModelPage(models=(), next_url=next_url)


def test_the_listing_reply_carries_the_next_link() -> None:
    headers = {"Link": f'<{NEXT}>; rel="next"'}
    page = decode_reply(search_models(), raw_reply(200, LISTING_BODY, headers)).unwrap()
    assert [m.id for m in page.models] == ["meta-llama/Llama-3.1-8B-Instruct", "gpt2"]
    assert page.next_url == NEXT and len(page) == 2


def test_next_search_follows_a_link_on_the_hub_host() -> None:
    first = search_models(search="bert", limit=10)
    following = next_search(first, page_with(NEXT), HUB)
    assert isinstance(following, ModelSearch)
    assert following.cursor == PageCursor(
        path="/api/models", query=(("limit", "2"), ("cursor", "eyJvZmZzZXQiOjJ9"))
    )
    assert following.limit == 10  # the whole listing's limit stays with it
    call = following.to_call()
    assert call.url(HUB) == NEXT
    assert next_search(first, page_with(None), HUB) is None


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/api/models?cursor=x",
        "http://huggingface.co/api/models?cursor=x",
        "https://huggingface.co:8443/api/models?cursor=x",
        "https://huggingface.co.evil.example/api/models",
        "https://[::1/api",
    ],
)
def test_next_search_refuses_a_link_to_another_site(link: str) -> None:
    refused = next_search(search_models(), page_with(link), HUB)
    assert isinstance(refused, hf.MalformedResponse)
    assert "not followed" in refused.reason


def test_relative_links_and_base_paths() -> None:
    relative = next_search(search_models(), page_with("/api/models?cursor=c"), "http://127.0.0.1:8")
    assert isinstance(relative, ModelSearch) and relative.cursor is not None
    assert relative.cursor.path == "/api/models"
    proxied = "https://proxy.example/hf"
    inside = same_site_path("https://proxy.example/hf/api/models?cursor=c", proxied)
    assert inside == ("/api/models", (("cursor", "c"),))
    assert isinstance(same_site_path("https://proxy.example/other/api/models", proxied), str)
    assert same_site_path("https://HuggingFace.co:443/api/models", HUB) == ("/api/models", ())


# ------------------------------------------------------------------ the Link header


def test_parse_links_reads_several_links_and_their_relations() -> None:
    header = (
        '<https://huggingface.co/api/models?cursor=a,b>; rel="next prefetch"; title="x;y", '
        "<https://huggingface.co/api/models>; REL=first,<bare>;rel=last, garbage, <unclosed"
    )
    assert parse_links(header) == (
        Link(url="https://huggingface.co/api/models?cursor=a,b", rel=("next", "prefetch")),
        Link(url="https://huggingface.co/api/models", rel=("first",)),
        Link(url="bare", rel=("last",)),
    )


def test_next_link_looks_in_every_link_header() -> None:
    reply = raw_reply(200, b"[]", [("Link", '<a>; rel="prev"'), ("link", '<b>; rel="next"')])
    assert next_link(reply.headers) == "b"
    assert next_link(raw_reply(200, b"[]").headers) is None
    assert next_link({"link": '<c>; rel="next"'}) == "c"  # a plain mapping works too


URL_CHARS = st.text(st.sampled_from('abc/:?=&%.-_~;," '), min_size=1, max_size=30)
RELS = st.lists(st.sampled_from(["next", "prev", "last", "first"]), min_size=1, max_size=3)


@given(st.lists(st.tuples(URL_CHARS, RELS), max_size=4))
def test_rendered_links_parse_back(links: list[tuple[str, list[str]]]) -> None:
    header = ", ".join(f'<{url}>; rel="{" ".join(rel)}"' for url, rel in links)
    assert parse_links(header) == tuple(Link(url=u.strip(), rel=tuple(r)) for u, r in links)


@given(st.text(max_size=60))
def test_parse_links_never_raises(text: str) -> None:
    for link in parse_links(text):
        assert isinstance(link.url, str)


TARGETS = st.text(max_size=40) | st.sampled_from(
    ["//evil.example/x", "https://[::1/x", "http://h:99999/", "https://huggingface.co@evil/x"]
)


@given(TARGETS, st.sampled_from([HUB, "http://127.0.0.1:8", "https://proxy.example/hf"]))
def test_same_site_path_never_raises_and_never_leaves_the_site(target: str, base: str) -> None:
    from urllib.parse import urlsplit

    got = same_site_path(target, base)
    if isinstance(got, str):
        return
    path, query = got
    rebuilt = urlsplit(hf.HttpCall(method="GET", path=path, query=query).url(base))
    here = urlsplit(base)
    assert (rebuilt.scheme, rebuilt.hostname, rebuilt.port) == (
        here.scheme,
        here.hostname,
        here.port,
    )
