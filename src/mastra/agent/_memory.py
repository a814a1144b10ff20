"""The hook through which an agent recalls and keeps a conversation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from mastra.providers import Message
from mastra.tools import Tool

__all__ = ["Memory", "memory_tools"]


@runtime_checkable
class Memory(Protocol):
    """What an agent needs from a memory: the messages of a thread, and a place to
    keep the new ones.

    An agent with a memory uses it only for runs given a ``thread_id``: it puts the
    recalled messages after its instructions and before the new input, and after the
    run keeps the input and every message the run produced. A memory may also define
    ``tools() -> Sequence[Tool]``: tools offered to the model in those runs (as
    :class:`mastra.memory.Memory` offers ``updateWorkingMemory``).
    """

    async def recall(
        self, thread_id: str, *, resource_id: str | None, query: Sequence[Message]
    ) -> Sequence[Message]:
        """The messages of the thread to put before the new input.

        Args:
            thread_id: The conversation thread.
            resource_id: The user or entity owning the thread.
            query: The new input (for semantic recall).
        """
        ...

    async def remember(
        self, thread_id: str, messages: Sequence[Message], *, resource_id: str | None
    ) -> None:
        """Keeps the run's new messages in the thread."""
        ...


def memory_tools(memory: Memory) -> dict[str, Tool]:
    """The tools a memory offers the model, by name (none unless it defines ``tools()``)."""
    tools = getattr(memory, "tools", None)
    if not callable(tools):
        return {}
    return {tool.name: tool for tool in tools() if isinstance(tool, Tool)}
