"""cached(): memoising sync and async functions, one computation per key in flight."""

from __future__ import annotations

import asyncio

import pytest

from mastra.cache import LRUCache, cached


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_sync_function_is_computed_once_per_key() -> None:
    cache = LRUCache(100)
    calls: list[tuple[int, int]] = []

    @cached(cache)
    def add(a: int, b: int = 0) -> int | None:
        calls.append((a, b))
        return None if a < 0 else a + b

    assert add(1, 2) == 3
    assert add(1, 2) == 3
    assert add(1, b=2) == 3
    assert add(-1) is None
    assert add(-1) is None  # None results are cached too
    assert calls == [(1, 2), (1, 2), (-1, 0)]
    assert add.__name__ == "add"


def test_custom_key_and_ttl() -> None:
    clock = FakeClock()
    cache = LRUCache(100, clock=clock)
    calls: list[str] = []

    @cached(cache, key=lambda text: f"upper:{text}", ttl=5)
    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert upper("a") == "A"
    assert cache["upper:a"] == "A"
    clock.now = 4.9
    assert upper("a") == "A"
    clock.now = 5.0
    assert upper("a") == "A"
    assert calls == ["a", "a"]


def test_exceptions_are_not_cached() -> None:
    cache = LRUCache(10)
    attempts: list[int] = []

    @cached(cache, key=lambda: "k")
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first call fails")
        return 7

    with pytest.raises(RuntimeError):
        flaky()
    assert flaky() == 7
    assert flaky() == 7
    assert len(attempts) == 2


def test_async_concurrent_calls_share_one_computation() -> None:
    cache = LRUCache(10)
    started: list[str] = []

    @cached(cache)
    async def fetch(name: str) -> str:
        started.append(name)
        await asyncio.sleep(0.01)
        return name * 2

    async def main() -> list[str]:
        return await asyncio.gather(*(fetch(n) for n in ["a", "a", "b", "a", "b"]))

    assert asyncio.run(main()) == ["aa", "aa", "bb", "aa", "bb"]
    assert started == ["a", "b"]
    assert asyncio.run(fetch("a")) == "aa"
    assert started == ["a", "b"]


def test_async_waiters_see_the_exception_and_nothing_is_cached() -> None:
    cache = LRUCache(10)
    calls: list[int] = []

    @cached(cache, key=lambda: "k")
    async def fail() -> int:
        calls.append(1)
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    async def main() -> list[BaseException | int]:
        return await asyncio.gather(fail(), fail(), fail(), return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, ValueError) for r in results)
    assert calls == [1]
    assert "k" not in cache


def test_async_cancelled_waiter_does_not_cancel_the_computation() -> None:
    cache = LRUCache(10)

    @cached(cache, key=lambda: "k")
    async def slow() -> int:
        await asyncio.sleep(0.02)
        return 1

    async def main() -> int:
        leader = asyncio.ensure_future(slow())
        await asyncio.sleep(0)
        waiter = asyncio.ensure_future(slow())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return await leader

    assert asyncio.run(main()) == 1
    assert cache["k"] == 1
