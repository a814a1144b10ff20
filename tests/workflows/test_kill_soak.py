"""50 SIGKILLs at random moments of 10-step runs on one SQLite file, each run resumed by a
new process until it ends: no step is lost or repeated in what the runs record.

Slow (about a minute): ``python -m pytest -m slow tests/workflows/test_kill_soak.py``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mastra.storage import SQLiteStorage

from .crash_child import STEPS, build_chain

CHILD = Path(__file__).with_name("crash_child.py")
RUNS, KILLS_PER_RUN, STEP_DELAY = 12, 6, 0.05
pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def child(db: Path, log: Path, run_id: str, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MASTRA_TEST_STEP_DELAY": str(STEP_DELAY)}
    args = [sys.executable, str(CHILD), str(db), str(log), run_id, mode]
    pipe = subprocess.PIPE
    return subprocess.Popen(args, stdout=pipe, stderr=pipe, text=True, env=env)


async def status(db: Path, log: Path, run_id: str) -> str | None:
    """The run's recorded status (None before its first snapshot)."""
    async with SQLiteStorage(db) as storage:
        snapshot = await build_chain(log, storage).get_run(run_id)
    return None if snapshot is None else str(snapshot["status"])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
async def test_fifty_kills_lose_and_repeat_no_step(tmp_path: Path) -> None:
    rng = random.Random(7)
    db = tmp_path / "wf.db"
    kills = 0
    for run in range(RUNS):
        run_id, log = f"run-{run}", tmp_path / f"effects-{run}.log"
        log.touch()
        attempts = 0
        while attempts < KILLS_PER_RUN and await status(db, log, run_id) != "success":
            attempts += 1
            mode = "start" if await status(db, log, run_id) is None else "resume"
            with child(db, log, run_id, mode) as process:
                # Start-up takes a few hundred ms; then the steps run for ~0.5 s.
                try:
                    process.wait(timeout=rng.uniform(0.1, 0.8))
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGKILL)
                    kills += process.wait() == -signal.SIGKILL
        if await status(db, log, run_id) != "success":
            mode = "start" if await status(db, log, run_id) is None else "resume"
            with child(db, log, run_id, mode) as process:
                out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            assert out.startswith("success"), out
        async with SQLiteStorage(db) as storage:
            final = await build_chain(log, storage).get_run(run_id)
        assert final is not None
        # The recorded result passed through every step once, in order.
        assert final["result"] == list(range(1, STEPS + 1)), final
        effects = [int(n) for n in log.read_text().split()]
        assert sorted(set(effects)) == list(range(1, STEPS + 1))
        # A step repeats only when a kill landed inside it, after its effect.
        assert len(effects) - STEPS <= KILLS_PER_RUN
    assert kills >= 50
