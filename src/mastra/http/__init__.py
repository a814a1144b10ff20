"""The HTTP client under every provider: pooled, retrying, with typed errors.

One :class:`HttpClient` per event loop and configuration (see :func:`shared_client`)
keeps a bounded pool of keep-alive connections, applies connect/read/write/pool
timeouts, retries connection failures, timeouts, 408, 409, 429 and 5xx with
exponential backoff and full jitter (honouring ``Retry-After``), and raises only the
:class:`~mastra.errors.ProviderError` tree.

Example:
    >>> from mastra.http import HttpConfig, RetryPolicy
    >>> config = HttpConfig(retry=RetryPolicy(max_retries=3))
    >>> config.retry.is_retryable(503), config.retry.is_retryable(400)
    (True, False)
"""

from __future__ import annotations

from mastra.http._client import HttpClient, aclose_shared_clients, shared_client
from mastra.http._config import HttpConfig, RetryPolicy, Timeouts
from mastra.http._errors import (
    error_from_response,
    malformed_response,
    map_exceptions,
    redact,
    secrets_of,
)
from mastra.http._guards import (
    BreakerConfig,
    CircuitBreaker,
    RateLimit,
    RateLimiter,
    limiter_for,
)
from mastra.http._hooks import RequestEvent, RequestHook, RequestStats
from mastra.http._retry import backoff_delay, parse_retry_after
from mastra.http._stream import StreamedResponse
from mastra.http._telemetry import HttpTelemetry, telemetry
from mastra.http._transport import PoolStats

__all__ = [
    "BreakerConfig",
    "CircuitBreaker",
    "HttpClient",
    "HttpConfig",
    "HttpTelemetry",
    "PoolStats",
    "RateLimit",
    "RateLimiter",
    "RequestEvent",
    "RequestHook",
    "RequestStats",
    "RetryPolicy",
    "StreamedResponse",
    "Timeouts",
    "aclose_shared_clients",
    "backoff_delay",
    "error_from_response",
    "limiter_for",
    "malformed_response",
    "map_exceptions",
    "parse_retry_after",
    "redact",
    "secrets_of",
    "shared_client",
    "telemetry",
]
