"""``cached``: memoise a sync or async function in an :class:`LRUCache`."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from mastra.cache._lru import LRUCache

__all__ = ["cached"]

F = TypeVar("F", bound=Callable[..., Any])
KeyFunction = Callable[..., "str | bytes"]

_MISSING: Any = object()


def _default_key(func: Callable[..., Any]) -> KeyFunction:
    prefix = f"{func.__module__}.{func.__qualname__}"

    def make_key(*args: Any, **kwargs: Any) -> str:
        return f"{prefix}:{args!r}:{sorted(kwargs.items())!r}"

    return make_key


def cached(
    cache: LRUCache, *, key: KeyFunction | None = None, ttl: float | None = None
) -> Callable[[F], F]:
    """Memoises a function's results in ``cache``.

    Works on plain and ``async`` functions. For async functions, concurrent calls with the
    same key share one computation: the first call runs the function, the others await its
    result (or its exception). Exceptions are never cached. Sync calls from several
    threads may compute the same key more than once; the last result stored wins.

    Args:
        cache: Where results are kept.
        key: Builds the cache key (``str`` or ``bytes``) from the call's arguments. The
            default is the function's qualified name with the ``repr`` of the arguments,
            which suits arguments whose ``repr`` identifies their value (str, numbers,
            tuples of them...); pass ``key`` for anything else.
        ttl: Lifetime of the cached results in seconds; None uses the cache's default.

    Returns:
        A decorator that returns the memoising wrapper.

    Example:
        >>> cache = LRUCache(1000)
        >>> @cached(cache, key=lambda text: text)
        ... def embed_len(text: str) -> int:
        ...     return len(text)
        >>> embed_len("hello")
        5
        >>> "hello" in cache
        True
    """

    def decorate(func: F) -> F:
        make_key = key if key is not None else _default_key(func)
        if inspect.iscoroutinefunction(func):
            return cast(F, _wrap_async(func, cache, make_key, ttl))
        return cast(F, _wrap_sync(func, cache, make_key, ttl))

    return decorate


def _wrap_sync(
    func: Callable[..., Any], cache: LRUCache, make_key: KeyFunction, ttl: float | None
) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache_key = make_key(*args, **kwargs)
        value = cache.get(cache_key, _MISSING)
        if value is not _MISSING:
            return value
        value = func(*args, **kwargs)
        cache.set(cache_key, value, ttl=ttl)
        return value

    return wrapper


def _wrap_async(
    func: Callable[..., Awaitable[Any]],
    cache: LRUCache,
    make_key: KeyFunction,
    ttl: float | None,
) -> Callable[..., Awaitable[Any]]:
    in_flight: dict[tuple[asyncio.AbstractEventLoop, str | bytes], asyncio.Future[Any]] = {}

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache_key = make_key(*args, **kwargs)
        value = cache.get(cache_key, _MISSING)
        if value is not _MISSING:
            return value
        loop = asyncio.get_running_loop()
        flight_key = (loop, cache_key)
        shared = in_flight.get(flight_key)
        if shared is not None:
            # shield: one waiter being cancelled must not cancel the shared computation.
            return await asyncio.shield(shared)
        shared = loop.create_future()
        in_flight[flight_key] = shared
        try:
            value = await func(*args, **kwargs)
        except asyncio.CancelledError:
            shared.cancel()
            raise
        except BaseException as exc:
            shared.set_exception(exc)
            shared.exception()  # retrieved here: waiters re-raise it, no "never retrieved"
            raise
        finally:
            del in_flight[flight_key]
        cache.set(cache_key, value, ttl=ttl)
        shared.set_result(value)
        return value

    return wrapper
