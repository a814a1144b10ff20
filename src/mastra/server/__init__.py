"""Mastra's HTTP API for a :class:`~mastra.Mastra`: agents (generate, SSE stream),
tools, memory, vector stores, workflows, health, Prometheus metrics, auth and graceful
shutdown, on Starlette and uvicorn.

Example:
    >>> from mastra import Agent, Mastra
    >>> from mastra.server import create_app
    >>> from mastra.testing import TestModel
    >>> app = create_app(Mastra(agents=[Agent("echo", "Echo.", TestModel(text="hi"))]))

Run it with ``mastra serve module:attr`` (``attr`` a ``Mastra`` or a function
returning one), or with any ASGI server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mastra.server._app import api_routes, create_app
    from mastra.server._auth import PERMISSIONS, ROLES, Principal, hash_api_key
    from mastra.server._config import AgentSettings, ApiKeyConfig, ServerConfig, load_config
    from mastra.server._errors import ApiError
    from mastra.server._routing import ApiRoute
    from mastra.server._serve import default_mastra, load_target, serve
    from mastra.server._state import Lifecycle, ServerState

# Imported on first use, so that `mastra --help` and `mastra info` stay quick.
_HOMES = {
    "api_routes": "_app",
    "create_app": "_app",
    "PERMISSIONS": "_auth",
    "ROLES": "_auth",
    "Principal": "_auth",
    "hash_api_key": "_auth",
    "AgentSettings": "_config",
    "ApiKeyConfig": "_config",
    "ServerConfig": "_config",
    "load_config": "_config",
    "ApiError": "_errors",
    "ApiRoute": "_routing",
    "default_mastra": "_serve",
    "load_target": "_serve",
    "serve": "_serve",
    "Lifecycle": "_state",
    "ServerState": "_state",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mastra.server' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mastra.server.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "PERMISSIONS",
    "ROLES",
    "AgentSettings",
    "ApiError",
    "ApiKeyConfig",
    "ApiRoute",
    "Lifecycle",
    "Principal",
    "ServerConfig",
    "ServerState",
    "api_routes",
    "create_app",
    "default_mastra",
    "hash_api_key",
    "load_config",
    "load_target",
    "serve",
]


def __dir__() -> list[str]:
    return sorted(__all__)
