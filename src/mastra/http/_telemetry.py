"""Process-wide counters of the HTTP clients, read by a metrics exporter: retries by
provider, host and reason, response-cache hits and misses, and every circuit breaker."""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mastra.http._guards import CircuitBreaker

__all__ = ["HttpTelemetry", "telemetry"]

_STATE_RANK = {"closed": 0, "half_open": 1, "open": 2}


class HttpTelemetry:
    """What every :class:`~mastra.http.HttpClient` of the process reports.

    Example:
        >>> from mastra.http import telemetry
        >>> sorted(telemetry.snapshot())
        ['cache', 'circuits', 'retries']
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.retries: Counter[tuple[str, str, str]] = Counter()
        self.cache: Counter[tuple[str, str]] = Counter()
        self._breakers: weakref.WeakSet[CircuitBreaker] = weakref.WeakSet()

    def retried(self, provider: str, host: str, reason: str) -> None:
        """Counts one retry (``reason``: a status such as ``"503"``, ``"timeout"`` or
        ``"connection"``)."""
        with self._lock:
            self.retries[(provider, host, reason)] += 1

    def cache_lookup(self, provider: str, hit: bool) -> None:
        """Counts one response-cache lookup."""
        key = (provider, "hit" if hit else "miss")
        with self._lock:
            self.cache[key] += 1

    def track(self, breaker: CircuitBreaker) -> None:
        """Watches a circuit breaker (for as long as it lives)."""
        with self._lock:
            self._breakers.add(breaker)

    def circuits(self) -> dict[str, str]:
        """The state of each host's circuit; where several clients guard one host, the
        worst of their states (``open`` > ``half_open`` > ``closed``)."""
        with self._lock:
            breakers = list(self._breakers)
        states: dict[str, str] = {}
        for breaker in breakers:
            state = str(breaker.state)
            if _STATE_RANK[state] >= _STATE_RANK[states.get(breaker.host, "closed")]:
                states[breaker.host] = state
        return states

    def snapshot(self) -> dict[str, Any]:
        """Everything, as JSON-serialisable data."""
        with self._lock:
            retries = list(self.retries.items())
            cache = list(self.cache.items())
        return {
            "retries": [
                {"provider": p, "host": h, "reason": r, "count": n} for (p, h, r), n in retries
            ],
            "cache": [{"provider": p, "result": r, "count": n} for (p, r), n in cache],
            "circuits": self.circuits(),
        }

    def reset(self) -> None:
        """Forgets the counts (for tests); breakers stay watched."""
        with self._lock:
            self.retries.clear()
            self.cache.clear()


telemetry = HttpTelemetry()
"""The process's HTTP telemetry."""
