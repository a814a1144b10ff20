"""The app the server benchmark serves: one agent on a loopback OpenAI-compatible LLM.

``mastra serve benchmarks/server/app.py:create`` with ``MASTRA_BENCH_LLM`` set to the
fake LLM's base URL (``http://127.0.0.1:PORT/v1``).
"""

from __future__ import annotations

import os

from mastra import Mastra
from mastra.agent import Agent
from mastra.providers import OpenAIChatModel, Provider
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
    """The benchmark's Mastra: agent ``bench`` (with a weather tool) on the fake LLM, and
    agent ``offline`` on a ``FunctionModel`` (no HTTP: the server's own cost)."""
    base = os.environ.get("MASTRA_BENCH_LLM", "http://127.0.0.1:8999/v1")
    model = OpenAIChatModel("gpt-bench", provider=Provider("openai", base, "sk-bench"))
    agent = Agent("bench", INSTRUCTIONS, model, tools=[weather])
    offline = Agent("offline", INSTRUCTIONS, FunctionModel(lambda messages, info: TEXT))
    return Mastra(agents=[agent, offline])
