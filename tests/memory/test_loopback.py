"""Memory through the OpenAI wire protocol: the providers' loopback server on 127.0.0.1
receives the remembered conversation, and its tool calls reach the working memory."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mastra.agent import Agent
from mastra.http import aclose_shared_clients
from mastra.memory import SemanticRecall
from mastra.providers import Message, OpenAIChatModel, Provider
from providers import wire
from providers.helpers import FAST_CONFIG, KEY
from providers.server import LoopbackServer

from .conftest import MemoryFactory

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
async def shared_clients_closed() -> AsyncIterator[None]:
    """The models share one HTTP client per event loop: closed with each test's loop."""
    yield
    await aclose_shared_clients()


def model(base: str) -> OpenAIChatModel:
    return OpenAIChatModel("gpt-test", provider=Provider("openai", base, KEY, http=FAST_CONFIG))


def sent(payload: dict[str, object]) -> list[tuple[str, str]]:
    messages = payload["messages"]
    assert isinstance(messages, list)
    return [(m["role"], m.get("content") or "") for m in messages]


async def test_history_and_recall_go_over_the_wire(
    wire_server: LoopbackServer, make_memory: MemoryFactory
) -> None:
    memory = make_memory(last_messages=2, semantic_recall=SemanticRecall(top_k=1, message_range=0))
    await memory.save_messages(
        "t1",
        [Message.user("My locker code is 4312"), Message.assistant("Noted.")],
        resource_id="u1",
    )
    base = wire_server.url()
    agent = Agent("chat", "Be brief.", model(base), memory=memory)
    first = await agent.generate("Hello there", thread_id="t1", resource_id="u1")
    assert first.text == wire.TEXT
    await agent.generate("What is my locker code?", thread_id="t1", resource_id="u1")
    assert sent(wire_server.log(base)[1]) == [
        ("system", "Be brief."),
        ("user", "My locker code is 4312"),  # recalled
        ("user", "Hello there"),  # the last 2 messages
        ("assistant", wire.TEXT),
        ("user", "What is my locker code?"),
    ]
    assert len(await memory.get_messages("t1")) == 6


async def test_a_bad_working_memory_call_over_the_wire_is_a_tool_error(
    wire_server: LoopbackServer, make_memory: MemoryFactory
) -> None:
    memory = make_memory(working_memory=True)
    base = wire_server.url()
    agent = Agent("chat", None, model(base), memory=memory)
    # The loopback assistant calls every offered tool with {"query", "limit"}.
    result = await agent.generate("Remember me", thread_id="t1", resource_id="u1")
    first, second = wire_server.log(base)
    assert wire.tool_names(first) == ["updateWorkingMemory"]
    assert "<working_memory>" in sent(first)[0][1]
    (error,) = wire.tool_results(second)
    assert error.startswith("Error: invalid arguments for tool 'updateWorkingMemory'")
    assert result.text == f"Results: {error}"
    assert await memory.get_working_memory(resource_id="u1") is None
    roles = [m.role for m in await memory.get_messages("t1")]
    assert roles == ["user", "assistant", "tool", "assistant"]
