"""The checks ``Workflow.commit()`` makes: ids, reachability and schemas that flow."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import typing_extensions

from mastra.errors import WorkflowError
from mastra.workflows._graph import (
    BranchEntry,
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
from mastra.workflows._schema import Schema, as_schema
from mastra.workflows._step import Step

if TYPE_CHECKING:
    from mastra.workflows._workflow import Workflow

__all__ = ["validate"]


def validate(wf: Workflow) -> None:
    """Checks a workflow's graph.

    Raises:
        WorkflowError: No entries, a duplicate id, an unreachable step, a nested
            workflow not committed, a map reading a step that runs later, or a step
            whose input schema does not accept what the previous step outputs. The
            message names the workflow and the step.
    """
    if not wf.entries:
        raise _error(wf, None, "has no steps")
    _check_ids(wf)
    _check_reachable(wf)
    flowing: Schema = wf.input_schema
    seen: set[str] = set()
    for entry in wf.entries:
        flowing = _flow(wf, entry, flowing, seen)
        seen.add(entry.id)
        seen.update(s.id for s in entry.steps())
    problem = flowing.incompatibility(wf.output_schema)
    if problem:
        raise _error(wf, wf.entries[-1].id, f"ends with a step that does not fit: {problem}")


def _error(wf: Workflow, step_id: str | None, problem: str) -> WorkflowError:
    where = f"workflow {wf.id!r}" + (f", step {step_id!r}" if step_id else "")
    return WorkflowError(f"{where}: {problem}", workflow=wf.id, step=step_id)


def _check_ids(wf: Workflow) -> None:
    seen: set[str] = set()
    for entry in wf.entries:
        ids = [s.id for s in entry.steps()]
        if not isinstance(entry, (StepEntry, LoopEntry, ForeachEntry, WaitEventEntry)):
            ids.append(entry.id)
        for step_id in ids:
            if step_id in seen:
                raise _error(wf, step_id, "the id is used twice (step ids must be unique)")
            seen.add(step_id)
        for step in entry.steps():
            if getattr(step, "committed", True) is False:
                raise _error(wf, step.id, "is a workflow that was not committed")


def _check_reachable(wf: Workflow) -> None:
    entries = wf.entries
    for index, entry in enumerate(entries):
        if isinstance(entry, BranchEntry):
            for cond, child in zip(entry.conditions, entry.children, strict=True):
                if cond is False:
                    raise _error(wf, child.id, "is unreachable: its branch condition is False")
        if not isinstance(entry, LoopEntry):
            continue
        endless = entry.condition is (not entry.until)
        if endless and index + 1 < len(entries):
            nxt = entries[index + 1]
            raise _error(
                wf, _first_id(nxt), f"is unreachable: the loop {entry.step.id!r} never ends"
            )


def _first_id(entry: Entry) -> str:
    steps = entry.steps()
    grouped = isinstance(entry, (ParallelEntry, BranchEntry))
    return steps[0].id if steps and not grouped else entry.id


def _feed(wf: Workflow, flowing: Schema, step: Step) -> None:
    problem = flowing.incompatibility(step.input_schema)
    if problem:
        raise _error(wf, step.id, f"its input does not fit the data it receives: {problem}")


def _flow(wf: Workflow, entry: Entry, flowing: Schema, seen: set[str]) -> Schema:
    """Checks one entry against the schema flowing into it; returns what flows out."""
    if isinstance(entry, (StepEntry, WaitEventEntry)):
        _feed(wf, flowing, entry.step)
        return entry.step.output_schema
    if isinstance(entry, (ParallelEntry, BranchEntry)):
        for child in entry.children:
            _feed(wf, flowing, child)
        fields = {c.id: c.output_schema.type for c in entry.children}
        total = isinstance(entry, ParallelEntry)
        return as_schema(typing_extensions.TypedDict(entry.id, fields, total=total))  # type: ignore[operator]
    if isinstance(entry, LoopEntry):
        _feed(wf, flowing, entry.step)
        _feed(wf, entry.step.output_schema, entry.step)
        return entry.step.output_schema
    if isinstance(entry, ForeachEntry):
        return _flow_foreach(wf, entry, flowing)
    if isinstance(entry, MapEntry):
        _check_refs(wf, entry, seen)
        return entry.output_schema
    if isinstance(entry, SleepEntry):
        return flowing
    raise _error(wf, entry.id, f"unknown entry {type(entry).__name__}")


def _flow_foreach(wf: Workflow, entry: ForeachEntry, flowing: Schema) -> Schema:
    step = entry.step
    if not flowing.is_any:
        origin = typing.get_origin(flowing.type)
        if origin not in (list, tuple) and flowing.type not in (list, tuple):
            raise _error(wf, step.id, f"foreach needs a list but receives {flowing!r}")
        args = typing.get_args(flowing.type)
        _feed(wf, as_schema(args[0] if args else Any), step)
    out = step.output_schema
    return as_schema(Any if out.is_any else list[out.type])  # type: ignore[name-defined]


def _check_refs(wf: Workflow, entry: MapEntry, seen: set[str]) -> None:
    if not isinstance(entry.mapping, Mapping):
        return
    for key, ref in entry.mapping.items():
        if isinstance(ref, Ref) and ref.source == "step" and ref.step_id not in seen:
            raise _error(
                wf, entry.id, f"maps {key!r} from step {ref.step_id!r}, which does not run before"
            )
