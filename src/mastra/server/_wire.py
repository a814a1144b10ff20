"""Mastra's wire shapes: agents, tools and results as ``@mastra/client-js`` reads them."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel

from mastra.agent import Agent, AgentResult, Chunk, ChunkType, Step
from mastra.agent._result import usage_json
from mastra.providers import Message
from mastra.server._schemas import GenerateBody, MessageIn
from mastra.server._state import model_labels
from mastra.tools import Tool

__all__ = ["agent_json", "prompt_of", "result_json", "run_options", "superjson", "tool_json"]

_SETTINGS = {"temperature": "temperature", "maxTokens": "max_tokens", "topP": "top_p"}


def superjson(value: Any) -> str:
    """``value`` as a superjson string, how Mastra sends schemas (the client parses
    them back)."""
    return orjson.dumps({"json": value}).decode()


def _schema(schema: Any) -> Any:
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.model_json_schema()
    return schema


def tool_json(tool: Tool) -> dict[str, Any]:
    """A tool as Mastra lists it: id, description and its schemas (superjson strings)."""
    entry: dict[str, Any] = {
        "id": tool.id,
        "description": tool.description,
        "inputSchema": superjson(tool.spec.parameters),
        "requireApproval": False,
    }
    if tool.output_schema is not None:
        entry["outputSchema"] = superjson(_schema(tool.output_schema))
    return entry


def agent_json(agent: Agent) -> dict[str, Any]:
    """An agent as ``GET /api/agents/{agentId}`` gives it."""
    provider, model_id = model_labels(agent)
    instructions = agent.instructions if isinstance(agent.instructions, str) else ""
    return {
        "name": agent.name,
        "description": agent.description or "",
        "instructions": instructions,
        "tools": {tool.id: tool_json(tool) for tool in agent.tools},
        "agents": {},
        "workflows": {},
        "skills": [],
        "workspaceTools": [],
        "browserTools": [],
        "hasBrowser": False,
        "inputProcessors": [],
        "outputProcessors": [],
        "provider": provider,
        "modelId": model_id,
    }


def _text_of(message: MessageIn) -> str:
    if isinstance(message.content, str):
        return message.content
    return "".join(
        str(part.get("text", "")) for part in message.content if part.get("type") == "text"
    )


def prompt_of(body: GenerateBody) -> str | list[Message]:
    """The run's input: the text, or the messages."""
    if isinstance(body.messages, str):
        return body.messages
    return [Message(message.role, _text_of(message)) for message in body.messages]


def run_options(body: GenerateBody) -> dict[str, Any]:
    """The keyword arguments of ``generate``/``stream`` the body asks for."""
    options: dict[str, Any] = {}
    thread = body.thread_id
    resource = body.resource_id
    if body.memory is not None:
        memory_thread = body.memory.thread
        thread = memory_thread if isinstance(memory_thread, str) else memory_thread.id
        resource = body.memory.resource or resource
    if thread is not None:
        options["thread_id"] = thread
    if resource is not None:
        options["resource_id"] = resource
    if body.max_steps is not None:
        options["max_steps"] = body.max_steps
    for key, value in (body.model_settings or {}).items():
        name = _SETTINGS.get(key)
        if name is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            options[name] = value
    return options


def _calls(run_id: str, steps: list[Step]) -> tuple[list[Any], list[Any]]:
    calls: list[Any] = []
    results: list[Any] = []
    for step in steps:
        for call in step.tool_calls:
            payload = {"toolCallId": call.id, "toolName": call.name, "args": call.arguments}
            calls.append(Chunk("tool-call", run_id, payload).to_dict())
        for r in step.tool_results:
            kind: ChunkType = "tool-error" if r.is_error else "tool-result"
            payload = {"toolCallId": r.tool_call_id, "toolName": r.name, "args": r.arguments}
            payload["error" if r.is_error else "result"] = r.result
            results.append(Chunk(kind, run_id, payload).to_dict())
    return calls, results


def _finish_reason(reason: str) -> str:
    return reason.replace("_", "-")


def result_json(result: AgentResult[Any]) -> dict[str, Any]:
    """A run's result as ``POST /api/agents/{agentId}/generate`` answers it."""
    calls, results = _calls(result.run_id, result.steps)
    steps = []
    for step in result.steps:
        step_calls, step_results = _calls(result.run_id, [step])
        steps.append(
            {
                "text": step.text,
                "toolCalls": step_calls,
                "toolResults": step_results,
                "finishReason": _finish_reason(step.finish_reason),
                "usage": usage_json(step.usage),
            }
        )
    body: dict[str, Any] = {
        "text": result.text,
        "finishReason": _finish_reason(result.finish_reason),
        "toolCalls": calls,
        "toolResults": results,
        "steps": steps,
        "usage": usage_json(result.usage),
        "runId": result.run_id,
    }
    if result.output is not None:
        body["object"] = _plain(result.output)
    return body


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value
