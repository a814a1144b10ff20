"""Every storage implementation, as a fixture; each conformance test runs on all of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mastra.storage import InMemoryStorage, SQLiteStorage, Storage


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """An empty store of each implementation, closed after the test."""
    impl: Storage = (
        InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "store.db")
    )
    try:
        yield impl
    finally:
        await impl.close()
