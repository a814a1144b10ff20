"""Memory for agents: threads of messages, semantic recall and working memory.

:class:`Memory` keeps conversations in a :class:`~mastra.storage.Storage` and, with a
vector store and an embedder, recalls older messages similar to the new input
(:class:`SemanticRecall`). With :class:`WorkingMemory` the model keeps facts about the
user up to date through its ``updateWorkingMemory`` tool.

Example:
    >>> import asyncio
    >>> from mastra.memory import Memory, SemanticRecall, model_message
    >>> from mastra.providers import Message
    >>> from mastra.rag import HashingEmbedder
    >>> from mastra.storage import InMemoryStorage
    >>> from mastra.vector import InMemoryVectorStore
    >>> async def main() -> str:
    ...     memory = Memory(InMemoryStorage(), vector_store=InMemoryVectorStore(),
    ...                     embedder=HashingEmbedder(), semantic_recall=SemanticRecall())
    ...     async with memory:
    ...         await memory.save_messages("t1", [Message.user("My cat is called Miso"),
    ...             Message.user("I live in Lyon")], resource_id="u1")
    ...         hits = await memory.search("cat name", thread_id="t1", top_k=1)
    ...         return model_message(hits[0].message).text
    >>> asyncio.run(main())
    'My cat is called Miso'
"""

from __future__ import annotations

from mastra.memory._config import Scope, SemanticRecall, WorkingMemory
from mastra.memory._convert import model_message, stored_message
from mastra.memory._memory import Memory
from mastra.memory._recall import MessageMatch
from mastra.memory._working import WorkingMemoryValue

__all__ = [
    "Memory",
    "MessageMatch",
    "Scope",
    "SemanticRecall",
    "WorkingMemory",
    "WorkingMemoryValue",
    "model_message",
    "stored_message",
]
