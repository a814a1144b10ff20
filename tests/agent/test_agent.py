"""The agent loop offline: tools, retries, timeouts, structured output, limits, memory."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from pydantic import BaseModel

from mastra.agent import Agent
from mastra.errors import ConfigError, OutputValidationError, ToolError, UsageLimitError
from mastra.providers import Message, ModelResponse
from mastra.testing import CallInfo, FunctionModel, TestModel
from mastra.tools import RunContext, Tool, ToolRegistry, tool

from .helpers import add, calls, city_weather, scripted, tool_messages

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Forecast(BaseModel):
    city: str
    temp_c: int


async def test_plain_answer() -> None:
    agent = Agent("plain", "Be brief.", scripted("Hello there"))
    result = await agent.generate("Hi")
    assert result.text == "Hello there"
    assert result.finish_reason == "stop"
    assert [m.role for m in result.messages] == ["system", "user", "assistant"]
    assert len(result.steps) == 1
    assert result.usage.total_tokens > 0
    assert result.output is None
    assert result.run_id


async def test_single_tool_round_trip() -> None:
    model = TestModel()
    agent = Agent("weather", "Use tools.", model, tools=[city_weather])
    result = await agent.generate("Weather in Paris?")
    assert result.text == '{"city_weather":"{\\"city\\":\\"a\\",\\"temp_c\\":21}"}'
    assert [len(s.tool_calls) for s in result.steps] == [1, 0]
    assert result.steps[0].tool_results[0].result == '{"city":"a","temp_c":21}'
    assert result.usage == result.steps[0].usage + result.steps[1].usage
    offered = model.calls[0][1].tools
    assert offered[0].name == "city_weather"
    assert offered[0].parameters["properties"]["city"]["description"] == "The city's name."


async def test_parallel_tool_calls_run_concurrently() -> None:
    arrived: list[str] = []
    both = asyncio.Event()

    async def meet(name: str) -> str:
        arrived.append(name)
        if len(arrived) == 2:
            both.set()
        await both.wait()  # a sequential loop would time out here
        return name

    left = Tool("left", "", {"type": "object"}, lambda _: meet("left"), timeout=5)
    right = Tool("right", "", {"type": "object"}, lambda _: meet("right"), timeout=5)
    model = scripted(calls(("left", {}), ("right", {})), "done")
    result = await Agent("par", None, model, tools=[left, right]).generate("go")
    assert [r.result for r in result.steps[0].tool_results] == ["left", "right"]
    assert not any(r.is_error for r in result.steps[0].tool_results)


async def test_invalid_arguments_retry_then_success() -> None:
    def answer(messages: list[Message], info: CallInfo) -> ModelResponse | str:
        results = tool_messages(messages)
        if not results:
            return calls(("add", {"a": 1, "b": "two"}))
        if results[-1].text.startswith("Error"):
            return calls(("add", {"a": 1, "b": 2}))
        return f"sum is {results[-1].text}"

    result = await Agent("calc", None, FunctionModel(answer), tools=[add]).generate("1+2")
    assert result.text == "sum is 3"
    first = result.steps[0].tool_results[0]
    assert first.is_error
    assert "invalid arguments for tool 'add': b" in first.result


async def test_retries_are_bounded() -> None:
    def answer(messages: list[Message], info: CallInfo) -> ModelResponse:
        return calls(("add", {"a": "x", "b": 1}))

    agent = Agent("calc", None, FunctionModel(answer), tools=[add], max_tool_retries=1, max_steps=9)
    with pytest.raises(ToolError, match=r"failed 2 times \(max_tool_retries=1\)"):
        await agent.generate("go")


async def test_unknown_tool_is_reported_to_the_model() -> None:
    model = scripted(calls(("nope", {})), "ok")
    result = await Agent("a", None, model, tools=[add]).generate("go")
    assert "unknown tool 'nope' (tools: 'add')" in result.steps[0].tool_results[0].result


async def test_tool_timeout_goes_back_to_the_model() -> None:
    cancelled = asyncio.Event()

    @tool(timeout=0.05)
    async def slow() -> str:
        """Never finishes in time."""
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "late"

    model = scripted(calls(("slow", {})), "gave up")
    result = await Agent("a", None, model, tools=[slow]).generate("go")
    assert result.text == "gave up"
    assert "timed out after 0.05 s" in result.steps[0].tool_results[0].result
    assert cancelled.is_set()


async def test_structured_output_valid() -> None:
    model = TestModel(output=Forecast(city="Oslo", temp_c=3))
    result = await Agent("f", None, model, output_type=Forecast).generate("Forecast?")
    assert result.output == Forecast(city="Oslo", temp_c=3)
    schema = model.calls[0][1].output_schema
    assert isinstance(schema, dict)
    assert schema["title"] == "Forecast"


async def test_structured_output_of_a_plain_type() -> None:
    model = scripted('{"result": [1, 2, 3]}')
    result = await Agent("f", None, model).generate("numbers", output_type=list[int])
    assert result.output == [1, 2, 3]


async def test_structured_output_corrected_once() -> None:
    seen: list[list[Message]] = []

    def answer(messages: list[Message], info: CallInfo) -> str:
        seen.append(messages)
        return '{"city": "Oslo"}' if len(seen) == 1 else '{"city": "Oslo", "temp_c": 3}'

    result = await Agent("f", None, FunctionModel(answer), output_type=Forecast).generate("f?")
    assert result.output == Forecast(city="Oslo", temp_c=3)
    assert "temp_c: Field required" in seen[1][-1].text


async def test_structured_output_invalid_twice() -> None:
    model = scripted('{"city": 1}', '{"temp_c": "warm"}')
    with pytest.raises(OutputValidationError, match="after a corrective retry") as caught:
        await Agent("f", None, model, output_type=Forecast).generate("f?")
    assert caught.value.context["text"] == '{"temp_c": "warm"}'
    assert isinstance(caught.value, ValueError)


async def test_max_steps_ends_the_run() -> None:
    def answer(messages: list[Message], info: CallInfo) -> ModelResponse:
        return calls(("add", {"a": 1, "b": 1}))

    agent = Agent("loop", None, FunctionModel(answer), tools=[add], max_steps=3)
    result = await agent.generate("go")
    assert result.finish_reason == "max_steps"
    assert len(result.steps) == 3
    assert len((await agent.generate("go", max_steps=1)).steps) == 1


async def test_usage_limits() -> None:
    agent = Agent("a", None, TestModel(), tools=[add, city_weather], max_tool_calls=1)
    with pytest.raises(UsageLimitError, match="2 tool calls") as caught:
        await agent.generate("go")
    assert caught.value.context["limit"] == "max_tool_calls"
    agent = Agent("a", None, TestModel(), max_tokens_total=1)
    with pytest.raises(UsageLimitError, match="over its limit of 1"):
        await agent.generate("a long question with many words")


async def test_dynamic_instructions_deps_and_context() -> None:
    async def instructions(ctx: RunContext[dict[str, str]]) -> str:
        return f"You help {ctx.deps['user']}."

    @tool
    def whoami(ctx: RunContext[dict[str, str]]) -> str:
        """The user's name."""
        return f"{ctx.deps['user']} in {ctx.thread_id} at step {ctx.step}"

    model = TestModel()
    agent = Agent("a", instructions, model, tools=[whoami])
    result = await agent.generate("who?", deps={"user": "ada"}, thread_id="t1")
    assert result.messages[0].text == "You help ada."
    assert result.steps[0].tool_results[0].result == "ada in t1 at step 0"


async def test_dynamic_tool_registration() -> None:
    registry = ToolRegistry([add])

    @tool
    def install() -> str:
        """Installs the weather tool."""
        registry.register(city_weather)
        return "installed"

    registry.register(install)
    offered: list[list[str]] = []

    def answer(messages: list[Message], info: CallInfo) -> ModelResponse | str:
        offered.append([t.name for t in info.tools])
        return calls(("install", {})) if len(offered) == 1 else "done"

    agent = Agent("a", None, FunctionModel(answer), tools=registry)
    await agent.generate("go")
    assert offered == [["add", "install"], ["add", "install", "city_weather"]]
    registry.unregister("city_weather")
    offered.clear()
    await agent.generate("go")
    assert offered[0] == ["add", "install"]


class ListMemory:
    def __init__(self) -> None:
        self.threads: dict[str, list[Message]] = {}

    async def recall(
        self, thread_id: str, *, resource_id: str | None, query: Sequence[Message]
    ) -> Sequence[Message]:
        return self.threads.get(thread_id, [])

    async def remember(
        self, thread_id: str, messages: Sequence[Message], *, resource_id: str | None
    ) -> None:
        self.threads.setdefault(thread_id, []).extend(messages)


async def test_memory_hook() -> None:
    memory = ListMemory()
    model = FunctionModel(lambda messages, info: f"{len(messages)} messages")
    agent = Agent("m", "sys", model, memory=memory)
    assert (await agent.generate("one", thread_id="t")).text == "2 messages"
    assert (await agent.generate("two", thread_id="t")).text == "4 messages"
    assert [m.text for m in memory.threads["t"]] == ["one", "2 messages", "two", "4 messages"]
    assert (await agent.generate("alone")).text == "2 messages"


def test_sync_facade() -> None:
    agent = Agent("s", "sys", TestModel(text="ok"), tools=[add])
    assert agent.generate_sync("hi").text == "ok"

    async def inside() -> None:
        with pytest.raises(ConfigError, match="running event loop"):
            agent.generate_sync("hi")

    asyncio.run(inside())


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="max_steps"):
        Agent("a", None, TestModel(), max_steps=0)
    with pytest.raises(ConfigError, match="max_tool_retries must be 0 or more"):
        Agent("a", None, TestModel(), max_tool_retries=-1)
    with pytest.raises(ConfigError, match="max_tool_calls"):
        Agent("a", None, TestModel(), max_tool_calls=0)
    with pytest.raises(ConfigError, match="already registered"):
        Agent("a", None, TestModel(), tools=[add, add])


def test_model_string_is_resolved_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    agent = Agent("a", None, "openai/gpt-4o-mini")
    assert agent.model.name == "gpt-4o-mini"
    assert agent.model is agent.model


def test_tools_from_a_mapping() -> None:
    agent = Agent("a", None, TestModel(), tools={"add": add, "w": city_weather})
    assert [s.name for s in agent.tools.specs()] == ["add", "city_weather"]
    assert repr(agent).startswith("Agent('a'")
