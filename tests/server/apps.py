"""The Mastra apps the server tests serve (also loaded by `mastra serve` in a subprocess)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

from mastra import Mastra
from mastra.agent import Agent
from mastra.errors import ProviderUnavailableError, RateLimitError
from mastra.memory import Memory
from mastra.providers import Message
from mastra.storage import InMemoryStorage
from mastra.testing import FunctionModel, TestModel
from mastra.tools import tool
from mastra.vector import InMemoryVectorStore
from mastra.workflows import StepContext, Workflow, step


@tool
def weather(city: str) -> dict[str, object]:
    """The weather in a city.

    Args:
        city: The city's name.
    """
    return {"city": city, "temperature_c": 21}


@tool
def explode(reason: str) -> str:
    """Always fails.

    Args:
        reason: Why.
    """
    raise RuntimeError(f"boom: {reason}")


class SlowProbe:
    """Records what the slow model saw: started and cancelled runs."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.cancelled = threading.Event()
        self.completed = 0


def echo(messages: Sequence[Message], info: Any) -> str:
    return f"echo: {messages[-1].text}"


def slow_model(probe: SlowProbe, delay: float = 0.05) -> FunctionModel:
    """Streams ``n`` words (``n`` read from the prompt, default 40), ``delay`` apart."""

    async def words(messages: Sequence[Message], info: Any) -> AsyncIterator[str]:
        text = messages[-1].text
        count = int(text.split("=", 1)[1]) if text.startswith("n=") else 40
        probe.started.set()
        try:
            for i in range(count):
                await asyncio.sleep(delay)
                yield f"w{i} "
        except BaseException:
            probe.cancelled.set()
            raise
        probe.completed += 1

    return FunctionModel(stream_function=words, name="slow")


def unavailable(messages: Sequence[Message], info: Any) -> str:
    raise ProviderUnavailableError("upstream down", provider="fake")


def limited(messages: Sequence[Message], info: Any) -> str:
    raise RateLimitError("slow down", provider="fake", retry_after=7)


@step
async def shout(name: str) -> str:
    """Greets loudly."""
    return f"HELLO {name.upper()}"


@step
async def approve(text: str, ctx: StepContext) -> str:
    """Waits for a human's yes."""
    if ctx.resume_data is None:
        await ctx.suspend({"ask": f"approve {text!r}?"})
    return f"{text} (approved: {ctx.resume_data})"


@step
async def crawl(seconds: float) -> str:
    """Takes its time."""
    await asyncio.sleep(seconds)
    return "done"


def workflows() -> dict[str, Workflow]:
    """greet (one step), approval (suspends for a resume), crawl (sleeps its input)."""
    return {
        "greet": Workflow("greet", str, str, description="Greets").then(shout).commit(),
        "approval": Workflow("approval", str, str).then(shout).then(approve).commit(),
        "crawl": Workflow("crawl", float, str).then(crawl).commit(),
    }


def build(
    probe: SlowProbe | None = None,
    *,
    delay: float = 0.05,
    storage: object = None,
    extra: Sequence[Agent] = (),
) -> Mastra:
    """The test app: agents echo, weather (calls its tool), slow, down, limited, chat
    (with memory), and the ``extra`` ones."""
    probe = probe or SlowProbe()
    agents = [
        Agent("echo", "Repeat.", FunctionModel(echo, name="echo-model"), description="Echoes"),
        Agent("weather", "Use the tool.", TestModel(text="It is sunny."), tools=[weather, explode]),
        Agent("slow", "Talk slowly.", slow_model(probe, delay)),
        Agent("down", "Fail.", FunctionModel(unavailable)),
        Agent("limited", "Fail.", FunctionModel(limited)),
        Agent(
            "chat",
            "Chat.",
            TestModel(text="Noted."),
            tools=[weather],
            memory=Memory(InMemoryStorage(), working_memory=True),
        ),
        *extra,
    ]
    vectors = {"mem": InMemoryVectorStore()}
    return Mastra(
        agents=agents,
        tools=[weather, explode],
        vectors=vectors,
        storage=storage,
        workflows=workflows(),
    )


def create() -> Mastra:
    """For `mastra serve tests/server/apps.py:create` (streams of 0.1 s per word)."""
    return build(delay=0.1)


def create_durable() -> Mastra:
    """``create``'s app plus ``scribe``: ``slow``'s model with memory in the SQLite file
    ``MASTRA_TEST_DB``, the app's storage (closed, so committed, at shutdown)."""
    import os

    from mastra.storage import SQLiteStorage

    storage = SQLiteStorage(os.environ["MASTRA_TEST_DB"])
    scribe = Agent("scribe", "Write slowly.", slow_model(SlowProbe(), 0.1), memory=Memory(storage))
    return build(delay=0.1, storage=storage, extra=[scribe])
