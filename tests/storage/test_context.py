"""load_context: a turn's reads in one call, the same on SQLite, PostgreSQL and in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.conformance.services import POSTGRES_URL, fresh_schema, needs_postgres

from mastra.errors import StorageError
from mastra.storage import (
    ContextLoader,
    InMemoryStorage,
    Message,
    SQLiteStorage,
    Storage,
    ThreadContext,
)

pytestmark = pytest.mark.anyio
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def fill(made: Storage) -> None:
    for thread, owner in (("a", "u1"), ("b", "u1"), ("c", "u2")):
        await made.create_thread(resource_id=owner, id=thread)
        await made.save_messages(
            [
                Message(f"{thread}{n}", thread, "user", [], owner, EPOCH + timedelta(seconds=n))
                for n in range(10)
            ]
        )
    await made.update_resource("u1", working_memory="likes tea")


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=needs_postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    if request.param == "postgres":
        from mastra.storage import PostgresStorage

        assert POSTGRES_URL is not None
        with fresh_schema() as schema:
            async with PostgresStorage(POSTGRES_URL, schema=schema, max_connections=4) as pg:
                await fill(pg)
                yield pg
        return
    made: Storage = (
        InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "c.db")
    )
    async with made:  # type: ignore[attr-defined]
        await fill(made)
        yield made


def ids(messages: list[Message]) -> list[str]:
    return [m.id for m in messages]


async def test_every_store_is_a_context_loader(store: Storage) -> None:
    assert isinstance(store, ContextLoader)


async def test_recent_messages_thread_and_resource(store: Storage) -> None:
    assert isinstance(store, ContextLoader)
    context = await store.load_context("a", last=3, thread=True, resource_id="u1")
    assert ids(context.recent) == ["a7", "a8", "a9"]
    assert context.thread is not None
    assert context.thread.resource_id == "u1"
    assert context.resource is not None
    assert context.resource.working_memory == "likes tea"
    assert context.recalled == []
    bare = await store.load_context("a", last=0)
    assert bare == ThreadContext()
    missing = await store.load_context("zz", last=5, thread=True, resource_id="nobody")
    assert missing == ThreadContext()


async def test_recall_skips_the_recent_ones_and_brings_neighbours(store: Storage) -> None:
    assert isinstance(store, ContextLoader)
    context = await store.load_context(
        "a",
        last=3,
        recall=["a8", "gone", "a2", "b5", "a4"],  # best first
        recall_limit=3,
        message_range=1,
    )
    # a8 is recent; "gone" takes a place but brings nothing; a2 and b5 are recalled
    assert ids(context.recent) == ["a7", "a8", "a9"]
    assert ids(context.recalled) == ["a1", "a2", "a3", "b4", "b5", "b6"]


async def test_neighbours_that_are_recent_are_left_out(store: Storage) -> None:
    assert isinstance(store, ContextLoader)
    context = await store.load_context(
        "a", last=3, recall=["a6"], recall_limit=2, message_range=(1, 2)
    )
    assert ids(context.recalled) == ["a5", "a6"]


async def test_bad_arguments_raise(store: Storage) -> None:
    assert isinstance(store, ContextLoader)
    with pytest.raises(StorageError):
        await store.load_context("a", last=-1)
    with pytest.raises(StorageError):
        await store.load_context("a", last=2, recall=["a1"], recall_limit=1, message_range=-1)


async def test_a_transaction_reads_its_own_writes(store: Storage) -> None:
    assert isinstance(store, ContextLoader)
    async with store.transaction():
        await store.save_messages([Message("new", "a", "user", [], "u1", EPOCH + timedelta(1))])
        context = await store.load_context("a", last=1)
        assert ids(context.recent) == ["new"]
