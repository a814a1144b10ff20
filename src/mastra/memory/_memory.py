"""The memory of agents: threads, recent and recalled messages, and working memory."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any

from mastra.errors import ConfigError, StorageError
from mastra.memory._config import (
    SemanticRecall,
    WorkingMemory,
    as_semantic_recall,
    as_working_memory,
    check_last_messages,
)
from mastra.memory._convert import (
    model_message,
    other_threads_message,
    prompt_safe,
    stored_messages,
)
from mastra.memory._recall import MessageMatch, SemanticIndex
from mastra.memory._working import WorkingMemoryValue, apply_update, system_message, update_tool
from mastra.providers import Message
from mastra.rag import Embedder
from mastra.storage import ContextLoader, Storage, Thread, ThreadContext, ThreadPage
from mastra.storage import Message as StoredMessage
from mastra.storage._context import recall_anchors
from mastra.storage._types import utcnow
from mastra.tools import RunContext, Tool
from mastra.vector import QueryResult, VectorStore

__all__ = ["Memory"]

_THREAD_KEY = "workingMemory"  # where thread-scoped working memory lives in thread metadata
_PAGE = 500
_KNOWN_THREADS = 4096


class Memory:
    """Conversation memory for agents: threads of messages in a store, the last
    messages and semantically recalled ones put back in the prompt, and a working
    memory the model keeps up to date.

    Give it to an agent (``Agent(..., memory=memory)``) and run the agent with a
    ``thread_id`` (and the ``resource_id`` owning the thread: a user, an account...).
    Each turn the model is shown, after the instructions: the working memory, the
    messages recalled by similarity to the new input (each with its neighbours,
    without those already among the recent ones), and the last ``last_messages``
    messages of the thread. After the turn the new user, assistant and tool
    messages are saved in one transaction and embedded for recall. A thread is
    created on first use. The memory takes ownership of its stores: :meth:`close`
    (or leaving ``async with``) closes them.

    Args:
        storage: Where threads, messages and working memory are kept.
        vector_store: Where message vectors are kept (for semantic recall and
            :meth:`search`).
        embedder: Turns message texts into vectors (for the same).
        last_messages: How many of the thread's latest messages the model sees (0:
            none).
        semantic_recall: Semantic recall settings, ``True`` for the defaults, or
            None (off). Needs ``vector_store`` and ``embedder``.
        working_memory: Working memory settings, ``True`` for the default template,
            or None (off). The model then gets the ``updateWorkingMemory`` tool.

    Raises:
        ConfigError: An option is out of range, or semantic recall lacks a vector
            store or an embedder.

    Example:
        >>> import asyncio
        >>> from mastra.agent import Agent
        >>> from mastra.memory import Memory
        >>> from mastra.storage import InMemoryStorage
        >>> from mastra.testing import FunctionModel
        >>> async def main() -> list[str]:
        ...     async with Memory(InMemoryStorage(), last_messages=10) as memory:
        ...         count = FunctionModel(lambda messages, info: f"{len(messages)} seen")
        ...         agent = Agent("chat", "Be brief.", count, memory=memory)
        ...         await agent.generate("hello", thread_id="t1", resource_id="u1")
        ...         answer = await agent.generate("again", thread_id="t1", resource_id="u1")
        ...         return [answer.text, *(m.role for m in await memory.get_messages("t1"))]
        >>> asyncio.run(main())
        ['4 seen', 'user', 'assistant', 'user', 'assistant']
    """

    def __init__(
        self,
        storage: Storage,
        *,
        vector_store: VectorStore | None = None,
        embedder: Embedder | None = None,
        last_messages: int = 10,
        semantic_recall: SemanticRecall | bool | None = None,
        working_memory: WorkingMemory | bool | None = None,
    ) -> None:
        self.storage = storage
        self.vector_store = vector_store
        self.embedder = embedder
        self.last_messages = check_last_messages(last_messages)
        self.semantic_recall = as_semantic_recall(semantic_recall)
        self.working_memory = as_working_memory(working_memory)
        if self.semantic_recall is not None and (vector_store is None or embedder is None):
            raise ConfigError(
                "semantic recall needs a vector_store and an embedder",
                argument="semantic_recall",
            )
        # A store that reads a turn's context in one call is asked so.
        self._loader = storage if isinstance(storage, ContextLoader) else None
        self._index = (
            SemanticIndex(vector_store, embedder)
            if vector_store is not None and embedder is not None
            else None
        )
        # Owners of threads seen to exist, so that a turn need not look its thread up.
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._tools: tuple[Tool, ...] = ()
        if self.working_memory is not None:
            self._tools = (update_tool(self.working_memory, self._tool_update),)

    def __repr__(self) -> str:
        return (
            f"Memory({type(self.storage).__name__}, last_messages={self.last_messages}, "
            f"semantic_recall={self.semantic_recall}, working_memory={self.working_memory})"
        )

    # ---- lifetime ------------------------------------------------------------------

    async def close(self) -> None:
        """Closes the storage and the vector store."""
        try:
            await self.storage.close()
        finally:
            if self.vector_store is not None:
                await self.vector_store.close()

    async def __aenter__(self) -> Memory:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- threads -------------------------------------------------------------------

    async def create_thread(
        self,
        *,
        resource_id: str,
        thread_id: str | None = None,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Thread:
        """Creates a thread owned by ``resource_id`` (a new uuid4 id when None).

        Raises:
            StorageError: A thread with this id exists.
        """
        return await self.storage.create_thread(
            resource_id=resource_id, id=thread_id, title=title, metadata=metadata
        )

    async def get_thread(self, thread_id: str) -> Thread | None:
        """The thread, or None."""
        return await self.storage.get_thread(thread_id)

    async def update_thread(
        self, thread_id: str, *, title: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Thread:
        """Sets the title and merges ``metadata`` into the thread's.

        Raises:
            StorageError: There is no such thread.
        """
        return await self.storage.update_thread(thread_id, title=title, metadata=metadata)

    async def list_threads(
        self, resource_id: str, *, limit: int = 20, offset: int = 0
    ) -> ThreadPage:
        """A page of the resource's threads, newest first."""
        return await self.storage.list_threads(resource_id, limit=limit, offset=offset)

    async def delete_thread(self, thread_id: str) -> bool:
        """Deletes a thread, its messages and their vectors; False if there was none."""
        ids = [m.id for m in await self.get_messages(thread_id)]
        self._owners.pop(thread_id, None)
        deleted = await self.storage.delete_thread(thread_id)
        if self._index is not None:
            await self._index.delete(ids)
        return deleted

    async def _thread(self, thread_id: str, resource_id: str | None) -> Thread:
        """The thread, created if missing; refused if another resource owns it."""
        thread = await self.storage.get_thread(thread_id)
        if thread is None:
            return await self._create(thread_id, resource_id)
        return self._known(thread, resource_id)

    def _known(self, thread: Thread, resource_id: str | None) -> Thread:
        """Checks the thread's owner and remembers it."""
        _check_owner(thread, resource_id)
        self._owners[thread.id] = thread.resource_id
        self._owners.move_to_end(thread.id)
        if len(self._owners) > _KNOWN_THREADS:
            self._owners.popitem(last=False)
        return thread

    def _cached_owner(self, thread_id: str, resource_id: str | None) -> str | None:
        """The known owner of the thread (None: unknown); refused if not ``resource_id``."""
        owner = self._owners.get(thread_id)
        if owner is not None and resource_id is not None and owner != resource_id:
            raise ConfigError(
                f"thread {thread_id!r} belongs to another resource than {resource_id!r}",
                argument="resource_id",
                thread_id=thread_id,
            )
        return owner

    async def _create(self, thread_id: str, resource_id: str | None) -> Thread:
        if resource_id is None:
            raise ConfigError(
                f"thread {thread_id!r} does not exist: give a resource_id to create it",
                argument="resource_id",
                thread_id=thread_id,
            )
        try:
            thread = await self.storage.create_thread(resource_id=resource_id, id=thread_id)
        except StorageError:
            found = await self.storage.get_thread(thread_id)  # created meanwhile?
            if found is None:
                raise
            thread = found
        return self._known(thread, resource_id)

    # ---- messages ------------------------------------------------------------------

    async def get_messages(self, thread_id: str, *, last: int | None = None) -> list[StoredMessage]:
        """The thread's messages, oldest first (only the ``last`` ones if given).

        :func:`~mastra.memory.model_message` turns them into model messages.
        """
        if last is not None:
            return await self.storage.get_last_messages(thread_id, last)
        found: list[StoredMessage] = []
        cursor: str | None = None
        while True:
            page = await self.storage.list_messages(thread_id, limit=_PAGE, cursor=cursor)
            found.extend(page.messages)
            cursor = page.next_cursor
            if cursor is None:
                return found

    async def save_messages(
        self,
        thread_id: str,
        messages: Sequence[Message | StoredMessage],
        *,
        resource_id: str | None = None,
    ) -> list[StoredMessage]:
        """Saves messages in the thread (created if missing) in one transaction, then
        indexes them for recall.

        Model messages get new ids and the current time; stored messages keep their
        id (saving one again replaces it) and time.

        Raises:
            ConfigError: The thread is missing and no ``resource_id`` was given, or it
                belongs to another resource.
        """
        if not messages:
            return []
        start = utcnow()
        owner = self._cached_owner(thread_id, resource_id)
        if owner is not None:
            saved = await self._save_known(_records(messages, thread_id, owner, start))
            if saved is not None:
                return saved
            self._owners.pop(thread_id, None)  # the thread may have been deleted meanwhile
        async with self.storage.transaction():
            owner = (await self._thread(thread_id, resource_id)).resource_id
            saved = await self.storage.save_messages(_records(messages, thread_id, owner, start))
        if self._index is not None:
            await self._index.add(saved)
        return saved

    async def _save_known(self, records: list[StoredMessage]) -> list[StoredMessage] | None:
        """Saves and indexes messages of a thread known to exist; None if the store
        refused them (the thread is gone?), with nothing left in the index."""
        if self._index is None:
            try:  # one write, atomic by itself
                return await self.storage.save_messages(records)
            except StorageError:
                return None
        # The vectors are written while the messages commit: one wait instead of two.
        saved, indexed = await asyncio.gather(
            self.storage.save_messages(records), self._index.add(records), return_exceptions=True
        )
        if isinstance(saved, BaseException):
            if not isinstance(indexed, BaseException):
                await self._index.delete([m.id for m in records])
            if isinstance(saved, StorageError):
                return None
            raise saved
        if isinstance(indexed, BaseException):
            raise indexed
        return saved

    async def search(
        self,
        query: str,
        *,
        thread_id: str | None = None,
        resource_id: str | None = None,
        top_k: int = 5,
    ) -> list[MessageMatch]:
        """The messages of a thread or of a resource most similar to ``query``.

        Raises:
            ConfigError: Neither or both of ``thread_id`` and ``resource_id``, or no
                vector store and embedder.
        """
        if (thread_id is None) == (resource_id is None):
            raise ConfigError("search needs either a thread_id or a resource_id")
        index = self._require_index()
        hits = await index.search(query, thread_id=thread_id, resource_id=resource_id, top_k=top_k)
        found = {m.id: m for m in await self.storage.get_messages([h.id for h in hits])}
        return [MessageMatch(found[h.id], h.score) for h in hits if h.id in found]

    def _require_index(self) -> SemanticIndex:
        if self._index is None:
            raise ConfigError("this memory has no vector_store and embedder to search with")
        return self._index

    # ---- working memory ------------------------------------------------------------

    def _require_working_memory(self) -> WorkingMemory:
        if self.working_memory is None:
            raise ConfigError("this memory has no working memory", argument="working_memory")
        return self.working_memory

    async def _owner(self, thread_id: str | None, resource_id: str | None) -> tuple[bool, str]:
        """``(is_thread, id)``: where the working memory of this scope is kept."""
        config = self._require_working_memory()
        if config.scope == "thread":
            if thread_id is None:
                raise ConfigError("thread-scoped working memory needs a thread_id")
            return True, thread_id
        if resource_id is not None:
            return False, resource_id
        if thread_id is None:
            raise ConfigError("working memory needs a resource_id or a thread_id")
        thread = await self.storage.get_thread(thread_id)
        if thread is None:
            raise StorageError(f"thread {thread_id!r} does not exist", thread_id=thread_id)
        return False, thread.resource_id

    async def _load(self, is_thread: bool, owner: str) -> WorkingMemoryValue | None:
        if is_thread:
            thread = await self.storage.get_thread(owner)
            return None if thread is None else thread.metadata.get(_THREAD_KEY)
        resource = await self.storage.get_resource(owner)
        return None if resource is None else resource.working_memory

    async def get_working_memory(
        self, *, thread_id: str | None = None, resource_id: str | None = None
    ) -> WorkingMemoryValue | None:
        """The stored working memory of the thread or resource (per the scope), or None.

        Raises:
            ConfigError: No working memory is configured, or the ids its scope needs
                are missing.
        """
        return await self._load(*await self._owner(thread_id, resource_id))

    async def update_working_memory(
        self,
        value: WorkingMemoryValue,
        *,
        thread_id: str | None = None,
        resource_id: str | None = None,
        merge: bool = False,
    ) -> WorkingMemoryValue:
        """Replaces the working memory (or, with a schema and ``merge``, merges the
        given fields into it) and returns what is stored now.

        Raises:
            WorkingMemoryError: The value does not fit the template or schema; the
                stored working memory is unchanged.
            ConfigError: No working memory is configured, or the ids its scope needs
                are missing.
        """
        config = self._require_working_memory()
        is_thread, owner = await self._owner(thread_id, resource_id)
        async with self.storage.transaction():
            current = await self._load(is_thread, owner)
            new = apply_update(config, current, value, merge=merge)
            if is_thread:
                await self.storage.update_thread(owner, metadata={_THREAD_KEY: new})
            else:
                await self.storage.update_resource(owner, working_memory=new)
        return new

    async def _tool_update(self, value: Any, ctx: RunContext[Any]) -> WorkingMemoryValue:
        if ctx.thread_id is None and ctx.resource_id is None:
            raise ConfigError("updateWorkingMemory needs a run with a thread_id")
        return await self.update_working_memory(
            value, thread_id=ctx.thread_id, resource_id=ctx.resource_id, merge=True
        )

    # ---- the agent's hooks ---------------------------------------------------------

    def tools(self) -> tuple[Tool, ...]:
        """The tools the model gets in runs with a thread (``updateWorkingMemory``)."""
        return self._tools

    async def recall(
        self, thread_id: str, *, resource_id: str | None, query: Sequence[Message]
    ) -> list[Message]:
        """What the model sees of the thread before the new input: the working memory,
        recalled messages and the last messages (creates the thread if missing).

        Raises:
            ConfigError: The thread is missing and no ``resource_id`` was given, or it
                belongs to another resource.
        """
        resource_id = self._cached_owner(thread_id, resource_id) or resource_id
        if resource_id is None:
            resource_id = (await self._thread(thread_id, None)).resource_id
        config = self.working_memory
        # The thread is read when its owner is not known yet or it holds the memory.
        wants_thread = thread_id not in self._owners or (
            config is not None and config.scope == "thread"
        )
        context = await self._context(thread_id, resource_id, _query_text(query), wants_thread)
        thread = context.thread
        if wants_thread:
            thread = (
                self._known(thread, resource_id)
                if thread is not None
                else await self._create(thread_id, resource_id)
            )
        prompt: list[Message] = []
        if config is not None:
            current = thread.metadata.get(_THREAD_KEY) if thread is not None else None
            resource_memory = context.resource.working_memory if context.resource else None
            prompt.append(system_message(config, current or resource_memory))
        recalled = context.recalled
        others = other_threads_message([m for m in recalled if m.thread_id != thread_id])
        if others is not None:
            prompt.append(others)
        history = [m for m in recalled if m.thread_id == thread_id] + context.recent
        prompt.extend(prompt_safe(model_message(m) for m in history))
        return prompt

    async def _context(
        self, thread_id: str, resource_id: str, text: str, wants_thread: bool
    ) -> ThreadContext:
        """The turn's reads: the thread (if wanted), the resource's working memory,
        the last messages and the recalled ones with their neighbours."""
        config = self.working_memory
        memory_owner = resource_id if config is not None and config.scope == "resource" else None
        recall = self.semantic_recall
        limit, message_range = (recall.top_k, recall.message_range) if recall else (0, 0)
        if self._loader is not None:
            # Search first, then one read of the store: two steps, one trip each.
            hits = await self._hits(text, thread_id, resource_id)
            return await self._loader.load_context(
                thread_id,
                last=self.last_messages,
                thread=wants_thread,
                resource_id=memory_owner,
                recall=[h.id for h in hits],
                recall_limit=limit,
                message_range=message_range,
            )
        # Otherwise the search overlaps the reads, and the neighbours come after.
        thread, recent, hits, resource = await asyncio.gather(
            self.storage.get_thread(thread_id) if wants_thread else _nothing(),
            self._recent(thread_id),
            self._hits(text, thread_id, resource_id),
            self.storage.get_resource(memory_owner) if memory_owner is not None else _nothing(),
        )
        anchors = recall_anchors(recent, [h.id for h in hits], limit)
        shown = {m.id for m in recent}
        found = (
            await self.storage.get_messages(anchors, message_range=message_range) if anchors else []
        )
        recalled = [m for m in found if m.id not in shown]
        return ThreadContext(thread, resource, recent, recalled)

    async def _recent(self, thread_id: str) -> list[StoredMessage]:
        if self.last_messages == 0:
            return []
        return await self.storage.get_last_messages(thread_id, self.last_messages)

    async def _hits(self, text: str, thread_id: str, resource_id: str) -> list[QueryResult]:
        config = self.semantic_recall
        if config is None or self._index is None or not text:
            return []
        # Ask for more than top_k: the recent messages found are dropped afterwards.
        return await self._index.search(
            text,
            thread_id=thread_id if config.scope == "thread" else None,
            resource_id=resource_id if config.scope == "resource" else None,
            top_k=config.top_k + self.last_messages,
        )

    async def remember(
        self, thread_id: str, messages: Sequence[Message], *, resource_id: str | None
    ) -> None:
        """Saves a turn's new messages (system messages excepted) and indexes them."""
        kept = [m for m in messages if m.role != "system"]
        if kept:
            await self.save_messages(thread_id, kept, resource_id=resource_id)


async def _nothing() -> Any:
    return None


def _records(
    messages: Sequence[Message | StoredMessage],
    thread_id: str,
    owner: str,
    start: datetime,
) -> list[StoredMessage]:
    """The messages as records of the thread: model messages get ids and times."""
    fresh = [m for m in messages if isinstance(m, Message)]
    converted = iter(stored_messages(fresh, thread_id, owner, start))
    return [
        next(converted)
        if isinstance(m, Message)
        else replace(m, thread_id=thread_id, resource_id=owner)
        for m in messages
    ]


def _check_owner(thread: Thread, resource_id: str | None) -> None:
    if resource_id is not None and thread.resource_id != resource_id:
        raise ConfigError(
            f"thread {thread.id!r} belongs to another resource than {resource_id!r}",
            argument="resource_id",
            thread_id=thread.id,
        )


def _query_text(query: Sequence[Message]) -> str:
    """The text recall searches by: the new input's last user message with text."""
    for message in reversed(query):
        if message.role == "user" and message.text.strip():
            return message.text
    return " ".join(m.text for m in query if m.text).strip()
