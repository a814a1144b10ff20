"""Workflow engine overhead: no-op steps through mastra's engine beside pydantic-graph.

Run: ``pytest benchmarks/test_workflows.py --benchmark-only -q``.

Shapes: a chain of 100 no-op steps, 100 no-op steps in one ``parallel``, and
``foreach`` over 10,000 items with concurrency 16. Snapshots go nowhere but process
memory (``local``: a workflow without storage), to ``InMemoryStorage`` or to a SQLite
file (one transaction per step); either way a step writes its own record and the run's
header, so a step costs the same at the end of a long run as at its start.
pydantic-graph runs the same 100-step chain (100 step nodes, each adding one). Each
record carries the time per step (``us/step``), steps per second, and whether the
result was right; the
``snapshot floor`` cases time one bare ``save_workflow_snapshot`` of a tiny snapshot,
the storage's own cost per step.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import record
from mastra.storage import InMemoryStorage, SQLiteStorage
from mastra.workflows import Step, StepContext, Workflow

CHAIN = 100
WIDE = 100
ITEMS = 10_000
CONCURRENCY = 16
run_ids = itertools.count()


def add_one(ctx: StepContext) -> int:
    return int(ctx.input_data) + 1


def noop_step(i: int) -> Step:
    return Step(f"s{i}", add_one, input_schema=int, output_schema=int)


class Harness:
    """One event loop and one store (or none) for a benchmark module."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.loop = asyncio.new_event_loop()
        self.storage: Any = None
        if kind == "sqlite":
            self.storage = SQLiteStorage(folder / "wf.db")
        elif kind == "memory":
            self.storage = InMemoryStorage()

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        if self.storage is not None:
            self.run(self.storage.close())
        self.loop.close()

    def start(self, wf: Workflow, data: Any) -> Any:
        result = self.run(wf.create_run(run_id=f"r{next(run_ids)}").start(data))
        if self.storage is None:
            wf._local.clear()  # keep the local run table from growing across rounds
        return result


@pytest.fixture(scope="module", params=["local", "memory", "sqlite"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with tempfile.TemporaryDirectory() as folder:
        h = Harness(request.param, Path(folder))
        try:
            yield h
        finally:
            h.close()


def per_step(benchmark: Any, steps: int) -> dict[str, Any]:
    stats = benchmark.stats.stats if benchmark.stats is not None else None
    if stats is None:
        return {}
    return {"us/step": round(stats.median / steps * 1e6, 2), "steps/s": round(steps / stats.median)}


def test_chain(benchmark: Any, harness: Harness) -> None:
    wf = Workflow("chain", int, int, storage=harness.storage)
    for i in range(CHAIN):
        wf.then(noop_step(i))
    wf.commit()
    result = benchmark.pedantic(harness.start, (wf, 0), rounds=30, warmup_rounds=2)
    ok = result.status == "success" and result.result == CHAIN
    extra = per_step(benchmark, CHAIN)
    record(
        benchmark, group="chain of 100 no-op steps", name=f"mastra {harness.kind}", ok=ok, **extra
    )
    assert ok


def test_parallel(benchmark: Any, harness: Harness) -> None:
    wf = Workflow("wide", int, storage=harness.storage)
    wf.parallel([noop_step(i) for i in range(WIDE)]).commit()
    result = benchmark.pedantic(harness.start, (wf, 0), rounds=20, warmup_rounds=1)
    ok = result.status == "success" and list(result.result.values()) == [1] * WIDE
    extra = per_step(benchmark, WIDE)
    record(
        benchmark,
        group="parallel of 100 no-op steps",
        name=f"mastra {harness.kind}",
        ok=ok,
        **extra,
    )
    assert ok


def test_foreach(benchmark: Any, harness: Harness) -> None:
    wf = Workflow("each", list[int], list[int], storage=harness.storage)
    wf.foreach(Step("item", add_one, input_schema=int, output_schema=int), concurrency=CONCURRENCY)
    wf.commit()
    items = list(range(ITEMS))
    result = benchmark.pedantic(harness.start, (wf, items), rounds=3, warmup_rounds=0)
    ok = result.status == "success" and result.result == [i + 1 for i in items]
    extra = per_step(benchmark, ITEMS)
    record(
        benchmark,
        group="foreach 10k items, concurrency 16",
        name=f"mastra {harness.kind}",
        ok=ok,
        **extra,
    )
    assert ok


def test_snapshot_floor(benchmark: Any, harness: Harness) -> None:
    if harness.storage is None:
        pytest.skip("no storage: nothing is written")
    storage = harness.storage

    def save() -> Any:
        return harness.run(
            storage.save_workflow_snapshot("floor", "r", {"status": "running"}, status="running")
        )

    benchmark.pedantic(save, rounds=300, warmup_rounds=5)
    extra = per_step(benchmark, 1)
    record(
        benchmark, group="snapshot floor (one bare save)", name=f"mastra {harness.kind}", **extra
    )


def pydantic_graph_chain(steps: int) -> Any:
    from pydantic_graph import GraphBuilder
    from pydantic_graph import StepContext as PGContext

    builder = GraphBuilder(input_type=int, output_type=int, auto_instrument=False)

    async def add(ctx: PGContext) -> int:
        return ctx.inputs + 1

    nodes = [builder.step(add, node_id=f"s{i}") for i in range(steps)]
    builder.add(builder.edge_from(builder.start_node).to(nodes[0]))
    for a, b in itertools.pairwise(nodes):
        builder.add(builder.edge_from(a).to(b))
    builder.add(builder.edge_from(nodes[-1]).to(builder.end_node))
    return builder.build()


def test_chain_pydantic_graph(benchmark: Any) -> None:
    pytest.importorskip("pydantic_graph")
    graph = pydantic_graph_chain(CHAIN)
    loop = asyncio.new_event_loop()
    try:
        result = benchmark.pedantic(
            lambda: loop.run_until_complete(graph.run(inputs=0, infer_name=False)),
            rounds=30,
            warmup_rounds=2,
        )
    finally:
        loop.close()
    ok = result == CHAIN
    extra = per_step(benchmark, CHAIN)
    record(benchmark, group="chain of 100 no-op steps", name="pydantic-graph", ok=ok, **extra)
    assert ok
