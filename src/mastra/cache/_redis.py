"""The shared cache tier: Redis, through redis-py's asyncio client."""

from __future__ import annotations

import struct
import time
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

# One tag byte says how the rest of a stored value reads; an expiring value is stored
# as ``_EXPIRING``, its expiry (Unix ms, big-endian), then the value's own tag and bytes.
_BYTES, _JSON, _EXPIRING = b"b", b"j", b"t"
_EXPIRY = struct.Struct(">q")


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

    def _mapped(self, exc: RedisError | OSError) -> StorageError:
        if isinstance(exc, (RedisConnectionError, RedisTimeoutError, OSError)):
            return StorageUnavailableError(
                f"Redis at {self.url} is unavailable: {exc}", url=self.url
            )
        return StorageError(f"Redis error on {self.url}: {exc}", url=self.url)

    @asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        try:
            yield
        except (RedisError, OSError) as exc:
            raise self._mapped(exc) from exc

    async def get(self, key: Key, default: Any = None) -> Any:
        """The value under ``key``, or ``default``."""
        found, _ = await self.get_with_ttl(key)
        return default if found is _MISSING else found

    async def get_with_ttl(self, key: Key) -> tuple[Any, float | None]:
        """``(value, seconds left or None)``; the value is :data:`MISSING` if absent.

        One ``GET``: the expiry travels inside the stored value (see :meth:`set`)."""
        try:  # not ``self._errors()``: the hot path, where a context manager shows
            data: bytes | None = await self.client.get(self.key(key))  # type: ignore[assignment]
        except (RedisError, OSError) as exc:
            raise self._mapped(exc) from exc
        if data is None:
            return _MISSING, None
        if data[:1] != _EXPIRING:  # written without a TTL (or by an older mastra)
            return decode_value(data), None
        (expires_ms,) = _EXPIRY.unpack_from(data, 1)
        left = expires_ms / 1000 - time.time()
        if left <= 0:  # expired on this host's clock: Redis is about to drop it
            return _MISSING, None
        return decode_value(data[1 + _EXPIRY.size :]), left

    async def set(self, key: Key, value: Any, *, ttl: float | None = None) -> None:
        """Stores ``value`` (``ttl`` seconds, else the cache's default).

        A value with a TTL is stored behind its absolute expiry (Unix milliseconds), so
        a read learns the time left without a second command; Redis expires it too."""
        data = encode_value(value)
        life = self.ttl if ttl is None else ttl
        px = None if life is None else max(1, int(life * 1000))
        if px is not None:
            data = _EXPIRING + _EXPIRY.pack(int(time.time() * 1000) + px) + data
        async with self._errors():
            await self.client.set(self.key(key), data, px=px)

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
