"""A writer SIGKILLed while committing: every committed transaction survives, no partial one."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from .crash_child import MESSAGES

CHILD = Path(__file__).with_name("crash_child.py")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def run_and_kill(path: Path, start: int, rng: random.Random) -> int:
    """Starts a writer at transaction ``start``, kills it mid-stream; returns the last
    transaction it reported committed (``start - 1`` if none)."""
    with subprocess.Popen(
        [sys.executable, str(CHILD), str(path), str(start)],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        last = start - 1
        # Kill after a random number of reported commits, while the next one is under way.
        for _ in range(rng.randint(1, 40)):
            line = child.stdout.readline()
            if not line:
                break
            last = int(line)
        child.send_signal(signal.SIGKILL)
        # Commits finished between the last line read and the kill are still in the pipe.
        for line in child.stdout:
            last = int(line)
    assert child.returncode == -signal.SIGKILL
    return last


def check_file(path: Path, committed: int) -> int:
    """Asserts every transaction up to ``committed`` is whole and none is partial;
    returns the next transaction number to use."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = dict(
            conn.execute(
                "SELECT t.id, count(m.id) FROM threads t LEFT JOIN messages m "
                "ON m.thread_id = t.id GROUP BY t.id"
            ).fetchall()
        )
        (memory,) = conn.execute("SELECT working_memory FROM resources WHERE id = 'r'").fetchone()
    finally:
        conn.close()
    present = sorted(int(t[1:]) for t in counts)
    assert all(count == MESSAGES for count in counts.values()), "a partial transaction"
    assert present == list(range(len(present))), "a hole in the committed sequence"
    assert len(present) - 1 >= committed, "a committed transaction was lost"
    assert orjson.loads(memory) == {"last": present[-1]}
    return len(present)


def soak(path: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    start = 0
    for _ in range(kills):
        committed = run_and_kill(path, start, rng)
        start = check_file(path, committed)


def test_kill_while_committing(tmp_path: Path) -> None:
    soak(tmp_path / "crash.db", kills=4, seed=1)


@pytest.mark.slow
def test_kill_while_committing_soak(tmp_path: Path) -> None:
    soak(tmp_path / "soak.db", kills=100, seed=2)
