"""Hooks told about every request: counts, errors by kind, latency."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["RequestEvent", "RequestHook", "RequestStats"]


@dataclass(frozen=True)
class RequestEvent:
    """One finished request, retries included.

    Attributes:
        provider: The provider's name.
        method: The HTTP method.
        host: The host it went to.
        status: The final HTTP status (``None`` if no response arrived).
        error: The ``code`` of the error raised (``None`` on success).
        attempts: Attempts made (1 + retries; 0 for an answer from the cache).
        seconds: Wall time from the first attempt to the end (for a stream: to its
            first byte).
        cached: Whether the answer came from the response cache.
    """

    provider: str
    method: str
    host: str
    status: int | None
    error: str | None
    attempts: int
    seconds: float
    cached: bool = False


class RequestHook(Protocol):
    """Anything with ``on_request(event)``; exceptions it raises are not caught."""

    def on_request(self, event: RequestEvent) -> None:
        """Called once per finished request."""


@dataclass(eq=False)
class RequestStats:
    """A hook that counts requests and errors by kind, and sums latency.

    Example:
        >>> from mastra.http import HttpClient, HttpConfig
        >>> stats = RequestStats()
        >>> client = HttpClient(HttpConfig(hooks=(stats,)))
        >>> stats.requests, dict(stats.errors)
        (0, {})
    """

    requests: int = 0
    retries: int = 0
    cache_hits: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    total_seconds: float = 0.0
    max_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def on_request(self, event: RequestEvent) -> None:
        """Adds one finished request to the counts."""
        with self._lock:
            self.requests += 1
            self.retries += max(0, event.attempts - 1)
            self.cache_hits += event.cached
            if event.error is not None:
                self.errors[event.error] += 1
            self.total_seconds += event.seconds
            self.max_seconds = max(self.max_seconds, event.seconds)

    @property
    def mean_seconds(self) -> float:
        """Mean latency per request."""
        return self.total_seconds / self.requests if self.requests else 0.0
