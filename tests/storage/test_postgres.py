"""PostgresStorage beyond the conformance suite: schema versions, the append-only audit
log, several workers on one database, and a server restart in the middle of a load."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest

from conformance.services import (
    POSTGRES_URL,
    fresh_schema,
    needs_postgres,
    needs_postgres_ctl,
    postgres_ctl,
)
from mastra.errors import StorageError, StorageUnavailableError
from mastra.storage import AuditEntry, Message, PostgresStorage, Storage

pytestmark = [pytest.mark.anyio, needs_postgres]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def schema() -> Iterator[str]:
    with fresh_schema() as name:
        yield name


@pytest.fixture
async def store(schema: str) -> AsyncIterator[PostgresStorage]:
    pg = PostgresStorage(POSTGRES_URL or "", schema=schema, max_connections=4, timeout=5)
    try:
        yield pg
    finally:
        await pg.close()


def sql(schema: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(POSTGRES_URL or "", autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        cur = conn.execute(query)
        return cur.fetchall() if cur.description else []


def hello(i: int, thread: str = "t1") -> Message:
    return Message(f"m{i:05d}", thread, "user", [{"type": "text", "text": f"hello {i}"}])


def test_is_a_storage() -> None:
    assert isinstance(PostgresStorage(POSTGRES_URL or ""), Storage)


# ---- schema ----------------------------------------------------------------------------


async def test_schema_is_versioned_and_newer_schemas_are_refused(
    store: PostgresStorage, schema: str
) -> None:
    from mastra.storage._schema import SCHEMA_VERSION

    await store.open()
    assert sql(schema, "SELECT version FROM mastra_schema_version") == [(SCHEMA_VERSION,)]
    await store.close()
    # Reopening migrates nothing; a schema from a newer mastra is not guessed at.
    async with PostgresStorage(POSTGRES_URL or "", schema=schema) as again:
        await again.create_thread(resource_id="r", id="t")
    sql(schema, f"UPDATE mastra_schema_version SET version = {SCHEMA_VERSION + 1}")
    newer = PostgresStorage(POSTGRES_URL or "", schema=schema)
    with pytest.raises(StorageError, match="newer than the version"):
        await newer.open()
    await newer.close()


async def test_older_schema_is_upgraded(schema: str) -> None:
    from mastra.storage._pg_schema import _V1

    sql(schema, f'CREATE SCHEMA "{schema}"')
    for statement in _V1:
        sql(schema, statement)
    sql(schema, "CREATE TABLE mastra_schema_version (version INTEGER NOT NULL)")
    sql(schema, "INSERT INTO mastra_schema_version VALUES (1)")
    sql(
        schema,
        """INSERT INTO workflow_snapshots VALUES ('wf', 'r1', '{"status": "suspended"}', 0)""",
    )
    async with PostgresStorage(POSTGRES_URL or "", schema=schema) as store:
        (snap,) = await store.list_workflow_snapshots(status="suspended")
        assert snap.run_id == "r1"
        assert (await store.append_audit(AuditEntry("ada", "GET /", "/", "200"))).id == 1


async def test_audit_log_is_append_only(store: PostgresStorage, schema: str) -> None:
    first = await store.append_audit(AuditEntry("ada", "POST /x", "/x", "200", "r1"))
    second = await store.append_audit(AuditEntry("rob", "DELETE /y", "/y", "forbidden"))
    assert (first.id, second.id) == (1, 2)
    assert await store.list_audit(principal="rob") == [second]
    for statement in ("UPDATE audit_log SET outcome = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            sql(schema, statement)
    assert len(await store.list_audit()) == 2


async def test_bad_settings_and_unreachable_server() -> None:
    with pytest.raises(StorageError, match="max_connections"):
        PostgresStorage(POSTGRES_URL or "", min_connections=3, max_connections=2)
    # Port 1 on loopback: nothing listens, the connection is refused.
    down = PostgresStorage("postgresql://mastra@127.0.0.1:1/x", timeout=0.5)
    with pytest.raises(StorageUnavailableError) as info:
        await down.get_thread("t")
    assert isinstance(info.value, ConnectionError)
    assert "127.0.0.1:1/x" in str(info.value)
    await down.close()


# ---- several workers ---------------------------------------------------------------------


async def test_two_workers_share_threads_and_merge_resources(schema: str) -> None:
    url = POSTGRES_URL or ""
    async with (
        PostgresStorage(url, schema=schema) as a,
        PostgresStorage(url, schema=schema) as b,
    ):
        await a.create_thread(resource_id="r1", id="t1", title="from a")
        thread = await b.get_thread("t1")
        assert thread is not None
        assert thread.title == "from a"
        # Concurrent metadata merges from both workers: none is lost.
        await asyncio.gather(
            *((a if i % 2 else b).update_resource("r1", metadata={f"k{i}": i}) for i in range(20))
        )
        resource = await a.get_resource("r1")
        assert resource is not None
        assert resource.metadata == {f"k{i}": i for i in range(20)}


async def test_transaction_is_invisible_to_other_workers_until_commit(schema: str) -> None:
    url = POSTGRES_URL or ""
    async with (
        PostgresStorage(url, schema=schema) as a,
        PostgresStorage(url, schema=schema) as b,
    ):
        async with a.transaction():
            await a.create_thread(resource_id="r1", id="t1")
            await a.save_messages([hello(0)])
            assert await b.get_thread("t1") is None
        assert [m.id for m in await b.get_last_messages("t1", 5)] == ["m00000"]


# ---- the server restarting ---------------------------------------------------------------


@needs_postgres_ctl
async def test_call_in_flight_fails_retriably_and_the_next_succeeds(
    store: PostgresStorage,
) -> None:
    await store.create_thread(resource_id="r1", id="t1")

    async def interrupted() -> None:
        async with store.transaction():
            await store.save_messages([hello(0)])
            await asyncio.to_thread(postgres_ctl, "restart")
            await store.save_messages([hello(1)])

    with pytest.raises(StorageUnavailableError):
        await interrupted()
    # No restart of the app: the pool reconnects on the next call.
    await store.save_messages([hello(2)])
    assert [m.id for m in await store.get_last_messages("t1", 5)] == ["m00002"]


@needs_postgres_ctl
async def test_restart_under_load_loses_no_committed_write(schema: str) -> None:
    committed: list[str] = []
    failed = 0
    stop = asyncio.Event()

    async def writer(store: PostgresStorage, w: int) -> None:
        nonlocal failed
        i = 0
        while not stop.is_set():
            message = hello(w * 100_000 + i)
            i += 1
            try:
                await store.save_messages([message])
            except StorageUnavailableError:
                failed += 1
                await asyncio.sleep(0.05)
            else:
                committed.append(message.id)

    async with PostgresStorage(POSTGRES_URL or "", schema=schema, timeout=5) as store:
        await store.create_thread(resource_id="r1", id="t1")
        tasks = [asyncio.create_task(writer(store, w)) for w in range(4)]
        await asyncio.sleep(0.5)
        before = len(committed)
        await asyncio.to_thread(postgres_ctl, "stop")
        await asyncio.sleep(0.3)
        await asyncio.to_thread(postgres_ctl, "start")
        await asyncio.sleep(2.0)
        stop.set()
        await asyncio.gather(*tasks)
        assert before > 0
        assert len(committed) > before, "no write succeeded after the restart"
        stored = {m.id for m in await store.get_last_messages("t1", 1_000_000)}
        assert set(committed) <= stored
