"""One run of a workflow: start, stream, watch, resume, restart, cancel, events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mastra.errors import WorkflowError
from mastra.workflows._events import Emitter, Event, Unwatch
from mastra.workflows._executor import Executor
from mastra.workflows._metrics import metrics
from mastra.workflows._schema import to_json
from mastra.workflows._snapshots import Persister, RunState
from mastra.workflows._step import Step

if TYPE_CHECKING:
    from mastra.workflows._workflow import Workflow

__all__ = ["Run", "RunStatus", "WorkflowResult", "WorkflowStream"]

RunStatus = Literal["pending", "running", "success", "failed", "suspended", "waiting", "canceled"]


@dataclass(frozen=True)
class WorkflowResult:
    """How a run ended (or paused).

    Attributes:
        status: ``"success"``, ``"failed"``, ``"suspended"``, ``"waiting"`` or ``"canceled"``.
        result: The workflow's output on success.
        error: What failed (naming the step) when ``status == "failed"``.
        steps: Each step's result by id (``{"status", "output", ...}``).
        suspended: The suspended steps, as id paths (``[["approve"]]``).
        run_id: The run's id.
        state: The run's shared state.
    """

    status: str
    result: Any = None
    error: str | None = None
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    suspended: list[list[str]] = field(default_factory=list)
    run_id: str = ""
    state: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON object."""
        return {
            "status": self.status,
            "result": self.result,
            "error": self.error,
            "steps": self.steps,
            "suspended": self.suspended,
            "runId": self.run_id,
            "state": self.state,
        }


class WorkflowStream:
    """The events of a run as they happen: ``async for event in stream``; then
    ``await stream.result()``."""

    def __init__(self, queue: asyncio.Queue[Event | None], task: asyncio.Task[WorkflowResult]):
        self._queue = queue
        self._task = task

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    async def result(self) -> WorkflowResult:
        """The run's result (waits for it)."""
        return await self._task


class Run:
    """One execution of a workflow; made by :meth:`Workflow.create_run`."""

    def __init__(
        self,
        workflow: Workflow,
        run_id: str,
        persister: Persister,
        *,
        resource_id: str | None = None,
        state: RunState | None = None,
    ) -> None:
        self.workflow = workflow
        self.run_id = run_id
        self.resource_id = resource_id
        self._persister = persister
        self._st = state
        self._emitter = Emitter(run_id)
        self._task: asyncio.Task[Any] | None = None
        self._cancel_requested = False

    @property
    def status(self) -> str:
        """The run's status as this object knows it (``"pending"`` before start)."""
        return self._st.status if self._st is not None else "pending"

    def watch(self, callback: Callable[[Event], Any]) -> Unwatch:
        """Calls ``callback(event)`` for each event of this run; returns an unwatch."""
        return self._emitter.watch(callback)

    async def start(self, input_data: Any = None, initial_state: Any = None) -> WorkflowResult:
        """Runs the workflow from the start with ``input_data``.

        Raises:
            WorkflowError: The input or initial state does not follow its schema, or the
                run was started already.
        """
        if self._st is not None and self._st.status != "pending":
            raise WorkflowError(f"run {self.run_id!r} was started already", run_id=self.run_id)
        wf = self.workflow
        st = RunState(wf.id, self.run_id, self.resource_id)
        st.input = wf.input_schema.dump(
            wf.input_schema.validate(input_data, "the input of workflow", wf.id)
        )
        state = {} if initial_state is None else initial_state
        st.state = wf.state_schema.dump(wf.state_schema.validate(state, "the initial state"))
        st.last = st.input
        self._st = st
        return await self._drive({})

    def start_sync(self, input_data: Any = None, initial_state: Any = None) -> WorkflowResult:
        """:meth:`start` for scripts: runs it on a new event loop (not inside one)."""
        return asyncio.run(self.start(input_data, initial_state))

    def stream(self, input_data: Any = None, initial_state: Any = None) -> WorkflowStream:
        """Starts the run in a task and streams its events (see :class:`WorkflowStream`)."""
        return self._streaming(self.start(input_data, initial_state))

    def _streaming(self, coro: Coroutine[Any, Any, WorkflowResult]) -> WorkflowStream:
        queue = self._emitter.open_queue()
        task = asyncio.ensure_future(coro)
        # A call that fails before the run ends (bad input...) still ends the stream.
        task.add_done_callback(lambda _: self._emitter.close_queues())
        return WorkflowStream(queue, task)

    def resume_stream(
        self, step: Step | str | Sequence[Step | str] | None = None, resume_data: Any = None
    ) -> WorkflowStream:
        """:meth:`resume` in a task, streaming its events (see :class:`WorkflowStream`)."""
        return self._streaming(self.resume(step, resume_data))

    async def resume(
        self, step: Step | str | Sequence[Step | str] | None = None, resume_data: Any = None
    ) -> WorkflowResult:
        """Resumes a suspended step with ``resume_data`` (or continues a run that was
        left running by a dead process, from its last completed step).

        Args:
            step: The suspended step (an id, a step, or a path into nested workflows);
                may be omitted when one step is suspended.
            resume_data: What the step sees as ``ctx.resume_data``.

        Raises:
            WorkflowError: No such run, it is not suspended/running, or ``step`` is not
                one of its suspended steps.
        """
        st = await self._load()
        if st.status == "running" and self._task is None:
            return await self._drive({})
        if st.status != "suspended":
            raise WorkflowError(
                f"run {self.run_id!r} is {st.status}, not suspended", run_id=self.run_id
            )
        top, path = _target(st, step, self.run_id)
        target = self.workflow.find_step(top)
        if target is not None and not path:
            resume_data = target.resume_schema.validate(
                resume_data, "the resume data of step", top, step=top
            )
        return await self._drive({top: (resume_data, path)})

    async def restart(self) -> WorkflowResult:
        """Continues a run left ``running`` (its process died) from its last completed
        step; steps already done are not run again."""
        st = await self._load()
        if st.status != "running":
            raise WorkflowError(f"run {self.run_id!r} is {st.status}, not running")
        return await self._drive({})

    async def send_event(self, name: str, data: Any = None) -> WorkflowResult | None:
        """Delivers an event: a run waiting for it goes on (and this returns its
        result); otherwise the event is kept until the run waits for it."""
        st = await self._load()
        step_id = st.waiting.get(name)
        if step_id is None or st.status != "waiting":
            st.events[name] = to_json(data)
            await self._persister.save(st)
            if self._task is None:  # kept for the run: not a claim to execute it
                await self._release(st)
            return None
        return await self._drive({step_id: (data, [])})

    async def cancel(self) -> None:
        """Cancels the run: a running one stops at its next await; a paused one is
        marked ``canceled``."""
        if self._task is not None:
            self._cancel_requested = True
            self._task.cancel()
            return
        st = await self._load()
        if st.status in ("suspended", "waiting", "running", "pending"):
            st.status = "canceled"
            await self._persister.save(st)
            self._finish(st)

    async def _load(self) -> RunState:
        if self._st is None:
            snapshot = await self.workflow.get_run(self.run_id)
            if snapshot is None:
                raise WorkflowError(f"no run {self.run_id!r} of workflow {self.workflow.id!r}")
            self._st = RunState.from_snapshot(snapshot)
        return self._st

    async def _drive(self, resume: dict[str, tuple[Any, list[str]]]) -> WorkflowResult:
        st = self._st
        if st is None:
            raise WorkflowError(f"run {self.run_id!r} has no state", run_id=self.run_id)
        wf = self.workflow
        ex = Executor(wf, st, self._persister, self._emitter, wf.mastra, resume)
        self._task = asyncio.current_task()
        self._cancel_requested = False
        try:
            await ex.run()
        except asyncio.CancelledError:
            if not self._cancel_requested:
                await self._release(st)
                raise
            uncancel = getattr(self._task, "uncancel", None)
            if uncancel is not None:
                uncancel()
            st.status = "canceled"
            await self._persister.save(st)
        except BaseException:
            await self._release(st)
            raise
        finally:
            self._task = None
        self._finish(st)
        return _result(st)

    async def _release(self, st: RunState) -> None:
        """Gives up the run's lease when its execution stops on an error: it stays
        ``running``, for this process or another to restart."""
        with contextlib.suppress(Exception):
            await self._persister.release(st)

    def _finish(self, st: RunState) -> None:
        metrics.workflow(self.workflow.id).runs[st.status] += 1
        emitter = self._emitter
        if emitter.active:
            if st.status == "canceled":
                emitter.emit("workflow-canceled", {"runId": st.run_id})
            emitter.emit(
                "workflow-finish",
                {"workflowStatus": st.status, "result": st.result, "error": st.error},
            )
            emitter.close_queues()


def _result(st: RunState) -> WorkflowResult:
    return WorkflowResult(
        status=st.status,
        result=st.result if st.status == "success" else None,
        error=st.error,
        steps=dict(st.steps),
        suspended=[list(p) for p in st.suspended.values()],
        run_id=st.run_id,
        state=st.state,
    )


def _target(
    st: RunState, step: Step | str | Sequence[Step | str] | None, run_id: str
) -> tuple[str, list[str]]:
    """The suspended top-level step to resume, and the path inside it."""
    if step is None:
        if len(st.suspended) != 1:
            raise WorkflowError(
                f"run {run_id!r} has {len(st.suspended)} suspended steps: name one",
                suspended=sorted(st.suspended),
            )
        top, path = next(iter(st.suspended.items()))
        return top, path[1:]
    wanted = [step] if isinstance(step, (str, Step)) else list(step)
    ids = [s if isinstance(s, str) else s.id for s in wanted]
    for top, path in st.suspended.items():
        # A full path, or one id: the suspended step itself or the top-level step
        # (a nested workflow) that holds it.
        if path == ids or (len(ids) == 1 and ids[0] in (top, path[-1])):
            return top, path[1:]
    raise WorkflowError(
        f"step {'/'.join(ids)!r} is not suspended in run {run_id!r}",
        step=ids,
        suspended=sorted(st.suspended),
    )
