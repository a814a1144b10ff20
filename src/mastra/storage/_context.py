"""What an agent turn reads of a thread before calling the model, in one read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from mastra.storage._types import Message, MessageRange, Resource, Thread

__all__ = ["ContextLoader", "ThreadContext", "recall_anchors"]


@dataclass(frozen=True)
class ThreadContext:
    """A thread as a turn of an agent with memory sees it, read at one moment.

    Attributes:
        thread: The thread, if it was asked for and exists.
        resource: The resource, if it was asked for and exists.
        recent: The thread's last messages, oldest first.
        recalled: The recalled messages with their neighbours (in their own
            threads), oldest first, without those among ``recent``.
    """

    thread: Thread | None = None
    resource: Resource | None = None
    recent: list[Message] = field(default_factory=list)
    recalled: list[Message] = field(default_factory=list)


@runtime_checkable
class ContextLoader(Protocol):
    """A store that reads a :class:`ThreadContext` in one call (one snapshot, one
    trip to the database), instead of one call per part.

    :class:`~mastra.storage.SQLiteStorage` and :class:`~mastra.storage.InMemoryStorage`
    are; :class:`~mastra.memory.Memory` composes the context from
    :class:`~mastra.storage.Storage` calls for a store that is not.
    """

    async def load_context(
        self,
        thread_id: str,
        *,
        last: int,
        thread: bool = False,
        resource_id: str | None = None,
        recall: Sequence[str] = (),
        recall_limit: int = 0,
        message_range: MessageRange = 0,
    ) -> ThreadContext:
        """Reads a thread's context.

        Args:
            thread_id: The thread.
            last: How many of its latest messages to read (0: none).
            thread: Whether to read the thread itself.
            resource_id: The resource to read (None: none).
            recall: Ids of messages found by similarity, best first.
            recall_limit: How many of them to recall: the first ones not among the
                ``last`` messages (see :func:`recall_anchors`).
            message_range: Neighbours to read around each recalled message.
        """
        ...


def recall_anchors(recent: Sequence[Message], recall: Sequence[str], limit: int) -> list[str]:
    """The ids to recall: the first ``limit`` of ``recall`` not among ``recent``."""
    if limit <= 0:
        return []
    shown = {m.id for m in recent}
    return [i for i in recall if i not in shown][:limit]
