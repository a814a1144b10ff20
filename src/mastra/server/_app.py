"""``create_app``: the ASGI application serving a :class:`~mastra.Mastra`."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from mastra._mastra import Mastra
from mastra.cache import LRUCache
from mastra.server._agents import agent_routes
from mastra.server._audit import audit_routes, record_audit
from mastra.server._auth import Principal, reached_on_loopback
from mastra.server._backends import build_cache
from mastra.server._config import ServerConfig
from mastra.server._errors import ApiError, JSONResponse, exception_handlers, status_of
from mastra.server._health import CircuitCollector, health_routes
from mastra.server._memory import memory_routes
from mastra.server._metrics import CONTENT_TYPE_LATEST, WorkflowCollector
from mastra.server._middleware import OperationsMiddleware, ReloadableCORS
from mastra.server._openapi import SWAGGER_UI, openapi_document
from mastra.server._reload import apply_config
from mastra.server._routing import ApiRoute, Endpoint, within
from mastra.server._state import ServerState, state_of
from mastra.server._tools import tool_routes
from mastra.server._vectors import vector_routes
from mastra.server._workflows import workflow_routes

__all__ = ["api_routes", "create_app"]

_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DENIALS = {401: "unauthenticated", 403: "forbidden", 429: "rate_limited"}
"""The refusals the audit trail names, by status."""


async def _metrics(request: Request) -> Response:
    return Response(state_of(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)


async def _swagger(request: Request) -> Response:
    return HTMLResponse(SWAGGER_UI)


def api_routes() -> list[ApiRoute]:
    """Every route the server has, in the order they are matched."""
    routes = [*agent_routes(), *tool_routes(), *memory_routes(), *vector_routes()]
    routes += workflow_routes()
    routes += [*audit_routes(), *health_routes()]
    routes.append(ApiRoute("GET", "/metrics", _metrics, None, "Prometheus metrics", tag="ops"))
    routes.append(ApiRoute("GET", "/swagger-ui", _swagger, None, "API browser", tag="ops"))
    document = openapi_document(routes)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    routes.append(ApiRoute("GET", "/api/openapi.json", openapi, None, "This document", tag="ops"))
    return routes


_NO_CREDENTIALS = (
    "authentication required: this server is reached on a non-loopback address and has "
    "no api_keys or JWT key configured; configure some, or set auth = 'off' explicitly"
)


async def _principal(state: ServerState, request: Request, route: ApiRoute) -> Principal | None:
    if route.permission is None or state.auth_scope == "none":
        return None
    if state.auth_scope == "remote" and reached_on_loopback(request.scope):
        return None
    try:
        if state.auth is None:
            raise ApiError(401, _NO_CREDENTIALS, {"WWW-Authenticate": "Bearer"})
        principal = state.auth.authenticate(request)
    except ApiError:
        await record_audit(state, request, "anonymous", route.path, "unauthenticated")
        raise
    if not principal.allows(route.permission):
        await record_audit(state, request, principal.name, route.path, "forbidden")
        raise ApiError(403, f"permission {route.permission!r} required")
    return principal


async def _limit(state: ServerState, request: Request, route: ApiRoute, name: str | None) -> None:
    client = request.client.host if request.client else "unknown"
    try:
        taken = state.limiter.check(name or f"ip:{client}") if state.limiter else None
        if inspect.isawaitable(taken):  # the limit shared through Redis
            await taken
    except ApiError:
        who = name or f"anonymous@{client}"
        await record_audit(state, request, who, route.path, "rate_limited")
        raise


def _outcome(exc: BaseException) -> str:
    """The audit outcome of a failed request: the kind of refusal, else the status."""
    if isinstance(exc, ApiError) and exc.status in _DENIALS:
        return _DENIALS[exc.status]
    return str(status_of(exc))


async def _handle(route: ApiRoute, state: ServerState, request: Request) -> Response:
    """Runs the handler within ``request_timeout``. A stream's handler returns once its
    response is ready to send, so the time a stream then takes is not bounded."""
    if route.bounded:
        return await route.endpoint(request)
    timeout = state.config.request_timeout
    try:
        return await within(route.endpoint(request), timeout)
    except TimeoutError:
        raise ApiError(503, f"the request did not complete within {timeout:g} s") from None


def _guarded(route: ApiRoute, state: ServerState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        principal = await _principal(state, request, route)
        request.scope["mastra.principal"] = principal
        name = principal.name if principal is not None else None
        if state.limiter is not None and route.permission is not None:
            await _limit(state, request, route, name)
        audited = name is not None and request.method in _MUTATING
        try:
            response = await _handle(route, state, request)
        except Exception as exc:
            outcome = _outcome(exc)
            # Refusals inside the handler (another principal's thread...) are audited
            # whatever the method: a denied read is as telling as a denied write.
            if audited or outcome in _DENIALS.values():
                await record_audit(state, request, name or "anonymous", route.path, outcome)
            raise
        if audited:
            await record_audit(state, request, str(name), route.path, str(response.status_code))
        return response

    endpoint.__name__ = route.endpoint.__name__
    return endpoint


def _lifespan(mastra: Mastra | None, state: ServerState) -> Any:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if mastra is not None:
                await stack.enter_async_context(mastra)
            if state.cache is not None and not isinstance(state.cache, LRUCache):
                await stack.enter_async_context(state.cache)  # the Redis tier's listener
            stack.push_async_callback(_close_redis, state)
            yield

    return lifespan


async def _close_redis(state: ServerState) -> None:
    if state.redis is not None:
        await state.redis.close()


def create_app(
    mastra: Mastra,
    config: ServerConfig | None = None,
    *,
    routes: Sequence[ApiRoute] | None = None,
    open_mastra: bool = True,
) -> Starlette:
    """The ASGI application serving ``mastra``'s agents, tools and vector stores on
    Mastra's HTTP API, with health, metrics and OpenAPI routes.

    Args:
        mastra: The registry to serve.
        config: The settings (``ServerConfig()``: defaults and ``MASTRA_*``).
        routes: The routes (:func:`api_routes` by default).
        open_mastra: Whether the app's lifespan opens ``mastra`` (``async with``) at
            start and closes it (storage, vector stores, HTTP clients) at shutdown.

    Returns:
        A Starlette app; ``app.state.mastra_server`` holds its :class:`ServerState`.

    Example:
        >>> from mastra import Agent, Mastra
        >>> from mastra.testing import TestModel
        >>> app = create_app(Mastra(agents=[Agent("echo", "Echo.", TestModel(text="hi"))]))
        >>> # uvicorn.run(app, port=4111)
    """
    config = config or ServerConfig()
    state = ServerState(mastra, config, cache=build_cache(config.cache))
    apply_config(state, config)
    state.metrics.add_collector(CircuitCollector(state))
    state.metrics.add_collector(WorkflowCollector())
    state.metrics.watch(state)
    starlette_routes = []
    for route in routes if routes is not None else api_routes():
        endpoint = _guarded(route, state)
        state.route_templates[endpoint] = route.path
        starlette_routes.append(Route(route.path, endpoint, methods=[route.method]))
    app = Starlette(
        routes=starlette_routes,
        middleware=[
            Middleware(OperationsMiddleware, state=state),
            Middleware(ReloadableCORS, state=state),
        ],
        exception_handlers=exception_handlers(),
        lifespan=_lifespan(mastra if open_mastra else None, state),
    )
    app.state.mastra_server = state
    return app
