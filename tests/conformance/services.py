"""The real servers the scale-out backends are tested against (started by ci/services.sh).

Each test gets a PostgreSQL schema of its own, dropped afterwards, so tests never see
each other's rows. Without ``MASTRA_TEST_POSTGRES_URL`` the tests that need the server
are skipped with the reason below; CI always sets it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get("MASTRA_TEST_POSTGRES_URL")
POSTGRES_CTL = os.environ.get("MASTRA_TEST_POSTGRES_CTL")
REDIS_URL = os.environ.get("MASTRA_TEST_REDIS_URL")

needs_postgres = pytest.mark.skipif(
    POSTGRES_URL is None,
    reason="MASTRA_TEST_POSTGRES_URL is not set (source ci/services.sh to start PostgreSQL)",
)
needs_postgres_ctl = pytest.mark.skipif(
    POSTGRES_URL is None or POSTGRES_CTL is None,
    reason="MASTRA_TEST_POSTGRES_CTL is not set (source ci/services.sh to get a server "
    "the test may stop and start)",
)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A new, empty PostgreSQL schema's name; the schema is dropped at exit."""
    import psycopg

    assert POSTGRES_URL is not None
    name = f"mastra_test_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def postgres_ctl(action: str) -> None:
    """Stops, starts or restarts the test server (``ci/services.sh``'s ctl script)."""
    assert POSTGRES_CTL is not None
    subprocess.run([POSTGRES_CTL, action], check=True, capture_output=True, timeout=60)


needs_redis = pytest.mark.skipif(
    REDIS_URL is None,
    reason="MASTRA_TEST_REDIS_URL is not set (source ci/services.sh to start Redis)",
)


class RedisServer:
    """A private redis-server on a free loopback port, to stop and start."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
