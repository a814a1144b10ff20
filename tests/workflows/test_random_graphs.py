"""Random step graphs (hypothesis) run by the engine and by a tiny reference interpreter."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mastra.storage import InMemoryStorage
from mastra.workflows import Step, StepContext, Workflow

MOD = 1000

leaf = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 50)),
    st.tuples(st.just("mul"), st.integers(0, 7)),
    st.tuples(st.just("par"), st.lists(st.integers(0, 9), min_size=1, max_size=4)),
    st.tuples(st.just("branch"), st.integers(0, MOD), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.just("while"), st.integers(1, 200), st.integers(0, MOD)),
    st.tuples(st.just("until"), st.integers(1, 200), st.integers(0, MOD)),
    st.tuples(st.just("foreach"), st.integers(0, 6), st.integers(0, 9), st.integers(1, 4)),
    st.tuples(st.just("sleep")),
)
programs = st.recursive(
    st.lists(leaf, min_size=1, max_size=5),
    lambda inner: st.lists(
        st.one_of(leaf, st.tuples(st.just("nest"), inner)), min_size=1, max_size=4
    ),
    max_leaves=12,
)


def reference(program: list[Any], x: int) -> int:
    """What a program computes, without the engine."""
    for op in program:
        kind = op[0]
        if kind == "add":
            x = (x + op[1]) % MOD
        elif kind == "mul":
            x = (x * op[1]) % MOD
        elif kind == "par":
            x = sum((x + k) % MOD for k in op[1]) % MOD
        elif kind == "branch":
            x = (x + (op[2] if x < op[1] else op[3])) % MOD
        elif kind in ("while", "until"):
            x = x + op[1]
            while x < op[2]:
                x += op[1]
        elif kind == "foreach":
            x = sum((x + i + op[2]) % MOD for i in range(op[1])) % MOD
        elif kind == "nest":
            x = reference(op[1], x) % MOD  # a workflow's output is reduced too
    return x


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, nothing more is saved."""


class Builder:
    """Builds a program's workflow; every step calls ``hook`` first (to crash)."""

    def __init__(self, storage: Any = None, hook: Callable[[], None] = lambda: None) -> None:
        self.ids = itertools.count()
        self.storage = storage
        self.hook = hook

    def step(self, name: str, fn: Callable[[int], Any], out: Any = int) -> Step:
        def execute(ctx: StepContext) -> Any:
            self.hook()
            return fn(ctx.input_data)

        return Step(f"{name}{next(self.ids)}", execute, input_schema=int, output_schema=out)

    def adder(self, k: int) -> Step:
        return self.step("add", lambda x: (x + k) % MOD)

    def build(self, program: list[Any], storage: Any = None) -> Workflow:
        wf = Workflow(f"wf{next(self.ids)}", int, int, storage=storage)
        for op in program:
            self.add(wf, op)
        wf.map(lambda c: c.input_data % MOD, output_schema=int)
        return wf.commit()

    def add(self, wf: Workflow, op: Any) -> None:
        kind = op[0]
        total = lambda ctx: sum(ctx.input_data.values()) % MOD  # noqa: E731
        if kind == "add":
            wf.then(self.adder(op[1]))
        elif kind == "mul":
            k: int = op[1]
            wf.then(self.step("mul", lambda x: x * k % MOD))
        elif kind == "par":
            wf.parallel([self.adder(k) for k in op[1]]).map(total, output_schema=int)
        elif kind == "branch":
            t: int = op[1]
            wf.branch(
                [
                    (lambda c: bool(c.input_data < t), self.adder(op[2])),
                    (lambda c: bool(c.input_data >= t), self.adder(op[3])),
                ]
            ).map(total, output_schema=int)
        elif kind in ("while", "until"):
            step_by: int = op[1]
            limit: int = op[2]
            body = self.step("loop", lambda x: x + step_by)
            if kind == "while":
                wf.dowhile(body, lambda c: bool(c.input_data < limit))
            else:
                wf.dountil(body, lambda c: bool(c.input_data >= limit))
        elif kind == "foreach":
            n: int = op[1]
            wf.map(lambda c: [c.input_data + i for i in range(n)], output_schema=list[int])
            wf.foreach(self.adder(op[2]), concurrency=op[3])
            wf.map(lambda c: sum(c.input_data) % MOD, output_schema=int)
        elif kind == "sleep":
            wf.sleep(0)
        else:
            wf.then(self.build(op[1]))


@given(programs, st.integers(0, MOD - 1), st.booleans())
def test_engine_matches_reference(program: list[Any], x: int, stored: bool) -> None:
    async def main() -> Any:
        storage = InMemoryStorage() if stored else None
        return await Builder().build(program, storage).create_run().start(x)

    result = asyncio.run(main())
    assert result.status == "success", result.error
    assert result.result == reference(program, x) % MOD


@given(programs, st.integers(0, MOD - 1), st.integers(1, 40))
def test_a_run_that_dies_at_any_step_resumes_to_the_same_result(
    program: list[Any], x: int, crash_at: int
) -> None:
    """The run "dies" at its n-th step execution; a new Workflow object on the same
    storage continues it from the snapshot, and the result is still the reference's."""
    executed = itertools.count(1)

    def hook() -> None:
        if next(executed) == crash_at:
            raise Crash

    async def main() -> Any:
        storage = InMemoryStorage()
        try:
            return await Builder(hook=hook).build(program, storage).create_run(run_id="r").start(x)
        except Crash:
            pass
        again = Builder().build(program, storage)
        assert [r["runId"] for r in await again.list_runs(status="running")] == ["r"]
        return await again.resume_run("r")

    result = asyncio.run(main())
    assert result.status == "success", result.error
    assert result.result == reference(program, x) % MOD
