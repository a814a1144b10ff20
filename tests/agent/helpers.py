"""Scripted models and sample tools shared by the agent tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from mastra.providers import Message, ModelResponse, ToolCall
from mastra.testing import CallInfo, FunctionModel
from mastra.tools import tool


def tool_messages(messages: Sequence[Message]) -> list[Message]:
    return [m for m in messages if m.role == "tool"]


def scripted(*answers: ModelResponse | str) -> FunctionModel:
    """A model that gives its answers in order, one per call."""
    queue = list(answers)

    def answer(messages: list[Message], info: CallInfo) -> ModelResponse | str:
        return queue.pop(0)

    return FunctionModel(answer)


def calls(*pairs: tuple[str, dict[str, object]]) -> ModelResponse:
    """A response that calls tools: ``calls(("add", {"a": 1}), ...)``."""
    return ModelResponse(
        tool_calls=[
            ToolCall(f"call_{i}", name, dict(args)) for i, (name, args) in enumerate(pairs)
        ],
        finish_reason="tool_calls",
    )


@tool
def add(a: int, b: int) -> int:
    """Adds two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool
async def city_weather(city: str) -> dict[str, object]:
    """Current weather in a city.

    Args:
        city: The city's name.
    """
    await asyncio.sleep(0)
    return {"city": city, "temp_c": 21}
