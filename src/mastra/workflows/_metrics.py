"""Counters a metrics exporter reads: runs and steps by status, step latency."""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from typing import Any

__all__ = ["LATENCY_BUCKETS", "WorkflowCounters", "WorkflowMetrics", "metrics"]

LATENCY_BUCKETS: tuple[float, ...] = (
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0,
)  # fmt: skip
"""Upper bounds (seconds) of the step latency histogram; a last bucket is unbounded."""


class WorkflowCounters:
    """The counters of one workflow (updated on the hot path: plain attribute writes).

    Attributes:
        runs: Runs by the status they reached (``success``, ``suspended``...).
        steps: Step executions by status.
        latency_sum: Total seconds of the timed step executions.
        buckets: Step executions per :data:`LATENCY_BUCKETS` bound (not cumulative;
            the last slot counts the slower ones).
    """

    __slots__ = ("buckets", "latency_sum", "runs", "steps")

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()
        self.steps: Counter[str] = Counter()
        self.latency_sum = 0.0
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)

    def step_finished(self, status: str, seconds: float) -> None:
        """Counts a step execution and its latency."""
        self.steps[status] += 1
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum += seconds


class WorkflowMetrics:
    """Process-wide workflow counters, cheap to update and read, by workflow id.

    Example:
        >>> from mastra.workflows import metrics
        >>> sorted(metrics.snapshot())
        ['runs', 'step_latency', 'steps']
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_workflow: dict[str, WorkflowCounters] = {}

    def workflow(self, workflow_id: str) -> WorkflowCounters:
        """The counters of one workflow (created on first use)."""
        counters = self._by_workflow.get(workflow_id)
        if counters is None:
            with self._lock:
                counters = self._by_workflow.setdefault(workflow_id, WorkflowCounters())
        return counters

    def snapshot(self) -> dict[str, Any]:
        """Everything as JSON-serialisable data (a Prometheus exporter maps it 1:1)."""
        items = list(self._by_workflow.items())
        runs = [(w, s, n) for w, c in items for s, n in c.runs.items()]
        steps = [(w, s, n) for w, c in items for s, n in c.steps.items()]
        return {
            "runs": [{"workflow": w, "status": s, "count": n} for w, s, n in runs],
            "steps": [{"workflow": w, "status": s, "count": n} for w, s, n in steps],
            "step_latency": {
                w: {"count": sum(c.buckets), "sum": c.latency_sum, "buckets": list(c.buckets)}
                for w, c in items
            },
        }

    def reset(self) -> None:
        """Forgets every count (for tests)."""
        with self._lock:
            self._by_workflow = {}


metrics = WorkflowMetrics()
"""The process-wide :class:`WorkflowMetrics`."""
