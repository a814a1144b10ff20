"""One agent turn through mastra beside the agent frameworks and raw HTTP loops.

Run: ``pytest benchmarks/test_agent.py --benchmark-only``. A loopback server in its
own process speaks OpenAI chat completions: asked about the weather with a tool
offered, it calls ``weather({"city": "Paris"})``; after the tool result (or for any
other question) it answers a short sentence, streamed word by word when asked to.

Every implementation runs the same agent (instructions and one tool taking
``{city: str}``) for two scenarios: a plain answer (one request) and one tool round
trip (two requests). Recorded per implementation: client CPU per turn, turns/s
sequential and with 16 concurrent runs, p50/p99 latency, time to first token of a
streamed turn, and RSS after import. The raw httpx and aiohttp loops do the same
requests by hand and are the floors. Peers that are not installed are skipped;
their telemetry and tracing are off. The in-process group runs mastra's and
pydantic-ai's ``FunctionModel`` with no HTTP at all: the cost of the loop alone.
"""

from __future__ import annotations

import asyncio
import os
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

from benchmarks.conftest import RECORDS, Record
from mastra.agent import Agent
from mastra.http import HttpClient, HttpConfig
from mastra.providers import Message, ModelResponse, OpenAIChatModel, Provider, ToolCall
from mastra.testing import CallInfo, FunctionModel
from mastra.tools import tool

for _name, _value in {
    "AGNO_TELEMETRY": "false",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "OTEL_SDK_DISABLED": "true",
    "OPENAI_AGENTS_DISABLE_TRACING": "1",
}.items():
    os.environ.setdefault(_name, _value)

# Peers' own deprecation notices are not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore")

CONCURRENCY = 16
SEQUENTIAL_TURNS = 120
TURNS_PER_WORKER = 8
STREAMS = 21
MODEL = "gpt-bench"
KEY = "sk-bench"
INSTRUCTIONS = "You are a helpful assistant. Answer briefly."
PROMPTS = {"plain": "Say hello.", "tool": "What is the weather in Paris?"}
TEXT = "Hello! I am here and happy to help you with anything today."
FORECAST = "Sunny, 21 C"
WEATHER_SPEC = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


async def weather(city: str) -> str:
    """Current weather in a city.

    Args:
        city: The city's name.
    """
    return f"{FORECAST} in {city}"


# --- the loopback server (``python -m benchmarks.test_agent`` prints its port) ---------


def _reply(payload: dict[str, Any]) -> tuple[str, bool]:
    """The answer's text, or ``("", True)`` for a call of the weather tool."""
    last = payload["messages"][-1]
    if last.get("role") == "tool":
        return f"The weather: {last.get('content')}", False
    content = last.get("content")
    if isinstance(content, list):
        content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    if payload.get("tools") and "weather" in str(content):
        return "", True
    return TEXT, False


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    body = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": MODEL}
    return b"data: " + orjson.dumps(body | {"choices": [choice]}) + b"\n\n"


def _completion(text: str, call: bool) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
    if call:
        function = {"name": "weather", "arguments": '{"city":"Paris"}'}
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": function}]
    choice = {"index": 0, "message": message, "logprobs": None}
    choice["finish_reason"] = "tool_calls" if call else "stop"
    usage = {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42}
    body = {"id": "c", "object": "chat.completion", "created": 1, "model": MODEL}
    return orjson.dumps(body | {"choices": [choice], "usage": usage})


def _events(text: str, call: bool) -> list[bytes]:
    events = [_chunk({"role": "assistant", "content": ""})]
    if call:
        function = {"name": "weather", "arguments": '{"city":"Paris"}'}
        part = {"index": 0, "id": "call_1", "type": "function", "function": function}
        events.append(_chunk({"tool_calls": [part]}))
    words = text.split(" ")
    events += [_chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words) if w]
    events.append(_chunk({}, "tool_calls" if call else "stop"))
    usage = {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42}
    head = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": MODEL}
    events.append(b"data: " + orjson.dumps(head | {"choices": [], "usage": usage}) + b"\n\n")
    return [*events, b"data: [DONE]\n\n"]


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while line := await reader.readline():
            length = 0
            while (header := await reader.readline()) not in (b"\r\n", b""):
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            payload = orjson.loads(await reader.readexactly(length)) if length else {}
            if not line.startswith(b"POST"):
                writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                continue
            text, call = _reply(payload)
            if payload.get("stream"):
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n")
                writer.write(b"transfer-encoding: chunked\r\n\r\n")
                for event in _events(text, call):
                    writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                writer.write(b"0\r\n\r\n")
            else:
                body = _completion(text, call)
                head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                writer.write(f"{head}content-length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def _main() -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(1800)  # the fixture ends the process long before this


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "benchmarks.test_agent"]
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


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.run_until_complete(event_loop.shutdown_asyncgens())
    event_loop.close()


# --- the implementations -------------------------------------------------------------


@dataclass
class Peer:
    """One implementation: a turn (the answer's text), a streamed turn (seconds to
    the first text chunk) and how to close it."""

    turn: Callable[[str], Awaitable[str]]
    first_token: Callable[[str], Awaitable[float]]
    close: Callable[[], Awaitable[None]]


async def mastra_peer(base: str) -> Peer:
    http = HttpClient(HttpConfig())
    model = OpenAIChatModel(MODEL, provider=Provider("openai", base, KEY, http=http))
    agent = Agent("bench", INSTRUCTIONS, model, tools=[tool(weather)])

    async def turn(prompt: str) -> str:
        return (await agent.generate(prompt)).text

    async def first_token(prompt: str) -> float:
        start = time.perf_counter()
        async with agent.stream(prompt) as stream:
            async for chunk in stream:
                if chunk.type == "text-delta":
                    return time.perf_counter() - start
        raise AssertionError("no text streamed")

    return Peer(turn, first_token, http.aclose)


def _request(messages: list[dict[str, Any]], stream: bool = False) -> bytes:
    body: dict[str, Any] = {"model": MODEL, "messages": messages, "tools": [WEATHER_SPEC]}
    if stream:
        body["stream"] = True
    return orjson.dumps(body)


def _conversation(prompt: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": prompt}]


async def _tool_messages(message: dict[str, Any]) -> list[dict[str, Any]]:
    replies = [message]
    for call in message["tool_calls"]:
        result = await weather(**orjson.loads(call["function"]["arguments"]))
        replies.append({"role": "tool", "tool_call_id": call["id"], "content": result})
    return replies


def _first_content(line: bytes | str) -> bool:
    if isinstance(line, bytes):
        line = line.decode()
    if not line.startswith("data: ") or line.startswith("data: [DONE]"):
        return False
    choices = orjson.loads(line[6:])["choices"]
    return bool(choices and choices[0]["delta"].get("content"))


async def raw_httpx_peer(base: str) -> Peer:
    client = httpx.AsyncClient()
    url = f"{base}/chat/completions"
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}

    async def turn(prompt: str) -> str:
        messages = [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": prompt},
        ]
        while True:
            response = await client.post(url, content=_request(messages), headers=headers)
            message = orjson.loads(response.content)["choices"][0]["message"]
            if not message.get("tool_calls"):
                return str(message["content"])
            messages += await _tool_messages(message)

    async def first_token(prompt: str) -> float:
        start = time.perf_counter()
        body = _request([{"role": "user", "content": prompt}], stream=True)
        async with client.stream("POST", url, content=body, headers=headers) as response:
            async for line in response.aiter_lines():
                if _first_content(line):
                    return time.perf_counter() - start
        raise AssertionError("no text streamed")

    return Peer(turn, first_token, client.aclose)


async def raw_aiohttp_peer(base: str) -> Peer:
    aiohttp = pytest.importorskip("aiohttp")
    session = aiohttp.ClientSession()
    url = f"{base}/chat/completions"
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}

    async def turn(prompt: str) -> str:
        messages = [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": prompt},
        ]
        while True:
            async with session.post(url, data=_request(messages), headers=headers) as response:
                message = orjson.loads(await response.read())["choices"][0]["message"]
            if not message.get("tool_calls"):
                return str(message["content"])
            messages += await _tool_messages(message)

    async def first_token(prompt: str) -> float:
        start = time.perf_counter()
        body = _request([{"role": "user", "content": prompt}], stream=True)
        async with session.post(url, data=body, headers=headers) as response:
            async for line in response.content:
                if _first_content(line):
                    return time.perf_counter() - start
        raise AssertionError("no text streamed")

    return Peer(turn, first_token, session.close)


async def agno_peer(base: str) -> Peer:
    pytest.importorskip("agno")
    from agno.agent import Agent as AgnoAgent
    from agno.models.openai.like import OpenAILike

    model = OpenAILike(id=MODEL, base_url=base, api_key=KEY)
    agent = AgnoAgent(model=model, tools=[weather], instructions=INSTRUCTIONS, telemetry=False)

    async def turn(prompt: str) -> str:
        return str((await agent.arun(prompt)).content)

    async def first_token(prompt: str) -> float:
        start = time.perf_counter()
        async for event in agent.arun(prompt, stream=True):
            if getattr(event, "content", None):
                return time.perf_counter() - start
        raise AssertionError("no text streamed")

    async def close() -> None:
        return None

    return Peer(turn, first_token, close)


async def pydantic_ai_peer(base: str) -> Peer:
    pytest.importorskip("pydantic_ai")
    from pydantic_ai import Agent as PydanticAgent
    from pydantic_ai.models.openai import OpenAIChatModel as PydanticModel
    from pydantic_ai.providers.openai import OpenAIProvider

    provider = OpenAIProvider(base_url=base, api_key=KEY)
    agent = PydanticAgent(
        PydanticModel(MODEL, provider=provider), instructions=INSTRUCTIONS, tools=[weather]
    )

    async def turn(prompt: str) -> str:
        return str((await agent.run(prompt)).output)

    async def first_token(prompt: str) -> float:
        start = time.perf_counter()
        async with agent.run_stream(prompt) as result:
            async for _ in result.stream_text(delta=True):
                return time.perf_counter() - start
        raise AssertionError("no text streamed")

    return Peer(turn, first_token, provider.client.close)


async def openai_agents_peer(base: str) -> Peer:
    pytest.importorskip("agents")
    from agents import Agent as OpenAIAgent
    from agents import OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
    from openai import AsyncOpenAI

    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=base, api_key=KEY)
    model = OpenAIChatCompletionsModel(model=MODEL, openai_client=client)
    agent = OpenAIAgent(
        name="bench", instructions=INSTRUCTIONS, model=model, tools=[function_tool(weather)]
    )

    async def turn(prompt: str) -> str:
        return str((await Runner.run(agent, prompt)).final_output)

    async def first_token(prompt: str) -> float:
        start = time.perf_counter()
        result = Runner.run_streamed(agent, prompt)
        async for event in result.stream_events():
            if event.type == "raw_response_event" and getattr(event.data, "delta", None):
                elapsed = time.perf_counter() - start
                result.cancel()
                return elapsed
        raise AssertionError("no text streamed")

    return Peer(turn, first_token, client.close)


async def langgraph_peer(base: str) -> Peer:
    pytest.importorskip("langgraph")
    pytest.importorskip("langchain_openai")
    from langchain_openai import ChatOpenAI
    from langgraph.prebuilt import create_react_agent

    # A client of this event loop's own: ChatOpenAI's default one outlives the loop.
    http = httpx.AsyncClient()
    llm = ChatOpenAI(
        model=MODEL,
        base_url=base,
        api_key=KEY,
        http_async_client=http,  # type: ignore[arg-type]
    )
    graph = create_react_agent(llm, [weather], prompt=INSTRUCTIONS)

    async def turn(prompt: str) -> str:
        state = await graph.ainvoke({"messages": [{"role": "user", "content": prompt}]})
        return str(state["messages"][-1].content)

    async def first_token(prompt: str) -> float:
        start = time.perf_counter()
        inputs = {"messages": [{"role": "user", "content": prompt}]}
        async for message, _ in graph.astream(inputs, stream_mode="messages"):
            if getattr(message, "content", None):
                return time.perf_counter() - start
        raise AssertionError("no text streamed")

    return Peer(turn, first_token, http.aclose)


PEERS: dict[str, Callable[[str], Awaitable[Peer]]] = {
    "mastra": mastra_peer,
    "raw aiohttp loop (floor)": raw_aiohttp_peer,
    "raw httpx loop (floor)": raw_httpx_peer,
    "agno": agno_peer,
    "pydantic-ai": pydantic_ai_peer,
    "openai-agents": openai_agents_peer,
    "langgraph": langgraph_peer,
}
EXPECTED = {"plain": TEXT, "tool": f"The weather: {FORECAST} in Paris"}


# --- the measurements ----------------------------------------------------------------


def _add(group: str, name: str, seconds: float, **extra: Any) -> None:
    RECORDS.append(Record(group, name, seconds, 0, extra))


def _open(loop: asyncio.AbstractEventLoop, base_url: str, name: str) -> Peer:
    return loop.run_until_complete(PEERS[name](base_url))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _concurrent(peer: Peer, prompt: str) -> float:
    """Wall seconds for CONCURRENCY runs of TURNS_PER_WORKER turns each."""

    async def worker() -> None:
        for _ in range(TURNS_PER_WORKER):
            await peer.turn(prompt)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - start


@pytest.mark.parametrize("scenario", list(PROMPTS))
@pytest.mark.parametrize("name", list(PEERS))
def test_turns(
    benchmark: Any, loop: asyncio.AbstractEventLoop, base_url: str, name: str, scenario: str
) -> None:
    peer = _open(loop, base_url, name)
    prompt = PROMPTS[scenario]
    latencies: list[float] = []
    rounds: list[tuple[float, float]] = []

    async def sequential() -> None:
        for _ in range(SEQUENTIAL_TURNS):
            start = time.perf_counter()
            await peer.turn(prompt)
            latencies.append(time.perf_counter() - start)

    def one_round() -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        loop.run_until_complete(sequential())
        rounds.append((time.process_time() - cpu, time.perf_counter() - wall))

    try:
        assert loop.run_until_complete(peer.turn(prompt)) == EXPECTED[scenario]
        benchmark.pedantic(one_round, rounds=3, iterations=1, warmup_rounds=1)
        best = min(loop.run_until_complete(_concurrent(peer, prompt)) for _ in range(3))
    finally:
        loop.run_until_complete(peer.close())
    cpu, wall = sorted(rounds)[len(rounds) // 2]
    concurrent_turns = CONCURRENCY * TURNS_PER_WORKER
    _add(
        f"client CPU per turn ({scenario})",
        name,
        cpu / SEQUENTIAL_TURNS,
        sequential_turns_per_s=round(SEQUENTIAL_TURNS / wall),
        p50_ms=round(_percentile(latencies, 0.5) * 1e3, 3),
        p99_ms=round(_percentile(latencies, 0.99) * 1e3, 3),
    )
    _add(
        f"wall time per turn, {CONCURRENCY} concurrent runs ({scenario})",
        name,
        best / concurrent_turns,
        turns_per_s=round(concurrent_turns / best),
    )


@pytest.mark.parametrize("name", list(PEERS))
def test_time_to_first_token(
    benchmark: Any, loop: asyncio.AbstractEventLoop, base_url: str, name: str
) -> None:
    peer = _open(loop, base_url, name)
    firsts: list[float] = []

    def one_round() -> None:
        for _ in range(STREAMS):
            firsts.append(loop.run_until_complete(peer.first_token(PROMPTS["plain"])))

    try:
        benchmark.pedantic(one_round, rounds=2, iterations=1, warmup_rounds=1)
    finally:
        loop.run_until_complete(peer.close())
    _add("time to first token (streamed plain turn)", name, _percentile(firsts, 0.5))


IMPORTS = {
    "mastra": "import mastra",
    "agno": "import agno.agent, agno.models.openai",
    "pydantic-ai": "import pydantic_ai, pydantic_ai.models.openai",
    "openai-agents": "import agents",
    "langgraph": "import langgraph.prebuilt, langchain_openai",
}
_RSS = "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])"


@pytest.mark.parametrize("name", list(IMPORTS))
def test_rss_after_import(benchmark: Any, name: str) -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("RSS is read from /proc")
    module = IMPORTS[name].split()[1].split(".")[0].rstrip(",")
    pytest.importorskip(module)
    sizes: list[int] = []

    def measure() -> None:
        code = f"{IMPORTS[name]}\n{_RSS}"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        sizes.append(int(out.stdout.split()[-1]))

    benchmark.pedantic(measure, rounds=3, iterations=1)
    megabytes = min(sizes) / 1024
    _add("RSS after import (MB, in the time column as 'ms')", name, megabytes / 1e3)


# --- the loop alone: FunctionModel, no HTTP ------------------------------------------


def _mastra_function_agent() -> Callable[[str], Awaitable[str]]:
    def answer(messages: list[Message], info: CallInfo) -> ModelResponse | str:
        if messages[-1].role == "tool":
            return f"The weather: {messages[-1].text}"
        call = ToolCall("call_1", "weather", {"city": "Paris"})
        return ModelResponse(tool_calls=[call], finish_reason="tool_calls")

    agent = Agent("bench", INSTRUCTIONS, FunctionModel(answer), tools=[tool(weather)])

    async def turn(prompt: str) -> str:
        return (await agent.generate(prompt)).text

    return turn


def _pydantic_ai_function_agent() -> Callable[[str], Awaitable[str]]:
    pytest.importorskip("pydantic_ai")
    from pydantic_ai import Agent as PydanticAgent
    from pydantic_ai.messages import ModelResponse as PydanticResponse
    from pydantic_ai.messages import TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import FunctionModel as PydanticFunctionModel

    def answer(messages: list[Any], info: Any) -> PydanticResponse:
        returned = [p for p in messages[-1].parts if isinstance(p, ToolReturnPart)]
        if returned:
            return PydanticResponse(parts=[TextPart(f"The weather: {returned[0].content}")])
        return PydanticResponse(parts=[ToolCallPart("weather", {"city": "Paris"}, "call_1")])

    agent = PydanticAgent(PydanticFunctionModel(answer), instructions=INSTRUCTIONS, tools=[weather])

    async def turn(prompt: str) -> str:
        return str((await agent.run(prompt)).output)

    return turn


FUNCTION_AGENTS = {"mastra": _mastra_function_agent, "pydantic-ai": _pydantic_ai_function_agent}


@pytest.mark.parametrize("name", list(FUNCTION_AGENTS))
def test_function_model_loop(benchmark: Any, loop: asyncio.AbstractEventLoop, name: str) -> None:
    turn = FUNCTION_AGENTS[name]()
    turns = 500
    cpus: list[float] = []

    async def many() -> None:
        for _ in range(turns):
            await turn(PROMPTS["tool"])

    def one_round() -> None:
        cpu = time.process_time()
        loop.run_until_complete(many())
        cpus.append(time.process_time() - cpu)

    assert loop.run_until_complete(turn(PROMPTS["tool"])) == EXPECTED["tool"]
    benchmark.pedantic(one_round, rounds=3, iterations=1, warmup_rounds=1)
    _add("in-process FunctionModel loop, CPU per tool round trip", name, min(cpus) / turns)


if __name__ == "__main__":
    asyncio.run(_main())
