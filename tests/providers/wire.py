"""Payloads shaped like the real OpenAI and Anthropic APIs, built from a request.

The assistant's behaviour is fixed: with tools offered and no tool result yet, it calls
every offered tool (in parallel) with ``{"query": <tool name>, "limit": 3}``; after
tool results it answers ``"Results: <contents>"``; with a JSON schema it answers
``{"answer": 42}``; otherwise it answers :data:`TEXT`.
"""

from __future__ import annotations

import array
import base64
from typing import Any

import orjson

TEXT = "Hello from the loopback server, streaming one word at a time."
INPUT_TOKENS = 17


def sse(data: bytes, event: str | None = None) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + data + b"\n\n"


def tool_names(payload: dict[str, Any]) -> list[str]:
    names = []
    for tool in payload.get("tools") or []:
        names.append(tool["function"]["name"] if "function" in tool else tool["name"])
    return names


def tool_results(payload: dict[str, Any]) -> list[str]:
    results = []
    for message in payload.get("messages", []):
        if message.get("role") == "tool":
            results.append(str(message["content"]))
        content = message.get("content")
        if isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    results.append(str(block["content"]))
    return results


def answer(payload: dict[str, Any]) -> tuple[str, list[tuple[str, str, str]]]:
    """The text and the (id, name, arguments JSON) tool calls the assistant gives."""
    results = tool_results(payload)
    if results:
        return "Results: " + "; ".join(results), []
    names = tool_names(payload)
    if names:
        calls = [
            (f"call_{i}_{name}", name, orjson.dumps({"query": name, "limit": 3}).decode())
            for i, name in enumerate(names)
        ]
        return "", calls
    if payload.get("response_format", {}).get("type") == "json_schema":
        return '{"answer": 42}', []
    return TEXT, []


def words(text: str) -> list[str]:
    pieces = text.split(" ")
    return [p if i == 0 else " " + p for i, p in enumerate(pieces)]


def fragments(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


# --- OpenAI chat completions ------------------------------------------------------------


def openai_completion(payload: dict[str, Any]) -> dict[str, Any]:
    text, calls = answer(payload)
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
    if calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
            for cid, name, args in calls
        ]
    return {
        "id": "chatcmpl-loop",
        "object": "chat.completion",
        "created": 1700000000,
        "model": payload.get("model", "gpt-test"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": INPUT_TOKENS,
            "completion_tokens": len(words(text)) + len(calls) * 9,
            "total_tokens": INPUT_TOKENS + len(words(text)) + len(calls) * 9,
        },
        "system_fingerprint": "fp_loop",
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-loop",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "system_fingerprint": "fp_loop",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return sse(orjson.dumps(body))


def openai_events(payload: dict[str, Any]) -> list[bytes]:
    model = payload.get("model", "gpt-test")
    text, calls = answer(payload)
    events = [_chunk(model, {"role": "assistant", "content": "", "refusal": None})]
    events += [_chunk(model, {"content": word}) for word in words(text) if text]
    for index, (cid, name, args) in enumerate(calls):
        start = {"index": index, "id": cid, "type": "function"}
        start["function"] = {"name": name, "arguments": ""}
        events.append(_chunk(model, {"tool_calls": [start]}))
        for piece in fragments(args):
            part = {"index": index, "function": {"arguments": piece}}
            events.append(_chunk(model, {"tool_calls": [part]}))
    events.append(_chunk(model, {}, "tool_calls" if calls else "stop"))
    if (payload.get("stream_options") or {}).get("include_usage"):
        usage = openai_completion(payload)["usage"]
        body = {"id": "chatcmpl-loop", "object": "chat.completion.chunk", "created": 1700000000}
        body |= {"model": model, "choices": [], "usage": usage}
        events.append(sse(orjson.dumps(body)))
    events.append(b"data: [DONE]\n\n")
    return events


def embedding_of(text: str, dims: int) -> list[float]:
    return [(len(text) + j) / 8 for j in range(dims)]


def openai_embeddings(payload: dict[str, Any]) -> dict[str, Any]:
    inputs = payload["input"] if isinstance(payload["input"], list) else [payload["input"]]
    dims = payload.get("dimensions", 8)
    data = [
        {"object": "embedding", "index": i, "embedding": embedding_of(text, dims)}
        for i, text in enumerate(inputs)
    ]
    if payload.get("encoding_format") == "base64":
        for item in data:
            packed = array.array("f", item["embedding"]).tobytes()
            item["embedding"] = base64.b64encode(packed).decode()
    data.reverse()  # the API does not promise order: clients must sort by index
    usage = {"prompt_tokens": len(inputs) * 3, "total_tokens": len(inputs) * 3}
    return {"object": "list", "data": data, "model": payload["model"], "usage": usage}


# --- Anthropic messages -----------------------------------------------------------------


def anthropic_message(payload: dict[str, Any]) -> dict[str, Any]:
    text, calls = answer(payload)
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += [
        {
            "type": "tool_use",
            "id": cid.replace("call", "toolu"),
            "name": name,
            "input": orjson.loads(args),
        }
        for cid, name, args in calls
    ]
    return {
        "id": "msg_loop",
        "type": "message",
        "role": "assistant",
        "model": payload.get("model", "claude-test"),
        "content": content,
        "stop_reason": "tool_use" if calls else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": len(words(text)) + 9 * len(calls)},
    }


def anthropic_events(payload: dict[str, Any]) -> list[bytes]:
    message = anthropic_message(payload)
    start = dict(message, content=[], stop_reason=None)
    start["usage"] = {"input_tokens": INPUT_TOKENS, "output_tokens": 1}
    events = [sse(orjson.dumps({"type": "message_start", "message": start}), "message_start")]
    events.append(sse(b'{"type": "ping"}', "ping"))
    for index, block in enumerate(message["content"]):
        opened: dict[str, Any]
        if block["type"] == "text":
            opened = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": w} for w in words(block["text"])]
        else:
            opened = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            args = orjson.dumps(block["input"]).decode()
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in fragments(args)]
        body = {"type": "content_block_start", "index": index, "content_block": opened}
        events.append(sse(orjson.dumps(body), "content_block_start"))
        for delta in deltas:
            body = {"type": "content_block_delta", "index": index, "delta": delta}
            events.append(sse(orjson.dumps(body), "content_block_delta"))
        body = {"type": "content_block_stop", "index": index}
        events.append(sse(orjson.dumps(body), "content_block_stop"))
    stop: dict[str, Any] = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    body = {"type": "message_delta", "delta": stop, "usage": message["usage"]}
    events.append(sse(orjson.dumps(body), "message_delta"))
    events.append(sse(b'{"type": "message_stop"}', "message_stop"))
    return events
