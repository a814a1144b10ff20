"""``/metrics`` beyond requests: HTTP client retries and circuits, the LLM response
cache, LRU cache counters, vector and storage call latency, and RSS — parsed with
``prometheus_client.parser`` after driving requests through a real server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mastra import Mastra
from mastra.agent import Agent
from mastra.cache import LRUCache
from mastra.http import HttpConfig, RetryPolicy, Timeouts
from mastra.memory import Memory
from mastra.providers import OpenAIChatModel, Provider
from mastra.server import ServerConfig, create_app
from mastra.storage import InMemoryStorage
from mastra.testing import TestModel
from mastra.vector import InMemoryVectorStore

from .conftest import ServerThread, serve_app

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
FAST = HttpConfig(
    retry=RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02),
    timeouts=Timeouts(read=5, connect=2),
)


class FakeLLM:
    """An OpenAI-compatible chat endpoint whose first ``failures`` answers are 503."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def complete(self, request: Request) -> Response:
        self.calls += 1
        if self.calls <= self.failures:
            return JSONResponse({"error": {"message": "busy"}}, status_code=503)
        body = await request.json()
        return JSONResponse(
            {
                "id": f"c{self.calls}",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "pong"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
            }
        )

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])])


def samples(client: httpx.Client) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def llm() -> Iterator[tuple[FakeLLM, ServerThread]]:
    fake = FakeLLM(failures=1)
    for server in serve_app(fake.app()):
        yield fake, server


@pytest.fixture(scope="module")
def served(llm: tuple[FakeLLM, ServerThread]) -> Iterator[tuple[ServerThread, LRUCache]]:
    _, upstream = llm
    cache = LRUCache(2)
    provider = Provider("fakeai", upstream.url + "/v1", "sk-test", http=FAST, cache=cache)
    agents = [
        Agent("remote", "Answer.", OpenAIChatModel("gpt-fake", provider=provider)),
        Agent("chat", "Chat.", TestModel(text="Noted."), memory=Memory(InMemoryStorage())),
    ]
    mastra = Mastra(agents=agents, vectors={"v": InMemoryVectorStore()})
    app = create_app(mastra, ServerConfig(host="127.0.0.1", log_requests=False))
    for server in serve_app(app):
        yield server, cache


def test_retries_circuit_and_llm_cache(
    llm: tuple[FakeLLM, ServerThread], served: tuple[ServerThread, LRUCache]
) -> None:
    fake, upstream = llm
    server, _ = served
    host = upstream.url.removeprefix("http://")
    with httpx.Client(base_url=server.url, timeout=10) as client:
        before = samples(client)
        generate = "/api/agents/remote/generate"
        first = client.post(generate, json={"messages": "ping"})
        assert first.status_code == 200, first.text
        assert first.json()["text"] == "pong"
        assert client.post(generate, json={"messages": "ping"}).json()["text"] == "pong"
        after = samples(client)
    assert fake.calls == 2  # one 503, one answer; the repeat came from the cache

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    retried = {"provider": "fakeai", "host": host, "reason": "503"}
    assert delta("mastra_http_client_retries_total", **retried) == 1
    assert value(after, "mastra_http_circuit_state", host=host, state="closed") == 1
    assert value(after, "mastra_http_circuit_state", host=host, state="open") == 0
    assert delta("mastra_llm_cache_hits_total", provider="fakeai") == 1
    assert delta("mastra_llm_cache_misses_total", provider="fakeai") == 1
    assert delta("mastra_cache_hits_total", cache="llm:fakeai") == 1
    assert delta("mastra_cache_misses_total", cache="llm:fakeai") == 1
    assert value(after, "mastra_cache_entries", cache="llm:fakeai") == 1


def test_lru_evictions_are_counted(served: tuple[ServerThread, LRUCache]) -> None:
    server, cache = served
    with httpx.Client(base_url=server.url, timeout=10) as client:
        before = samples(client)
        for i in range(3):  # distinct prompts through a cache of 2 entries
            reply = client.post("/api/agents/remote/generate", json={"messages": f"q{i}"})
            assert reply.status_code == 200, reply.text
        after = samples(client)
    evicted = value(after, "mastra_cache_evictions_total", cache="llm:fakeai")
    assert evicted - value(before, "mastra_cache_evictions_total", cache="llm:fakeai") >= 1
    assert evicted == cache.stats().evictions


def test_vector_and_storage_latency_and_rss(served: tuple[ServerThread, LRUCache]) -> None:
    server, _ = served
    with httpx.Client(base_url=server.url, timeout=10) as client:
        before = samples(client)
        client.post("/api/vector/v/create-index", json={"indexName": "i", "dimension": 2})
        client.post(
            "/api/vector/v/upsert",
            json={"indexName": "i", "vectors": [[1, 0], [0, 1]], "ids": ["a", "b"]},
        )
        for _ in range(3):
            found = client.post(
                "/api/vector/v/query", json={"indexName": "i", "queryVector": [1, 0]}
            )
            assert found.json()[0]["id"] == "a"
        url = "/api/memory/threads?agentId=chat"
        assert client.post(url, json={"resourceId": "r", "threadId": "t1"}).is_success
        assert client.get("/api/memory/threads/t1?agentId=chat").status_code == 200
        after = samples(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    queries = delta("mastra_vector_operation_duration_seconds_count", store="v", operation="query")
    assert queries == 3
    assert delta("mastra_vector_operation_duration_seconds_sum", store="v", operation="query") > 0
    assert delta("mastra_vector_query_duration_seconds_count", store="v") == 3  # the route's
    storage = {"backend": "InMemoryStorage"}
    assert (
        delta(
            "mastra_storage_operation_duration_seconds_count", **storage, operation="create_thread"
        )
        == 1
    )
    assert (
        delta("mastra_storage_operation_duration_seconds_count", **storage, operation="get_thread")
        >= 1
    )
    assert value(after, "mastra_process_resident_memory_bytes") > 10_000_000


def test_watched_cache_is_reported(served: tuple[ServerThread, LRUCache]) -> None:
    server, _ = served
    mine = LRUCache(10)
    server.state.metrics.watch_cache("prompts", mine)
    mine["a"] = b"x"
    assert mine.get("a") == b"x"
    assert mine.get("b") is None
    with httpx.Client(base_url=server.url, timeout=10) as client:
        found = samples(client)
    assert value(found, "mastra_cache_hits_total", cache="prompts") == 1
    assert value(found, "mastra_cache_misses_total", cache="prompts") == 1
    assert value(found, "mastra_cache_bytes", cache="prompts") > 0
