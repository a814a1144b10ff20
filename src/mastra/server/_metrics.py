"""Prometheus metrics, in a registry of the app's own (several apps never collide)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from mastra.agent import AgentResult
from mastra.cache import LRUCache
from mastra.server._instrument import (
    CacheCollector,
    HttpCollector,
    TimingCollector,
    instrument_state,
    resident_memory,
)
from mastra.workflows import metrics as workflow_metrics
from mastra.workflows._metrics import LATENCY_BUCKETS

if TYPE_CHECKING:
    from mastra.server._state import ServerState

__all__ = ["CONTENT_TYPE_LATEST", "ServerMetrics", "WorkflowCollector"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class ServerMetrics:
    """The server's counters, gauges and histograms.

    With ``PROMETHEUS_MULTIPROC_DIR`` set (``--workers``), every worker writes its values
    there and ``/metrics`` sums those of all workers.

    Attributes:
        registry: The registry the metrics are registered in.
    """

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = registry = CollectorRegistry(auto_describe=True)
        if not self.multiprocess:
            ProcessCollector(registry=registry)
        self.requests = Counter(
            "mastra_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "mastra_http_request_duration_seconds",
            "HTTP request latency (to the end of the body, streams included).",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "mastra_http_requests_in_flight",
            "Requests being served.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.streams_open = Gauge(
            "mastra_streams_open",
            "Agent streams being served.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.rss = Gauge(
            "mastra_process_resident_memory_bytes",
            "Resident set size of the serving process (per worker with --workers).",
            registry=registry,
            multiprocess_mode="liveall",
        )
        self._rss_next = 0.0
        self._agent_metrics(registry)
        # labels() costs a lock and a dict lookup per call; the children are kept here.
        self._http_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._run_children: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        self._collectors: list[Collector] = []
        self._caches: dict[str, LRUCache] = {}

    def _agent_metrics(self, registry: CollectorRegistry) -> None:
        self.agent_runs = Counter(
            "mastra_agent_runs",
            "Agent runs by agent and outcome.",
            ["agent", "outcome"],
            registry=registry,
        )
        self.agent_steps = Counter(
            "mastra_agent_steps",
            "Agent steps (model calls) by agent.",
            ["agent"],
            registry=registry,
        )
        self.tool_calls = Counter(
            "mastra_tool_calls",
            "Tool calls by tool and outcome.",
            ["tool", "outcome"],
            registry=registry,
        )
        self.llm_calls = Counter(
            "mastra_llm_calls",
            "Model calls by provider and model.",
            ["provider", "model"],
            registry=registry,
        )
        self.llm_tokens = Counter(
            "mastra_llm_tokens",
            "Tokens by provider, model and kind (input/output).",
            ["provider", "model", "kind"],
            registry=registry,
        )
        self.vector_queries = Histogram(
            "mastra_vector_query_duration_seconds",
            "Vector store queries by store.",
            ["store"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.llm_errors = Counter(
            "mastra_llm_errors",
            "Failed runs by provider, model and error code.",
            ["provider", "model", "code"],
            registry=registry,
        )

    def record_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Counts a served request and observes its latency."""
        key = (method, route, str(status))
        children = self._http_children.get(key)
        if children is None:
            children = (self.requests.labels(*key), self.latency.labels(method, route))
            self._http_children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        if time.monotonic() >= self._rss_next:  # at most once a second: a syscall
            self._update_rss()

    def _update_rss(self) -> None:
        self._rss_next = time.monotonic() + 1.0
        rss = resident_memory()
        if rss is not None:
            self.rss.set(rss)

    def record_result(
        self, agent: str, model: tuple[str, str], result: AgentResult[object]
    ) -> None:
        """Counts a finished run: its steps, model calls, tokens and tool calls."""
        key = (agent, *model)
        children = self._run_children.get(key)
        if children is None:
            provider, name = model
            children = (
                self.agent_runs.labels(agent, "ok"),
                self.agent_steps.labels(agent),
                self.llm_calls.labels(provider, name),
                self.llm_tokens.labels(provider, name, "input"),
                self.llm_tokens.labels(provider, name, "output"),
            )
            self._run_children[key] = children
        runs, steps, calls, tokens_in, tokens_out = children
        runs.inc()
        steps.inc(len(result.steps))
        calls.inc(len(result.steps))
        tokens_in.inc(result.usage.input_tokens)
        tokens_out.inc(result.usage.output_tokens)
        for step in result.steps:
            for outcome in step.tool_results:
                self.tool_calls.labels(outcome.name, "error" if outcome.is_error else "ok").inc()

    def record_failure(self, agent: str, model: tuple[str, str], code: str) -> None:
        """Counts a run that ended with an error (``code``) or was cancelled."""
        outcome = "cancelled" if code == "cancelled" else "error"
        self.agent_runs.labels(agent, outcome).inc()
        if outcome == "error":
            self.llm_errors.labels(model[0], model[1], code).inc()

    def watch(self, state: ServerState) -> None:
        """Adds what the app's components report: storage and vector-store call
        latency (their methods timed from now on), HTTP client retries and circuits,
        LLM response-cache lookups and the LRU caches' counters."""
        instrument_state(state)
        self.add_collector(TimingCollector())
        self.add_collector(HttpCollector())
        self.add_collector(CacheCollector(state, self._caches))

    def watch_cache(self, name: str, cache: LRUCache) -> None:
        """Reports ``cache``'s counters as ``mastra_cache_*{cache=name}``.

        Example:
            >>> from mastra.cache import LRUCache
            >>> ServerMetrics().watch_cache("prompts", LRUCache(100))
        """
        self._caches[name] = cache

    def add_collector(self, collector: Collector) -> None:
        """Adds a collector read at each scrape (the process's own state)."""
        self._collectors.append(collector)
        if not self.multiprocess:
            self.registry.register(collector)

    def render(self) -> bytes:
        """The metrics in Prometheus' text format (of every worker, in multiprocess mode)."""
        self._update_rss()
        if self.multiprocess:
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            for collector in self._collectors:
                merged.register(collector)
            return generate_latest(merged)
        return generate_latest(self.registry)


class WorkflowCollector(Collector):
    """``mastra_workflow_runs{workflow,status}``, ``mastra_workflow_steps{workflow,status}``
    and ``mastra_workflow_step_duration_seconds{workflow}``, read at each scrape from
    :data:`mastra.workflows.metrics` (the process's runs, those of every app)."""

    def collect(self) -> Iterable[Metric]:
        snapshot = workflow_metrics.snapshot()
        labels = ["workflow", "status"]
        runs = CounterMetricFamily(
            "mastra_workflow_runs", "Workflow runs by the status they reached.", labels=labels
        )
        for row in snapshot["runs"]:
            runs.add_metric([row["workflow"], row["status"]], row["count"])
        steps = CounterMetricFamily(
            "mastra_workflow_steps", "Workflow step executions by status.", labels=labels
        )
        for row in snapshot["steps"]:
            steps.add_metric([row["workflow"], row["status"]], row["count"])
        latency = HistogramMetricFamily(
            "mastra_workflow_step_duration_seconds",
            "Workflow step latency.",
            labels=["workflow"],
        )
        bounds = [str(b) for b in LATENCY_BUCKETS] + ["+Inf"]
        for workflow, data in snapshot["step_latency"].items():
            cumulative = list(zip(bounds, accumulate(data["buckets"]), strict=True))
            latency.add_metric([workflow], cumulative, data["sum"])
        yield from (runs, steps, latency)
