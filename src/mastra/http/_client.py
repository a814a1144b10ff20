"""The pooled, retrying client every provider shares."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import orjson

from mastra.cache import LRUCache
from mastra.errors import MastraError, ProviderTimeoutError, ProviderUnavailableError
from mastra.http._config import HttpConfig
from mastra.http._errors import (
    MAPPED_EXCEPTIONS,
    error_from_response,
    map_exceptions,
    mapped_error,
    secrets_of,
)
from mastra.http._guards import CircuitBreaker, RateLimiter
from mastra.http._hooks import RequestEvent
from mastra.http._retry import backoff_delay, parse_retry_after
from mastra.http._stream import StreamedResponse, aclose_iterator
from mastra.http._telemetry import telemetry
from mastra.http._transport import PoolStats, build_client, pool_stats, transport_name

__all__ = ["HttpClient", "aclose_shared_clients", "shared_client"]

logger = logging.getLogger("mastra.http")

T = TypeVar("T")
_MAX_CACHED_URLS = 1024


class _FailedResponse(Exception):
    """Raised by an attempt that got a non-success response, to the retry loop only."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass
class _Outcome:
    """What the retry loop learnt, for the hooks."""

    attempts: int = 0
    status: int | None = None


def cache_key(request: httpx.Request, secrets: tuple[str, ...]) -> str:
    """A hash of everything that decides the answer: method, URL, body, credentials."""
    digest = hashlib.sha256()
    parts = [request.method.encode(), str(request.url).encode(), request.content]
    for part in parts + [secret.encode() for secret in secrets]:
        digest.update(part)
        digest.update(b"\x00")
    return "http:" + digest.hexdigest()


class HttpClient:
    """A pooled HTTP client that retries with backoff and raises typed errors.

    Use one per process and configuration (:func:`shared_client` keeps them), or as an
    ``async with`` block that closes its connections on exit. Each host gets a circuit
    breaker; every finished request is reported to the configured hooks.

    Args:
        config: Timeouts, pool bounds, retry policy, breaker, hooks and transport.
        rng: The random source for backoff jitter (seed it for reproducible delays).

    Example:
        >>> async def main():
        ...     async with HttpClient() as client:
        ...         response = await client.request(
        ...             "POST", "https://api.openai.com/v1/chat/completions",
        ...             provider="openai", headers={"authorization": "Bearer ..."},
        ...             json={"model": "gpt-4o-mini", "messages": []},
        ...         )
        ...         return response.json()
    """

    def __init__(self, config: HttpConfig | None = None, *, rng: random.Random | None = None):
        self.config = config or HttpConfig()
        self.transport = transport_name(self.config)
        self._client = build_client(self.config)
        self._rng = rng or random.Random()
        self._breakers: dict[str, CircuitBreaker] = {}
        self._urls: dict[str, httpx.URL] = {}
        self._default_headers = dict(self._client.headers)
        self._extensions = {"timeout": self._client.timeout.as_dict()}

    def __repr__(self) -> str:
        return f"HttpClient(transport={self.transport!r}, closed={self.is_closed})"

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._client.is_closed

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes every pooled connection."""
        await self._client.aclose()

    def pool_stats(self) -> PoolStats:
        """Counts the pool's open connections and those serving a request."""
        return pool_stats(self._client)

    def breaker(self, host: str) -> CircuitBreaker | None:
        """The circuit breaker of ``host`` (``"name"`` or ``"name:port"`` as in the URL;
        ``None`` when breakers are off)."""
        if self.config.breaker is None:
            return None
        breaker = self._breakers.get(host)
        if breaker is None:
            breaker = self._breakers[host] = CircuitBreaker(host, self.config.breaker)
            telemetry.track(breaker)
        return breaker

    def _build_request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        json: Any,
        content: bytes | None,
    ) -> httpx.Request:
        """What httpx's ``build_request`` makes (client headers and timeouts merged in),
        minus cookies and query-parameter merging, which provider APIs do not use, and
        with parsed URLs kept: parsing one costs more than the rest of the request."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= _MAX_CACHED_URLS:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        all_headers = {**self._default_headers, **(headers or {})}
        if json is not None:
            content = orjson.dumps(json)
            all_headers.setdefault("content-type", "application/json")
        return httpx.Request(
            method, parsed, headers=all_headers, content=content, extensions=self._extensions
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        provider: str,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        limiter: RateLimiter | None = None,
        cache: LRUCache | None = None,
    ) -> httpx.Response:
        """Sends a request and reads the whole response, retrying what is worth it.

        Args:
            method: The HTTP method.
            url: The absolute URL.
            provider: The provider's name, for errors, logs and hooks.
            headers: Request headers; API-key headers are redacted from any error.
            json: A body to send as JSON (encoded with orjson).
            content: A raw body, when ``json`` is not given.
            limiter: A rate limiter to wait on first (tokens estimated from the body).
            cache: A cache of successful responses, keyed by a hash of the request
                (method, URL, body and credentials).

        Returns:
            The successful (2xx) response, body read.

        Raises:
            ProviderError: The typed error once retries are spent or not worth it.
        """
        request = self._build_request(method, url, headers, json, content)
        secrets = secrets_of(headers)
        key = cache_key(request, secrets) if cache is not None else ""
        if cache is not None:
            hit = cache.get(key)
            telemetry.cache_lookup(provider, hit is not None)
            if hit is not None:
                self._emit(request, provider, _Outcome(0, hit[0]), time.perf_counter(), None, True)
                return httpx.Response(hit[0], headers=hit[1], content=hit[2], request=request)
        if limiter is not None:
            await limiter.acquire(len(request.content) / 4)

        async def attempt() -> httpx.Response:
            response = await self._open(request, provider, secrets)
            if not response.is_success:
                raise _FailedResponse(response)
            return response

        response = await self._run(request, provider, secrets, attempt)
        if cache is not None:
            cache.set(key, (response.status_code, response.headers.multi_items(), response.content))
        return response

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        provider: str,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        limiter: RateLimiter | None = None,
    ) -> AsyncIterator[StreamedResponse]:
        """Sends a request and yields its response for reading as it arrives.

        Failures before the first body byte (errors, retryable statuses, a dropped
        connection) are retried like :meth:`request`; later ones raise.

        Example:
            >>> async def tokens(client, url, body):
            ...     async with client.stream("POST", url, provider="openai", json=body) as r:
            ...         async for chunk in r.aiter_bytes():
            ...             print(chunk)
        """
        request = self._build_request(method, url, headers, json, content)
        secrets = secrets_of(headers)
        if limiter is not None:
            await limiter.acquire(len(request.content) / 4)

        async def attempt() -> StreamedResponse:
            response = await self._open(request, provider, secrets, stream=True)
            if not response.is_success:
                raise _FailedResponse(response)
            chunks = response.aiter_bytes()
            try:
                with map_exceptions(provider, method=method, url=url, secrets=secrets):
                    first = await anext(chunks, b"")
            except BaseException:
                await aclose_iterator(chunks)
                await response.aclose()
                raise
            return StreamedResponse(response, chunks, first, provider=provider, secrets=secrets)

        streamed = await self._run(request, provider, secrets, attempt)
        try:
            yield streamed
        finally:
            await streamed.aclose()

    async def _open(
        self, request: httpx.Request, provider: str, secrets: tuple[str, ...], stream: bool = False
    ) -> httpx.Response:
        """One attempt: sends the request; reads the body unless streaming a success."""
        try:
            response = await self._client.send(request, stream=True)
        except MAPPED_EXCEPTIONS as exc:
            raise self._mapped(exc, request, provider, secrets) from exc
        if stream and response.is_success:
            return response
        try:
            await response.aread()
        except BaseException as exc:
            await response.aclose()
            if isinstance(exc, MAPPED_EXCEPTIONS):
                raise self._mapped(exc, request, provider, secrets) from exc
            raise
        return response

    @staticmethod
    def _mapped(
        exc: Exception, request: httpx.Request, provider: str, secrets: tuple[str, ...]
    ) -> MastraError:
        url = str(request.url)
        return mapped_error(exc, provider, method=request.method, url=url, secrets=secrets)

    async def _run(
        self,
        request: httpx.Request,
        provider: str,
        secrets: tuple[str, ...],
        attempt: Callable[[], Awaitable[T]],
    ) -> T:
        """Runs the retry loop and reports the outcome to the hooks."""
        outcome = _Outcome()
        start = time.perf_counter() if self.config.hooks else 0.0
        try:
            result = await self._retrying(request, provider, secrets, attempt, outcome)
        except MastraError as exc:
            self._emit(request, provider, outcome, start, exc.code)
            raise
        self._emit(request, provider, outcome, start, None)
        return result

    def _emit(
        self,
        request: httpx.Request,
        provider: str,
        outcome: _Outcome,
        start: float,
        error: str | None,
        cached: bool = False,
    ) -> None:
        if not self.config.hooks:
            return
        event = RequestEvent(
            provider=provider,
            method=request.method,
            host=request.url.host,
            status=outcome.status,
            error=error,
            attempts=outcome.attempts,
            seconds=time.perf_counter() - start,
            cached=cached,
        )
        for hook in self.config.hooks:
            hook.on_request(event)

    async def _retrying(
        self,
        request: httpx.Request,
        provider: str,
        secrets: tuple[str, ...],
        attempt: Callable[[], Awaitable[T]],
        outcome: _Outcome,
    ) -> T:
        """Runs ``attempt`` until it succeeds or a retry is not allowed or worth it."""
        breaker = self.breaker(request.url.netloc.decode("ascii"))
        while True:
            outcome.attempts += 1
            if breaker is not None:
                breaker.before_request(provider)
            try:
                result = await attempt()
            except _FailedResponse as exc:
                failed = exc.response
            except (ProviderUnavailableError, ProviderTimeoutError) as exc:
                if breaker is not None:
                    breaker.record_failure()
                retry_delay = self._delay(outcome.attempts, None)
                if retry_delay is None:
                    raise
                reason = "timeout" if isinstance(exc, ProviderTimeoutError) else "connection"
                self._log_retry(request, provider, reason, retry_delay, outcome.attempts)
                await asyncio.sleep(retry_delay)
                continue
            else:
                if breaker is not None:
                    breaker.record_success()
                return result
            # Outside the except clause, so a raised error does not chain _FailedResponse.
            delay = self._failed_response(failed, provider, secrets, outcome, breaker)
            self._log_retry(request, provider, str(failed.status_code), delay, outcome.attempts)
            await asyncio.sleep(delay)

    def _failed_response(
        self,
        failed: httpx.Response,
        provider: str,
        secrets: tuple[str, ...],
        outcome: _Outcome,
        breaker: CircuitBreaker | None,
    ) -> float:
        """The delay before retrying a non-success response; raises if not retried."""
        status = outcome.status = failed.status_code
        if breaker is not None:
            if status >= 500:
                breaker.record_failure()
            else:
                breaker.record_success()
        retry_after = parse_retry_after(failed.headers)
        retryable = self.config.retry.is_retryable(status)
        delay = self._delay(outcome.attempts, retry_after) if retryable else None
        if delay is None:
            raise error_from_response(
                provider,
                status,
                failed.headers,
                failed.content,
                retry_after=retry_after,
                secrets=secrets,
            )
        return delay

    def _log_retry(
        self, request: httpx.Request, provider: str, reason: str, delay: float, attempt: int
    ) -> None:
        telemetry.retried(provider, request.url.netloc.decode("ascii"), reason)
        logger.info(
            "retrying %s %s (%s) in %.2f s, retry %d of %d",
            request.method,
            request.url.copy_with(query=None),
            f"status {reason}" if reason.isdigit() else reason,
            delay,
            attempt,
            self.config.retry.max_retries,
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        policy = self.config.retry
        if attempt > policy.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= policy.max_retry_after else None
        return backoff_delay(attempt, policy, self._rng)


_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[HttpConfig, HttpClient]] = (
    weakref.WeakKeyDictionary()
)


def shared_client(config: HttpConfig | None = None) -> HttpClient:
    """The client shared by everything in this event loop that uses ``config``.

    Connections are pooled per event loop, since they cannot move between loops.

    Raises:
        RuntimeError: No event loop is running.

    Example:
        >>> async def main():
        ...     client = shared_client()
        ...     assert client is shared_client()
    """
    loop = asyncio.get_running_loop()
    config = config or HttpConfig()
    clients = _SHARED.setdefault(loop, {})
    client = clients.get(config)
    if client is None or client.is_closed:
        client = clients[config] = HttpClient(config)
    return client


async def aclose_shared_clients() -> None:
    """Closes the shared clients of the running event loop."""
    clients = _SHARED.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.aclose()
