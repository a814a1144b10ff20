"""``mastra serve --workers N``: N processes on one socket (uvicorn's supervisor), their
Prometheus metrics aggregated through a shared directory, each draining on SIGTERM.

The supervisor passes the target and settings to the workers through the environment;
SIGHUP to the supervisor restarts the workers one by one, so they re-read the file.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from mastra.server._app import create_app
from mastra.server._config import ServerConfig, load_config
from mastra.server._logging import configure_logging
from mastra.server._state import Lifecycle

__all__ = ["serve_workers", "worker_app"]

_TARGET = "MASTRA_SERVE_TARGET"
_CONFIG = "MASTRA_SERVE_CONFIG"
_OVERRIDES = "MASTRA_SERVE_OVERRIDES"


def _chain_drain(lifecycle: Lifecycle) -> None:
    # uvicorn's handlers are installed by now (the lifespan starts inside them): run
    # them, then start the drain that ends streams with an error chunk in time.
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(number: int, frame: FrameType | None, previous: Any = previous) -> None:
            previous(number, frame)
            loop.call_soon_threadsafe(lifecycle.begin_drain)

        signal.signal(sig, handler)


def worker_app() -> Starlette:
    """The app of one worker process, built from what the supervisor put in the
    environment (uvicorn calls it: ``factory=True``)."""
    from mastra.server._serve import app_for

    path = os.environ.get(_CONFIG) or None
    config = load_config(path, **json.loads(os.environ.get(_OVERRIDES) or "{}"))
    configure_logging(config.log_level)
    target = os.environ.get(_TARGET)
    app = create_app(app_for(target, config), config)
    inner = app.router.lifespan_context
    lifecycle = app.state.mastra_server.lifecycle

    @asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[None]:
        async with inner(application):
            _chain_drain(lifecycle)
            yield

    app.router.lifespan_context = lifespan
    return app


def serve_workers(
    target: str | None,
    config: ServerConfig,
    workers: int,
    *,
    config_path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> int:
    """Serves with ``workers`` processes until SIGTERM/SIGINT; returns the exit code.

    Args:
        target: ``module:attr`` of the Mastra (``None``: the default app).
        config: The settings (host, port, drain timeout...).
        workers: How many processes.
        config_path: The settings file the workers read.
        overrides: Command-line values that win over the file.
    """
    metrics_dir = tempfile.mkdtemp(prefix="mastra-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    os.environ[_TARGET] = target or ""
    os.environ[_CONFIG] = str(config_path or "")
    os.environ[_OVERRIDES] = json.dumps(overrides or {})
    uv_config = uvicorn.Config(
        "mastra.server._workers:worker_app",
        factory=True,
        host=config.host,
        port=config.port,
        workers=workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(config.drain_timeout) + 5,
        backlog=4096,
    )
    try:
        Multiprocess(uv_config, sockets=[uv_config.bind_socket()]).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
