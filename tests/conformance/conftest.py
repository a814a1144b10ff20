"""Every storage implementation, as a fixture; each conformance test runs on all of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mastra.storage import InMemoryStorage, SQLiteStorage, Storage

from .services import POSTGRES_URL, fresh_schema, needs_postgres


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=needs_postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """An empty store of each implementation, closed after the test (PostgreSQL's in a
    schema of its own, dropped after the test)."""
    if request.param == "postgres":
        from mastra.storage import PostgresStorage

        assert POSTGRES_URL is not None
        with fresh_schema() as schema:
            pg = PostgresStorage(POSTGRES_URL, schema=schema, max_connections=4)
            try:
                yield pg
            finally:
                await pg.close()
        return
    impl: Storage = (
        InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "store.db")
    )
    try:
        yield impl
    finally:
        await impl.close()
