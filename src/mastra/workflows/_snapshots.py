"""A run's state, its JSON snapshot, and where snapshots are kept.

The snapshot holds everything needed to continue a run in another process: the
input, the shared state, every step's result, the position in the workflow's
sequence, the progress inside the entry at that position (loop iteration, foreach
items done, branches chosen) and what the run waits for. A step's result and the
position it moves to are written in one save, which is one storage transaction.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from mastra.storage import Storage

__all__ = [
    "ChildSnapshots",
    "LocalSnapshots",
    "Persister",
    "RunState",
    "StorageSnapshots",
    "now_ms",
]


_ACTIVE = frozenset({"running", "suspended", "waiting"})


def now_ms() -> int:
    """Milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


class RunState:
    """The mutable state of one run (the executor's working copy)."""

    __slots__ = (
        "created_at",
        "error",
        "events",
        "input",
        "last",
        "position",
        "progress",
        "resource_id",
        "result",
        "run_id",
        "state",
        "status",
        "steps",
        "suspended",
        "updated_at",
        "waiting",
        "workflow_id",
    )

    def __init__(self, workflow_id: str, run_id: str, resource_id: str | None = None) -> None:
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.resource_id = resource_id
        self.status = "pending"
        self.input: Any = None
        self.state: Any = {}
        self.steps: dict[str, dict[str, Any]] = {}
        self.position = 0
        self.last: Any = None
        self.progress: dict[str, dict[str, Any]] = {}
        self.suspended: dict[str, list[str]] = {}
        self.waiting: dict[str, str] = {}
        self.events: dict[str, Any] = {}
        self.result: Any = None
        self.error: str | None = None
        self.created_at = self.updated_at = now_ms()

    def to_snapshot(self) -> dict[str, Any]:
        """The state as a JSON object (containers copied one level deep, not values)."""
        return {
            "workflowId": self.workflow_id,
            "runId": self.run_id,
            "resourceId": self.resource_id,
            "status": self.status,
            "input": self.input,
            "state": self.state,
            "context": dict(self.steps),
            "position": self.position,
            "activePaths": [self.position] if self.status in _ACTIVE else [],
            "last": self.last,
            "progress": {k: dict(v) for k, v in self.progress.items()},
            "suspendedPaths": dict(self.suspended),
            "waiting": dict(self.waiting),
            "events": dict(self.events),
            "result": self.result,
            "error": self.error,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any]) -> RunState:
        """The state a snapshot holds (deep-copied, so the snapshot stays untouched)."""
        data = orjson.loads(orjson.dumps(snap))
        st = cls(data["workflowId"], data["runId"], data.get("resourceId"))
        st.status = data["status"]
        st.input = data.get("input")
        st.state = data.get("state", {})
        st.steps = data.get("context", {})
        st.position = data.get("position", 0)
        st.last = data.get("last")
        st.progress = data.get("progress", {})
        st.suspended = data.get("suspendedPaths", {})
        st.waiting = data.get("waiting", {})
        st.events = data.get("events", {})
        st.result = data.get("result")
        st.error = data.get("error")
        st.created_at = data.get("createdAt", st.created_at)
        st.updated_at = data.get("updatedAt", st.updated_at)
        return st


class Persister:
    """Saves one run's snapshots; the base class keeps nothing (nested workflows)."""

    async def save(self, st: RunState) -> None:
        """Saves the run's current snapshot."""


class StorageSnapshots(Persister):
    """Saves into a :class:`~mastra.storage.Storage`, one write (transaction) per save.

    Saves made concurrently (parallel branches) are serialised, and the snapshot is
    taken once the previous write is done, so the last write always holds every
    result; a save whose changes a later write already holds returns at once.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = asyncio.Lock()
        self._requested = 0
        self._written = 0

    async def save(self, st: RunState) -> None:
        self._requested += 1
        mine = self._requested
        async with self._lock:
            if self._written >= mine:
                return
            generation = self._requested
            st.updated_at = now_ms()
            snapshot = st.to_snapshot()
            await self.storage.save_workflow_snapshot(
                st.workflow_id, st.run_id, snapshot, status=st.status
            )
            self._written = generation


class LocalSnapshots(Persister):
    """Keeps runs in a dict of this process (a workflow without storage).

    The dict holds each run's live state, read as a snapshot on demand: a save costs
    nothing, and what is read is always the state after the last step.
    """

    def __init__(self, table: dict[str, RunState]) -> None:
        self.table = table

    async def save(self, st: RunState) -> None:
        st.updated_at = now_ms()
        self.table[st.run_id] = st


class ChildSnapshots(Persister):
    """Saves a nested workflow's run into its parent's step record, then saves the
    parent (and so on up): each nested step is as durable as a top-level one.

    Args:
        parent: The parent's executor (its ``st`` and ``persister`` are used).
        step_id: The parent's step that runs the nested workflow.
    """

    def __init__(self, parent: Any, step_id: str) -> None:
        self.parent = parent
        self.step_id = step_id

    async def save(self, st: RunState) -> None:
        parent_state: RunState = self.parent.st
        parent_state.steps[self.step_id] = {"status": "running", "child": st.to_snapshot()}
        await self.parent.persister.save(parent_state)
