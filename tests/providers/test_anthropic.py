"""AnthropicModel against the loopback server: blocks, named events, tools, faults."""

from __future__ import annotations

import pytest

from mastra.errors import (
    AuthenticationError,
    MalformedResponseError,
    ProviderUnavailableError,
)
from mastra.http import HttpClient
from mastra.providers import (
    AnthropicModel,
    Finish,
    ImagePart,
    Message,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    anthropic_provider,
    collect_stream,
)

from . import wire
from .helpers import KEY, LOOKUP, SEARCH
from .server import LoopbackServer

pytestmark = pytest.mark.anyio


def model_at(base: str, client: HttpClient, **settings: object) -> AnthropicModel:
    provider = anthropic_provider(KEY, base_url=base, http=client)
    return AnthropicModel("claude-test", provider=provider, **settings)


async def events_of(model: AnthropicModel, *args: object, **kwargs: object) -> list[StreamEvent]:
    return [event async for event in model.stream(*args, **kwargs)]  # type: ignore[arg-type]


async def test_generate_text_with_system_apart(server: LoopbackServer, client: HttpClient) -> None:
    base = server.url()
    messages = [Message.system("Be brief."), Message.user("Hello")]
    response = await model_at(base, client, stop="END").generate(messages)
    assert response.text == wire.TEXT
    assert response.finish_reason == "stop"
    assert response.usage == Usage(wire.INPUT_TOKENS, len(wire.words(wire.TEXT)))
    assert (response.model, response.provider) == ("claude-test", "anthropic")
    sent = server.log(base)[0]
    assert sent["system"] == "Be brief."
    assert sent["max_tokens"] == 4096
    assert sent["stop_sequences"] == ["END"]
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}]
    headers = server.headers[server._key(base)][0]
    assert headers["x-api-key"] == KEY
    assert headers["anthropic-version"] == "2023-06-01"


async def test_tool_use_and_results(server: LoopbackServer, client: HttpClient) -> None:
    base = server.url()
    model = model_at(base, client)
    first = await model.generate("Go", tools=[SEARCH, LOOKUP])
    assert first.finish_reason == "tool_calls"
    assert [c.name for c in first.tool_calls] == ["search", "lookup"]
    assert first.tool_calls[0].arguments == {"query": "search", "limit": 3}
    messages = [
        Message.user("Go", ImagePart("https://example.com/a.png")),
        Message.assistant("", first.tool_calls),
        *(Message.tool(c.id, f"{c.name} done") for c in first.tool_calls),
    ]
    second = await model.generate(messages, tools=[SEARCH, LOOKUP])
    assert second.text == "Results: search done; lookup done"
    sent = server.log(base)[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[0]["content"][1] == {
        "type": "image",
        "source": {"type": "url", "url": "https://example.com/a.png"},
    }
    assert sent[1]["content"][0]["type"] == "tool_use"
    assert [b["tool_use_id"] for b in sent[2]["content"]] == [c.id for c in first.tool_calls]
    assert server.log(base)[0]["tools"][0]["input_schema"] == SEARCH.parameters


async def test_stream_named_events(server: LoopbackServer, client: HttpClient) -> None:
    events = await events_of(model_at(server.url(), client), "Hello")
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == wire.TEXT
    usage = Usage(wire.INPUT_TOKENS, len(wire.words(wire.TEXT)))
    assert events[-1] == Finish("stop", usage, "claude-test")


async def test_stream_tool_input_json_deltas(server: LoopbackServer, client: HttpClient) -> None:
    events = await events_of(model_at(server.url(), client), "Go", tools=[SEARCH, LOOKUP])
    pieces = [e for e in events if isinstance(e, ToolCallDelta)]
    assert pieces[0].id is not None
    assert pieces[0].name == "search"
    assert {p.index for p in pieces} == {0, 1}
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, c.arguments) for c in calls] == [
        ("search", {"query": "search", "limit": 3}),
        ("lookup", {"query": "lookup", "limit": 3}),
    ]
    assert isinstance(events[-1], Finish)
    assert events[-1].reason == "tool_calls"


async def test_structured_output_through_a_forced_tool(
    server: LoopbackServer, client: HttpClient
) -> None:
    base = server.url()
    schema = {"type": "object", "properties": {"query": {"type": "string"}}}
    model = model_at(base, client)
    response = await model.generate("Answer", output_schema=schema)
    assert response.output == {"query": "final_result", "limit": 3}
    assert response.tool_calls == []
    assert server.log(base)[0]["tool_choice"] == {"type": "tool", "name": "final_result"}
    streamed = await collect_stream(model.stream("Answer", output_schema=schema))
    assert streamed.json() == {"query": "final_result", "limit": 3}
    assert streamed.tool_calls == []


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("stream-error", ProviderUnavailableError),
        ("truncated", MalformedResponseError),
        ("reset-mid-stream", ProviderUnavailableError),
        ("401", AuthenticationError),
    ],
)
async def test_stream_faults(
    server: LoopbackServer, client: HttpClient, scenario: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        await events_of(model_at(server.url(scenario), client), "Hi")
    assert KEY not in str(caught.value)


async def test_stream_retried_before_first_byte(server: LoopbackServer, client: HttpClient) -> None:
    base = server.url("500-once")
    response = await collect_stream(model_at(base, client).stream("Hi"))
    assert response.text == wire.TEXT
    assert len(server.log(base)) == 2
