"""Guards around requests: a circuit breaker per host and a token-bucket rate limiter."""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mastra.errors import ConfigError, ProviderUnavailableError

__all__ = ["BreakerConfig", "CircuitBreaker", "RateLimit", "RateLimiter", "limiter_for"]

CircuitState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerConfig:
    """When a host's circuit opens and when it is tried again.

    Attributes:
        failure_threshold: Consecutive failed attempts (connection errors, timeouts,
            5xx) that open the circuit.
        reset_timeout: Seconds the circuit stays open before one trial request is let
            through (half-open); its success closes the circuit, its failure reopens it.
    """

    failure_threshold: int = 5
    reset_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ConfigError(f"failure_threshold must be >= 1, got {self.failure_threshold}")
        if self.reset_timeout < 0:
            raise ConfigError(f"reset_timeout must be >= 0, got {self.reset_timeout}")


class CircuitBreaker:
    """Fails fast for a host that keeps failing, instead of piling requests on it.

    Args:
        host: The host it guards (for messages).
        config: Threshold and reset timeout.
        clock: Monotonic time source in seconds (for tests).

    Example:
        >>> breaker = CircuitBreaker("api.example.com", BreakerConfig(failure_threshold=2))
        >>> breaker.record_failure(); breaker.record_failure()
        >>> breaker.state
        'open'
    """

    def __init__(
        self,
        host: str,
        config: BreakerConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.config = config or BreakerConfig()
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> CircuitState:
        """``"closed"`` (normal), ``"open"`` (failing fast) or ``"half_open"``."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.config.reset_timeout:
            return "half_open"
        return "open"

    def before_request(self, provider: str) -> None:
        """Lets a request through, or raises while the circuit is open.

        Raises:
            ProviderUnavailableError: The circuit is open, or half-open with its one
                trial request already running.
        """
        state = self.state
        if state == "closed":
            return
        if state == "half_open" and not self._trial_running:
            self._trial_running = True
            return
        raise ProviderUnavailableError(
            f"{provider}: the circuit for {self.host} is open after "
            f"{self._failures} consecutive failures; retry in a while",
            provider=provider,
            host=self.host,
            circuit="open",
        )

    def record_success(self) -> None:
        """A request got an answer: close the circuit."""
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        """An attempt failed: count it, opening (or reopening) the circuit at the threshold."""
        self._failures += 1
        if self._trial_running or self._failures >= self.config.failure_threshold:
            self._opened_at = self._clock()
        self._trial_running = False


@dataclass(frozen=True)
class RateLimit:
    """Client-side limits for one provider key.

    Attributes:
        requests_per_minute: Most requests started per minute (``None``: no limit).
        tokens_per_minute: Most tokens (as estimated by the caller) per minute.
    """

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError(f"{name} must be > 0 or None, got {value}", name=name)


class _Bucket:
    def __init__(self, per_minute: float, now: float) -> None:
        self.capacity = per_minute
        self.rate = per_minute / 60.0
        self.level = per_minute
        self.updated = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` is available (0 if it is)."""
        needed = min(amount, self.capacity) - self.level
        return max(0.0, needed / self.rate)


class RateLimiter:
    """A token bucket for requests and one for tokens; :meth:`acquire` waits for both.

    Buckets start full (a burst of one minute's allowance) and refill continuously.
    Waiters are served in arrival order.

    Example:
        >>> limiter = RateLimiter(RateLimit(requests_per_minute=600))
        >>> async def call():
        ...     await limiter.acquire(tokens=250)
    """

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        now = clock()
        rpm, tpm = limit.requests_per_minute, limit.tokens_per_minute
        self._requests = _Bucket(rpm, now) if rpm else None
        self._tokens = _Bucket(tpm, now) if tpm else None
        self._lock = asyncio.Lock()

    def delay(self, tokens: float = 0) -> float:
        """Seconds until a request of ``tokens`` tokens may start (0: now)."""
        now = self._clock()
        delay = 0.0
        for bucket, amount in ((self._requests, 1.0), (self._tokens, tokens)):
            if bucket is not None:
                bucket.refill(now)
                delay = max(delay, bucket.wait_for(amount))
        return delay

    async def acquire(self, tokens: float = 0) -> None:
        """Waits until one request of ``tokens`` tokens fits both limits, then takes it."""
        async with self._lock:
            delay = self.delay(tokens)
            while delay > 0:
                await asyncio.sleep(delay)
                delay = self.delay(tokens)
            if self._requests is not None:
                self._requests.level -= 1.0
            if self._tokens is not None:
                self._tokens.level -= min(tokens, self._tokens.capacity)


_LIMITERS: weakref.WeakValueDictionary[tuple[str, RateLimit], RateLimiter] = (
    weakref.WeakValueDictionary()
)


def limiter_for(scope: str, api_key: str | None, limit: RateLimit) -> RateLimiter:
    """The rate limiter shared by everything that uses the same key under ``scope``.

    Limits are per key, so two providers built with the same key and limits draw from
    the same buckets. The key is held only as a hash.
    """
    digest = hashlib.sha256((api_key or "").encode()).hexdigest()
    name = (f"{scope}:{digest}", limit)
    limiter = _LIMITERS.get(name)
    if limiter is None:
        limiter = RateLimiter(limit)
        _LIMITERS[name] = limiter
    return limiter
