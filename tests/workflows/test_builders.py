"""Every builder alone, then combined (branches in parallels inside loops)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel

from mastra.workflows import (
    Step,
    StepContext,
    Workflow,
    constant,
    from_init,
    from_step,
    step,
)

pytestmark = pytest.mark.anyio


@step
async def inc(x: int) -> int:
    return x + 1


@step
def double(x: int) -> int:
    return x * 2


def adder(name: str, n: int) -> Step:
    return Step(name, lambda ctx: ctx.input_data + n, input_schema=int, output_schema=int)


async def run(wf: Workflow, data: Any, **kwargs: Any) -> Any:
    result = await wf.commit().create_run().start(data, **kwargs)
    assert result.status == "success", result.error
    return result.result


async def test_then_chains_outputs_to_inputs() -> None:
    assert await run(Workflow("w", int, int).then(inc).then(double), 3) == 8


async def test_step_results_are_recorded() -> None:
    wf = Workflow("w", int, int).then(inc).then(double).commit()
    result = await wf.create_run().start(1)
    assert result.steps["inc"]["status"] == "success"
    assert result.steps["inc"]["output"] == 2
    assert result.steps["double"]["output"] == 4


async def test_parallel_outputs_by_step_id() -> None:
    wf = Workflow("w", int).parallel([inc, double, adder("ten", 10)])
    assert await run(wf, 5) == {"inc": 6, "double": 10, "ten": 15}


async def test_branch_runs_only_matching_steps() -> None:
    wf = Workflow("w", int).branch(
        [
            (lambda ctx: ctx.input_data > 0, inc),
            (lambda ctx: ctx.input_data <= 0, double),
        ]
    )
    assert await run(wf, 5) == {"inc": 6}
    wf2 = Workflow("w2", int).branch([(lambda c: c.input_data > 0, inc), (True, double)])
    assert await run(wf2, -3) == {"double": -6}


async def test_branch_with_async_condition_and_no_match() -> None:
    async def never(ctx: StepContext) -> bool:
        return False

    assert await run(Workflow("w", int).branch([(never, inc)]), 1) == {}


async def test_dowhile_repeats_while_true() -> None:
    wf = Workflow("w", int, int).dowhile(inc, lambda ctx: ctx.input_data < 10)
    assert await run(wf, 0) == 10
    # The body always runs once.
    assert await run(Workflow("w", int, int).dowhile(inc, lambda c: c.input_data < 10), 50) == 51


async def test_dountil_repeats_until_true() -> None:
    wf = Workflow("w", int, int).dountil(double, lambda ctx: ctx.input_data > 100)
    assert await run(wf, 1) == 128


async def test_foreach_maps_each_item_in_order() -> None:
    wf = Workflow("w", list[int], list[int]).foreach(double, concurrency=3)
    assert await run(wf, list(range(10))) == [2 * i for i in range(10)]
    assert await run(Workflow("e", list[int]).foreach(double), []) == []


class Summary(BaseModel):
    original: int
    doubled: int
    label: str


async def test_map_from_steps_init_and_constants() -> None:
    @step
    def summarise(s: Summary) -> str:
        return f"{s.label}: {s.original} -> {s.doubled}"

    wf = (
        Workflow("w", int, str)
        .then(inc)
        .then(double)
        .map(
            {"original": from_init(), "doubled": from_step(double), "label": constant("sum")},
            output_schema=Summary,
        )
        .then(summarise)
    )
    assert await run(wf, 4) == "sum: 4 -> 10"


async def test_map_with_a_function_and_paths() -> None:
    wf = (
        Workflow("w", dict[str, Any])
        .map(lambda ctx: {"v": ctx.input_data["a"]["b"] + 1})
        .map(
            {
                "deep": from_init("a.b"),
                "first": from_init("items.0"),
                "v": from_step("mapping_0", "v"),
            }
        )
    )
    assert await run(wf, {"a": {"b": 1}, "items": [7]}) == {"deep": 1, "first": 7, "v": 2}


async def test_sleep_and_sleep_until_pass_data_through() -> None:
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    wf = (
        Workflow("w", int, int)
        .then(inc)
        .sleep(0.01)
        .sleep(lambda ctx: 0)
        .sleep_until(past)
        .sleep_until(lambda ctx: past.replace(tzinfo=None))
        .then(adder("inc2", 1))
    )
    assert await run(wf, 1) == 3


async def test_nested_workflow_as_a_step() -> None:
    inner = Workflow("inner", int, int).then(inc).then(double).commit()
    wf = Workflow("outer", int, int).then(inner).then(inc)
    assert await run(wf, 1) == 5


async def test_branches_in_parallels_inside_loops() -> None:
    """dowhile(nested workflow: parallel[branch-workflow, step] -> map)."""
    branchy = (
        Workflow("branchy", int, int)
        .branch(
            [
                (lambda c: c.input_data % 2 == 0, adder("even", 1)),
                (lambda c: c.input_data % 2 == 1, adder("odd", 3)),
            ]
        )
        .map(lambda ctx: next(iter(ctx.input_data.values())), output_schema=int)
        .commit()
    )
    body = (
        Workflow("body", int, int)
        .parallel([branchy, adder("zero", 0)])
        .map(lambda ctx: ctx.input_data["branchy"] + ctx.input_data["zero"], output_schema=int)
        .commit()
    )
    wf = Workflow("loop", int, int).dowhile(body, lambda ctx: ctx.input_data < 40)
    # Reference: x -> 2x + (1 if even else 3), while < 40.
    x = 1
    while True:
        x = 2 * x + (1 if x % 2 == 0 else 3)
        if x >= 40:
            break
    assert await run(wf, 1) == x


async def test_foreach_over_nested_workflow_and_then_parallel() -> None:
    inner = Workflow("inner", int, int).then(inc).then(double).commit()
    wf = (
        Workflow("w", list[int])
        .foreach(inner, concurrency=2)
        .map(lambda ctx: sum(ctx.input_data), output_schema=int)
        .parallel([inc, double])
    )
    total = sum((i + 1) * 2 for i in range(5))
    assert await run(wf, list(range(5))) == {"inc": total + 1, "double": total * 2}


async def test_state_is_shared_and_persisted_in_the_result() -> None:
    class State(BaseModel):
        seen: list[int] = []

    async def remember(ctx: StepContext) -> int:
        ctx.set_state({"seen": [*ctx.state["seen"], ctx.input_data]})
        return int(ctx.input_data) + 1

    rem = Step("rem", remember, input_schema=int, output_schema=int)
    wf = (
        Workflow("w", int, int, state_schema=State)
        .dountil(rem, lambda c: c.input_data >= 3)
        .commit()
    )
    result = await wf.create_run().start(0, initial_state={"seen": []})
    assert result.state == {"seen": [0, 1, 2]}


async def test_context_gives_earlier_results_init_data_and_run_id() -> None:
    seen: dict[str, Any] = {}

    async def look(ctx: StepContext) -> int:
        seen.update(
            inc=ctx.get_step_result(inc), init=ctx.get_init_data(), run_id=ctx.run_id,
            missing=ctx.get_step_result("nope"),
        )  # fmt: skip
        return 0

    wf = Workflow("w", int).then(inc).then(Step("look", look, input_schema=int, output_schema=int))
    run_ = wf.commit().create_run(run_id="r-1")
    await run_.start(41)
    assert seen == {"inc": 42, "init": 41, "run_id": "r-1", "missing": None}


async def test_bail_ends_the_run_successfully() -> None:
    def stop(ctx: StepContext) -> int:
        ctx.bail({"early": ctx.input_data})

    wf = Workflow("w", int).then(Step("stop", stop, input_schema=int, output_schema=int)).then(inc)
    result = await wf.commit().create_run().start(3)
    assert (result.status, result.result) == ("success", {"early": 3})
    assert "inc" not in result.steps


async def test_abort_cancels_the_run() -> None:
    def stop(ctx: StepContext) -> int:
        ctx.abort()

    wf = Workflow("w", int).then(Step("stop", stop, input_schema=int, output_schema=int)).then(inc)
    result = await wf.commit().create_run().start(3)
    assert result.status == "canceled"


async def test_run_count_counts_loop_iterations() -> None:
    counts: list[int] = []

    def body(ctx: StepContext) -> int:
        counts.append(ctx.run_count)
        return int(ctx.input_data) + 1

    wf = Workflow("w", int).dountil(
        Step("b", body, input_schema=int, output_schema=int), lambda c: c.input_data == 3
    )
    await run(wf, 0)
    assert counts == [0, 1, 2]


async def test_tool_and_agent_as_steps() -> None:
    from mastra.agent import Agent
    from mastra.testing import TestModel
    from mastra.tools import tool

    @tool
    def shout(text: str) -> str:
        """Upper-cases text."""
        return text.upper()

    agent = Agent("echo", "Repeat.", TestModel(text="done"))
    wf = (
        Workflow("w", dict[str, Any])
        .then(Step.from_tool(shout))
        .map(lambda ctx: {"prompt": ctx.input_data})
        .then(Step.from_agent(agent))
    )
    assert await run(wf, {"text": "hi"}) == {"text": "done"}
    assert (
        await Workflow("t", dict[str, Any])
        .then(Step.from_tool(shout))
        .commit()
        .create_run()
        .start({"text": "a"})
    ).result == "A"
