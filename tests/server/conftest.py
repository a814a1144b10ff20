"""A real uvicorn server on 127.0.0.1 (a free port), in a thread, and httpx clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from mastra.server import ServerConfig, create_app

from .apps import SlowProbe, build

ROOT = Path(__file__).resolve().parents[2]
Launch = Callable[..., tuple[subprocess.Popen[bytes], str]]
"""Starts `mastra serve ARGS --port <free>`; gives the process and its base URL."""


class ServerThread:
    """Runs an app with uvicorn in a background thread until :meth:`stop`."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1") -> None:
        self.app = app
        config = uvicorn.Config(app, host=host, port=0, log_config=None, access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        port: int = self.server.servers[0].sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state(self) -> Any:
        return self.app.state.mastra_server

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_app(app: Starlette, host: str = "127.0.0.1") -> Iterator[ServerThread]:
    server = ServerThread(app, host).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def probe() -> SlowProbe:
    return SlowProbe()


@pytest.fixture(scope="module")
def server(probe: SlowProbe) -> Iterator[ServerThread]:
    config = ServerConfig(host="127.0.0.1", body_limit=64 * 1024, log_requests=True)
    yield from serve_app(create_app(build(probe), config))


@pytest.fixture
def client(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_OUTPUT: dict[int, tuple[threading.Thread, bytearray]] = {}


def _drain(process: subprocess.Popen[bytes]) -> None:
    """Reads a server's output as it comes: a full pipe would block its logging."""
    collected = bytearray()

    def read() -> None:
        assert process.stdout is not None
        fd = process.stdout.fileno()
        for chunk in iter(lambda: os.read(fd, 65536), b""):
            collected.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    _OUTPUT[process.pid] = (reader, collected)


def output(process: subprocess.Popen[bytes]) -> bytes:
    """Everything a launched server printed, once it has exited."""
    reader, collected = _OUTPUT[process.pid]
    process.wait(timeout=30)
    reader.join(timeout=30)
    return bytes(collected)


def start_server(
    command: list[str], port: int, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    """Starts a server process listening on 127.0.0.1:``port`` and waits until it is
    live; gives the process and its base URL (its output is drained meanwhile)."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _drain(process)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/health/live", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(output(process).decode())
        time.sleep(0.1)


@pytest.fixture
def launch() -> Iterator[Launch]:
    started: list[subprocess.Popen[bytes]] = []

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        command = [sys.executable, "-m", "mastra", "serve", *args, "--port", str(port)]
        process, url = start_server(command, port, {"MASTRA_HOST": "127.0.0.1", **(env or {})})
        started.append(process)
        return process, url

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
        output(process)
        if process.stdout is not None:
            process.stdout.close()
        _OUTPUT.pop(process.pid, None)
