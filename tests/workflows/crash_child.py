"""A 10-step run on a SQLite file, killed and resumed by tests/workflows/test_durability.py.

Usage: ``python crash_child.py DB LOG RUN_ID start|resume [HANG_AT MARKER]``. Each step
appends its number to LOG; with HANG_AT, that step touches MARKER and hangs (the parent
then SIGKILLs this process).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from mastra.storage import SQLiteStorage
from mastra.workflows import Step, StepContext, Workflow

STEPS = 10
# Seconds each step takes (the kill soak sets it, so that kills land inside steps).
STEP_DELAY = float(os.environ.get("MASTRA_TEST_STEP_DELAY", "0"))


def build_chain(log: Path, storage: Any, hang_at: int = 0, marker: Path | None = None) -> Workflow:
    """The workflow: ``s1 .. s10``, each adding its number to a running list."""

    def make(i: int) -> Step:
        async def execute(ctx: StepContext) -> list[int]:
            if i == hang_at and marker is not None:
                marker.write_text("hanging")  # noqa: ASYNC240 (a test marker, tiny)
                await asyncio.sleep(3600)
            await asyncio.sleep(STEP_DELAY)
            with log.open("a") as f:
                f.write(f"{i}\n")
            return [*ctx.input_data, i]

        return Step(f"s{i}", execute, input_schema=list[int], output_schema=list[int])

    wf = Workflow("chain", list[int], list[int], storage=storage)
    for i in range(1, STEPS + 1):
        wf.then(make(i))
    return wf.commit()


async def main(db: str, log: str, run_id: str, mode: str, hang_at: int, marker: str) -> None:
    async with SQLiteStorage(db) as storage:
        wf = build_chain(Path(log), storage, hang_at, Path(marker) if marker else None)
        if mode == "start":
            result = await wf.create_run(run_id=run_id).start([])
        else:
            result = await wf.resume_run(run_id)
        print(result.status, result.result, flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    hang = int(args[4]) if len(args) > 4 else 0
    asyncio.run(main(args[0], args[1], args[2], args[3], hang, args[5] if len(args) > 5 else ""))
