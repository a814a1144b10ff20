"""The app the server benchmark serves: one agent on a loopback OpenAI-compatible LLM.

``mastra serve benchmarks/server/app.py:create`` with ``MASTRA_BENCH_LLM`` set to the
fake LLM's base URL (``http://127.0.0.1:PORT/v1``). Agent ``memo`` keeps its threads in
the storage the settings name (``MASTRA_STORAGE__URL``: PostgreSQL when workers share
it), in memory without one.
"""

from __future__ import annotations

import os

from mastra import Mastra
from mastra.agent import Agent
from mastra.memory import Memory
from mastra.providers import OpenAIChatModel, Provider
from mastra.server import load_config
from mastra.server._backends import build_storage
from mastra.storage import InMemoryStorage
from mastra.testing import FunctionModel
from mastra.tools import tool

INSTRUCTIONS = "You are a helpful assistant. Answer briefly."
TEXT = "Hello! I am here and happy to help you with anything today."


@tool
async def weather(city: str) -> str:
    """Current weather in a city.

    Args:
        city: The city's name.
    """
    return f"Sunny, 21 C in {city}"


def create() -> Mastra:
    """The benchmark's Mastra: agent ``bench`` (with a weather tool) on the fake LLM,
    agent ``offline`` on a ``FunctionModel`` (no HTTP: the server's own cost), and agent
    ``memo``, ``offline`` with a memory (each generate reads a thread's last messages and
    appends two)."""
    base = os.environ.get("MASTRA_BENCH_LLM", "http://127.0.0.1:8999/v1")
    model = OpenAIChatModel("gpt-bench", provider=Provider("openai", base, "sk-bench"))
    agent = Agent("bench", INSTRUCTIONS, model, tools=[weather])
    function = FunctionModel(lambda messages, info: TEXT)
    offline = Agent("offline", INSTRUCTIONS, function)
    storage = build_storage(load_config().storage) or InMemoryStorage()
    memo = Agent("memo", INSTRUCTIONS, function, memory=Memory(storage, last_messages=8))
    return Mastra(agents=[agent, offline, memo], storage=storage)
