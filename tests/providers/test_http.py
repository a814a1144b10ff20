"""mastra.http against the loopback server: retries, typed errors, streams, no leaks."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from mastra.errors import (
    AuthenticationError,
    ConfigError,
    ContextLengthError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from mastra.http import (
    HttpClient,
    HttpConfig,
    RetryPolicy,
    Timeouts,
    aclose_shared_clients,
    backoff_delay,
    parse_retry_after,
    shared_client,
)

from .server import LoopbackServer

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05, max_retry_after=5)
CONFIG = HttpConfig(retry=FAST, timeouts=Timeouts(read=0.3, connect=2))
BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
KEY = "sk-loopback-secret-key-1234"


async def post(client: HttpClient, base: str, **body: object) -> dict[str, object]:
    response = await client.request(
        "POST", f"{base}/chat/completions", provider="openai", json=BODY | body
    )
    data: dict[str, object] = response.json()
    return data


async def read_stream(
    client: HttpClient, base: str, into: list[bytes] | None = None
) -> list[bytes]:
    chunks = [] if into is None else into
    url = f"{base}/chat/completions"
    async with client.stream("POST", url, provider="openai", json=BODY | {"stream": True}) as r:
        assert r.status_code == 200
        assert r.request_id == "req_loop"
        async for chunk in r.aiter_bytes():
            chunks.append(chunk)
    return chunks


async def test_success(client: HttpClient, server: LoopbackServer) -> None:
    data = await post(client, server.url())
    assert data["object"] == "chat.completion"


@pytest.mark.parametrize("scenario", ["500-once", "429-once", "429-date-once", "drop-once"])
async def test_transient_failures_are_retried(
    client: HttpClient, server: LoopbackServer, scenario: str
) -> None:
    base = server.url(scenario)
    data = await post(client, base)
    assert data["object"] == "chat.completion"
    assert len(server.log(base)) == 2


async def test_rate_limit_beyond_the_cap_raises_at_once(
    client: HttpClient, server: LoopbackServer
) -> None:
    base = server.url("429-always")
    with pytest.raises(RateLimitError) as caught:
        await post(client, base)
    assert caught.value.retry_after == 3600.0
    assert caught.value.status == 429
    assert caught.value.request_id == "req_loop"
    assert caught.value.provider == "openai"
    assert len(server.log(base)) == 1


async def test_persistent_5xx_ends_in_unavailable(
    client: HttpClient, server: LoopbackServer
) -> None:
    base = server.url("503")
    with pytest.raises(ProviderUnavailableError, match="503") as caught:
        await post(client, base)
    assert isinstance(caught.value, ConnectionError)
    assert len(server.log(base)) == FAST.max_retries + 1


async def test_401_is_not_retried_and_hides_the_key(
    client: HttpClient, server: LoopbackServer
) -> None:
    base = server.url("401")
    with pytest.raises(AuthenticationError) as caught:
        await client.request(
            "POST",
            f"{base}/chat/completions",
            provider="openai",
            headers={"authorization": f"Bearer {KEY}"},
            json=BODY,
        )
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)
    assert "[redacted]" in str(caught.value)
    assert len(server.log(base)) == 1
    assert server.headers[server._key(base)][0]["authorization"] == f"Bearer {KEY}"


async def test_context_length_is_recognised(client: HttpClient, server: LoopbackServer) -> None:
    with pytest.raises(ContextLengthError, match="maximum context length"):
        await post(client, server.url("too-long"))


async def test_read_timeout_ends_in_timeout_error(
    client: HttpClient, server: LoopbackServer
) -> None:
    base = server.url("read-timeout")
    with pytest.raises(ProviderTimeoutError) as caught:
        await post(client, base)
    assert isinstance(caught.value, TimeoutError)
    assert len(server.log(base)) == FAST.max_retries + 1


async def test_stream_reads_every_chunk(client: HttpClient, server: LoopbackServer) -> None:
    body = b"".join(await read_stream(client, server.url()))
    assert body.endswith(b"data: [DONE]\n\n")
    assert body.count(b"chat.completion.chunk") > 5


@pytest.mark.parametrize("scenario", ["500-once", "429-once", "drop-once"])
async def test_stream_is_retried_before_the_first_byte(
    client: HttpClient, server: LoopbackServer, scenario: str
) -> None:
    base = server.url(scenario)
    body = b"".join(await read_stream(client, base))
    assert body.endswith(b"data: [DONE]\n\n")
    assert len(server.log(base)) == 2


async def test_stream_is_not_retried_after_the_first_byte(
    client: HttpClient, server: LoopbackServer
) -> None:
    base = server.url("reset-mid-stream")
    received: list[bytes] = []
    with pytest.raises(ProviderUnavailableError):
        await read_stream(client, base, into=received)
    assert b"chat.completion.chunk" in b"".join(received)
    assert len(server.log(base)) == 1


async def test_stalled_stream_times_out(client: HttpClient, server: LoopbackServer) -> None:
    with pytest.raises(ProviderTimeoutError):
        await read_stream(client, server.url("stall-mid-stream"))


async def test_abandoned_stream_returns_its_connection(
    client: HttpClient, server: LoopbackServer
) -> None:
    url = f"{server.url()}/chat/completions"
    async with client.stream("POST", url, provider="openai", json=BODY | {"stream": True}) as r:
        async for _ in r.aiter_bytes():
            break
    assert client.pool_stats().in_use == 0


async def test_concurrent_requests_share_a_bounded_pool(server: LoopbackServer) -> None:
    config = HttpConfig(retry=FAST, max_connections=4, max_keepalive_connections=4)
    async with HttpClient(config) as http:
        results = await asyncio.gather(*(post(http, server.url()) for _ in range(20)))
        stats = http.pool_stats()
    assert len(results) == 20
    assert stats.open <= 4
    assert stats.in_use == 0


async def test_shared_client_is_one_per_loop_and_config() -> None:
    first = shared_client(CONFIG)
    assert shared_client(CONFIG) is first
    assert shared_client() is not first
    await aclose_shared_clients()
    assert first.is_closed
    assert shared_client(CONFIG) is not first
    await aclose_shared_clients()


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert parse_retry_after({"retry-after": date}, now=1445412470.0) == 10.0
    assert parse_retry_after({"retry-after": date}, now=1445412490.0) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "-3"}) is None
    assert parse_retry_after({}) is None


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=4.0)
    rng = random.Random(7)
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [backoff_delay(attempt, policy, rng) for _ in range(200)]
        assert all(0.0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8
        assert min(delays) < cap * 0.2


def test_retryable_statuses() -> None:
    policy = RetryPolicy()
    assert [s for s in (400, 401, 404, 408, 409, 422, 429, 500, 529) if policy.is_retryable(s)] == [
        408,
        409,
        429,
        500,
        529,
    ]


@pytest.mark.parametrize(
    "make",
    [
        lambda: RetryPolicy(max_retries=-1),
        lambda: Timeouts(read=0),
        lambda: HttpConfig(max_connections=0),
        lambda: HttpConfig(transport="curl"),  # type: ignore[arg-type]
    ],
)
def test_bad_settings_raise_config_error(make: object) -> None:
    with pytest.raises(ConfigError):
        make()  # type: ignore[operator]


async def test_retries_are_logged_without_the_key(
    client: HttpClient, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mastra.http")
    base = server.url("500-once")
    headers = {"authorization": f"Bearer {KEY}"}
    await client.request(
        "POST", f"{base}/chat/completions?key={KEY}", provider="p", headers=headers, json=BODY
    )
    assert "retrying POST" in caplog.text
    assert "status 500" in caplog.text
    assert KEY not in caplog.text
