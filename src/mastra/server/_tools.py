"""Tool routes: list, details, execute."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from mastra.errors import ToolError
from mastra.server._errors import ApiError, JSONResponse
from mastra.server._routing import (
    ApiRoute,
    ClientDisconnected,
    cancelled_on_disconnect,
    path_param,
    within,
)
from mastra.server._schemas import ToolExecuteBody, parse_body
from mastra.server._state import ServerState, state_of
from mastra.server._wire import tool_json
from mastra.tools import RunContext, Tool

__all__ = ["all_tools", "execute_tool", "find_tool", "tool_routes"]


def all_tools(state: ServerState) -> dict[str, Tool]:
    """The application's tools, then the agents' tools not shadowed by them."""
    tools: dict[str, Tool] = {}
    for agent in state.mastra.agents.values():
        for tool in agent.tools:
            tools.setdefault(tool.id, tool)
    tools.update({tool.id: tool for tool in state.mastra.tools})
    return tools


def find_tool(tools: Iterable[Tool], tool_id: str) -> Tool:
    """The tool with that id.

    Raises:
        ApiError: 404, no such tool.
    """
    for tool in tools:
        if tool.id == tool_id:
            return tool
    raise ApiError(404, f"tool {tool_id!r} not found")


async def execute_tool(
    state: ServerState, tool: Tool, body: ToolExecuteBody, request: Request, agent_name: str = ""
) -> Any:
    """Validates the arguments (422 when wrong), runs the tool and returns its result
    (decoded from JSON when it is JSON)."""
    try:
        tool.validate(body.data)
    except ToolError as exc:
        state.metrics.tool_calls.labels(tool.id, "invalid").inc()
        raise ApiError(422, exc.message) from None
    run_id = request.query_params.get("runId") or uuid.uuid4().hex
    ctx: RunContext[Any] = RunContext(agent_name, run_id)
    if body.request_context:
        ctx.metadata["requestContext"] = body.request_context
    try:
        run = within(tool.run(body.data, ctx), state.config.request_timeout)
        text = await cancelled_on_disconnect(request, run)
    except TimeoutError:
        state.metrics.tool_calls.labels(tool.id, "error").inc()
        raise ApiError(503, f"tool {tool.id!r} did not finish in time") from None
    except ClientDisconnected:
        state.metrics.tool_calls.labels(tool.id, "cancelled").inc()
        raise
    except ToolError:
        state.metrics.tool_calls.labels(tool.id, "error").inc()
        raise
    state.metrics.tool_calls.labels(tool.id, "ok").inc()
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


async def list_tools(request: Request) -> Response:
    """``GET /api/tools``: every tool, keyed by id."""
    tools = all_tools(state_of(request))
    return JSONResponse({name: tool_json(tool) for name, tool in tools.items()})


async def get_tool(request: Request) -> Response:
    """``GET /api/tools/{toolId}``."""
    tools = all_tools(state_of(request)).values()
    return JSONResponse(tool_json(find_tool(tools, path_param(request, "toolId"))))


async def run_tool(request: Request) -> Response:
    """``POST /api/tools/{toolId}/execute``: the tool's bare result."""
    state = state_of(request)
    tool = find_tool(all_tools(state).values(), path_param(request, "toolId"))
    body = await parse_body(request, ToolExecuteBody)
    return JSONResponse(await execute_tool(state, tool, body, request))


def tool_routes() -> list[ApiRoute]:
    """The tool routes."""
    return [
        ApiRoute("GET", "/api/tools", list_tools, "agents:read", "List the tools", tag="tools"),
        ApiRoute("GET", "/api/tools/{toolId}", get_tool, "agents:read", "A tool", tag="tools"),
        ApiRoute(
            "POST",
            "/api/tools/{toolId}/execute",
            run_tool,
            "tools:execute",
            "Run a tool",
            ToolExecuteBody,
            "tools",
            bounded=True,
            query=("runId",),
        ),
    ]
