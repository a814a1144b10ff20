"""The storage contract: every implementation behaves exactly like the in-memory reference."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mastra.errors import StorageError
from mastra.storage import Message, Storage

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def msg(i: int, thread: str = "t1", *, text: str | None = None, at: int | None = None) -> Message:
    return Message(
        id=f"m{i:03d}" if thread == "t1" else f"{thread}.m{i:03d}",
        thread_id=thread,
        role="user" if i % 2 else "assistant",
        content=[{"type": "text", "text": text or f"message {i}"}],
        resource_id="r1",
        created_at=T0 + timedelta(seconds=i if at is None else at),
    )


async def seeded(store: Storage, n: int = 10, thread: str = "t1") -> list[Message]:
    await store.create_thread(resource_id="r1", id=thread)
    return await store.save_messages([msg(i, thread) for i in range(n)])


def ids(messages: list[Message]) -> list[str]:
    return [m.id for m in messages]


# ---- threads ---------------------------------------------------------------------------


async def test_thread_lifecycle(store: Storage) -> None:
    created = await store.create_thread(
        resource_id="r1", id="t1", title="first", metadata={"a": 1, "nested": {"b": [1, 2]}}
    )
    assert await store.get_thread("t1") == created
    updated = await store.update_thread("t1", title="renamed", metadata={"c": 3})
    assert updated.title == "renamed"
    assert updated.metadata == {"a": 1, "nested": {"b": [1, 2]}, "c": 3}
    assert updated.created_at == created.created_at
    assert updated.updated_at >= created.updated_at
    assert await store.get_thread("t1") == updated
    assert await store.delete_thread("t1") is True
    assert await store.get_thread("t1") is None
    assert await store.delete_thread("t1") is False


async def test_thread_ids_are_generated_and_unique(store: Storage) -> None:
    a = await store.create_thread(resource_id="r1")
    b = await store.create_thread(resource_id="r1")
    assert a.id != b.id
    with pytest.raises(StorageError, match="already exists"):
        await store.create_thread(resource_id="r2", id=a.id)
    assert (await store.get_thread(a.id)) == a


async def test_update_unknown_thread_raises(store: Storage) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        await store.update_thread("nope", title="x")


async def test_list_threads_pages_newest_first(store: Storage) -> None:
    made = [await store.create_thread(resource_id="r1", id=f"t{i}") for i in range(5)]
    await store.create_thread(resource_id="other", id="x")
    newest_first = sorted(made, key=lambda t: (t.created_at, t.id), reverse=True)
    first = await store.list_threads("r1", limit=2)
    assert (first.total, first.has_more) == (5, True)
    assert first.threads == newest_first[:2]
    last = await store.list_threads("r1", limit=2, offset=4)
    assert (last.threads, last.has_more) == (newest_first[4:], False)
    assert (await store.list_threads("nobody")).threads == []
    with pytest.raises(StorageError):
        await store.list_threads("r1", limit=0)


async def test_deleting_a_thread_deletes_its_messages(store: Storage) -> None:
    await seeded(store, 3)
    await seeded(store, 2, thread="t2")
    assert await store.delete_thread("t1")
    assert await store.get_last_messages("t1", 10) == []
    assert await store.get_messages(["m000", "m001"]) == []
    assert len(await store.get_last_messages("t2", 10)) == 2


# ---- messages --------------------------------------------------------------------------


async def test_save_is_idempotent_by_id(store: Storage) -> None:
    saved = await seeded(store, 3)
    assert await store.save_messages(saved) == saved
    assert ids(await store.get_last_messages("t1", 10)) == ["m000", "m001", "m002"]
    edited = msg(1, text="edited")
    await store.save_messages([edited])
    assert (await store.get_messages(["m001"]))[0].content == [{"type": "text", "text": "edited"}]
    assert ids(await store.get_last_messages("t1", 10)) == ["m000", "m001", "m002"]


async def test_saving_bumps_the_thread(store: Storage) -> None:
    before = await store.create_thread(resource_id="r1", id="t1")
    await store.save_messages([msg(0)])
    after = await store.get_thread("t1")
    assert after is not None
    assert after.updated_at >= before.updated_at


async def test_saving_to_unknown_thread_writes_nothing(store: Storage) -> None:
    await store.create_thread(resource_id="r1", id="t1")
    with pytest.raises(StorageError, match="ghost"):
        await store.save_messages([msg(0), msg(1, "ghost")])
    assert await store.get_last_messages("t1", 10) == []


async def test_last_n_is_chronological(store: Storage) -> None:
    await store.create_thread(resource_id="r1", id="t1")
    # Saved out of order: created_at decides, then the order of first save.
    await store.save_messages([msg(5), msg(1), msg(3), msg(7, at=3)])
    assert ids(await store.get_last_messages("t1", 3)) == ["m003", "m007", "m005"]
    assert ids(await store.get_last_messages("t1", 100)) == ["m001", "m003", "m007", "m005"]
    assert await store.get_last_messages("empty", 5) == []


@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_cursor_paging_visits_every_message_once(store: Storage, order: str) -> None:
    saved = await seeded(store, 23)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await store.list_messages("t1", limit=5, cursor=cursor, order=order)  # type: ignore[arg-type]
        seen += ids(page.messages)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = ids(saved) if order == "asc" else ids(saved)[::-1]
    assert seen == expected
    assert pages == 5


async def test_cursor_survives_new_messages(store: Storage) -> None:
    await seeded(store, 4)
    page = await store.list_messages("t1", limit=2)
    await store.save_messages([msg(10)])
    rest = await store.list_messages("t1", limit=10, cursor=page.next_cursor)
    assert ids(rest.messages) == ["m002", "m003", "m010"]
    with pytest.raises(StorageError, match="cursor"):
        await store.list_messages("t1", cursor="not a cursor")


async def test_get_by_ids_with_message_range(store: Storage) -> None:
    await seeded(store, 10)
    await seeded(store, 3, thread="t2")
    got = await store.get_messages(["m005", "unknown"])
    assert ids(got) == ["m005"]
    got = await store.get_messages(["m005", "m000"], message_range=1)
    assert ids(got) == ["m000", "m001", "m004", "m005", "m006"]
    got = await store.get_messages(["m008"], message_range=(2, 5))
    assert ids(got) == ["m006", "m007", "m008", "m009"]
    # Neighbours stay inside the message's own thread.
    got = await store.get_messages(["t2.m002", "m009"], message_range=(1, 1))
    assert ids(got) == ["t2.m001", "t2.m002", "m008", "m009"]


async def test_delete_messages(store: Storage) -> None:
    await seeded(store, 5)
    assert await store.delete_messages(["m001", "m003", "m001", "nope"]) == 2
    assert ids(await store.get_last_messages("t1", 10)) == ["m000", "m002", "m004"]


async def test_content_round_trips_as_json(store: Storage) -> None:
    await store.create_thread(resource_id="r1", id="t1")
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": "héllo \u2603 \x00 end"},
        {"type": "tool-call", "args": {"x": [1, 2.5, None, True]}, "id": "c1"},
    ]
    message = Message("m1", "t1", "assistant", parts)
    await store.save_messages([message])
    (back,) = await store.get_last_messages("t1", 1)
    assert back == message
    unserialisable: list[dict[str, Any]] = [{"bad": Exception()}]
    with pytest.raises(StorageError, match="JSON"):
        await store.save_messages([Message("m2", "t1", "user", unserialisable)])


# ---- resources and snapshots -----------------------------------------------------------


async def test_resource_working_memory(store: Storage) -> None:
    assert await store.get_resource("r1") is None
    first = await store.update_resource("r1", working_memory="# Notes\nlikes tea")
    assert first.working_memory == "# Notes\nlikes tea"
    second = await store.update_resource("r1", metadata={"tier": "gold"})
    assert second.working_memory == "# Notes\nlikes tea"
    assert second.created_at == first.created_at
    third = await store.update_resource("r1", working_memory={"name": "Ada"}, metadata={"x": 1})
    assert third.metadata == {"tier": "gold", "x": 1}
    assert await store.get_resource("r1") == third


async def test_workflow_snapshots(store: Storage) -> None:
    a = await store.save_workflow_snapshot("wf", "run1", {"step": 1}, status="running")
    b = await store.save_workflow_snapshot("wf", "run2", {"step": 2}, status="suspended")
    c = await store.save_workflow_snapshot("other", "run1", {"x": None}, status="success")
    assert await store.load_workflow_snapshot("wf", "run1") == a
    assert await store.load_workflow_snapshot("wf", "nope") is None
    assert await store.list_workflow_snapshots("wf", status="suspended") == [b]
    assert {s.run_id for s in await store.list_workflow_snapshots("wf")} == {"run1", "run2"}
    assert len(await store.list_workflow_snapshots()) == 3
    a2 = await store.save_workflow_snapshot("wf", "run1", {"step": 9}, status="success")
    assert await store.load_workflow_snapshot("wf", "run1") == a2
    assert await store.list_workflow_snapshots(status="success", limit=1) == [a2]
    assert await store.list_workflow_snapshots(status="success", offset=1) == [c]


async def test_delete_workflow_snapshot(store: Storage) -> None:
    await store.save_workflow_snapshot("wf", "run1", {"step": 1}, status="success")
    kept = await store.save_workflow_snapshot("wf", "run2", {"step": 2}, status="success")
    assert await store.delete_workflow_snapshot("wf", "run1") is True
    assert await store.delete_workflow_snapshot("wf", "run1") is False
    assert await store.delete_workflow_snapshot("other", "run2") is False
    assert await store.load_workflow_snapshot("wf", "run1") is None
    assert await store.list_workflow_snapshots("wf") == [kept]


# ---- transactions ----------------------------------------------------------------------


async def test_transaction_commits_together(store: Storage) -> None:
    async with store.transaction():
        await store.create_thread(resource_id="r1", id="t1")
        await store.save_messages([msg(0), msg(1)])
        # Inside, the transaction sees its own writes.
        assert len(await store.get_last_messages("t1", 10)) == 2
    assert len(await store.get_last_messages("t1", 10)) == 2


async def test_transaction_rolls_back_on_exception(store: Storage) -> None:
    await seeded(store, 2)

    async def doomed() -> None:
        async with store.transaction():
            await store.delete_messages(["m000"])
            await store.update_resource("r1", working_memory="gone")
            await store.create_thread(resource_id="r1", id="t9")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await doomed()
    assert ids(await store.get_last_messages("t1", 10)) == ["m000", "m001"]
    assert await store.get_resource("r1") is None
    assert await store.get_thread("t9") is None


async def test_failed_statement_inside_transaction_undoes_only_itself(store: Storage) -> None:
    async with store.transaction():
        await store.create_thread(resource_id="r1", id="t1")
        with pytest.raises(StorageError):
            await store.save_messages([msg(0), msg(1, "ghost")])
        await store.save_messages([msg(2)])
    assert ids(await store.get_last_messages("t1", 10)) == ["m002"]


async def test_nested_transactions_join_the_outer_one(store: Storage) -> None:
    await store.create_thread(resource_id="r1", id="t1")

    async def doomed() -> None:
        async with store.transaction():
            async with store.transaction():
                await store.save_messages([msg(0)])
            raise KeyError("outer fails")

    with pytest.raises(KeyError):
        await doomed()
    assert await store.get_last_messages("t1", 10) == []


async def test_closed_store_raises(store: Storage) -> None:
    await store.close()
    with pytest.raises(StorageError, match="closed"):
        await store.get_thread("t1")
