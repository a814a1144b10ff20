"""The shared cache tier: Redis, through redis-py's asyncio client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import orjson

from mastra.errors import ConfigError, StorageError, StorageUnavailableError

try:
    import redis.asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("RedisCache needs redis-py: pip install 'mastra[redis]'") from exc

__all__ = ["Key", "RedisCache", "decode_value", "encode_value"]

Key = str | bytes

# One tag byte says how the rest of a stored value reads.
_BYTES, _JSON = b"b", b"j"


def encode_value(value: Any) -> bytes:
    """``bytes`` as they are, anything else as JSON (orjson), behind a tag byte.

    Raises:
        ConfigError: The value is neither bytes nor JSON-serialisable.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _BYTES + bytes(value)
    try:
        return _JSON + orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        raise ConfigError(
            f"a shared cache stores bytes or JSON values, not {type(value).__name__}: {exc}"
        ) from None


def decode_value(data: bytes) -> Any:
    """The value of :func:`encode_value`."""
    if data[:1] == _BYTES:
        return data[1:]
    return orjson.loads(data[1:])


class RedisCache:
    """A cache shared by every worker, in Redis: the L2 under each worker's
    :class:`~mastra.cache.LRUCache` (see :class:`~mastra.cache.TieredCache`).

    Values are ``bytes`` or JSON values (serialised with orjson). Keys live under
    ``namespace``, so :meth:`clear` removes only this cache's. Errors reaching Redis
    raise :class:`~mastra.errors.StorageUnavailableError` (the tiered cache turns them
    into a fall back to L1).

    Args:
        url: ``redis://host:port/db`` (``rediss://`` for TLS).
        namespace: Prefix of every key (``namespace:key``) and of the invalidation
            channel.
        ttl: Default time to live in seconds, or None for none.
        timeout: Seconds a command or a connection attempt may take.

    Example:
        >>> import asyncio
        >>> from mastra.cache import RedisCache
        >>> async def main() -> object:  # doctest: +SKIP
        ...     async with RedisCache("redis://127.0.0.1:6379/0") as cache:
        ...         await cache.set("answer", {"n": 42}, ttl=60)
        ...         return await cache.get("answer")
        >>> asyncio.run(main())  # doctest: +SKIP
        {'n': 42}
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "mastra",
        ttl: float | None = None,
        timeout: float = 0.5,
    ) -> None:
        if ttl is not None and ttl <= 0:
            raise ConfigError(f"ttl must be positive, got {ttl}", ttl=ttl)
        self.url = url
        self.namespace = namespace
        self.ttl = ttl
        self.channel = f"{namespace}:invalidate"
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )

    def key(self, key: Key) -> bytes:
        """The Redis key of a cache key (``str`` keys and ``bytes`` keys never collide)."""
        if isinstance(key, str):
            return f"{self.namespace}:s:{key}".encode()
        if isinstance(key, bytes):
            return f"{self.namespace}:b:".encode() + key
        raise TypeError(f"cache keys are str or bytes, got {type(key).__name__}")

    @asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StorageUnavailableError(
                f"Redis at {self.url} is unavailable: {exc}", url=self.url
            ) from exc
        except RedisError as exc:
            raise StorageError(f"Redis error on {self.url}: {exc}", url=self.url) from exc

    async def get(self, key: Key, default: Any = None) -> Any:
        """The value under ``key``, or ``default``."""
        found, _ = await self.get_with_ttl(key)
        return default if found is _MISSING else found

    async def get_with_ttl(self, key: Key) -> tuple[Any, float | None]:
        """``(value, seconds left or None)``; the value is :data:`MISSING` if absent."""
        async with self._errors():
            pipe = self.client.pipeline(transaction=False)
            pipe.get(self.key(key))
            pipe.pttl(self.key(key))
            data, pttl = await pipe.execute()
        if data is None:
            return _MISSING, None
        return decode_value(data), (pttl / 1000 if pttl is not None and pttl > 0 else None)

    async def set(self, key: Key, value: Any, *, ttl: float | None = None) -> None:
        """Stores ``value`` (``ttl`` seconds, else the cache's default)."""
        data = encode_value(value)
        life = self.ttl if ttl is None else ttl
        async with self._errors():
            await self.client.set(
                self.key(key), data, px=None if life is None else max(1, int(life * 1000))
            )

    async def delete(self, key: Key) -> bool:
        """Removes ``key``; whether it was there."""
        async with self._errors():
            return bool(await self.client.delete(self.key(key)))

    async def clear(self) -> int:
        """Removes every key of this namespace; how many there were."""
        removed = 0
        async with self._errors():
            async for name in self.client.scan_iter(match=f"{self.namespace}:[sb]:*"):
                removed += int(await self.client.delete(name))
        return removed

    async def publish(self, message: bytes) -> None:
        """Sends ``message`` on the invalidation channel."""
        async with self._errors():
            await self.client.publish(self.channel, message)

    async def close(self) -> None:
        """Closes the connections."""
        await self.client.aclose()

    async def __aenter__(self) -> RedisCache:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()
MISSING: Any = _MISSING
"""What :meth:`RedisCache.get_with_ttl` returns for an absent key."""
