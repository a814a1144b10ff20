"""What an agent turn reads of a thread before calling the model, in one read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from mastra.storage._types import (
    Message,
    MessageRange,
    Resource,
    Thread,
    check_page,
    neighbour_range,
)

RecallPlan = tuple[list[str], int, int, int]
"""What a store's load_context reads for recall: (ids, limit, before, after)."""

__all__ = [
    "ContextLoader",
    "RecallPlan",
    "ThreadContext",
    "recall_anchors",
    "recall_plan",
    "thread_context",
]


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

    :class:`~mastra.storage.SQLiteStorage`, :class:`~mastra.storage.PostgresStorage`
    and :class:`~mastra.storage.InMemoryStorage` are; :class:`~mastra.memory.Memory`
    composes the context from :class:`~mastra.storage.Storage` calls for a store that
    is not.
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


def thread_context(
    thread: Thread | None,
    resource: Resource | None,
    recent: list[Message],
    recalled: list[Message],
) -> ThreadContext:
    """A :class:`ThreadContext` of what a store read, without the recalled messages
    that are already among the recent ones."""
    shown = {m.id for m in recent}
    return ThreadContext(thread, resource, recent, [m for m in recalled if m.id not in shown])


def recall_plan(
    last: int, recall: Sequence[str], recall_limit: int, message_range: MessageRange
) -> RecallPlan:
    """Checks a load_context call's arguments and returns its :data:`RecallPlan`."""
    if last:
        check_page(last)
    before, after = neighbour_range(message_range)
    return list(recall), recall_limit, before, after
