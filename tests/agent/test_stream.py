"""Agent streams offline: chunk order, text so far, result, errors, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mastra.agent import Agent, Chunk
from mastra.errors import ToolError
from mastra.providers import Message, StreamEvent, TextDelta, ToolCall
from mastra.testing import CallInfo, FunctionModel, TestModel
from mastra.tools import tool

from .helpers import add, calls, city_weather, scripted

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_chunk_order_with_a_tool_round_trip() -> None:
    agent = Agent("w", "sys", TestModel(text="It is sunny today"), tools=[city_weather])
    async with agent.stream("Weather?") as stream:
        chunks = [chunk async for chunk in stream]
        result = await stream.result()
    types = [c.type for c in chunks]
    assert types == [
        "start",
        "step-start",
        "tool-call",
        "tool-result",
        "step-finish",
        "step-start",
        "text-start",
        *["text-delta"] * 4,
        "text-end",
        "step-finish",
        "finish",
    ]
    assert {c.run_id for c in chunks} == {stream.run_id}
    assert chunks[2].payload == {
        "toolCallId": "call_0_city_weather",
        "toolName": "city_weather",
        "args": {"city": "a"},
    }
    assert chunks[3].payload["result"] == '{"city":"a","temp_c":21}'
    text_chunks = [c for c in chunks if c.type.startswith("text-")]
    assert {c.payload["id"] for c in text_chunks} == {"text-1-0"}
    assert chunks[-1].payload["output"]["usage"]["totalTokens"] == result.usage.total_tokens
    assert stream.text == result.text == "It is sunny today"
    assert chunks[-1].to_dict()["from"] == "AGENT"
    assert result.finish_reason == "stop"


async def test_text_blocks_close_before_a_tool_call_and_at_the_end() -> None:
    async def words(messages: list[Message], info: CallInfo) -> AsyncIterator[StreamEvent]:
        if messages[-1].role == "tool":
            yield TextDelta("done")
            return
        yield TextDelta("let me ")
        yield TextDelta("check")
        yield ToolCall("c1", "city_weather", {"city": "a"})
        yield TextDelta("meanwhile")

    agent = Agent("w", None, FunctionModel(stream_function=words), tools=[city_weather])
    async with agent.stream("go") as stream:
        chunks = [
            c for c in [chunk async for chunk in stream] if c.type.startswith(("text", "tool"))
        ]
    assert [(c.type, c.payload.get("id")) for c in chunks] == [
        ("text-start", "text-0-0"),
        ("text-delta", "text-0-0"),
        ("text-delta", "text-0-0"),
        ("text-end", "text-0-0"),
        ("tool-call", None),
        ("text-start", "text-0-1"),
        ("text-delta", "text-0-1"),
        ("text-end", "text-0-1"),
        ("tool-result", None),
        ("text-start", "text-1-0"),
        ("text-delta", "text-1-0"),
        ("text-end", "text-1-0"),
    ]
    assert chunks[1].payload == {"id": "text-0-0", "text": "let me "}
    assert stream.text == "let me checkmeanwhiledone"


async def test_tool_errors_are_chunks() -> None:
    model = scripted(calls(("add", {"a": "x", "b": 1})), "sorry")
    stream = Agent("a", None, model, tools=[add]).stream("go")
    chunks = [chunk async for chunk in stream]
    error = next(c for c in chunks if c.type == "tool-error")
    assert error.payload["args"] == {"a": "x", "b": 1}
    assert "invalid arguments" in error.payload["error"]
    assert (await stream.result()).text == "sorry"


async def test_result_without_iterating_and_structured_output() -> None:
    model = scripted('{"result": 7}')
    stream = Agent("a", None, model, output_type=int).stream("n?")
    result = await stream.result()
    assert result.output == 7
    assert stream.text == '{"result": 7}'


async def test_errors_end_the_stream_with_an_error_chunk() -> None:
    def answer(messages: list[Message], info: CallInfo) -> object:
        return calls(("add", {"a": "x", "b": 1}))

    agent = Agent("a", None, FunctionModel(answer), tools=[add], max_tool_retries=0)  # type: ignore[arg-type]
    seen: list[Chunk] = []
    stream = agent.stream("go")

    async def consume() -> None:
        async for chunk in stream:
            seen.append(chunk)

    with pytest.raises(ToolError):
        await consume()
    assert seen[-1].type == "error"
    assert seen[-1].payload["code"] == "tool_error"
    with pytest.raises(ToolError):
        await stream.result()


async def test_breaking_out_cancels_the_model_stream_and_tools() -> None:
    closed = asyncio.Event()
    tool_cancelled = asyncio.Event()
    started = asyncio.Event()

    @tool
    async def slow(n: int) -> str:
        """Slow work."""
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            tool_cancelled.set()
            raise
        return "late"

    async def events(messages: list[Message], info: CallInfo) -> AsyncIterator[StreamEvent]:
        try:
            if any(m.role == "tool" for m in messages):
                for word in ["never", "here"]:
                    yield TextDelta(word)
                return
            yield ToolCall("c1", "slow", {"n": 1})
            yield ToolCall("c2", "slow", {"n": 2})
        finally:
            closed.set()

    agent = Agent("a", None, FunctionModel(stream_function=events), tools=[slow])
    before = asyncio.all_tasks()

    async def consume() -> None:
        async with agent.stream("go") as stream:
            async for _chunk in stream:
                pass

    task = asyncio.ensure_future(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed.is_set()
    assert tool_cancelled.is_set()
    assert asyncio.all_tasks() == before


async def test_leaving_the_block_early_closes_the_model_stream() -> None:
    closed = asyncio.Event()

    async def events(messages: list[Message], info: CallInfo) -> AsyncIterator[str]:
        try:
            for i in range(1000):
                yield f"w{i} "
        finally:
            closed.set()

    agent = Agent("a", None, FunctionModel(stream_function=events))
    async with agent.stream("go") as stream:
        async for chunk in stream:
            if chunk.type == "text-delta":
                break
    assert closed.is_set()
    assert stream.text == "w0 "


def test_chunks_have_mastra_wire_keys() -> None:
    chunk = Chunk("text-delta", "run1", {"text": "hi"})
    assert chunk.to_dict() == {
        "type": "text-delta",
        "runId": "run1",
        "from": "AGENT",
        "payload": {"text": "hi"},
    }
