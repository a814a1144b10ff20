"""OpenAIChatModel against the loopback server: generate, stream, tools, schemas, faults."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import pytest
from pydantic import BaseModel

from mastra.errors import (
    AuthenticationError,
    ContextLengthError,
    MalformedResponseError,
    MastraError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from mastra.http import HttpClient
from mastra.providers import (
    Finish,
    ImagePart,
    Message,
    OpenAIChatModel,
    Provider,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    collect_stream,
)

from . import wire
from .helpers import FAST_CONFIG, KEY, LOOKUP, SEARCH
from .server import LoopbackServer

pytestmark = pytest.mark.anyio


def model_at(base: str, client: HttpClient, **settings: object) -> OpenAIChatModel:
    provider = Provider("openai", base, KEY, http=client)
    return OpenAIChatModel("gpt-test", provider=provider, **settings)


async def events_of(model: OpenAIChatModel, *args: object, **kwargs: object) -> list[StreamEvent]:
    return [event async for event in model.stream(*args, **kwargs)]  # type: ignore[arg-type]


async def test_generate_text(server: LoopbackServer, client: HttpClient) -> None:
    base = server.url()
    response = await model_at(base, client, temperature=0.2).generate("Hello")
    assert response.text == wire.TEXT
    assert response.finish_reason == "stop"
    assert response.usage.input_tokens == wire.INPUT_TOKENS
    assert response.usage.output_tokens == len(wire.words(wire.TEXT))
    assert (response.model, response.provider) == ("gpt-test", "openai")
    assert response.raw["id"] == "chatcmpl-loop"
    sent = server.log(base)[0]
    assert sent["temperature"] == 0.2
    assert sent["messages"] == [{"role": "user", "content": "Hello"}]
    assert server.headers[server._key(base)][0]["authorization"] == f"Bearer {KEY}"


async def test_messages_are_sent_in_the_openai_shape(
    server: LoopbackServer, client: HttpClient
) -> None:
    base = server.url()
    call = ToolCall("call_1", "search", {"query": "x"})
    messages = [
        Message.system("Be brief."),
        Message.user("Look", ImagePart.from_bytes(b"png", "image/png")),
        Message.assistant("", [call]),
        Message.tool("call_1", "found x"),
    ]
    response = await model_at(base, client).generate(messages, tools=[SEARCH])
    assert response.text == "Results: found x"
    sent = server.log(base)[0]
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["messages"][1]["content"][1]["image_url"]["url"].startswith("data:image/png")
    assert sent["messages"][2]["tool_calls"][0]["function"] == {
        "name": "search",
        "arguments": '{"query":"x"}',
    }
    assert sent["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "found x"}
    assert sent["tools"][0]["function"]["name"] == "search"


async def test_parallel_tool_calls(server: LoopbackServer, client: HttpClient) -> None:
    response = await model_at(server.url(), client).generate("Go", tools=[SEARCH, LOOKUP])
    assert response.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in response.tool_calls] == [
        ("search", {"query": "search", "limit": 3}),
        ("lookup", {"query": "lookup", "limit": 3}),
    ]
    assert response.tool_calls[0].id == "call_0_search"


class Answer(BaseModel):
    answer: int


async def test_structured_output(server: LoopbackServer, client: HttpClient) -> None:
    base = server.url()
    response = await model_at(base, client).generate("Answer?", output_schema=Answer)
    assert response.output == Answer(answer=42)
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}}
    response = await model_at(base, client).generate("Answer?", output_schema=schema)
    assert response.output == {"answer": 42}
    sent = server.log(base)[0]["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["name"] == "Answer"
    assert sent["json_schema"]["schema"]["properties"]["answer"]["type"] == "integer"


async def test_stream_text_with_usage(server: LoopbackServer, client: HttpClient) -> None:
    base = server.url()
    events = await events_of(model_at(base, client), "Hello")
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == len(wire.words(wire.TEXT))
    assert "".join(deltas) == wire.TEXT
    assert events[-1] == Finish("stop", Usage(wire.INPUT_TOKENS, len(deltas)), "gpt-test")
    assert server.log(base)[0]["stream_options"] == {"include_usage": True}


async def test_stream_tool_calls_in_fragments(server: LoopbackServer, client: HttpClient) -> None:
    events = await events_of(model_at(server.url(), client), "Go", tools=[SEARCH, LOOKUP])
    pieces = [e for e in events if isinstance(e, ToolCallDelta)]
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert len(pieces) > 10
    assert {p.index for p in pieces} == {0, 1}
    assert "".join(p.arguments_delta for p in pieces if p.index == 1) == (
        '{"query":"lookup","limit":3}'
    )
    assert [(c.id, c.arguments) for c in calls] == [
        ("call_0_search", {"query": "search", "limit": 3}),
        ("call_1_lookup", {"query": "lookup", "limit": 3}),
    ]
    assert isinstance(events[-1], Finish)
    assert events[-1].reason == "tool_calls"


async def test_collected_stream_equals_generate(server: LoopbackServer, client: HttpClient) -> None:
    model = model_at(server.url(), client)
    generated = await model.generate("Go", tools=[SEARCH])
    streamed = await collect_stream(model.stream("Go", tools=[SEARCH]), provider="openai")
    assert streamed.tool_calls == generated.tool_calls
    assert (streamed.text, streamed.usage, streamed.finish_reason) == (
        generated.text,
        generated.usage,
        generated.finish_reason,
    )


@pytest.mark.parametrize("scenario", ["500-once", "429-once", "drop-once"])
async def test_transient_faults_end_in_success(
    server: LoopbackServer, client: HttpClient, scenario: str
) -> None:
    model = model_at(server.url(scenario), client)
    assert (await model.generate("Hi")).text == wire.TEXT
    model = model_at(server.url(scenario), client)
    assert (await collect_stream(model.stream("Hi"))).text == wire.TEXT


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("401", AuthenticationError),
        ("too-long", ContextLengthError),
        ("malformed-json", MalformedResponseError),
        ("invalid-utf8", MalformedResponseError),
        ("read-timeout", ProviderTimeoutError),
        ("503", ProviderUnavailableError),
    ],
)
async def test_generate_faults_raise_typed_errors(
    server: LoopbackServer, client: HttpClient, scenario: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        await model_at(server.url(scenario), client).generate("Hi")
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("malformed-json", MalformedResponseError),
        ("truncated", MalformedResponseError),
        ("reset-mid-stream", ProviderUnavailableError),
        ("stall-mid-stream", ProviderTimeoutError),
        ("401", AuthenticationError),
    ],
)
async def test_stream_faults_raise_typed_errors(
    server: LoopbackServer, client: HttpClient, scenario: str, error: type[Exception]
) -> None:
    received: list[StreamEvent] = []

    async def consume() -> None:
        async for event in model_at(server.url(scenario), client).stream("Hi"):
            received.append(event)

    with pytest.raises(error):
        await consume()
    assert not any(isinstance(e, Finish) for e in received)


def test_sync_facades(server: LoopbackServer) -> None:
    provider = Provider("openai", server.url(), KEY, http=FAST_CONFIG)
    model = OpenAIChatModel("gpt-test", provider=provider)
    assert model.generate_sync("Hi").text == wire.TEXT
    events = list(model.stream_sync("Hi"))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == wire.TEXT
    assert repr(model) == "OpenAIChatModel(openai/gpt-test)"
    assert KEY not in repr(provider)


async def test_invalid_utf8_in_a_stream_is_replaced_as_the_event_stream_rules_say(
    server: LoopbackServer, client: HttpClient
) -> None:
    response = await collect_stream(model_at(server.url("invalid-utf8"), client).stream("Hi"))
    assert response.text == "\ufffd\ufffd" + wire.TEXT
    assert response.finish_reason == "stop"


async def test_every_fault_leaves_no_connection_open(server: LoopbackServer) -> None:
    faults = ["500-once", "429-once", "drop-once", "reset-mid-stream", "read-timeout"]
    faults += ["malformed-json", "truncated", "invalid-utf8", "401", "stall-mid-stream"]
    for transport in ("httpx", "aiohttp"):
        async with HttpClient(replace(FAST_CONFIG, transport=transport)) as http:
            for scenario in faults:
                model = model_at(server.url(scenario), http)
                for call in (model.generate("Hi"), collect_stream(model.stream("Hi"))):
                    with contextlib.suppress(MastraError):
                        await call
            assert http.pool_stats().in_use == 0
    for _ in range(200):  # server handlers notice the closed connections within 10 s
        if not server.open_connections:
            break
        await asyncio.sleep(0.05)
    assert server.open_connections == 0
