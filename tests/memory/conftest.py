"""Memories on real SQLite files, a recording model, and the loopback wire server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra.memory import Memory
from mastra.rag import HashingEmbedder
from mastra.storage import SQLiteStorage
from mastra.vector import SQLiteVectorStore
from providers.server import LoopbackServer

MemoryFactory = Callable[..., Memory]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def wire_server() -> Iterator[LoopbackServer]:
    """A loopback server speaking the OpenAI wire format on 127.0.0.1."""
    loopback = LoopbackServer().start()
    try:
        yield loopback
    finally:
        loopback.stop()


@pytest.fixture
async def make_memory(tmp_path: Path) -> AsyncIterator[MemoryFactory]:
    """Builds memories on ``tmp_path/memory.db`` (vectors in ``vectors.db``); every
    memory made is closed after the test."""
    made: list[Memory] = []

    def make(**options: Any) -> Memory:
        memory = Memory(
            SQLiteStorage(tmp_path / "memory.db"),
            vector_store=SQLiteVectorStore(tmp_path / "vectors.db"),
            embedder=HashingEmbedder(dimension=256),
            **options,
        )
        made.append(memory)
        return memory

    yield make
    for memory in made:
        await memory.close()
