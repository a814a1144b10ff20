"""Workflows: typed steps composed into graphs that run, suspend and resume durably.

Build a :class:`Workflow` from :class:`Step` objects (or ``@step`` functions) with
``then``, ``map``, ``parallel``, ``branch``, ``dowhile``, ``dountil``, ``foreach``,
``sleep``, ``sleep_until`` and ``wait_for_event``; ``commit()`` validates it. Each run is
snapshotted after every step, so it can be resumed by another process.

Example:
    >>> import asyncio
    >>> from mastra.workflows import Workflow, step
    >>> @step
    ... async def greet(name: str) -> str:
    ...     return f"hello {name}"
    >>> wf = Workflow("greeter", str, str).then(greet).commit()
    >>> asyncio.run(wf.create_run().start("ada")).result
    'hello ada'
"""

from __future__ import annotations

from mastra.workflows._events import EVENT_TYPES, Event
from mastra.workflows._graph import Ref, constant, from_init, from_step
from mastra.workflows._metrics import WorkflowMetrics, metrics
from mastra.workflows._run import Run, RunStatus, WorkflowResult, WorkflowStream
from mastra.workflows._schema import Schema
from mastra.workflows._step import Step, StepContext, StepWriter, step
from mastra.workflows._workflow import RetryConfig, Workflow

__all__ = [
    "EVENT_TYPES",
    "Event",
    "Ref",
    "RetryConfig",
    "Run",
    "RunStatus",
    "Schema",
    "Step",
    "StepContext",
    "StepWriter",
    "Workflow",
    "WorkflowMetrics",
    "WorkflowResult",
    "WorkflowStream",
    "constant",
    "from_init",
    "from_step",
    "metrics",
    "step",
]
