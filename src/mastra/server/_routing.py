"""The route table: one entry per route, read by the router, the permission checks
and the OpenAPI document alike."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from mastra.server._errors import ApiError

__all__ = ["ApiRoute", "Endpoint", "path_param", "within"]

Endpoint = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")


@dataclass(frozen=True)
class ApiRoute:
    """One route of the API.

    Attributes:
        method: The HTTP method.
        path: The path template (``/api/agents/{agentId}``).
        endpoint: The handler.
        permission: The permission a principal needs (``None``: public).
        summary: One line for the OpenAPI document.
        body: The pydantic model of the request body, if it takes one.
        tag: The OpenAPI tag.
        bounded: Whether the handler bounds its own work by ``request_timeout`` (to
            answer with a precise error); others are bounded by the router.
    """

    method: str
    path: str
    endpoint: Endpoint
    permission: str | None
    summary: str
    body: type[BaseModel] | None = None
    tag: str = "api"
    bounded: bool = False


def path_param(request: Request, name: str) -> str:
    """A path parameter (always present: the router matched it)."""
    value = request.path_params.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"missing path parameter {name!r}")
    return value


async def within(work: Awaitable[T], seconds: float) -> T:
    """Awaits ``work`` for at most ``seconds``.

    Raises:
        TimeoutError: It took longer (``work`` is cancelled).
    """
    if sys.version_info >= (3, 11):  # a timeout scope costs no extra task
        async with asyncio.timeout(seconds):
            return await work
    try:  # pragma: no cover - Python 3.10, whose asyncio.TimeoutError is another class
        return await asyncio.wait_for(work, seconds)
    except asyncio.TimeoutError:  # pragma: no cover
        raise TimeoutError(f"no answer within {seconds} s") from None
