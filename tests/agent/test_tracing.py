"""Agent runs traced with OpenTelemetry: a span per run, model call and tool call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from mastra import tracing
from mastra.agent import Agent
from mastra.errors import ToolError

from .helpers import add, calls, scripted

pytestmark = pytest.mark.anyio


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable_tracing(provider)
    try:
        yield exporter
    finally:
        tracing.disable_tracing()
        provider.shutdown()


def by_name(finished: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in finished}


def assert_nested(named: dict[str, ReadableSpan]) -> None:
    run = named["invoke_agent calc"]
    assert run.parent is None
    run_id = run.context.span_id
    for name in ("execute_tool add",):
        parent = named[name].parent
        assert parent is not None
        assert parent.span_id == run_id
    chats = [s for n, s in named.items() if n.startswith("chat ")]
    assert chats
    assert all(s.parent is not None and s.parent.span_id == run_id for s in chats)


async def test_a_generate_run_is_one_trace(spans: InMemorySpanExporter) -> None:
    model = scripted(calls(("add", {"a": 2, "b": 3})), "five")
    result = await Agent("calc", None, model, tools=[add]).generate("2+3?", thread_id=None)
    assert result.text == "five"
    finished = spans.get_finished_spans()
    names = [s.name for s in finished]
    assert names.count("invoke_agent calc") == 1
    assert sum(n.startswith("chat ") for n in names) == 2  # one per model call
    named = by_name(finished)
    assert_nested(named)
    run = named["invoke_agent calc"]
    assert run.attributes is not None
    assert run.attributes["mastra.run_id"] == result.run_id
    assert run.attributes["mastra.steps"] == 2
    tool = named["execute_tool add"]
    assert tool.attributes is not None
    assert tool.attributes["gen_ai.tool.name"] == "add"
    assert run.status.status_code is not StatusCode.ERROR


async def test_a_streamed_run_nests_its_spans_the_same_way(spans: InMemorySpanExporter) -> None:
    model = scripted(calls(("add", {"a": 2, "b": 3})), "five")
    async with Agent("calc", None, model, tools=[add]).stream("2+3?") as stream:
        chunks = [chunk.type async for chunk in stream]
    assert chunks[-1] == "finish"
    assert_nested(by_name(spans.get_finished_spans()))


async def test_a_failing_run_is_marked_as_an_error(spans: InMemorySpanExporter) -> None:
    model = scripted(*[calls(("add", {"a": "x", "b": 1}))] * 5)
    agent = Agent("calc", None, model, tools=[add], max_tool_retries=0)
    with pytest.raises(ToolError):
        await agent.generate("go")
    named = by_name(spans.get_finished_spans())
    assert named["invoke_agent calc"].status.status_code is StatusCode.ERROR
    tool = named["execute_tool add"]
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.attributes is not None
    assert tool.attributes["error.type"] == "ToolError"


async def test_no_span_is_recorded_while_tracing_is_off() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable_tracing(provider)
    await Agent("calc", None, scripted("hi")).generate("hello")
    assert len(exporter.get_finished_spans()) == 2  # the run and its model call
    exporter.clear()
    tracing.disable_tracing()
    assert not tracing.tracing_enabled()
    await Agent("calc", None, scripted("hi")).generate("hello")
    assert exporter.get_finished_spans() == ()
