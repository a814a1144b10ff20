"""Server processes on one PostgreSQL + Redis (``storage.url``, ``vectors.url``,
``cache.l2``): what one writes the other reads, one per-principal rate limit holds across
both, a cache entry changed through one is gone from the other's L1 within 100 ms, and
the servers ride out PostgreSQL restarting under load (no acknowledged write lost) and
Redis being killed and restarted (every request still served). Real servers on
127.0.0.1: PostgreSQL and Redis of ci/services.sh, and a private Redis to kill."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from conformance.services import (
    POSTGRES_URL,
    REDIS_URL,
    RedisServer,
    fresh_schema,
    needs_postgres,
    needs_postgres_ctl,
    needs_redis,
    postgres_ctl,
)

from .conftest import Launch, free_port, output, start_server

pytestmark = [needs_postgres, needs_redis]

BURST = 10


@pytest.fixture
def shared_env() -> Iterator[dict[str, str]]:
    """The settings of servers sharing a fresh schema and a fresh Redis namespace (both
    emptied afterwards)."""
    import redis

    namespace = f"test-{uuid.uuid4().hex[:8]}"
    with fresh_schema() as schema:
        yield {
            "MASTRA_STORAGE__URL": POSTGRES_URL or "",
            "MASTRA_STORAGE__SCHEMA": schema,
            "MASTRA_VECTORS__URL": POSTGRES_URL or "",
            "MASTRA_VECTORS__SCHEMA": schema,
            "MASTRA_CACHE__L2": REDIS_URL or "",
            "MASTRA_CACHE__NAMESPACE": namespace,
            # 1 token per 20 s: no refill worth counting while the test runs.
            "MASTRA_RATE_LIMIT": "0.05",
            "MASTRA_RATE_BURST": str(BURST),
            "MASTRA_MODEL": "",
            "MASTRA_LOG_REQUESTS": "false",
        }
    with redis.Redis.from_url(REDIS_URL or "") as client:
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)


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


# ---- servers with the cache routes (tests/server/scale_app.py) ------------------------------

Serve = Callable[[dict[str, str]], str]
"""Starts one scale_app server process on ``env``; gives its base URL."""


@pytest.fixture
def serve() -> Iterator[Serve]:
    started: list[subprocess.Popen[bytes]] = []

    def run(env: dict[str, str]) -> str:
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "--factory", "tests.server.scale_app:create"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
        process, url = start_server(command, port, env)
        started.append(process)
        return url

    yield run
    for process in started:
        alive = process.poll() is None
        if alive:
            process.send_signal(signal.SIGTERM)
        log = output(process).decode()
        assert alive, f"a server exited on its own:\n{log}"
        assert "Traceback" not in log, log
        if process.stdout is not None:
            process.stdout.close()


def test_an_entry_changed_through_one_server_leaves_the_others_l1_within_100_ms(
    serve: Serve, shared_env: dict[str, str]
) -> None:
    one, two = serve(shared_env), serve(shared_env)
    with httpx.Client(timeout=10) as client:
        delays = []
        for i in range(5):
            key = f"k{i}"
            assert client.put(f"{one}/test/cache/{key}", json="old").status_code == 200
            assert client.get(f"{two}/test/cache/{key}").json()["value"] == "old"  # L2 hit
            before = client.get(f"{two}/test/cache/{key}").json()
            assert before["value"] == "old"  # now from two's own L1
            assert client.put(f"{one}/test/cache/{key}", json="new").status_code == 200
            changed = time.perf_counter()
            while (seen := client.get(f"{two}/test/cache/{key}").json())["value"] != "new":
                assert time.perf_counter() - changed < 1.0, "two kept its stale L1 entry"
            delays.append(time.perf_counter() - changed)
            assert seen["stats"]["invalidations"] > before["stats"]["invalidations"]
    assert max(delays) < 0.1, delays


def test_servers_keep_serving_while_redis_is_killed_and_restarted(
    serve: Serve, shared_env: dict[str, str], tmp_path: Path
) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (ci/services.sh installs it)")
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        # The limit is generous: every request still asks Redis for its token.
        env = {**shared_env, "MASTRA_CACHE__L2": redis.url, "MASTRA_RATE_LIMIT": "1000"}
        one, two = serve({**env, "MASTRA_RATE_BURST": "1000"}), serve(env)
        with httpx.Client(timeout=10) as client:
            thread = {"resourceId": "ada", "threadId": "t-redis", "title": "kept"}
            created = client.post(one + "/api/memory/threads?agentId=guide", json=thread)
            assert created.status_code == 200, created.text

            def every_request_served(seconds: float, value: str) -> None:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    for url in (one, two):
                        got = client.get(url + "/api/memory/threads/t-redis?agentId=guide")
                        assert got.status_code == 200, got.text
                        put = client.put(f"{url}/test/cache/during", json=value)
                        assert put.status_code == 200, put.text
                        read = client.get(f"{url}/test/cache/during").json()
                        assert read["value"] == value  # its own L1 at least

            every_request_served(0.5, "before")
            redis.stop()  # SIGKILL
            every_request_served(1.0, "down")
            redis.start()  # the same port, empty
            # Back to sharing once each worker retries (retry_after: 1 s).
            deadline = time.monotonic() + 5
            while True:
                every_request_served(0.2, "after")
                client.put(f"{one}/test/cache/shared", json="from one")
                if client.get(f"{two}/test/cache/shared").json()["value"] == "from one":
                    break
                assert time.monotonic() < deadline, "the servers did not share Redis again"
    finally:
        redis.stop()


@contextmanager
def postgres_stopped() -> Iterator[None]:
    """PostgreSQL stopped for the block, started again at its end whatever happens."""
    postgres_ctl("stop")
    try:
        yield
    finally:
        postgres_ctl("start")


class WriteLoad:
    """Writers saving one message per request, each to the server of its turn, until
    stopped; keeps the ids acknowledged (200) and the statuses of the others."""

    def __init__(self, urls: list[str], writers: int) -> None:
        self.urls = urls
        self.acknowledged: list[str] = []
        self.refused: list[int] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.write, args=(w,)) for w in range(writers)]

    def write(self, w: int) -> None:
        clients = [httpx.Client(base_url=url, timeout=30) for url in self.urls]
        try:
            i = 0
            while not self.stop.is_set():
                message = {"id": f"m-{w}-{i}", "threadId": "t-load", "role": "user"}
                message["content"] = f"message {i} of writer {w}"
                client = clients[(w + i) % len(clients)]
                i += 1
                got = client.post(
                    "/api/memory/save-messages?agentId=guide", json={"messages": [message]}
                )
                if got.status_code == 200:
                    self.acknowledged.append(message["id"])
                else:
                    self.refused.append(got.status_code)
                    time.sleep(0.05)
        finally:
            for client in clients:
                client.close()

    def __enter__(self) -> WriteLoad:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def check(self, url: str, before: int) -> None:
        """Writes went on after the restarts, were refused only as retriable (503), and
        every acknowledged one is stored."""
        assert before > 0
        assert len(self.acknowledged) > before, "no write succeeded after the restart"
        assert set(self.refused) <= {503}, self.refused
        stored: set[str] = set()
        for page in range(1000):
            got = httpx.get(
                url + "/api/memory/threads/t-load/messages",
                params={"agentId": "guide", "perPage": 10_000, "page": page},
                timeout=30,
            )
            assert got.status_code == 200, got.text
            stored |= {m["id"] for m in got.json()["messages"]}
            if not got.json()["hasMore"]:
                break
        assert set(self.acknowledged) <= stored, set(self.acknowledged) - stored


def _start_load_thread(url: str) -> None:
    thread = {"resourceId": "ada", "threadId": "t-load", "title": "under load"}
    created = httpx.post(url + "/api/memory/threads?agentId=guide", json=thread, timeout=10)
    assert created.status_code == 200, created.text


@needs_postgres_ctl
def test_a_server_rides_out_a_postgres_restart_under_load_losing_no_write(
    launch: Launch, shared_env: dict[str, str]
) -> None:
    process, url = launch(env={**shared_env, "MASTRA_RATE_LIMIT": "0"})
    _start_load_thread(url)
    with WriteLoad([url], writers=3) as load:
        time.sleep(0.5)
        with postgres_stopped():
            before = len(load.acknowledged)
            time.sleep(0.3)
        time.sleep(1.5)
    load.check(url, before)
    assert process.poll() is None  # the same process: it recovered by itself


@pytest.mark.slow
@needs_postgres_ctl
def test_two_servers_ride_out_repeated_postgres_restarts_losing_no_write(
    launch: Launch, shared_env: dict[str, str]
) -> None:
    env = {**shared_env, "MASTRA_RATE_LIMIT": "0"}
    first, one = launch("--workers", "2", env=env)
    second, two = launch(env=env)
    _start_load_thread(one)
    with WriteLoad([one, two], writers=8) as load:
        time.sleep(2.0)
        before = len(load.acknowledged)
        for outage in (0.2, 1.0, 3.0):
            with postgres_stopped():
                time.sleep(outage)
            time.sleep(3.0)
    load.check(two, before)
    print(f"{len(load.acknowledged)} writes acknowledged, {len(load.refused)} refused (503)")
    assert first.poll() is None
    assert second.poll() is None
