"""Runs a workflow's entries from a run's position until it ends or pauses."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime, timezone
from time import perf_counter
from typing import TYPE_CHECKING, Any

from mastra.errors import WorkflowError
from mastra.workflows._events import Emitter
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
from mastra.workflows._metrics import metrics
from mastra.workflows._schema import to_json
from mastra.workflows._snapshots import Persister, RunState, now_ms
from mastra.workflows._step import Abort, Bail, Step, StepContext, Suspend

if TYPE_CHECKING:
    from mastra.workflows._workflow import Workflow

__all__ = ["Executor", "Failed", "Paused"]


class Paused(BaseException):
    """The run stops here for now: ``status`` is ``"suspended"`` or ``"waiting"``."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class Failed(BaseException):
    """A step failed for good; the run fails with ``message``."""

    def __init__(self, step_id: str, message: str) -> None:
        super().__init__(message)
        self.step_id = step_id
        self.message = message


async def _gather_all(coros: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Runs coroutines concurrently; if one raises, the others are cancelled first."""
    if len(coros) == 1:
        return [await coros[0]]
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class Executor:
    """Executes one run of a workflow (see :class:`~mastra.workflows.Run`).

    Args:
        workflow: The committed workflow.
        st: The run's state, moved forward in place.
        persister: Where snapshots go after every step.
        emitter: Where events go.
        mastra: The registry steps see as ``ctx.mastra``.
        resume: Resume data by step id, with the path inside a nested workflow.
    """

    def __init__(
        self,
        workflow: Workflow,
        st: RunState,
        persister: Persister,
        emitter: Emitter,
        mastra: Any = None,
        resume: dict[str, tuple[Any, list[str]]] | None = None,
    ) -> None:
        self.wf = workflow
        self.st = st
        self.persister = persister
        self.emitter = emitter
        self.mastra = mastra
        self.run_id = st.run_id
        self.resume = resume or {}
        self._counts: dict[str, int] = {}
        self.counters = metrics.workflow(workflow.id)
        self._handlers: dict[type[Entry], Callable[[Any, Any], Awaitable[Any]]] = {
            ParallelEntry: self._parallel,
            BranchEntry: self._branch,
            LoopEntry: self._loop,
            ForeachEntry: self._foreach,
            MapEntry: self._map,
            SleepEntry: self._sleep,
            WaitEventEntry: self._wait_event,
        }

    # ---- what steps reach (RunAccess) ------------------------------------------------

    def step_output(self, step_id: str) -> Any:
        record = self.st.steps.get(step_id)
        return record.get("output") if record and record["status"] == "success" else None

    def init_data(self) -> Any:
        return self.st.input

    def get_state(self) -> Any:
        return self.st.state

    def put_state(self, value: Any) -> None:
        schema = self.wf.state_schema
        self.st.state = schema.dump(schema.validate(value, "the new state", workflow=self.wf.id))

    def step_event(self, step_id: str, data: Any) -> None:
        if self.emitter.active:
            self.emitter.emit("workflow-step-output", {"id": step_id, "output": to_json(data)})

    # ---- the run ---------------------------------------------------------------------

    async def run(self) -> None:
        """Runs until the end or a pause; the outcome is in ``st`` (and saved)."""
        st = self.st
        st.status, st.error = "running", None
        if self.emitter.active:
            self.emitter.emit("workflow-start", {"runId": st.run_id, "workflowId": self.wf.id})
        await self.persister.save(st)
        try:
            await self._entries()
            return
        except Paused as paused:
            st.status = paused.status
        except Suspend:
            st.status = "suspended"
        except Failed as failed:
            st.status, st.error = "failed", failed.message
        except Bail as bail:
            st.status, st.result = "success", to_json(bail.result)
        except Abort:
            st.status = "canceled"
        await self.persister.save(st)

    async def _entries(self) -> None:
        st = self.st
        entries = self.wf.entries
        last = len(entries)
        if st.position >= last:  # every entry done (a run saved just before its end)
            self._succeed(st.last)
            await self.persister.save(st)
        while st.position < last:
            entry = entries[st.position]
            if type(entry) is StepEntry:
                output = await self._run_step(entry.step, st.last)
            else:
                output = await self._handlers[type(entry)](entry, st.last)
            st.last = output
            st.position += 1
            if st.position == last:
                self._succeed(output)
            await self.persister.save(st)

    def _succeed(self, output: Any) -> None:
        st = self.st
        schema = self.wf.output_schema
        try:
            result = schema.dump(schema.validate(output, "the output of workflow", self.wf.id))
        except WorkflowError as exc:
            st.status, st.error = "failed", exc.message
            return
        st.status, st.result = "success", result

    # ---- steps -----------------------------------------------------------------------

    async def _run_step(self, step: Step, value: Any) -> Any:
        """Runs a step with its retries, records its result and returns its output.

        Raises:
            Suspend: The step suspended (recorded).
            Failed: The step failed (recorded).
        """
        sid = step.id
        started = now_ms()
        t0 = perf_counter()
        emitter = self.emitter
        if emitter.active:
            emitter.emit("workflow-step-start", {"id": sid, "payload": value, "startedAt": started})
        try:
            output = await self._call_step(step, value)
        except Suspend as signal:
            self._record_suspended(step, signal, started)
            self.counters.step_finished("suspended", perf_counter() - t0)
            raise
        except Exception as exc:
            message = _message(sid, exc)
            self.st.steps[sid] = {
                "status": "failed", "error": message, "startedAt": started, "endedAt": now_ms(),
            }  # fmt: skip
            self.counters.step_finished("failed", perf_counter() - t0)
            if emitter.active:
                self._emit_result(sid, "failed", None, message)
            raise Failed(sid, message) from exc
        self.st.steps[sid] = {
            "status": "success", "output": output, "startedAt": started, "endedAt": now_ms(),
        }  # fmt: skip
        self.counters.step_finished("success", perf_counter() - t0)
        if emitter.active:
            self._emit_result(sid, "success", output, None)
        return output

    def _emit_result(self, sid: str, status: str, output: Any, error: str | None) -> None:
        payload = {"id": sid, "status": status, "output": output, "endedAt": now_ms()}
        if error is not None:
            payload["error"] = error
        self.emitter.emit("workflow-step-result", payload)
        self.emitter.emit("workflow-step-finish", {"id": sid, "metadata": {}})

    def _record_suspended(self, step: Step, signal: Suspend, started: int) -> None:
        sid = step.id
        payload = to_json(signal.payload)
        record: dict[str, Any] = {
            "status": "suspended", "suspendPayload": payload, "startedAt": started,
            "suspendedAt": now_ms(),
        }  # fmt: skip
        if signal.child is not None:
            record["child"] = signal.child
        self.st.steps[sid] = record
        self.st.suspended[sid] = [sid, *signal.path]
        if self.emitter.active:
            self.emitter.emit("workflow-step-suspended", {"id": sid, "suspendPayload": payload})

    async def _call_step(self, step: Step, value: Any, durable: bool = True) -> Any:
        """Validates the input, runs the attempts, validates and dumps the output.

        ``durable`` is False for foreach items: their nested workflows (many at once
        under one step id) are not saved step by step.
        """
        sid = step.id
        data = step.input_schema.validate(value, "the input of step", sid)
        if self.resume and sid in self.resume:
            resume_data, child, suspended = self._take_resume(step)
        else:
            resume_data = child = suspended = None
            if step.nested:
                child = self._nested_restart(sid, durable)
        count = self._counts.get(sid, 0)
        self._counts[sid] = count + 1
        ctx = StepContext(self, sid, data, resume_data, suspended, count)
        if step.timeout is None and not (step.retries or self.wf.retry.attempts):
            output = await step.invoke(ctx, child)
        else:
            output = await self._attempts(step, ctx, child)
        schema = step.output_schema
        return schema.dump(schema.validate(output, "the output of step", sid))

    async def _attempts(self, step: Step, ctx: StepContext, child: dict[str, Any] | None) -> Any:
        """Runs a step that has a timeout or retries until an attempt succeeds."""
        sid = step.id
        attempts = step.retries or self.wf.retry.attempts
        for attempt in range(attempts + 1):
            if attempt:
                if self.wf.retry.delay:
                    await asyncio.sleep(self.wf.retry.delay)
                count = self._counts[sid]
                self._counts[sid] = count + 1
                ctx = StepContext(
                    self, sid, ctx.input_data, ctx.resume_data, ctx.suspend_data, count
                )
            try:
                if step.timeout is None:
                    return await step.invoke(ctx, child)
                return await asyncio.wait_for(step.invoke(ctx, child), step.timeout)
            except Exception as exc:
                if attempt < attempts:
                    continue
                if isinstance(exc, asyncio.TimeoutError) and step.timeout is not None:
                    raise WorkflowError(
                        f"timed out after {step.timeout} s", step=sid, timeout=step.timeout
                    ) from exc
                raise
        raise WorkflowError(f"step {sid!r} made no attempt", step=sid)  # unreachable

    def _nested_restart(self, step_id: str, durable: bool) -> dict[str, Any]:
        """How a nested workflow starts: from its saved run if it was under way."""
        record = self.st.steps.get(step_id) or {}
        running = durable and record.get("status") == "running"
        return {"snapshot": record.get("child") if running else None, "persist": durable}

    def _take_resume(self, step: Step) -> tuple[Any, dict[str, Any] | None, Any]:
        """The resume data for ``step``, its nested run if any, and what it suspended with."""
        data, path = self.resume.pop(step.id)
        record = self.st.steps.get(step.id) or {}
        self.st.suspended.pop(step.id, None)
        child = record.get("child")
        payload = record.get("suspendPayload")
        if child is None:
            schema = step.resume_schema
            return schema.validate(data, "the resume data of step", step.id), None, payload
        return data, {"snapshot": child, "path": path, "persist": True}, payload

    async def _guarded(self, step: Step, value: Any) -> tuple[str, Any]:
        """Runs a step of a parallel group, turning its outcome into a value."""
        try:
            output = await self._run_step(step, value)
        except Suspend:
            return "suspended", None
        except Failed as failed:
            return "failed", failed
        await self.persister.save(self.st)
        return "success", output

    async def _group(self, children: list[Step], value: Any) -> dict[str, Any]:
        steps = self.st.steps
        todo = [c for c in children if steps.get(c.id, {}).get("status") != "success"]
        outcomes = await _gather_all([self._guarded(c, value) for c in todo])
        for status, detail in outcomes:
            if status == "failed":
                raise detail
        if any(status == "suspended" for status, _ in outcomes):
            raise Paused("suspended")
        return {c.id: steps[c.id].get("output") for c in children}

    # ---- composite entries -----------------------------------------------------------

    async def _parallel(self, entry: ParallelEntry, value: Any) -> Any:
        return await self._group(entry.children, value)

    async def _branch(self, entry: BranchEntry, value: Any) -> Any:
        progress = self.st.progress.get(entry.id)
        if progress is None:
            chosen = [
                child.id
                for cond, child in zip(entry.conditions, entry.children, strict=True)
                if await self._test(cond, entry.id, value)
            ]
            progress = self.st.progress[entry.id] = {"chosen": chosen}
        picked = set(progress["chosen"])
        output = await self._group([c for c in entry.children if c.id in picked], value)
        del self.st.progress[entry.id]
        return output

    async def _test(self, cond: Condition, entry_id: str, value: Any) -> bool:
        if isinstance(cond, bool):
            return cond
        try:
            outcome = cond(StepContext(self, entry_id, value))
            if inspect.isawaitable(outcome):
                outcome = await outcome
        except Exception as exc:
            raise Failed(entry_id, f"the condition of {entry_id!r} failed: {exc!r}") from exc
        return bool(outcome)

    async def _loop(self, entry: LoopEntry, value: Any) -> Any:
        progress = self.st.progress.get(entry.id)
        iteration = 0
        if progress is not None:
            iteration, value = progress["iteration"], progress["output"]
            if not await self._again(entry, value):
                del self.st.progress[entry.id]
                return value
        while True:
            value = await self._run_step(entry.step, value)
            iteration += 1
            self.st.progress[entry.id] = {"iteration": iteration, "output": value}
            await self.persister.save(self.st)
            if not await self._again(entry, value):
                del self.st.progress[entry.id]
                return value

    async def _again(self, entry: LoopEntry, value: Any) -> bool:
        outcome = await self._test(entry.condition, entry.id, value)
        return not outcome if entry.until else outcome

    async def _map(self, entry: MapEntry, value: Any) -> Any:
        ctx = StepContext(self, entry.id, value)
        started = now_ms()
        try:
            if isinstance(entry.mapping, Mapping):
                output: Any = {k: _resolve(ref, ctx) for k, ref in entry.mapping.items()}
            else:
                output = entry.mapping(ctx)
                if inspect.isawaitable(output):
                    output = await output
            schema = entry.output_schema
            output = schema.dump(schema.validate(output, "the output of", entry.id))
        except Exception as exc:
            message = _message(entry.id, exc)
            self.st.steps[entry.id] = {"status": "failed", "error": message, "startedAt": started}
            raise Failed(entry.id, message) from exc
        self.st.steps[entry.id] = {
            "status": "success", "output": output, "startedAt": started, "endedAt": now_ms(),
        }  # fmt: skip
        return output

    async def _sleep(self, entry: SleepEntry, value: Any) -> Any:
        progress = self.st.progress.get(entry.id)
        if progress is None:
            wake = await self._wake_time(entry, value)
            progress = self.st.progress[entry.id] = {"wakeAt": wake}
            await self.persister.save(self.st)
            if self.emitter.active:
                self.emitter.emit("workflow-step-waiting", {"id": entry.id, "wakeAt": wake})
        delay = (progress["wakeAt"] - now_ms()) / 1000
        if delay > 0:
            await asyncio.sleep(delay)
        del self.st.progress[entry.id]
        self.st.steps[entry.id] = {"status": "success", "output": value, "endedAt": now_ms()}
        return value

    async def _wake_time(self, entry: SleepEntry, value: Any) -> int:
        spec: Any = entry.seconds if entry.seconds is not None else entry.until
        if callable(spec):
            spec = spec(StepContext(self, entry.id, value))
            if inspect.isawaitable(spec):
                spec = await spec
        if isinstance(spec, datetime):
            moment = spec if spec.tzinfo else spec.replace(tzinfo=timezone.utc)
            return int(moment.timestamp() * 1000)
        return now_ms() + int(float(spec) * 1000)

    async def _wait_event(self, entry: WaitEventEntry, value: Any) -> Any:
        sid = entry.step.id
        st = self.st
        if sid not in self.resume:
            if entry.event not in st.events:
                st.waiting[entry.event] = sid
                st.steps[sid] = {"status": "waiting", "event": entry.event, "startedAt": now_ms()}
                if self.emitter.active:
                    self.emitter.emit("workflow-step-waiting", {"id": sid, "event": entry.event})
                raise Paused("waiting")
            self.resume[sid] = (st.events.pop(entry.event), [])
        st.waiting.pop(entry.event, None)
        return await self._run_step(entry.step, value)

    async def _foreach(self, entry: ForeachEntry, items: Any) -> Any:
        step = entry.step
        if not isinstance(items, list):
            message = f"foreach {step.id!r} needs a list input, got {type(items).__name__}"
            self.st.steps[step.id] = {"status": "failed", "error": message}
            raise Failed(step.id, message)
        started = now_ms()
        if self.emitter.active:
            self.emitter.emit("workflow-step-start", {"id": step.id, "payload": items})
        outputs: dict[str, Any] = self.st.progress.setdefault(entry.id, {"outputs": {}})["outputs"]
        todo = iter([i for i in range(len(items)) if str(i) not in outputs])
        suspended: list[int] = []
        workers = min(entry.concurrency, len(items) - len(outputs)) or 1
        # Progress is saved every `every` items: at least once per `concurrency` items,
        # and at most ~64 times per foreach, so a long list costs O(n) to snapshot, not
        # O(n^2); after a crash, at most `every` finished items run again.
        every = max(entry.concurrency, len(items) // _FOREACH_SAVES)
        worker = _ForeachWorker(self, step, items, outputs, todo, suspended, every)
        try:
            await _gather_all([worker.run() for _ in range(workers)])
        except Exception as exc:
            message = _message(step.id, exc)
            self.st.steps[step.id] = {"status": "failed", "error": message, "startedAt": started}
            raise Failed(step.id, message) from exc
        if suspended:
            self.st.steps[step.id] = {"status": "suspended", "suspendPayload": {"items": suspended}}
            self.st.suspended[step.id] = [step.id]
            raise Paused("suspended")
        result = [outputs[str(i)] for i in range(len(items))]
        del self.st.progress[entry.id]
        self.st.steps[step.id] = {
            "status": "success", "output": result, "startedAt": started, "endedAt": now_ms(),
        }  # fmt: skip
        if self.emitter.active:
            self._emit_result(step.id, "success", result, None)
        return result


_FOREACH_SAVES = 64


class _ForeachWorker:
    """Pulls item indexes from a shared iterator; a save every ``every`` items."""

    def __init__(
        self,
        ex: Executor,
        step: Step,
        items: list[Any],
        outputs: dict[str, Any],
        todo: Any,
        suspended: list[int],
        every: int,
    ) -> None:
        self.ex, self.step, self.items, self.outputs = ex, step, items, outputs
        self.todo, self.suspended, self.every = todo, suspended, every

    async def run(self) -> None:
        ex, step, counters = self.ex, self.step, self.ex.counters
        resume = ex.resume.get(step.id)
        for i in self.todo:
            if resume is not None:
                ex.resume[step.id] = resume
            t0 = perf_counter()
            try:
                self.outputs[str(i)] = await ex._call_step(step, self.items[i], durable=False)
            except Suspend:
                self.suspended.append(i)
                continue
            counters.step_finished("success", perf_counter() - t0)
            if len(self.outputs) % self.every == 0:
                await ex.persister.save(ex.st)
        ex.resume.pop(step.id, None)


def _resolve(ref: Ref | Any, ctx: StepContext) -> Any:
    return ref.resolve(ctx) if isinstance(ref, Ref) else ref


def _message(step_id: str, exc: BaseException) -> str:
    text = exc.message if isinstance(exc, WorkflowError) else f"{type(exc).__name__}: {exc}"
    return f"step {step_id!r} failed: {text}"
