"""The workflow: a sequence built step by step, validated, then run many times."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mastra.errors import ConfigError, WorkflowError
from mastra.workflows._executor import Executor
from mastra.workflows._graph import (
    BranchEntry,
    Condition,
    Entry,
    ForeachEntry,
    LoopEntry,
    MapEntry,
    ParallelEntry,
    Ref,
    SleepEntry,
    StepEntry,
    WaitEventEntry,
)
from mastra.workflows._run import Run, WorkflowResult
from mastra.workflows._schema import as_schema
from mastra.workflows._snapshots import (
    ChildSnapshots,
    LocalSnapshots,
    Persister,
    RunState,
    StorageSnapshots,
)
from mastra.workflows._step import Abort, Step, StepContext, Suspend
from mastra.workflows._validation import validate

__all__ = ["RetryConfig", "Workflow"]


@dataclass(frozen=True)
class RetryConfig:
    """How often a failed step is tried again (a step's own ``retries`` wins).

    Attributes:
        attempts: Extra attempts after the first failure.
        delay: Seconds to wait between attempts.
    """

    attempts: int = 0
    delay: float = 0.0


class Workflow(Step):
    """A sequence of steps, built with :meth:`then`, :meth:`parallel`, :meth:`branch`,
    loops and :meth:`foreach`, checked by :meth:`commit`, then run with
    :meth:`create_run`. A workflow is also a step: it can run inside another one.

    Each run is snapshotted after every step (to the ``storage`` given here, or the
    storage of the :class:`~mastra.Mastra` it is registered with, else in memory), so
    it can be resumed later, by another process, from its last completed step.

    Args:
        id: The workflow's name (unique in a :class:`~mastra.Mastra`).
        input_schema: The type of a run's input.
        output_schema: The type of its result (the last entry's output).
        state_schema: The type of the shared state steps read and set.
        retry: The default retries of its steps.
        storage: Where snapshots go (a :class:`~mastra.storage.Storage`).
        description: What the workflow does.

    Example:
        >>> import asyncio
        >>> from mastra.workflows import Workflow, step
        >>> @step
        ... async def double(x: int) -> int:
        ...     return 2 * x
        >>> @step
        ... def describe(x: int) -> str:
        ...     return f"got {x}"
        >>> wf = Workflow("demo", int, str).then(double).then(describe).commit()
        >>> result = asyncio.run(wf.create_run().start(21))
        >>> result.status, result.result
        ('success', 'got 42')
    """

    def __init__(
        self,
        id: str,
        input_schema: Any = Any,
        output_schema: Any = Any,
        *,
        state_schema: Any = None,
        retry: RetryConfig | None = None,
        storage: Any = None,
        description: str | None = None,
    ) -> None:
        super().__init__(
            id,
            _not_called,
            input_schema=input_schema,
            output_schema=output_schema,
            state_schema=state_schema,
            description=description,
        )
        self.retry = retry or RetryConfig()
        if self.retry.attempts < 0 or self.retry.delay < 0:
            raise ConfigError(f"workflow {id!r}: retry attempts and delay must be >= 0")
        self.entries: list[Entry] = []
        self.committed = False
        self.storage = storage
        self.mastra: Any = None
        self.nested = True
        self._local: dict[str, RunState] = {}

    # ---- builders --------------------------------------------------------------------

    def _add(self, entry: Entry) -> Workflow:
        if self.committed:
            raise WorkflowError(f"workflow {self.id!r} is committed: build before commit()")
        self.entries.append(entry)
        return self

    def _next_id(self, kind: str) -> str:
        return f"{kind}_{len(self.entries)}"

    def then(self, step: Step) -> Workflow:
        """Runs ``step`` on the previous entry's output."""
        return self._add(StepEntry(step.id, step))

    def map(
        self,
        mapping: Callable[[StepContext], Any] | Mapping[str, Ref | Any],
        *,
        id: str | None = None,
        output_schema: Any = Any,
    ) -> Workflow:
        """Builds the next input from earlier results: ``mapping(ctx)``, or a dict of
        :func:`from_step` / :func:`from_init` / :func:`constant` (or plain values)."""
        entry_id = id or self._next_id("mapping")
        return self._add(MapEntry(entry_id, mapping, as_schema(output_schema)))

    def parallel(self, steps: Sequence[Step]) -> Workflow:
        """Runs ``steps`` concurrently on the same input; the output is ``{id: output}``."""
        if not steps:
            raise WorkflowError(f"workflow {self.id!r}: parallel() needs at least one step")
        return self._add(ParallelEntry(self._next_id("parallel"), list(steps)))

    def branch(self, branches: Sequence[tuple[Condition, Step]]) -> Workflow:
        """Runs each step whose condition holds (concurrently); the output is
        ``{id: output}`` of those that ran."""
        if not branches:
            raise WorkflowError(f"workflow {self.id!r}: branch() needs at least one branch")
        conditions = [cond for cond, _ in branches]
        children = [child for _, child in branches]
        return self._add(BranchEntry(self._next_id("branch"), conditions, children))

    def dowhile(self, step: Step, condition: Condition) -> Workflow:
        """Runs ``step``, then again on its own output while ``condition`` holds."""
        return self._add(LoopEntry(self._next_id("dowhile"), step, condition, until=False))

    def dountil(self, step: Step, condition: Condition) -> Workflow:
        """Runs ``step``, then again on its own output until ``condition`` holds."""
        return self._add(LoopEntry(self._next_id("dountil"), step, condition, until=True))

    def foreach(self, step: Step, *, concurrency: int = 1) -> Workflow:
        """Runs ``step`` on each item of the previous (list) output, at most
        ``concurrency`` at a time; the output is the list of outputs, in order."""
        if concurrency < 1:
            raise ConfigError(f"foreach {step.id!r}: concurrency must be >= 1", step=step.id)
        return self._add(ForeachEntry(self._next_id("foreach"), step, concurrency))

    def sleep(
        self, seconds: float | Callable[[StepContext], Any], *, id: str | None = None
    ) -> Workflow:
        """Waits ``seconds`` (or ``seconds(ctx)``); the data passes through."""
        return self._add(SleepEntry(id or self._next_id("sleep"), seconds=seconds))

    def sleep_until(
        self, moment: datetime | Callable[[StepContext], Any], *, id: str | None = None
    ) -> Workflow:
        """Waits until ``moment`` (or ``moment(ctx)``); the data passes through."""
        return self._add(SleepEntry(id or self._next_id("sleep"), until=moment))

    def wait_for_event(self, event: str, step: Step) -> Workflow:
        """Pauses the run (status ``"waiting"``) until ``run.send_event(event, data)``,
        then runs ``step`` with ``ctx.resume_data = data``."""
        return self._add(WaitEventEntry(step.id, event, step))

    def commit(self) -> Workflow:
        """Validates the graph and freezes it.

        Raises:
            WorkflowError: The graph is invalid (the message names the step).
        """
        validate(self)
        self.committed = True
        return self

    # ---- runs ------------------------------------------------------------------------

    def _persister(self) -> Persister:
        storage = self.storage
        if storage is None and self.mastra is not None:
            storage = getattr(self.mastra, "storage", None)
        return StorageSnapshots(storage) if storage is not None else LocalSnapshots(self._local)

    def _storage(self) -> Any:
        persister = self._persister()
        return persister.storage if isinstance(persister, StorageSnapshots) else None

    def attach_mastra(self, mastra: Any) -> None:
        """Called by :class:`~mastra.Mastra`: steps see it as ``ctx.mastra``."""
        self.mastra = mastra

    def create_run(self, run_id: str | None = None, resource_id: str | None = None) -> Run:
        """A new run (a uuid4 id unless given); start it with ``await run.start(...)``.

        Raises:
            WorkflowError: The workflow was not committed.
        """
        if not self.committed:
            raise WorkflowError(f"workflow {self.id!r}: call commit() before create_run()")
        return Run(self, run_id or str(uuid.uuid4()), self._persister(), resource_id=resource_id)

    async def load_run(self, run_id: str) -> Run:
        """The saved run ``run_id`` (to resume, restart, cancel or send events to).

        Raises:
            WorkflowError: No such run.
        """
        snapshot = await self.get_run(run_id)
        if snapshot is None:
            raise WorkflowError(f"no run {run_id!r} of workflow {self.id!r}", run_id=run_id)
        st = RunState.from_snapshot(snapshot)
        return Run(self, run_id, self._persister(), resource_id=st.resource_id, state=st)

    async def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The JSON snapshot of a run, or None."""
        storage = self._storage()
        if storage is None:
            st = self._local.get(run_id)
            return None if st is None else st.to_snapshot()
        record = await storage.load_workflow_snapshot(self.id, run_id)
        if record is None:
            return None
        snapshot = dict(record.snapshot)
        snapshot.setdefault("context", {})  # a run saved before its first step
        return snapshot

    async def delete_run(self, run_id: str) -> bool:
        """Forgets a saved run; False if there was none."""
        storage = self._storage()
        if storage is None:
            return self._local.pop(run_id, None) is not None
        deleted: bool = await storage.delete_workflow_snapshot(self.id, run_id)
        return deleted

    async def list_runs(
        self, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The runs, most recently updated first, as JSON summaries
        (``runId``, ``status``, ``resourceId``, ``createdAt``, ``updatedAt``)."""
        storage = self._storage()
        if storage is None:
            snaps = [st.to_snapshot() for st in self._local.values()]
            snaps.sort(key=lambda s: s["updatedAt"], reverse=True)
            snaps = [s for s in snaps if status is None or s["status"] == status]
            return [_summary(s) for s in snaps[offset : offset + limit]]
        records = await storage.list_workflow_snapshots(
            self.id, status=status, limit=limit, offset=offset
        )
        return [_summary(r.snapshot) for r in records]

    async def resume_run(
        self, run_id: str, *, step: Any = None, resume_data: Any = None
    ) -> WorkflowResult:
        """Resumes a saved run: a suspended step with ``resume_data``, or a run left
        running by a dead process from its last completed step."""
        run = await self.load_run(run_id)
        return await run.resume(step=step, resume_data=resume_data)

    async def restart(self, run_id: str) -> WorkflowResult:
        """Continues a run left ``running`` by a dead process (see :meth:`Run.restart`)."""
        return await (await self.load_run(run_id)).restart()

    def find_step(self, step_id: str) -> Step | None:
        """The step of this workflow (not of nested ones) with that id, or None."""
        for entry in self.entries:
            for candidate in entry.steps():
                if candidate.id == step_id:
                    return candidate
        return None

    def describe(self) -> dict[str, Any]:
        """The workflow as JSON: its schemas and its entries with their steps."""
        info = super().describe()
        info["entries"] = [
            {"type": type(e).__name__.removesuffix("Entry").lower(), "id": e.id,
             "steps": [s.describe() for s in e.steps()]}
            for e in self.entries
        ]  # fmt: skip
        return info

    # ---- as a step of another workflow -----------------------------------------------

    async def invoke(self, ctx: StepContext, child: dict[str, Any] | None = None) -> Any:
        """Runs this workflow inside a parent's step.

        Its snapshot lives in the parent's step record: saved with the parent's after
        each of its own steps (``child["persist"]``), so a restarted parent continues
        it from its last completed step (``child["snapshot"]``), or resumes the step
        it suspended at (``child["path"]``).
        """
        parent: Any = ctx._run
        child = child or {}
        resume: dict[str, tuple[Any, list[str]]] = {}
        if child.get("snapshot") is not None:
            st = RunState.from_snapshot(child["snapshot"])
            path: list[str] | None = child.get("path")
            if path:
                resume[path[0]] = (ctx.resume_data, path[1:])
            elif path is not None and len(st.suspended) == 1:
                resume[next(iter(st.suspended))] = (ctx.resume_data, [])
        else:
            st = RunState(self.id, ctx.run_id)
            st.input = st.last = self.input_schema.dump(ctx.input_data)
        persister = ChildSnapshots(parent, ctx.step_id) if child.get("persist") else Persister()
        emitter = parent.emitter.nested(ctx.step_id)  # its steps show in the parent's stream
        ex = Executor(self, st, persister, emitter, parent.mastra, resume)
        await ex.run()
        if st.status == "success":
            return st.result
        if st.status == "suspended":
            top, inner = next(iter(st.suspended.items()))
            payload = st.steps[top].get("suspendPayload")
            raise Suspend(payload, child=st.to_snapshot(), path=inner)
        if st.status == "canceled":
            raise Abort()
        raise WorkflowError(f"nested workflow {self.id!r} {st.status}: {st.error}")


async def _not_called(ctx: StepContext) -> Any:
    raise WorkflowError("a workflow runs through invoke()")


def _summary(snapshot: dict[str, Any]) -> dict[str, Any]:
    keys = ("workflowId", "runId", "status", "resourceId", "createdAt", "updatedAt", "error")
    return {key: snapshot.get(key) for key in keys}
