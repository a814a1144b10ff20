"""Operations through a real server: health, metrics, logs, limits, OpenAPI, CORS."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mastra import Mastra
from mastra.server import ServerConfig, create_app

from .conftest import ServerThread, serve_app


def samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_liveness_and_readiness(client: httpx.Client) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    check = ready.json()["checks"][0]
    assert check["name"] == "vector:mem"
    assert check["ok"]
    assert check["durationMs"] >= 0
    assert client.get("/health").status_code == 200


class BrokenStore:
    async def list_indexes(self) -> list[str]:
        raise OSError("disk gone")


def test_readiness_is_503_when_a_check_fails() -> None:
    app = create_app(Mastra(vectors={"bad": BrokenStore()}), open_mastra=False)
    for server in serve_app(app):
        response = httpx.get(server.url + "/health/ready")
        assert response.status_code == 503
        assert "disk gone" in response.json()["checks"][0]["detail"]


def test_metrics_count_requests_by_route_and_status(client: httpx.Client) -> None:
    before = samples(client)
    for _ in range(3):
        client.post("/api/agents/echo/generate", json={"messages": "m"})
    client.post("/api/agents/echo/generate", json={})
    after = samples(client)
    route = "/api/agents/{agentId}/generate"

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("mastra_http_requests_total", method="POST", route=route, status="200") == 3
    assert delta("mastra_http_requests_total", method="POST", route=route, status="422") == 1
    assert delta("mastra_http_request_duration_seconds_count", method="POST", route=route) == 4
    assert delta("mastra_agent_runs_total", agent="echo", outcome="ok") == 3
    labels = {"provider": "function", "model": "echo-model"}
    assert delta("mastra_llm_calls_total", **labels) == 3
    assert delta("mastra_llm_tokens_total", kind="output", **labels) > 0
    assert after[("mastra_http_requests_in_flight", ())] == 1  # the /metrics request itself
    assert after[("process_resident_memory_bytes", ())] > 0


def test_request_log_lines_are_structured_and_carry_no_secrets(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    def logged(key: str, value: object) -> list[logging.LogRecord]:
        # The line is written once the body is sent (its duration includes it): the
        # client may have the response a moment before the server has logged it.
        deadline = time.monotonic() + 5
        while True:
            found = [r for r in caplog.records if getattr(r, key, None) == value]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.01)

    with caplog.at_level(logging.INFO, logger="mastra.server.access"):
        response = client.get(
            "/api/agents", headers={"Authorization": "Bearer sk-secret", "x-request-id": "rid-1"}
        )
        assert response.headers["x-request-id"] == "rid-1"
        records = logged("request_id", "rid-1")
    assert len(records) == 1
    fields = records[0].__dict__
    assert (fields["route"], fields["status"]) == ("/api/agents", 200)
    assert fields["duration_ms"] >= 0
    assert "sk-secret" not in str(fields)
    with caplog.at_level(logging.INFO, logger="mastra.server.access"):
        run = client.post("/api/agents/echo/generate", json={"messages": "x"}).json()["runId"]
        assert logged("run_id", run)


def test_body_limit_is_413(client: httpx.Client) -> None:
    big = {"messages": "x" * (70 * 1024)}
    response = client.post("/api/agents/echo/generate", json=big)
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield b'{"messages": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/agents/echo/generate", content=chunks())
    assert response.status_code == 413


def test_not_found_and_method_not_allowed_are_json(client: httpx.Client) -> None:
    assert client.get("/api/nothing").json() == {"error": "Not Found"}
    response = client.delete("/api/agents")
    assert response.status_code == 405
    assert "error" in response.json()


def test_openapi_document_describes_the_routes(client: httpx.Client) -> None:
    document = client.get("/api/openapi.json").json()
    generate = document["paths"]["/api/agents/{agentId}/generate"]["post"]
    ref = generate["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "messages" in schema["properties"]
    assert "maxSteps" in schema["properties"]
    assert "/api/vector/{vectorName}/query" in document["paths"]
    assert client.get("/swagger-ui").status_code == 200

    def query(path: str, method: str) -> dict[str, bool]:
        parameters = document["paths"][path][method]["parameters"]
        return {p["name"]: p["required"] for p in parameters if p["in"] == "query"}

    threads = query("/api/memory/threads", "get")
    assert threads == {"agentId": True, "resourceId": False, "page": False, "perPage": False}
    assert query("/api/workflows/{workflowId}/start-async", "post") == {"runId": True}
    assert "fromDate" in query("/api/workflows/{workflowId}/runs", "get")
    assert query("/api/audit", "get") == {"principal": False, "limit": False, "offset": False}


def test_cors_defaults_to_any_origin(client: httpx.Client) -> None:
    response = client.options(
        "/api/agents",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in {"*", "https://app.example"}


def test_cors_origins_are_configurable() -> None:
    config = ServerConfig(cors_origins=["https://ok.example"])
    app = create_app(Mastra(), config, open_mastra=False)
    for server in serve_app(app):
        ok = httpx.get(server.url + "/api/agents", headers={"Origin": "https://ok.example"})
        assert ok.headers["access-control-allow-origin"] == "https://ok.example"
        other = httpx.get(server.url + "/api/agents", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_responses_are_camel_case_json(server: ServerThread) -> None:
    body = httpx.post(server.url + "/api/agents/echo/generate", json={"messages": "q"}).content
    assert b"finishReason" in body
    assert b"finish_reason" not in body
    assert orjson.loads(body)["steps"][0]["usage"]["inputTokens"] > 0


def test_metrics_cover_vector_queries_and_provider_circuits() -> None:
    from mastra.agent import Agent
    from mastra.providers import OpenAIChatModel, Provider
    from mastra.vector import InMemoryVectorStore

    model = OpenAIChatModel("gpt-x", provider=Provider("openai", "http://127.0.0.1:9/v1", "k"))
    mastra = Mastra(agents=[Agent("remote", "Hi.", model)], vectors={"v": InMemoryVectorStore()})
    for server in serve_app(create_app(mastra, ServerConfig(host="127.0.0.1"))):
        with httpx.Client(base_url=server.url) as client:
            client.post("/api/vector/v/create-index", json={"indexName": "i", "dimension": 2})
            client.post("/api/vector/v/query", json={"indexName": "i", "queryVector": [1, 0]})
            found = samples(client)
            ready = client.get("/health/ready").json()
    assert found[("mastra_vector_query_duration_seconds_count", (("store", "v"),))] == 1
    circuit = (("agent", "remote"), ("host", "127.0.0.1:9"), ("state", "closed"))
    assert found[("mastra_provider_circuit_state", circuit)] == 1
    assert {"name": "provider:remote", "ok": True, "detail": "closed"}.items() <= next(
        c for c in ready["checks"] if c["name"] == "provider:remote"
    ).items()


def test_request_timeout_is_a_503_and_streams_are_exempt() -> None:
    from .apps import build

    config = ServerConfig(host="127.0.0.1", request_timeout=0.2)
    for server in serve_app(create_app(build(delay=0.02), config)):
        slow = httpx.post(server.url + "/api/agents/slow/generate", json={"messages": "n=50"})
        assert slow.status_code == 503
        assert "in time" in slow.json()["error"]
        streamed = httpx.post(server.url + "/api/agents/slow/stream", json={"messages": "n=20"})
        assert streamed.text.rstrip().endswith("data: [DONE]")
        assert '"type":"finish"' in streamed.text
        # Every other route is bounded too (here a workflow run), its stream is not.
        flows = server.url + "/api/workflows/crawl"
        started = time.monotonic()
        crawl = httpx.post(flows + "/start-async?runId=t1", json={"inputData": 3.0})
        assert crawl.status_code == 503
        assert crawl.json()["error"] == "run 't1' did not finish within 0.2 s and was canceled"
        assert time.monotonic() - started < 1.5
        sse = {"Accept": "text/event-stream"}
        body = {"inputData": 0.4}
        crawled = httpx.post(flows + "/stream?runId=t2", json=body, headers=sse)
        assert crawled.text.rstrip().endswith("data: [DONE]")
        assert '"type":"workflow-finish"' in crawled.text
        assert httpx.get(flows + "/runs/t1").json()["status"] == "canceled"


def test_every_route_is_bounded_by_the_request_timeout() -> None:
    import asyncio

    from starlette.requests import Request
    from starlette.responses import Response

    from mastra.server import api_routes
    from mastra.server._routing import ApiRoute

    async def dawdle(request: Request) -> Response:
        await asyncio.sleep(5)
        return Response("late")

    routes = [*api_routes(), ApiRoute("GET", "/api/dawdle", dawdle, "agents:read", "Slow")]
    config = ServerConfig(host="127.0.0.1", request_timeout=0.2)
    for server in serve_app(create_app(Mastra(), config, routes=routes, open_mastra=False)):
        started = time.monotonic()
        response = httpx.get(server.url + "/api/dawdle")
        assert response.status_code == 503
        assert response.json() == {"error": "the request did not complete within 0.2 s"}
        assert time.monotonic() - started < 1.5
