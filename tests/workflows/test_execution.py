"""Retries, timeouts, bounded foreach, cancel, events, suspend/resume, waiting, metrics."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mastra.workflows import (
    EVENT_TYPES,
    RetryConfig,
    Step,
    StepContext,
    Workflow,
    metrics,
    step,
)

pytestmark = pytest.mark.anyio


@step
def inc(x: int) -> int:
    return x + 1


def flaky(failures: int, calls: list[int], **options: Any) -> Step:
    def execute(ctx: StepContext) -> int:
        calls.append(ctx.run_count)
        if len(calls) <= failures:
            raise RuntimeError(f"boom {len(calls)}")
        return int(ctx.input_data) * 10

    return Step("flaky", execute, input_schema=int, output_schema=int, **options)


async def test_a_step_that_fails_twice_succeeds_on_the_third_attempt() -> None:
    calls: list[int] = []
    wf = Workflow("w", int, int).then(flaky(2, calls, retries=2)).commit()
    result = await wf.create_run().start(4)
    assert (result.status, result.result, calls) == ("success", 40, [0, 1, 2])


async def test_workflow_retry_config_applies_and_runs_out() -> None:
    calls: list[int] = []
    wf = Workflow("w", int, int, retry=RetryConfig(attempts=1, delay=0.001))
    result = await wf.then(flaky(2, calls)).commit().create_run().start(4)
    assert result.status == "failed"
    assert len(calls) == 2
    assert result.error is not None
    assert "step 'flaky'" in result.error
    assert "boom 2" in result.error


async def test_a_step_over_its_timeout_fails_and_is_retried() -> None:
    attempts: list[int] = []

    async def slow(ctx: StepContext) -> int:
        attempts.append(ctx.run_count)
        if ctx.run_count == 0:
            await asyncio.sleep(30)
        return 1

    s = Step("slow", slow, input_schema=Any, output_schema=int, timeout=0.05, retries=1)
    result = await Workflow("w").then(s).commit().create_run().start(None)
    assert (result.status, result.result, attempts) == ("success", 1, [0, 1])
    s2 = Step("slow", slow, input_schema=Any, output_schema=int, timeout=0.05)
    attempts.clear()
    failed = await Workflow("w2").then(s2).commit().create_run().start(None)
    assert failed.status == "failed"
    assert failed.error is not None
    assert "timed out" in failed.error


@pytest.mark.parametrize("concurrency", [1, 3, 16])
async def test_foreach_never_exceeds_its_concurrency(concurrency: int) -> None:
    in_flight = 0
    peak = 0

    async def work(ctx: StepContext) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        return int(ctx.input_data) * 2

    s = Step("work", work, input_schema=int, output_schema=int)
    wf = Workflow("w", list[int]).foreach(s, concurrency=concurrency).commit()
    result = await wf.create_run().start(list(range(50)))
    assert result.result == [2 * i for i in range(50)]
    assert peak == concurrency


async def test_foreach_item_failure_fails_the_step() -> None:
    def picky(ctx: StepContext) -> int:
        if ctx.input_data == 7:
            raise ValueError("no sevens")
        return int(ctx.input_data)

    s = Step("picky", picky, input_schema=int, output_schema=int)
    result = (
        await Workflow("w").foreach(s, concurrency=4).commit().create_run().start(list(range(20)))
    )
    assert result.status == "failed"
    assert result.error is not None
    assert "no sevens" in result.error
    assert result.steps["picky"]["status"] == "failed"


async def test_cancel_mid_run() -> None:
    started = asyncio.Event()
    ran: list[str] = []

    async def block(ctx: StepContext) -> int:
        started.set()
        await asyncio.sleep(30)
        return 0

    wf = (
        Workflow("w", int)
        .then(inc)
        .then(Step("block", block, input_schema=int, output_schema=int))
        .then(Step("after", lambda c: ran.append("after"), input_schema=Any, output_schema=Any))
        .commit()
    )
    run = wf.create_run()
    events: list[str] = []
    run.watch(lambda e: events.append(e["type"]))
    task = asyncio.ensure_future(run.start(1))
    await started.wait()
    await run.cancel()
    result = await task
    assert result.status == "canceled"
    assert result.steps["inc"]["status"] == "success"
    assert ran == []
    assert events[-2:] == ["workflow-canceled", "workflow-finish"]
    assert (await wf.get_run(run.run_id) or {})["status"] == "canceled"


async def test_stream_event_order() -> None:
    async def chatty(ctx: StepContext) -> int:
        await ctx.writer.write({"progress": 50})
        return int(ctx.input_data)

    wf = (
        Workflow("w", int)
        .then(inc)
        .then(Step("chatty", chatty, input_schema=int, output_schema=int))
        .commit()
    )
    run = wf.create_run()
    stream = run.stream(1)
    events = [e async for e in stream]
    assert (await stream.result()).result == 2
    kinds = [(e["type"], e["payload"].get("id")) for e in events]
    assert kinds == [
        ("workflow-start", None),
        ("workflow-step-start", "inc"),
        ("workflow-step-result", "inc"),
        ("workflow-step-finish", "inc"),
        ("workflow-step-start", "chatty"),
        ("workflow-step-output", "chatty"),
        ("workflow-step-result", "chatty"),
        ("workflow-step-finish", "chatty"),
        ("workflow-finish", None),
    ]
    assert all(e["runId"] == run.run_id and e["from"] == "WORKFLOW" for e in events)
    assert {e["type"] for e in events} <= set(EVENT_TYPES)
    assert events[5]["payload"]["output"] == {"progress": 50}
    assert events[-1]["payload"]["workflowStatus"] == "success"


async def test_watch_and_unwatch() -> None:
    wf = Workflow("w", int).then(inc).commit()
    run = wf.create_run()
    seen: list[str] = []

    async def callback(event: dict[str, Any]) -> None:
        seen.append(event["type"])

    unwatch = run.watch(callback)
    await run.start(1)
    await asyncio.sleep(0)
    assert seen[0] == "workflow-start"
    assert seen[-1] == "workflow-finish"
    unwatch()


seen_suspend_data: list[Any] = []


def approval() -> Step:
    async def approve(ctx: StepContext) -> str:
        seen_suspend_data.append(ctx.suspend_data)
        if ctx.resume_data is None:
            await ctx.suspend({"question": f"approve {ctx.input_data}?"})
        return f"{ctx.input_data}: {ctx.resume_data['answer']}"

    return Step(
        "approve", approve, input_schema=int, output_schema=str, resume_schema=dict[str, str]
    )


async def test_suspend_and_resume_in_process() -> None:
    seen_suspend_data.clear()
    wf = Workflow("w", int, str).then(inc).then(approval()).commit()
    run = wf.create_run()
    events: list[str] = []
    run.watch(lambda e: events.append(e["type"]))
    first = await run.start(1)
    assert (first.status, first.suspended) == ("suspended", [["approve"]])
    assert first.steps["approve"]["suspendPayload"] == {"question": "approve 2?"}
    assert "workflow-step-suspended" in events
    done = await run.resume(step="approve", resume_data={"answer": "yes"})
    assert (done.status, done.result) == ("success", "2: yes")
    assert seen_suspend_data == [None, {"question": "approve 2?"}]


async def test_resume_errors() -> None:
    wf = Workflow("w", int, str).then(approval()).commit()
    run = wf.create_run()
    await run.start(1)
    with pytest.raises(Exception, match="not suspended"):
        await run.resume(step="nope", resume_data={"answer": "x"})
    with pytest.raises(Exception, match="resume data"):
        await run.resume(resume_data="not a dict")
    assert (await run.resume(resume_data={"answer": "ok"})).status == "success"
    with pytest.raises(Exception, match="not suspended"):
        await run.resume(resume_data={})


async def test_suspend_inside_nested_workflow_in_parallel() -> None:
    inner = Workflow("inner", int, str).then(approval()).commit()
    wf = Workflow("outer", int).parallel([inner, inc]).commit()
    run = wf.create_run()
    first = await run.start(5)
    assert first.status == "suspended"
    assert first.suspended == [["inner", "approve"]]
    assert first.steps["inc"]["status"] == "success"
    done = await run.resume(step=["inner", "approve"], resume_data={"answer": "ok"})
    assert (done.status, done.result) == ("success", {"inner": "5: ok", "inc": 6})


async def test_suspend_inside_a_loop() -> None:
    async def gate(ctx: StepContext) -> int:
        if ctx.input_data == 2 and ctx.resume_data is None:
            await ctx.suspend("at two")
        return int(ctx.input_data) + 1

    s = Step("gate", gate, input_schema=int, output_schema=int)
    wf = Workflow("w", int, int).dountil(s, lambda c: c.input_data >= 4).commit()
    run = wf.create_run()
    assert (await run.start(0)).status == "suspended"
    assert (await run.resume(resume_data="go")).result == 4


async def test_wait_for_event_and_send_event() -> None:
    async def on_event(ctx: StepContext) -> str:
        return f"{ctx.input_data}+{ctx.resume_data['v']}"

    handler = Step("handler", on_event, input_schema=int, output_schema=str)
    wf = Workflow("w", int, str).then(inc).wait_for_event("ping", handler).commit()
    run = wf.create_run()
    first = await run.start(1)
    assert first.status == "waiting"
    assert first.steps["handler"]["status"] == "waiting"
    assert (await wf.list_runs(status="waiting"))[0]["runId"] == run.run_id
    done = await run.send_event("ping", {"v": "x"})
    assert done is not None
    assert (done.status, done.result) == ("success", "2+x")


async def test_event_sent_before_the_wait_is_kept() -> None:
    handler = Step("h", lambda c: c.resume_data, input_schema=Any, output_schema=Any)
    wf = Workflow("w").then(inc).wait_for_event("ping", handler).commit()
    run = wf.create_run(run_id="early")
    await run.start(0)
    other = wf.create_run(run_id="late")
    # A run that has not reached the wait keeps the event (stored in its snapshot).
    await other.start(0)
    assert (await other.send_event("ping", 7) or None) is not None


async def test_cancel_a_suspended_run() -> None:
    wf = Workflow("w", int, str).then(approval()).commit()
    run = wf.create_run()
    await run.start(1)
    await run.cancel()
    assert (await wf.get_run(run.run_id) or {})["status"] == "canceled"


async def test_metrics_count_runs_and_steps() -> None:
    metrics.reset()
    wf = Workflow("metered", int).then(inc).commit()
    await wf.create_run().start(1)
    snap = metrics.snapshot()
    assert {"workflow": "metered", "status": "success", "count": 1} in snap["runs"]
    assert {"workflow": "metered", "status": "success", "count": 1} in snap["steps"]
    latency = snap["step_latency"]["metered"]
    assert latency["count"] == 1
    assert sum(latency["buckets"]) == 1


async def test_list_runs_and_get_run_without_storage() -> None:
    wf = Workflow("w", int).then(inc).commit()
    await wf.create_run(run_id="a", resource_id="u1").start(1)
    await wf.create_run(run_id="b").start(2)
    runs = await wf.list_runs()
    assert {r["runId"] for r in runs} == {"a", "b"}
    snap = await wf.get_run("a")
    assert snap is not None
    assert snap["status"] == "success"
    assert snap["resourceId"] == "u1"
    assert await wf.get_run("zzz") is None


async def test_stream_of_a_suspending_run_ends_with_finish() -> None:
    wf = Workflow("w", int, str).then(inc).then(approval()).commit()
    stream = wf.create_run().stream(1)
    kinds = [e["type"] async for e in stream]
    assert kinds[-3:] == ["workflow-step-start", "workflow-step-suspended", "workflow-finish"]
    assert (await stream.result()).status == "suspended"


async def test_cancel_while_parallel_branches_run() -> None:
    started = asyncio.Event()
    finished: list[str] = []

    def slow(name: str) -> Step:
        async def execute(ctx: StepContext) -> int:
            started.set()
            await asyncio.sleep(30)
            finished.append(name)
            return 0

        return Step(name, execute, input_schema=int, output_schema=int)

    wf = Workflow("w", int).parallel([slow("a"), slow("b"), inc]).commit()
    run = wf.create_run()
    task = asyncio.ensure_future(run.start(1))
    await started.wait()
    await run.cancel()
    result = await task
    assert result.status == "canceled"
    assert finished == []
    assert result.steps["inc"]["status"] == "success"


def test_start_sync_for_scripts() -> None:
    wf = Workflow("w", int, int).then(inc).commit()
    assert wf.create_run().start_sync(1).result == 2


async def test_snapshot_is_json_with_active_paths() -> None:
    import orjson

    wf = Workflow("w", int, str).then(inc).then(approval()).commit()
    run = wf.create_run()
    await run.start(1)
    snapshot = await wf.get_run(run.run_id)
    assert snapshot is not None
    assert snapshot["activePaths"] == [1]
    assert snapshot["suspendedPaths"] == {"approve": ["approve"]}
    assert orjson.loads(orjson.dumps(snapshot)) == snapshot


async def test_a_broken_watcher_does_not_break_the_run(caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("watcher bug")

    wf = Workflow("w", int, int).then(inc).commit()
    run = wf.create_run()
    run.watch(broken)
    assert (await run.start(1)).result == 2
    assert "watcher bug" in caplog.text


async def test_resume_by_inner_id_or_by_the_nested_workflow() -> None:
    inner = Workflow("inner", int, str).then(approval()).commit()
    for target in ("approve", "inner", inner):
        wf = Workflow("outer", int).then(inner).commit()
        run = wf.create_run()
        await run.start(1)
        with pytest.raises(Exception, match="not suspended"):
            await run.resume(step=["inner", "nope"], resume_data={"answer": "a"})
        done = await run.resume(step=target, resume_data={"answer": "a"})
        assert done.result == "1: a"


async def test_resume_stream() -> None:
    wf = Workflow("w", int, str).then(approval()).commit()
    run = wf.create_run()
    await run.start(1)
    stream = run.resume_stream(resume_data={"answer": "y"})
    kinds = [e["type"] async for e in stream]
    assert kinds[0] == "workflow-start"
    assert kinds[-1] == "workflow-finish"
    assert (await stream.result()).result == "1: y"


async def test_a_stream_whose_start_fails_ends_and_raises() -> None:
    wf = Workflow("w", int, int).then(inc).commit()
    stream = wf.create_run().stream("not an int")
    assert [e async for e in stream] == []
    with pytest.raises(Exception, match="input of workflow"):
        await stream.result()
