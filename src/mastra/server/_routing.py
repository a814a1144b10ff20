"""The route table: one entry per route, read by the router, the permission checks
and the OpenAPI document alike."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive

from mastra.server._errors import ApiError

__all__ = [
    "ApiRoute",
    "ClientDisconnected",
    "Endpoint",
    "cancelled_on_disconnect",
    "path_param",
    "wait_disconnect",
    "with_query",
    "within",
]

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
        query: The query parameters it reads, for the OpenAPI document; a name ending
            in ``!`` is required (``"agentId!"``).
    """

    method: str
    path: str
    endpoint: Endpoint
    permission: str | None
    summary: str
    body: type[BaseModel] | None = None
    tag: str = "api"
    bounded: bool = False
    query: tuple[str, ...] = ()


def with_query(
    routes: list[ApiRoute], query: dict[tuple[str, str], tuple[str, ...]]
) -> list[ApiRoute]:
    """``routes``, each given the query parameters ``query`` names for its
    ``(method, path)``."""
    return [replace(r, query=r.query + query.get((r.method, r.path), ())) for r in routes]


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


class ClientDisconnected(ApiError):
    """The client closed the connection before the answer (status 499, as nginx logs
    it: the response is never delivered, but metrics and the access log show it)."""

    code = "cancelled"

    def __init__(self) -> None:
        super().__init__(499, "the client closed the request")


async def wait_disconnect(receive: Receive) -> None:
    """Returns when the client has disconnected (the request body already read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def cancelled_on_disconnect(request: Request, work: Awaitable[T]) -> T:
    """Awaits ``work`` in this task and cancels it if the client disconnects first, so
    that a run nobody waits for stops, and its upstream request with it. Call it once
    the body has been read: the disconnect is then the next message.

    Raises:
        ClientDisconnected: The client went away; ``work`` was cancelled.
    """
    task = asyncio.current_task()
    finished = False
    gone = asyncio.ensure_future(wait_disconnect(request.receive))

    def on_gone(future: asyncio.Future[None]) -> None:
        if future.cancelled() or future.exception() is not None or finished:
            return
        if task is not None:
            task.cancel()

    gone.add_done_callback(on_gone)
    try:
        return await work
    except asyncio.CancelledError:
        if not gone.done() or gone.cancelled() or gone.exception() is not None:
            raise  # cancelled by someone else (shutdown...)
        uncancel = getattr(task, "uncancel", None)
        if uncancel is not None:  # the cancel was ours: the task goes on to answer
            uncancel()
        raise ClientDisconnected() from None
    finally:
        finished = True
        gone.cancel()
