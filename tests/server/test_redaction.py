"""Stream redaction through a real server: no provider key, JWT secret, system prompt or
tool definition in streamed chunks unless ``stream_redaction`` is turned off."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from mastra import Mastra
from mastra.agent import Agent
from mastra.providers import OpenAIChatModel, Provider
from mastra.server import ServerConfig, create_app
from mastra.server._redact import drop_request_data
from mastra.streaming import SSEParser
from mastra.testing import TestModel
from mastra.tools import tool
from mastra.workflows import Workflow, step

from .conftest import ServerThread, serve_app

KEY = "sk-live-4f1c9a7e2b5d8c30"
JWT_SECRET = "jwt-secret-0123456789-abcdefghijklmnop"
PROMPT = "SYSTEM-PROMPT-93e1: answer tersely"
TOOL_TEXT = "TOOL-DEFINITION-5b2e looks up the key"


@tool
def lookup(name: str) -> str:
    """TOOL-DEFINITION-5b2e looks up the key.

    Args:
        name: What to look up.
    """
    return f"the key of {name} is {KEY}"


@tool
def refuse(name: str) -> str:
    """Fails quoting a secret.

    Args:
        name: Who asks.
    """
    raise RuntimeError(f"token {JWT_SECRET} rejected for {name}")


@step
async def reveal(name: str) -> str:
    """Returns the key."""
    return f"{name}: {KEY}"


def app() -> Mastra:
    remote = OpenAIChatModel("gpt-x", provider=Provider("openai", "http://127.0.0.1:9/v1", KEY))
    agents = [
        Agent("leaky", PROMPT, TestModel(text="done"), tools=[lookup, refuse]),
        Agent("remote", "Never called.", remote),  # the key to keep out of every stream
    ]
    flow = Workflow("reveal", str, str).then(reveal).commit()
    return Mastra(agents=agents, workflows={"reveal": flow})


@pytest.fixture(scope="module", params=[True, False], ids=["redacted", "plain"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[ServerThread, bool]]:
    on: bool = request.param
    config = ServerConfig(host="127.0.0.1", jwt_secret=JWT_SECRET, stream_redaction=on)
    for server in serve_app(create_app(app(), config)):
        yield server, on


def events(body: bytes) -> list[str]:
    parser = SSEParser()
    found = [event.data for event in parser.feed(body)]
    parser.close()
    return found


def test_agent_stream_carries_no_secret(served: tuple[ServerThread, bool]) -> None:
    server, on = served
    response = httpx.post(server.url + "/api/agents/leaky/stream", json={"messages": "key?"})
    assert response.status_code == 200
    data = events(response.content)
    assert data[-1] == "[DONE]"
    chunks = [orjson.loads(d) for d in data[:-1]]  # still valid JSON once redacted
    types = [c["type"] for c in chunks]
    assert "tool-result" in types
    assert "tool-error" in types
    body = response.content.decode()
    assert PROMPT not in body
    assert TOOL_TEXT not in body
    if on:
        assert KEY not in body
        assert JWT_SECRET not in body
        result = next(c for c in chunks if c["type"] == "tool-result")["payload"]["result"]
        assert "[redacted]" in result
    else:  # the same run, unredacted, does leak: the check above is not vacuous
        assert KEY in body
        assert JWT_SECRET in body


def test_workflow_stream_carries_no_secret(served: tuple[ServerThread, bool]) -> None:
    server, on = served
    url = server.url + f"/api/workflows/reveal/stream?runId=r-{on}"
    records = httpx.post(url, json={"inputData": "ada"})
    sse = httpx.post(
        url + "-sse", json={"inputData": "bob"}, headers={"Accept": "text/event-stream"}
    )
    for response in (records, sse):
        assert response.status_code == 200
        assert "workflow-finish" in response.text
        assert (KEY in response.text) is not on


def test_request_data_is_dropped_from_the_chunks_that_carry_it() -> None:
    request = {"body": {"messages": [{"role": "system", "content": PROMPT}], "tools": []}}
    start = {"type": "step-start", "runId": "r", "from": "AGENT", "payload": {"request": request}}
    assert drop_request_data(start)["payload"] == {}
    finish = {
        "type": "finish",
        "runId": "r",
        "from": "AGENT",
        "payload": {"metadata": {"request": request, "modelId": "m"}, "output": {"usage": {}}},
    }
    assert drop_request_data(finish)["payload"] == {
        "metadata": {"modelId": "m"},
        "output": {"usage": {}},
    }
    delta = {"type": "text-delta", "payload": {"text": "request", "request": "kept"}}
    assert drop_request_data(delta) is delta
    assert "request" in start["payload"]  # the chunk given is not changed
