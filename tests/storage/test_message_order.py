"""InMemoryStorage keeps each thread's messages in order as writes come: the same
answers as SQLite for random saves (out of order, replacing ids, moving messages
between threads), deletes and every read by position."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mastra.storage import InMemoryStorage, Message, SQLiteStorage, Storage

THREADS = ("a", "b")
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)

save = st.tuples(
    st.just("save"),
    st.lists(
        st.tuples(
            st.integers(0, 11),  # message id: few, so that saves replace messages
            st.sampled_from(THREADS),
            st.integers(0, 5),  # created_at in seconds: few, so that times tie
        ),
        min_size=1,
        max_size=4,
    ),
)
delete = st.tuples(st.just("delete"), st.lists(st.integers(0, 11), max_size=3))
operations = st.lists(st.one_of(save, save, delete), max_size=12)


async def apply(store: Storage, ops: list[tuple[str, list[object]]]) -> None:
    for thread in THREADS:
        await store.create_thread(resource_id="r", id=thread)
    for kind, items in ops:
        if kind == "delete":
            await store.delete_messages([f"m{n}" for n in items])
            continue
        batch = {}
        for n, thread, second in items:  # type: ignore[misc]
            text = [{"type": "text", "text": f"{n}@{second}"}]
            created = EPOCH + timedelta(seconds=second)
            batch[n] = Message(f"m{n}", thread, "user", text, "r", created)
        await store.save_messages(list(batch.values()))


async def reads(store: Storage) -> list[object]:
    seen: list[object] = []
    for thread in THREADS:
        seen.append([m.id for m in await store.get_last_messages(thread, 3)])
        for order in ("asc", "desc"):
            cursor: str | None = None
            while True:
                page = await store.list_messages(thread, limit=2, cursor=cursor, order=order)
                seen.append([m.id for m in page.messages])
                cursor = page.next_cursor
                if cursor is None:
                    break
    for n in range(12):
        found = await store.get_messages([f"m{n}"], message_range=(1, 2))
        seen.append([(m.id, m.thread_id) for m in found])
    return seen


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_in_memory_order_matches_sqlite(ops: list[tuple[str, list[object]]]) -> None:
    async def main(path: Path) -> None:
        async with InMemoryStorage() as memory, SQLiteStorage(path) as sqlite:
            await apply(memory, ops)
            await apply(sqlite, ops)
            assert await reads(memory) == await reads(sqlite)

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(main(Path(folder) / "order.db"))


def test_transaction_works_on_a_copy_of_the_order() -> None:
    async def main() -> None:
        async with InMemoryStorage() as store:
            await store.create_thread(resource_id="r", id="a")
            first = Message("m1", "a", "user", [], "r", EPOCH)
            await store.save_messages([first])
            try:
                async with store.transaction():
                    later = Message("m2", "a", "user", [], "r", EPOCH + timedelta(seconds=1))
                    await store.save_messages([later])
                    assert [m.id for m in await store.get_last_messages("a", 5)] == ["m1", "m2"]
                    raise LookupError
            except LookupError:
                pass
            assert [m.id for m in await store.get_last_messages("a", 5)] == ["m1"]

    asyncio.run(main())
