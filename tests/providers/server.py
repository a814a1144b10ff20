"""A loopback HTTP/1.1 server speaking the OpenAI and Anthropic wire formats, with faults.

URLs have the form ``/<scenario>/<token>/v1/...``: the scenario picks the behaviour
(a fault on the first attempt, a fault always, or none) and the token keeps a separate
attempt count and request log per test, so tests can share one server.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from typing import Any

import orjson

from . import wire

Writer = asyncio.StreamWriter


class LoopbackServer:
    """Serves on 127.0.0.1 from a background thread; ``url(scenario)`` makes a base URL."""

    def __init__(self) -> None:
        self.attempts: dict[str, int] = defaultdict(int)
        self.requests: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.headers: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.open_connections = 0
        self._tokens = itertools.count()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    def start(self) -> LoopbackServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def url(self, scenario: str = "ok") -> str:
        """A fresh base URL (ending in ``/v1``) with its own attempt count."""
        return f"http://127.0.0.1:{self.port}/{scenario}/t{next(self._tokens)}/v1"

    def log(self, base_url: str) -> list[dict[str, Any]]:
        """The JSON bodies received under a base URL, in order."""
        return self.requests[self._key(base_url)]

    @staticmethod
    def _key(url: str) -> str:
        parts = url.split("/")
        index = parts.index("v1")
        return "/".join(parts[index - 2 : index])

    async def _serve(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        self.open_connections += 1
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self.open_connections -= 1
            writer.close()

    async def _one_request(self, reader: asyncio.StreamReader, writer: Writer) -> bool:
        line = await reader.readline()
        if not line:
            return False
        _, target, _ = line.decode().split(" ", 2)
        headers: dict[str, str] = {}
        while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, value = raw.decode().split(":", 1)
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        parts = target.split("/")
        scenario, key, endpoint = parts[1], "/".join(parts[1:3]), parts[-1]
        self.attempts[key] += 1
        payload = orjson.loads(body) if body else {}
        self.requests[key].append(payload)
        self.headers[key].append(headers)
        handler = FAULTS.get(scenario)
        if handler is not None:
            done = await handler(writer, self.attempts[key], payload, endpoint)
            if done is not None:
                return done
        await respond(writer, endpoint, payload)
        return True


# --- responses ------------------------------------------------------------------------


async def send(
    writer: Writer, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    head = [f"HTTP/1.1 {status} X", f"content-length: {len(body)}", "x-request-id: req_loop"]
    head += ["content-type: application/json"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()


async def send_stream(writer: Writer, events: list[bytes], *, end: bool = True) -> None:
    head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n"
    writer.write((head + "x-request-id: req_loop\r\n\r\n").encode())
    for event in events:
        writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
        await writer.drain()
    if end:
        writer.write(b"0\r\n\r\n")
        await writer.drain()


def error_body(message: str, kind: str = "server_error") -> bytes:
    return orjson.dumps({"error": {"message": message, "type": kind, "code": kind}})


async def respond(writer: Writer, endpoint: str, payload: dict[str, Any]) -> None:
    if endpoint == "messages":
        if payload.get("stream"):
            await send_stream(writer, wire.anthropic_events(payload))
        else:
            await send(writer, 200, orjson.dumps(wire.anthropic_message(payload)))
    elif endpoint == "embeddings":
        await send(writer, 200, orjson.dumps(wire.openai_embeddings(payload)))
    elif payload.get("stream"):
        await send_stream(writer, wire.openai_events(payload))
    else:
        await send(writer, 200, orjson.dumps(wire.openai_completion(payload)))


# --- faults: each returns None to answer normally, or whether to keep the connection -----

Fault = Callable[[Writer, int, dict[str, Any], str], Awaitable[bool | None]]


async def fail_500_once(
    writer: Writer, attempt: int, payload: dict[str, Any], _: str
) -> bool | None:
    if attempt > 1:
        return None
    await send(writer, 500, error_body("The server had an error"))
    return True


async def rate_limit_once(
    writer: Writer, attempt: int, payload: dict[str, Any], _: str
) -> bool | None:
    if attempt > 1:
        return None
    await send(writer, 429, error_body("slow down", "rate_limit_exceeded"), {"retry-after": "0"})
    return True


async def rate_limit_date_once(
    writer: Writer, attempt: int, payload: dict[str, Any], _: str
) -> bool | None:
    if attempt > 1:
        return None
    when = formatdate(time.time() + 1, usegmt=True)
    await send(writer, 429, error_body("slow down", "rate_limit_exceeded"), {"retry-after": when})
    return True


async def rate_limit_always(writer: Writer, attempt: int, payload: dict[str, Any], _: str) -> bool:
    await send(writer, 429, error_body("quota", "rate_limit_exceeded"), {"retry-after": "3600"})
    return True


async def unauthorized(writer: Writer, attempt: int, payload: dict[str, Any], _: str) -> bool:
    message = "Incorrect API key provided: sk-loopback-secret-key-1234"
    await send(writer, 401, error_body(message, "invalid_api_key"))
    return True


async def too_long(writer: Writer, attempt: int, payload: dict[str, Any], _: str) -> bool:
    message = "This model's maximum context length is 128000 tokens."
    await send(writer, 400, error_body(message, "context_length_exceeded"))
    return True


async def always_503(writer: Writer, attempt: int, payload: dict[str, Any], _: str) -> bool:
    await send(writer, 503, error_body("overloaded"))
    return True


async def drop_before_response_once(
    writer: Writer, attempt: int, payload: dict[str, Any], _: str
) -> bool | None:
    if attempt > 1:
        return None
    writer.transport.abort()
    return False


async def reset_mid_stream(
    writer: Writer, attempt: int, payload: dict[str, Any], endpoint: str
) -> bool:
    events = (
        wire.anthropic_events(payload) if endpoint == "messages" else wire.openai_events(payload)
    )
    await send_stream(writer, events[:4], end=False)
    writer.transport.abort()
    return False


async def read_timeout(writer: Writer, attempt: int, payload: dict[str, Any], _: str) -> bool:
    await asyncio.sleep(2.0)
    return False


async def stall_mid_stream(writer: Writer, attempt: int, payload: dict[str, Any], _: str) -> bool:
    await send_stream(writer, wire.openai_events(payload)[:3], end=False)
    await asyncio.sleep(2.0)
    return False


async def truncated_stream(
    writer: Writer, attempt: int, payload: dict[str, Any], endpoint: str
) -> bool:
    events = (
        wire.anthropic_events(payload) if endpoint == "messages" else wire.openai_events(payload)
    )
    cut = [*events[:4], events[4][: len(events[4]) // 2]]
    await send_stream(writer, cut)
    return True


async def malformed_json(writer: Writer, attempt: int, payload: dict[str, Any], _: str) -> bool:
    if payload.get("stream"):
        await send_stream(writer, [b'data: {"choices": [{"delta": {"content": "x"\n\n'])
    else:
        await send(writer, 200, b'{"id": "chatcmpl-1", "choices": [')
    return True


async def invalid_utf8(writer: Writer, attempt: int, payload: dict[str, Any], _: str) -> bool:
    if payload.get("stream"):
        events = wire.openai_events(payload)
        events[1] = events[1].replace(b'"content":"', b'"content":"\xff\xfe', 1)
        await send_stream(writer, events)
    else:
        await send(writer, 200, b'{"id": "chatcmpl-1", "choices": "\xff\xfe"}')
    return True


async def anthropic_stream_error(
    writer: Writer, attempt: int, payload: dict[str, Any], _: str
) -> bool:
    events = wire.anthropic_events(payload)[:3]
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    events.append(wire.sse(orjson.dumps(error), event="error"))
    await send_stream(writer, events)
    return True


FAULTS: dict[str, Fault] = {
    "500-once": fail_500_once,
    "429-once": rate_limit_once,
    "429-date-once": rate_limit_date_once,
    "429-always": rate_limit_always,
    "401": unauthorized,
    "too-long": too_long,
    "503": always_503,
    "drop-once": drop_before_response_once,
    "reset-mid-stream": reset_mid_stream,
    "read-timeout": read_timeout,
    "stall-mid-stream": stall_mid_stream,
    "truncated": truncated_stream,
    "malformed-json": malformed_json,
    "invalid-utf8": invalid_utf8,
    "stream-error": anthropic_stream_error,
}
