"""The entries a workflow's builders append, and the data mapping of ``map``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mastra.workflows._schema import Schema, as_schema
from mastra.workflows._step import Step, StepContext

__all__ = [
    "BranchEntry",
    "Condition",
    "Entry",
    "ForeachEntry",
    "LoopEntry",
    "MapEntry",
    "ParallelEntry",
    "Ref",
    "SleepEntry",
    "StepEntry",
    "WaitEventEntry",
    "constant",
    "from_init",
    "from_step",
]

Condition = Callable[[StepContext], Any] | bool
"""``condition(ctx) -> bool`` (sync or async; ``ctx.input_data`` is the value tested),
or a constant."""


@dataclass(frozen=True)
class Ref:
    """Where ``map`` takes one value from: a step's output, the init data or a constant.

    Build with :func:`from_step`, :func:`from_init` or :func:`constant`.
    """

    source: str  # "step", "init" or "value"
    step_id: str | None = None
    path: str = ""
    value: Any = None

    def resolve(self, ctx: StepContext) -> Any:
        """The value, read from the run behind ``ctx``."""
        if self.source == "value":
            return self.value
        if self.source == "init":
            data = ctx.get_init_data()
        else:
            data = ctx.get_step_result(self.step_id or "")
        for part in self.path.split(".") if self.path else ():
            data = data[int(part)] if isinstance(data, list) else data[part]
        return data


def from_step(step: Step | str, path: str = "") -> Ref:
    """The output of ``step`` (or the value at a dotted ``path`` inside it)."""
    return Ref("step", step if isinstance(step, str) else step.id, path)


def from_init(path: str = "") -> Ref:
    """The run's input (or the value at a dotted ``path`` inside it)."""
    return Ref("init", None, path)


def constant(value: Any) -> Ref:
    """A constant value."""
    return Ref("value", value=value)


@dataclass(eq=False)
class Entry:
    """One position of a workflow's sequence."""

    id: str

    def steps(self) -> list[Step]:
        """The steps this entry runs directly."""
        return []


@dataclass(eq=False)
class StepEntry(Entry):
    step: Step

    def steps(self) -> list[Step]:
        return [self.step]


@dataclass(eq=False)
class ParallelEntry(Entry):
    children: list[Step]

    def steps(self) -> list[Step]:
        return list(self.children)


@dataclass(eq=False)
class BranchEntry(Entry):
    conditions: list[Condition]
    children: list[Step]

    def steps(self) -> list[Step]:
        return list(self.children)


@dataclass(eq=False)
class LoopEntry(Entry):
    step: Step
    condition: Condition
    until: bool  # dountil: stop when true; dowhile: go on while true

    def steps(self) -> list[Step]:
        return [self.step]


@dataclass(eq=False)
class ForeachEntry(Entry):
    step: Step
    concurrency: int

    def steps(self) -> list[Step]:
        return [self.step]


@dataclass(eq=False)
class MapEntry(Entry):
    mapping: Callable[[StepContext], Any] | Mapping[str, Ref]
    output_schema: Schema = field(default_factory=lambda: as_schema(Any))


@dataclass(eq=False)
class SleepEntry(Entry):
    seconds: float | Callable[[StepContext], Any] | None = None
    until: datetime | Callable[[StepContext], Any] | None = None


@dataclass(eq=False)
class WaitEventEntry(Entry):
    event: str
    step: Step

    def steps(self) -> list[Step]:
        return [self.step]
