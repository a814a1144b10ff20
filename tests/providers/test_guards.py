"""Circuit breaker, rate limiter, request hooks, response cache and transport choice."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator

import pytest

from mastra.cache import LRUCache
from mastra.errors import AuthenticationError, ConfigError, ProviderUnavailableError
from mastra.http import (
    BreakerConfig,
    CircuitBreaker,
    HttpClient,
    HttpConfig,
    RateLimit,
    RateLimiter,
    RequestStats,
)
from mastra.providers import OpenAIChatModel, Provider

from . import wire
from .helpers import FAST_CONFIG, KEY
from .server import LoopbackServer

pytestmark = pytest.mark.anyio
BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_half_opens_and_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker("h", BreakerConfig(failure_threshold=3, reset_timeout=10), clock=clock)
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.before_request("p")
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(ProviderUnavailableError, match="circuit for h is open") as caught:
        breaker.before_request("p")
    assert caught.value.context["circuit"] == "open"
    clock.now += 10
    assert breaker.state == "half_open"
    breaker.before_request("p")  # the one trial request
    with pytest.raises(ProviderUnavailableError):
        breaker.before_request("p")
    breaker.record_failure()  # the trial failed: open again for a full timeout
    assert breaker.state == "open"
    clock.now += 10
    breaker.before_request("p")
    breaker.record_success()
    assert breaker.state == "closed"


async def test_breaker_fails_fast_for_a_failing_host(server: LoopbackServer) -> None:
    config = HttpConfig(
        retry=FAST_CONFIG.retry,
        timeouts=FAST_CONFIG.timeouts,
        breaker=BreakerConfig(failure_threshold=2, reset_timeout=0.05),
    )
    async with HttpClient(config) as client:
        base = server.url("503")
        with pytest.raises(ProviderUnavailableError, match="circuit") as caught:
            await client.request("POST", f"{base}/chat/completions", provider="p", json=BODY)
        assert caught.value.context["circuit"] == "open"
        assert len(server.log(base)) == 2
        await asyncio.sleep(0.1)  # past reset_timeout: one trial request goes through
        response = await client.request(
            "POST", f"{server.url()}/chat/completions", provider="p", json=BODY
        )
        assert response.status_code == 200
        assert client.breaker(f"127.0.0.1:{server.port}").state == "closed"  # type: ignore[union-attr]


def test_rate_limiter_buckets() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(requests_per_minute=60, tokens_per_minute=600), clock=clock)
    assert limiter.delay(tokens=600) == 0.0
    limiter._requests.level = 0.0  # type: ignore[union-attr]
    assert limiter.delay() == pytest.approx(1.0)
    clock.now += 0.5
    assert limiter.delay() == pytest.approx(0.5)
    limiter._tokens.level = 0.0  # type: ignore[union-attr]
    assert limiter.delay(tokens=60) == pytest.approx(6.0)
    with pytest.raises(ConfigError):
        RateLimit(requests_per_minute=0)


async def test_rate_limiter_waits_for_capacity() -> None:
    limiter = RateLimiter(RateLimit(tokens_per_minute=6000))
    await limiter.acquire(tokens=6000)
    assert limiter.delay(tokens=5) > 0
    await asyncio.wait_for(limiter.acquire(tokens=5), timeout=5)


def test_limiters_are_shared_per_key() -> None:
    limit = RateLimit(requests_per_minute=10)
    first = Provider("p", "http://127.0.0.1:1/v1", "key-1", rate_limit=limit)
    same_key = Provider("p", "http://127.0.0.1:1/v1", "key-1", rate_limit=limit)
    other_key = Provider("p", "http://127.0.0.1:1/v1", "key-2", rate_limit=limit)
    assert first.limiter is same_key.limiter
    assert first.limiter is not other_key.limiter
    assert Provider("p", "http://127.0.0.1:1/v1", "key-1").limiter is None


def test_http2_without_h2_is_a_config_error() -> None:
    if importlib.util.find_spec("h2") is not None:
        assert HttpClient(HttpConfig(http2=True)).transport == "httpx"
        return
    with pytest.raises(ConfigError, match="h2"):
        HttpClient(HttpConfig(http2=True))


async def test_provider_rate_limit_is_applied(server: LoopbackServer) -> None:
    async with HttpClient(FAST_CONFIG) as client:
        # 60 a minute: the bucket refills one token a second, so three calls leave it
        # below 58 unless they took over a second.
        provider = Provider("openai", server.url(), KEY, http=client, rate_limit=RateLimit(60))
        model = OpenAIChatModel("gpt-test", provider=provider)
        await asyncio.gather(*(model.generate("hi") for _ in range(3)))
        assert provider.limiter is not None
        assert provider.limiter._requests.level < 58  # type: ignore[union-attr]


@pytest.fixture
async def stats_client() -> AsyncIterator[tuple[HttpClient, RequestStats]]:
    stats = RequestStats()
    config = HttpConfig(retry=FAST_CONFIG.retry, timeouts=FAST_CONFIG.timeouts, hooks=(stats,))
    async with HttpClient(config) as client:
        yield client, stats


async def test_hooks_count_requests_errors_and_latency(
    server: LoopbackServer, stats_client: tuple[HttpClient, RequestStats]
) -> None:
    client, stats = stats_client
    await client.request("POST", f"{server.url('500-once')}/chat/completions", provider="p")
    with pytest.raises(AuthenticationError):
        await client.request("POST", f"{server.url('401')}/chat/completions", provider="p")
    url = f"{server.url()}/chat/completions"
    async with client.stream("POST", url, provider="p", json=BODY | {"stream": True}) as r:
        async for _ in r.aiter_bytes():
            pass
    assert stats.requests == 3
    assert stats.retries == 1
    assert dict(stats.errors) == {"provider_authentication_error": 1}
    assert stats.max_seconds >= stats.mean_seconds > 0


async def test_response_cache_serves_repeated_requests(
    server: LoopbackServer, stats_client: tuple[HttpClient, RequestStats]
) -> None:
    client, stats = stats_client
    base = server.url()
    cache = LRUCache(100)
    model = OpenAIChatModel(
        "gpt-test", provider=Provider("openai", base, KEY, http=client, cache=cache)
    )
    first = await model.generate("Hello")
    second = await model.generate("Hello")
    third = await model.generate("Hello again")
    assert first.text == second.text == third.text == wire.TEXT
    assert second.usage == first.usage
    assert len(server.log(base)) == 2
    assert stats.cache_hits == 1
    assert (stats.requests, stats.retries) == (3, 0)
    assert len(cache) == 2
    other_key = Provider("openai", base, "another-key", http=client, cache=cache)
    await OpenAIChatModel("gpt-test", provider=other_key).generate("Hello")
    assert len(server.log(base)) == 3


def test_transport_choice() -> None:
    assert HttpClient(HttpConfig()).transport == "aiohttp"
    assert HttpClient(HttpConfig(transport="httpx")).transport == "httpx"
    assert "aiohttp" in repr(HttpClient(HttpConfig(transport="aiohttp")))
