"""The audit log of both stores: appended in order, listed newest first, never changed."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mastra.storage import AuditEntry, InMemoryStorage, SQLiteStorage, Storage

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    impl: Storage = (
        InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "a.db")
    )
    try:
        yield impl
    finally:
        await impl.close()


async def test_append_and_list(store: Storage) -> None:
    first = await store.append_audit(AuditEntry("ada", "POST /x", "/x", "200", "r1"))
    second = await store.append_audit(AuditEntry("rob", "DELETE /y", "/y", "forbidden"))
    third = await store.append_audit(AuditEntry("ada", "PATCH /z", "/z", "200"))
    assert (first.id, second.id, third.id) == (1, 2, 3)
    assert [e.id for e in await store.list_audit()] == [3, 2, 1]
    assert [e.action for e in await store.list_audit(principal="ada")] == ["PATCH /z", "POST /x"]
    listed = (await store.list_audit(limit=1, offset=2))[0]
    assert listed == first
    assert listed.request_id == "r1"


async def test_audit_rows_cannot_be_changed(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    async with SQLiteStorage(path) as store:
        await store.append_audit(AuditEntry("ada", "POST /x", "/x", "200"))
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_log SET outcome = 'ok'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    conn.close()
