"""SQLiteStorage's file: WAL and pragmas, schema versions, upgrades and refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from mastra.errors import StorageError
from mastra.storage import SQLiteStorage
from mastra.storage._schema import SCHEMA_VERSION, migrate, schema_version

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def write_v1_file(path: Path) -> None:
    """A file as the previous mastra (schema version 1) left it."""
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, str(path), target=1) == 0
    conn.execute("INSERT INTO threads VALUES ('t1', 'r1', 'old', '{}', 1, 2)")
    conn.execute(
        "INSERT INTO messages (id, thread_id, resource_id, role, content, created_at) "
        "VALUES ('m1', 't1', 'r1', 'user', ?, 5)",
        (orjson.dumps([{"type": "text", "text": "kept"}]).decode(),),
    )
    for run, snapshot in (("a", {"status": "suspended", "step": 3}), ("b", {"step": 1})):
        conn.execute(
            "INSERT INTO workflow_snapshots VALUES ('wf', ?, ?, 7)",
            (run, orjson.dumps(snapshot).decode()),
        )
    conn.close()


async def test_new_file_is_wal_with_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    async with SQLiteStorage(path, synchronous="FULL") as store:
        await store.create_thread(resource_id="r", id="t")
        assert store._writer is not None
        assert store._writer.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store._writer.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert store._writer.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert schema_version(conn) == SCHEMA_VERSION
    conn.close()


async def test_previous_schema_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    write_v1_file(path)
    async with SQLiteStorage(path) as store:
        (message,) = await store.get_last_messages("t1", 10)
        assert message.content == [{"type": "text", "text": "kept"}]
        thread = await store.get_thread("t1")
        assert thread is not None
        assert thread.title == "old"
        a = await store.load_workflow_snapshot("wf", "a")
        b = await store.load_workflow_snapshot("wf", "b")
        assert a is not None
        assert b is not None
        assert (a.status, a.snapshot["step"]) == ("suspended", 3)
        assert b.status == "unknown"
        assert await store.list_workflow_snapshots(status="suspended") == [a]
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION
    conn.close()


async def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    async with SQLiteStorage(path) as store:
        await store.create_thread(resource_id="r", id="t")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE mastra_schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(StorageError, match="newer") as info:
        async with SQLiteStorage(path):
            pass
    assert info.value.context["found"] == SCHEMA_VERSION + 1
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION + 1
    assert conn.execute("SELECT count(*) FROM threads").fetchone()[0] == 1
    conn.close()


async def test_not_a_database_raises_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not an SQLite file at all" * 100)
    with pytest.raises(StorageError, match="SQLite error"):
        await SQLiteStorage(path).open()


def test_bad_options_raise() -> None:
    with pytest.raises(StorageError, match="synchronous"):
        SQLiteStorage("x.db", synchronous="OFF")  # type: ignore[arg-type]
    with pytest.raises(StorageError, match="readers"):
        SQLiteStorage("x.db", readers=0)


async def test_two_stores_on_one_file_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with SQLiteStorage(path) as a, SQLiteStorage(path) as b:
        await a.create_thread(resource_id="r", id="t")
        assert await b.get_thread("t") is not None
        await b.update_resource("r", working_memory="from b")
        resource = await a.get_resource("r")
        assert resource is not None
        assert resource.working_memory == "from b"
