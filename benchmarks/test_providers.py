"""Provider calls through mastra beside raw httpx and the official openai SDK, in one run.

Run: ``pytest benchmarks/test_providers.py --benchmark-only``. A loopback server in its
own process answers OpenAI chat completions (a realistic body, or a stream of 48 text
chunks, the usage chunk and ``[DONE]``), so the client's cost is what is measured.

Groups: non-streamed calls (16 concurrent workers) and streamed chunks (16 concurrent
streams, with the median time to first token of a lone stream). The "raw" clients do
the same requests by hand (build the body, post, decode the JSON; parse the SSE lines)
and are the floor for mastra over the same transport. Each case records the client's
CPU time per call or per chunk beside the wall time.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from benchmarks.conftest import record
from mastra.http import HttpClient, HttpConfig
from mastra.providers import OpenAIChatModel, Provider, TextDelta

CONCURRENCY = 16
CALLS_PER_WORKER = 25
STREAMS_PER_WORKER = 4
WORDS = [f" word{i}" for i in range(48)]
BODY = {"model": "gpt-bench", "messages": [{"role": "user", "content": "Say something."}]}


@dataclass
class Client:
    """One implementation: a call (1 when answered), a stream (text chunks, seconds
    to the first) and how to close it."""

    call: Callable[[], Awaitable[int]]
    stream: Callable[[], Awaitable[tuple[int, float]]]
    close: Callable[[], Awaitable[None]]


Factory = Callable[[str, str], Awaitable[Client]]


# --- the loopback server (``python -m benchmarks.test_providers`` prints its port) -----


def _payloads() -> tuple[bytes, list[bytes]]:
    text = "".join(WORDS)
    completion = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-bench",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 48, "total_tokens": 60},
        "system_fingerprint": "fp_bench",
    }
    head = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000}
    head |= {"model": "gpt-bench", "system_fingerprint": "fp_bench"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return b"data: " + orjson.dumps(head | {"choices": [choice]}) + b"\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": word}) for word in WORDS]
    events.append(chunk({}, "stop"))
    usage = head | {"choices": [], "usage": completion["usage"]}
    events += [b"data: " + orjson.dumps(usage) + b"\n\n", b"data: [DONE]\n\n"]
    return orjson.dumps(completion), events


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    completion, events = _payloads()
    json_head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: r\r\n"
    json_response = json_head + f"content-length: {len(completion)}\r\n\r\n".encode() + completion
    stream_head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    stream_head += b"transfer-encoding: chunked\r\n\r\n"
    chunks = [f"{len(e):x}\r\n".encode() + e + b"\r\n" for e in events] + [b"0\r\n\r\n"]
    try:
        while line := await reader.readline():
            length = 0
            while (header := await reader.readline()) not in (b"\r\n", b""):
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            body = await reader.readexactly(length)
            if line.startswith(b"POST") and b'"stream":true' in body:
                writer.write(stream_head)
                for part in chunks:
                    writer.write(part)
                    await writer.drain()
            else:
                writer.write(json_response)
                await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def _main() -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0, backlog=256)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(900)  # the fixture ends the process long before this


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "benchmarks.test_providers"]
    proc = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        if not port:
            raise RuntimeError("the loopback server did not start")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


# --- the clients ---------------------------------------------------------------------


async def mastra_client(base: str, transport: str) -> Client:
    http = HttpClient(HttpConfig(transport=transport))  # type: ignore[arg-type]
    model = OpenAIChatModel("gpt-bench", provider=Provider("openai", base, "sk-bench", http=http))
    messages = "Say something."

    async def call() -> int:
        response = await model.generate(messages)
        return len(response.text) > 0

    async def stream() -> tuple[int, float]:
        start, first, count = time.perf_counter(), 0.0, 0
        async for event in model.stream(messages):
            if isinstance(event, TextDelta):
                first = first or time.perf_counter() - start
                count += 1
        return count, first

    return Client(call, stream, http.aclose)


async def raw_client(base: str, transport: str) -> Client:
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        client = httpx.AsyncClient(transport=AiohttpTransport())
    else:
        client = httpx.AsyncClient()
    url = f"{base}/chat/completions"
    headers = {"authorization": "Bearer sk-bench", "content-type": "application/json"}

    async def call() -> int:
        response = await client.post(url, content=orjson.dumps(BODY), headers=headers)
        response.raise_for_status()
        data = orjson.loads(response.content)
        return len(data["choices"][0]["message"]["content"]) > 0

    async def stream() -> tuple[int, float]:
        body = orjson.dumps(BODY | {"stream": True, "stream_options": {"include_usage": True}})
        start, first, count = time.perf_counter(), 0.0, 0
        async with client.stream("POST", url, content=body, headers=headers) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    chunk = orjson.loads(line[6:])
                    if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                        first = first or time.perf_counter() - start
                        count += 1
        return count, first

    return Client(call, stream, client.aclose)


async def openai_client(base: str, transport: str) -> Client:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base, api_key="sk-bench")
    messages: Any = BODY["messages"]

    async def call() -> int:
        response = await client.chat.completions.create(model="gpt-bench", messages=messages)
        return len(response.choices[0].message.content or "") > 0

    async def stream() -> tuple[int, float]:
        start, first, count = time.perf_counter(), 0.0, 0
        events = await client.chat.completions.create(
            model="gpt-bench",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in events:
            if chunk.choices and chunk.choices[0].delta.content:
                first = first or time.perf_counter() - start
                count += 1
        return count, first

    return Client(call, stream, client.close)


IMPLEMENTATIONS: dict[str, tuple[Factory, str]] = {
    "mastra (aiohttp transport)": (mastra_client, "aiohttp"),
    "mastra (httpx transport)": (mastra_client, "httpx"),
    "raw httpx (aiohttp transport)": (raw_client, "aiohttp"),
    "raw httpx": (raw_client, "httpx"),
    "openai SDK": (openai_client, "httpx"),
}


def _timed(
    benchmark: Any, loop: asyncio.AbstractEventLoop, batch: Callable[[], Awaitable[int]]
) -> tuple[int, float]:
    """Runs ``batch`` per round; the count and CPU seconds of the median-CPU round."""
    results: list[tuple[int, float]] = []

    def one_round() -> None:
        cpu = time.process_time()
        count = loop.run_until_complete(batch())
        results.append((count, time.process_time() - cpu))

    benchmark.pedantic(one_round, rounds=5, iterations=1, warmup_rounds=1)
    results.sort(key=lambda r: r[1])
    return results[len(results) // 2]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


async def _workers(job: Callable[[], Awaitable[int]], per_worker: int) -> int:
    async def worker() -> int:
        return sum([await job() for _ in range(per_worker)])

    return sum(await asyncio.gather(*(worker() for _ in range(CONCURRENCY))))


@pytest.mark.parametrize("name", list(IMPLEMENTATIONS))
def test_calls(benchmark: Any, loop: asyncio.AbstractEventLoop, base_url: str, name: str) -> None:
    factory, transport = IMPLEMENTATIONS[name]
    client = loop.run_until_complete(factory(base_url, transport))
    try:
        count, cpu = _timed(benchmark, loop, lambda: _workers(client.call, CALLS_PER_WORKER))
    finally:
        loop.run_until_complete(client.close())
    calls = CONCURRENCY * CALLS_PER_WORKER
    assert count == calls
    group = f"{calls} calls, {CONCURRENCY} concurrent"
    record(benchmark, group=group, name=name, cpu_ms_per_call=round(cpu / calls * 1e3, 3))


@pytest.mark.parametrize("name", list(IMPLEMENTATIONS))
def test_streams(benchmark: Any, loop: asyncio.AbstractEventLoop, base_url: str, name: str) -> None:
    factory, transport = IMPLEMENTATIONS[name]
    client = loop.run_until_complete(factory(base_url, transport))

    async def count_chunks() -> int:
        count, _ = await client.stream()
        return count

    try:
        count, cpu = _timed(benchmark, loop, lambda: _workers(count_chunks, STREAMS_PER_WORKER))
        firsts = sorted(loop.run_until_complete(client.stream())[1] for _ in range(21))
    finally:
        loop.run_until_complete(client.close())
    chunks = CONCURRENCY * STREAMS_PER_WORKER * len(WORDS)
    assert count == chunks
    record(
        benchmark,
        group=f"{chunks} streamed chunks, {CONCURRENCY} concurrent streams",
        name=name,
        cpu_us_per_chunk=round(cpu / chunks * 1e6, 1),
        first_token_ms=round(firsts[len(firsts) // 2] * 1e3, 3),
    )


if __name__ == "__main__":
    asyncio.run(_main())
