"""The steps of a nested workflow show in the parent's stream, as Mastra sends them:
each event's id is the path of the nested step (``"inner.double"``), also given as a
list in ``payload["path"]``."""

from __future__ import annotations

from typing import Any

import pytest

from mastra.workflows import Step, StepContext, Workflow, step

pytestmark = pytest.mark.anyio


@step
def inc(x: int) -> int:
    return x + 1


@step
def double(x: int) -> int:
    return x * 2


def seen(events: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    return [
        (e["type"].removeprefix("workflow-step-"), e["payload"].get("id"), e["payload"].get("path"))
        for e in events
        if e["type"] not in ("workflow-step-finish", "workflow-start", "workflow-finish")
    ]


async def test_nested_steps_stream_with_their_path() -> None:
    leaf = Workflow("leaf", int, int).then(double).commit()
    inner = Workflow("inner", int, int).then(leaf).commit()
    outer = Workflow("outer", int, int).then(inc).then(inner).commit()
    stream = outer.create_run().stream(1)
    events = [e async for e in stream]
    assert (await stream.result()).result == 4
    deep = ["inner", "leaf", "double"]
    assert seen(events) == [
        ("start", "inc", None),
        ("result", "inc", None),
        ("start", "inner", None),
        ("start", "inner.leaf", ["inner", "leaf"]),
        ("start", "inner.leaf.double", deep),
        ("result", "inner.leaf.double", deep),
        ("result", "inner.leaf", ["inner", "leaf"]),
        ("result", "inner", None),
    ]
    assert {e["runId"] for e in events} == {events[0]["runId"]}
    # The nested run's own start and finish are the parent step's: not sent twice.
    assert [e["type"] for e in events].count("workflow-finish") == 1


async def test_a_nested_suspension_is_watched_with_its_path() -> None:
    async def approve(ctx: StepContext) -> int:
        if ctx.resume_data is None:
            await ctx.suspend({"ask": ctx.input_data})
        return int(ctx.input_data)

    gate = Step("approve", approve, input_schema=int, output_schema=int)
    inner = Workflow("inner", int, int).then(gate).commit()
    outer = Workflow("outer", int, int).then(inner).commit()
    run = outer.create_run()
    events: list[dict[str, Any]] = []
    run.watch(events.append)
    assert (await run.start(3)).status == "suspended"
    suspended = [e["payload"] for e in events if e["type"] == "workflow-step-suspended"]
    assert [(p["id"], p["suspendPayload"]) for p in suspended] == [
        ("inner.approve", {"ask": 3}),
        ("inner", {"ask": 3}),
    ]
    events.clear()
    assert (await run.resume("approve", {"ok": True})).result == 3
    assert ("result", "inner.approve", ["inner", "approve"]) in seen(events)
