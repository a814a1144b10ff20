"""A rate limit that several workers enforce together: a token bucket in Redis."""

from __future__ import annotations

import logging
import time

from redis.exceptions import NoScriptError, RedisError

from mastra.cache._redis import RedisCache
from mastra.errors import ConfigError

__all__ = ["SharedRateLimiter"]

logger = logging.getLogger("mastra.cache")

# Refill, then take ``cost`` tokens if there are enough; one atomic step on Redis's clock
# (so workers on hosts whose clocks disagree still share one bucket). Returns the
# seconds to wait as text: Lua numbers would come back truncated to integers.
_TOKEN_BUCKET = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class SharedRateLimiter:
    """A token bucket per key (a principal, a provider...) kept in Redis, so N workers
    enforce one limit together: ``rate`` tokens a second, ``burst`` at once.

    If Redis is out of reach each worker falls back to a bucket of its own (a warning
    is logged once per outage): the limit then holds per worker instead of in total,
    and no request fails because of Redis.

    Args:
        redis: The shared :class:`~mastra.cache.RedisCache` (its connection is used).
        rate: Tokens added per second (> 0).
        burst: The bucket's size (>= 1).
        retry_after: Seconds to use the local bucket after Redis failed.

    Example:
        >>> async def handle(limiter, principal):  # doctest: +SKIP
        ...     wait = await limiter.acquire(principal)
        ...     if wait:
        ...         raise TooManyRequests(retry_after=wait)
    """

    def __init__(
        self, redis: RedisCache, *, rate: float, burst: int, retry_after: float = 1.0
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ConfigError(
                f"need rate > 0 and burst >= 1, got rate={rate} burst={burst}",
                rate=rate,
                burst=burst,
            )
        self.redis = redis
        self.rate = float(rate)
        self.burst = float(burst)
        self.retry_after = retry_after
        self._script = redis.client.register_script(_TOKEN_BUCKET)
        self._local: dict[str, tuple[float, float]] = {}
        self._down_until = 0.0

    async def acquire(self, key: str, cost: float = 1.0) -> float:
        """Takes ``cost`` tokens from ``key``'s bucket: 0.0 when they were there,
        else the seconds until they will be (nothing is taken then)."""
        if time.monotonic() >= self._down_until:
            try:
                wait = await self._script(
                    keys=[f"{self.redis.namespace}:limit:{key}"],
                    args=[self.rate, self.burst, cost],
                )
                return float(wait)
            except (RedisError, OSError, NoScriptError) as exc:
                if time.monotonic() >= self._down_until:
                    logger.warning("shared rate limits unavailable, limiting per worker: %s", exc)
                self._down_until = time.monotonic() + self.retry_after
        return self._acquire_locally(key, cost)

    def _acquire_locally(self, key: str, cost: float) -> float:
        now = time.monotonic()
        tokens, last = self._local.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < cost:
            self._local[key] = (tokens, now)
            return (cost - tokens) / self.rate
        self._local[key] = (tokens - cost, now)
        if len(self._local) > 100_000:  # forget idle callers rather than grow forever
            self._local.clear()
        return 0.0
