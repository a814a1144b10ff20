"""Memory's wire shapes: threads and messages as Mastra stores and sends them
(``content: {format: 2, parts}``, tool calls and results merged into one
``tool-invocation`` part)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from mastra.server._errors import ApiError
from mastra.storage import Message as StoredMessage
from mastra.storage import Thread

__all__ = ["messages_json", "stored_from_wire", "thread_json"]


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def thread_json(thread: Thread) -> dict[str, Any]:
    """A thread as Mastra sends it."""
    return {
        "id": thread.id,
        "title": thread.title,
        "resourceId": thread.resource_id,
        "metadata": thread.metadata,
        "createdAt": _time(thread.created_at),
        "updatedAt": _time(thread.updated_at),
    }


def _invocation(raw: dict[str, Any], state: str) -> dict[str, Any]:
    invocation = {
        "state": state,
        "toolCallId": raw.get("toolCallId"),
        "toolName": raw.get("toolName"),
        "args": raw.get("args") or {},
    }
    if state == "result":
        invocation["result"] = raw.get("result")
    return {"type": "tool-invocation", "toolInvocation": invocation}


def _message(stored: StoredMessage, parts: list[dict[str, Any]], role: str) -> dict[str, Any]:
    return {
        "id": stored.id,
        "role": role,
        "content": {"format": 2, "parts": parts},
        "createdAt": _time(stored.created_at),
        "threadId": stored.thread_id,
        "resourceId": stored.resource_id,
        "type": "v2",
    }


def messages_json(stored: list[StoredMessage]) -> list[dict[str, Any]]:
    """A thread's messages, oldest first, tool results folded into their calls."""
    out: list[dict[str, Any]] = []
    calls: dict[str, dict[str, Any]] = {}
    for message in stored:
        parts: list[dict[str, Any]] = []
        for raw in message.content:
            kind = raw.get("type")
            if kind == "tool-result" and raw.get("toolCallId") in calls:
                found = calls[raw["toolCallId"]]["toolInvocation"]
                found["state"], found["result"] = "result", raw.get("result")
            elif kind == "tool-result":
                parts.append(_invocation(raw, "result"))
            elif kind == "tool-call":
                part = _invocation(raw, "call")
                calls[str(raw.get("toolCallId"))] = part
                parts.append(part)
            else:
                parts.append(dict(raw))
        if parts:
            role = "assistant" if message.role == "tool" else message.role
            out.append(_message(message, parts, role))
    return out


def _parts_of(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, dict):
        content = content.get("parts", [])
    if not isinstance(content, list):
        raise ApiError(422, "invalid body: messages: content must be text or parts")
    parts: list[dict[str, Any]] = []
    for part in content:
        if not isinstance(part, dict):
            raise ApiError(422, "invalid body: messages: each part must be an object")
        if part.get("type") == "tool-invocation":
            call = part.get("toolInvocation") or {}
            base = {k: call.get(k) for k in ("toolCallId", "toolName")}
            parts.append({"type": "tool-call", **base, "args": call.get("args") or {}})
            if call.get("state") == "result":
                parts.append({"type": "tool-result", **base, "result": call.get("result")})
        elif part.get("type") == "text":
            parts.append({"type": "text", "text": str(part.get("text", ""))})
    return parts


def stored_from_wire(raw: Any) -> StoredMessage:
    """A message of ``POST /api/memory/save-messages`` (Mastra's v1 or v2 format).

    Raises:
        ApiError: 422, a field is missing or malformed.
    """
    if not isinstance(raw, dict):
        raise ApiError(422, "invalid body: messages: each message must be an object")
    thread_id, role = raw.get("threadId"), raw.get("role")
    if not isinstance(thread_id, str) or not thread_id:
        raise ApiError(422, "invalid body: messages: threadId is required")
    if role not in ("user", "assistant", "system", "tool"):
        raise ApiError(422, "invalid body: messages: role must be user, assistant or system")
    message_id = raw.get("id")
    resource_id = raw.get("resourceId")
    return StoredMessage(
        message_id if isinstance(message_id, str) and message_id else str(uuid.uuid4()),
        thread_id,
        role,
        _parts_of(raw.get("content", "")),
        resource_id if isinstance(resource_id, str) else None,
    )
