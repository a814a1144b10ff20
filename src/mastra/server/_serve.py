"""Running the app: uvicorn (uvloop and httptools when installed), graceful shutdown
on SIGTERM/SIGINT, the ``module:attr`` loader and the default offline app."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from mastra._mastra import Mastra
from mastra.errors import ConfigError
from mastra.server._app import create_app
from mastra.server._backends import build_storage, build_vectors, configure_mastra
from mastra.server._config import ServerConfig
from mastra.server._reload import ConfigReloader
from mastra.server._state import Lifecycle

__all__ = ["DrainingServer", "app_for", "default_mastra", "load_target", "serve"]

logger = logging.getLogger("mastra.server")


class DrainingServer(uvicorn.Server):
    """uvicorn's server, which on SIGTERM/SIGINT also starts the app's drain: open
    streams get ``drain_timeout`` seconds, then end with an ``error`` chunk.

    Args:
        config: uvicorn's settings.
        lifecycle: The app's shutdown state.
        reloader: Reloads the settings file on SIGHUP and when it changes.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        lifecycle: Lifecycle,
        reloader: ConfigReloader | None = None,
    ) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.reloader = reloader
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = loop = asyncio.get_running_loop()
        watcher: asyncio.Task[None] | None = None
        if self.reloader is not None:
            if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
                loop.add_signal_handler(signal.SIGHUP, self.reloader.reload)
            watcher = asyncio.ensure_future(self.reloader.watch())
        try:
            await super().serve(sockets)
        finally:
            if watcher is not None:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None:
            logger.info("signal %s: draining for up to %s s", sig, self.lifecycle.drain_timeout)
            self._loop.call_soon_threadsafe(self.lifecycle.begin_drain)


def default_mastra(config: ServerConfig | None = None) -> Mastra:
    """The app ``mastra serve`` runs without a target: the offline demo's
    (:func:`mastra.demo.create_mastra`), on the storage and vector store of
    ``config`` (``storage.url``, ``vectors.url``), else in ``MASTRA_DEMO_DB`` or
    ``./mastra-demo.db``."""
    from mastra.demo._server import create_mastra  # the demo loads only when served

    if config is None:
        return create_mastra()
    return create_mastra(
        storage=build_storage(config.storage), vectors=build_vectors(config.vectors)
    )


def app_for(target: str | None, config: ServerConfig) -> Mastra:
    """The Mastra to serve: ``target``'s (given the settings' storage and vector store
    where it has none of its own), or the default app.

    Raises:
        ConfigError: The target cannot be loaded, or a backend's extra is missing.
    """
    if not target:
        return default_mastra(config)
    return configure_mastra(load_target(target), config)


def load_target(target: str) -> Mastra:
    """The :class:`Mastra` named by ``module:attr`` (an instance, or a function
    returning one); ``module`` may be a file path ending in ``.py``.

    Raises:
        ConfigError: The module or attribute is missing or is not a ``Mastra``.
    """
    module_name, _, attr = target.partition(":")
    attr = attr or "mastra"
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        sys.path.insert(0, str(path.parent))
        module_name = path.stem
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r}: {exc}", target=target) from exc
    value = getattr(module, attr, None)
    if callable(value) and not isinstance(value, Mastra):
        value = value()
    if inspect.isawaitable(value):
        raise ConfigError(f"{target!r} must be a Mastra or a sync function returning one")
    if not isinstance(value, Mastra):
        raise ConfigError(f"{target!r} is not a Mastra (got {type(value).__name__})", target=target)
    return value


def _ignore(sig: int, frame: FrameType | None) -> None:
    # uvicorn re-raises the signal it caught once it has shut down; by then the
    # shutdown is complete, so it must not kill the process (exit code 0).
    return None


def serve(
    mastra: Mastra,
    config: ServerConfig | None = None,
    *,
    config_path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> int:
    """Serves ``mastra`` until SIGTERM/SIGINT, then drains and returns 0.

    Args:
        mastra: The registry to serve.
        config: The settings (host, port, drain timeout...).
        config_path: The file ``config`` came from: reloaded on SIGHUP and on change.
        overrides: Values that win over the file on reload (command-line flags).

    Returns:
        The process exit code.
    """
    config = config or ServerConfig()
    app = create_app(mastra, config)
    state = app.state.mastra_server
    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(config.drain_timeout) + 5,
        timeout_keep_alive=30,
        backlog=4096,
    )
    reloader = ConfigReloader(state, config_path, overrides or {}) if config_path else None
    server = DrainingServer(uv_config, state.lifecycle, reloader)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _ignore)
    server.run()
    return 0 if server.started else 1
