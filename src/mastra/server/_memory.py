"""Memory routes (``/api/memory/...``): threads, their messages and working memory of
the memory of the agent named by the ``agentId`` query parameter."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from mastra.memory import Memory
from mastra.server._auth import check_owner
from mastra.server._errors import ApiError, JSONResponse
from mastra.server._memory_wire import messages_json, stored_from_wire, thread_json
from mastra.server._routing import ApiRoute, path_param, with_query
from mastra.server._schemas import RequestBody, parse_body
from mastra.server._state import state_of
from mastra.storage import Thread

__all__ = ["memory_routes"]


class CreateThreadBody(RequestBody):
    """The body of ``POST /api/memory/threads``."""

    resource_id: str = Field(alias="resourceId", min_length=1)
    title: str | None = None
    metadata: dict[str, Any] | None = None
    thread_id: str | None = Field(None, alias="threadId", min_length=1)


class UpdateThreadBody(RequestBody):
    """The body of ``PATCH /api/memory/threads/{threadId}``."""

    title: str | None = None
    metadata: dict[str, Any] | None = None
    resource_id: str | None = Field(None, alias="resourceId")


class WorkingMemoryBody(RequestBody):
    """The body of ``POST /api/memory/threads/{threadId}/working-memory``."""

    working_memory: str = Field(alias="workingMemory")
    resource_id: str | None = Field(None, alias="resourceId")


class SaveMessagesBody(RequestBody):
    """The body of ``POST /api/memory/save-messages``."""

    messages: list[Any] = Field(min_length=1, max_length=10_000)


def _memory(request: Request) -> Memory:
    agent_id = request.query_params.get("agentId")
    if not agent_id:
        raise ApiError(400, "the agentId query parameter is required")
    agent = state_of(request).mastra.agents.get(agent_id)
    if agent is None:
        raise ApiError(404, f"agent {agent_id!r} not found")
    if not isinstance(agent.memory, Memory):
        raise ApiError(400, f"agent {agent_id!r} has no memory")
    return agent.memory


def _int(request: Request, name: str, default: int, top: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > top:
        raise ApiError(422, f"invalid query: {name} must be an integer from 0 to {top}")
    return int(raw)


async def _thread(memory: Memory, request: Request) -> Thread:
    thread_id = path_param(request, "threadId")
    thread = await memory.get_thread(thread_id)
    if thread is None:
        raise ApiError(404, f"thread {thread_id!r} not found")
    check_owner(request.scope, thread.resource_id)
    return thread


async def list_threads(request: Request) -> Response:
    """``GET /api/memory/threads?resourceId&agentId&page&perPage``."""
    memory = _memory(request)
    resource_id = request.query_params.get("resourceId")
    if not resource_id:
        raise ApiError(400, "the resourceId query parameter is required")
    check_owner(request.scope, resource_id)
    page = _int(request, "page", 0, 1_000_000)
    per_page = max(1, _int(request, "perPage", 100, 1000))
    found = await memory.list_threads(resource_id, limit=per_page, offset=page * per_page)
    return JSONResponse(
        {
            "threads": [thread_json(t) for t in found.threads],
            "total": found.total,
            "page": page,
            "perPage": per_page,
            "hasMore": found.has_more,
        }
    )


async def create_thread(request: Request) -> Response:
    """``POST /api/memory/threads``: 409 when the id is taken."""
    memory = _memory(request)
    body = await parse_body(request, CreateThreadBody)
    check_owner(request.scope, body.resource_id)
    if body.thread_id is not None and await memory.get_thread(body.thread_id) is not None:
        raise ApiError(409, f"thread {body.thread_id!r} exists")
    thread = await memory.create_thread(
        resource_id=body.resource_id,
        thread_id=body.thread_id,
        title=body.title,
        metadata=body.metadata,
    )
    return JSONResponse(thread_json(thread))


async def get_thread(request: Request) -> Response:
    """``GET /api/memory/threads/{threadId}``."""
    return JSONResponse(thread_json(await _thread(_memory(request), request)))


async def update_thread(request: Request) -> Response:
    """``PATCH /api/memory/threads/{threadId}``: title, and metadata merged."""
    memory = _memory(request)
    thread = await _thread(memory, request)
    body = await parse_body(request, UpdateThreadBody)
    updated = await memory.update_thread(thread.id, title=body.title, metadata=body.metadata)
    return JSONResponse(thread_json(updated))


async def delete_thread(request: Request) -> Response:
    """``DELETE /api/memory/threads/{threadId}``."""
    memory = _memory(request)
    thread = await _thread(memory, request)
    await memory.delete_thread(thread.id)
    return JSONResponse({"result": "Thread deleted"})


async def list_messages(request: Request) -> Response:
    """``GET /api/memory/threads/{threadId}/messages``: oldest first."""
    memory = _memory(request)
    thread = await _thread(memory, request)
    messages = messages_json(await memory.get_messages(thread.id))
    page = _int(request, "page", 0, 1_000_000)
    per_page = max(1, _int(request, "perPage", 1000, 10_000))
    shown = messages[page * per_page : (page + 1) * per_page]
    return JSONResponse(
        {
            "messages": shown,
            "uiMessages": None,
            "total": len(messages),
            "page": page,
            "perPage": per_page,
            "hasMore": (page + 1) * per_page < len(messages),
        }
    )


async def get_working_memory(request: Request) -> Response:
    """``GET /api/memory/threads/{threadId}/working-memory``."""
    memory = _memory(request)
    thread_id = path_param(request, "threadId")
    thread = await memory.get_thread(thread_id)
    config = memory.working_memory
    report: dict[str, Any] = {
        "workingMemory": None,
        "source": config.scope if config is not None else "resource",
        "workingMemoryTemplate": None,
        "threadExists": thread is not None,
    }
    if config is None or thread is None:
        return JSONResponse(report)
    check_owner(request.scope, thread.resource_id)
    resource_id = request.query_params.get("resourceId") or thread.resource_id
    report["workingMemory"] = await memory.get_working_memory(
        thread_id=thread_id, resource_id=resource_id
    )
    if config.schema is not None:
        report["workingMemoryTemplate"] = {
            "format": "json",
            "content": config.schema.model_json_schema(),
        }
    else:
        report["workingMemoryTemplate"] = {"format": "markdown", "content": config.text_template}
    return JSONResponse(report)


async def update_working_memory(request: Request) -> Response:
    """``POST /api/memory/threads/{threadId}/working-memory``."""
    memory = _memory(request)
    thread = await _thread(memory, request)
    body = await parse_body(request, WorkingMemoryBody)
    if memory.working_memory is None:
        raise ApiError(400, "this agent's memory has no working memory")
    value: Any = body.working_memory
    if memory.working_memory.schema is not None:
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise ApiError(422, "invalid body: workingMemory: must be a JSON object") from None
    resource_id = body.resource_id or thread.resource_id
    await memory.update_working_memory(value, thread_id=thread.id, resource_id=resource_id)
    return JSONResponse({"success": True})


async def save_messages(request: Request) -> Response:
    """``POST /api/memory/save-messages``: the messages as stored."""
    memory = _memory(request)
    body = await parse_body(request, SaveMessagesBody)
    by_thread: dict[str, list[Any]] = defaultdict(list)
    for raw in body.messages:
        message = stored_from_wire(raw)
        check_owner(request.scope, message.resource_id)
        by_thread[message.thread_id].append(message)
    saved = []
    for thread_id, messages in by_thread.items():
        resource_id = next((m.resource_id for m in messages if m.resource_id), None)
        saved += await memory.save_messages(thread_id, messages, resource_id=resource_id)
    return JSONResponse({"messages": messages_json(saved)})


def memory_routes() -> list[ApiRoute]:
    """The memory routes."""
    base = "/api/memory/threads"
    thread = base + "/{threadId}"
    read, write = "memory:read", "memory:write"
    routes = [
        ("GET", base, list_threads, read, "List a resource's threads", None),
        ("POST", base, create_thread, write, "Create a thread", CreateThreadBody),
        ("GET", thread, get_thread, read, "A thread", None),
        ("PATCH", thread, update_thread, write, "Update a thread", UpdateThreadBody),
        ("DELETE", thread, delete_thread, write, "Delete a thread", None),
        ("GET", thread + "/messages", list_messages, read, "A thread's messages", None),
        ("GET", thread + "/working-memory", get_working_memory, read, "Working memory", None),
        (
            "POST",
            thread + "/working-memory",
            update_working_memory,
            write,
            "Update working memory",
            WorkingMemoryBody,
        ),
        (
            "POST",
            "/api/memory/save-messages",
            save_messages,
            write,
            "Save messages",
            SaveMessagesBody,
        ),
    ]
    listed = [
        ApiRoute(m, p, e, perm, s, body, "memory", query=("agentId!",))
        for m, p, e, perm, s, body in routes
    ]
    return with_query(
        listed,
        {
            ("GET", base): ("resourceId", "page", "perPage"),
            ("GET", thread + "/messages"): ("page", "perPage"),
            ("GET", thread + "/working-memory"): ("resourceId",),
        },
    )
