"""A turn's fast paths: one context read on stores that offer it (the same prompt as
composing it from Storage calls), and the vectors written while the messages commit
(none left behind when the store refuses the messages)."""

from __future__ import annotations

from typing import Any

import pytest

from mastra.agent import Agent
from mastra.errors import StorageError
from mastra.memory import Memory, SemanticRecall, WorkingMemory
from mastra.providers import Message
from mastra.rag import HashingEmbedder
from mastra.storage import ContextLoader, InMemoryStorage
from mastra.storage import Message as StoredMessage
from mastra.vector import InMemoryVectorStore

from .conftest import MemoryFactory
from .helpers import Recorder

pytestmark = pytest.mark.anyio

LINES = [f"Note {n} about {topic}" for n, topic in enumerate(["tea", "ships", "maps"] * 6)]


class PlainStorage:
    """The Storage protocol only: an InMemoryStorage without ``load_context``."""

    def __init__(self) -> None:
        self._inner = InMemoryStorage()

    def __getattr__(self, name: str) -> Any:
        if name == "load_context":
            raise AttributeError(name)
        return getattr(self._inner, name)


class RefusingStorage(PlainStorage):
    """Refuses every save of messages after ``allowed`` of them."""

    def __init__(self, allowed: int) -> None:
        super().__init__()
        self.allowed = allowed

    async def save_messages(self, messages: list[StoredMessage]) -> list[StoredMessage]:
        if self.allowed <= 0:
            raise StorageError("refused")
        self.allowed -= 1
        result: list[StoredMessage] = await self._inner.save_messages(messages)
        return result


def make(storage: Any, scope: str = "thread") -> Memory:
    return Memory(
        storage,
        vector_store=InMemoryVectorStore(),
        embedder=HashingEmbedder(dimension=128),
        last_messages=3,
        semantic_recall=SemanticRecall(top_k=2, message_range=1, scope=scope),  # type: ignore[arg-type]
        working_memory=WorkingMemory(scope="resource"),
    )


async def prompts(memory: Memory) -> list[list[tuple[str, str]]]:
    async with memory:
        await memory.update_working_memory("# User\n- Name: Sam\n", resource_id="u1")
        for thread in ("t1", "t2"):
            for n, line in enumerate(LINES):
                role = Message.user if n % 2 == 0 else Message.assistant
                await memory.save_messages(thread, [role(f"{thread}: {line}")], resource_id="u1")
        recorder = Recorder()
        agent = Agent("chat", None, recorder.model(), memory=memory)
        for question in ("What about tea?", "And ships?", "Maps?"):
            await agent.generate(question, thread_id="t1", resource_id="u1")
        await agent.generate("New here", thread_id="t3", resource_id="u1")
        return [[(m.role, m.text) for m in prompt] for prompt in recorder.prompts]


@pytest.mark.parametrize("scope", ["thread", "resource"])
async def test_one_context_read_shows_what_separate_reads_show(scope: str) -> None:
    assert not isinstance(PlainStorage(), ContextLoader)
    fast = await prompts(make(InMemoryStorage(), scope))
    plain = await prompts(make(PlainStorage(), scope))
    assert fast == plain
    # the recalled messages and their neighbours came before the recent ones
    assert len(fast[0]) > 1 + 3 + 1


async def test_refused_messages_leave_no_vectors() -> None:
    memory = make(RefusingStorage(allowed=1))
    async with memory:
        await memory.save_messages("t1", [Message.user("the first note")], resource_id="u1")
        with pytest.raises(StorageError, match="refused"):
            await memory.save_messages("t1", [Message.user("a refused note")], resource_id="u1")
        hits = await memory.search("note", thread_id="t1", top_k=5)
        assert [h.message.id for h in hits] == [m.id for m in await memory.get_messages("t1")]
        store = memory.vector_store
        assert store is not None
        (index,) = await store.list_indexes()
        assert (await store.describe_index(index)).count == 1


async def test_a_turn_saves_and_indexes_on_sqlite(make_memory: MemoryFactory) -> None:
    memory = make_memory(last_messages=2, semantic_recall=SemanticRecall(top_k=1))
    await memory.save_messages("t1", [Message.user("the tea is green")], resource_id="u1")
    await memory.remember(
        "t1", [Message.user("ships"), Message.assistant("sail")], resource_id="u1"
    )
    hits = await memory.search("green tea", thread_id="t1", top_k=1)
    assert [h.message.content[0]["text"] for h in hits] == ["the tea is green"]
    assert len(await memory.get_messages("t1")) == 3
