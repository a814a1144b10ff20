"""Agents end to end over HTTP: the providers' loopback server in OpenAI and Anthropic
wire formats, on both transports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Literal

import pytest
from pydantic import BaseModel

from mastra.agent import Agent
from mastra.errors import OutputValidationError
from mastra.http import HttpClient
from mastra.providers import AnthropicModel, Model, OpenAIChatModel, Provider
from mastra.tools import tool
from providers import wire
from providers.helpers import FAST_CONFIG, KEY
from providers.server import LoopbackServer

pytestmark = pytest.mark.anyio


@tool
async def search(query: str, limit: int) -> str:
    """Searches the web.

    Args:
        query: What to look for.
        limit: How many results.
    """
    return f"{limit} hits for {query}"


@tool
async def lookup(query: str, limit: int) -> dict[str, object]:
    """Looks a word up."""
    return {"word": query, "senses": limit}


@tool(timeout=0.05)
async def stuck(query: str, limit: int) -> str:
    """Never answers in time."""
    await asyncio.sleep(30)
    return "late"


@tool
def picky(query: str, limit: Literal[5]) -> str:
    """Only takes limit=5."""
    return "fine"


class Answer(BaseModel):
    answer: int


class WrongAnswer(BaseModel):
    answer: list[str]


@pytest.fixture(params=["httpx", "aiohttp"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[HttpClient]:
    async with HttpClient(replace(FAST_CONFIG, transport=request.param)) as http:
        yield http
        assert http.pool_stats().in_use == 0


@pytest.fixture(params=["openai", "anthropic"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def model_for(flavour: str, base: str, client: HttpClient) -> Model:
    if flavour == "anthropic":
        provider = Provider("anthropic", base, KEY, auth="x-api-key", http=client)
        return AnthropicModel("claude-test", provider=provider)
    return OpenAIChatModel("gpt-test", provider=Provider("openai", base, KEY, http=client))


async def test_single_tool_round_trip(
    wire_server: LoopbackServer, client: HttpClient, flavour: str
) -> None:
    base = wire_server.url()
    agent = Agent("a", "Use tools.", model_for(flavour, base, client), tools=[search])
    result = await agent.generate("Find cats")
    assert result.text == "Results: 3 hits for search"
    assert len(result.steps) == 2
    assert result.usage.input_tokens == 2 * wire.INPUT_TOKENS
    sent = wire_server.log(base)
    assert len(sent) == 2
    assert wire.tool_results(sent[1]) == ["3 hits for search"]


async def test_parallel_tool_round_trip(wire_server: LoopbackServer, client: HttpClient) -> None:
    base = wire_server.url()
    agent = Agent("a", None, model_for("openai", base, client), tools=[search, lookup])
    result = await agent.generate("Find cats")
    assert [c.name for c in result.steps[0].tool_calls] == ["search", "lookup"]
    assert result.text == 'Results: 3 hits for search; {"word":"lookup","senses":3}'


async def test_invalid_arguments_and_timeouts_reach_the_model(
    wire_server: LoopbackServer, client: HttpClient
) -> None:
    base = wire_server.url()
    agent = Agent("a", None, model_for("openai", base, client), tools=[picky, stuck])
    result = await agent.generate("go")
    errors = [r.result for r in result.steps[0].tool_results]
    assert all(r.is_error for r in result.steps[0].tool_results)
    assert "invalid arguments for tool 'picky': limit" in errors[0]
    assert "timed out" in errors[1]
    assert wire.tool_results(wire_server.log(base)[1]) == errors
    assert result.text.startswith("Results: Error:")


async def test_structured_output(wire_server: LoopbackServer, client: HttpClient) -> None:
    base = wire_server.url()
    agent = Agent("a", None, model_for("openai", base, client), output_type=Answer)
    result = await agent.generate("The answer?")
    assert result.output == Answer(answer=42)
    assert wire_server.log(base)[0]["response_format"]["json_schema"]["name"] == "Answer"
    with pytest.raises(OutputValidationError):
        await agent.generate("The answer?", output_type=WrongAnswer)
    assert len(wire_server.log(base)) == 3  # one answer, then one corrective retry


async def test_max_steps(wire_server: LoopbackServer, client: HttpClient) -> None:
    agent = Agent("a", None, model_for("openai", wire_server.url(), client), tools=[search])
    result = await agent.generate("go", max_steps=1)
    assert result.finish_reason == "max_steps"
    assert result.text == ""


async def test_stream_event_order(
    wire_server: LoopbackServer, client: HttpClient, flavour: str
) -> None:
    agent = Agent("a", None, model_for(flavour, wire_server.url(), client), tools=[search])
    async with agent.stream("go") as stream:
        types = [chunk.type async for chunk in stream]
    first, second = types.index("step-finish"), len(types) - 2
    assert types[:3] == ["start", "step-start", "tool-call"]
    assert types[3:first] == ["tool-result"]
    assert types[first + 1 : first + 3] == ["step-start", "text-start"]
    assert set(types[first + 3 : second - 1]) == {"text-delta"}
    assert types[second - 1] == "text-end"
    assert types[second:] == ["step-finish", "finish"]
    assert stream.text == "Results: 3 hits for search"


async def test_cancelling_a_stream_closes_the_connection(
    wire_server: LoopbackServer, client: HttpClient
) -> None:
    base = wire_server.url("stall-mid-stream")
    agent = Agent("a", None, model_for("openai", base, client))
    before = asyncio.all_tasks()
    async with agent.stream("go") as stream:
        async for chunk in stream:
            if chunk.type == "text-delta":
                break
    assert client.pool_stats().in_use == 0
    assert asyncio.all_tasks() == before


async def test_sync_facade_over_http(wire_server: LoopbackServer) -> None:
    base = wire_server.url()
    model = OpenAIChatModel("gpt-test", provider=Provider("openai", base, KEY, http=FAST_CONFIG))
    agent = Agent("a", None, model, tools=[search])
    result = await asyncio.to_thread(agent.generate_sync, "go")
    assert result.text == "Results: 3 hits for search"
