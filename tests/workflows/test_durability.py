"""Snapshots in real SQLite files: suspend in one process, resume in another; a run
killed with SIGKILL mid-way resumes without repeating or skipping a step."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mastra import Mastra
from mastra.storage import InMemoryStorage, SQLiteStorage
from mastra.workflows import Step, StepContext, Workflow, step

from .crash_child import STEPS, build_chain

CHILD = Path(__file__).with_name("crash_child.py")
pytestmark = pytest.mark.anyio


@step
def inc(x: int) -> int:
    return x + 1


def approval_workflow(storage: Any) -> Workflow:
    async def approve(ctx: StepContext) -> str:
        if ctx.resume_data is None:
            await ctx.suspend({"ask": ctx.input_data})
        return f"{ctx.input_data} approved by {ctx.resume_data['by']}"

    s = Step("approve", approve, input_schema=int, output_schema=str)
    return Workflow("approval", int, str, storage=storage).then(inc).then(s).commit()


async def test_suspend_then_resume_with_new_workflow_and_new_connection(tmp_path: Path) -> None:
    db = tmp_path / "wf.db"
    async with SQLiteStorage(db) as storage:
        first = await approval_workflow(storage).create_run(run_id="r1").start(1)
        assert first.status == "suspended"
    # "Days later": a new storage connection and a new Workflow object.
    async with SQLiteStorage(db) as storage:
        wf = approval_workflow(storage)
        listed = await wf.list_runs(status="suspended")
        assert [r["runId"] for r in listed] == ["r1"]
        snapshot = await wf.get_run("r1")
        assert snapshot is not None
        assert snapshot["context"]["approve"]["suspendPayload"] == {"ask": 2}
        done = await wf.resume_run("r1", step="approve", resume_data={"by": "ada"})
        assert (done.status, done.result) == ("success", "2 approved by ada")
        assert done.steps["inc"]["output"] == 2
        assert (await wf.get_run("r1") or {})["status"] == "success"


async def test_nested_suspend_survives_a_new_connection(tmp_path: Path) -> None:
    db = tmp_path / "wf.db"

    def outer(storage: Any) -> Workflow:
        inner = approval_workflow(None)
        return Workflow("outer", int, storage=storage).parallel([inner]).commit()

    async with SQLiteStorage(db) as storage:
        assert (await outer(storage).create_run(run_id="n").start(1)).status == "suspended"
    async with SQLiteStorage(db) as storage:
        done = await outer(storage).resume_run("n", resume_data={"by": "bob"})
        assert done.result == {"approval": "2 approved by bob"}


async def test_waiting_run_gets_its_event_in_a_new_process(tmp_path: Path) -> None:
    db = tmp_path / "wf.db"

    def build(storage: Any) -> Workflow:
        h = Step("h", lambda c: c.input_data + c.resume_data, input_schema=int, output_schema=int)
        return Workflow("ev", int, int, storage=storage).then(inc).wait_for_event("go", h).commit()

    async with SQLiteStorage(db) as storage:
        assert (await build(storage).create_run(run_id="e").start(1)).status == "waiting"
    async with SQLiteStorage(db) as storage:
        run = await build(storage).load_run("e")
        done = await run.send_event("go", 40)
        assert done is not None
        assert done.result == 42


async def test_mastra_registry_provides_storage() -> None:
    storage = InMemoryStorage()
    wf = Workflow("reg", int, int).then(inc).commit()
    seen: list[Any] = []

    def look(ctx: StepContext) -> Any:
        seen.append(ctx.mastra)
        return ctx.input_data

    probe = Step("probe", look, input_schema=int, output_schema=int)
    wf2 = Workflow("probe_wf", int, int).then(probe).commit()
    async with Mastra(workflows={"reg": wf, "probe_wf": wf2}, storage=storage) as app:
        assert app.get_workflow("reg") is wf
        await wf.create_run(run_id="x").start(1)
        await wf2.create_run().start(1)
        record = await storage.load_workflow_snapshot("reg", "x")
        assert record is not None
        assert record.status == "success"
    assert seen == [app]


def start_child(db: Path, log: Path, mode: str, *extra: str) -> subprocess.Popen[str]:
    args = [sys.executable, str(CHILD), str(db), str(log), "killed", mode, *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("hang_at", [1, 6, 10])
async def test_sigkill_mid_run_then_resume_in_another_process(tmp_path: Path, hang_at: int) -> None:
    db, log, marker = tmp_path / "wf.db", tmp_path / "effects.log", tmp_path / "hanging"
    log.touch()
    with start_child(db, log, "start", str(hang_at), str(marker)) as child:
        deadline = time.monotonic() + 20
        while not marker.exists():
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline, "the child never reached the hanging step"
            await asyncio.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL
    assert log.read_text().split() == [str(i) for i in range(1, hang_at)]

    # The dead run is listed as running, with its completed steps.
    async with SQLiteStorage(db) as storage:
        wf = build_chain(log, storage)
        running = await wf.list_runs(status="running")
        assert [r["runId"] for r in running] == ["killed"]
        snapshot = await wf.get_run("killed")
        assert snapshot is not None
        done = [k for k, v in snapshot["context"].items() if v["status"] == "success"]
        assert done == [f"s{i}" for i in range(1, hang_at)]

    with start_child(db, log, "resume") as resumer:
        out, err = resumer.communicate(timeout=60)
    assert resumer.returncode == 0, err
    assert out.startswith("success")
    # Every step ran to completion exactly once, in order, across both processes.
    assert log.read_text().split() == [str(i) for i in range(1, STEPS + 1)]
    async with SQLiteStorage(db) as storage:
        final = await build_chain(log, storage).get_run("killed")
        assert final is not None
        assert final["result"] == list(range(1, STEPS + 1))


async def test_restart_refuses_a_finished_run(tmp_path: Path) -> None:
    async with SQLiteStorage(tmp_path / "x.db") as storage:
        wf = Workflow("w", int, int, storage=storage).then(inc).commit()
        await wf.create_run(run_id="a").start(1)
        with pytest.raises(Exception, match="not running"):
            await wf.restart("a")
        with pytest.raises(Exception, match="no run"):
            await wf.resume_run("missing")


class Crash(BaseException):
    """Stands for the process dying mid-step."""


async def test_a_nested_workflow_restarts_from_its_last_completed_step() -> None:
    storage = InMemoryStorage()
    calls: list[str] = []
    crash = {"armed": True}

    def build() -> Workflow:
        def make(name: str) -> Step:
            def execute(ctx: StepContext) -> int:
                calls.append(name)
                if name == "b" and crash["armed"]:
                    crash["armed"] = False
                    raise Crash
                return int(ctx.input_data) + 1

            return Step(name, execute, input_schema=int, output_schema=int)

        inner = Workflow("inner", int, int).then(make("a")).then(make("b")).then(make("c"))
        outer = Workflow("outer", int, int, storage=storage).then(inc).then(inner.commit())
        return outer.dowhile(make("again"), False).commit()

    with pytest.raises(Crash):
        await build().create_run(run_id="n").start(0)
    snapshot = await build().get_run("n")
    assert snapshot is not None
    assert snapshot["context"]["inner"]["status"] == "running"
    result = await build().resume_run("n")
    assert (result.status, result.result) == ("success", 5)
    assert calls == ["a", "b", "b", "c", "again"]
