"""Storage: threads, messages, working memory and workflow snapshots, behind one protocol.

:class:`SQLiteStorage` keeps them in one file (the embedded default);
:class:`InMemoryStorage` is the reference implementation, for tests and throwaway runs;
:class:`PostgresStorage` (the ``mastra[postgres]`` extra) is shared by workers on many
hosts. All satisfy the :class:`Storage` protocol, so code written against it runs on any.

Example:
    >>> import asyncio
    >>> from mastra.storage import InMemoryStorage
    >>> async def main() -> str | None:
    ...     async with InMemoryStorage() as store:
    ...         await store.update_resource("user-1", working_memory="likes tea")
    ...         resource = await store.get_resource("user-1")
    ...         return resource.working_memory if resource else None
    >>> asyncio.run(main())
    'likes tea'
"""

from typing import TYPE_CHECKING, Any

from mastra.storage._context import ContextLoader, ThreadContext
from mastra.storage._memory import InMemoryStorage
from mastra.storage._sqlite import SQLiteStorage, Synchronous
from mastra.storage._types import (
    AuditEntry,
    Message,
    MessagePage,
    MessageRange,
    Resource,
    SortOrder,
    Storage,
    Thread,
    ThreadPage,
    WorkflowSnapshot,
)

if TYPE_CHECKING:
    from mastra.storage._postgres import PostgresStorage


def __getattr__(name: str) -> Any:
    # psycopg is an optional extra: imported only when PostgresStorage is asked for.
    if name == "PostgresStorage":
        from mastra.storage._postgres import PostgresStorage

        globals()[name] = PostgresStorage
        return PostgresStorage
    raise AttributeError(f"module 'mastra.storage' has no attribute {name!r}")


__all__ = [
    "AuditEntry",
    "ContextLoader",
    "InMemoryStorage",
    "Message",
    "MessagePage",
    "MessageRange",
    "PostgresStorage",
    "Resource",
    "SQLiteStorage",
    "SortOrder",
    "Storage",
    "Synchronous",
    "Thread",
    "ThreadContext",
    "ThreadPage",
    "WorkflowSnapshot",
]
