"""Run ownership (a lease in the run record: one process executes a run at a time) and
step-by-step saves (a step writes its own record and the run's header, nothing more).

"Two processes" are two stores on one SQLite file, each with its own connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from mastra.errors import WorkflowConflictError, WorkflowError
from mastra.storage import InMemoryStorage, SQLiteStorage
from mastra.workflows import Step, StepContext, Workflow, step

pytestmark = pytest.mark.anyio


class Crash(BaseException):
    """Stands for the process dying mid-step (nothing after it runs)."""


@step
def inc(x: int) -> int:
    return x + 1


@step
def double(x: int) -> int:
    return x * 2


class Gate:
    """A step that waits until the test opens it."""

    def __init__(self, crash: bool = False) -> None:
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()
        self.crash = crash

    async def __call__(self, ctx: StepContext) -> int:
        self.entered.set()
        await self.opened.wait()
        if self.crash:
            raise Crash
        return int(ctx.input_data) + 10


def gated(storage: Any, gate: Gate) -> Workflow:
    wait = Step("wait", gate, input_schema=int, output_schema=int)
    return Workflow("gated", int, int, storage=storage).then(inc).then(wait).then(double).commit()


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SQLiteStorage, SQLiteStorage]]:
    async with SQLiteStorage(tmp_path / "wf.db") as a, SQLiteStorage(tmp_path / "wf.db") as b:
        yield a, b


async def test_a_live_run_is_not_resumed_restarted_or_started_elsewhere(
    stores: tuple[SQLiteStorage, SQLiteStorage],
) -> None:
    gate = Gate()
    mine, theirs = gated(stores[0], gate), gated(stores[1], Gate())
    task = asyncio.ensure_future(mine.create_run(run_id="r").start(1))
    await gate.entered.wait()
    busy = "being executed by another process"
    with pytest.raises(WorkflowConflictError, match=busy) as info:
        await theirs.restart("r")
    assert info.value.context["owner"]
    with pytest.raises(WorkflowConflictError, match=busy):
        await theirs.resume_run("r")
    with pytest.raises(WorkflowConflictError, match=busy):
        await theirs.create_run(run_id="r").start(5)
    gate.opened.set()
    result = await task
    assert (result.status, result.result) == ("success", 24)
    with pytest.raises(WorkflowError, match="not running"):
        await theirs.restart("r")


async def test_a_suspended_run_is_free_for_another_process(
    stores: tuple[SQLiteStorage, SQLiteStorage],
) -> None:
    async def approve(ctx: StepContext) -> str:
        if ctx.resume_data is None:
            await ctx.suspend({"ask": ctx.input_data})
        return f"approved by {ctx.resume_data['by']}"

    def build(storage: SQLiteStorage) -> Workflow:
        s = Step("approve", approve, input_schema=int, output_schema=str)
        return Workflow("approval", int, str, storage=storage).then(inc).then(s).commit()

    first = await build(stores[0]).create_run(run_id="r").start(1)
    assert first.status == "suspended"
    result = await build(stores[1]).resume_run("r", resume_data={"by": "ada"})
    assert (result.status, result.result) == ("success", "approved by ada")


async def test_a_run_stopped_by_an_error_can_be_restarted_at_once(
    stores: tuple[SQLiteStorage, SQLiteStorage],
) -> None:
    gate = Gate(crash=True)
    gate.opened.set()
    with pytest.raises(Crash):
        await gated(stores[0], gate).create_run(run_id="r").start(1)
    later = Gate()
    later.opened.set()
    result = await gated(stores[1], later).restart("r")
    assert (result.status, result.result) == ("success", 24)


async def test_a_lapsed_lease_is_taken_over_and_its_old_owner_fenced(
    stores: tuple[SQLiteStorage, SQLiteStorage],
) -> None:
    stuck, fresh = Gate(), Gate()
    fresh.opened.set()
    run = gated(stores[0], stuck).create_run(run_id="r")
    run._persister.lease_ms = 50  # type: ignore[attr-defined]  # a short-lived owner
    task = asyncio.ensure_future(run.start(1))
    await stuck.entered.wait()
    await asyncio.sleep(0.1)  # the lease lapses: the owner is taken for dead
    result = await gated(stores[1], fresh).restart("r")
    assert (result.status, result.result) == ("success", 24)
    stuck.opened.set()  # the old owner wakes up: its next save is refused
    with pytest.raises(WorkflowError, match="taken over"):
        await task
    saved = await gated(stores[1], fresh).get_run("r")
    assert saved is not None
    assert (saved["status"], saved["result"]) == ("success", 24)


class RecordingStorage(InMemoryStorage):
    """Keeps the size of each save's header and the step records it carried."""

    def __init__(self) -> None:
        super().__init__()
        self.saves: list[tuple[int, list[str]]] = []

    async def save_workflow_run(
        self,
        workflow_name: str,
        run_id: str,
        header: bytes,
        steps: Mapping[str, bytes],
        **kwargs: Any,
    ) -> str | None:
        self.saves.append((len(header), sorted(steps)))
        return await super().save_workflow_run(workflow_name, run_id, header, steps, **kwargs)


async def test_each_step_writes_only_its_own_record() -> None:
    storage = RecordingStorage()
    wf = Workflow("long", int, int, storage=storage)
    for i in range(60):
        wf.then(Step(f"s{i}", inc.execute, input_schema=int, output_schema=int))
    result = await wf.commit().create_run(run_id="r").start(0)
    assert (result.status, result.result) == ("success", 60)
    assert storage.saves[0][1] == []  # the run's start: no step yet
    assert [records for _, records in storage.saves[1:]] == [[f"s{i}"] for i in range(60)]
    sizes = [size for size, _ in storage.saves[1:-1]]
    assert max(sizes) - min(sizes) < 8  # the header does not grow with the run
    snapshot = await wf.get_run("r")
    assert snapshot is not None
    assert list(snapshot["context"]) == [f"s{i}" for i in range(60)]
