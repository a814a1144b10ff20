"""The server the scale-out tests run as separate processes (``uvicorn --factory``):
``mastra serve``'s default app on the ``MASTRA_*`` settings (storage, vectors, cache.l2,
rate limit), plus two routes onto the server's own cache (``ServerState.cache``: each
process's L1 over the shared Redis), which no API route reads or writes directly.

    python -m uvicorn --factory tests.server.scale_app:create --port 4111
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mastra.server import create_app, load_config
from mastra.server._app import api_routes
from mastra.server._routing import ApiRoute, path_param
from mastra.server._serve import app_for
from mastra.server._state import state_of


def _stats(cache: Any) -> dict[str, Any]:
    stats = cache.stats() if hasattr(cache, "l2") else None
    return {} if stats is None else dict(stats.__dict__)


async def read_entry(request: Request) -> Response:
    """``GET /test/cache/{key}``: the value (``null``: absent) and the tier counters."""
    cache = state_of(request).cache
    assert cache is not None
    key = path_param(request, "key")
    value = await cache.get(key) if hasattr(cache, "l2") else cache.get(key)
    return JSONResponse({"value": value, "stats": _stats(cache)})


async def write_entry(request: Request) -> Response:
    """``PUT /test/cache/{key}``: stores the JSON body under ``key``."""
    cache = state_of(request).cache
    assert cache is not None
    key = path_param(request, "key")
    value = orjson.loads(await request.body())
    if hasattr(cache, "l2"):
        await cache.set(key, value)
    else:
        cache.set(key, value)
    return JSONResponse({"stats": _stats(cache)})


def create() -> Starlette:
    """The app: the API's routes and the cache's, on the settings of the environment."""
    config = load_config()
    routes = [
        *api_routes(),
        ApiRoute("GET", "/test/cache/{key}", read_entry, None, "Read the server cache"),
        ApiRoute("PUT", "/test/cache/{key}", write_entry, None, "Write the server cache"),
    ]
    return create_app(app_for(None, config), config, routes=routes)
