"""Metrics read from the rest of the process: storage and vector-store call latency
(their coroutine methods timed in place), the HTTP clients' retries, circuits and
response cache (:data:`mastra.http.telemetry`), the LRU caches' counters, and RSS."""

from __future__ import annotations

import bisect
import functools
import inspect
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from mastra.cache import LRUCache
from mastra.http import telemetry

if TYPE_CHECKING:
    from mastra.server._state import ServerState

__all__ = [
    "CacheCollector",
    "HttpCollector",
    "TimingCollector",
    "instrument",
    "resident_memory",
    "timings",
]

CALL_BUCKETS: tuple[float, ...] = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
)  # fmt: skip
"""Upper bounds (seconds) of the storage and vector call histograms (+Inf last)."""

_MARK = "_mastra_instrumented"


class CallTiming:
    """The latency histogram of one method of one component (hot path: no lock; the
    event loop's thread is the only writer)."""

    __slots__ = ("buckets", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(CALL_BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        """Counts one call of ``seconds``."""
        self.buckets[bisect.bisect_left(CALL_BUCKETS, seconds)] += 1
        self.total += seconds


class Timings:
    """Process-wide call latencies by ``(kind, component, operation)``."""

    def __init__(self) -> None:
        self.table: dict[tuple[str, str, str], CallTiming] = {}

    def timing(self, kind: str, name: str, operation: str) -> CallTiming:
        """The histogram of one operation (created on first use)."""
        return self.table.setdefault((kind, name, operation), CallTiming())


timings = Timings()
"""The process's storage and vector-store call latencies."""


def _timed(method: Callable[..., Awaitable[Any]], timing: CallTiming) -> Callable[..., Any]:
    @functools.wraps(method)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            timing.observe(time.perf_counter() - start)

    return timed


def instrument(component: Any, kind: str, name: str) -> bool:
    """Times every public coroutine method of ``component`` (on the instance, so every
    holder of it is measured) into :data:`timings` under ``kind`` and ``name``.

    Returns:
        Whether it was instrumented now (``False``: already done, or its class allows
        no instance attributes).
    """
    if component is None or _MARK in getattr(component, "__dict__", {_MARK: True}):
        return False
    for attr in dir(type(component)):
        if attr.startswith("_") or attr in {"close", "aclose"}:
            continue
        if inspect.iscoroutinefunction(getattr(type(component), attr, None)):
            timing = timings.timing(kind, name, attr)
            setattr(component, attr, _timed(getattr(component, attr), timing))
    setattr(component, _MARK, True)
    return True


def _histogram(name: str, doc: str, labels: list[str], kind: str) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=labels)
    bounds = [str(b) for b in CALL_BUCKETS] + ["+Inf"]
    for (k, component, operation), timing in list(timings.table.items()):
        if k == kind:
            cumulative = list(zip(bounds, accumulate(timing.buckets), strict=True))
            family.add_metric([component, operation], cumulative, timing.total)
    return family


class TimingCollector(Collector):
    """``mastra_storage_operation_duration_seconds{backend,operation}`` and
    ``mastra_vector_operation_duration_seconds{store,operation}``: every call, whoever
    made it (routes, memory, tools)."""

    def collect(self) -> Iterable[Metric]:
        yield _histogram(
            "mastra_storage_operation_duration_seconds",
            "Storage call latency by backend and method.",
            ["backend", "operation"],
            "storage",
        )
        yield _histogram(
            "mastra_vector_operation_duration_seconds",
            "Vector store call latency by store and method (query: the vector queries).",
            ["store", "operation"],
            "vector",
        )


class HttpCollector(Collector):
    """The HTTP clients' retries, circuit states by host and LLM response-cache
    lookups, from :data:`mastra.http.telemetry`."""

    def collect(self) -> Iterable[Metric]:
        snapshot = telemetry.snapshot()
        retries = CounterMetricFamily(
            "mastra_http_client_retries",
            "HTTP client retries by provider, host and reason (status, timeout, connection).",
            labels=["provider", "host", "reason"],
        )
        for row in snapshot["retries"]:
            retries.add_metric([row["provider"], row["host"], row["reason"]], row["count"])
        circuits = GaugeMetricFamily(
            "mastra_http_circuit_state",
            "Circuit breaker state by host (1 = current state).",
            labels=["host", "state"],
        )
        for host, current in sorted(snapshot["circuits"].items()):
            for state in ("closed", "half_open", "open"):
                circuits.add_metric([host, state], 1.0 if state == current else 0.0)
        hits = CounterMetricFamily(
            "mastra_llm_cache_hits", "LLM responses served from the cache.", labels=["provider"]
        )
        misses = CounterMetricFamily(
            "mastra_llm_cache_misses",
            "LLM requests the cache could not answer.",
            labels=["provider"],
        )
        for row in snapshot["cache"]:
            (hits if row["result"] == "hit" else misses).add_metric([row["provider"]], row["count"])
        yield from (retries, circuits, hits, misses)


def _agent_caches(state: ServerState) -> Iterable[tuple[str, Any]]:
    for name, agent in state.mastra.agents.items():
        provider = getattr(getattr(agent, "_model", None), "provider", None)
        cache = getattr(provider, "cache", None)
        if cache is not None:
            yield f"llm:{getattr(provider, 'name', name)}", cache
        embedder = getattr(getattr(agent, "memory", None), "embedder", None)
        cache = getattr(embedder, "cache", None)
        if cache is not None:
            yield f"embedder:{name}", cache


class CacheCollector(Collector):
    """``mastra_cache_{hits,misses,evictions,expirations}_total{cache}`` and
    ``mastra_cache_{entries,bytes}{cache}`` of every LRU cache the app knows: the
    server's (its L1 when tiered), the providers' response caches, the memory
    embedders' caches and those given to :meth:`ServerMetrics.watch_cache`."""

    def __init__(self, state: ServerState, extra: dict[str, LRUCache]) -> None:
        self.state = state
        self.extra = extra

    def caches(self) -> dict[str, LRUCache]:
        """The caches by name (each cache once, under the first name found)."""
        found: dict[str, LRUCache] = {}
        seen: set[int] = set()
        server = getattr(self.state, "cache", None)
        candidates = [("server", getattr(server, "l1", server)), *_agent_caches(self.state)]
        for name, cache in [*candidates, *self.extra.items()]:
            if isinstance(cache, LRUCache) and id(cache) not in seen:
                seen.add(id(cache))
                found.setdefault(name, cache)
        return found

    def collect(self) -> Iterable[Metric]:
        fields = ("hits", "misses", "evictions", "expirations")
        counters = {
            f: CounterMetricFamily(f"mastra_cache_{f}", f"LRU cache {f}.", labels=["cache"])
            for f in fields
        }
        entries = GaugeMetricFamily("mastra_cache_entries", "LRU cache entries.", labels=["cache"])
        size = GaugeMetricFamily("mastra_cache_bytes", "LRU cache bytes held.", labels=["cache"])
        for name, cache in sorted(self.caches().items()):
            stats = cache.stats()
            for f in fields:
                counters[f].add_metric([name], getattr(stats, f))
            entries.add_metric([name], stats.entries)
            size.add_metric([name], stats.bytes)
        yield from (*counters.values(), entries, size)


def instrument_state(state: ServerState) -> None:
    """Times the calls of the app's storage and vector stores, and of its agents'
    memory storage and vector stores."""
    mastra = state.mastra
    storage = getattr(mastra, "storage", None)
    if storage is not None:
        instrument(storage, "storage", type(storage).__name__)
    for name, store in mastra.vectors.items():
        instrument(store, "vector", name)
    for name, agent in mastra.agents.items():
        memory = getattr(agent, "memory", None)
        storage = getattr(memory, "storage", None)
        if storage is not None:
            instrument(storage, "storage", type(storage).__name__)
        store = getattr(memory, "vector_store", None)
        if store is not None:
            instrument(store, "vector", f"memory:{name}")


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_memory() -> int | None:
    """The process's resident set size in bytes (``None`` where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the peak: the best there is
    return int(peak) * (1 if os.uname().sysname == "Darwin" else 1024)
