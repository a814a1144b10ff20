"""The loopback server (one per session) and the anyio backend for async tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest

from mastra.http import HttpClient

from .helpers import FAST_CONFIG
from .server import LoopbackServer


@pytest.fixture(scope="session")
def server() -> Iterator[LoopbackServer]:
    """A loopback server speaking the OpenAI and Anthropic wire formats, with faults."""
    loopback = LoopbackServer().start()
    try:
        yield loopback
    finally:
        loopback.stop()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["httpx", "aiohttp"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[HttpClient]:
    """A fast-retrying client on each transport; no connection may stay in use."""
    async with HttpClient(replace(FAST_CONFIG, transport=request.param)) as http:
        yield http
        assert http.pool_stats().in_use == 0
