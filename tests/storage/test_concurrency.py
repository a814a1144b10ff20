"""8 asyncio tasks and 4 threads (each with its own event loop) writing and reading at once."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from mastra.storage import Message, SQLiteStorage, Storage

BATCHES = 15
BATCH = 4


async def writer(store: Storage, name: str) -> None:
    """Writes its own thread in batches, a transaction every third batch, reading as it goes."""
    await store.create_thread(resource_id="r", id=name)
    for b in range(BATCHES):
        batch = [
            Message(f"{name}.{b}.{j}", name, "user", [{"type": "text", "text": f"{b}/{j}"}])
            for j in range(BATCH)
        ]
        if b % 3 == 0:
            async with store.transaction():
                await store.save_messages(batch)
                await store.update_resource(name, working_memory={"batch": b})
        else:
            await store.save_messages(batch)
        last = await store.get_last_messages(name, BATCH)
        assert [m.id for m in last] == [m.id for m in batch]
        page = await store.list_threads("r", limit=100)
        assert name in {t.id for t in page.threads}


def test_tasks_and_threads_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    errors: list[BaseException] = []

    async def main() -> None:
        async with SQLiteStorage(path) as shared, SQLiteStorage(path) as other:
            # Threads run their own event loops: two on the shared store, two on a second
            # store over the same file (as another process would).
            def run(store: SQLiteStorage, name: str) -> None:
                try:
                    asyncio.run(writer(store, name))
                except BaseException as exc:
                    errors.append(exc)

            threads = [
                threading.Thread(target=run, args=(shared if i < 2 else other, f"thread{i}"))
                for i in range(4)
            ]
            for thread in threads:
                thread.start()
            await asyncio.gather(*(writer(shared, f"task{i}") for i in range(8)))
            for thread in threads:
                await asyncio.to_thread(thread.join)

    asyncio.run(main())
    assert errors == []

    async def verify() -> None:
        async with SQLiteStorage(path) as store:
            names = [f"task{i}" for i in range(8)] + [f"thread{i}" for i in range(4)]
            page = await store.list_threads("r", limit=100)
            assert sorted(t.id for t in page.threads) == sorted(names)
            for name in names:
                messages = await store.get_last_messages(name, 10_000)
                assert len(messages) == BATCHES * BATCH
                resource = await store.get_resource(name)
                assert resource is not None
                assert resource.working_memory == {"batch": BATCHES - 1 - (BATCHES - 1) % 3}

    asyncio.run(verify())


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_cancelled_writers_leave_the_store_usable(tmp_path: Path, anyio_backend: str) -> None:
    async with SQLiteStorage(tmp_path / "cancel.db") as store:
        tasks = [asyncio.ensure_future(writer(store, f"w{i}")) for i in range(6)]
        await asyncio.sleep(0)
        for task in tasks[::2]:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(r is None or isinstance(r, asyncio.CancelledError) for r in results), results
        # The gate is free again: a transaction and a write both go through.
        async with store.transaction():
            await store.update_resource("after", working_memory="ok")
        resource = await store.get_resource("after")
        assert resource is not None
        assert resource.working_memory == "ok"
        for i in range(1, 6, 2):
            assert len(await store.get_last_messages(f"w{i}", 10_000)) == BATCHES * BATCH
