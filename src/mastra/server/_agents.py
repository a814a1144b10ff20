"""Agent routes: list, details, generate, stream, and running an agent's tool."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mastra.agent import Agent, AgentResult
from mastra.errors import MastraError
from mastra.server._auth import check_owner
from mastra.server._errors import ApiError, JSONResponse
from mastra.server._redact import redactor_of
from mastra.server._routing import ApiRoute, cancelled_on_disconnect, path_param, within
from mastra.server._schemas import GenerateBody, ToolExecuteBody, parse_body
from mastra.server._sse import AgentEventStream
from mastra.server._state import ServerState, model_labels, state_of
from mastra.server._tools import execute_tool, find_tool
from mastra.server._wire import agent_json, prompt_of, result_json, run_options, tool_json

__all__ = ["agent_routes"]


def _agent(state: ServerState, request: Request) -> Agent:
    agent_id = path_param(request, "agentId")
    agent = state.mastra.agents.get(agent_id)
    if agent is None:
        raise ApiError(404, f"agent {agent_id!r} not found")
    return agent


def _check_memory_owner(request: Request, agent: Agent, options: dict[str, Any]) -> None:
    if agent.memory is not None and "thread_id" in options:
        check_owner(request.scope, options.get("resource_id"))


async def list_agents(request: Request) -> Response:
    """``GET /api/agents``: every agent, keyed by id."""
    agents = state_of(request).mastra.agents
    return JSONResponse({name: agent_json(agent) for name, agent in agents.items()})


async def get_agent(request: Request) -> Response:
    """``GET /api/agents/{agentId}``."""
    return JSONResponse(agent_json(_agent(state_of(request), request)))


async def generate(request: Request) -> Response:
    """``POST /api/agents/{agentId}/generate``: runs the agent to its answer (cancelled,
    model request and tools with it, if the client disconnects first)."""
    state = state_of(request)
    agent = _agent(state, request)
    body = await parse_body(request, GenerateBody)
    options = run_options(body)
    _check_memory_owner(request, agent, options)
    labels = model_labels(agent)
    try:
        run = within(agent.generate(prompt_of(body), **options), state.config.request_timeout)
        result: AgentResult[Any] = await cancelled_on_disconnect(request, run)
    except TimeoutError:
        state.metrics.record_failure(agent.name, labels, "timeout")
        raise ApiError(503, f"agent {agent.name!r} did not answer in time") from None
    except MastraError as exc:
        state.metrics.record_failure(agent.name, labels, exc.code)
        raise
    state.metrics.record_result(agent.name, labels, result)
    request.scope["mastra.run_id"] = result.run_id  # for the access log line
    return JSONResponse(result_json(result))


async def stream(request: Request) -> Response:
    """``POST /api/agents/{agentId}/stream``: the run's chunks as Server-Sent Events."""
    state = state_of(request)
    agent = _agent(state, request)
    body = await parse_body(request, GenerateBody)
    options = run_options(body)
    _check_memory_owner(request, agent, options)
    labels = model_labels(agent)
    if state.lifecycle.draining:
        raise ApiError(503, "the server is shutting down")

    def on_end(outcome: object) -> None:
        if isinstance(outcome, AgentResult):
            state.metrics.record_result(agent.name, labels, outcome)
        elif isinstance(outcome, MastraError):
            state.metrics.record_failure(agent.name, labels, outcome.code)
        else:
            state.metrics.record_failure(agent.name, labels, str(outcome))

    agent_stream = agent.stream(prompt_of(body), **options)
    request.scope["mastra.run_id"] = agent_stream.run_id
    redactor = redactor_of(state)
    return AgentEventStream(agent_stream, state.lifecycle, state.metrics, on_end, redactor)


async def get_agent_tool(request: Request) -> Response:
    """``GET /api/agents/{agentId}/tools/{toolId}``."""
    agent = _agent(state_of(request), request)
    return JSONResponse(tool_json(find_tool(agent.tools, path_param(request, "toolId"))))


async def execute_agent_tool(request: Request) -> Response:
    """``POST /api/agents/{agentId}/tools/{toolId}/execute``: the tool's bare result."""
    state = state_of(request)
    agent = _agent(state, request)
    tool = find_tool(agent.tools, path_param(request, "toolId"))
    body = await parse_body(request, ToolExecuteBody)
    result = await execute_tool(state, tool, body, request, agent_name=agent.name)
    return JSONResponse(result)


def agent_routes() -> list[ApiRoute]:
    """The agent routes."""
    base = "/api/agents"
    return [
        ApiRoute("GET", base, list_agents, "agents:read", "List the agents", tag="agents"),
        ApiRoute("GET", base + "/{agentId}", get_agent, "agents:read", "An agent", tag="agents"),
        ApiRoute(
            "POST",
            base + "/{agentId}/generate",
            generate,
            "agents:execute",
            "Run an agent to its answer",
            GenerateBody,
            "agents",
            bounded=True,
        ),
        ApiRoute(
            "POST",
            base + "/{agentId}/stream",
            stream,
            "agents:execute",
            "Stream an agent run (Server-Sent Events)",
            GenerateBody,
            "agents",
        ),
        ApiRoute(
            "GET",
            base + "/{agentId}/tools/{toolId}",
            get_agent_tool,
            "agents:read",
            "One of an agent's tools",
            tag="agents",
        ),
        ApiRoute(
            "POST",
            base + "/{agentId}/tools/{toolId}/execute",
            execute_agent_tool,
            "tools:execute",
            "Run one of an agent's tools",
            ToolExecuteBody,
            "agents",
            bounded=True,
            query=("runId",),
        ),
    ]
