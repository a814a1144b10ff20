"""A run's state, its JSON snapshot, and where snapshots are kept.

The snapshot holds everything needed to continue a run in another process: the
input, the shared state, every step's result, the position in the workflow's
sequence, the progress inside the entry at that position (loop iteration, foreach
items done, branches chosen) and what the run waits for. A step's result and the
position it moves to are written in one save, which is one storage transaction.

A save to storage writes the run's header (the snapshot without the step results)
and only the step records changed since the last save, so a step costs the same at
the end of a long run as at its start. The save also holds the run's lease: while a
process runs it, another process can neither resume nor restart it (the lease lapses
``lease_ms`` after the last save, so a dead owner's run can be taken over).
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from typing import Any

import orjson

from mastra.errors import StorageError, WorkflowConflictError
from mastra.storage import Storage

__all__ = [
    "LEASE_MS",
    "ChildSnapshots",
    "LocalSnapshots",
    "Persister",
    "RunState",
    "StepRecords",
    "StorageSnapshots",
    "now_ms",
]

LEASE_MS = 60_000
"""How long a run stays its process's after a save (each step's save renews it)."""

_HOST = socket.gethostname()


_ACTIVE = frozenset({"running", "suspended", "waiting"})


def now_ms() -> int:
    """Milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


class StepRecords(dict[str, dict[str, Any]]):
    """The step records of a run by step id, remembering which were set since the
    last save (records are replaced, never changed in place)."""

    __slots__ = ("changed",)

    def __init__(self, records: dict[str, dict[str, Any]] | None = None) -> None:
        super().__init__(records or {})
        self.changed: set[str] = set(self)

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        super().__setitem__(key, value)
        self.changed.add(key)

    def take_changed(self) -> set[str]:
        """The ids set since the last call."""
        changed, self.changed = self.changed, set()
        return changed


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
        self.steps = StepRecords()
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
        snapshot = self.header()
        snapshot["context"] = dict(self.steps)
        return snapshot

    def header(self) -> dict[str, Any]:
        """The snapshot without the step records (``"context"``)."""
        return {
            "workflowId": self.workflow_id,
            "runId": self.run_id,
            "resourceId": self.resource_id,
            "status": self.status,
            "input": self.input,
            "state": self.state,
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
        # Every record counts as changed: the first save writes them all, whatever
        # form (whole snapshot or step rows) they were read from.
        st.steps = StepRecords(data.get("context", {}))
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

    async def release(self, st: RunState) -> None:
        """Gives up this persister's lease on the run, if it holds one."""


class StorageSnapshots(Persister):
    """Saves into a :class:`~mastra.storage.Storage`, one write (transaction) per save:
    the run's header and the step records changed since the previous save.

    Saves made concurrently (parallel branches) are serialised, and the snapshot is
    taken once the previous write is done, so the last write always holds every
    result; a save whose changes a later write already holds returns at once.

    Each save while the run is ``running`` takes or renews this persister's lease on
    the run for ``lease_ms``; a save that ends or pauses the run releases it.

    Raises:
        WorkflowConflictError: (from :meth:`save`) another process holds the run's lease.
    """

    def __init__(self, storage: Storage, lease_ms: int = LEASE_MS) -> None:
        self.storage = storage
        self.lease_ms = lease_ms
        self.owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._lock = asyncio.Lock()
        self._requested = 0
        self._written = 0
        self._held = False  # the lease: saves renew it, and may not take it back

    async def save(self, st: RunState) -> None:
        self._requested += 1
        mine = self._requested
        async with self._lock:
            if self._written >= mine:
                return
            generation = self._requested
            st.updated_at = now_ms()
            await self._write(st)
            self._written = generation

    async def release(self, st: RunState) -> None:
        self._held = False
        await self.storage.release_workflow_lease(st.workflow_id, st.run_id, self.owner)

    async def _write(self, st: RunState) -> None:
        steps = st.steps
        changed = steps.take_changed() if isinstance(steps, StepRecords) else set(steps)
        lease_ms = self.lease_ms if st.status == "running" else 0
        try:
            records = {sid: _json(steps[sid]) for sid in changed}
            holder = await self.storage.save_workflow_run(
                st.workflow_id,
                st.run_id,
                _json(st.header()),
                records,
                status=st.status,
                owner=self.owner,
                lease_ms=lease_ms,
                renew=self._held,
            )
        except BaseException:
            if isinstance(steps, StepRecords):
                steps.changed |= changed  # written next time
            raise
        if holder is None:
            self._held = lease_ms > 0
            return
        if isinstance(steps, StepRecords):
            steps.changed |= changed
        await self._refused(st, holder)

    async def _refused(self, st: RunState, holder: str) -> None:
        """Handles a save the lease refused: takes over from a dead owner of this
        host, or raises."""
        if self._held:
            self._held = False
            raise WorkflowConflictError(
                f"run {st.run_id!r} of workflow {st.workflow_id!r} was taken over by "
                f"{holder or 'another process'} after this process's lease lapsed; "
                "this process stops executing it",
                run_id=st.run_id,
                owner=holder,
            )
        if _dead_here(holder) and await self.storage.release_workflow_lease(
            st.workflow_id, st.run_id, holder
        ):
            await self._write(st)  # its owner died on this host: take the run over
            return
        raise WorkflowConflictError(
            f"run {st.run_id!r} of workflow {st.workflow_id!r} is being executed by "
            f"another process ({holder}); retry once it pauses or ends, or after its "
            f"lease ({self.lease_ms / 1000:g} s from its last step) lapses if it died",
            run_id=st.run_id,
            owner=holder,
        )


def _dead_here(owner: str) -> bool:
    """Whether a lease owner is a process of this host that no longer exists (so its
    lease need not run out before another process continues its run)."""
    rest, _, _ = owner.rpartition(":")
    host, _, pid_text = rest.rpartition(":")
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, but not ours to signal
        return False
    return False


def _json(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        raise StorageError(f"value is not JSON-serialisable: {exc}") from None


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
