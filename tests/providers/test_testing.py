"""TestModel and FunctionModel: offline models that behave like real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel

from mastra.errors import ConfigError
from mastra.providers import (
    Finish,
    Message,
    ModelResponse,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    collect_stream,
)
from mastra.testing import CallInfo, FunctionModel, SchemaValues, TestModel

from .helpers import LOOKUP, SEARCH

pytestmark = pytest.mark.anyio


class Forecast(BaseModel):
    city: str
    days: int
    tags: list[str]


async def test_test_model_calls_each_tool_then_summarises() -> None:
    model = TestModel()
    first = await model.generate("Find", tools=[SEARCH, LOOKUP])
    assert first.finish_reason == "tool_calls"
    assert [c.name for c in first.tool_calls] == ["search", "lookup"]
    assert first.tool_calls[0].arguments == {"query": "a", "limit": 1}
    history = [
        Message.user("Find"),
        Message.assistant("", first.tool_calls),
        *(Message.tool(c.id, f"{c.name} ok", name=c.name) for c in first.tool_calls),
    ]
    second = await model.generate(history, tools=[SEARCH, LOOKUP])
    assert second.json() == {"search": "search ok", "lookup": "lookup ok"}
    assert second.finish_reason == "stop"
    assert len(model.calls) == 2
    assert model.calls[1][1].tools == (SEARCH, LOOKUP)


async def test_test_model_fixed_text_only_named_tools_and_settings() -> None:
    model = TestModel(text="Done.", call_tools=["lookup"], temperature=0)
    first = await model.generate("x", tools=[SEARCH, LOOKUP], max_tokens=5)
    assert [c.name for c in first.tool_calls] == ["lookup"]
    assert model.calls[0][1].settings == {"temperature": 0, "max_tokens": 5}
    assert (await model.generate("x")).text == "Done."
    with pytest.raises(ConfigError, match="inside a running event loop"):
        model.generate_sync("x")


def test_sync_facades_outside_a_loop() -> None:
    assert TestModel().generate_sync("x").text == "success (no tool calls)"
    events = list(TestModel(text="a b").stream_sync("x"))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["a", " b"]


async def test_test_model_structured_output() -> None:
    response = await TestModel().generate("Weather", output_schema=Forecast)
    assert response.output == Forecast(city="a", days=1, tags=["c"])
    fixed = Forecast(city="Oslo", days=3, tags=[])
    response = await TestModel(output=fixed).generate("Weather", output_schema=Forecast)
    assert response.output == fixed


async def test_test_model_streams_what_it_generates() -> None:
    model = TestModel(text="one two three")
    events = [e async for e in model.stream("x")]
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["one", " two", " three"]
    assert isinstance(events[-1], Finish)
    streamed = await collect_stream(model.stream("x", tools=[SEARCH]))
    generated = await model.generate("x", tools=[SEARCH])
    assert streamed.tool_calls == generated.tool_calls
    pieces = [e async for e in model.stream("x", tools=[SEARCH]) if isinstance(e, ToolCallDelta)]
    assert "".join(p.arguments_delta for p in pieces) == '{"query":"a","limit":1}'


def test_schema_values_follow_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["x", "y"]},
            "fixed": {"const": 7},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "number"}]},
            "flag": {"type": "boolean"},
            "item": {"$ref": "#/$defs/Item"},
            "name": {"type": "string", "minLength": 3},
        },
        "$defs": {"Item": {"type": "object", "properties": {"id": {"type": "integer"}}}},
    }
    value = SchemaValues(seed=0).make(schema)
    assert value == {
        "kind": "x",
        "fixed": 7,
        "maybe": 1.0,
        "flag": True,
        "item": {"id": 3},
        "name": "eaa",
    }
    assert SchemaValues(seed=0).make(schema) == value
    assert SchemaValues(seed=5).make(schema) != value
    Forecast.model_validate(SchemaValues(2).make(Forecast.model_json_schema()))


async def test_function_model_sync_and_async_functions() -> None:
    def echo(messages: list[Message], info: CallInfo) -> str:
        return f"{messages[-1].text} ({len(info.tools)} tools)"

    model = FunctionModel(echo)
    assert (await model.generate("hi", tools=[SEARCH])).text == "hi (1 tools)"
    assert (await collect_stream(model.stream("hi"))).text == "hi (0 tools)"

    async def caller(messages: list[Message], info: CallInfo) -> ModelResponse:
        call = ToolCall("c1", info.tools[0].name, {"query": messages[-1].text})
        return ModelResponse(tool_calls=[call], finish_reason="tool_calls", usage=Usage(1, 2))

    response = await FunctionModel(caller).generate("q", tools=[LOOKUP])
    assert response.tool_calls == [ToolCall("c1", "lookup", {"query": "q"})]
    assert (response.usage, response.model, response.provider) == (
        Usage(1, 2),
        "function",
        "function",
    )


async def test_function_model_stream_function() -> None:
    async def pieces(messages: list[Message], info: CallInfo) -> AsyncIterator[str | StreamEvent]:
        yield '{"city": '
        yield '"Rome", "days": 2, "tags": []}'

    model = FunctionModel(stream_function=pieces)
    events = [e async for e in model.stream("x")]
    assert isinstance(events[-1], Finish)
    assert events[-1].reason == "stop"
    response = await model.generate("x", output_schema=Forecast)
    assert response.output == Forecast(city="Rome", days=2, tags=[])


def test_function_model_needs_a_function() -> None:
    with pytest.raises(ConfigError):
        FunctionModel()
