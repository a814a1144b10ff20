"""The backends named by the settings (``storage.url``, ``vectors.url``, ``cache.l2``),
built for an app that brings none of its own: SQLite or PostgreSQL storage, a SQLite or
pgvector vector store, an L1 cache over Redis and the rate limit shared through it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mastra._mastra import Mastra
from mastra.cache import LRUCache
from mastra.errors import ConfigError
from mastra.server._config import CacheConfig, ServerConfig, StorageConfig, VectorsConfig
from mastra.server._errors import ApiError

if TYPE_CHECKING:
    from mastra.cache import RedisCache, SharedRateLimiter, TieredCache

__all__ = [
    "SharedLimit",
    "build_cache",
    "build_storage",
    "build_vectors",
    "configure_mastra",
    "redis_of",
]


def _sqlite_path(url: str) -> str:
    return url[len("sqlite:///") :] if url.startswith("sqlite:///") else url


def _needs(extra: str, field: str, exc: ImportError) -> ConfigError:
    return ConfigError(
        f"{field} needs the {extra} extra (pip install 'mastra[{extra}]'): {exc}", field=field
    )


def build_storage(config: StorageConfig) -> Any:
    """The storage ``config.url`` names (``None`` when it names none).

    Raises:
        ConfigError: The backend's extra is not installed.
    """
    if config.url is None:
        return None
    if config.url.startswith("sqlite:///"):
        from mastra.storage import SQLiteStorage

        return SQLiteStorage(_sqlite_path(config.url))
    try:
        from mastra.storage import PostgresStorage
    except ImportError as exc:
        raise _needs("postgres", "storage.url", exc) from None
    return PostgresStorage(config.url, schema=config.schema_name, max_connections=config.pool_size)


def build_vectors(config: VectorsConfig) -> Any:
    """The vector store ``config.url`` names (``None`` when it names none).

    Raises:
        ConfigError: The backend's extra is not installed.
    """
    if config.url is None:
        return None
    if not config.url.startswith(("postgresql://", "postgres://")):
        from mastra.vector import SQLiteVectorStore

        return SQLiteVectorStore(_sqlite_path(config.url))
    try:
        from mastra.vector import PgVectorStore
    except ImportError as exc:
        raise _needs("postgres", "vectors.url", exc) from None
    return PgVectorStore(config.url, schema=config.schema_name, max_connections=config.pool_size)


def redis_of(config: CacheConfig) -> RedisCache | None:
    """A Redis client for ``config.l2`` (``None`` without one); connects on first use.

    Raises:
        ConfigError: redis-py (the ``redis`` extra) is not installed.
    """
    if config.l2 is None:
        return None
    try:
        from mastra.cache import RedisCache
    except ImportError as exc:
        raise _needs("redis", "cache.l2", exc) from None
    return RedisCache(config.l2, namespace=config.namespace, ttl=config.ttl)


def build_cache(config: CacheConfig) -> LRUCache | TieredCache:
    """The server's cache: an LRU, under which Redis is the shared L2 when configured."""
    l1 = LRUCache(config.l1_size, ttl=config.ttl)
    l2 = redis_of(config)
    if l2 is None:
        return l1
    from mastra.cache import TieredCache

    return TieredCache(l1, l2)


def configure_mastra(mastra: Mastra, config: ServerConfig) -> Mastra:
    """Gives ``mastra`` the storage and vector store of the settings where it has
    none of its own (its own always win); returns it."""
    if mastra.storage is None:
        mastra.storage = build_storage(config.storage)
    if not mastra.vectors:
        store = build_vectors(config.vectors)
        if store is not None:
            mastra._vectors[config.vectors.name] = store
    return mastra


class SharedLimit:
    """The per-principal rate limit kept in Redis, so every worker takes from one
    bucket (each falls back to a bucket of its own while Redis is out of reach).

    Args:
        limiter: The Redis token bucket.
    """

    def __init__(self, limiter: SharedRateLimiter) -> None:
        self.limiter = limiter

    async def check(self, key: str) -> None:
        """Takes one token of ``key``'s bucket.

        Raises:
            ApiError: 429 with ``Retry-After`` when the bucket is empty.
        """
        wait = await self.limiter.acquire(key)
        if wait > 0:
            retry = str(max(1, math.ceil(wait)))
            raise ApiError(429, "rate limit exceeded", {"Retry-After": retry})
