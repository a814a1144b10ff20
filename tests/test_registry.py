"""The Mastra registry: agents, tools, vectors and workflows by name; what it owns is
opened and closed deterministically."""

from __future__ import annotations

from typing import Any

import pytest

from mastra import Agent, Mastra
from mastra.errors import ConfigError
from mastra.testing import TestModel
from mastra.tools import ToolRegistry, tool

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Resource:
    """A store with async open/close as a context manager."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    async def __aenter__(self) -> Resource:
        self.log.append(f"open {self.name}")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.log.append(f"close {self.name}")


class Closable:
    """A store with only an async close."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def close(self) -> None:
        self.log.append("close closable")


class Broken:
    async def __aenter__(self) -> Broken:
        raise OSError("cannot open")

    async def __aexit__(self, *exc: Any) -> None: ...


@tool
def ping() -> str:
    """Answers pong."""
    return "pong"


async def test_agents_tools_and_lifecycle() -> None:
    log: list[str] = []
    helper = Agent("helper", "Help.", TestModel(text="hi"))
    app = Mastra(
        agents={"helper": helper},
        tools=[ping],
        storage=Resource("storage", log),
        vectors={"docs": Resource("docs", log), "extra": Closable(log)},
        workflows={"flow": object()},
        config={"region": "eu"},
    )
    async with app as opened:
        assert opened is app
        assert log == ["open storage", "open docs"]
        result = await app.get_agent("helper").generate("hello")
        assert result.text == "hi"
    assert log == ["open storage", "open docs", "close closable", "close docs", "close storage"]
    assert list(app.agents) == ["helper"]
    assert "ping" in app.tools
    assert app.get_vector("docs").name == "docs"
    assert app.get_workflow("flow") is not None
    assert app.config["region"] == "eu"
    assert repr(app) == "Mastra(agents=['helper'])"


async def test_a_failed_open_closes_what_was_opened() -> None:
    log: list[str] = []
    app = Mastra(storage=Resource("storage", log), vectors={"bad": Broken()})
    with pytest.raises(OSError, match="cannot open"):
        async with app:
            pass
    assert log == ["open storage", "close storage"]


def test_lookups_and_names() -> None:
    first = Agent("one", None, TestModel())
    app = Mastra(agents=[first], tools=ToolRegistry())
    assert app.get_agent("one") is first
    with pytest.raises(ConfigError, match="no agent named 'two' \\(known: 'one'\\)"):
        app.get_agent("two")
    with pytest.raises(ConfigError, match="two agents are named 'one'"):
        Mastra(agents=[first, Agent("one", None, TestModel())])
    with pytest.raises(ConfigError, match="no vector store named 'v'"):
        app.get_vector("v")
