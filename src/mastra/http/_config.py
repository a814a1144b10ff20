"""The settings of a pooled client: timeouts, pool bounds, retries, transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from mastra.errors import ConfigError
from mastra.http._guards import BreakerConfig
from mastra.http._hooks import RequestHook

__all__ = ["HttpConfig", "RetryPolicy", "Timeouts"]

RETRYABLE_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed for each phase of a request.

    Attributes:
        connect: To open a connection (TCP and TLS).
        read: Between two reads of the response; for a stream, between chunks.
        write: To send one chunk of the request.
        pool: To wait for a free connection from the pool.
    """

    connect: float = 10.0
    read: float = 120.0
    write: float = 30.0
    pool: float = 30.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool"):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError(f"timeout {name} must be > 0 seconds, got {value}", name=name)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a failed request again.

    The delay before retry ``n`` (1-based) is drawn uniformly from
    ``[0, min(max_delay, initial_delay * 2 ** (n - 1))]`` ("full jitter"), unless the
    response carries ``Retry-After``: that delay is used as given when it is at most
    ``max_retry_after``; a longer one ends the retries at once, so the caller gets the
    typed error (with ``retry_after``) without sleeping for minutes.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        initial_delay: Upper bound of the first backoff, in seconds.
        max_delay: Upper bound of any backoff, in seconds.
        max_retry_after: The longest ``Retry-After`` honoured, in seconds.
        retry_statuses: Statuses retried besides every 5xx.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.initial_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ConfigError("retry delays must be >= 0 seconds")

    def is_retryable(self, status: int) -> bool:
        """Whether a response with this status is worth another attempt."""
        return status >= 500 or status in self.retry_statuses


@dataclass(frozen=True)
class HttpConfig:
    """How a :class:`~mastra.http.HttpClient` connects, waits and retries.

    Attributes:
        timeouts: Per-phase timeouts.
        retry: The retry policy.
        max_connections: Most connections open at once (per client).
        max_keepalive_connections: Most idle connections kept for reuse.
        keepalive_expiry: Seconds an idle connection is kept.
        http2: Offer HTTP/2 to servers that speak it (needs the ``h2`` package; the
            httpx transport only).
        transport: ``"aiohttp"`` (aiohttp under httpx's API, from the
            ``httpx-aiohttp`` package: measured 2-4x less CPU per request), ``"httpx"``
            (httpx's own), or ``"auto"``: aiohttp when installed and HTTP/2 is not
            asked for, else httpx.
        headers: Headers sent with every request (never put secrets here: pass them
            per request so they can be redacted).
        breaker: The per-host circuit breaker's settings (``None``: no breaker).
        hooks: Told about every finished request (see
            :class:`~mastra.http.RequestStats`); hashable, as configurations key the
            shared clients.
    """

    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_connections: int = 100
    max_keepalive_connections: int = 20
    keepalive_expiry: float = 30.0
    http2: bool = False
    transport: Literal["auto", "httpx", "aiohttp"] = "auto"
    headers: tuple[tuple[str, str], ...] = ()
    breaker: BreakerConfig | None = field(default_factory=BreakerConfig)
    hooks: tuple[RequestHook, ...] = ()

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ConfigError(f"max_connections must be >= 1, got {self.max_connections}")
        if not 0 <= self.max_keepalive_connections <= self.max_connections:
            raise ConfigError("max_keepalive_connections must be in [0, max_connections]")
        if self.transport not in ("auto", "httpx", "aiohttp"):
            raise ConfigError(
                f"unknown transport {self.transport!r}; use 'auto', 'httpx' or 'aiohttp'",
                transport=self.transport,
            )
