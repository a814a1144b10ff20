"""@tool, Tool and ToolRegistry: schemas, docstrings, validation, results, timeouts."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from mastra.errors import ConfigError, ToolError
from mastra.tools import RunContext, Tool, ToolRegistry, parse_docstring, serialise_result, tool

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


GOOGLE = """Weather now.

Args:
    city: The city's name.
    days (int): How many days,
        counted from today.

Returns:
    The forecast.
"""
NUMPY = """Weather now.

Parameters
----------
city : str
    The city's name.
days : int
    How many days.

Returns
-------
str
"""
SPHINX = """Weather now.

:param city: The city's name.
:param int days: How many days.
:returns: The forecast.
"""


@pytest.mark.parametrize("doc", [GOOGLE, NUMPY, SPHINX], ids=["google", "numpy", "sphinx"])
def test_docstring_styles(doc: str) -> None:
    summary, params = parse_docstring(doc)
    assert summary == "Weather now."
    assert params["city"] == "The city's name."
    assert params["days"].startswith("How many days")


def test_plain_docstring() -> None:
    assert parse_docstring("Just text.\n\nMore text.") == ("Just text.\n\nMore text.", {})
    assert parse_docstring(None) == ("", {})


class Point(BaseModel):
    x: int
    y: int


@dataclass
class Reading:
    city: str
    temp_c: float


@tool
async def weather(city: str, days: int = 1, ctx: RunContext[dict[str, str]] | None = None) -> Any:
    """Weather now.

    Args:
        city: The city's name.
        days: How many days.
    """
    return Reading(city, 21.5)


def test_schema_from_hints_and_docstring() -> None:
    assert weather.name == "weather"
    assert weather.spec.description == "Weather now."
    params = weather.spec.parameters
    assert params["required"] == ["city"]
    assert params["properties"]["city"] == {"description": "The city's name.", "type": "string"}
    assert params["properties"]["days"]["default"] == 1
    assert "title" not in params


def test_context_parameter_is_hidden() -> None:
    @tool
    def whoami(ctx: RunContext[dict[str, str]]) -> str:
        """Who is asking."""
        return ctx.deps["user"]

    assert whoami.spec.parameters["properties"] == {}
    ctx = RunContext(agent_name="a", deps={"user": "ada"})
    assert asyncio.run(whoami.run({}, ctx)) == "ada"


async def test_results_are_serialised() -> None:
    assert await weather.run({"city": "Paris"}) == '{"city":"Paris","temp_c":21.5}'
    assert serialise_result(Point(x=1, y=2)) == '{"x":1,"y":2}'
    assert serialise_result({"p": Point(x=1, y=2), "s": (1, 2)}) == '{"p":{"x":1,"y":2},"s":[1,2]}'
    assert serialise_result("plain") == "plain"


async def test_invalid_arguments_raise_tool_error_before_the_call() -> None:
    calls: list[int] = []

    @tool
    def add(a: int, b: int) -> int:
        """Adds."""
        calls.append(1)
        return a + b

    with pytest.raises(ToolError, match="invalid arguments for tool 'add': b"):
        await add.run({"a": 1, "b": "x"})
    assert calls == []
    assert await add.run({"a": 1, "b": 2}) == "3"
    assert add(2, 3) == 5


async def test_failures_and_timeouts_are_tool_errors() -> None:
    @tool
    def broken() -> None:
        """Fails."""
        raise RuntimeError("disk on fire")

    @tool(timeout=0.05)
    async def slow() -> str:
        """Slow."""
        await asyncio.sleep(10)
        return "never"

    with pytest.raises(ToolError, match="RuntimeError: disk on fire"):
        await broken.run({})
    with pytest.raises(ToolError, match="timed out") as caught:
        await slow.run({})
    assert caught.value.context["timeout"] is True


async def test_runtime_tool_with_pydantic_and_json_schemas() -> None:
    def execute(args: Point, ctx: RunContext[None]) -> dict[str, int]:
        return {"sum": args.x + args.y, "step": ctx.step}

    total = Tool("total", "Adds x and y", Point, execute)
    assert await total.run({"x": 1, "y": 2}, RunContext(step=3)) == '{"sum":3,"step":3}'

    schema = {
        "type": "object",
        "properties": {"q": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["q"],
    }

    async def search(args: dict[str, Any]) -> list[str]:
        return [args["q"]] * args.get("n", 1)

    found = Tool("search", "Searches", schema, search)
    assert await found.run({"q": "a", "n": 2}) == '["a","a"]'
    with pytest.raises(ToolError, match="missing required 'q'"):
        await found.run({})
    with pytest.raises(ToolError, match="n: must be of type integer"):
        await found.run({"q": "a", "n": True})


async def test_output_schema_is_enforced() -> None:
    bad = Tool("bad", "", Point, lambda args: {"x": "nope"}, output_schema=Point)
    with pytest.raises(ToolError, match="does not follow its schema"):
        await bad.run({"x": 1, "y": 1})


def test_bad_definitions_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="tool name"):
        Tool("has space", "", Point, print)
    with pytest.raises(ConfigError, match="object schema"):
        Tool("t", "", {"type": "string"}, print)

    def star(*args: int) -> None:
        """Varargs."""

    with pytest.raises(ConfigError, match=r"\*args"):
        tool(star)


def test_registry_registers_and_unregisters() -> None:
    registry = ToolRegistry([weather])

    @registry.register
    def add(a: int, b: int) -> int:
        """Adds."""
        return a + b

    assert [s.name for s in registry.specs()] == ["weather", "add"]
    assert "add" in registry
    assert len(registry) == 2
    with pytest.raises(ConfigError, match="already registered"):
        registry.register(add)
    version = registry.version
    registry.unregister("add")
    assert registry.version == version + 1
    assert [s.name for s in registry.specs()] == ["weather"]
    with pytest.raises(ConfigError, match="no tool named"):
        registry.unregister("add")


async def test_sync_tools_run_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()

    @tool
    def where() -> bool:
        """Which thread runs this."""
        return threading.get_ident() != loop_thread

    assert await where.run({}) == "true"


async def test_objects_with_an_async_call_are_awaited() -> None:
    class Echo:
        async def __call__(self, args: dict[str, Any]) -> dict[str, Any]:
            return args

    echo = Tool("echo", "Echoes", {"type": "object", "properties": {}}, Echo())
    assert await echo.run({"a": 1}) == '{"a":1}'
