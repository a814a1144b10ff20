"""The operations middleware (pure ASGI, so streams pass through untouched): request
id, body-size limit, in-flight gauge, metrics by route template, access log line."""

from __future__ import annotations

import os
import time
from typing import Any

import orjson
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mastra.server._errors import ApiError
from mastra.server._logging import log_request
from mastra.server._state import ServerState

__all__ = ["OperationsMiddleware", "ReloadableCORS"]

_UNMATCHED = "<unmatched>"


class OperationsMiddleware:
    """Wraps the app with the per-request operations.

    Args:
        app: The app to wrap.
        state: The server state (metrics, settings, route templates).
    """

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _header(scope, b"x-request-id") or os.urandom(12).hex()
        scope["mastra.request_id"] = request_id
        status = 500
        limit = self.state.config.body_limit

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        metrics = self.state.metrics
        metrics.in_flight.inc()
        try:
            length = _header(scope, b"content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                await _too_large(send_wrapper, limit)
            else:
                await self.app(scope, _limited(receive, limit), send_wrapper)
        finally:
            metrics.in_flight.dec()
            self._record(scope, status, start, request_id)

    def _record(self, scope: Scope, status: int, start: float, request_id: str) -> None:
        duration = time.perf_counter() - start
        route = self.state.route_templates.get(scope.get("endpoint"), _UNMATCHED)
        method = scope["method"]
        self.state.metrics.record_request(method, route, status, duration)
        if self.state.config.log_requests:
            log_request(
                {
                    "request_id": request_id,
                    "run_id": scope.get("mastra.run_id"),
                    "method": method,
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                }
            )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def _limited(receive: Receive, limit: int) -> Receive:
    received = 0

    async def wrapper() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise ApiError(413, f"the request body is larger than {limit} bytes")
        return message

    return wrapper


async def _too_large(send: Send, limit: int) -> None:
    body = orjson.dumps({"error": f"the request body is larger than {limit} bytes"})
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ReloadableCORS:
    """Starlette's CORS middleware, rebuilt when a reload changes the allowed origins.

    Args:
        app: The app to wrap.
        state: The server state whose ``config.cors_origins`` it follows.
    """

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state
        self._origins: list[str] | None = None
        self._cors: CORSMiddleware | None = None

    def _current(self) -> CORSMiddleware:
        origins = self.state.config.cors_origins
        if self._cors is None or origins is not self._origins:
            self._cors = CORSMiddleware(
                self.app,
                allow_origins=origins,
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=["x-request-id"],
            )
            self._origins = origins
        return self._cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._current()(scope, receive, send)
