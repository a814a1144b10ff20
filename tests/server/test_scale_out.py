"""Two ``mastra serve`` processes on one PostgreSQL + Redis (``storage.url``,
``vectors.url``, ``cache.l2``): what one writes the other reads, and one per-principal
rate limit holds across both. Real servers on 127.0.0.1, started by ci/services.sh."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator

import httpx
import pytest

from conformance.services import (
    POSTGRES_URL,
    REDIS_URL,
    fresh_schema,
    needs_postgres,
    needs_redis,
)

from .conftest import Launch

pytestmark = [needs_postgres, needs_redis]

BURST = 10


@pytest.fixture
def shared_env() -> Iterator[dict[str, str]]:
    with fresh_schema() as schema:
        yield {
            "MASTRA_STORAGE__URL": POSTGRES_URL or "",
            "MASTRA_STORAGE__SCHEMA": schema,
            "MASTRA_VECTORS__URL": POSTGRES_URL or "",
            "MASTRA_VECTORS__SCHEMA": schema,
            "MASTRA_CACHE__L2": REDIS_URL or "",
            "MASTRA_CACHE__NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
            # 1 token per 20 s: no refill worth counting while the test runs.
            "MASTRA_RATE_LIMIT": "0.05",
            "MASTRA_RATE_BURST": str(BURST),
            "MASTRA_MODEL": "",
            "MASTRA_LOG_REQUESTS": "false",
        }


def test_two_servers_share_threads_and_one_rate_limit(
    launch: Launch, shared_env: dict[str, str]
) -> None:
    first, one = launch("--workers", "2", env=shared_env)
    second, two = launch(env=shared_env)
    try:
        _exercise(one, two)
    finally:  # SIGTERM: the supervisor takes its workers down with it (SIGKILL would not)
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        assert second.wait(timeout=30) == 0


def _exercise(one: str, two: str) -> None:
    thread = {"resourceId": "ada", "threadId": "shared-1", "title": "written through one"}
    created = httpx.post(one + "/api/memory/threads?agentId=guide", json=thread, timeout=10)
    assert created.status_code == 200, created.text
    read = httpx.get(two + "/api/memory/threads/shared-1?agentId=guide", timeout=10)
    assert read.status_code == 200, read.text
    assert read.json()["title"] == "written through one"
    # Two tokens of the one bucket are gone; the rest are shared by both servers.
    statuses: dict[str, list[int]] = {one: [], two: []}
    for i in range(2 * BURST):
        url = one if i % 2 == 0 else two
        response = httpx.get(url + "/api/memory/threads/shared-1?agentId=guide", timeout=10)
        statuses[url].append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
    served = [s for codes in statuses.values() for s in codes if s == 200]
    assert len(served) == BURST - 2
    assert 429 in statuses[one]
    assert 429 in statuses[two]
