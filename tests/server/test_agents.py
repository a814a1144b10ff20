"""Agent routes through a real server: list, details, generate, stream, tools."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson
import pytest

from mastra.agent import Agent
from mastra.streaming import SSEParser

from .apps import SlowProbe, build
from .conftest import ServerThread


def sse_events(body: bytes) -> list[str]:
    parser = SSEParser()
    events = [event.data for event in parser.feed(body)]
    parser.close()
    return events


def test_list_agents_is_keyed_by_id(client: httpx.Client) -> None:
    response = client.get("/api/agents")
    assert response.status_code == 200
    agents = response.json()
    assert set(agents) == {"echo", "weather", "slow", "down", "limited", "chat"}
    assert agents["echo"]["name"] == "echo"
    assert agents["echo"]["modelId"] == "echo-model"


def test_agent_details_carry_tool_schemas(client: httpx.Client) -> None:
    details = client.get("/api/agents/weather").json()
    assert details["instructions"] == "Use the tool."
    assert details["provider"] == "test"
    schema = orjson.loads(details["tools"]["weather"]["inputSchema"])["json"]
    assert schema["required"] == ["city"]


def test_unknown_agent_is_404(client: httpx.Client) -> None:
    for method, path in [("GET", "/api/agents/nope"), ("POST", "/api/agents/nope/generate")]:
        response = client.request(method, path, json={"messages": "hi"})
        assert response.status_code == 404
        assert "nope" in response.json()["error"]


def test_generate_with_a_string_and_with_messages(client: httpx.Client) -> None:
    result = client.post("/api/agents/echo/generate", json={"messages": "hello"}).json()
    assert result["text"] == "echo: hello"
    assert result["finishReason"] == "stop"
    assert result["usage"]["totalTokens"] > 0
    messages = [{"role": "user", "content": [{"type": "text", "text": "parts"}]}]
    result = client.post("/api/agents/echo/generate", json={"messages": messages}).json()
    assert result["text"] == "echo: parts"


def test_generate_with_a_tool_returns_mastra_tool_chunks(client: httpx.Client) -> None:
    body = {"messages": "weather?", "memory": {"thread": "t1", "resource": "u1"}}
    result = client.post("/api/agents/weather/generate", json=body).json()
    assert result["text"] == "It is sunny."
    call = result["toolCalls"][0]
    assert call["type"] == "tool-call"
    assert call["from"] == "AGENT"
    assert call["payload"]["toolName"] == "weather"
    assert set(call["payload"]) == {"toolCallId", "toolName", "args"}
    outcome = result["toolResults"][0]
    assert outcome["payload"]["toolCallId"] == call["payload"]["toolCallId"]
    assert len(result["steps"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "messages"),
        ({"messages": []}, 422, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, 422, "role"),
        ({"messages": "x", "maxSteps": 0}, 422, "maxSteps"),
        ([1, 2], 422, "object"),
    ],
)
def test_generate_rejects_bad_bodies_naming_the_field(
    client: httpx.Client, body: object, status: int, field: str
) -> None:
    response = client.post("/api/agents/echo/generate", json=body)
    assert response.status_code == status
    assert field in response.json()["error"]


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post("/api/agents/echo/generate", content=b'{"messages": ')
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["error"]


def test_provider_errors_map_to_503_and_429(client: httpx.Client) -> None:
    response = client.post("/api/agents/down/generate", json={"messages": "x"})
    assert response.status_code == 503
    assert response.json() == {"error": "upstream down"}
    response = client.post("/api/agents/limited/generate", json={"messages": "x"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


def test_stream_matches_agent_stream_chunks(client: httpx.Client) -> None:
    response = client.post("/api/agents/weather/stream", json={"messages": "weather?"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.content)
    assert events[-1] == "[DONE]"
    chunks = [orjson.loads(data) for data in events[:-1]]
    assert {chunk["from"] for chunk in chunks} == {"AGENT"}
    assert len({chunk["runId"] for chunk in chunks}) == 1
    agent: Agent = build().get_agent("weather")

    async def local() -> list[tuple[str, object]]:
        async with agent.stream("weather?") as stream:
            return [(c.type, c.payload) for c in [chunk async for chunk in stream]]

    expected = asyncio.run(local())
    got = [(chunk["type"], chunk["payload"]) for chunk in chunks]
    assert _without_ids(got) == _without_ids(expected)


def _without_ids(chunks: list[tuple[str, object]]) -> list[tuple[str, object]]:
    cleaned = []
    for kind, payload in chunks:
        if isinstance(payload, dict):
            payload = {k: v for k, v in payload.items() if k != "toolCallId"}
        cleaned.append((kind, payload))
    return cleaned


def test_stream_error_ends_with_an_error_chunk(client: httpx.Client) -> None:
    response = client.post("/api/agents/down/stream", json={"messages": "x"})
    events = sse_events(response.content)
    assert events[-1] == "[DONE]"
    assert orjson.loads(events[-2])["type"] == "error"


def test_disconnect_mid_stream_cancels_the_run(
    server: ServerThread, client: httpx.Client, probe: SlowProbe
) -> None:
    probe.cancelled.clear()
    with client.stream("POST", "/api/agents/slow/stream", json={"messages": "n=200"}) as response:
        for line in response.iter_lines():
            if "w2" in line:
                break
    assert probe.cancelled.wait(5), "the run went on after the client left"
    deadline = time.monotonic() + 5
    while server.state.metrics.streams_open._value.get() != 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_disconnect_during_generate_cancels_the_run(
    server: ServerThread, client: httpx.Client, probe: SlowProbe
) -> None:
    probe.cancelled.clear()
    probe.started.clear()
    route = 'route="/api/agents/{agentId}/generate",status="499"'

    def disconnected() -> float:
        lines = client.get("/metrics").text.splitlines()
        found = [x for x in lines if x.startswith("mastra_http_requests_total") and route in x]
        return float(found[0].rsplit(" ", 1)[1]) if found else 0.0

    before = disconnected()
    with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes the connection
        httpx.post(
            server.url + "/api/agents/slow/generate", json={"messages": "n=200"}, timeout=0.5
        )
    assert probe.started.is_set()
    assert probe.cancelled.wait(5), "the run went on after the client left"
    deadline = time.monotonic() + 5
    while disconnected() != before + 1:  # counted once the handler has unwound
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_agent_tool_details_and_execution(client: httpx.Client) -> None:
    details = client.get("/api/agents/weather/tools/weather").json()
    assert details["id"] == "weather"
    response = client.post(
        "/api/agents/weather/tools/weather/execute", json={"data": {"city": "Oslo"}}
    )
    assert response.status_code == 200
    assert response.json() == {"city": "Oslo", "temperature_c": 21}
    assert client.get("/api/agents/echo/tools/weather").status_code == 404
