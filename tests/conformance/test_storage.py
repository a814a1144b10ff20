"""The storage contract: every implementation behaves exactly like the in-memory reference."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import orjson
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


def js(value: Any) -> bytes:
    return orjson.dumps(value)


async def test_save_workflow_run_keeps_unsent_step_records(store: Storage) -> None:
    header = {"runId": "run1", "position": 1}
    assert await store.save_workflow_run("wf", "run1", js(header), {}, status="running") is None
    steps = {"a": js({"status": "success", "output": 1})}
    await store.save_workflow_run("wf", "run1", js(header), steps, status="running")
    header["position"] = 2
    steps = {"b": js({"status": "success", "output": 2})}
    await store.save_workflow_run("wf", "run1", js(header), steps, status="running")
    header["position"] = 3
    steps = {"a": js({"status": "failed", "error": "x"})}  # replaced, keeps its place
    await store.save_workflow_run("wf", "run1", js(header), steps, status="failed")
    saved = await store.load_workflow_snapshot("wf", "run1")
    assert saved is not None
    assert saved.status == "failed"
    assert saved.snapshot["position"] == 3
    assert list(saved.snapshot["context"].items()) == [
        ("a", {"status": "failed", "error": "x"}),
        ("b", {"status": "success", "output": 2}),
    ]
    assert [s.snapshot for s in await store.list_workflow_snapshots("wf")] == [saved.snapshot]
    saved.snapshot["context"]["a"]["error"] = "changed by the caller"
    again = await store.load_workflow_snapshot("wf", "run1")
    assert again is not None
    assert again.snapshot["context"]["a"]["error"] == "x"


async def test_whole_snapshot_replaces_step_records(store: Storage) -> None:
    steps = {"a": js({"status": "success"})}
    await store.save_workflow_run("wf", "run1", js({"v": 1}), steps, status="running")
    whole = await store.save_workflow_snapshot("wf", "run1", {"v": 2}, status="success")
    assert await store.load_workflow_snapshot("wf", "run1") == whole
    await store.save_workflow_run("wf", "run2", js({"v": 1}), steps, status="running")
    assert await store.delete_workflow_snapshot("wf", "run2") is True
    await store.save_workflow_run("wf", "run2", js({"v": 3}), {}, status="running")
    fresh = await store.load_workflow_snapshot("wf", "run2")
    assert fresh is not None
    assert fresh.snapshot == {"v": 3}


async def test_save_workflow_run_in_a_transaction_rolls_back(store: Storage) -> None:
    async def doomed() -> None:
        async with store.transaction():
            steps = {"a": js({"status": "success"})}
            await store.save_workflow_run("wf", "run1", js({"v": 1}), steps, status="running")
            raise KeyError("fails")

    with pytest.raises(KeyError):
        await doomed()
    assert await store.load_workflow_snapshot("wf", "run1") is None


async def test_workflow_run_lease(store: Storage) -> None:
    header, save = js({"v": 1}), store.save_workflow_run
    assert (
        await save("wf", "run1", header, {}, status="running", owner="A", lease_ms=60_000) is None
    )
    steps = {"a": js({"status": "success"})}
    refused = await save("wf", "run1", js({"v": 2}), steps, status="running", owner="B", lease_ms=1)
    assert refused == "A"
    saved = await store.load_workflow_snapshot("wf", "run1")
    assert saved is not None
    assert saved.snapshot == {"v": 1}  # the refused write changed nothing
    # The owner renews, then releases; a released run is anyone's.
    assert (
        await save("wf", "run1", header, {}, status="running", owner="A", lease_ms=60_000) is None
    )
    assert await save("wf", "run1", header, {}, status="suspended", owner="A") is None
    assert await save("wf", "run1", header, {}, status="running", owner="B", lease_ms=1) is None
    # An expired lease (its owner died) is taken over.
    await anyio.sleep(0.01)
    assert (
        await save("wf", "run1", header, {}, status="running", owner="C", lease_ms=60_000) is None
    )
    # Writes without an owner neither check nor change the lease.
    assert await save("wf", "run1", header, {}, status="running") is None
    await store.save_workflow_snapshot("wf", "run1", {"v": 9}, status="running")
    assert await save("wf", "run1", header, {}, status="running", owner="D", lease_ms=1) == "C"


async def test_a_renewal_needs_the_lease_still_held(store: Storage) -> None:
    header, save = js({"v": 1}), store.save_workflow_run
    assert await save("wf", "run1", header, {}, status="running", owner="A", lease_ms=1) is None
    await anyio.sleep(0.01)
    # Lapsed but not taken: the owner may still renew.
    assert (
        await save("wf", "run1", header, {}, status="running", owner="A", lease_ms=1, renew=True)
        is None
    )
    await anyio.sleep(0.01)
    assert (
        await save("wf", "run1", header, {}, status="running", owner="B", lease_ms=60_000) is None
    )
    # Taken over: A's renewal is refused and changes nothing, even once B lets go.
    late = js({"v": "stale"})
    assert await save("wf", "run1", late, {}, status="running", owner="A", renew=True) == "B"
    assert await save("wf", "run1", header, {}, status="success", owner="B", renew=True) is None
    assert await save("wf", "run1", late, {}, status="running", owner="A", renew=True) == ""
    saved = await store.load_workflow_snapshot("wf", "run1")
    assert saved is not None
    assert (saved.status, saved.snapshot) == ("success", {"v": 1})


async def test_release_workflow_lease(store: Storage) -> None:
    header, save = js({"v": 1}), store.save_workflow_run
    assert await store.release_workflow_lease("wf", "run1", "A") is False
    await save("wf", "run1", header, {}, status="running", owner="A", lease_ms=60_000)
    assert await store.release_workflow_lease("wf", "run1", "B") is False
    assert await save("wf", "run1", header, {}, status="running", owner="B", lease_ms=1) == "A"
    assert await store.release_workflow_lease("wf", "run1", "A") is True
    assert await save("wf", "run1", header, {}, status="running", owner="B", lease_ms=1) is None


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
