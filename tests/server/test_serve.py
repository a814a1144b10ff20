"""`mastra serve` in a subprocess: the default app, and SIGTERM during open streams."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from mastra.storage import SQLiteStorage
from mastra.streaming import aiter_sse

from .conftest import Launch


def test_serve_without_a_target_runs_the_demo_app(launch: Launch, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    process, url = launch(env={"MASTRA_DEMO_DB": str(db), "MASTRA_MODEL": ""})
    assert list(httpx.get(url + "/api/agents").json()) == ["guide"]
    body = {"messages": "How do I give an agent a tool?"}
    result = httpx.post(f"{url}/api/agents/guide/generate", json=body, timeout=30).json()
    assert result["text"]
    assert [call["payload"]["toolName"] for call in result["toolCalls"]] == ["search_docs"]
    assert list(httpx.get(url + "/api/workflows").json()) == ["calculate"]
    run = httpx.post(
        url + "/api/workflows/calculate/start-async",
        params={"runId": "r1"},
        json={"inputData": "(2 + 3) * 4"},
    ).json()
    assert run["result"] == "The result is 20."
    indexes = httpx.get(url + "/api/vector/docs/indexes").json()
    assert indexes == ["mastra_docs"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


async def _stream(url: str, i: int, opened: asyncio.Event, count: list[int]) -> list[str]:
    words = 8 if i % 2 else 400
    async with httpx.AsyncClient(timeout=30) as client:
        body = {"messages": f"n={words}", "memory": {"thread": f"t{i}", "resource": "r"}}
        async with client.stream("POST", url + "/api/agents/scribe/stream", json=body) as response:
            types: list[str] = []
            async for event in aiter_sse(response.aiter_bytes()):
                types.append(
                    event.data if event.data == "[DONE]" else orjson.loads(event.data)["type"]
                )
                if len(types) == 1:
                    count[0] += 1
                    if count[0] == 20:
                        opened.set()
            return types


def _text(parts: list[dict[str, Any]]) -> str:
    return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


def _saved_turns(db: Path) -> dict[str, list[tuple[str, str]]]:
    async def read() -> dict[str, list[tuple[str, str]]]:
        async with SQLiteStorage(str(db)) as storage:
            turns = {}
            for i in range(20):
                messages = await storage.get_last_messages(f"t{i}", 10)
                turns[f"t{i}"] = [(m.role, _text(m.content)) for m in messages]
            return turns

    return asyncio.run(read())


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_drains_open_streams_and_exits_0(
    launch: Launch, workers: str, tmp_path: Path
) -> None:
    db = tmp_path / "scribe.db"
    # 2 s of drain: the 8-word runs (0.8 s, then their memory write) finish well within
    # it, even with two workers writing one SQLite file on a busy machine.
    env = {"MASTRA_DRAIN_TIMEOUT": "2", "MASTRA_TEST_DB": str(db)}
    target = "tests/server/apps.py:create_durable"
    process, url = launch(target, "--workers", workers, env=env)

    async def scenario() -> tuple[list[list[str]], float]:
        opened = asyncio.Event()
        count = [0]
        tasks = [asyncio.ensure_future(_stream(url, i, opened, count)) for i in range(20)]
        await asyncio.wait_for(opened.wait(), 20)
        start = time.monotonic()
        process.send_signal(signal.SIGTERM)
        results = await asyncio.wait_for(asyncio.gather(*tasks), 20)
        return results, time.monotonic() - start

    results, elapsed = asyncio.run(scenario())
    assert process.wait(timeout=15) == 0
    finished = [r for r in results if "finish" in r]
    cut = [r for r in results if "error" in r]
    assert len(finished) == 10
    assert len(cut) == 10
    assert all(r[-1] == "[DONE]" for r in results)
    assert elapsed < 6
    # Every run that finished had its turn committed: none is lost in the shutdown.
    turns = _saved_turns(db)
    for i, types in enumerate(results):
        if "finish" in types:
            expected = "".join(f"w{k} " for k in range(8))
            assert turns[f"t{i}"] == [("user", "n=8"), ("assistant", expected)], i


def test_workers_share_the_port_sum_their_metrics_and_stop_cleanly(launch: Launch) -> None:
    process, url = launch("tests/server/apps.py:create", "--workers", "2")
    with httpx.Client(base_url=url) as client:
        for _ in range(12):
            assert client.post("/api/agents/echo/generate", json={"messages": "x"}).is_success
    text = httpx.get(url + "/metrics").text
    route = 'route="/api/agents/{agentId}/generate",status="200"'
    line = next(
        x for x in text.splitlines() if x.startswith("mastra_http_requests_total") and route in x
    )
    assert float(line.rsplit(" ", 1)[1]) == 12
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
