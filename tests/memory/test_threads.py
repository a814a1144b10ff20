"""The memory's own API: threads, messages, search, configuration, and persistence
across a new Memory on the same SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mastra.agent import Agent
from mastra.errors import ConfigError, StorageError
from mastra.memory import Memory, SemanticRecall, WorkingMemory, model_message, stored_message
from mastra.providers import Message
from mastra.rag import HashingEmbedder
from mastra.storage import InMemoryStorage, SQLiteStorage
from mastra.vector import SQLiteVectorStore

from .conftest import MemoryFactory
from .helpers import Recorder, texts, update

pytestmark = pytest.mark.anyio

LINES = [
    "The launch window opens on Tuesday",
    "Pack the telescope lens cleaner",
    "Grandma's lemon cake recipe needs three eggs",
    "The server certificate expires in March",
]


async def test_threads_are_created_listed_updated_and_deleted(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    first = await memory.create_thread(resource_id="u1", thread_id="t1", title="Trip")
    second = await memory.create_thread(resource_id="u1", metadata={"topic": "food"})
    await memory.create_thread(resource_id="u2", thread_id="other")
    with pytest.raises(StorageError, match="already exists"):
        await memory.create_thread(resource_id="u1", thread_id="t1")
    page = await memory.list_threads("u1")
    assert page.total == 2
    assert {t.id for t in page.threads} == {first.id, second.id}
    renamed = await memory.update_thread("t1", title="Moon trip", metadata={"pinned": True})
    assert (renamed.title, renamed.metadata) == ("Moon trip", {"pinned": True})
    assert await memory.get_thread("t1") == renamed
    assert await memory.delete_thread("t1")
    assert not await memory.delete_thread("t1")
    assert await memory.get_thread("t1") is None
    assert (await memory.list_threads("u1")).total == 1


async def test_saved_messages_come_back_in_order(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    saved = await memory.save_messages(
        "t1", [Message.user(LINES[0]), Message.assistant(LINES[1])], resource_id="u1"
    )
    again = stored_message(Message.user(LINES[2]), "elsewhere", None, id="fixed")
    await memory.save_messages("t1", [again])
    everything = await memory.get_messages("t1")
    assert [m.id for m in everything] == [saved[0].id, saved[1].id, "fixed"]
    assert everything[2].thread_id == "t1"
    assert everything[2].resource_id == "u1"
    assert [model_message(m).text for m in await memory.get_messages("t1", last=2)] == LINES[1:3]
    with pytest.raises(ConfigError, match="give a resource_id"):
        await memory.save_messages("missing", [Message.user("hi")])
    assert await memory.save_messages("t1", []) == []


async def test_search_by_thread_or_resource(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    await memory.save_messages("t1", [Message.user(x) for x in LINES[:2]], resource_id="u1")
    await memory.save_messages("t2", [Message.user(x) for x in LINES[2:]], resource_id="u1")
    await memory.save_messages("t3", [Message.user(LINES[2])], resource_id="u2")
    hits = await memory.search("lemon cake recipe", resource_id="u1", top_k=1)
    assert [(model_message(h.message).text, h.message.thread_id) for h in hits] == [
        (LINES[2], "t2")
    ]
    assert 0 < hits[0].score <= 1
    in_thread = await memory.search("lemon cake recipe", thread_id="t1", top_k=5)
    assert {model_message(h.message).text for h in in_thread} == set(LINES[:2])
    assert in_thread[0].score >= in_thread[1].score
    with pytest.raises(ConfigError, match="either"):
        await memory.search("x", thread_id="t1", resource_id="u1")
    with pytest.raises(ConfigError, match="either"):
        await memory.search("x")


async def test_deleting_a_thread_forgets_its_vectors(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    await memory.save_messages("t1", [Message.user(x) for x in LINES], resource_id="u1")
    assert len(await memory.search("telescope", resource_id="u1")) == 4
    await memory.delete_thread("t1")
    assert await memory.search("telescope", resource_id="u1") == []
    assert memory.vector_store is not None
    (index,) = await memory.vector_store.list_indexes()
    assert (await memory.vector_store.describe_index(index)).count == 0


async def test_tool_messages_and_empty_texts_are_not_embedded(make_memory: MemoryFactory) -> None:
    memory = make_memory()
    messages = [Message.user("look it up"), Message.assistant(""), Message.tool("c", "lookup")]
    await memory.save_messages("t1", messages, resource_id="u1")
    hits = await memory.search("look it up lookup", thread_id="t1", top_k=5)
    assert [h.message.role for h in hits] == ["user"]


async def test_everything_persists_across_a_new_memory(tmp_path: Path) -> None:
    def open_memory() -> Memory:
        return Memory(
            SQLiteStorage(tmp_path / "memory.db"),
            vector_store=SQLiteVectorStore(tmp_path / "vectors.db"),
            embedder=HashingEmbedder(dimension=256),
            last_messages=2,
            semantic_recall=SemanticRecall(top_k=1, message_range=0),
            working_memory=WorkingMemory(template="- Name:\n"),
        )

    async with open_memory() as memory:
        recorder = Recorder(script=[update("- Name: Ada\n"), "Hello Ada"])
        agent = Agent("chat", None, recorder.model(), memory=memory)
        await agent.generate(LINES[2], thread_id="t1", resource_id="u1")
        for line in LINES[:2]:
            await agent.generate(line, thread_id="t1", resource_id="u1")
    async with open_memory() as memory:
        assert len(await memory.get_messages("t1")) == 8
        assert await memory.get_working_memory(resource_id="u1") == "- Name: Ada\n"
        hits = await memory.search("lemon cake", thread_id="t1", top_k=1)
        assert model_message(hits[0].message).text == LINES[2]
        recorder = Recorder()
        agent = Agent("chat", None, recorder.model(), memory=memory)
        await agent.generate("How many eggs for the lemon cake?", thread_id="t1")
        shown = recorder.last
        assert "- Name: Ada" in shown[0].text
        assert texts(shown[1:]) == [LINES[2], LINES[1], "ok 4", "How many eggs for the lemon cake?"]


async def test_memory_configuration_errors() -> None:
    store = InMemoryStorage()
    with pytest.raises(ConfigError, match="vector_store and an embedder"):
        Memory(store, semantic_recall=True)
    with pytest.raises(ConfigError, match="last_messages"):
        Memory(store, last_messages=-1)
    with pytest.raises(ConfigError, match="top_k"):
        SemanticRecall(top_k=0)
    with pytest.raises(ConfigError, match="message_range"):
        SemanticRecall(message_range=(1, -1))
    with pytest.raises(ConfigError, match="scope"):
        SemanticRecall(scope="world")  # type: ignore[arg-type]
    memory = Memory(store, last_messages=False, semantic_recall=False, working_memory=False)
    assert (memory.last_messages, memory.semantic_recall, memory.working_memory) == (0, None, None)
    with pytest.raises(ConfigError, match="no vector_store"):
        await memory.search("x", thread_id="t1")
    assert "last_messages=0" in repr(memory)


async def test_close_closes_the_stores(tmp_path: Path) -> None:
    memory = Memory(SQLiteStorage(tmp_path / "m.db"), last_messages=3)
    async with memory:
        await memory.create_thread(resource_id="u1", thread_id="t1")
    with pytest.raises(StorageError, match="closed"):
        await memory.get_thread("t1")


async def test_a_thread_deleted_elsewhere_is_made_again(
    make_memory: MemoryFactory, tmp_path: Path
) -> None:
    memory = make_memory()
    await memory.save_messages("t1", [Message.user(LINES[0])], resource_id="u1")
    async with Memory(SQLiteStorage(tmp_path / "memory.db")) as other:
        assert await other.delete_thread("t1")
    await memory.save_messages("t1", [Message.user(LINES[1])], resource_id="u1")
    assert [model_message(m).text for m in await memory.get_messages("t1")] == [LINES[1]]
    # the vector of the message deleted elsewhere is left, but never shown
    hits = await memory.search("launch window", thread_id="t1", top_k=5)
    assert [model_message(h.message).text for h in hits] == [LINES[1]]


def test_memory_satisfies_the_agent_hook() -> None:
    from mastra.agent import Memory as MemoryHook

    assert isinstance(Memory(InMemoryStorage()), MemoryHook)
