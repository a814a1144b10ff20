"""HTTP errors: the one place where mastra's error tree meets HTTP statuses.

Every error leaves the server as JSON ``{"error": "..."}``; bad input is a 4xx,
never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mastra.errors import (
    AuthError,
    ConfigError,
    ContextLengthError,
    MastraError,
    OutputValidationError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    StorageError,
    StreamError,
    ToolError,
    UsageLimitError,
    VectorError,
    WorkflowConflictError,
    WorkflowError,
    WorkingMemoryError,
)

__all__ = ["ApiError", "JSONResponse", "error_response", "exception_handlers", "status_of"]

logger = logging.getLogger("mastra.server")

# First match wins: subclasses before their bases.
_STATUSES: tuple[tuple[type[MastraError], int], ...] = (
    (RateLimitError, 429),
    (ProviderTimeoutError, 503),
    (ProviderUnavailableError, 503),
    (ContextLengthError, 400),
    (ProviderError, 500),
    (AuthError, 401),
    (WorkingMemoryError, 422),
    (VectorError, 400),
    (ConfigError, 400),
    (StreamError, 400),
    (UsageLimitError, 422),
    (ToolError, 500),
    (OutputValidationError, 500),
    (StorageError, 503),
    (WorkflowConflictError, 409),
    (WorkflowError, 400),  # bad input or resume data; a failing step is a result
)


class ApiError(MastraError):
    """An error with its HTTP status, raised by route handlers.

    Args:
        status: The HTTP status to answer with.
        message: The text of the ``error`` field.
        headers: Extra response headers (``Retry-After``...).
    """

    code = "api_error"

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, status=status)
        self.status = status
        self.headers = headers or {}


class JSONResponse(Response):
    """A JSON response rendered with orjson (NumPy arrays allowed)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def status_of(exc: BaseException) -> int:
    """The HTTP status an exception maps to (500 when nothing more precise fits)."""
    if isinstance(exc, ApiError):
        return exc.status
    for kind, status in _STATUSES:
        if isinstance(exc, kind):
            return status
    return 500


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """``{"error": message}`` with a status."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _on_mastra_error(request: Request, exc: Exception) -> Response:
    status = status_of(exc)
    headers = dict(exc.headers) if isinstance(exc, ApiError) else {}
    if isinstance(exc, RateLimitError) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    if status >= 500:
        logger.warning("request failed: %s: %s", type(exc).__name__, exc)
    message = exc.message if isinstance(exc, MastraError) else str(exc)
    return error_response(status, message, headers)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        return await _on_unexpected(request, exc)
    return error_response(exc.status_code, exc.detail, dict(exc.headers or {}))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error: %s: %s", type(exc).__name__, exc, exc_info=exc)
    return error_response(500, "internal server error")


def exception_handlers() -> dict[Any, Any]:
    """The handlers to give ``Starlette(exception_handlers=...)``."""
    return {
        MastraError: _on_mastra_error,
        HTTPException: _on_http_exception,
        Exception: _on_unexpected,
    }
