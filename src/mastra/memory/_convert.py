"""Model messages to stored messages and back, and prompts a model accepts.

Stored content follows Mastra's message parts: ``{"type": "text", "text"}``,
``{"type": "image", "url"}``, ``{"type": "tool-call", "toolCallId", "toolName",
"args"}`` (assistant) and ``{"type": "tool-result", "toolCallId", "toolName",
"result"}`` (tool).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from mastra.providers import ImagePart, Message, Part, TextPart, ToolCall
from mastra.storage import Message as StoredMessage

__all__ = ["model_message", "other_threads_message", "prompt_safe", "stored_message"]


def _content(message: Message) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if message.role == "tool":
        return [
            {
                "type": "tool-result",
                "toolCallId": message.tool_call_id,
                "toolName": message.name,
                "result": message.text,
            }
        ]
    for part in message.parts:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        else:
            parts.append({"type": "image", "url": part.url})
    parts.extend(
        {"type": "tool-call", "toolCallId": c.id, "toolName": c.name, "args": c.arguments}
        for c in message.tool_calls
    )
    return parts


def stored_message(
    message: Message,
    thread_id: str,
    resource_id: str | None,
    *,
    id: str | None = None,
    created_at: datetime | None = None,
) -> StoredMessage:
    """A model message as a thread keeps it (a new uuid4 id when ``id`` is None).

    Example:
        >>> stored_message(Message.user("hi"), "t1", "u1", id="m1").content
        [{'type': 'text', 'text': 'hi'}]
    """
    kwargs: dict[str, Any] = {} if created_at is None else {"created_at": created_at}
    return StoredMessage(
        id or str(uuid.uuid4()), thread_id, message.role, _content(message), resource_id, **kwargs
    )


def stored_messages(
    messages: Sequence[Message], thread_id: str, resource_id: str | None, start: datetime
) -> list[StoredMessage]:
    """Messages of one turn, a microsecond apart so that their order never ties."""
    return [
        stored_message(m, thread_id, resource_id, created_at=start + timedelta(microseconds=i))
        for i, m in enumerate(messages)
    ]


def model_message(stored: StoredMessage) -> Message:
    """A stored message as a model reads it.

    Example:
        >>> model_message(stored_message(Message.user("hi"), "t1", "u1")).text
        'hi'
    """
    parts: list[Part] = []
    calls: list[ToolCall] = []
    result: dict[str, Any] | None = None
    for raw in stored.content:
        kind = raw.get("type")
        if kind == "text":
            parts.append(TextPart(str(raw.get("text", ""))))
        elif kind == "image":
            parts.append(ImagePart(str(raw.get("url", ""))))
        elif kind == "tool-call":
            calls.append(ToolCall(raw["toolCallId"], raw["toolName"], dict(raw.get("args") or {})))
        elif kind == "tool-result":
            result = raw
    if stored.role == "tool" and result is not None:
        return Message.tool(result["toolCallId"], str(result.get("result", "")), result["toolName"])
    content: str | tuple[Part, ...] = tuple(parts)
    if all(isinstance(p, TextPart) for p in parts):
        content = "".join(p.text for p in parts if isinstance(p, TextPart))
    role = stored.role if stored.role in ("system", "user", "assistant") else "user"
    return Message(role, content, tuple(calls))  # type: ignore[arg-type]


def prompt_safe(messages: Iterable[Message]) -> list[Message]:
    """The messages without tool calls that lack their result, or results that lack
    their call (a window cut through a tool round trip), which providers refuse."""
    listed = list(messages)
    asked = {c.id for m in listed for c in m.tool_calls}
    answered = {m.tool_call_id for m in listed if m.role == "tool"}
    safe: list[Message] = []
    for message in listed:
        if message.role == "tool":
            if message.tool_call_id in asked:
                safe.append(message)
            continue
        if message.tool_calls:
            kept = tuple(c for c in message.tool_calls if c.id in answered)
            if len(kept) != len(message.tool_calls):
                if not kept and not message.text:
                    continue
                message = Message(message.role, message.content, kept)
        safe.append(message)
    return safe


def other_threads_message(messages: Sequence[StoredMessage]) -> Message | None:
    """Messages recalled from the resource's other threads, as one system message."""
    lines: list[str] = []
    thread: str | None = None
    for stored in messages:
        if stored.role not in ("user", "assistant"):
            continue
        text = model_message(stored).text
        if not text:
            continue
        if stored.thread_id != thread:
            thread = stored.thread_id
            lines.append(
                f"<thread id={thread!r}>" if not lines else f"</thread>\n<thread id={thread!r}>"
            )
        lines.append(f"{stored.role}: {text}")
    if not lines:
        return None
    body = "\n".join(lines)
    return Message.system(
        "The following messages were remembered from other conversations with this user:\n"
        f"<remembered_from_other_conversations>\n{body}\n</thread>\n"
        "</remembered_from_other_conversations>"
    )
